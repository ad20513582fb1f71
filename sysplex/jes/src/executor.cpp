// SPDX-License-Identifier: Apache-2.0
// The initiator: runs a converted job's steps in order. COND= (JOB and EXEC) and
// IF/THEN/ELSE/ENDIF decide whether a step runs; its DDs allocate through the
// catalogue (a PDS is a folder, a member a file), the program runs, dispositions are
// applied, and every event goes to the job log as JES2 and the initiator print it.
#include <zplex/jes/executor.hpp>
#include <zplex/sysplex/text.hpp>

#include "executor_support.hpp"

#include <fmt/format.h>

#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

namespace zplex::jes {

namespace fs = std::filesystem;
using sysplex::upper;

namespace {

using namespace detail;

struct step_state {
    std::string name, procstep;
    bool ran = false;
    int rc = 0;
    bool abended = false;
    std::string abend;
};

/// A DD of the running step.
struct allocation {
    dd_statement dd;  ///< a copy: a backward reference is resolved in it
    enum class kind { dummy, sysout, instream, dataset, temp, path } type = kind::dummy;
    std::string dsn;          ///< catalogue name, or the temporary's system name
    std::string temp_key;     ///< &&NAME
    fs::path file;
    bool created = false;
    bool opened_output = false;
    std::size_t sysout = 0;   ///< index in log.sysouts
    std::vector<allocation> concat;
};

struct job_run;

class io_impl final : public step_io {
public:
    io_impl(job_run& r, std::vector<allocation>& a, std::vector<std::string>& sysmsg) : _r(r), _a(a), _msg(sysmsg) {}
    bool has(const std::string& dd) const override { return find(dd) != nullptr; }
    std::optional<std::vector<std::string>> read(const std::string& dd) override;
    bool write(const std::string& dd, const std::vector<std::string>& lines) override;
    std::optional<std::vector<std::string>> read_dsn(const std::string& dsn) override;
    bool write_dsn(const std::string& dsn, const std::vector<std::string>& lines, bool replace) override;
    int delete_dsn(const std::string& dsn) override;
    std::optional<fs::path> file_of(const std::string& dd) const override {
        const auto* a = find(dd);
        if (a && (a->type == allocation::kind::dataset || a->type == allocation::kind::path)) {
            return a->file;
        }
        return std::nullopt;
    }
    void system_message(const std::string& text) override { _msg.push_back(text); }

private:
    const allocation* find(const std::string& dd) const {
        for (const auto& a : _a) {
            if (a.dd.ddname == dd) {
                return &a;
            }
        }
        return nullptr;
    }
    allocation* find(const std::string& dd) { return const_cast<allocation*>(std::as_const(*this).find(dd)); }
    std::optional<std::vector<std::string>> read_one(const allocation& a);
    job_run& _r;
    std::vector<allocation>& _a;
    std::vector<std::string>& _msg;
};

struct job_run {
    job_run(const job& jb, const run_options& opts) : j(jb), o(opts), start(opts.now()) {}
    const job& j;
    const run_options& o;
    job_log log;
    std::map<std::string, std::vector<std::string>> temps;  ///< &&NAME -> records
    std::set<std::string> passed;                           ///< temporaries passed on
    std::vector<step_state> done;
    std::vector<std::pair<const job_step*, std::vector<std::pair<std::string, std::string>>>> dsns;  ///< step -> dd,dsn
    int temp_seq = 0;
    bool abended = false;
    bool alloc_error = false;
    std::time_t start = 0;

