// SPDX-License-Identifier: Apache-2.0
// Running a converted job step by step, as the initiator does: COND= and IF/THEN
// decide each step, DDs allocate through the catalogue with their dispositions, the
// program runs, and the job log is written as JES2 prints it.
#pragma once

#include <zplex/jes/jcl.hpp>
#include <zplex/sysplex/dataset.hpp>

#include <ctime>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace zplex::jes {

/// One SYSOUT data set of the job.
struct sysout_dataset {
    std::string step, procstep, ddname, cls;
    std::vector<std::string> lines;
};

/// What became of one step.
struct step_record {
    std::string name, procstep, pgm;
    enum class outcome { executed, abended, bypassed, not_run } result = outcome::not_run;
    int rc = 0;
    std::string abend;                    ///< S806, U0100
    std::vector<std::string> sysout_tail; ///< the step's last SYSOUT lines (JUnit)
    std::string why;                      ///< for bypassed/not run: the message
};

/// The job log: the three JES data sets and the SYSOUT data sets.
struct job_log {
    std::string jobid;  ///< JOB00042
    std::string jobname;
    std::vector<std::string> jesmsglg, jesjcl, jesysmsg;
    std::vector<sysout_dataset> sysouts;
    std::vector<step_record> steps;
    int maxcc = 0;
    bool jcl_error = false;
    bool scanned = false;  ///< TYPRUN=SCAN or --scan: converted and listed, nothing ran
    std::string abend;     ///< the job's abend, if any
    /// The process exit code: the highest condition code (at most 252), or
    /// exit_jcl_error / exit_abend.
    int exit_code() const;
    /// The whole log as printed: JESMSGLG, JESJCL, JESYSMSG, then each SYSOUT.
    std::string str() const;
};

constexpr int exit_jcl_error = 253;
constexpr int exit_abend = 254;
constexpr int exit_rc_cap = 252;

/// The DDs of the running step, as a program sees them.
class step_io {
public:
    virtual ~step_io() = default;
    /// Does the step have this DD (DUMMY included)?
    virtual bool has(const std::string& dd) const = 0;
    /// The records of a DD (its concatenation joined); empty for DUMMY.
    /// nullopt when the DD is missing or its data set cannot be read.
    virtual std::optional<std::vector<std::string>> read(const std::string& dd) = 0;
    /// Append records to a DD (SYSOUT, data set or PATH); false if it is missing.
    virtual bool write(const std::string& dd, const std::vector<std::string>& lines) = 0;
    /// Data sets by name (IDCAMS INDATASET/OUTDATASET/DELETE).
    virtual std::optional<std::vector<std::string>> read_dsn(const std::string& dsn) = 0;
    virtual bool write_dsn(const std::string& dsn, const std::vector<std::string>& lines, bool replace) = 0;
    /// 0 deleted, 8 not found.
    virtual int delete_dsn(const std::string& dsn) = 0;
    /// The file behind a DD with a data set or PATH (BPXBATCH's STDOUT=PATH...).
    virtual std::optional<std::filesystem::path> file_of(const std::string& dd) const = 0;
    /// A message for JESYSMSG (IEC130I ...).
    virtual void system_message(const std::string& text) = 0;
};

struct program_result {
    int rc = 0;
    std::string abend;  ///< S806, U0100: the step abends
};

/// A program a step can run: PGM=name.
using program = std::function<program_result(const job_step& step, step_io& io)>;

/// IEFBR14, IEBGENER, IDCAMS, BPXBATCH.
std::map<std::string, program> builtin_programs();

struct run_options {
    const sysplex::dataset_catalogue* datasets = nullptr;  ///< where DSNs live (required)
    std::map<std::string, program> programs = builtin_programs();
    std::string jobid = "JOB00001";
    std::string system = "ZPLX";   ///< SYS in $HASP373
    std::string user = "ZPLEX";
    std::function<std::time_t()> now = [] { return std::time(nullptr); };
};

/// Run @p j (its steps, or nothing on a JCL error or TYPRUN=SCAN). Never throws on
/// anything the job does: a failure is a condition code, an abend or a JCL error.
job_log run_job(const job& j, const run_options& o);

/// Convert and list only (zplex submit --scan): nothing runs.
job_log scan_job(const job& j, const run_options& o);

/// JUnit XML: one testsuite per job, one testcase per step; a step fails when it
/// abended or ended with a condition code above 4, and is skipped when it did not run.
std::string junit_xml(const std::vector<job_log>& jobs);

}  // namespace zplex::jes
