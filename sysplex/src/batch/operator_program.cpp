// SPDX-License-Identifier: Apache-2.0
// ZPXOPER: operator commands from a job. SYSIN:
//   SYSTEM name                         the console's system for what follows (default: the first image)
//   COMMAND 'text'                      issued through the console's routing; the response to SYSPRINT
//   USS 'ipsec -y display -s'           a z/OS UNIX command on the system (console.hpp: uss)
//   EXPECT 'a' ['b' ...] [WITHIN s]     a response line holds every string; WITHIN: the command is
//                                       issued again every 500 ms until it does, for at most s seconds
//   EXPECT NOT 'a' ['b' ...] [WITHIN s] no response line holds them all
//   EXPECT COUNT n 'a' [...] [WITHIN s] exactly n response lines hold them all
//   EXPECT RC n                         the command's own code (0 answered, 8 refused, 12 no answer)
//   WAIT FOR msgid ['text'] TIMEOUT s   a message of the sysplex's logs since the step began
// RC: 0; 4 a command was refused and no EXPECT RC looked at it; 8 an expectation failed;
// 12 a statement it cannot read or no running sysplex; 16 no SYSIN/SYSPRINT.
#include "batch.hpp"

#include <fmt/format.h>

#include <sstream>
#include <thread>

namespace zplex::cli::batch {

namespace {

constexpr const char* name = "ZPXOPER";

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string l;
    while (std::getline(in, l)) out.push_back(l);
    return out;
}

/// How many lines of @p lines hold every one of @p needles.
int matching(const std::vector<std::string>& lines, const std::vector<std::string>& needles) {
    int n = 0;
    for (const auto& l : lines) {
        bool all = true;
        for (const auto& w : needles) all = all && l.find(w) != std::string::npos;
        n += all ? 1 : 0;
    }
    return n;
}

std::string quoted_list(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& w : v) s += (s.empty() ? "'" : " '") + w + "'";
    return s;
}

struct session {
    console con;
    report& rep;
    jes::step_io& io;
    std::string step;
    std::string system;
    std::string last_command;
    std::vector<std::string> last;  ///< the last response's lines
    int last_rc = 0;
    bool rc_checked = true;

    bool uss = false;  ///< the last command is a z/OS UNIX one

    void issue(const std::string& text, bool print) {
        auto a = uss ? con.uss(text, system) : con.command(text, system);
        last = split_lines(a.text);
        last_rc = a.rc;
        if (print) {
            rep.say(fmt::format(" ZPX0610I {} {}: {}", system, a.rc == 0 ? "COMMAND" : "COMMAND REFUSED", text));
            for (const auto& l : last) rep.say("   " + l);
        }
    }

    void fail(const sysin_statement& st, const std::string& what) {
        ++rep.failed;
        rep.say(fmt::format(" ZPX0612E EXPECTATION NOT MET (SYSIN RECORD {}): {}{}", st.line, st.text,
                            what.empty() ? "" : " - " + what));
        io.system_message(fmt::format("ZPX0612E {} {} EXPECTATION NOT MET: {}", step, name, st.text));
        rep.raise(8);
    }

    void met(const sysin_statement& st) { rep.say(fmt::format(" ZPX0611I EXPECTATION MET: {}", st.text)); }

    bool bad(const sysin_statement& st, const std::string& why) {
        rep.say(fmt::format(" ZPX0603E SYSIN RECORD {} NOT VALID: {}: {}", st.line, why, st.text));
        rep.raise(12);
        return false;
    }

