// SPDX-License-Identifier: Apache-2.0
// FIG4 in one process with a real EZBDVIPA: sysplex-wide SAs for DVA1, distributed by
// MVS1 to MVS2 and MVS4 (ROUNDROBIN with MVS1 itself). A static SA stands in for IKE's
// output. CLIENT1 is the IPsec peer: its protected SYNs are peeked by MVS1 and land,
// still protected, on MVS1, MVS2 and MVS4 in turn, where they are decapsulated with the
// shadow SA; the replies leave each target straight to the LAN from its own MAC, with
// sequence numbers from EZBDVIPA that the peer's window accepts; `ipsec -y display -s`
// shows the shadows; SWSA KEYS gives the same SA's keys on each; a delete removes them
// everywhere.
#include "cf_plex.hpp"
#include "swsa_ezbdvipa.hpp"
#include "stack_sim.hpp"

#include <zplex/ipsec/esp.hpp>
#include <zplex/swsa/messages.hpp>

#include <gtest/gtest.h>

using namespace zplex::test;
using zplex::tcpip::stack::drop;
namespace ipsec = zplex::ipsec;
namespace swsa = zplex::swsa;

namespace {

const std::uint32_t dva1 = ip("198.18.2.1");

swsa::sa_distribute_message static_sa(std::uint32_t peer) {
    swsa::sa_distribute_message m;
    m.tunnel = "Y1";
    m.vpn_action = "ESP_AES_GCM";
    m.dvipa = dva1;
    m.peer = peer;
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
    m.peer_window = 64;
    m.lifetime_s = 3600;
    m.filters.push_back({peer, 32, dva1, 32, 6, 0, 65535, 60, 60, 0});  // inbound
    m.filters.push_back({dva1, 32, peer, 32, 6, 60, 60, 0, 65535, 1});  // outbound
    return m;
}

struct swsa_fixture {
    zplex::cf::test::plex cf{zplex::test::swsa_ezbdvipa()};
    fig4 s;
    std::vector<std::unique_ptr<zplex::cf::connector>> conns;
    std::unique_ptr<ipsec::esp_sa> peer_out, peer_in;  // CLIENT1's side of Y1
    swsa::sa_distribute_message sa;
    swsa_fixture() {
        cf.start("CF01");
        for (auto& n : s.nodes) {
            conns.push_back(cf.connect(n->id.member));
            n->cf = conns.back().get();
        }
        s.start_fig4_quietly();
        for (const char* sys : {"MVS1", "MVS2", "MVS4"}) s.node(sys).s->listener_added(ipv4_address{dva1}, 60, "SERVER");
        s.pump();
        sa = static_sa(s.client(1).address);
        ipsec::sa_config c;
        c.spi = sa.spi_in;
        c.key.assign(sa.key_in.begin(), sa.key_in.end());
        peer_out = ipsec::esp_sa::create(c);
        c.spi = sa.spi_out;
        c.key.assign(sa.key_out.begin(), sa.key_out.end());
        peer_in = ipsec::esp_sa::create(c);
    }
    /// CLIENT1 sends @p plain protected under Y1.
    void client_sends(const std::vector<std::uint8_t>& plain) {
        ipsec::packet p;
        ASSERT_TRUE(p.assign(plain));
        ASSERT_EQ(peer_out->encapsulate(p), ipsec::drop::none);
        s.client(1).send(std::vector<std::uint8_t>(p.view().begin(), p.view().end()));
        s.pump();
    }
    /// Nodes whose image got exactly @p plain (decapsulated).
    std::vector<std::string> got(const std::vector<std::uint8_t>& plain) {
        std::vector<std::string> out;
        for (auto& n : s.nodes)
            for (const auto& p : n->app_in)
                if (p == plain) out.push_back(n->sysname);
        return out;
    }
};

/// A policy rule of the image's, TCP from DVA1 to @p peer (any ports) under a dynamic SA.
zplex::ipsec::spd_rule dva1_tcp_rule(std::uint32_t peer, const char* name) {
    zplex::ipsec::spd_rule r;
    r.src = dva1;
    r.src_len = 32;
    r.dst = peer;
    r.dst_len = 32;
    r.protocol = 6;
    r.name = r.sa_name = name;
    return r;
}

TEST(Fig4Swsa, FragmentedEspIsReassembledByTheOwnerAndLandsDecapsulatedOnItsTarget) {
    // ESP fragmented outside (the protected SYN exceeds the LAN's MTU): MVS1 must see the
    // whole ESP packet to peek into it, and forwards it whole to the target.
    swsa_fixture f;
    auto& m1 = f.s.node("MVS1");
    auto& c = f.s.client(1);
    ASSERT_EQ(m1.s->swsa_install(f.sa), "");
    f.s.pump();
    const std::array<const char*, 3> order{"MVS1", "MVS2", "MVS4"};
    for (std::uint16_t i = 0; i < 3; ++i) {
        SCOPED_TRACE(i);
        auto syn = tcp_segment_sized(c.address, static_cast<std::uint16_t>(43000 + i), dva1, 60, SYN, 1600);
        ipsec::packet p;
        ASSERT_TRUE(p.assign(syn));
        ASSERT_EQ(f.peer_out->encapsulate(p), ipsec::drop::none);
        std::vector<std::uint8_t> esp(p.view().begin(), p.view().end());
        ASSERT_GT(esp.size(), 1492u);
        auto parts = fragments_of(esp, 1480);
        ASSERT_EQ(parts.size(), 2u);
        c.send(parts[1]);
        c.send(parts[0]);
        f.s.pump();
        EXPECT_EQ(f.got(syn), (std::vector<std::string>{order[i]}));
    }
    for (auto& n : f.s.nodes)
        for (auto d : {drop::swsa_no_sa, drop::swsa_peek, drop::swsa_ipsec, drop::reasm_full, drop::reasm_bad})
            EXPECT_EQ(n->s->drops()[d], 0u) << n->sysname;
}

std::vector<std::string> lines_with(const std::vector<std::string>& all, const std::string& key) {
    std::vector<std::string> out;
    for (const auto& l : all)
        if (l.rfind(key, 0) == 0) out.push_back(l);
    return out;
}

TEST(Fig4Swsa, DistributedSaProtectsConnectionsOnEveryTargetWithCfSequenceNumbers) {
    swsa_fixture f;
    auto& m1 = f.s.node("MVS1");
    auto& c = f.s.client(1);
    ASSERT_EQ(m1.s->swsa_install(f.sa), "");
    f.s.pump();
    EXPECT_EQ(m1.s->swsa_install(f.sa), "TUNNEL Y1 EXISTS");
    EXPECT_EQ(f.s.node("MVS3").s->swsa_install(static_sa(c.address)), "IPSEC DVIPSEC IS NOT SPECIFIED IN THE PROFILE");
    EXPECT_EQ(f.s.node("MVS2").s->swsa_install(static_sa(c.address)), "THE DVIPA IS NOT ACTIVE ON THIS STACK");

    // The shadows: on MVS2 and MVS4, the targets; not on MVS1 (it holds the master), MVS3, MVS5.
    for (const char* sys : {"MVS2", "MVS4"}) {
        SCOPED_TRACE(sys);
        auto d = f.s.node(sys).cmd("ipsec -y display -s -r detail");
        ASSERT_GE(d.size(), 3u);
        EXPECT_EQ(d[1], "Primary:  Dynamic tunnel   Function: Display (shadows)  Format:   Detail");
        EXPECT_EQ(d[2], "Source:   Stack            Scope:    Current            TotAvail: 1");
        EXPECT_EQ(d[3], "Logging:  On               Predecap: Off                DVIPSec:  Yes");
        EXPECT_EQ(lines_with(d, "TunnelID:"), (std::vector<std::string>{"TunnelID:                Y1"}));
        EXPECT_EQ(lines_with(d, "LocalEndPoint:"), (std::vector<std::string>{"LocalEndPoint:           198.18.2.1"}));
        EXPECT_EQ(lines_with(d, "RemoteEndPoint:"),
                  (std::vector<std::string>{"RemoteEndPoint:          198.18.0.101"}));
        EXPECT_EQ(lines_with(d, "EncryptInboundSpi:"),
                  (std::vector<std::string>{"EncryptInboundSpi:       0x4A110001"}));
        EXPECT_EQ(lines_with(d, "ShadowOf:"), (std::vector<std::string>{"ShadowOf:                TCPIPA"}));
        EXPECT_EQ(lines_with(d, "SeqNumSource:"), (std::vector<std::string>{"SeqNumSource:            CF"}));
        EXPECT_EQ(d.back(), "1 entry selected");
    }
    for (const char* sys : {"MVS1", "MVS3", "MVS5"}) {
        auto d = f.s.node(sys).cmd("ipsec -y display -s");
        EXPECT_EQ(d.back(), "0 entries selected") << sys;
    }
    EXPECT_EQ(f.s.node("MVS2").cmd("ipsec -y display").back(), "0 entries selected") << "no master SA on MVS2";
    EXPECT_EQ(f.s.node("MVS2").cmd("ipsec -y list"),
              (std::vector<std::string>{"ZPX1030I COMMAND 'IPSEC -Y LIST' NOT VALID: ipsec -y display [-s] [-r "
                                        "detail] EXPECTED"}));

    // Nine protected connections: MVS1, MVS2, MVS4 in turn; each SYN reaches its target's
    // image decapsulated; the SYN-ACK leaves the target itself, protected, from DVA1.
    const std::array<const char*, 3> order{"MVS1", "MVS2", "MVS4"};
    ipsec::replay_window peer_window(64);
    std::vector<std::uint32_t> seqs;
    for (int i = 0; i < 9; ++i) {
        SCOPED_TRACE(i);
        auto port = static_cast<std::uint16_t>(42000 + i);
        auto syn = tcp_segment(c.address, port, dva1, 60, SYN);
        f.client_sends(syn);
        ASSERT_EQ(f.got(syn), (std::vector<std::string>{order[static_cast<std::size_t>(i % 3)]}));
        auto& t = f.s.node(order[static_cast<std::size_t>(i % 3)]);
        auto before = c.received.size();
        auto synack = tcp_segment(dva1, 60, c.address, port, SYN | ACK);
        t.s->app_packet(synack);
        f.s.pump();
        ASSERT_EQ(c.received.size(), before + 1);
        auto wire = c.received.back();
        EXPECT_EQ(c.received_from.back(), t.id.mac) << "straight from the target, not through MVS1";
        ASSERT_EQ(wire[9], 50) << "ESP";
        EXPECT_EQ(get32(wire, 12), dva1);
        EXPECT_EQ(get32(wire, 20), 0xc0de0001u);
        std::uint32_t seq = get32(wire, 24);
        seqs.push_back(seq);
        EXPECT_TRUE(peer_window.check(seq));
        ipsec::packet p;
        ASSERT_TRUE(p.assign(wire));
        ASSERT_EQ(f.peer_in->decapsulate(p), ipsec::drop::none);
        EXPECT_EQ(std::vector<std::uint8_t>(p.view().begin(), p.view().end()), synack);
        ASSERT_TRUE(peer_window.update(seq));
        // Data on the connection goes to the same target (found by the peek).
        auto data = tcp_segment(c.address, port, dva1, 60, ACK | PSH, "request " + std::to_string(i));
        f.client_sends(data);
        EXPECT_EQ(f.got(data), (std::vector<std::string>{order[static_cast<std::size_t>(i % 3)]}));
    }
    EXPECT_EQ(seqs, (std::vector<std::uint32_t>{1, 2, 3, 4, 5, 6, 7, 8, 9}))
        << "one counter in EZBDVIPA for all three senders";
    for (auto& n : f.s.nodes) {
        for (auto d : {drop::swsa_no_sa, drop::swsa_peek, drop::swsa_ipsec, drop::swsa_filter})
            EXPECT_EQ(n->s->drops()[d], 0u) << n->sysname;
    }
    // The ESP the owner forwarded went over XCF as it came, authenticated, not encrypted
    // again (docs/xcf.md, "Message protection"); the targets forward nothing.
    EXPECT_GE(m1.links_integrity_only, 4u);  // two thirds of 6 protected packets at least
    for (const char* sys : {"MVS2", "MVS4"}) EXPECT_EQ(f.s.node(sys).links_integrity_only, 0u) << sys;
    auto d2 = f.s.node("MVS2").cmd("ipsec -y display -s -r detail");
    EXPECT_EQ(lines_with(d2, "OutboundPackets:"), (std::vector<std::string>{"OutboundPackets:         3"}));
    EXPECT_EQ(lines_with(d2, "InboundPackets:"), (std::vector<std::string>{"InboundPackets:          6"}));

    // A protected packet that does not decrypt is dropped on the target, counted.
    auto forged = tcp_segment(c.address, 42001, dva1, 60, ACK | PSH, "forged");
    ipsec::packet p;
    ASSERT_TRUE(p.assign(forged));
    ASSERT_EQ(f.peer_out->encapsulate(p), ipsec::drop::none);
    std::vector<std::uint8_t> bad(p.view().begin(), p.view().end());
    bad.back() ^= 1;  // the ICV
    c.send(bad);
    f.s.pump();
    EXPECT_EQ(f.s.node("MVS2").s->drops()[drop::swsa_ipsec], 1u);
    EXPECT_TRUE(f.got(forged).empty());

    // The owner deletes the SA: gone on every target.
    EXPECT_EQ(m1.s->swsa_delete("Y1"), "");
    f.s.pump();
    for (const char* sys : {"MVS2", "MVS4"}) {
        EXPECT_EQ(f.s.node(sys).cmd("ipsec -y display -s").back(), "0 entries selected") << sys;
    }
    EXPECT_EQ(m1.s->swsa_delete("Y1"), "TUNNEL Y1 IS NOT OWNED HERE");
    auto after = c.received.size();
    f.s.node("MVS2").s->app_packet(tcp_segment(dva1, 60, c.address, 42001, ACK, ""));
    f.s.pump();
    ASSERT_EQ(c.received.size(), after + 1);
    EXPECT_EQ(c.received.back()[9], 6) << "no SA any more: no filter asks for protection";
}

// `SWSA KEYS` (zplex trace's esp_sa file): the owner's master and each target's shadow
// are the same SA, both directions, as Wireshark's esp_sa lines; stacks without the SA
// give none; once deleted, nobody gives its keys.
TEST(Fig4Swsa, EveryStackHoldingTheSaGivesItsKeysAsWiresharkEspSaLines) {
    swsa_fixture f;
    ASSERT_EQ(f.s.node("MVS1").s->swsa_install(f.sa), "");
    f.s.pump();
    const std::string gcm = "\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x";
    const std::string want = "\"IPv4\",\"198.18.0.101\",\"198.18.2.1\",\"0x4a110001\"," + gcm +
                             "101112131415161718191a1b1c1d1e1f20212223\",\"NULL\",\"\"\n"
                             "\"IPv4\",\"198.18.2.1\",\"198.18.0.101\",\"0xc0de0001\"," + gcm +
                             "808182838485868788898a8b8c8d8e8f90919293\",\"NULL\",\"\"\n";
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) {
        std::string out;
        EXPECT_EQ(f.s.node(sys).s->swsa_keys(out), 1u) << sys;
        EXPECT_EQ(out, want) << sys;
    }
    for (const char* sys : {"MVS3", "MVS5"}) {
        std::string out;
        EXPECT_EQ(f.s.node(sys).s->swsa_keys(out), 0u) << sys;
        EXPECT_EQ(out, "") << sys;
    }
    ASSERT_EQ(f.s.node("MVS1").s->swsa_delete("Y1"), "");
    f.s.pump();
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) {
        std::string out;
        EXPECT_EQ(f.s.node(sys).s->swsa_keys(out), 0u) << sys;
        EXPECT_EQ(out, "") << sys;
    }
}

