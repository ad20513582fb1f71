// SPDX-License-Identifier: Apache-2.0
// FIG4 with an AH+ESP bundle for DVA1 (two distributions with one tunnel id, one per
// protocol), in transport and tunnel mode: the targets install the bundle once both
// halves are there; CLIENT1's bundle-protected SYNs are peeked by MVS1 behind AH and land
// on MVS1, MVS2 and MVS4 in turn; the replies leave each target as IP|AH|ESP with AH and
// ESP numbers each from their own EZBDVIPA counter, never one used twice; ESP without
// its AH is dropped; the delete takes both SAs off every target.
#include "cf_plex.hpp"
#include "swsa_ezbdvipa.hpp"
#include "stack_sim.hpp"

#include <zplex/ipsec/bundle.hpp>
#include <zplex/swsa/messages.hpp>

#include <gtest/gtest.h>

#include <set>

using namespace zplex::test;
using zplex::tcpip::stack::drop;
namespace ipsec = zplex::ipsec;
namespace swsa = zplex::swsa;

namespace {

const std::uint32_t dva1 = ip("198.18.2.1");

/// One half of bundle Y2: @p protocol 50 (AES-CBC-128 + HMAC-SHA-256) or 51 (AH SHA-256).
swsa::sa_distribute_message half(std::uint32_t peer, std::uint8_t protocol, std::uint8_t mode) {
    swsa::sa_distribute_message m;
    m.tunnel = "Y2";
    m.vpn_action = "AH_ESP";
    m.dvipa = dva1;
    m.peer = peer;
    m.protocol = protocol;
    m.bundle = true;
    m.mode = mode;
    m.alg = static_cast<std::uint8_t>(ipsec::algorithm::aes_cbc_128_hmac_sha256);
    m.spi_in = protocol == 50 ? 0x4a110021 : 0x4a110022;
    m.spi_out = protocol == 50 ? 0xc0de0021 : 0xc0de0022;
    std::size_t n = protocol == 50 ? ipsec::key_length(ipsec::algorithm::aes_cbc_128_hmac_sha256) : 32;
    for (std::size_t i = 0; i < n; ++i) {
        m.key_in.push_back(static_cast<std::uint8_t>(protocol + i));
        m.key_out.push_back(static_cast<std::uint8_t>(0x90 + protocol + i));
    }
    if (mode == 1) {
        m.tunnel_src = dva1;
        m.tunnel_dst = peer;
    }
    m.replay_window = 64;
    m.peer_window = 64;
    m.lifetime_s = 3600;
    m.filters.push_back({peer, 32, dva1, 32, 6, 0, 65535, 60, 60, 0});  // inbound
    m.filters.push_back({dva1, 32, peer, 32, 6, 60, 60, 0, 65535, 1});  // outbound
    return m;
}

/// CLIENT1's side of a half: its outbound is the half's inbound.
ipsec::sa_config peer_config(const swsa::sa_distribute_message& m, bool out) {
    ipsec::sa_config c;
    c.spi = out ? m.spi_in : m.spi_out;
    c.alg = static_cast<ipsec::algorithm>(m.alg);
    c.mode = m.mode == 1 ? ipsec::sa_mode::tunnel : ipsec::sa_mode::transport;
    const auto& k = out ? m.key_in : m.key_out;
    c.key.assign(k.begin(), k.end());
    c.tunnel_src = m.peer;
    c.tunnel_dst = m.dvipa;
    return c;
}

struct bundle_fixture {
    zplex::cf::test::plex cf{zplex::test::swsa_ezbdvipa()};
    fig4 s;
    std::vector<std::unique_ptr<zplex::cf::connector>> conns;
    swsa::sa_distribute_message esp, ah;
    std::unique_ptr<ipsec::sa_bundle> peer_out, peer_in;
    explicit bundle_fixture(std::uint8_t mode) {
        cf.start("CF01");
        for (auto& n : s.nodes) {
            conns.push_back(cf.connect(n->id.member));
            n->cf = conns.back().get();
        }
        s.start_fig4_quietly();
        for (const char* sys : {"MVS1", "MVS2", "MVS4"}) s.node(sys).s->listener_added(ipv4_address{dva1}, 60, "SERVER");
        s.pump();
        esp = half(s.client(1).address, 50, mode);
        ah = half(s.client(1).address, 51, mode);
        peer_out = ipsec::sa_bundle::create(peer_config(esp, true), peer_config(ah, true));
        peer_in = ipsec::sa_bundle::create(peer_config(esp, false), peer_config(ah, false));
    }
    void send(const std::vector<std::uint8_t>& wire) {
        s.client(1).send(wire);
        s.pump();
    }
    std::vector<std::uint8_t> protect(const std::vector<std::uint8_t>& plain) {
        ipsec::packet p;
        EXPECT_TRUE(p.assign(plain));
        EXPECT_EQ(peer_out->encapsulate(p), ipsec::drop::none);
        return {p.view().begin(), p.view().end()};
    }
    std::vector<std::string> got(const std::vector<std::uint8_t>& plain) {
        std::vector<std::string> out;
        for (auto& n : s.nodes)
            for (const auto& p : n->app_in)
                if (p == plain) out.push_back(n->sysname);
        return out;
    }
};

class Fig4SwsaBundle : public ::testing::TestWithParam<std::uint8_t> {};

TEST_P(Fig4SwsaBundle, ABundleIsDistributedAndCarriesTrafficBothWaysWithItsOwnSequenceNumbersPerSpi) {
    bundle_fixture f(GetParam());
    ASSERT_TRUE(f.peer_out && f.peer_in);
    auto& m1 = f.s.node("MVS1");
    auto& c = f.s.client(1);
    ASSERT_EQ(m1.s->swsa_install(f.esp), "");
    f.s.pump();
    // Half a bundle is installed nowhere: nothing may go out under ESP alone.
    EXPECT_EQ(f.s.node("MVS2").cmd("ipsec -y display -s").back(), "0 entries selected");
    auto udp_ah = f.ah;
    udp_ah.udp_encap = true;
    EXPECT_EQ(m1.s->swsa_install(udp_ah), "AN AH+ESP BUNDLE CANNOT BE UDP-ENCAPSULATED");
    ASSERT_EQ(m1.s->swsa_install(f.ah), "");
    f.s.pump();
    EXPECT_EQ(m1.s->swsa_install(f.ah), "TUNNEL Y2 EXISTS");
    for (const char* sys : {"MVS2", "MVS4"}) {
        auto d = f.s.node(sys).cmd("ipsec -y display -s");
        EXPECT_EQ(d.back(), "1 entry selected") << sys;
    }

    const std::array<const char*, 3> order{"MVS1", "MVS2", "MVS4"};
    ipsec::replay_window ah_window(64), esp_window(64);
    std::vector<std::uint32_t> ah_seqs, esp_seqs;
    for (int i = 0; i < 6; ++i) {
        SCOPED_TRACE(i);
        auto port = static_cast<std::uint16_t>(44000 + i);
        auto syn = tcp_segment(c.address, port, dva1, 60, SYN);
        f.send(f.protect(syn));
        ASSERT_EQ(f.got(syn), (std::vector<std::string>{order[static_cast<std::size_t>(i % 3)]}));
        auto& t = f.s.node(order[static_cast<std::size_t>(i % 3)]);
        auto before = c.received.size();
        auto synack = tcp_segment(dva1, 60, c.address, port, SYN | ACK);
        t.s->app_packet(synack);
        f.s.pump();
        ASSERT_EQ(c.received.size(), before + 1);
        auto wire = c.received.back();
        EXPECT_EQ(c.received_from.back(), t.id.mac) << "straight from the target";
        // IP|AH|ESP: AH (next header ESP, 28 bytes with HMAC-SHA-256-128), then ESP.
        ASSERT_EQ(wire[9], 51);
        ASSERT_EQ(wire[20], 50);
        EXPECT_EQ(get32(wire, 24), 0xc0de0022u);
        EXPECT_EQ(get32(wire, 48), 0xc0de0021u);
        std::uint32_t ah_seq = get32(wire, 28), esp_seq = get32(wire, 52);
        ah_seqs.push_back(ah_seq);
        esp_seqs.push_back(esp_seq);
        EXPECT_TRUE(ah_window.check(ah_seq) && ah_window.update(ah_seq)) << "AH number " << ah_seq << " used twice";
        EXPECT_TRUE(esp_window.check(esp_seq) && esp_window.update(esp_seq)) << "ESP number " << esp_seq << " used twice";
        ipsec::packet p;
        ASSERT_TRUE(p.assign(wire));
        ASSERT_EQ(f.peer_in->decapsulate(p), ipsec::drop::none);
        EXPECT_EQ(std::vector<std::uint8_t>(p.view().begin(), p.view().end()), synack);
        auto data = tcp_segment(c.address, port, dva1, 60, ACK | PSH, "request " + std::to_string(i));
        f.send(f.protect(data));
        EXPECT_EQ(f.got(data), (std::vector<std::string>{order[static_cast<std::size_t>(i % 3)]}));
    }
    // One counter per SA in EZBDVIPA, shared by the three senders.
    EXPECT_EQ(ah_seqs, (std::vector<std::uint32_t>{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(esp_seqs, (std::vector<std::uint32_t>{1, 2, 3, 4, 5, 6}));
    for (auto& n : f.s.nodes)
        for (auto d : {drop::swsa_no_sa, drop::swsa_peek, drop::swsa_ipsec, drop::swsa_filter})
            EXPECT_EQ(n->s->drops()[d], 0u) << n->sysname;

    // ESP alone, under the bundle's own ESP SA: its policy says AH+ESP, so it is dropped.
    auto esp_only = ipsec::esp_sa::create(peer_config(f.esp, true));
    auto lone = tcp_segment(c.address, 45001, dva1, 60, SYN);
    ipsec::packet p;
    ASSERT_TRUE(p.assign(lone));
    ASSERT_EQ(esp_only->encapsulate(p), ipsec::drop::none);
    f.send({p.view().begin(), p.view().end()});
    EXPECT_TRUE(f.got(lone).empty());
    EXPECT_EQ(m1.s->drops()[drop::swsa_peek], 1u) << "the owner's peek wants AH in front of ESP";

    // The delete takes both SAs of the bundle off every target.
    ASSERT_EQ(m1.s->swsa_delete("Y2"), "");
    f.s.pump();
    for (const char* sys : {"MVS2", "MVS4"})
        EXPECT_EQ(f.s.node(sys).cmd("ipsec -y display -s").back(), "0 entries selected") << sys;
    auto after = c.received.size();
    f.s.node("MVS2").s->app_packet(tcp_segment(dva1, 60, c.address, 44001, ACK, ""));
    f.s.pump();
    ASSERT_EQ(c.received.size(), after + 1);
    EXPECT_EQ(c.received.back()[9], 6) << "no SA any more";
    auto late = tcp_segment(c.address, 45000, dva1, 60, SYN);
    f.send(f.protect(late));
    EXPECT_EQ(f.got(late), std::vector<std::string>{}) << "nobody decapsulates under the deleted bundle";
}

INSTANTIATE_TEST_SUITE_P(Modes, Fig4SwsaBundle, ::testing::Values(std::uint8_t{0}, std::uint8_t{1}),
                         [](const ::testing::TestParamInfo<std::uint8_t>& p) { return p.param == 1 ? "Tunnel" : "Transport"; });

}  // namespace