    std::string time() const { return hhmmss(o.now()); }
    void msglg(const std::string& text) { log.jesmsglg.push_back(fmt::format("{} {}  {}", time(), log.jobid, text)); }
    std::string who(const job_step& s) const {
        return s.procstep.empty() ? fmt::format("{} {}", log.jobname, s.name.empty() ? std::string("") : s.name)
                                  : fmt::format("{} {} {}", log.jobname, s.name, s.procstep);
    }
    std::string stepname(const job_step& s) const { return s.procstep.empty() ? s.name : s.procstep; }
    std::string temp_name(const std::string& key) {
        auto tm = local(start);
        return fmt::format("SYS{:02}{:03}.T{:02}{:02}{:02}.RA000.{}.{}.H01", tm.tm_year % 100, tm.tm_yday + 1,
                           tm.tm_hour, tm.tm_min, tm.tm_sec, log.jobname, key.substr(2));
    }
    fs::path path_of(const std::string& dsn) const {
        auto n = sysplex::parse_dataset_name(dsn);
        return n ? o.datasets->path_of(*n) : fs::path();
    }
    bool exists(const std::string& dsn, bool& member_ok) const {
        auto n = sysplex::parse_dataset_name(dsn);
        member_ok = false;
        if (!n) {
            return false;
        }
        std::error_code ec;
        if (!n->member.empty()) {
            auto pds = o.datasets->path_of({n->dsn, ""});
            member_ok = fs::is_directory(pds, ec);
        }
        return fs::exists(o.datasets->path_of(*n), ec);
    }

    std::optional<int> rc_of(const std::string& step, const std::string& procstep) const {
        if (step.empty()) {
            std::optional<int> m;
            for (const auto& d : done) {
                if (d.ran && !d.abended) {
                    m = std::max(m.value_or(0), d.rc);
                }
            }
            return m.value_or(0);
        }
        const step_state* found = nullptr;
        for (const auto& d : done) {
            if (procstep.empty() ? ((d.name == step && d.procstep.empty()) || (d.procstep == step && d.name != step) ||
                                    d.name == step)
                                 : d.name == step && d.procstep == procstep) {
                found = &d;
            }
        }
        if (!found || !found->ran || found->abended) {
            return std::nullopt;
        }
        return found->rc;
    }
    const step_state* find(const std::string& step, const std::string& procstep) const {
        const step_state* found = nullptr;
        for (const auto& d : done) {
            if (procstep.empty() ? d.name == step || d.procstep == step : d.name == step && d.procstep == procstep) {
                found = &d;
            }
        }
        return found;
    }
    step_result_view view() const {
        step_result_view v;
        v.rc = [this](const std::string& s, const std::string& p) { return rc_of(s, p); };
        v.abended = [this](const std::string& s, const std::string& p) {
            if (s.empty()) {
                return abended;
            }
            const auto* d = find(s, p);
            return d && d->abended;
        };
        v.ran = [this](const std::string& s, const std::string& p) {
            const auto* d = find(s, p);
            return d && d->ran;
        };
        v.abendcc = [this](const std::string& s, const std::string& p) -> std::optional<std::string> {
            for (auto it = done.rbegin(); it != done.rend(); ++it) {
                if (it->abended && (s.empty() || (p.empty() ? it->name == s || it->procstep == s
                                                            : it->name == s && it->procstep == p))) {
                    return it->abend;
                }
            }
            return std::nullopt;
        };
        return v;
    }

    /// A COND= test holds (the step is bypassed) for the RC of the step it names, or of any step that ran.
    bool cond_holds(const cond_test& t) const {
        auto test = [&](int rc) {
            const auto& op = t.op;
            int c = t.code;
            return op == "GT" ? c > rc : op == "GE" ? c >= rc : op == "EQ" ? c == rc : op == "NE" ? c != rc
                 : op == "LT" ? c < rc : c <= rc;
        };
        if (!t.step.empty()) {
            auto rc = rc_of(t.step, t.procstep);
            return rc && test(*rc);
        }
        for (const auto& d : done) {
            if (d.ran && !d.abended && test(d.rc)) {
                return true;
            }
        }
        return false;
    }

