// SPDX-License-Identifier: Apache-2.0
// Sysplex-wide SAs with the real daemons (docs/swsa.md "In the daemon"): CF01 and CF02
// (zplex-cf) hold EZBDVIPA; zplex-tcpip for MVS1, MVS2 and MVS4 run in their namespaces on
// the LAN bridge and connect to it; zplex-app listens on DVA1:60 in each image. The SA for
// DVA1 is installed on its owner MVS1 through the control socket, as the image's IKE
// daemon does (SWSA INSTALL), and the peer CLIENT1 (an ESP host on the LAN) makes real
// TCP connections to DVA1:60 under it. The connections land on MVS1, MVS2 and MVS4; every
// echo is SHA-256 correct; on the capture, the ESP the targets send has source DVA1 and
// their own MACs, no sequence number of the SA is used twice, and a window of the peer's
// size accepts every frame; the bulk echo takes its numbers from the CF in blocks; the
// keys every stack gives out for a trace (SWSA KEYS) decrypt the capture with tshark.
#include "swsa_e2e.hpp"
#include "swsa_peer.hpp"

#include <zplex/e2e/esp_peer.hpp>
#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>
#include <zplex/e2e/stack_plex.hpp>
#include <zplex/e2e/traffic.hpp>
#include <zplex/swsa/messages.hpp>
#include <zplex/sysplex/text.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

