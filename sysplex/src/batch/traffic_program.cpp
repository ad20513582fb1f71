// SPDX-License-Identifier: Apache-2.0
// ZPXTRAF: traffic from a LAN host (or an image) of the run to an address and port. SYSIN:
//   FROM host                          CLIENT1, PEER1, MVS2 ...: its namespace (default: the first LAN host)
//   TO addr|symbol PORT n              198.18.2.1 or DVA1 (a symbol of SYSPLEX.xml)
//   CONNECTIONS n [CONCURRENCY n] [BYTES n] [DURATION s] [TIMEOUT s] [REQUEST n]
//                                      REQUEST: request/response, n bytes answered before the next
//   RUN                                the connections, now
//   START name / COLLECT name          the same in the background while later steps run
//                                      (a fault); COLLECT waits for it and reports
//   EXPECT DIST sys=n|* ...            exactly n (or at least one) connections served by each
//                                      image named, none by any other
//   EXPECT RESETS n / EXPECT FAILED n  connections reset / not completed
// A completed connection whose echo's SHA-256 differs from what it sent is always a
// failure (RC 8). RC as batch.hpp says.
#include "batch.hpp"
#include "traffic.hpp"

#include <fmt/format.h>

#include <arpa/inet.h>

#include <future>
#include <map>
#include <mutex>

namespace zplex::cli::batch {

namespace {

constexpr const char* name = "ZPXTRAF";

std::mutex g_mutex;
struct background {
    traffic_spec spec;
    std::string from;
    std::future<traffic_result> result;
};
std::map<std::string, background> g_background;  ///< [g_mutex] ZPXTRAF START, by name

struct summary {
    std::map<std::string, long> served;  ///< image -> completed connections
    long completed = 0, resets = 0, failed = 0, wrong = 0, bytes = 0;
};

summary summarize(const traffic_result& r) {
    summary s;
    for (const auto& c : r.connections) {
        if (c.reset) ++s.resets;
        if (!c.failed.empty()) {
            ++s.failed;
            continue;
        }
        ++s.completed;
        ++s.served[c.image];
        s.bytes += c.echoed;
        if (!c.digest_ok) ++s.wrong;
    }
    return s;
}

void print(report& rep, const traffic_spec& spec, const std::string& from, const traffic_result& r, const summary& s) {
    rep.say(fmt::format(" ZPX0620I FROM {} TO {}..{}: {} CONNECTION(S), {} AT A TIME, {} BYTES EACH, DURATION {} MS", from,
                        ::inet_ntoa({htonl(spec.address)}), spec.port, spec.connections, spec.concurrency, spec.bytes,
                        spec.duration.count()));
    rep.say(fmt::format("   {:<8} {:>6} {:>12}", "IMAGE", "CONNS", "BYTES"));
    std::map<std::string, long> bytes;
    for (const auto& c : r.connections)
        if (c.failed.empty()) bytes[c.image] += c.echoed;
    for (const auto& [im, n] : s.served) rep.say(fmt::format("   {:<8} {:>6} {:>12}", im, n, bytes[im]));
    std::map<std::string, int> why;
    for (const auto& c : r.connections)
        if (!c.failed.empty()) ++why[c.failed];
    for (const auto& [w, n] : why) rep.say(fmt::format("   {} CONNECTION(S): {}", n, w));
    rep.say(fmt::format(" ZPX0621I {} COMPLETED, {} RESET, {} FAILED, {} SHA-256 MISMATCH(ES), {} BYTES ECHOED IN {:.2f} S",
                        s.completed, s.resets, s.failed, s.wrong, s.bytes, r.seconds));
}

struct session {
    const context& ctx;
    console& con;
    report& rep;
    jes::step_io& io;
    std::string step;
    traffic_spec spec;
    std::string from;
    std::optional<traffic_result> last;
    summary sum;

    bool bad(const sysin_statement& st, const std::string& why) {
        rep.say(fmt::format(" ZPX0603E SYSIN RECORD {} NOT VALID: {}: {}", st.line, why, st.text));
        rep.raise(12);
        return false;
    }
    void fail(const sysin_statement& st, const std::string& what) {
        ++rep.failed;
        rep.say(fmt::format(" ZPX0612E EXPECTATION NOT MET (SYSIN RECORD {}): {} - {}", st.line, st.text, what));
        io.system_message(fmt::format("ZPX0612E {} {} EXPECTATION NOT MET: {}", step, name, st.text));
        rep.raise(8);
    }
    void met(const sysin_statement& st) { rep.say(fmt::format(" ZPX0611I EXPECTATION MET: {}", st.text)); }