    bool allocate(const job_step& s, const dd_statement& d, allocation& a);
    void run_step(const job_step& s);
    void dispose(const job_step& s, allocation& a, bool abnormal);
    void not_run(const job_step& s, step_record::outcome how, const std::string& why);
};

bool job_run::allocate(const job_step& s, const dd_statement& d, allocation& a) {
    a.dd = d;
    auto& sys = log.jesysmsg;
    std::string ddn = d.ddname.empty() ? std::string() : d.ddname;
    if (d.dummy) {
        a.type = allocation::kind::dummy;
        sys.push_back(fmt::format("IEF237I DMY  ALLOCATED TO {}", ddn));
    } else if (d.sysout) {
        a.type = allocation::kind::sysout;
        sysout_dataset so;
        so.step = s.name;
        so.procstep = s.procstep;
        so.ddname = d.ddname;
        so.cls = d.sysout_class == "*" ? j.msgclass : d.sysout_class;
        a.sysout = log.sysouts.size();
        log.sysouts.push_back(std::move(so));
        sys.push_back(fmt::format("IEF237I JES2 ALLOCATED TO {}", ddn));
    } else if (d.instream) {
        a.type = allocation::kind::instream;
        sys.push_back(fmt::format("IEF237I JES2 ALLOCATED TO {}", ddn));
    } else if (!d.path.empty()) {
        a.type = allocation::kind::path;
        a.file = d.path;
    } else if (d.temporary || d.dsn.rfind("*.", 0) == 0) {
        std::string key = d.dsn;
        if (d.dsn.rfind("*.", 0) == 0) {
            // Backward reference: the data set of a DD of an earlier step (or this one).
            auto ref = d.dsn.substr(2);
            std::vector<std::string> q;
            std::size_t pos = 0;
            while (true) {
                auto dot = ref.find('.', pos);
                q.push_back(ref.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos));
                if (dot == std::string::npos) {
                    break;
                }
                pos = dot + 1;
            }
            std::string found;
            auto match = [&](const job_step* st) {
                if (q.size() == 1) {
                    return st == &s;
                }
                if (q.size() == 2) {
                    return st->name == q[0] || st->procstep == q[0];
                }
                return st->name == q[0] && st->procstep == q[1];
            };
            for (const auto& [st, list] : dsns) {
                if (match(st)) {
                    for (const auto& [ddname, dsn] : list) {
                        if (ddname == q.back()) {
                            found = dsn;
                        }
                    }
                }
            }
            if (found.empty()) {
                sys.push_back(fmt::format("IEF645I INVALID REFERBACK IN THE DSNAME FIELD OF {}", ddn));
                return false;
            }
            dd_statement copy = d;
            copy.dsn = found;
            copy.temporary = found.rfind("&&", 0) == 0;
            if (!copy.temporary) {
                return allocate(s, copy, a);
            }
            a.dd = copy;
            key = found;
        }
        a.type = allocation::kind::temp;
        a.temp_key = key;
        bool have = temps.count(key) > 0;
        if (d.status == "NEW") {
            temps[key].clear();
            a.created = true;
        } else if (!have) {
            if (d.status == "MOD") {
                temps[key];
                a.created = true;
            } else {
                sys.push_back(fmt::format("IEFA107I {} {} - DATA SET {} NOT FOUND", who(s), ddn, temp_name(key)));
                return false;
            }
        }
        a.dsn = temp_name(key);
        sys.push_back(fmt::format("IEF237I 0A80 ALLOCATED TO {}", ddn));
    } else {
        a.type = allocation::kind::dataset;
        a.dsn = d.dsn;
        a.file = path_of(d.dsn);
        if (a.file.empty() || foreign_symlink(a.file)) {
            sys.push_back(fmt::format("IEFA107I {} {} - DATA SET {} NOT FOUND", who(s), ddn, d.dsn));
            return false;
        }
        bool member_ok = false;
        bool there = exists(d.dsn, member_ok);
        auto n = sysplex::parse_dataset_name(d.dsn);
        bool member = n && !n->member.empty();
        if (d.status == "NEW" && there && !member) {
            sys.push_back(fmt::format("IGD17101I DATA SET {} NOT DEFINED BECAUSE DUPLICATE NAME EXISTS IN CATALOG", d.dsn));
            return false;
        }
        if ((d.status == "OLD" || d.status == "SHR") && !there && !(member && member_ok)) {
            sys.push_back(fmt::format("IEFA107I {} {} - DATA SET {} NOT FOUND", who(s), ddn, d.dsn));
            return false;
        }
        if (!there && (d.status == "NEW" || d.status == "MOD")) {
            std::error_code ec;
            fs::create_directories(a.file.parent_path(), ec);
            if (!member) {
                write_lines(a.file, {}, false);
            }
            a.created = true;
        }
        sys.push_back(fmt::format("IEF237I 0A80 ALLOCATED TO {}", ddn));
    }
    for (const auto& c : d.concat) {
        allocation ca;
        if (!allocate(s, c, ca)) {
            return false;
        }
        a.concat.push_back(std::move(ca));
    }
    return true;
}

void job_run::dispose(const job_step& s, allocation& a, bool abnormal) {
    const auto& d = a.dd;
    auto& sys = log.jesysmsg;
    std::string disp = abnormal ? d.abnormal : d.normal;
    switch (a.type) {
    case allocation::kind::sysout:
        sys.push_back(fmt::format("IEF285I   {}.{}.{}.D{:07}.?{:>19}", upper(o.user), log.jobname, log.jobid,
                                  101 + a.sysout, "SYSOUT"));
        break;
    case allocation::kind::temp:
        if (disp == "PASS") {
            passed.insert(a.temp_key);
            sys.push_back(fmt::format("IEF285I   {:<44} PASSED", a.dsn));
        } else {
            temps.erase(a.temp_key);
            passed.erase(a.temp_key);
            sys.push_back(fmt::format("IEF285I   {:<44} DELETED", a.dsn));
        }
        sys.push_back("IEF285I   VOL SER NOS= ZPLX01.");
        break;
    case allocation::kind::dataset: {
        std::error_code ec;
        if (disp == "DELETE") {
            auto n = sysplex::parse_dataset_name(a.dsn);
            if (n && n->member.empty()) {
                fs::remove_all(a.file, ec);
            } else {
                fs::remove(a.file, ec);
            }
            sys.push_back(fmt::format("IEF285I   {:<44} DELETED", a.dsn));
        } else if (disp == "CATLG" && a.created) {
            sys.push_back(fmt::format("IEF285I   {:<44} CATALOGED", a.dsn));
        } else if (disp == "UNCATLG") {
            sys.push_back(fmt::format("IEF285I   {:<44} UNCATALOGED", a.dsn));
        } else if (disp == "PASS") {
            sys.push_back(fmt::format("IEF285I   {:<44} PASSED", a.dsn));
        } else {
            sys.push_back(fmt::format("IEF285I   {:<44} KEPT", a.dsn));
        }
        sys.push_back("IEF285I   VOL SER NOS= ZPLX01.");
        break;
    }
    default:
        break;
    }
    for (auto& c : a.concat) {
        dispose(s, c, abnormal);
    }
}

void job_run::not_run(const job_step& s, step_record::outcome how, const std::string& why) {
    if (!why.empty()) {
        log.jesysmsg.push_back(why);
    }
    log.jesysmsg.push_back(fmt::format("IEF272I {} - STEP WAS NOT EXECUTED.", who(s)));
    step_record r;
    r.name = s.name;
    r.procstep = s.procstep;
    r.pgm = s.pgm;
    r.result = how;
    r.why = why;
    log.steps.push_back(std::move(r));
    step_state st;
    st.name = s.name;
    st.procstep = s.procstep;
    done.push_back(st);
}

void job_run::run_step(const job_step& s) {
    auto& sys = log.jesysmsg;
    auto t0 = o.now();
    double cpu0 = cpu_seconds();
    sys.push_back(fmt::format("IEF236I ALLOC. FOR {}", who(s)));
    std::vector<allocation> allocs;
    std::vector<std::pair<std::string, std::string>> names;
    for (const auto& d : s.dds) {
        allocation a;
        if (!allocate(s, d, a)) {
            // Allocation failed: the step does not run and the job ends with a JCL error.
            for (auto& done_a : allocs) {
                if (done_a.type == allocation::kind::dataset && done_a.created) {
                    std::error_code ec;
                    fs::remove(done_a.file, ec);
                }
            }
            alloc_error = true;
            not_run(s, step_record::outcome::not_run, "");
            return;
        }
        names.emplace_back(d.ddname, a.dd.dsn);
        allocs.push_back(std::move(a));
    }
    dsns.emplace_back(&s, names);
    program_result pr;
    std::vector<std::string> pmsgs;
    auto it = o.programs.find(s.pgm);
    if (it == o.programs.end()) {
        pr.abend = "S806";
        msglg(fmt::format("CSV003I REQUESTED MODULE {} NOT FOUND", s.pgm));
    } else {
        io_impl io(*this, allocs, pmsgs);
        try {
            pr = it->second(s, io);
        } catch (const std::exception& e) {
            pmsgs.push_back(fmt::format("ZPX0520E PROGRAM {} FAILED: {}", s.pgm, e.what()));
            pr.abend = "S0C4";
        }
    }
    for (auto& m : pmsgs) {
        sys.push_back(m);
    }
    step_record r;
    r.name = s.name;
    r.procstep = s.procstep;
    r.pgm = s.pgm;
    step_state st;
    st.name = s.name;
    st.procstep = s.procstep;
    st.ran = true;
    if (!pr.abend.empty()) {
        bool system = pr.abend[0] == 'S';
        std::string code = pr.abend.substr(1);
        std::string reason = pr.abend == "S806" ? "00000004" : "00000000";
        msglg(fmt::format("IEF450I {} - ABEND={} U0000 REASON={}", who(s), system ? pr.abend : "S000", reason));
        sys.push_back(fmt::format("IEF472I {} - COMPLETION CODE - SYSTEM={} USER={} REASON={}", who(s),
                                  system ? code : "000", system ? "0000" : code, reason));
        r.result = step_record::outcome::abended;
        r.abend = pr.abend;
        st.abended = true;
        st.abend = pr.abend;
        abended = true;
        if (log.abend.empty()) {
            log.abend = pr.abend;
        }
    } else {
        pr.rc = std::clamp(pr.rc, 0, 4095);
        sys.push_back(fmt::format("IEF142I {} - STEP WAS EXECUTED - COND CODE {:04}", who(s), pr.rc));
        r.result = step_record::outcome::executed;
        r.rc = pr.rc;
        st.rc = pr.rc;
        log.maxcc = std::max(log.maxcc, pr.rc);
    }
    for (auto& a : allocs) {
        dispose(s, a, !pr.abend.empty());
    }
    // The step's last SYSOUT lines, for JUnit failure text.
    for (const auto& so : log.sysouts) {
        if (so.step == s.name && so.procstep == s.procstep) {
            auto from = so.lines.size() > 10 ? so.lines.size() - 10 : 0;
            r.sysout_tail.insert(r.sysout_tail.end(), so.lines.begin() + static_cast<std::ptrdiff_t>(from), so.lines.end());
        }
    }
    auto t1 = o.now();
    std::string sn = fmt::format("{:<8}", stepname(s));
    sys.push_back(fmt::format("IEF373I STEP/{}/START {}", sn, julian_hhmm(t0)));
    sys.push_back(fmt::format("IEF374I STEP/{}/STOP  {} CPU {} SRB    0MIN 00.00SEC VIRT     4K SYS   256K EXT       0K SYS   10240K",
                              sn, julian_hhmm(t1), cpu_text(cpu_seconds() - cpu0)));
    log.steps.push_back(std::move(r));
    done.push_back(st);
}

/// JESJCL and the converter's messages, the same in every kind of job log.
void convert_logs(job_log& log, const job& j) {
    log.jobname = j.name.empty() ? "NONAME" : j.name;
    log.jesjcl = j.jesjcl;
    bool any = false;
    for (const auto& m : j.messages) {
        if (!any) {
            log.jesysmsg.push_back(" STMT NO. MESSAGE");
            any = true;
        }
        log.jesysmsg.push_back(m.str());
    }
}

}  // namespace