TEST(Fig4Swsa, ABurstOfPacketsTakesItsSequenceNumbersFromEzbdvipaAsBlocks) {
    swsa_fixture f;
    auto& m1 = f.s.node("MVS1");
    auto& c = f.s.client(1);
    f.sa.lifesize = 20000;  // targets report every 1,000 bytes (5 %)
    ASSERT_EQ(m1.s->swsa_install(f.sa), "");
    f.s.pump();
    // MVS2's image sends one packet (its ARP for CLIENT1 resolves), then 40 under the SA
    // in one TUN burst, then 3 one at a time.
    auto& t = f.s.node("MVS2");
    auto before = c.received.size();
    t.s->app_burst(1);
    t.s->app_packet(tcp_segment(dva1, 60, c.address, 42000, ACK, "first"));
    f.s.pump();
    t.s->app_burst(40);
    for (int i = 0; i < 40; ++i) t.s->app_packet(tcp_segment(dva1, 60, c.address, 42000, ACK, "reply " + std::to_string(i)));
    for (int i = 0; i < 3; ++i) {
        t.s->app_burst(1);
        t.s->app_packet(tcp_segment(dva1, 60, c.address, 42000, ACK, "more"));
    }
    f.s.pump();
    ASSERT_EQ(c.received.size(), before + 44);
    ipsec::replay_window peer_window(64);
    for (std::size_t i = before; i < c.received.size(); ++i) {
        std::uint32_t seq = get32(c.received[i], 24);
        EXPECT_EQ(seq, i - before + 1);
        EXPECT_TRUE(peer_window.check(seq));
        peer_window.update(seq);
    }
    // One for the first, 16 + 16 + 8 for the burst (the stacks plan for four senders:
    // blocks of a quarter of the peer's window), then one each.
    auto d = t.cmd("ipsec -y display -s -r detail");
    EXPECT_EQ(lines_with(d, "SeqNumRequests:"),
              (std::vector<std::string>{"SeqNumRequests:          7 for 44 numbers"}));

    // MVS2 reports its use of the SA on its next tick; the owner's display of its master
    // adds it to its own: the sysplex-wide count IKE rekeys on.
    auto bytes = [](const std::vector<std::string>& lines, const char* key) {
        auto l = lines_with(lines, key);
        return l.empty() ? std::uint64_t{0} : std::stoull(l[0].substr(l[0].find(':') + 1));
    };
    std::uint64_t used = bytes(d, "OutboundBytes:") + bytes(d, "InboundBytes:");
    ASSERT_GT(used, 1000u);
    f.s.advance(100);
    auto owner = m1.cmd("ipsec -y display -r detail");
    EXPECT_EQ(lines_with(owner, "TunnelID:"), (std::vector<std::string>{"TunnelID:                Y1"}));
    std::uint64_t own = bytes(owner, "OutboundBytes:") + bytes(owner, "InboundBytes:");
    EXPECT_EQ(lines_with(owner, "SysplexBytes:"),
              (std::vector<std::string>{"SysplexBytes:            " + std::to_string(own + used) + " (targets " +
                                        std::to_string(used) + " in 1 reports)"}));
    EXPECT_TRUE(lines_with(owner, "ShadowOf:").empty());
    EXPECT_EQ(owner.back(), "1 entry selected");
}

}  // namespace

