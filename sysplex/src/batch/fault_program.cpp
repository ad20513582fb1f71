// SPDX-License-Identifier: Apache-2.0
// ZPXFAULT: faults made on purpose, and the sysplex's reaction waited for. SYSIN:
//   KILL STACK sys [SIGNAL KILL|TERM]   the image's zplex-tcpip, by the PID (and start time) the run recorded
//   KILL JOB proc ON sys [SIGNAL ...]   an AUTOLOG job (APPA ...)
//   KILL CF name [SIGNAL ...]           a coupling facility
//   KILL IKED sys                       the image's IKED (none runs in a run of `zplex up` yet: RC 12)
//   STOP CPU sys / START CPU sys        the image's CPU at its Hercules console (a run under Hercules)
//   RESTART STACK sys                   start the image's stack again, as `zplex up` started it
//   WAIT FOR msgid ['text'] TIMEOUT s   a message of the run's logs since the step began
//   DELAY s                             let s seconds pass
// RC as batch.hpp says; a KILL of something that does not run is RC 8.
#include "batch.hpp"
#include "../run_support.hpp"

#include <zplex/hercules/image.hpp>
#include <zplex/sysplex/process.hpp>

#include <fmt/format.h>

#include <csignal>
#include <thread>

namespace zplex::cli::batch {

namespace {

constexpr const char* name = "ZPXFAULT";

struct session {
    console& con;
    report& rep;
    jes::step_io& io;
    std::string step;

    bool bad(const sysin_statement& st, const std::string& why) {
        rep.say(fmt::format(" ZPX0603E SYSIN RECORD {} NOT VALID: {}: {}", st.line, why, st.text));
        rep.raise(12);
        return false;
    }
    void fail(const sysin_statement& st, const std::string& what, int rc = 8) {
        ++rep.failed;
        rep.say(fmt::format(" ZPX0632E FAULT NOT MADE (SYSIN RECORD {}): {} - {}", st.line, st.text, what));
        io.system_message(fmt::format("ZPX0632E {} {} FAULT NOT MADE: {} - {}", step, name, st.text, what));
        rep.raise(rc);
    }

    /// The current record (another zplex may have changed it: a restarted stack).
    void reload() {
        std::string err;
        operating::load_run(con.dir, con.r, err);
    }

    bool kill(const sysin_statement& st) {
        const auto& w = st.words;
        std::size_t i = 3;
        std::string kind, who, system;
        if (w[1] == "STACK") {
            kind = "tcpip", system = w[2];
        } else if (w[1] == "CF") {
            kind = "cf", who = w[2];
        } else if (w[1] == "IKED") {
            kind = "iked", system = w[2];
        } else if (w[1] == "JOB" && w.size() >= 5 && w[3] == "ON") {
            kind = "autolog", who = w[2], system = w[4];
            i = 5;
        } else {
            return bad(st, "KILL STACK, JOB, CF OR IKED");
        }
        int sig = SIGKILL;
        if (i + 1 < w.size() + 1 && i < w.size()) {
            if (w.size() != i + 2 || w[i] != "SIGNAL" || (w[i + 1] != "KILL" && w[i + 1] != "TERM"))
                return bad(st, "ONLY SIGNAL KILL OR SIGNAL TERM MAY FOLLOW");
            sig = w[i + 1] == "KILL" ? SIGKILL : SIGTERM;
        }
        if (!system.empty() && !con.image(system)) return bad(st, "SYSTEM " + system + " IS NOT IN THE SYSPLEX");
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
        rep.say(fmt::format(" ZPX0630I {} {} (PID {}) {} BY SIG{}", p->name, p->system, id.pid,
                            gone ? "ENDED" : "DID NOT END IN 5 S", sig == SIGKILL ? "KILL" : "TERM"));
        if (!gone) fail(st, "IT DID NOT END");
        return true;
    }

