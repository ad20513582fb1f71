// SPDX-License-Identifier: Apache-2.0
// SETXCF through the operator commands: sysplex-wide (sent to any CF), one truth every
// display agrees on, DUPLEX(DISABLED) respected, re-duplexing after a CF failure, and
// list keys that never move back; the CF's event messages.
#include "cf_plex.hpp"

#include <cstdlib>
#include <set>

namespace zplex::cf {
namespace {

using namespace test;

/// What CF @p cf's D CF lists for EZBDVIPA: "", "SIMPLEX", "DUPLEXED PRIMARY", "DUPLEXED SECONDARY".
std::string listed(const plex& p, const std::string& cf, const std::string& asked_of) {
    auto d = send_command(p.run, asked_of, "D CF,CFNAME=" + cf);
    auto at = d.find("EZBDVIPA");
    if (at == std::string::npos) {
        return "";
    }
    for (const char* r : {"DUPLEXED PRIMARY", "DUPLEXED SECONDARY", "SIMPLEX"}) {
        if (d.find(r, at) == d.find_first_not_of(' ', at + 8)) {
            return r;
        }
    }
    return "?";
}

/// Both CFs' displays of both CFs agree; returns CF01's and CF02's roles.
std::pair<std::string, std::string> agreed(const plex& p, const std::vector<std::string>& up) {
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& asked : up) {
        seen.insert({listed(p, "CF01", asked), listed(p, "CF02", asked)});
    }
    EXPECT_EQ(seen.size(), 1u) << "the CFs disagree";
    return *seen.begin();
}

std::string summary(const plex& p, const std::string& asked) {
    auto d = send_command(p.run, asked, "D XCF,STR");
    auto at = d.find(" EZBDVIPA");
    return at == std::string::npos ? d : d.substr(at, d.find('\n', at) - at);
}

/// Wait (bounded) until @p f holds.
template <class F>
bool eventually(F f) {
    for (int i = 0; i < 2000; ++i) {
        if (f()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return f();
}

TEST(cf_setxcf, every_sequence_leaves_one_truth_and_keys_never_move_back) {
    plex p(policy(true));
    pid_t cf1 = p.start_process("CF01");
    auto& cf2 = p.start("CF02");
    p.serve(cf2);
    ASSERT_TRUE(eventually([&] { return fs::exists(cf_server::socket_path(p.run, "CF01")); }));
    std::vector<std::string> both{"CF01", "CF02"};
    EXPECT_EQ(agreed(p, both), std::make_pair(std::string("DUPLEXED PRIMARY"), std::string("DUPLEXED SECONDARY")));

    auto a = p.connect("A");
    std::uint64_t high = 0;
    auto take = [&] {
        std::uint64_t f = 0;
        auto r = a->take_list_keys(0, 100, f);
        if (r.why == reason::structure_lost) {
            a = p.connect("A");  // repopulate: a new connection to the new structure
            r = a->take_list_keys(0, 100, f);
        }
        EXPECT_TRUE(r) << to_string(r);
        EXPECT_GE(f, high) << "a list key moved back";
        high = f + 100;
    };
    take();

    // STOP sent to the CF that holds only the copy: it is sysplex-wide.
    auto r = send_command(p.run, "CF02", "SETXCF STOP,REBUILD,DUPLEX,STRNAME=EZBDVIPA");
    EXPECT_EQ(r.rfind("IXC571I DUPLEXING FOR STRUCTURE EZBDVIPA STOPPED: KEEPING CF01", 0), 0u) << r;
    EXPECT_EQ(reply_code(r), 0);
    EXPECT_EQ(agreed(p, both), std::make_pair(std::string("SIMPLEX"), std::string("")));
    EXPECT_NE(summary(p, "CF02").find("ALLOCATED IN CF01"), std::string::npos) << summary(p, "CF02");
    take();
    r = send_command(p.run, "CF01", "SETXCF STOP,REBUILD,DUPLEX,STRNAME=EZBDVIPA");
    EXPECT_EQ(reply_code(r), 8) << r;

    // START again (to the primary's CF this time): duplexed again, no "already allocated".
    r = send_command(p.run, "CF01", "SETXCF START,REBUILD,DUPLEX,STRNAME=EZBDVIPA");
    EXPECT_EQ(r.rfind("IXC570I", 0), 0u) << r;
    EXPECT_EQ(agreed(p, both), std::make_pair(std::string("DUPLEXED PRIMARY"), std::string("DUPLEXED SECONDARY")));
    take();
    r = send_command(p.run, "CF02", "SETXCF START,REBUILD,DUPLEX,STRNAME=EZBDVIPA");
    EXPECT_EQ(reply_code(r), 8) << r;  // already duplexed

    // A move sent to CF02, then back sent to CF02 again.
    r = send_command(p.run, "CF02", "SETXCF STOP,REBUILD,DUPLEX,STRNAME=EZBDVIPA,KEEP=NEW");
    EXPECT_NE(r.find("KEEPING CF02"), std::string::npos) << r;
    EXPECT_EQ(agreed(p, both), std::make_pair(std::string(""), std::string("SIMPLEX")));
    take();
    EXPECT_EQ(a->current_cf(), "CF02");
    r = send_command(p.run, "CF02", "SETXCF START,REBUILD,STRNAME=EZBDVIPA");
    EXPECT_NE(r.find("NOW IN CF01"), std::string::npos) << r;
    take();
    EXPECT_EQ(a->current_cf(), "CF01");
    EXPECT_TRUE(p.logged("IXC571I") && p.logged("IXC570I") && p.logged("IXC521I"));
    // A rebuild is no operator stop: DUPLEX(ENABLED) duplexes it again by itself.
    EXPECT_TRUE(eventually([&] { return summary(p, "CF01").find("DUPLEXING") != std::string::npos; }));
    EXPECT_EQ(agreed(p, both), std::make_pair(std::string("DUPLEXED PRIMARY"), std::string("DUPLEXED SECONDARY")));
    take();

    // Operator-simplex in CF01, then CF01 is killed: lost, and CF02, the other CF of its
    // preflist, allocates it anew (empty, every old key carried), as every display says.
    r = send_command(p.run, "CF02", "SETXCF STOP,REBUILD,DUPLEX,STRNAME=EZBDVIPA");
    EXPECT_EQ(reply_code(r), 0) << r;
    EXPECT_EQ(agreed(p, both), std::make_pair(std::string("SIMPLEX"), std::string("")));
    take();
    ::kill(cf1, SIGKILL);
    ::waitpid(cf1, nullptr, 0);
    p.children.clear();
    EXPECT_TRUE(eventually([&] { return summary(p, "CF02").find("ALLOCATED IN CF02") != std::string::npos; }))
        << summary(p, "CF02");
    EXPECT_TRUE(p.logged("IXC522I STRUCTURE EZBDVIPA IN CF01 WAS LOST: ITS CF FAILED WITHOUT A DUPLEX COPY"));
    EXPECT_EQ(listed(p, "CF02", "CF02"), "SIMPLEX");
    take();  // structure lost: connected again, above every old key

    // CF01 comes back: it takes the copy, because the policy says DUPLEX(ENABLED).
    cf1 = p.start_process("CF01");
    ASSERT_TRUE(eventually([&] { return summary(p, "CF02").find("DUPLEXING") != std::string::npos; }))
        << summary(p, "CF02");
    ASSERT_TRUE(eventually([&] { return fs::exists(cf_server::socket_path(p.run, "CF01")); }));
    EXPECT_EQ(agreed(p, both), std::make_pair(std::string("DUPLEXED SECONDARY"), std::string("DUPLEXED PRIMARY")));
    take();
    // The primary back in CF01: the copy kept, then duplexed again from it.
    r = send_command(p.run, "CF02", "SETXCF STOP,REBUILD,DUPLEX,STRNAME=EZBDVIPA,KEEP=NEW");
    EXPECT_NE(r.find("KEEPING CF01"), std::string::npos) << r;
    take();
    r = send_command(p.run, "CF02", "SETXCF START,REBUILD,DUPLEX,STRNAME=EZBDVIPA");
    EXPECT_EQ(r.rfind("IXC570I", 0), 0u) << r;
    EXPECT_EQ(agreed(p, both), std::make_pair(std::string("DUPLEXED PRIMARY"), std::string("DUPLEXED SECONDARY")));
    take();

    // The primary's CF is killed while duplexed: CF02 takes over, nothing moves back.
    ::kill(cf1, SIGKILL);
    ::waitpid(cf1, nullptr, 0);
    p.children.clear();
    EXPECT_TRUE(eventually([&] { return summary(p, "CF02").find("ALLOCATED IN CF02") != std::string::npos; }));
    take();
    EXPECT_EQ(a->current_cf(), "CF02");
    EXPECT_TRUE(p.logged("IXC573I CF CF01 HOLDING THE PRIMARY OF STRUCTURE EZBDVIPA FAILED"));
    EXPECT_EQ(listed(p, "CF02", "CF02"), "SIMPLEX");
}

TEST(cf_setxcf, a_killed_secondary_cf_is_dropped_logged_and_duplexed_again_when_back) {
    plex p(policy(true));
    auto& cf1 = p.start("CF01");
    pid_t cf2 = p.start_process("CF02");
    ASSERT_TRUE(eventually([&] { return cf1.command("D XCF,STR").find("DUPLEXING") != std::string::npos; }));
    auto a = p.connect("A");
    std::uint64_t f = 0;
    ASSERT_TRUE(a->take_list_keys(0, 1000, f));
    ::kill(cf2, SIGKILL);
    ::waitpid(cf2, nullptr, 0);
    p.children.clear();
    cf1.poll();
    EXPECT_TRUE(p.logged("IXC572I DUPLEX PARTNER CF02 OF STRUCTURE EZBDVIPA FAILED"));
    EXPECT_NE(cf1.command("D CF").find("SIMPLEX"), std::string::npos);
    EXPECT_NE(cf1.command("D XCF,STR").find("ALLOCATED IN CF01"), std::string::npos);
    std::uint64_t g = 0;
    ASSERT_TRUE(a->take_list_keys(0, 1, g));
    EXPECT_GE(g, f + 1000);
    p.start_process("CF02");
    ASSERT_TRUE(eventually([&] { return cf1.command("D XCF,STR").find("DUPLEXING") != std::string::npos; }));
    EXPECT_NE(cf1.command("D CF,CFNAME=CF02").find("DUPLEXED SECONDARY"), std::string::npos);
}

TEST(cf_setxcf, duplex_disabled_is_respected) {
    auto s = policy(false);
    s.preflist = {"CF01", "CF02"};
    plex p(s);
    auto& cf1 = p.start("CF01");
    auto& cf2 = p.start("CF02");
    p.serve(cf1);
    p.serve(cf2);
    for (const auto* to : {"CF01", "CF02"}) {
        auto r = send_command(p.run, to, "SETXCF START,REBUILD,DUPLEX,STRNAME=EZBDVIPA");
        EXPECT_NE(r.find("DUPLEX(DISABLED)"), std::string::npos) << r;
        EXPECT_EQ(reply_code(r), 8);
    }
    EXPECT_NE(send_command(p.run, "CF02", "JOIN EZBDVIPA").find("DUPLEX(DISABLED)"), std::string::npos);
#ifdef ZPLEX_BIN
    // The operator's command line: a rejected SETXCF exits 8, a done display 0.
    auto cli = std::string(ZPLEX_BIN) + " cf cmd --run-dir " + p.run.string() + " --cf CF02 ";
    auto code = [](const std::string& c) {
        int st = std::system((c + " >/dev/null 2>&1").c_str());
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    };
    EXPECT_EQ(code(cli + "'SETXCF START,REBUILD,DUPLEX,STRNAME=EZBDVIPA'"), 8);
    EXPECT_EQ(code(cli + "'D XCF,STR'"), 0);
    EXPECT_EQ(code(std::string(ZPLEX_BIN) + " cf cmd --run-dir " + p.run.string() + " --cf CF05 'D CF'"), 12);
#endif
    EXPECT_EQ(send_command(p.run, "CF02", "D CF").find("EZBDVIPA"), std::string::npos);
}

TEST(cf_display, ixc359i_summary_cfname_and_exit_codes) {
    plex p;
    auto& cf = p.start("CF01");
    auto d = cf.command("D XCF,STR");
    EXPECT_EQ(d.rfind("IXC359I", 0), 0u) << d;
    EXPECT_NE(d.find("ALLOCATION TIME"), std::string::npos) << d;
    EXPECT_NE(d.find("ALLOCATED IN CF01"), std::string::npos) << d;
    EXPECT_NE(cf.command("D CF,CFNAME=CF01").find("COUPLING FACILITY CF01"), std::string::npos);
    EXPECT_EQ(cf.command("D CF,CFNAME=CF77").rfind("IXL158I", 0), 0u);
    EXPECT_EQ(reply_code(cf.command("D CF,CFNAME=CF77")), 8);
    EXPECT_EQ(reply_code(cf.command("SETXCF START,REBUILD,STRNAME=NOPE")), 8);
    EXPECT_EQ(reply_code(cf.command("FROB")), 8);
    EXPECT_EQ(reply_code(send_command(p.run, "CF09", "D CF")), 12);
    EXPECT_EQ(reply_code(cf.command("D CF")), 0);
}

}  // namespace
}  // namespace zplex::cf
