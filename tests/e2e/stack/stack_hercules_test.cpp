// SPDX-License-Identifier: Apache-2.0
// MVS1 runs under Hercules (the nucleus owns system MVS1 through its XCFS device) and
// its zplex-tcpip joins the TCP/IP group on that system (--attach-image); MVS2's stack
// runs on an XCF system of its own. Stopping MVS1's CPU at its console stops its
// heartbeat: XCF partitions MVS1, the stack's member fails with it, the stack fences
// itself (no frame leaves its TAP afterwards) and MVS2 takes DVA1 over; a client's
// pings and TCP to DVA1 go on through MVS2.
#include "hercules_sysplex.hpp"

#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>
#include <zplex/e2e/stack_plex.hpp>
#include <zplex/e2e/traffic.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
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

}  // namespace
}  // namespace zplex::e2e
