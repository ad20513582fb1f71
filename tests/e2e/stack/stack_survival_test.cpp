// SPDX-License-Identifier: Apache-2.0
// Connections to a distributed DVIPA survive its distributor's failure and return, with
// real zplex-tcpip processes in namespaces (FIG4: MVS1 distributes DVA1 198.18.2.1 port
// 60 ROUNDROBIN to XCF1, XCF2 and XCF4; MVS2 is its VIPABACKUP 100 with the same
// VIPADISTRIBUTE). The servers are zplex-app in MVS1's and MVS2's images and a stock
// socat echo in MVS4's, unchanged. Two client namespaces hold 75 long-lived connections
// (25 on each target) that keep sending and checking the echo (SHA-256 of every byte
// each way). SIGKILL of MVS1's process: MVS2 takes DVA1 over (EZZ8301I), rebuilds the
// connection routing table from the targets, distributes new connections at once, and
// all 50 connections MVS2 or MVS4 serve go on with no reset; the 25 MVS1's own image
// served are lost (reset), as on z/OS. MVS1 starts again: DVA1 comes back to it
// (MOVEABLE IMMEDIATE, EZZ8302I) and the 50 still go on.
#include "survival.hpp"

#include <zplex/e2e/long_lived.hpp>
#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>
#include <zplex/e2e/stack_plex.hpp>
#include <zplex/e2e/traffic.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <map>
#include <sstream>
#include <thread>

