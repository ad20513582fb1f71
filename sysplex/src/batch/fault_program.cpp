// SPDX-License-Identifier: Apache-2.0
// ZPXFAULT: faults made on purpose, and the sysplex's reaction waited for. SYSIN:
//   KILL STACK sys [SIGNAL KILL|TERM]   the image's zplex-tcpip, by the PID (and start time) the run recorded
//   KILL JOB proc ON sys [SIGNAL ...]   an AUTOLOG job (APPA ...)
//   KILL CF name [SIGNAL ...]           a coupling facility
//   KILL IKED sys                       the image's IKED (RC 12 on an image without one)
//   KILL IMAGE sys                      the image's Hercules process: the LPAR is gone (a run under Hercules)
//   STOP CPU sys / START CPU sys        the image's CPU at its Hercules console (a run under Hercules)
//   RESTART STACK sys                   start the image's stack again, as `zplex up` started it
//   RESTART IKED sys                    start the image's IKED again (it renegotiates from EZBDVIPA)
//   RESTART CF name                     start a coupling facility again, as `zplex up` started it
//   IPL sys [WAIT s]                    the HMC's LOAD of the image, as `zplex image ipl` (image_ipl.hpp)
//   FILL STRUCTURE str                  every free entry of a list structure taken (list 0, as CONNAME
//                                       ZPXFAULT): its users' next new entry is RC 8 RSN 0812
//   FREE STRUCTURE str                  the entries FILL STRUCTURE wrote deleted again
//   WAIT FOR msgid ['text'] TIMEOUT s   a message of the run's logs since the step began
//   DELAY s                             let s seconds pass
// Every statement is checked for its form before any is carried out. RC as batch.hpp
// says; a KILL of something that does not run is RC 8, an IPL ends as image_ipl.hpp says.
#include "batch.hpp"
#include "../image_ipl.hpp"
#include "../run_support.hpp"

#include <zplex/cf/connector.hpp>
#include <zplex/hercules/image.hpp>
#include <zplex/sysplex/process.hpp>

#include <fmt/format.h>

#include <csignal>
#include <sstream>
#include <thread>

namespace zplex::cli::batch {

namespace {

constexpr const char* name = "ZPXFAULT";

/// Where the optional SIGNAL of a KILL starts (after its object), or 0 when @p w is no KILL form.
std::size_t kill_signal_at(const std::vector<std::string>& w) {
    if (w.size() >= 3 && (w[1] == "STACK" || w[1] == "CF" || w[1] == "IKED" || w[1] == "IMAGE")) return 3;
    if (w.size() >= 5 && w[1] == "JOB" && w[3] == "ON") return 5;
    return 0;
}

struct session {
    console& con;
    report& rep;
    jes::step_io* io;  ///< the job step's (its system messages), or none outside a job
    std::string step;

    bool bad(const sysin_statement& st, const std::string& why) {
        rep.say(fmt::format(" ZPX0603E SYSIN RECORD {} NOT VALID: {}: {}", st.line, why, st.text));
        rep.raise(12);
        return false;
    }
    void fail(const sysin_statement& st, const std::string& what, int rc = 8) {
        ++rep.failed;
        rep.say(fmt::format(" ZPX0632E FAULT NOT MADE (SYSIN RECORD {}): {} - {}", st.line, st.text, what));
        if (io) io->system_message(fmt::format("ZPX0632E {} {} FAULT NOT MADE: {} - {}", step, name, st.text, what));
        rep.raise(rc);
    }

    /// The current record (another zplex may have changed it: a restarted stack).
    void reload() {
        std::string err;
        operating::load_run(con.dir, con.r, err);
    }

