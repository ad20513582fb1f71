// SPDX-License-Identifier: Apache-2.0
// zplex's own batch programs, the ones a regression job runs against a sysplex brought
// up by `zplex up` (docs/jcl.md, "Programs"):
//   ZPXOPER   operator commands through the console's routing, responses to SYSPRINT,
//             checked by EXPECT and WAIT FOR;
//   ZPXTRAF   connections from a LAN host's (or an image's) namespace to a DVIPA: who
//             served each, bytes and SHA-256 of the echo, resets; EXPECT DIST/RESETS;
//   ZPXFAULT  faults: kill a stack, a job or a CF by its recorded PID, stop an image's
//             CPU, start a stack again, IPL an image again (the HMC's LOAD); WAIT FOR
//             the sysplex's reaction.
// Each reads SYSIN statements (batch_sysin.cpp), writes a SYSPRINT report and ends with
// a documented condition code: 0 all held, 4 a warning, 8 an expectation failed, 12 a
// statement or the sysplex could not be used, 16 no SYSPRINT or SYSIN.
#pragma once

#include "../console.hpp"

#include <zplex/jes/executor.hpp>
#include <zplex/operating/faults.hpp>
#include <zplex/sysplex/catalogue.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace zplex::cli::batch {

/// Where the programs find the running sysplex.
struct context {
    std::string run_dir;      ///< --run-dir of submit ("" = the sysplex's default)
    std::string sysplex_dir;  ///< the job's sysplex folder
};

/// Each program bound to @p c.
jes::program operator_program(const context& c);
jes::program traffic_program(const context& c);
jes::program fault_program(const context& c);

/// @p bpxbatch run in the network namespace of image @p system of the running sysplex
/// (its z/OS UNIX commands see the image's addresses and DVIPAs); as it is when no
/// sysplex runs.
jes::program image_bpxbatch(const context& c, const std::string& system, jes::program bpxbatch);

/// ZPXOPER, ZPXTRAF, ZPXFAULT bound to @p c.
std::map<std::string, jes::program> programs(const context& c);

/// Wait for the traffic a ZPXTRAF START left running (at the end of the job).
void finish_background();

// ---- what the three programs share

/// One SYSIN statement: its words, a quoted word unquoted ('IT''S' -> IT'S).
struct sysin_statement {
    int line = 0;                     ///< the SYSIN record it starts on
    std::vector<std::string> words;   ///< upper case outside quotes
    std::vector<bool> quoted;
    std::string text;                 ///< as written (continuations joined)
};

/// Columns 1-71; `*` or `/*` in column 1 a comment; a record ending in ` -` continues.
/// A quote left open is an error: false, @p why says where.
bool read_sysin(const std::vector<std::string>& records, std::vector<sysin_statement>& out, std::string& why);

/// ZPXFAULT's statement @p st checked for its form alone (no sysplex needed: whether its
/// systems are in the sysplex is checked when it is carried out): empty when it is one of
/// ZPXFAULT's, else why not (the text of ZPX0603E).
std::string fault_statement_form(const sysin_statement& st);

struct report;

/// One ZPXFAULT fault statement (KILL, STOP|START CPU, RESTART, IPL; not WAIT FOR or
/// DELAY), as written in SYSIN, made on @p con's run outside a job (`zplex faults`): its
/// SYSPRINT lines and RC in @p rep. True when the fault was made.
bool make_fault(console& con, const std::string& statement, report& rep);

/// What the faults matrix's run gave (docs/faults.md): each row's outcome, the table
/// and the exit code of `zplex faults` (0 all passed, 4 one not checked, 8 one failed or
/// not run, 12 the sysplex could not be used).
struct matrix_result {
    std::vector<operating::faults::row_outcome> rows;
    std::string table;
    int rc = 12;
};

/// What @p cfg lacks of FIG4's that the matrix drives (systems MVS1, MVS2, MVS4, LAN
/// host CLIENT1, IPsec peer PEER1, symbol DVA1), or "" when it has it all.
std::string fig4_missing(const sysplex::sysplex_config& cfg);

/// The matrix's @p rows, one at a time, on the running sysplex of @p con (settled first:
/// as FIG4 starts); captures and keys under @p out_dir (0700). Every line it says goes to
/// @p sink; it stops between rows (and ends the row under way early) once @p stop is set.
matrix_result run_matrix(console& con, const sysplex::sysplex_config& cfg,
                         const std::vector<operating::faults::row_spec>& rows, const std::filesystem::path& out_dir,
                         const std::function<void(const std::string&)>& sink,
                         const volatile std::sig_atomic_t* stop = nullptr);

/// ZPXMATRX: the matrix on the sysplex the job runs against (PARM='QUICK' or 'ALL').
jes::program matrix_program(const context& c);

/// The program's SYSPRINT and its condition code.
struct report {
    std::vector<std::string> lines;
    int rc = 0;
    int expectations = 0, failed = 0;
    void say(std::string line) { lines.push_back(std::move(line)); }
    void raise(int code) { rc = std::max(rc, code); }
};

/// The step's SYSIN read into statements; on failure @p rep holds the message and the RC.
std::optional<std::vector<sysin_statement>> step_statements(jes::step_io& io, report& rep, const char* program);

/// SYSPRINT written and the RC returned (16 when SYSPRINT is missing).
jes::program_result end_report(jes::step_io& io, report& rep, const char* program);

/// Open the console of the run; on failure @p rep says why (RC 12).
std::optional<console> open_console(const context& c, report& rep, const char* program);

/// The logs of a run, read from where they were when the watch began (WAIT FOR).
class log_watch {
public:
    explicit log_watch(const console& c);
    /// A line of any log since the watch began holding @p msgid (and @p text when not
    /// empty), within @p timeout; the line, or nullopt. Of such lines the earliest by
    /// the logs' time stamps that no wait before found: two waits for one message find
    /// two lines. The order of waits is not checked: the logs of different processes
    /// are stamped to the millisecond, and a stack's EZZ8301I may be written before the
    /// nucleus' IXC105I that caused it.
    std::optional<std::string> wait_for(const std::string& msgid, const std::string& text, std::chrono::milliseconds timeout);

    /// The time stamp of a log line (`YYYY-MM-DD HH:MM:SS.mmm`), or empty when it has none.
    static std::string stamp_of(const std::string& line);

private:
    struct source {
        std::filesystem::path file;
        std::uintmax_t offset = 0;
        std::string stamp;  ///< of its last stamped line (an unstamped line is as old)
    };
    struct seen {
        std::string stamp, text;
        bool found = false;  ///< a wait has found it
    };
    std::vector<source> _sources;
    std::vector<seen> _seen;
    void poll();
};

/// A number word: false when @p w is not one (or out of [lo, hi]).
bool number(const std::string& w, long lo, long hi, long& out);

}  // namespace zplex::cli::batch