namespace zplex::e2e {
namespace {

namespace fs = std::filesystem;
using namespace swsa_e2e;

/// CLIENT1's anti-replay window. Frames of three senders cross the bridge in an order of
/// the kernel's (each TAP's frames are queued on the CPU that wrote them): a sender's
/// frames were seen up to about 100 numbers behind another's, which a window of 64
/// would drop whatever the numbering. 1024 is a window a z/OS engineer would give a
/// peer of a distributed DVIPA (strongSwan: replay_window).
constexpr std::uint32_t peer_window = 1024;

swsa::sa_distribute_message static_sa(bool udp_encap = false) {
    swsa::sa_distribute_message m;
    // The stack sets its own names and the counter list and base it claims in EZBDVIPA;
    // the codec wants them filled.
    m.counter_list = 1;
    m.owner_system = "MVS1";
    m.owner_stack = "TCPIPA";
    m.tunnel = "Y1";
    m.vpn_action = "ESP_AES_GCM";
    m.dvipa = ip(dva1);
    m.peer = ip("198.18.0.101");
    m.protocol = 50;
    m.mode = 0;
    m.alg = 0;  // AES-GCM-128
    m.spi_in = 0x4a110001;
    m.spi_out = 0xc0de0001;
    for (int i = 0; i < 20; ++i) {
        m.key_in.push_back(static_cast<std::uint8_t>(0x10 + i));
        m.key_out.push_back(static_cast<std::uint8_t>(0x80 + i));
    }
    m.replay_window = 64;
    m.peer_window = peer_window;
    m.lifetime_s = 3600;
    m.lifesize = 1ull << 32;
    m.udp_encap = udp_encap;
    m.filters.push_back({m.peer, 32, m.dvipa, 32, 6, 0, 65535, 60, 60, 0});  // inbound
    m.filters.push_back({m.dvipa, 32, m.peer, 32, 6, 60, 60, 0, 65535, 1});  // outbound
    return m;
}

void distributed_connections(bool udp_encap, int connections) {
    sweep_stale_netns();
    stack_plex plex(udp_encap ? "swsau" : "swsa");
    auto cf1 = plex.start_cf("CF01");
    auto cf2 = plex.start_cf("CF02");
    const std::vector<std::string> targets{"MVS1", "MVS2", "MVS4"};
    std::map<std::string, child_process> stacks, apps;
    auto start = [&](const std::string& sys) {
        stacks[sys] = plex.start(sys);
        ASSERT_TRUE(plex.wait_log(sys, "EZD1214I")) << plex.log(sys);
        EXPECT_NE(plex.log(sys).find("ZPX1705I CONNECTED TO EZBDVIPA AS " + sys + "TCPIPA"), std::string::npos)
            << plex.log(sys);
        apps[sys] = child_process::exec({std::string(ZPLEX_BINARY_DIR) + "/bin/zplex-app", "--image", sys, "--netns",
                                         plex.image(sys).name(), "--bind", dva1, "--port", "60"},
                                        {}, plex.dir / (sys + ".app.log"));
    };
    // MVS1 distributes DVA1:60 to the targets that have their listener (VDPT: Rdy 001).
    auto wait_ready = [&](std::size_t n) { return swsa_e2e::wait_ready(plex, "MVS1", n); };
    start("MVS1");
    start("MVS2");
    ASSERT_TRUE(wait_ready(2)) << plex.control("MVS1", "NETSTAT VDPT");

    // The IKE daemon's line: the SA, in hex, on the owner's 0600 control socket.
    auto bad = plex.control("MVS2", "SWSA INSTALL " + [] {
        auto b = swsa::encode(static_sa());
        return sysplex::hex(std::span<const std::uint8_t>(b.data(), b.size()));
    }());
    EXPECT_NE(bad.find("ZPX1707I SWSA SA Y1 NOT INSTALLED: THE DVIPA IS NOT ACTIVE ON THIS STACK"), std::string::npos) << bad;
    EXPECT_NE(plex.control("MVS1", "SWSA INSTALL 53zz").find("ZPX1707I SWSA INSTALL NOT VALID"), std::string::npos);
    auto enc = swsa::encode(static_sa(udp_encap));
    auto ok = plex.control("MVS1", "SWSA INSTALL " + sysplex::hex(std::span<const std::uint8_t>(enc.data(), enc.size())));
    ASSERT_NE(ok.find("ZPX1706I SWSA SA Y1 INSTALLED AND DISTRIBUTED"), std::string::npos) << ok << plex.log("MVS1");
    ASSERT_TRUE(plex.wait_display("MVS2", "ipsec -y display -s", "1 entry selected")) << plex.control("MVS2", "ipsec -y display -s");
    // MVS4 joins after the SA was distributed: the owner sends it the SA it has.
    start("MVS4");
    ASSERT_TRUE(wait_ready(3)) << plex.control("MVS1", "NETSTAT VDPT");
    ASSERT_TRUE(plex.wait_display("MVS4", "ipsec -y display -s", "1 entry selected")) << plex.control("MVS4", "ipsec -y display -s");
    EXPECT_NE(plex.control("MVS1", "ipsec -y display -s").find("0 entries selected"), std::string::npos);
    EXPECT_NE(plex.control("MVS1", "ipsec -y display").find("1 entry selected"), std::string::npos) << "MVS1's master";
    EXPECT_EQ(plex.log("MVS2").find("ZPX1701I"), std::string::npos) << plex.log("MVS2");

    auto& client = plex.client(1);
    auto m = static_sa(udp_encap);
    esp_peer_options po;
    po.local = stack_plex::client_address(1);
    po.remote = dva1;
    po.spi_out = m.spi_in;
    po.spi_in = m.spi_out;
    po.key_out.assign(m.key_in.begin(), m.key_in.end());
    po.key_in.assign(m.key_out.begin(), m.key_out.end());
    po.capture = plex.dir / "capture.txt";
    po.window = peer_window;
    po.udp_encap = udp_encap;
    esp_peer peer(client, po);
    // The LAN as CLIENT1's veth0 sees it, for the record (and for a failure's diagnosis).
    fs::path pcap = plex.dir / "lan.pcap";
    auto tshark = child_process::exec({"tshark", "-q", "-i", "veth0", "-w", pcap.string()}, client.name(),
                                      plex.dir / "tshark.log");
    std::this_thread::sleep_for(1s);

    // The connections, three at a time, each echoing 256 KiB.
    std::map<std::string, int> served;
    int good = 0;
    for (int round = 0; round < connections / 3; ++round) {
        std::vector<child_process> cl;
        for (int k = 0; k < 3; ++k)
            cl.push_back(child_process::spawn([] { return app_echo(dva1, 60, 256 * 1024); }, client.name()));
        for (auto& c : cl) {
            auto r = c.wait(60s);
            EXPECT_TRUE(r.ok()) << r.status << r.out;
            if (r.ok()) ++good;
            auto at = r.out.find("IMAGE ");
            if (at != std::string::npos) ++served[r.out.substr(at + 6, 4)];
        }
    }
    auto end = peer.stop();
    tshark.terminate(5s);
    EXPECT_EQ(good, connections);
    if (good != connections) {
        auto r = run({"tshark", "-r", pcap.string(), "-c", "60"}, 20s);
        std::printf("%s\n", r.out.c_str());
    }
    for (const auto& sys : targets) EXPECT_GE(served[sys], 1) << sys << " served none";

    // The capture: ESP under the SA from DVA1, from each target's own MAC, no number
    // twice, every frame inside the peer's window and verified.
    auto frames = peer.capture();
    std::map<std::string, std::uint64_t> by_mac;
    std::set<std::uint32_t> seen;
    std::uint64_t dups = 0, outside = 0, unverified = 0, not_dva1 = 0;
    std::uint32_t top = 0, lateness = 0;
    std::string late;  // frames the window refused: how far behind the highest number seen, from whom
    for (const auto& f : frames) {
        if (f.spi != m.spi_out) continue;
        if (!f.window_ok && late.size() < 2000)
            late += " " + std::to_string(f.seq) + "(-" + std::to_string(top - std::min(top, f.seq)) + " " + mac_text(f.mac) + ")";
        if (f.seq < top) lateness = std::max(lateness, top - f.seq);
        top = std::max(top, f.seq);
        ++by_mac[mac_text(f.mac)];
        if (!seen.insert(f.seq).second) ++dups;
        if (!f.window_ok) ++outside;
        if (!f.decrypted) ++unverified;
        if (f.src != m.dvipa) ++not_dva1;
    }
    EXPECT_GT(seen.size(), static_cast<std::size_t>(connections) * 30);
    std::printf("capture: %zu numbers of the SA, %llu frames from %zu MACs, at most %u behind the highest seen\n",
                seen.size(), static_cast<unsigned long long>(frames.size()), by_mac.size(), lateness);
    EXPECT_EQ(dups, 0u);
    EXPECT_EQ(outside, 0u) << late;
    EXPECT_EQ(unverified, 0u);
    EXPECT_EQ(not_dva1, 0u);
    for (const char* mac : {"02:00:c6:12:00:0b", "02:00:c6:12:00:0c", "02:00:c6:12:00:0e"})
        EXPECT_GT(by_mac[mac], 0u) << mac << " sent nothing under the SA";
    EXPECT_EQ(by_mac.size(), 3u) << "only MVS1, MVS2 and MVS4 send under the SA";

    // Each target's numbers came from EZBDVIPA in blocks: fewer CF requests than numbers.
    for (const char* sys : {"MVS2", "MVS4"}) {
        auto d = plex.control(sys, "ipsec -y display -s -r detail");
        auto l = lines_with(d, "SeqNumRequests:");
        ASSERT_EQ(l.size(), 1u) << d;
        std::uint64_t req = number_after(l[0], "SeqNumRequests:"), used = number_after(l[0], " for ");
        std::printf("%s: %s\n", sys, l[0].c_str());
        EXPECT_GT(used, 100u) << l[0];
        EXPECT_LT(req * 4, used) << l[0];
    }

    // The keys the stacks give out for a trace (SWSA KEYS, zplex trace's esp_sa file):
    // the owner's master and each shadow, both ways, with the keys installed; with them
    // tshark decrypts the capture of CLIENT1's veth0 (the peer's own code did above).
    std::vector<std::string> sas;
    const std::string gcm = "\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x";
    char spi_in[16], spi_out[16];
    std::snprintf(spi_in, sizeof spi_in, "0x%08x", m.spi_in);
    std::snprintf(spi_out, sizeof spi_out, "0x%08x", m.spi_out);
    for (const auto& sys : targets) {
        int count = 0;
        auto reply = plex.control(sys, "SWSA KEYS");
        auto lines = keys_lines(reply, count);
        EXPECT_EQ(count, 1) << sys << "\n" << reply;
        ASSERT_EQ(lines.size(), 2u) << sys << "\n" << reply;
        EXPECT_EQ(lines[0], std::string("\"IPv4\",\"198.18.0.101\",\"198.18.2.1\",\"") + spi_in + "\"," + gcm +
                                sysplex::hex(std::span<const std::uint8_t>(m.key_in.data(), m.key_in.size())) +
                                "\",\"NULL\",\"\"")
            << sys;
        EXPECT_EQ(lines[1], std::string("\"IPv4\",\"198.18.2.1\",\"198.18.0.101\",\"") + spi_out + "\"," + gcm +
                                sysplex::hex(std::span<const std::uint8_t>(m.key_out.data(), m.key_out.size())) +
                                "\",\"NULL\",\"\"")
            << sys;
        if (sas.empty()) sas = lines;
    }
    std::uint64_t decrypted = 0, esp_out = 0;
    for (const auto& f : esp_frames(pcap, sas)) {
        if (f.spi != m.spi_out) continue;
        ++esp_out;
        // Transport mode: the decrypted payload is the TCP segment (no inner IP header).
        if (f.inner_sport == 60 && (f.inner_src.empty() || f.inner_src == dva1)) ++decrypted;
    }
    EXPECT_GT(esp_out, 100u) << file_text(plex.dir / "tshark.log");
    EXPECT_GT(decrypted, esp_out * 9 / 10) << "tshark decrypts the targets' ESP with the exported keys";

    // The owner deletes the SA: the shadows go everywhere.
    auto del = plex.control("MVS1", "SWSA DELETE Y1");
    EXPECT_NE(del.find("ZPX1708I SWSA SA Y1 DELETED"), std::string::npos) << del;
    for (const char* sys : {"MVS2", "MVS4"})
        EXPECT_TRUE(plex.wait_display(sys, "ipsec -y display -s", "0 entries selected")) << sys;
    for (auto& [sys, p] : apps) p.terminate(5s);
    for (auto& [sys, p] : stacks) EXPECT_EQ(p.terminate(5s).status, 0) << sys << plex.log(sys);
    cf2.terminate(5s);
    cf1.terminate(5s);
}

TEST(swsa_e2e, an_sa_installed_on_the_owner_protects_connections_distributed_to_every_target) {
    std::string why;
    if (!can_use_netns(&why)) GTEST_SKIP() << why;
    if (!fs::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun";
    distributed_connections(false, 30);
}

// ESP in UDP 4500 (RFC 3948), as strongSwan's kernel-libipsec sends it: the owner peeks
// through the UDP header, the targets process and send ESP in UDP.
TEST(swsa_e2e, esp_in_udp_is_peeked_forwarded_and_answered_by_every_target) {
    std::string why;
    if (!can_use_netns(&why)) GTEST_SKIP() << why;
    if (!fs::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun";
    distributed_connections(true, 15);
}

}  // namespace
}  // namespace zplex::e2e