    bool cpu(const sysin_statement& st) {
        const auto& w = st.words;
        if (w.size() != 3 || !con.image(w[2])) return bad(st, "STOP|START CPU sys, A SYSTEM OF THE SYSPLEX");
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

    bool restart(const sysin_statement& st) {
        const auto& w = st.words;
        if (w.size() != 3 || w[1] != "STACK" || !con.image(w[2])) return bad(st, "RESTART STACK sys");
        const auto* im = con.image(w[2]);
        run::dir_lock lock(con.dir);
        if (!lock.held()) {
            fail(st, "ANOTHER zplex IS CHANGING THE RUN", 12);
            return true;
        }
        reload();
        if (const auto* p = con.r.find("tcpip", im->name); p && sysplex::process_alive(p->id)) {
            fail(st, fmt::format("{} ON {} STILL RUNS (PID {})", im->tcpip_proc, im->name, p->id.pid), 8);
            return true;
        }
        // The dead stack's entry goes, so the record names the new one.
        std::erase_if(con.r.processes, [&](const operating::run_process& p) {
            return p.kind == "tcpip" && p.system == im->name;
        });
        try {
            run::start_recorded(con.r, con.dir, "tcpip", im->tcpip_proc, im->name, run::stack_argv(con.r, con.dir, *im), "",
                                con.dir / "logs" / (im->name + "." + im->tcpip_proc + ".log"));
        } catch (const std::exception& e) {
            fail(st, e.what(), 12);
            return true;
        }
        rep.say(fmt::format(" ZPX0633I {} ON {} STARTED AGAIN (PID {})", im->tcpip_proc, im->name,
                            con.r.find("tcpip", im->name)->id.pid));
        return true;
    }
};

jes::program_result zpxfault(const context& c, const jes::job_step& step, jes::step_io& io) {
    report rep;
    rep.say(fmt::format("{}  FAULTS - STEP {}", name, step.name));
    auto stmts = step_statements(io, rep, name);
    if (!stmts) return end_report(io, rep, name);
    auto con = open_console(c, rep, name);
    if (!con) return end_report(io, rep, name);
    session s{*con, rep, io, step.name};
    log_watch logs(*con);
    for (const auto& st : *stmts) {
        const auto& w = st.words;
        bool ok = true;
        if (w[0] == "KILL" && w.size() >= 3) {
            ok = s.kill(st);
        } else if ((w[0] == "STOP" || w[0] == "START") && w.size() >= 2 && w[1] == "CPU") {
            ok = s.cpu(st);
        } else if (w[0] == "RESTART") {
            ok = s.restart(st);
        } else if (w[0] == "DELAY" && w.size() == 2) {
            long t = 0;
            if (!number(w[1], 0, 600, t)) ok = s.bad(st, "DELAY NEEDS SECONDS, 0-600");
            else std::this_thread::sleep_for(std::chrono::seconds(t));
        } else if (w[0] == "WAIT" && w.size() >= 5 && w.size() <= 6 && w[1] == "FOR" && w[w.size() - 2] == "TIMEOUT") {
            long t = 0;
            if (!number(w.back(), 1, 600, t)) {
                ok = s.bad(st, "TIMEOUT NEEDS SECONDS, 1-600");
            } else {
                ++rep.expectations;
                auto line = logs.wait_for(w[2], w.size() == 6 ? w[3] : "", std::chrono::seconds(t));
                if (line) {
                    rep.say(fmt::format(" ZPX0611I EXPECTATION MET: {}", st.text));
                    rep.say("   " + *line);
                } else {
                    ++rep.failed;
                    rep.say(fmt::format(" ZPX0612E EXPECTATION NOT MET (SYSIN RECORD {}): {} - NO {} IN {} S", st.line,
                                        st.text, w[2], t));
                    io.system_message(fmt::format("ZPX0612E {} {} EXPECTATION NOT MET: {}", step.name, name, st.text));
                    rep.raise(8);
                }
            }
        } else {
            ok = s.bad(st, "UNKNOWN STATEMENT (KILL, STOP CPU, START CPU, RESTART STACK, WAIT FOR, DELAY)");
        }
        if (!ok) break;
    }
    return end_report(io, rep, name);
}

}  // namespace

jes::program fault_program(const context& c) {
    return [c](const jes::job_step& step, jes::step_io& io) { return zpxfault(c, step, io); };
}

std::map<std::string, jes::program> programs(const context& c) {
    return {{"ZPXOPER", operator_program(c)}, {"ZPXTRAF", traffic_program(c)}, {"ZPXFAULT", fault_program(c)}};
}

}  // namespace zplex::cli::batch