    bool kill(const sysin_statement& st) {
        const auto& w = st.words;
        const std::size_t i = kill_signal_at(w);
        std::string kind, who, system;
        if (w[1] == "STACK") kind = "tcpip", system = w[2];
        else if (w[1] == "CF") kind = "cf", who = w[2];
        else if (w[1] == "IKED") kind = "iked", system = w[2];
        else if (w[1] == "IMAGE") kind = "hercules", system = w[2];
        else kind = "autolog", who = w[2], system = w[4];
        const int sig = i < w.size() && w[i + 1] == "TERM" ? SIGTERM : SIGKILL;
        if (!system.empty() && !con.image(system)) return bad(st, "SYSTEM " + system + " IS NOT IN THE SYSPLEX");
        if (kind == "hercules" && !con.r.hercules) {
            fail(st, system + " DOES NOT RUN UNDER HERCULES IN THIS RUN (zplex up --no-hercules)", 12);
            return true;
        }
        reload();
        const operating::run_process* p = nullptr;
        for (const auto& q : con.r.processes)
            if (q.kind == kind && (system.empty() || q.system == system) && (who.empty() || q.name == who) &&
                sysplex::process_alive(q.id))
                p = &q;
        if (!p) {
            fail(st, kind == "iked" ? "NO IKED RUNS ON " + system + " IN THIS RUN"
                                    : fmt::format("NO {} {} RUNS IN THIS RUN", w[1], system.empty() ? who : system),
                 kind == "iked" ? 12 : 8);
            return true;
        }
        auto id = p->id;
        // The identity is checked again right before the signal: a PID used again is not ours.
        if (!sysplex::process_alive(id) || ::kill(id.pid, sig) != 0) {
            fail(st, fmt::format("PID {} IS GONE", id.pid));
            return true;
        }
        bool gone = run::wait_gone({id}, std::chrono::seconds(5));
        rep.say(fmt::format(" ZPX0630I {} {} (PID {}) {} BY SIG{}", kind == "hercules" ? "HERCULES OF" : p->name, p->system, id.pid,
                            gone ? "ENDED" : "DID NOT END IN 5 S", sig == SIGKILL ? "KILL" : "TERM"));
        if (!gone) fail(st, "IT DID NOT END");
        return true;
    }

    bool cpu(const sysin_statement& st) {
        const auto& w = st.words;
        if (!con.image(w[2])) return bad(st, "STOP|START CPU sys, A SYSTEM OF THE SYSPLEX");
        if (!con.r.hercules) {
            fail(st, w[2] + " DOES NOT RUN UNDER HERCULES IN THIS RUN (zplex up --no-hercules)", 12);
            return true;
        }
        std::string cmd = w[0] == "STOP" ? "stop" : "start";
        auto a = hercules::console_command(con.dir / "images" / w[2], cmd);
        if (a.what != hercules::console_answer::status::ok) {
            fail(st, hercules::to_string(a, w[2]), 12);
            return true;
        }
        rep.say(fmt::format(" ZPX0631I {} CPU OF {} {}", w[0] == "STOP" ? "STOPPED" : "STARTED", w[2], "AT ITS HERCULES CONSOLE"));
        return true;
    }

    /// RESTART STACK|IKED sys: the program started again as `zplex up` started it, the
    /// dead one's entry of the record replaced by the new one's. An IKED only where one ran
    /// (the image's policy has a KeyExchangeRule: 12 elsewhere); 8 while it still runs.
    bool restart(const sysin_statement& st) {
        const auto& w = st.words;
        if (w[1] == "CF") return restart_cf(st);
        const auto* im = con.image(w[2]);
        if (!im) return bad(st, "RESTART " + w[1] + " sys, A SYSTEM OF THE SYSPLEX");
        const bool iked = w[1] == "IKED";
        const std::string kind = iked ? "iked" : "tcpip", job = iked ? "IKED" : im->tcpip_proc;
        run::dir_lock lock(con.dir);
        if (!lock.held()) {
            fail(st, "ANOTHER zplex IS CHANGING THE RUN", 12);
            return true;
        }
        reload();
        const operating::run_process* was = con.r.find(kind, im->name);
        if (iked && !was) {
            fail(st, "NO IKED RAN ON " + im->name + " IN THIS RUN", 12);
            return true;
        }
        if (was && sysplex::process_alive(was->id)) {
            fail(st, fmt::format("{} ON {} STILL RUNS (PID {})", job, im->name, was->id.pid), 8);
            return true;
        }
        std::erase_if(con.r.processes,
                      [&](const operating::run_process& p) { return p.kind == kind && p.system == im->name; });
        try {
            if (iked)
                run::start_recorded(con.r, con.dir, kind, job, im->name, run::iked_argv(con.r, con.dir, *im),
                                    con.r.netns_of(im->name)->name, run::iked_log(con.dir, im->name));
            else
                run::start_recorded(con.r, con.dir, kind, job, im->name, run::stack_argv(con.r, con.dir, *im), "",
                                    con.dir / "logs" / (im->name + "." + job + ".log"));
        } catch (const std::exception& e) {
            fail(st, e.what(), 12);
            return true;
        }
        rep.say(fmt::format(" {} {} ON {} STARTED AGAIN (PID {})", iked ? "ZPX0636I" : "ZPX0633I", job, im->name,
                            con.r.find(kind, im->name)->id.pid));
        return true;
    }