namespace zplex::e2e {
namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

TEST(stack_e2e, connections_to_a_distributed_dvipa_survive_the_distributors_sigkill_and_return) {
    std::string why;
    if (!can_use_netns(&why)) GTEST_SKIP() << why;
    if (!fs::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun";
    sweep_stale_netns();
    stack_plex plex("survive");
    auto& c1 = plex.client(1);
    auto& c2 = plex.client(2);
    survival_plex sp(plex);
    auto started = sp.start();
    ASSERT_EQ(started, "");
    auto& p1 = sp.p1;

    // 75 connections from two clients, round robin: 25 on each target.
    long_lived_clients clients(plex.dir / "clients", "198.18.2.1", 60);
    clients.add("c1", c1, 38);
    clients.add("c2", c2, 37);
    auto progress = [&] {
        return clients.progress() + "\nMVS1:\n" + plex.log("MVS1") + "\nMVS2:\n" + plex.log("MVS2") + "\nMVS4:\n" +
               plex.log("MVS4") + plex.control("MVS1", "NETSTAT VCRT") + plex.control("MVS2", "NETSTAT ALLCONN") +
               plex.control("MVS4", "NETSTAT ALLCONN");
    };
    ASSERT_TRUE(clients.all_advanced(0)) << progress();
    ASSERT_TRUE(plex.wait_display("MVS1", "NETSTAT VCRT", "75 of 75 records displayed"))
        << plex.control("MVS1", "NETSTAT VCRT");
    // The targets' images hold theirs (NETSTAT CONN from each image's kernel); the ones
    // MVS1's image serves will be lost with it.
    auto vcrt = plex.control("MVS1", "NETSTAT VCRT");
    for (const char* xcf : {"198.18.1.1", "198.18.1.2", "198.18.1.4"})
        EXPECT_EQ(count_of(vcrt, std::string("  DestXCF:    ") + xcf + "\n"), 25) << vcrt;
    {
        auto lost = vcrt_sources_to(vcrt, "198.18.1.1");
        EXPECT_EQ(lost["198.18.0.101"] + lost["198.18.0.102"], 25) << vcrt;
        clients.expect_lost("c1", lost["198.18.0.101"]);
        clients.expect_lost("c2", lost["198.18.0.102"]);
    }
    auto conn2 = plex.control("MVS2", "D TCPIP,,NETSTAT,CONN");
    auto conn4 = plex.control("MVS4", "NETSTAT CONN");
    EXPECT_EQ(count_of(conn2, " ESTABLSH\n  LOCAL SOCKET:   198.18.2.1..60\n"), 25) << conn2;
    EXPECT_EQ(count_of(conn4, " Establsh\n  Local Socket:   198.18.2.1..60\n"), 25) << conn4;
    EXPECT_NE(conn2.find("ZPLEXAPP "), std::string::npos) << conn2;
    EXPECT_NE(conn4.find("SOCAT    "), std::string::npos) << conn4;

    // The distributor's process dies. A third client keeps trying new connections.
    auto t0 = clock_type::now().time_since_epoch().count();
    ::kill(p1.pid(), SIGKILL);
    auto first = child_process::spawn([t0] { return first_served("198.18.2.1", 60, t0); }, c1.name());
    p1.wait(5s);
    ASSERT_TRUE(plex.wait_log("MVS2", "EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1")) << plex.log("MVS2");
    auto fr = first.wait(30s);
    double first_ms = -1;
    char by[32] = {};
    ASSERT_EQ(std::sscanf(fr.out.c_str(), "SERVED %lf BY %31s", &first_ms, by), 2) << fr.out;
    // New connections are MVS2's to distribute: to its own image or MVS4's socat, within
    // the 300 ms of the SIGKILL.
    EXPECT_TRUE(std::string(by) == "MVS2" || std::string(by) == "-") << by;
    EXPECT_LE(first_ms, 300.0) << "first new connection served " << first_ms << " ms after the SIGKILL";
    RecordProperty("first_new_connection_ms", std::to_string(first_ms));
    std::printf("first new connection after SIGKILL of the distributor: %.1f ms, served by %s\n", first_ms, by);
    clients.mark(1);
    EXPECT_TRUE(clients.all_advanced(1)) << progress();
    EXPECT_TRUE(plex.wait_display("MVS2", "NETSTAT VCRT", "50 of 50 records displayed"))
        << plex.control("MVS2", "NETSTAT VCRT");
    EXPECT_NE(plex.control("MVS2", "NETSTAT VDPT").find("  DestXCF:    198.18.1.2\n  TotalConn:  000000000"),
              std::string::npos);

    // MVS1 returns: DVA1 MOVEABLE IMMEDIATE comes back to it.
    auto p1b = plex.start("MVS1", {}, "-again");
    ASSERT_TRUE(plex.wait_log("MVS1", "EZZ8302I VIPA 198.18.2.1 TAKEN FROM TCPIPA ON MVS2", 20s, "-again"))
        << plex.log("MVS1", "-again");
    EXPECT_TRUE(plex.wait_log("MVS2", "EZZ8303I VIPA 198.18.2.1 GIVEN TO TCPIPA ON MVS1")) << plex.log("MVS2");
    clients.mark(2);
    EXPECT_TRUE(clients.all_advanced(2)) << progress();
    EXPECT_TRUE(plex.wait_display("MVS1", "NETSTAT VCRT", "50 of 50 records displayed"))
        << plex.control("MVS1", "NETSTAT VCRT");
    EXPECT_NE(plex.control("MVS4", "D TCPIP,,SYSPLEX,VIPADYN").find("  TCPIPA   MVS1     ACTIVE"), std::string::npos)
        << plex.control("MVS4", "D TCPIP,,SYSPLEX,VIPADYN");

    // The clients finish: every byte MVS2 and MVS4 served came back, SHA-256 equal, no
    // reset; MVS1's own were reset.
    bool ended = false;
    auto results = clients.finish(ended);
    EXPECT_TRUE(ended) << clients.report();
    for (const auto& r : results) {
        if (r.server == "MVS1" || r.server == "MVS2") {
            EXPECT_NE(r.greeting.find(" STACK TCPIPA LOCAL 198.18.2.1..60 REMOTE 198.18.0.10"), std::string::npos)
                << r.greeting;
        }
    }
    std::map<std::string, int> want{{"MVS2 OK", 25}, {"- OK", 25}, {"MVS1 RESET", 25}};
    EXPECT_EQ(long_lived_clients::tally(results), want) << clients.report();
    EXPECT_EQ(sp.stop({&p1b}), "");
}

}  // namespace
}  // namespace zplex::e2e