std::optional<std::vector<std::string>> io_impl::read_one(const allocation& a) {
    std::optional<std::vector<std::string>> out;
    switch (a.type) {
    case allocation::kind::dummy:
        out.emplace();
        break;
    case allocation::kind::instream:
        out = a.dd.data;
        break;
    case allocation::kind::temp:
        out = _r.temps[a.temp_key];
        break;
    case allocation::kind::dataset:
    case allocation::kind::path: {
        bool ok = false;
        std::error_code ec;
        if (fs::is_directory(a.file, ec) || foreign_symlink(a.file)) {
            return std::nullopt;
        }
        auto lines = read_lines(a.file, ok);
        if (ok) {
            out = std::move(lines);
        }
        break;
    }
    case allocation::kind::sysout:
        break;
    }
    return out;
}

std::optional<std::vector<std::string>> io_impl::read(const std::string& dd) {
    const auto* a = find(dd);
    if (!a) {
        return std::nullopt;
    }
    auto out = read_one(*a);
    if (!out) {
        return out;
    }
    for (const auto& c : a->concat) {
        auto more = read_one(c);
        if (!more) {
            return std::nullopt;
        }
        out->insert(out->end(), more->begin(), more->end());
    }
    return out;
}

bool io_impl::write(const std::string& dd, const std::vector<std::string>& lines) {
    auto* a = find(dd);
    if (!a) {
        return false;
    }
    bool append = a->opened_output || a->dd.status == "MOD";
    a->opened_output = true;
    switch (a->type) {
    case allocation::kind::dummy:
        return true;
    case allocation::kind::sysout: {
        auto& so = _r.log.sysouts[a->sysout].lines;
        so.insert(so.end(), lines.begin(), lines.end());
        return true;
    }
    case allocation::kind::temp: {
        auto& t = _r.temps[a->temp_key];
        if (!append) {
            t.clear();
        }
        t.insert(t.end(), lines.begin(), lines.end());
        return true;
    }
    case allocation::kind::dataset:
    case allocation::kind::path:
        if (foreign_symlink(a->file)) {
            return false;
        }
        return write_lines(a->file, lines, append);
    case allocation::kind::instream:
        return false;
    }
    return false;
}