    bool expect(const sysin_statement& st) {
        const auto& w = st.words;
        ++rep.expectations;
        if (w.size() == 3 && w[1] == "RC" && !st.quoted[1]) {
            long n = 0;
            if (!number(w[2], 0, 4095, n)) return bad(st, "RC NEEDS A NUMBER");
            rc_checked = true;
            if (last_rc == n) met(st);
            else fail(st, fmt::format("THE COMMAND ENDED {}", last_rc));
            return true;
        }
        std::size_t i = 1;
        bool negate = false;
        long count = -1;
        if (i < w.size() && !st.quoted[i] && w[i] == "NOT") {
            negate = true;
            ++i;
        } else if (i + 1 < w.size() && !st.quoted[i] && w[i] == "COUNT") {
            if (!number(w[i + 1], 0, 100000, count)) return bad(st, "COUNT NEEDS A NUMBER");
            i += 2;
        }
        std::vector<std::string> needles;
        long within = 0;
        for (; i < w.size(); ++i) {
            if (st.quoted[i]) {
                needles.push_back(w[i]);
            } else if (w[i] == "WITHIN" && i + 1 < w.size()) {
                if (!number(w[++i], 1, 600, within)) return bad(st, "WITHIN NEEDS SECONDS, 1-600");
            } else {
                return bad(st, "'" + w[i] + "' IS NEITHER A QUOTED STRING NOR WITHIN");
            }
        }
        if (needles.empty()) return bad(st, "EXPECT NEEDS A QUOTED STRING");
        if (last_command.empty()) return bad(st, "NO COMMAND WAS ISSUED BEFORE IT");
        auto holds = [&] {
            int n = matching(last, needles);
            return count >= 0 ? n == count : negate ? n == 0 : n > 0;
        };
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(within);
        bool ok = holds();
        int tries = 1;
        while (!ok && std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            issue(last_command, false);
            ++tries;
            ok = holds();
        }
        if (tries > 1) {
            rep.say(fmt::format(" ZPX0613I {} ISSUED {} TIMES; THE LAST RESPONSE:", last_command, tries));
            for (const auto& l : last) rep.say("   " + l);
        }
        if (ok) met(st);
        else fail(st, count >= 0 ? fmt::format("{} LINE(S) HOLD {}", matching(last, needles), quoted_list(needles))
                                 : negate ? "A LINE HOLDS " + quoted_list(needles)
                                          : "NO LINE HOLDS " + quoted_list(needles));
        return true;
    }
};

jes::program_result zpxoper(const context& c, const jes::job_step& step, jes::step_io& io) {
    report rep;
    rep.say(fmt::format("{}  OPERATOR COMMANDS - STEP {}", name, step.name));
    auto stmts = step_statements(io, rep, name);
    if (!stmts) return end_report(io, rep, name);
    auto con = open_console(c, rep, name);
    if (!con) return end_report(io, rep, name);
    session s{std::move(*con), rep, io, step.name, {}, {}, {}, 0, true};
    s.system = s.con.systems.front();
    log_watch logs(s.con);
    rep.say(fmt::format(" ZPX0614I SYSPLEX {} RUN {}", s.con.r.sysplex, s.con.dir.string()));
    for (const auto& st : *stmts) {
        const auto& w = st.words;
        const std::string& verb = w.front();
        if (verb == "SYSTEM" && w.size() == 2) {
            if (!s.con.image(w[1])) {
                s.bad(st, "SYSTEM " + w[1] + " IS NOT IN SYSPLEX " + s.con.r.sysplex);
                break;
            }
            s.system = w[1];
        } else if ((verb == "COMMAND" || verb == "CMD" || verb == "USS") && w.size() == 2 && st.quoted[1]) {
            if (!s.rc_checked && s.last_rc != 0) rep.raise(4);
            s.uss = verb == "USS";
            s.last_command = w[1];
            s.issue(w[1], true);
            s.rc_checked = false;
        } else if (verb == "EXPECT" && w.size() >= 2) {
            if (!s.expect(st)) break;
        } else if (verb == "WAIT" && w.size() >= 5 && w[1] == "FOR" && w[w.size() - 2] == "TIMEOUT" &&
                   w.size() <= 6) {
            long t = 0;
            if (!number(w.back(), 1, 600, t)) {
                s.bad(st, "TIMEOUT NEEDS SECONDS, 1-600");
                break;
            }
            ++rep.expectations;
            std::string text = w.size() == 6 ? w[3] : "";
            auto line = logs.wait_for(w[2], text, std::chrono::seconds(t));
            if (line) {
                s.met(st);
                rep.say("   " + *line);
            } else {
                s.fail(st, fmt::format("NO {} IN {} S", w[2], t));
            }
        } else {
            s.bad(st, "UNKNOWN STATEMENT (SYSTEM, COMMAND, USS, EXPECT, WAIT FOR)");
            break;
        }
    }
    if (!s.rc_checked && s.last_rc != 0) rep.raise(4);
    return end_report(io, rep, name);
}

}  // namespace

jes::program operator_program(const context& c) {
    return [c](const jes::job_step& step, jes::step_io& io) { return zpxoper(c, step, io); };
}

}  // namespace zplex::cli::batch
