// SPDX-License-Identifier: Apache-2.0
// The JCL converter's parts shared by its files: the state of a conversion (the DDs
// and steps being built, where statements come from, the context), and the value
// rules (names, the keywords each statement takes, symbol substitution, COND=).
#pragma once

#include <zplex/jes/jcl.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace zplex::jes::detail {

/// A name as JCL writes it: 1-8 of A-Z 0-9 @ # $, not starting with a digit.
bool valid_name(std::string_view s);

/// Show at most 32 characters of outside text, non-printables as X'hh'.
std::string shown(std::string_view s);

/// The keywords JOB, EXEC and DD take (those zplex does not use are accepted), and DD's positional ones.
extern const std::set<std::string> job_keywords;
extern const std::set<std::string> exec_keywords;
extern const std::set<std::string> dd_keywords;
extern const std::set<std::string> dd_positional;

/// Substitute symbols in @p text. `&&name` is a temporary data set, never a symbol;
/// `&name.` consumes the period; an undefined symbol stays as written.
std::string substitute(const std::string& text, const std::map<std::string, std::string>& syms,
                       std::set<std::string>* used, bool& changed);

const parameter* find_param(const std::vector<parameter>& ps, std::string_view key);

/// COND=(code,op) | ((code,op[,step[.procstep]]),...)[,EVEN|ONLY]; nullopt with the bad part in @p bad.
std::optional<cond_param> parse_cond(const std::string& value, bool on_job, std::string* bad);

/// A DD while its step is being built: parameters kept so that an override can
/// replace them one by one.
struct raw_dd {
    int stmt = 0;
    std::string ddname;
    std::vector<parameter> params;
    bool instream = false;
    std::vector<std::string> data;
    std::vector<raw_dd> concat;
};

struct raw_step {
    int stmt = 0;
    std::string name, procstep, proc;
    std::vector<parameter> exec;
    std::vector<raw_dd> dds;
    std::size_t item = 0;  ///< its index in job::items
};

/// Where statements come from and how they are listed: `//` for the job's own
/// statements, `++` for an in-stream procedure's, `XX` for a catalogued one's and
/// for INCLUDE groups.
struct frame {
    std::string mark = "//";
    std::map<std::string, std::string>* symbols = nullptr;
    std::set<std::string>* used = nullptr;  ///< symbols referenced (for IEFC657I)
    // Inside a procedure expansion:
    bool in_proc = false;
    std::string exec_name;                  ///< the job's EXEC that called the procedure
    std::string proc;
    std::size_t first_step = 0;             ///< index of the procedure's first step in ctx.steps
    int depth = 0;
};

struct instream_proc {
    std::vector<parameter> defaults;
    std::vector<statement> body;
    std::string listing_mark;
};

struct context {
    context(const convert_options& opts, job& jb) : o(opts), j(jb) {}
    const convert_options& o;
    job& j;
    int number = 0;
    bool seen_job = false;
    bool ended = false;
    std::map<std::string, std::string> symbols;
    std::set<std::string> used;
    std::vector<std::string> jcllib;
    std::map<std::string, instream_proc> procs;
    std::vector<raw_step> steps;
    int if_depth = 0;
    std::vector<int> if_stmts;
    // The last job-level EXEC of a procedure: unqualified DDs go to its first step.
    std::optional<std::size_t> proc_exec_first;
    std::string proc_exec_name;
    std::size_t proc_exec_end = 0;  ///< one past its last step
    std::optional<std::size_t> last_dd_step;  ///< for concatenations
    int includes = 0;

    void error(int stmt, std::string id, std::string text) {
        j.messages.push_back({stmt, std::move(id), std::move(text), true});
    }
    void info(int stmt, std::string id, std::string text) {
        j.messages.push_back({stmt, std::move(id), std::move(text), false});
    }
};

}  // namespace zplex::jes::detail
