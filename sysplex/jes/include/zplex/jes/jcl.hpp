// SPDX-License-Identifier: Apache-2.0
// JCL as the z/OS converter reads it: records, statements, parameters, symbols,
// procedures, INCLUDE groups and IF/THEN/ELSE/ENDIF, turned into a job of steps.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zplex::jes {

/// One message of the converter or interpreter, printed after the number of the
/// statement it refers to (JESYSMSG), e.g. `        3 IEFC605I UNIDENTIFIED OPERATION FIELD`.
struct jcl_message {
    int stmt = 0;       ///< JESJCL statement number (0: the job as a whole)
    std::string id;     ///< IEFC605I
    std::string text;   ///< UNIDENTIFIED OPERATION FIELD
    bool error = true;  ///< false for informational messages (IEFC001I)
    std::string str() const;  ///< the JESYSMSG line
};

/// A statement as read from the records (before symbol substitution).
struct statement {
    std::string source;                ///< the dataset or file it was read from
    int line = 0;                      ///< the record it starts on (1-based)
    std::vector<std::string> records;  ///< its records, columns 1-72, as listed in JESJCL
    enum class kind { jcl, comment, delimiter, null } type = kind::jcl;
    std::string name;                  ///< name field (may be `STEP.DD`)
    std::string op;                    ///< operation, upper case (JOB, EXEC, DD ...)
    std::string operands;              ///< the operand field, continuation joined
    std::vector<std::string> data;     ///< in-stream data of a DD * / DD DATA
    bool instream = false;             ///< a DD * or DD DATA
    std::vector<jcl_message> errors;   ///< reading errors (stmt filled in when numbered)
};

/// Read records into statements: columns 1-71, continuation, comments, `/*`,
/// in-stream data up to `/*`, `//` or the DLM string. The reader never fails;
/// what it cannot read becomes an IEFC message on the statement concerned.
/// @p first_is_job: records that precede no DD after a JOB get `//SYSIN DD *`.
std::vector<statement> read_jcl(std::string_view text, const std::string& source);

/// A parameter: `KEY=value` or a positional value (key empty). Values keep their
/// parentheses and apostrophes, as written.
struct parameter {
    std::string key;
    std::string value;
};

/// Split an operand field at its top-level commas.
/// @return false, with @p why, on unbalanced parentheses or an apostrophe left open.
bool split_parameters(std::string_view operands, std::vector<parameter>& out, std::string* why = nullptr);

/// `(A,B,(C,D))` -> `A`, `B`, `(C,D)`; a value without parentheses is one item.
std::vector<std::string> split_list(std::string_view value);

/// `'IT''S'` -> `IT'S`; other text unchanged.
std::string unquote(std::string_view value);

/// A relational expression of an IF statement, evaluated against the steps so far.
struct expr_node;
struct step_result_view {
    /// The return code of the named step (empty: the highest so far), nullopt when
    /// it did not run.
    std::function<std::optional<int>(const std::string& step, const std::string& procstep)> rc;
    std::function<bool(const std::string& step, const std::string& procstep)> abended;
    std::function<bool(const std::string& step, const std::string& procstep)> ran;
    std::function<std::optional<std::string>(const std::string& step, const std::string& procstep)> abendcc;
};
struct condition {
    std::shared_ptr<const expr_node> root;
    bool mentions_abend = false;  ///< ABEND/ABENDCC/¬ABEND: the steps run after an abend
    bool evaluate(const step_result_view& v) const;
};

/// Parse an IF expression (the text between IF and THEN).
/// @return the condition, or nullopt with @p bad set to the token that is not valid.
std::optional<condition> parse_condition(std::string_view text, std::string* bad);

/// A COND= test on EXEC or JOB: bypass when `code op RC` holds.
struct cond_test {
    int code = 0;
    std::string op;  ///< GT GE EQ NE LT LE
    std::string step, procstep;
};
struct cond_param {
    std::vector<cond_test> tests;
    bool even = false, only = false;
};

/// One DD statement of a step (and its concatenation).
struct dd_statement {
    int stmt = 0;
    std::string ddname;
    std::string dsn;            ///< upper case, member included: `USER.DATA(M)`, `&&TEMP`
    bool temporary = false;     ///< `&&name` (or `&name` not a symbol)
    std::string status;         ///< NEW OLD SHR MOD (default NEW)
    std::string normal;         ///< CATLG DELETE KEEP PASS UNCATLG ("" = default)
    std::string abnormal;
    bool dummy = false;
    bool sysout = false;
    std::string sysout_class;   ///< `*`: the MSGCLASS
    bool instream = false;
    std::vector<std::string> data;
    std::string path;           ///< PATH= (z/OS UNIX file)
    std::vector<dd_statement> concat;  ///< unnamed DDs that follow
};

/// One step of the job after procedure expansion.
struct job_step {
    int stmt = 0;               ///< its EXEC statement
    std::string name;           ///< step name (the EXEC's; for a procedure, the EXEC of the job)
    std::string procstep;       ///< the procedure step, when expanded from a procedure
    std::string proc;           ///< the procedure name
    std::string pgm;
    std::string parm;
    std::optional<cond_param> cond;
    std::vector<dd_statement> dds;
    const dd_statement* find_dd(std::string_view ddname) const;
};

/// A step, or IF/ELSE/ENDIF around steps, in job order.
struct job_item {
    enum class kind { step, if_, else_, endif } type = kind::step;
    int stmt = 0;
    job_step step;           ///< kind::step
    condition cond;          ///< kind::if_
    std::string text;        ///< the IF's expression as written
};

/// The converted job.
struct job {
    std::string name;
    std::string jobclass = "A";
    std::string msgclass = "A";
    std::string notify;
    bool typrun_scan = false;
    std::optional<cond_param> cond;
    std::vector<job_item> items;
    std::vector<std::string> jesjcl;       ///< the JESJCL listing
    std::vector<jcl_message> messages;     ///< converter messages (JESYSMSG)
    bool jcl_error() const;
    std::size_t step_count() const;
};

/// Where procedures and INCLUDE members come from: returns the member's text, or
/// nullopt when the library has no such member.
using member_reader = std::function<std::optional<std::string>(const std::string& library, const std::string& member)>;

struct convert_options {
    member_reader read_member;               ///< JCLLIB libraries and the system PROCLIB
    std::vector<std::string> proclib;        ///< the system PROCLIB concatenation
    std::string sysuid = "ZPLEX";            ///< &SYSUID
};

/// Convert a job: read, substitute, expand, check. Never throws on bad JCL: a job
/// with errors has jcl_error() true and its messages say where and why.
job convert(std::string_view text, const std::string& source, const convert_options& o);

}  // namespace zplex::jes