    /// RESTART CF name: the coupling facility started again as `zplex up` started it (its
    /// structures are allocated again as their connectors come back; a duplexed one is
    /// duplexed again by SETXCF START,REBUILD,DUPLEX). 8 while it still runs.
    bool restart_cf(const sysin_statement& st) {
        const std::string& cf = st.words[2];
        bool known = false;
        for (const auto& c : con.cat->config().cfs) known = known || c.name == cf;
        if (!known) return bad(st, "RESTART CF name, A CF OF THE SYSPLEX");
        run::dir_lock lock(con.dir);
        if (!lock.held()) {
            fail(st, "ANOTHER zplex IS CHANGING THE RUN", 12);
            return true;
        }
        reload();
        const operating::run_process* was = con.r.find("cf", "", cf);
        if (was && sysplex::process_alive(was->id)) {
            fail(st, fmt::format("CF {} STILL RUNS (PID {})", cf, was->id.pid), 8);
            return true;
        }
        std::erase_if(con.r.processes, [&](const operating::run_process& p) { return p.kind == "cf" && p.name == cf; });
        try {
            run::start_recorded(con.r, con.dir, "cf", cf, "",
                                {run::program_path("zplex-cf").string(), "--sysplex", con.r.sysplex_dir.string(), "--cf",
                                 cf, "--run-dir", (con.dir / "cf").string()},
                                "", con.dir / "logs" / (cf + ".log"));
        } catch (const std::exception& e) {
            fail(st, e.what(), 12);
            return true;
        }
        rep.say(fmt::format(" ZPX0637I CF {} STARTED AGAIN (PID {})", cf, con.r.find("cf", "", cf)->id.pid));
        return true;
    }

    /// FILL|FREE STRUCTURE str: as another connector (CONNAME ZPXFAULT), every free entry
    /// of the structure taken by entries of list 0 (no user's: EZBDVIPA's SA records are
    /// on lists 1 and up), or those entries deleted again.
    bool structure(const sysin_statement& st) {
        const auto& w = st.words;
        const auto& cfg = con.cat->config();
        const auto* s = cfg.find_structure(w[2]);
        if (!s) return bad(st, "STRUCTURE " + w[2] + " IS NOT IN THE CFRM POLICY");
        std::unique_ptr<cf::connector> c;
        auto r = cf::connector::connect({cfg.name, s->name, name, s->preflist}, c);
        if (!r) {
            fail(st, "IXLCONN TO " + s->name + " FAILED: " + cf::to_string(r), 12);
            return true;
        }
        struct disconnect {
            cf::connector& c;
            ~disconnect() { c.disconnect(); }
        } leave{*c};
        constexpr const char* prefix = "ZPXFILL";
        if (w[0] == "FILL") {
            long written = 0;
            for (;; ++written) {
                cf::write_request q;
                q.list = 0;
                q.name = fmt::format("{}{:07}", prefix, written);
                r = c->write(q);
                if (!r) break;
            }
            if (r.why != cf::reason::structure_full && r.why != cf::reason::entry_exists) {
                fail(st, fmt::format("{} ENTRIES WRITTEN, THEN {}", written, cf::to_string(r)), 12);
                return true;
            }
            rep.say(fmt::format(" ZPX0638I {} IS FULL: {} ENTRIES OF {} WRITTEN ON LIST 0 ({})", s->name, written, name,
                                r.why == cf::reason::structure_full ? cf::to_string(r) : "IT WAS FULL ALREADY"));
            return true;
        }
        std::vector<cf::entry> es;
        if (r = c->read_list(0, es); !r) {
            fail(st, "LIST 0 OF " + s->name + " NOT READ: " + cf::to_string(r), 12);
            return true;
        }
        long freed = 0;
        for (const auto& e : es)
            if (e.name.rfind(prefix, 0) == 0 && c->remove(cf::locator::by_name(e.name))) ++freed;
        rep.say(fmt::format(" ZPX0639I {} ENTRIES OF {} DELETED FROM {}", freed, name, s->name));
        return true;
    }

