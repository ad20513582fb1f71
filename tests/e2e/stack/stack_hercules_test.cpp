// SPDX-License-Identifier: Apache-2.0
// MVS1 runs under Hercules (the nucleus owns system MVS1 through its XCFS device) and
// its zplex-tcpip joins the TCP/IP group on that system (--attach-image); MVS2's stack
// runs on an XCF system of its own. Stopping MVS1's CPU at its console stops its
// heartbeat: XCF partitions MVS1, the stack's member fails with it, the stack fences
// itself (no frame leaves its TAP afterwards) and MVS2 takes DVA1 over; a client's
// pings and TCP to DVA1 go on through MVS2. And 75 long-lived connections to DVA1 (as
// distributed by MVS1) live through the stop and MVS1's re-IPL: the 50 MVS2's and MVS4's
// images serve go on with no reset, SHA-256 checked both ways, while MVS2 holds DVA1 and
// after MVS1, IPLed again at its console, takes it back.
#include "hercules_sysplex.hpp"
#include "survival.hpp"

#include <zplex/e2e/long_lived.hpp>

#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>
#include <zplex/e2e/stack_plex.hpp>
#include <zplex/e2e/traffic.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

namespace zplex::e2e {
namespace {

namespace fs = std::filesystem;

/// Frames the stack wrote to its TAP: the kernel counts them as received on it.
long tap_frames_from_stack(const netns& lan, const std::string& tap) {
    auto r = lan.exec({"ip", "-s", "-j", "link", "show", "dev", tap}, 10s);
    auto rx = r.out.find("\"rx\":{");
    auto at = rx == std::string::npos ? rx : r.out.find("\"packets\":", rx);
    return r.ok() && at != std::string::npos ? std::atol(r.out.c_str() + at + 10) : -1;
}

TEST(hercules_stack, a_stopped_cpu_fences_the_images_stack_and_the_backup_takes_the_dvipa) {
    if (auto why = test::hercules_missing(); !why.empty()) GTEST_SKIP() << why;
    std::string why;
    if (!can_use_netns(&why)) GTEST_SKIP() << why;
    if (!fs::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun";
    sweep_stale_netns();

    // The sysplex of the images (its name, key and INTERVAL 300 ms as FIG4's COUPLExx),
    // with FIG4's catalogue copied onto it for the stacks.
    test::hercules_sysplex plex(std::chrono::milliseconds(300));
    std::string err;
    ASSERT_TRUE(plex.join_host(err)) << err;
    ASSERT_TRUE(plex.start_images(1, err)) << err;  // MVS1 under Hercules
    // FIG4's catalogue on the images' sysplex (its name and key) for the stacks.
    stack_plex net("herc", plex.ns, plex.dir / "catalogue");
    fs::copy_file(plex.key_file, net.catalogue / "SYS1.XCF.KEY", fs::copy_options::overwrite_existing);
    auto& lan = net.lan;
    auto& client = net.client(1);
    auto& mvs2 = net.image("MVS2");
    auto start = [&](const char* sys, bool attach) {
        return net.start(sys, attach ? std::vector<std::string>{"--attach-image"} : std::vector<std::string>{});
    };
    auto log_of = [&](const char* sys) { return net.log(sys); };
    auto wait_log = [&](const char* sys, const std::string& text) { return net.wait_log(sys, text, 15s); };

    // Without --attach-image the stack cannot be MVS1: the image's Hercules owns it.
    auto own = start("MVS1", false);
    auto own_end = own.wait(30s);
    EXPECT_EQ(own_end.status, 12);
    EXPECT_NE(log_of("MVS1").find("ZPX1040E SYSTEM MVS1 CANNOT JOIN SYSPLEX " + plex.ns + ": RC=08 RSN=0803"),
              std::string::npos)
        << log_of("MVS1");

    auto p1 = start("MVS1", true);
    ASSERT_TRUE(wait_log("MVS1", "EZD1214I")) << log_of("MVS1");
    auto p2 = start("MVS2", false);
    ASSERT_TRUE(wait_log("MVS2", "EZD1214I")) << log_of("MVS2");
    EXPECT_TRUE(ping_until(client, "198.18.0.101", "198.18.2.1", 20s)) << "DVA1 through MVS1";

    // Stop MVS1's CPU: its nucleus no longer updates the system's status.
    long before = tap_frames_from_stack(lan, "ztmvs1");
    ASSERT_GT(before, 0);
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_FALSE(hercules::console(plex.images[0].dir, "stop").empty()) << "MVS1's console did not answer";
    ASSERT_TRUE(wait_log("MVS2", "EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1")) << log_of("MVS2");
    double takeover_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_TRUE(wait_log("MVS1", "ZPX1020E TCPIPA ON MVS1 IS FENCED")) << log_of("MVS1");
    long at_fence = tap_frames_from_stack(lan, "ztmvs1");

    // The client goes on through MVS2: pings and a TCP transfer to a plain Linux
    // server on DVA1 in MVS2's namespace. Its ARP requests reach MVS1's TAP too.
    EXPECT_TRUE(ping_until(client, "198.18.0.101", "198.18.2.1", 20s)) << "DVA1 through MVS2";
    auto t = tcp_transfer(mvs2, "198.18.2.1", 5001, client, "198.18.0.101", 1 << 20, 60s);
    EXPECT_TRUE(t.ok) << t.error;
    EXPECT_EQ(ping(client, "198.18.0.101", "198.18.0.11", 2, 500ms), 0) << "the fenced stack answered";
    long after = tap_frames_from_stack(lan, "ztmvs1");
    EXPECT_EQ(after, at_fence) << "frames sent by the fenced stack";
    EXPECT_NE(log_of("MVS1").find("ZPX1020E TCPIPA ON MVS1 IS FENCED: ITS SYSTEM WAS PARTITIONED OUT OF THE SYSPLEX"),
              std::string::npos);
    std::cout << "MVS1's CPU stopped: DVA1 taken over by MVS2 after " << takeover_ms
              << " ms (INTERVAL 300 ms); MVS1's TAP: " << before << " frames before, " << at_fence - before
              << " until fenced, " << after - at_fence << " after\n";
    EXPECT_EQ(p1.terminate(5s).status, 0);
    EXPECT_EQ(p2.terminate(5s).status, 0);
}

TEST(hercules_stack, connections_survive_the_owners_stopped_cpu_and_its_reipl) {
    if (auto why = test::hercules_missing(); !why.empty()) GTEST_SKIP() << why;
    std::string why;
    if (!can_use_netns(&why)) GTEST_SKIP() << why;
    if (!fs::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun";
    sweep_stale_netns();
    test::hercules_sysplex plex(std::chrono::milliseconds(300));
    std::string err;
    ASSERT_TRUE(plex.join_host(err)) << err;
    ASSERT_TRUE(plex.start_images(1, err)) << err;  // MVS1 under Hercules
    stack_plex net("hsurv", plex.ns, plex.dir / "catalogue");
    fs::copy_file(plex.key_file, net.catalogue / "SYS1.XCF.KEY", fs::copy_options::overwrite_existing);
    auto& c1 = net.client(1);
    auto& c2 = net.client(2);
    // DVA1's servers and stacks as in e2e_stack_test's SIGKILL case; MVS1's attached.
    survival_plex sp(net);
    auto started = sp.start({"--attach-image"});
    ASSERT_EQ(started, "");
    auto& p1 = sp.p1;

    long_lived_clients clients(net.dir / "clients", "198.18.2.1", 60);
    clients.add("c1", c1, 38);
    clients.add("c2", c2, 37);
    auto progress = [&] {
        return clients.progress() + "\nMVS1:\n" + net.log("MVS1") + "\nMVS2:\n" + net.log("MVS2") + "\nMVS4:\n" +
               net.log("MVS4") + net.control("MVS2", "NETSTAT VCRT");
    };
    ASSERT_TRUE(clients.all_advanced(0)) << progress();
    ASSERT_TRUE(net.wait_display("MVS1", "NETSTAT VCRT", "75 of 75 records displayed"))
        << net.control("MVS1", "NETSTAT VCRT");
    {
        // The ones MVS1's image serves go with MVS1's stack: which client holds them.
        auto lost = vcrt_sources_to(net.control("MVS1", "NETSTAT VCRT"), "198.18.1.1");
        EXPECT_EQ(lost["198.18.0.101"] + lost["198.18.0.102"], 25);
        clients.expect_lost("c1", lost["198.18.0.101"]);
        clients.expect_lost("c2", lost["198.18.0.102"]);
    }

    // MVS1's CPU stops. Until XCF partitions MVS1 its stack goes on (a Linux process the
    // stopped CPU does not hold: docs/stack.md); once fenced, new connections go to MVS2,
    // which distributes them to its own image or MVS4's.
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_FALSE(hercules::console(plex.images[0].dir, "stop").empty()) << "MVS1's console did not answer";
    ASSERT_TRUE(net.wait_log("MVS2", "EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1")) << net.log("MVS2");
    ASSERT_TRUE(net.wait_log("MVS1", "ZPX1020E TCPIPA ON MVS1 IS FENCED")) << net.log("MVS1");
    auto t1 = std::chrono::steady_clock::now().time_since_epoch().count();
    auto first = child_process::spawn([t1] { return first_served("198.18.2.1", 60, t1); }, c1.name());
    auto fr = first.wait(30s);
    double first_ms = -1;
    char by[32] = {};
    ASSERT_EQ(std::sscanf(fr.out.c_str(), "SERVED %lf BY %31s", &first_ms, by), 2) << fr.out;
    EXPECT_TRUE(std::string(by) == "MVS2" || std::string(by) == "-") << by;
    std::printf("MVS1's CPU stopped: fenced and DVA1 taken over %.0f ms later (INTERVAL 300 ms); a new connection "
                "then served by %s\n",
                std::chrono::duration<double, std::milli>(std::chrono::nanoseconds(t1) - t0.time_since_epoch()).count(),
                by);
    clients.mark(1);
    EXPECT_TRUE(clients.all_advanced(1)) << progress();
    EXPECT_TRUE(net.wait_display("MVS2", "NETSTAT VCRT", "50 of 50 records displayed"))
        << net.control("MVS2", "NETSTAT VCRT");

    // The re-IPL, as `zplex image ipl` does it: the fenced stack ends with its system, the
    // nucleus is loaded again at the same console, the image rejoins, its stack starts.
    EXPECT_EQ(p1.terminate(5s).status, 0);
    auto joins = [&] { return count_of(plex.log_of("MVS1"), " MEMBER MVS1 JOINED GROUP ZPXIMAGE"); };
    int joined = joins();
    auto ipl = hercules::console_command(plex.images[0].dir,
                                         "ipl " + (test::hercules_module_dir() / "nucleus.ins").string(), 3s);
    ASSERT_EQ(ipl.what, hercules::console_answer::status::ok) << hercules::to_string(ipl, "MVS1");
    for (int i = 0; i < 200 && joins() == joined; ++i) std::this_thread::sleep_for(100ms);  // a bound
    ASSERT_GT(joins(), joined) << plex.log_of("MVS1");
    auto p1b = net.start("MVS1", {"--attach-image"}, "-again");
    ASSERT_TRUE(net.wait_log("MVS1", "EZZ8302I VIPA 198.18.2.1 TAKEN FROM TCPIPA ON MVS2", 20s, "-again"))
        << net.log("MVS1", "-again");
    EXPECT_TRUE(net.wait_log("MVS2", "EZZ8303I VIPA 198.18.2.1 GIVEN TO TCPIPA ON MVS1")) << net.log("MVS2");
    clients.mark(2);
    EXPECT_TRUE(clients.all_advanced(2)) << progress();
    EXPECT_TRUE(net.wait_display("MVS1", "NETSTAT VCRT", "50 of 50 records displayed"))
        << net.control("MVS1", "NETSTAT VCRT");

    bool ended = false;
    auto results = clients.finish(ended);
    EXPECT_TRUE(ended) << clients.report();
    std::map<std::string, int> want{{"MVS2 OK", 25}, {"- OK", 25}, {"MVS1 RESET", 25}};
    EXPECT_EQ(long_lived_clients::tally(results), want) << clients.report();
    EXPECT_EQ(sp.stop({&p1b}), "");
}

}  // namespace
}  // namespace zplex::e2e
