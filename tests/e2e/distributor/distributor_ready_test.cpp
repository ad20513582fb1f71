// SPDX-License-Identifier: Apache-2.0
// Which targets get new connections, with real processes in namespaces: HOTSTANDBY
// switching away from a failed preferred target and back, DVB1 (DESTIP ALL) skipping the
// image whose server stopped, and QUIESCE/RESUME on a target. The servers are zplex-app
// (MVS5's DVB1 server is stock socat); the clients are real Linux sockets in two client
// namespaces; each batch is checked connection by connection against the model of
// docs/distributor.md's rules, and against the distributor's VDPT.
#include "dist_e2e.hpp"

#include <csignal>

namespace zplex::e2e::dist {
namespace {

std::string batch_text(const std::vector<dist_connection>& cs) {
    std::string s;
    for (const auto& c : cs) s += c.server + " ";
    return s;
}

/// Connections from the two clients, one after the other, not held; their servers.
std::vector<dist_connection> batch(stack_plex& plex, const std::string& address, int count, int first,
                                   const std::string& tag) {
    dist_clients k(plan(plex, address, count, first, false), plex.dir, tag);
    auto r = k.finish(60s);
    EXPECT_TRUE(r.ok()) << k.report();
    auto cs = k.connections();
    EXPECT_EQ(opened_ok(cs), count) << k.report();
    return cs;
}

std::vector<std::string> all_of(const std::string& sys, int n) { return std::vector<std::string>(static_cast<std::size_t>(n), sys); }

/// Poll until the VDPT of @p dest on @p on flags @p sys as the active HOTSTANDBY target.
bool wait_active(const stack_plex& plex, const std::string& on, const std::string& dest, const std::string& sys) {
    for (int t = 0; t < 400; ++t) {
        auto rows = vdpt_rows(plex.control(on, "NETSTAT VDPT"), dest);
        if (rows.count(xcf_of(sys)) && rows[xcf_of(sys)].active_flag) return true;
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

TEST(distributor_e2e, hot_standby_leaves_the_failed_preferred_target_and_switches_back) {
    ZPLEX_E2E_NEEDS_NAMESPACES();
    stack_plex plex("hs");
    std::map<std::string, child_process> apps;
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) apps[sys] = plex.app(sys);
    auto stacks = start_stacks(plex, {"MVS1"}, {"MVS2", "MVS4"});
    // FIG4's OBEYDIST: DVA1 HOTSTANDBY, MVS2 preferred, MVS4 backup 100, MVS1 backup 50.
    for (const char* sys : {"MVS1", "MVS2"})
        EXPECT_NE(plex.control(sys, "V TCPIP,TCPIPA,OBEYFILE,SYS1.TCPPARMS(OBEYDIST)")
                      .find("EZZ0053I COMMAND VARY OBEY COMPLETED SUCCESSFULLY"),
                  std::string::npos);
    ASSERT_TRUE(wait_ready(plex, "MVS1", dva1_60, {{"MVS1", 1}, {"MVS2", 1}, {"MVS4", 1}}))
        << plex.control("MVS1", "NETSTAT VDPT");
    ASSERT_TRUE(wait_active(plex, "MVS1", dva1_60, "MVS2")) << plex.control("MVS1", "NETSTAT VDPT");
    EXPECT_EQ(servers(batch(plex, dva1, 6, 0, "a")), all_of("MVS2", 6));

    // The preferred target's server stops: its ready count falls to 0, MVS4 (the backup
    // with the best rank) gets the new connections.
    apps["MVS2"].terminate(5s);
    ASSERT_TRUE(wait_ready(plex, "MVS1", dva1_60, {{"MVS2", 0}})) << plex.control("MVS1", "NETSTAT VDPT");
    ASSERT_TRUE(wait_active(plex, "MVS1", dva1_60, "MVS4")) << plex.control("MVS1", "NETSTAT VDPT");
    EXPECT_EQ(servers(batch(plex, dva1, 6, 6, "b")), all_of("MVS4", 6));
    // It comes back: AUTOSWITCHBACK.
    apps["MVS2"] = plex.app("MVS2", "-again");
    ASSERT_TRUE(wait_ready(plex, "MVS1", dva1_60, {{"MVS2", 1}})) << plex.control("MVS1", "NETSTAT VDPT");
    ASSERT_TRUE(wait_active(plex, "MVS1", dva1_60, "MVS2")) << plex.control("MVS1", "NETSTAT VDPT");
    EXPECT_EQ(servers(batch(plex, dva1, 6, 12, "c")), all_of("MVS2", 6));

    // The preferred target's stack dies: MVS4 again, and connections held there live
    // on when MVS2 returns and takes the new ones back.
    ::kill(stacks["MVS2"].pid(), SIGKILL);
    stacks["MVS2"].wait(5s);
    ASSERT_TRUE(wait_active(plex, "MVS1", dva1_60, "MVS4")) << plex.control("MVS1", "NETSTAT VDPT");
    dist_clients held(plan(plex, dva1, 6, 18, true), plex.dir, "d");
    ASSERT_TRUE(held.wait_opened(30s)) << held.report();
    EXPECT_EQ(servers(held.connections()), all_of("MVS4", 6)) << held.report();
    stacks["MVS2"] = plex.start("MVS2", {}, "-again");
    ASSERT_TRUE(plex.wait_log("MVS2", "EZD1214I", 20s, "-again")) << plex.log("MVS2", "-again");
    ASSERT_TRUE(wait_ready(plex, "MVS1", dva1_60, {{"MVS2", 1}})) << plex.control("MVS1", "NETSTAT VDPT");
    ASSERT_TRUE(wait_active(plex, "MVS1", dva1_60, "MVS2")) << plex.control("MVS1", "NETSTAT VDPT");
    EXPECT_EQ(servers(batch(plex, dva1, 6, 24, "e")), all_of("MVS2", 6));
    EXPECT_TRUE(held.finish(30s).ok()) << held.report();
    EXPECT_EQ(closed_ok(held.connections()), 6) << held.report();
    auto vdpt = vdpt_rows(plex.control("MVS1", "NETSTAT VDPT"), dva1_60);
    EXPECT_EQ(vdpt[xcf_of("MVS4")].total, 12u);
    EXPECT_EQ(vdpt[xcf_of("MVS1")].total, 0u);
    for (auto& [sys, a] : apps) a.terminate(5s);
    for (auto& [sys, s] : stacks) EXPECT_EQ(s.terminate(5s).status, 0) << sys;
}

TEST(distributor_e2e, destip_all_gives_no_new_connection_to_the_image_whose_server_stopped) {
    ZPLEX_E2E_NEEDS_NAMESPACES();
    stack_plex plex("all");
    // DVB1 198.18.2.2: MVS5 distributes it ROUNDROBIN to every stack of the group. Every
    // image has a server on port 60: zplex-app, and on MVS5 a stock socat echo.
    std::map<std::string, child_process> apps;
    for (const char* sys : {"MVS1", "MVS2", "MVS3", "MVS4"}) apps[sys] = plex.app(sys);
    auto socat = child_process::exec({"socat", "TCP4-LISTEN:60,reuseaddr,fork", "PIPE"}, plex.image("MVS5").name(),
                                     plex.dir / "socat.log");
    auto stacks = start_stacks(plex, {"MVS1", "MVS5"}, {"MVS2", "MVS3", "MVS4"});
    const std::map<std::string, int> all_ready{{"MVS1", 1}, {"MVS2", 1}, {"MVS3", 1}, {"MVS4", 1}, {"MVS5", 1}};
    ASSERT_TRUE(wait_ready(plex, "MVS5", dvb1_60, all_ready)) << plex.control("MVS5", "NETSTAT VDPT");
    EXPECT_EQ(vdpt_rows(plex.control("MVS5", "NETSTAT VDPT"), dvb1_60).size(), 5u);

    // MVS3's server stops: its ready count is 0, and it gets nothing.
    apps["MVS3"].terminate(5s);
    ASSERT_TRUE(wait_ready(plex, "MVS5", dvb1_60, {{"MVS3", 0}})) << plex.control("MVS5", "NETSTAT VDPT");
    round_robin_model rr{{"MVS1", "MVS2", "MVS3", "MVS4", "MVS5"}};
    std::set<std::string> without3{"MVS1", "MVS2", "MVS4", "MVS5"};
    std::vector<std::string> predicted;
    for (int i = 0; i < 40; ++i) predicted.push_back(rr.next(without3));
    for (auto& s : predicted)
        if (s == "MVS5") s = "-";  // socat says nothing of itself: it only echoes
    auto cs = batch(plex, dvb1, 40, 0, "a");
    EXPECT_EQ(servers(cs), predicted) << batch_text(cs);
    auto vdpt = vdpt_rows(plex.control("MVS5", "D TCPIP,,NETSTAT,VDPT"), dvb1_60);
    EXPECT_EQ(vdpt[xcf_of("MVS3")].total, 0u);
    EXPECT_EQ(vdpt[xcf_of("MVS3")].ready, 0);
    for (const char* sys : {"MVS1", "MVS2", "MVS4", "MVS5"}) EXPECT_EQ(vdpt[xcf_of(sys)].total, 10u) << sys;
    EXPECT_TRUE(accepted_by_app(file_text(plex.app_log_path("MVS3"))).empty());

    // Its server returns: MVS3 is ready again and round robin takes it in.
    apps["MVS3"] = plex.app("MVS3", "-again");
    ASSERT_TRUE(wait_ready(plex, "MVS5", dvb1_60, all_ready)) << plex.control("MVS5", "NETSTAT VDPT");
    predicted.clear();
    for (int i = 0; i < 10; ++i) predicted.push_back(rr.next({"MVS1", "MVS2", "MVS3", "MVS4", "MVS5"}));
    for (auto& s : predicted)
        if (s == "MVS5") s = "-";
    cs = batch(plex, dvb1, 10, 40, "b");
    EXPECT_EQ(servers(cs), predicted) << batch_text(cs);
    EXPECT_EQ(accepted_by_app(file_text(plex.app_log_path("MVS3", "-again"))).size(), 2u);
    for (auto& [sys, a] : apps) a.terminate(5s);
    socat.terminate(5s);
    for (auto& [sys, s] : stacks) EXPECT_EQ(s.terminate(5s).status, 0) << sys;
}

TEST(distributor_e2e, quiesce_and_resume_on_targets_stop_and_restart_new_connections_only) {
    ZPLEX_E2E_NEEDS_NAMESPACES();
    stack_plex plex("qr");
    std::map<std::string, child_process> apps;
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) apps[sys] = plex.app(sys);
    auto stacks = start_stacks(plex, {"MVS1"}, {"MVS2", "MVS4"});
    ASSERT_TRUE(wait_ready(plex, "MVS1", dva1_60, {{"MVS1", 1}, {"MVS2", 1}, {"MVS4", 1}}))
        << plex.control("MVS1", "NETSTAT VDPT");
    round_robin_model rr{{"MVS1", "MVS2", "MVS4"}};
    auto predict = [&](int n, const std::set<std::string>& eligible) {
        std::vector<std::string> out;
        for (int i = 0; i < n; ++i) out.push_back(rr.next(eligible));
        return out;
    };
    // 30 connections held through everything below.
    dist_clients held(plan(plex, dva1, 30, 0, true), plex.dir, "held");
    ASSERT_TRUE(held.wait_opened(30s)) << held.report();
    EXPECT_EQ(servers(held.connections()), predict(30, {"MVS1", "MVS2", "MVS4"}));

    // V TCPIP,,SYSPLEX,QUIESCE,PORT=60 on MVS4: no new connection goes there.
    auto q = plex.control("MVS4", "V TCPIP,,SYSPLEX,QUIESCE,PORT=60");
    EXPECT_NE(q.find("ZPX1001I VARY TCPIP,,SYSPLEX,QUIESCE,PORT=60 COMPLETED ON TCPIPA"), std::string::npos) << q;
    EXPECT_NE(plex.control("MVS4", "V TCPIP,,SYSPLEX,QUIESCE,PORT=60").find("ZPX1031I"), std::string::npos);
    ASSERT_TRUE(wait_ready(plex, "MVS1", dva1_60, {{"MVS4", 0}})) << plex.control("MVS1", "NETSTAT VDPT");
    auto cs = batch(plex, dva1, 20, 30, "b");
    EXPECT_EQ(servers(cs), predict(20, {"MVS1", "MVS2"})) << batch_text(cs);
    // QUIESCE,TARGET on MVS2 as well: only the distributor's own image is left.
    q = plex.control("MVS2", "V TCPIP,,SYSPLEX,QUIESCE,TARGET");
    EXPECT_NE(q.find("ZPX1001I VARY TCPIP,,SYSPLEX,QUIESCE,TARGET COMPLETED ON TCPIPA"), std::string::npos) << q;
    ASSERT_TRUE(wait_ready(plex, "MVS1", dva1_60, {{"MVS2", 0}, {"MVS4", 0}})) << plex.control("MVS1", "NETSTAT VDPT");
    cs = batch(plex, dva1, 6, 50, "c");
    EXPECT_EQ(servers(cs), predict(6, {"MVS1"})) << batch_text(cs);

    // RESUME both: round robin goes on over all three.
    EXPECT_NE(plex.control("MVS2", "V TCPIP,,SYSPLEX,RESUME,TARGET").find("ZPX1001I"), std::string::npos);
    EXPECT_NE(plex.control("MVS4", "V TCPIP,,SYSPLEX,RESUME,PORT=60").find("ZPX1001I"), std::string::npos);
    ASSERT_TRUE(wait_ready(plex, "MVS1", dva1_60, {{"MVS1", 1}, {"MVS2", 1}, {"MVS4", 1}}))
        << plex.control("MVS1", "NETSTAT VDPT");
    cs = batch(plex, dva1, 9, 56, "d");
    EXPECT_EQ(servers(cs), predict(9, {"MVS1", "MVS2", "MVS4"})) << batch_text(cs);
    auto vdpt = vdpt_rows(plex.control("MVS1", "NETSTAT VDPT"), dva1_60);
    EXPECT_EQ(vdpt[xcf_of("MVS4")].total, 13u);  // 10 held + 3 after RESUME
    EXPECT_EQ(vdpt[xcf_of("MVS2")].total, 23u);  // 10 + 10 + 3
    EXPECT_EQ(vdpt[xcf_of("MVS1")].total, 29u);  // 10 + 10 + 6 + 3

    // The held connections never noticed: each echoes again and closes cleanly.
    EXPECT_TRUE(held.finish(30s).ok()) << held.report();
    EXPECT_EQ(closed_ok(held.connections()), 30) << held.report();
    for (auto& [sys, a] : apps) EXPECT_EQ(a.terminate(5s).status, 0);
    for (auto& [sys, s] : stacks) EXPECT_EQ(s.terminate(5s).status, 0) << sys;
}

}  // namespace
}  // namespace zplex::e2e::dist
