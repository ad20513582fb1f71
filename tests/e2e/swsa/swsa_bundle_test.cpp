// SPDX-License-Identifier: Apache-2.0
// An AH+ESP bundle for DVA1 with the real daemons (zplex-cf, zplex-tcpip for MVS1, MVS2
// and MVS4, zplex-app on DVA1:60 in each image) and host mode as the peer: zplex-host on
// CLIENT1 with the same bundle, ESP (AES-GCM-128, tunnel) inside, AH (HMAC-SHA-256)
// outside, as IP protocol 51. The owner installs both halves through its control socket
// (SWSA INSTALL); both shadows reach MVS2 and MVS4; echo connections land on the three
// stacks and come back SHA-256 correct, each way under both SAs; the peer's AH and ESP
// windows see no number twice; SWSA DELETE takes both shadows away everywhere.
#include "swsa_e2e.hpp"
#include "swsa_peer.hpp"

#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>
#include <zplex/e2e/stack_plex.hpp>
#include <zplex/e2e/traffic.hpp>
#include <zplex/e2e/zplex_host.hpp>
#include <zplex/swsa/messages.hpp>
#include <zplex/sysplex/text.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <map>

namespace zplex::e2e {
namespace {

namespace fs = std::filesystem;
using namespace swsa_e2e;

constexpr const char* peer_addr = "198.18.0.101";  // stack_plex client 1
constexpr std::uint32_t peer_window = 1024;          // three senders' frames interleave on the bridge

/// One half of bundle Y3: protocol 50 (ESP AES-GCM-128) or 51 (AH HMAC-SHA-256-128).
swsa::sa_distribute_message half(std::uint8_t protocol) {
    swsa::sa_distribute_message m;
    m.owner_system = "MVS1";  // the stack fills in its own names, list and base
    m.owner_stack = "TCPIPA";
    m.counter_list = 1;
    m.tunnel = "Y3";
    m.vpn_action = "AH_ESP";
    m.dvipa = ip(dva1);
    m.peer = ip(peer_addr);
    m.protocol = protocol;
    m.bundle = true;
    m.mode = 1;  // tunnel, as host mode speaks it
    m.alg = 0;   // AES-GCM-128 (ESP)
    m.tunnel_src = m.dvipa;
    m.tunnel_dst = m.peer;
    m.spi_in = protocol == 50 ? 0x4a110301 : 0x4a110302;
    m.spi_out = protocol == 50 ? 0xc0de0301 : 0xc0de0302;
    std::uint8_t n = protocol == 50 ? 20 : 32;
    for (std::uint8_t i = 0; i < n; ++i) {
        m.key_in.push_back(static_cast<std::uint8_t>(protocol + i));
        m.key_out.push_back(static_cast<std::uint8_t>(0x80 + protocol + i));
    }
    m.replay_window = peer_window;
    m.peer_window = peer_window;
    m.lifetime_s = 3600;
    m.lifesize = 1ull << 32;
    m.filters.push_back({m.peer, 32, m.dvipa, 32, 6, 0, 65535, 60, 60, 0});  // inbound
    m.filters.push_back({m.dvipa, 32, m.peer, 32, 6, 60, 60, 0, 65535, 1});  // outbound
    return m;
}

std::string hex_of(const swsa::secure_bytes& k) { return sysplex::hex(std::span<const std::uint8_t>(k.data(), k.size())); }

std::string install(stack_plex& plex, const swsa::sa_distribute_message& m) {
    auto enc = swsa::encode(m);
    return plex.control("MVS1", "SWSA INSTALL " + sysplex::hex(std::span<const std::uint8_t>(enc.data(), enc.size())));
}

TEST(swsa_bundle_e2e, an_ah_esp_bundle_is_distributed_and_host_mode_talks_to_every_target_through_it) {
    std::string why;
    if (!can_use_netns(&why)) GTEST_SKIP() << why;
    if (!fs::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun";
    sweep_stale_netns();
    stack_plex plex("swsab");
    swsa_daemons d(plex);
    ASSERT_EQ(d.start({"MVS1", "MVS2", "MVS4"}, true), "");
    ASSERT_TRUE(wait_ready(plex, "MVS1", 3)) << plex.control("MVS1", "NETSTAT VDPT");

    auto esp = half(50), ah = half(51);
    auto ok = install(plex, esp);
    ASSERT_NE(ok.find("ZPX1706I SWSA SA Y3 INSTALLED AND DISTRIBUTED"), std::string::npos) << ok << plex.log("MVS1");
    ok = install(plex, ah);
    ASSERT_NE(ok.find("ZPX1706I SWSA SA Y3 INSTALLED AND DISTRIBUTED"), std::string::npos) << ok << plex.log("MVS1");
    for (const char* t : {"MVS2", "MVS4"}) {
        ASSERT_TRUE(plex.wait_display(t, "ipsec -y display -s", "1 entry selected")) << plex.control(t, "ipsec -y display -s");
        EXPECT_EQ(plex.log(t).find("ZPX1701I"), std::string::npos) << plex.log(t);
    }

    zplex_host_options o;
    o.binary = fs::path(ZPLEX_BINARY_DIR) / "bin" / "zplex-host";
    o.local = peer_addr;
    o.peer = dva1;
    o.local_ts = std::string(peer_addr) + "/32";
    o.remote_ts = std::string(dva1) + "/32";
    o.route_src = peer_addr;
    o.spi_in = esp.spi_out;
    o.spi_out = esp.spi_in;
    o.key_in = hex_of(esp.key_out);
    o.key_out = hex_of(esp.key_in);
    o.ah_spi_in = ah.spi_out;
    o.ah_spi_out = ah.spi_in;
    o.ah_key_in = hex_of(ah.key_out);
    o.ah_key_out = hex_of(ah.key_in);
    o.replay_window = peer_window;
    o.route_protocol = "tcp";  // the peer's own AH to DVA1 goes out on the LAN
    zplex_host_process peer(plex.client(1), plex.dir / "peer", o);

    // Six connections, three at a time, each echoing 64 KiB.
    std::map<std::string, int> served;
    int good = 0;
    for (int round = 0; round < 2; ++round) {
        std::vector<child_process> cl;
        for (int k = 0; k < 3; ++k)
            cl.push_back(child_process::spawn([] { return app_echo(dva1, 60, 64 * 1024); }, plex.client(1).name()));
        for (auto& c : cl) {
            auto r = c.wait(std::chrono::seconds(60));
            EXPECT_TRUE(r.ok()) << r.status << r.out;
            if (r.ok()) ++good;
            auto at = r.out.find("IMAGE ");
            if (at != std::string::npos) ++served[r.out.substr(at + 6, 4)];
        }
    }
    auto end = peer.stop();
    auto c = parse_host_counters(end.out);
    std::printf("served: MVS1 %d MVS2 %d MVS4 %d\n%s", served["MVS1"], served["MVS2"], served["MVS4"], end.out.c_str());
    EXPECT_EQ(good, 6) << end.out;
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) EXPECT_GE(served[sys], 1) << sys << " served none";
    // Every packet either way under both SAs; the peer's AH and ESP windows (one each)
    // refused nothing: no number of either SPI came twice.
    EXPECT_GT(c["esp_received"], 60u) << end.out;
    EXPECT_EQ(c["drop ESPIN"], 0u) << end.out;
    EXPECT_EQ(c["esp_drop REPLAY"], 0u) << end.out;
    EXPECT_EQ(c["esp_drop INTEGRITY"], 0u) << end.out;
    EXPECT_EQ(c["drop NOSAIN"], 0u) << end.out;
    EXPECT_EQ(c["drop SENDERR"], 0u) << end.out;
    // Each target sent under the bundle, ESP numbered from EZBDVIPA.
    for (const char* sys : {"MVS2", "MVS4"}) {
        auto l = lines_with(plex.control(sys, "ipsec -y display -s -r detail"), "SeqNumRequests:");
        ASSERT_EQ(l.size(), 1u) << sys;
        EXPECT_GT(number_after(l[0], " for "), 0u) << l[0];
    }

    auto del = plex.control("MVS1", "SWSA DELETE Y3");
    EXPECT_NE(del.find("ZPX1708I"), std::string::npos) << del;
    for (const char* t : {"MVS2", "MVS4"})
        EXPECT_TRUE(plex.wait_display(t, "ipsec -y display -s", "0 entries selected")) << plex.control(t, "ipsec -y display -s");
    EXPECT_EQ(d.stop(), "");
}

}  // namespace
}  // namespace zplex::e2e