namespace {

// NEWCONN (docs/swsa.md): MVS2's policy protects DVA1 -> CLIENT1 port 7000 with a dynamic
// SA; its image's SYN finds none, is dropped and counted, and on the next tick MVS1 has
// the request queued for its IKE daemon. The same connection asks again a second later
// at most; once the SA is installed and distributed, the SYN goes out protected.
TEST(Fig4Swsa, ATargetWithoutTheSaItsPolicyNeedsAsksTheOwnerOnceASecond) {
    swsa_fixture f;
    auto& m1 = f.s.node("MVS1");
    auto& t = f.s.node("MVS2");
    auto& c = f.s.client(1);
    auto need = dva1_tcp_rule(c.address, "dva1_out");
    need.dst_port_lo = need.dst_port_hi = 7000;
    t.s->swsa_policy({need});
    auto syn = tcp_segment(dva1, 41000, c.address, 7000, SYN, "");
    auto before = c.received.size();
    t.s->app_packet(syn);
    f.s.pump();
    EXPECT_EQ(c.received.size(), before) << "no SYN in clear";
    EXPECT_EQ(t.s->drops()[drop::swsa_newconn], 1u);
    EXPECT_TRUE(m1.s->swsa_take_newconns().empty()) << "sent on the target's tick";
    f.s.advance(100);
    auto asked = m1.s->swsa_take_newconns();
    ASSERT_EQ(asked.size(), 1u);
    EXPECT_EQ(asked[0].system, "MVS2");
    EXPECT_EQ(asked[0].dvipa, dva1);
    EXPECT_EQ(asked[0].protocol, 6);
    EXPECT_EQ(asked[0].local_port, 41000);
    EXPECT_EQ(asked[0].remote, c.address);
    EXPECT_EQ(asked[0].remote_port, 7000);
    bool said = false;
    for (const auto& l : m1.log) said = said || l.rfind("ZPX1702I NEWCONN FROM MVS2TCPIPA FOR 198.18.2.1 PORT 41000 TO", 0) == 0;
    EXPECT_TRUE(said);
    // Sent again within the second: dropped, not asked again; after it, asked again.
    t.s->app_packet(syn);
    f.s.advance(100);
    EXPECT_TRUE(m1.s->swsa_take_newconns().empty());
    f.s.advance(1000);
    t.s->app_packet(syn);
    f.s.advance(100);
    EXPECT_EQ(m1.s->swsa_take_newconns().size(), 1u);
    EXPECT_EQ(t.s->drops()[drop::swsa_newconn], 3u);
    // The owner's IKE negotiated it: installed on MVS1, distributed; the SYN goes protected.
    auto sa = f.sa;
    sa.tunnel = "Y2";
    sa.spi_in = 0x4a110002;
    sa.spi_out = 0xc0de0002;
    sa.filters = {{c.address, 32, dva1, 32, 6, 7000, 7000, 0, 65535, 0}, {dva1, 32, c.address, 32, 6, 0, 65535, 7000, 7000, 1}};
    ASSERT_EQ(m1.s->swsa_install(sa), "");
    f.s.pump();
    before = c.received.size();
    t.s->app_packet(syn);
    f.s.pump();
    ASSERT_EQ(c.received.size(), before + 1);
    EXPECT_EQ(c.received.back()[9], 50) << "ESP";
    EXPECT_EQ(t.s->drops()[drop::swsa_newconn], 3u);
}

TEST(Fig4Swsa, AClearPacketThePolicyProtectsIsDeniedOnInputWhereverItLands) {
    // FIG4's policies protect TCP between DVA1 port 60 and the peer. The same SYN in clear
    // is denied by the stack that would hand it to its image: each target, for the
    // connections the distributor gives it, and the owner for its own.
    swsa_fixture f;
    auto& c = f.s.client(1);
    auto rule = dva1_tcp_rule(c.address, "dva1_peer1");
    rule.src_port_lo = rule.src_port_hi = 60;
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) f.s.node(sys).s->swsa_policy({rule});
    for (std::uint16_t port = 42100; port < 42103; ++port) {
        auto syn = tcp_segment(c.address, port, dva1, 60, SYN, "");
        c.send(syn);
        f.s.pump();
        EXPECT_TRUE(f.got(syn).empty()) << "port " << port;
    }
    for (const char* sys : {"MVS1", "MVS2", "MVS4"})
        EXPECT_EQ(f.s.node(sys).s->drops()[drop::swsa_clear], 1u) << sys;
    // Not covered by the rule (another port of DVA1's): delivered in clear.
    auto other = tcp_segment(c.address, 42200, dva1, 61, SYN, "");
    f.s.node("MVS1").s->listener_added(ipv4_address{dva1}, 61, "SERVER");
    c.send(other);
    f.s.pump();
    EXPECT_EQ(f.got(other).size(), 1u);
    // Under the SA it is what the policy wants: delivered, decapsulated, on its target.
    ASSERT_EQ(f.s.node("MVS1").s->swsa_install(f.sa), "");
    f.s.pump();
    auto syn = tcp_segment(c.address, 42300, dva1, 60, SYN, "");
    f.client_sends(syn);
    EXPECT_EQ(f.got(syn).size(), 1u);
    for (const char* sys : {"MVS1", "MVS2", "MVS4"})
        EXPECT_EQ(f.s.node(sys).s->drops()[drop::swsa_clear], 1u) << sys;
}

}  // namespace