    /// The HMC's LOAD, as `zplex image ipl` makes it; its messages go to SYSPRINT.
    bool ipl(const sysin_statement& st) {
        const auto& w = st.words;
        if (!con.image(w[1])) return bad(st, "IPL sys, A SYSTEM OF THE SYSPLEX");
        run::ipl_options o;
        o.name = w[1];
        o.run_dir = con.dir.string();
        long wait = o.wait_s;
        if (w.size() == 4) number(w[3], 1, 600, wait);
        o.wait_s = static_cast<int>(wait);
        rep.say(fmt::format(" ZPX0634I IPL OF {}{}: THE HMC'S LOAD", w[1], con.r.hercules ? " UNDER ITS HERCULES" : ""));
        std::ostringstream out;
        const int rc = run::ipl_image(o, out);
        std::istringstream lines(out.str());
        for (std::string l; std::getline(lines, l);) rep.say("   " + l);
        reload();  // the new stack and jobs are in the record now
        if (rc == 0 || rc == 4) {
            rep.say(fmt::format(" ZPX0635I {} IPLED{}", w[1], rc ? ": AN AUTOLOG PROCEDURE WAS NOT FOUND (RC 4)" : ""));
            rep.raise(rc);
        } else {
            fail(st, fmt::format("THE IPL OF {} ENDED {}{}", w[1], rc, rc == 8 ? " (REFUSED)" : ""), rc == 8 ? 8 : 12);
        }
        return true;
    }
};

/// The DELAY, WAIT FOR and fault statements' forms (their systems are checked on the sysplex).
std::string form_error(const sysin_statement& st) {
    const auto& w = st.words;
    long n = 0;
    if (w[0] == "KILL") {
        const std::size_t i = kill_signal_at(w);
        if (i == 0) return "KILL STACK sys, KILL JOB proc ON sys, KILL CF name, KILL IKED sys OR KILL IMAGE sys";
        if (w.size() != i && (w.size() != i + 2 || w[i] != "SIGNAL" || (w[i + 1] != "KILL" && w[i + 1] != "TERM")))
            return "ONLY SIGNAL KILL OR SIGNAL TERM MAY FOLLOW";
        return {};
    }
    if (w[0] == "STOP" || w[0] == "START") {
        if (w.size() != 3 || w[1] != "CPU") return w[0] + " CPU sys";
        return {};
    }
    if (w[0] == "RESTART")
        return w.size() == 3 && (w[1] == "STACK" || w[1] == "IKED" || w[1] == "CF") ? "" : "RESTART STACK|IKED sys OR RESTART CF name";
    if (w[0] == "IPL") {
        if (w.size() != 2 && w.size() != 4) return "IPL sys [WAIT s]";
        if (w.size() == 4 && (w[2] != "WAIT" || !number(w[3], 1, 600, n))) return "IPL sys WAIT NEEDS SECONDS, 1-600";
        return {};
    }
    if (w[0] == "FILL" || w[0] == "FREE")
        return w.size() == 3 && w[1] == "STRUCTURE" ? "" : w[0] + " STRUCTURE strname";
    if (w[0] == "DELAY") return w.size() == 2 && number(w[1], 0, 600, n) ? "" : "DELAY NEEDS SECONDS, 0-600";
    if (w[0] == "WAIT") {
        if (w.size() < 5 || w.size() > 6 || w[1] != "FOR" || w[w.size() - 2] != "TIMEOUT")
            return "WAIT FOR msgid ['text'] TIMEOUT s";
        return number(w.back(), 1, 600, n) ? "" : "TIMEOUT NEEDS SECONDS, 1-600";
    }
    return "UNKNOWN STATEMENT (KILL, STOP CPU, START CPU, RESTART STACK|IKED|CF, IPL, FILL|FREE STRUCTURE, WAIT FOR, "
           "DELAY)";
}

jes::program_result zpxfault(const context& c, const jes::job_step& step, jes::step_io& io) {
    report rep;
    rep.say(fmt::format("{}  FAULTS - STEP {}", name, step.name));
    auto stmts = step_statements(io, rep, name);
    if (!stmts) return end_report(io, rep, name);
    for (const auto& st : *stmts) {
        if (auto why = fault_statement_form(st); !why.empty()) {
            rep.say(fmt::format(" ZPX0603E SYSIN RECORD {} NOT VALID: {}: {}", st.line, why, st.text));
            rep.raise(12);
            return end_report(io, rep, name);
        }
    }
    auto con = open_console(c, rep, name);
    if (!con) return end_report(io, rep, name);
    session s{*con, rep, &io, step.name};
    log_watch logs(*con);
    for (const auto& st : *stmts) {
        const auto& w = st.words;
        bool ok = true;
        if (w[0] == "KILL") {
            ok = s.kill(st);
        } else if (w[0] == "STOP" || w[0] == "START") {
            ok = s.cpu(st);
        } else if (w[0] == "RESTART") {
            ok = s.restart(st);
        } else if (w[0] == "IPL") {
            ok = s.ipl(st);
        } else if (w[0] == "FILL" || w[0] == "FREE") {
            ok = s.structure(st);
        } else if (w[0] == "DELAY") {
            long t = 0;
            number(w[1], 0, 600, t);
            std::this_thread::sleep_for(std::chrono::seconds(t));
        } else {  // WAIT FOR
            long t = 0;
            number(w.back(), 1, 600, t);
            ++rep.expectations;
            auto line = logs.wait_for(w[2], w.size() == 6 ? w[3] : "", std::chrono::seconds(t));
            if (line) {
                rep.say(fmt::format(" ZPX0611I EXPECTATION MET: {}", st.text));
                rep.say("   " + *line);
            } else {
                ++rep.failed;
                rep.say(fmt::format(" ZPX0612E EXPECTATION NOT MET (SYSIN RECORD {}): {} - NO {} IN {} S", st.line, st.text,
                                    w[2], t));
                io.system_message(fmt::format("ZPX0612E {} {} EXPECTATION NOT MET: {}", step.name, name, st.text));
                rep.raise(8);
            }
        }
        if (!ok) break;
    }
    return end_report(io, rep, name);
}

}  // namespace

std::string fault_statement_form(const sysin_statement& st) { return st.words.empty() ? "NO STATEMENT" : form_error(st); }

bool make_fault(console& con, const std::string& statement, report& rep) {
    std::vector<sysin_statement> st;
    std::string why;
    if (!read_sysin({statement}, st, why) || st.size() != 1) {
        rep.say(fmt::format(" ZPX0603E SYSIN RECORD 1 NOT VALID: {}: {}", why.empty() ? "ONE STATEMENT" : why, statement));
        rep.raise(12);
        return false;
    }
    const auto& w = st[0].words;
    if (auto bad = fault_statement_form(st[0]); !bad.empty() || w[0] == "WAIT" || w[0] == "DELAY") {
        rep.say(fmt::format(" ZPX0603E SYSIN RECORD 1 NOT VALID: {}: {}", bad.empty() ? "A FAULT, NOT A WAIT" : bad,
                            statement));
        rep.raise(12);
        return false;
    }
    session s{con, rep, nullptr, "FAULTS"};
    const int failed = rep.failed;
    if (w[0] == "KILL") s.kill(st[0]);
    else if (w[0] == "STOP" || w[0] == "START") s.cpu(st[0]);
    else if (w[0] == "RESTART") s.restart(st[0]);
    else if (w[0] == "FILL" || w[0] == "FREE") s.structure(st[0]);
    else s.ipl(st[0]);
    return rep.failed == failed && rep.rc < 12;
}

jes::program fault_program(const context& c) {
    return [c](const jes::job_step& step, jes::step_io& io) { return zpxfault(c, step, io); };
}

std::map<std::string, jes::program> programs(const context& c) {
    return {{"ZPXOPER", operator_program(c)},
            {"ZPXTRAF", traffic_program(c)},
            {"ZPXFAULT", fault_program(c)},
            {"ZPXMATRX", matrix_program(c)}};
}

}  // namespace zplex::cli::batch