std::optional<std::vector<std::string>> io_impl::read_dsn(const std::string& dsn) {
    auto p = _r.path_of(dsn);
    std::error_code ec;
    if (p.empty() || !fs::is_regular_file(p, ec) || foreign_symlink(p)) {
        return std::nullopt;
    }
    bool ok = false;
    auto lines = read_lines(p, ok);
    if (!ok) {
        return std::nullopt;
    }
    return lines;
}

bool io_impl::write_dsn(const std::string& dsn, const std::vector<std::string>& lines, bool replace) {
    auto p = _r.path_of(dsn);
    if (p.empty() || foreign_symlink(p)) {
        return false;
    }
    return write_lines(p, lines, !replace);
}

int io_impl::delete_dsn(const std::string& dsn) {
    auto n = sysplex::parse_dataset_name(dsn);
    if (!n) {
        return 8;
    }
    auto p = _r.o.datasets->path_of(*n);
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(p, ec))) {
        return 8;
    }
    if (n->member.empty()) {
        fs::remove_all(p, ec);
    } else {
        fs::remove(p, ec);
    }
    return ec ? 8 : 0;
}

job_log scan_job(const job& j, const run_options& o) {
    job_log log;
    log.jobid = o.jobid;
    convert_logs(log, j);
    log.scanned = true;
    log.jcl_error = j.jcl_error();
    auto t = hhmmss(o.now());
    if (log.jcl_error) {
        log.jesmsglg.push_back(fmt::format("{} {}  IEFC452I {} - JOB NOT RUN - JCL ERROR", t, log.jobid, log.jobname));
    } else {
        log.jesmsglg.push_back(fmt::format("{} {}  ZPX0530I {} - CONVERTED, {} STEP(S): NOTHING RUN (TYPRUN=SCAN)", t,
                                           log.jobid, log.jobname, j.step_count()));
    }
    return log;
}