    bool namespace_of(const std::string& who) {
        const auto* ns = con.r.netns_of(who);
        if (!ns) return false;
        spec.netns = ns->name;
        from = who;
        return true;
    }

    void take(traffic_result r) {
        if (!r.error.empty()) {
            rep.say(" ZPX0622E " + r.error);
            rep.raise(12);
        }
        sum = summarize(r);
        print(rep, spec, from, r, sum);
        if (sum.wrong > 0) {
            ++rep.failed;
            rep.say(fmt::format(" ZPX0623E {} ECHO(ES) DIFFER FROM WHAT WAS SENT (SHA-256)", sum.wrong));
            io.system_message(fmt::format("ZPX0623E {} {} SHA-256 OF {} ECHO(ES) WRONG", step, name, sum.wrong));
            rep.raise(8);
        }
        last = std::move(r);
    }

    bool expect(const sysin_statement& st) {
        const auto& w = st.words;
        if (!last) take(std::async(std::launch::async, run_traffic, spec).get());
        ++rep.expectations;
        long n = 0;
        if ((w[1] == "RESETS" || w[1] == "FAILED") && w.size() == 3) {
            if (!number(w[2], 0, 1000000, n)) return bad(st, w[1] + " NEEDS A NUMBER");
            long got = w[1] == "RESETS" ? sum.resets : sum.failed;
            if (got == n) met(st);
            else fail(st, fmt::format("{} {}", got, w[1]));
            return true;
        }
        if (w[1] != "DIST" || w.size() < 3) return bad(st, "EXPECT DIST, RESETS OR FAILED");
        std::map<std::string, long> want;  // -1: at least one
        for (std::size_t i = 2; i < w.size(); ++i) {
            auto eq = w[i].find('=');
            if (eq == std::string::npos || eq == 0) return bad(st, "DIST TAKES sys=n OR sys=*");
            std::string v = w[i].substr(eq + 1);
            if (v == "*") n = -1;
            else if (!number(v, 0, 1000000, n)) return bad(st, "DIST TAKES sys=n OR sys=*");
            want[w[i].substr(0, eq)] = n;
        }
        std::string got;
        for (const auto& [im, c] : sum.served) got += fmt::format("{}{}={}", got.empty() ? "" : " ", im, c);
        bool ok = true;
        for (const auto& [im, c] : want) {
            long have = sum.served.count(im) ? sum.served.at(im) : 0;
            ok = ok && (c < 0 ? have > 0 : have == c);
        }
        for (const auto& [im, c] : sum.served) ok = ok && want.count(im) > 0;
        if (ok) met(st);
        else fail(st, "SERVED " + (got.empty() ? std::string("NONE") : got));
        return true;
    }
};

jes::program_result zpxtraf(const context& c, const jes::job_step& step, jes::step_io& io) {
    report rep;
    rep.say(fmt::format("{}  TRAFFIC DRIVER - STEP {}", name, step.name));
    auto stmts = step_statements(io, rep, name);
    if (!stmts) return end_report(io, rep, name);
    auto con = open_console(c, rep, name);
    if (!con) return end_report(io, rep, name);
    session s{c, *con, rep, io, step.name, {}, {}, {}, {}};
    if (con->cat->config().lan && !con->cat->config().lan->hosts.empty())
        s.namespace_of(con->cat->config().lan->hosts.front().name);
    for (const auto& st : *stmts) {
        const auto& w = st.words;
        const std::string& verb = w.front();
        bool ok = true;
        if (verb == "FROM" && w.size() == 2) {
            if (!s.namespace_of(w[1])) ok = s.bad(st, "NO HOST OR IMAGE " + w[1] + " IN THE RUN");
        } else if (verb == "TO" && w.size() == 4 && w[2] == "PORT") {
            long port = 0;
            std::string addr = w[1];
            const auto& syms = con->cat->config().symbols;
            if (auto it = syms.find(addr); it != syms.end()) addr = it->second;
            in_addr a{};
            if (::inet_pton(AF_INET, addr.c_str(), &a) != 1) ok = s.bad(st, w[1] + " IS NEITHER AN IPV4 ADDRESS NOR A SYMBOL");
            else if (!number(w[3], 1, 65535, port)) ok = s.bad(st, "PORT IS 1-65535");
            s.spec.address = ntohl(a.s_addr);
            s.spec.port = static_cast<std::uint16_t>(port);
        } else if (verb == "CONNECTIONS" && w.size() % 2 == 0) {
            for (std::size_t i = 0; ok && i < w.size(); i += 2) {
                long v = 0;
                if (!number(w[i + 1], w[i] == "DURATION" || w[i] == "BYTES" ? 0 : 1, 100000000, v)) {
                    ok = s.bad(st, w[i] + " NEEDS A NUMBER");
                } else if (w[i] == "CONNECTIONS" && v <= 100000) s.spec.connections = v;
                else if (w[i] == "CONCURRENCY" && v <= 1000) s.spec.concurrency = v;
                else if (w[i] == "BYTES" && v <= (64L << 20)) s.spec.bytes = v;
                else if (w[i] == "DURATION" && v <= 600) s.spec.duration = std::chrono::seconds(v);
                else if (w[i] == "TIMEOUT" && v <= 600) s.spec.timeout = std::chrono::seconds(v);
                else if (w[i] == "REQUEST" && v <= 65536) s.spec.request = v;
                else ok = s.bad(st, w[i] + " IS NOT CONNECTIONS (1-100000), CONCURRENCY (1-1000), BYTES (0-64M), DURATION OR TIMEOUT (S, 0-600), REQUEST (1-65536)");
            }
        } else if ((verb == "RUN" && w.size() == 1) || (verb == "START" && w.size() == 2)) {
            if (s.spec.port == 0) {
                ok = s.bad(st, "NO TO addr PORT n BEFORE IT");
            } else if (verb == "RUN") {
                s.take(std::async(std::launch::async, run_traffic, s.spec).get());  // its own thread enters the namespace
            } else {
                std::lock_guard lk(g_mutex);
                if (g_background.count(w[1])) {
                    ok = s.bad(st, "TRAFFIC " + w[1] + " IS ALREADY STARTED");
                } else {
                    g_background[w[1]] = {s.spec, s.from, std::async(std::launch::async, run_traffic, s.spec)};
                    rep.say(fmt::format(" ZPX0624I TRAFFIC {} STARTED FROM {}: {} CONNECTION(S), DURATION {} MS", w[1],
                                        s.from, s.spec.connections, s.spec.duration.count()));
                }
            }
        } else if (verb == "COLLECT" && w.size() == 2) {
            background b;
            {
                std::lock_guard lk(g_mutex);
                auto it = g_background.find(w[1]);
                if (it != g_background.end()) {
                    b = std::move(it->second);
                    g_background.erase(it);
                }
            }
            if (!b.result.valid()) {
                ok = s.bad(st, "NO TRAFFIC " + w[1] + " WAS STARTED");
            } else {
                rep.say(fmt::format(" ZPX0625I TRAFFIC {} COLLECTED", w[1]));
                s.spec = b.spec;
                s.from = b.from;
                s.take(b.result.get());
            }
        } else if (verb == "EXPECT" && w.size() >= 2) {
            if (s.spec.port == 0) ok = s.bad(st, "NO TO addr PORT n BEFORE IT");
            else ok = s.expect(st);
        } else {
            ok = s.bad(st, "UNKNOWN STATEMENT (FROM, TO, CONNECTIONS, RUN, START, COLLECT, EXPECT)");
        }
        if (!ok) break;
    }
    return end_report(io, rep, name);
}

}  // namespace

jes::program traffic_program(const context& c) {
    return [c](const jes::job_step& step, jes::step_io& io) { return zpxtraf(c, step, io); };
}

void finish_background() {
    std::map<std::string, background> left;
    {
        std::lock_guard lk(g_mutex);
        left.swap(g_background);
    }
    for (auto& [n, b] : left) b.result.wait();
}

}  // namespace zplex::cli::batch