job_log run_job(const job& j, const run_options& o) {
    if (j.jcl_error() || j.typrun_scan) {
        auto log = scan_job(j, o);
        if (log.jcl_error) {
            log.jesmsglg.push_back(fmt::format("{} {}  $HASP396 {} TERMINATED", hhmmss(o.now()), log.jobid, log.jobname));
        }
        return log;
    }
    job_run r(j, o);
    r.log.jobid = o.jobid;
    convert_logs(r.log, j);
    r.msglg(fmt::format("$HASP373 {:<8} STARTED - INIT 1    - CLASS {} - SYS {}", r.log.jobname, j.jobclass, o.system));
    r.msglg(fmt::format("IEF403I {} - STARTED - TIME={}", r.log.jobname, r.time()));

    struct if_frame {
        bool parent_active;
        bool value;
        bool in_else;
        bool mentions_abend;
        int stmt;
    };
    std::vector<if_frame> ifs;
    bool job_cond_met = false;
    for (const auto& item : j.items) {
        if (item.type == job_item::kind::if_) {
            bool parent = std::all_of(ifs.begin(), ifs.end(),
                                      [](const if_frame& f) { return f.parent_active && (f.in_else ? !f.value : f.value); });
            bool value = parent && item.cond.evaluate(r.view());
            ifs.push_back({parent, value, false, item.cond.mentions_abend, item.stmt});
            continue;
        }
        if (item.type == job_item::kind::else_) {
            if (!ifs.empty()) {
                ifs.back().in_else = true;
            }
            continue;
        }
        if (item.type == job_item::kind::endif) {
            if (!ifs.empty()) {
                ifs.pop_back();
            }
            continue;
        }
        const job_step& s = item.step;
        if (r.alloc_error) {
            r.not_run(s, step_record::outcome::not_run, "");
            continue;
        }
        // IF/THEN: the innermost false clause names its statement.
        const if_frame* blocking = nullptr;
        for (const auto& f : ifs) {
            if (!(f.in_else ? !f.value : f.value)) {
                blocking = &f;
                break;
            }
        }
        bool abend_ok = std::any_of(ifs.begin(), ifs.end(), [](const if_frame& f) { return f.mentions_abend; });
        if (blocking) {
            r.not_run(s, step_record::outcome::bypassed,
                      fmt::format("IEF206I {} - STEP WAS NOT RUN BECAUSE OF CONDITIONAL EXPRESSION ON STATEMENT {}",
                                  r.who(s), blocking->stmt));
            continue;
        }
        if (job_cond_met) {
            r.not_run(s, step_record::outcome::bypassed,
                      fmt::format("IEF202I {} - STEP WAS NOT RUN BECAUSE OF CONDITION CODES", r.who(s)));
            continue;
        }
        bool even = s.cond && s.cond->even;
        bool only = s.cond && s.cond->only;
        if (r.abended && !even && !only && !abend_ok) {
            r.not_run(s, step_record::outcome::not_run, "");
            continue;
        }
        if (only && !r.abended) {
            r.not_run(s, step_record::outcome::bypassed,
                      fmt::format("IEF202I {} - STEP WAS NOT RUN BECAUSE OF CONDITION CODES", r.who(s)));
            continue;
        }
        if (s.cond && std::any_of(s.cond->tests.begin(), s.cond->tests.end(),
                                  [&](const cond_test& t) { return r.cond_holds(t); })) {
            r.not_run(s, step_record::outcome::bypassed,
                      fmt::format("IEF202I {} - STEP WAS NOT RUN BECAUSE OF CONDITION CODES", r.who(s)));
            continue;
        }
        r.run_step(s);
        if (j.cond && std::any_of(j.cond->tests.begin(), j.cond->tests.end(),
                                  [&](const cond_test& t) { return r.cond_holds(t); })) {
            job_cond_met = true;
        }
    }
    // Temporaries still passed at the end of the job are deleted.
    for (const auto& key : r.passed) {
        if (r.temps.count(key)) {
            r.log.jesysmsg.push_back(fmt::format("IEF285I   {:<44} DELETED", r.temp_name(key)));
            r.log.jesysmsg.push_back("IEF285I   VOL SER NOS= ZPLX01.");
        }
    }
    auto t1 = o.now();
    r.log.jesysmsg.push_back(fmt::format("IEF375I  JOB/{:<8}/START {}", r.log.jobname, julian_hhmm(r.start)));
    r.log.jesysmsg.push_back(fmt::format("IEF376I  JOB/{:<8}/STOP  {} CPU {} SRB    0MIN 00.00SEC", r.log.jobname,
                                         julian_hhmm(t1), cpu_text(0.0)));
    if (r.alloc_error) {
        r.log.jcl_error = true;
        r.msglg(fmt::format("IEF453I {} - JOB FAILED - JCL ERROR - TIME={}", r.log.jobname, r.time()));
        r.msglg(fmt::format("$HASP395 {:<8} ENDED - JCL ERROR", r.log.jobname));
    } else {
        r.msglg(fmt::format("IEF404I {} - ENDED - TIME={}", r.log.jobname, r.time()));
        if (!r.log.abend.empty()) {
            r.msglg(fmt::format("$HASP395 {:<8} ENDED - ABEND={}", r.log.jobname, r.log.abend));
        } else {
            r.msglg(fmt::format("$HASP395 {:<8} ENDED - RC={:04}", r.log.jobname, r.log.maxcc));
        }
    }
    return r.log;
}

}  // namespace zplex::jes
