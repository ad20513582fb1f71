// SPDX-License-Identifier: Apache-2.0
// A target's shadow SA cache over a real EZBDVIPA: the SA the owner distributed is
// installed (filters in the SPD, inbound by SPI/protocol/source, outbound by tunnel
// with CF sequence numbers), a rekey is make-before-break, a delete removes it, the
// lifesize batching adapts both ways, and `ipsec -y display -s` shows the shadows.
#include "cf_plex.hpp"
#include "swsa_ezbdvipa.hpp"

#include <zplex/ipsec/display.hpp>
#include <zplex/swsa/sa_record.hpp>
#include <zplex/swsa/shadow_cache.hpp>
#include <zplex/sysplex/byte_order.hpp>

#include <sstream>

namespace zplex::swsa {
namespace {

using cf::test::plex;

constexpr std::uint32_t dva1 = 0xc6120301;  // 198.18.3.1
constexpr std::uint32_t peer = 0xc6120064;  // 198.18.0.100

/// An IPv4/TCP packet with @p payload bytes of data.
ipsec::packet tcp_packet(std::uint32_t src, std::uint32_t dst, std::uint16_t sport, std::uint16_t dport,
                         std::size_t payload) {
    std::vector<std::uint8_t> b(40 + payload, 0);
    b[0] = 0x45;
    sysplex::put16(&b[2], static_cast<std::uint16_t>(b.size()));
    b[8] = 64;
    b[9] = 6;
    sysplex::put32(&b[12], src);
    sysplex::put32(&b[16], dst);
    std::uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) {
        sum += sysplex::get16(&b[i]);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sysplex::put16(&b[10], static_cast<std::uint16_t>(~sum));
    sysplex::put16(&b[20], sport);
    sysplex::put16(&b[22], dport);
    b[32] = 0x50;
    for (std::size_t i = 40; i < b.size(); ++i) {
        b[i] = static_cast<std::uint8_t>(i);
    }
    ipsec::packet p;
    EXPECT_TRUE(p.assign(b));
    return p;
}

/// What the owner sends for tunnel @p t: AES-GCM-128 transport, TCP port 60 of DVA1.
sa_distribute_message distribution(const std::string& t, std::uint32_t spi_in, std::uint32_t spi_out,
                                   const sa_record& rec, std::uint64_t lifesize = 0) {
    sa_distribute_message m;
    m.owner_system = "MVS1";
    m.owner_stack = "TCPIPA";
    m.tunnel = t;
    m.vpn_action = "ESP_AES_GCM";
    m.dvipa = dva1;
    m.peer = peer;
    m.protocol = 50;
    m.mode = 0;
    m.alg = 0;
    m.spi_in = spi_in;
    m.spi_out = spi_out;
    for (int i = 0; i < 20; ++i) {
        m.key_in.push_back(static_cast<std::uint8_t>(spi_in + i));
        m.key_out.push_back(static_cast<std::uint8_t>(spi_out + 3 * i));
    }
    m.counter_list = rec.counter_list;
    m.base = rec.base;
    m.lifesize = lifesize;
    m.lifetime_s = 3600;
    m.filters.push_back({peer, 32, dva1, 32, 6, 0, 65535, 60, 60, 0});  // inbound
    m.filters.push_back({dva1, 32, peer, 32, 6, 60, 60, 0, 65535, 1});  // outbound
    return m;
}

/// The peer's side of the SA: it sends under spi_in with key_in, receives spi_out.
struct peer_side {
    std::unique_ptr<ipsec::esp_sa> out, in;
    explicit peer_side(const sa_distribute_message& m) {
        ipsec::sa_config c;
        c.spi = m.spi_in;
        c.key.assign(m.key_in.begin(), m.key_in.end());
        out = ipsec::esp_sa::create(c);
        c.spi = m.spi_out;
        c.key.assign(m.key_out.begin(), m.key_out.end());
        in = ipsec::esp_sa::create(c);
    }
};

/// The owner's part: the SA record in EZBDVIPA gives the counter the targets share.
sa_record publish(cf::connector& c, std::uint32_t spi_in) {
    sa_store store(c);
    sa_record r;
    r.owner_system = "MVS1";
    r.owner_stack = "TCPIPA";
    r.tunnel = "Y5";
    r.dvipa = dva1;
    r.peer = peer;
    r.esp_spi_in = spi_in;
    r.esp_spi_out = spi_in + 0x1000;
    EXPECT_TRUE(store.publish(r));
    return r;
}

struct target {
    ipsec::sad sad;
    ipsec::spd spd;
    std::unique_ptr<cf::connector> cf;
    std::vector<std::string> said;
    std::unique_ptr<shadow_cache> cache;
    target(plex& p, const std::string& name) : cf(p.connect(name)) {
        shadow_cache::options o;
        o.system = "MVS2";
        o.stack = "TCPIPB";
        o.cf = cf.get();
        o.on_seq_failure = [this](std::string_view l, bool) { said.emplace_back(l); };
        cache = std::make_unique<shadow_cache>(sad, spd, std::move(o));
    }
};

std::uint32_t esp_seq(const ipsec::packet& p) { return sysplex::get32(p.data() + 20 + 4); }

TEST(swsa_shadow, a_distributed_sa_is_installed_and_protects_both_ways_with_cf_numbers) {
    plex p(zplex::test::swsa_ezbdvipa());
    p.start("CF01");
    auto owner = p.connect("TCPIPA");
    auto rec = publish(*owner, 0x4a110005);
    auto m = distribution("Y5", 0x4a110005, 0xc0de0005, rec);
    target t(p, "TCPIPB");
    std::string why;
    ASSERT_TRUE(t.cache->install(m, &why)) << why;
    EXPECT_EQ(t.cache->size(), 1u);
    EXPECT_FALSE(t.cache->install(m, &why));
    EXPECT_EQ(why, "TUNNEL ALREADY INSTALLED");

    // Outbound: the application's packet from DVA1:60 matches the shadow's filter.
    auto match = t.spd.lookup({dva1, peer, 6, 60, 40000, ipsec::spd_direction::outbound});
    ASSERT_EQ(match.action, ipsec::spd_action::ipsec);
    EXPECT_EQ(match.rule->sa_name, "Y5");
    peer_side ps(m);
    ipsec::replay_window window(64);
    // Another target sends under the same SA in between: numbers never repeat.
    target t2(p, "TCPIPC");
    ASSERT_TRUE(t2.cache->install(m));
    std::vector<std::uint32_t> seqs;
    for (int i = 0; i < 6; ++i) {
        auto& who = i % 3 == 2 ? t2 : t;
        auto pkt = tcp_packet(dva1, peer, 60, 40000, 100);
        ASSERT_EQ(who.sad.protect("Y5", pkt), ipsec::drop::none);
        seqs.push_back(esp_seq(pkt));
        ASSERT_EQ(ps.in->decapsulate(pkt), ipsec::drop::none) << "the peer accepts it";
    }
    EXPECT_EQ(seqs, (std::vector<std::uint32_t>{1, 2, 3, 4, 5, 6}));
    cf::list_controls lc;
    ASSERT_TRUE(owner->read_list_controls(rec.counter_list, lc));
    EXPECT_EQ(lc.list_key - rec.base, 6u) << "every number came from EZBDVIPA";

    // Inbound: found by SPI, protocol and source; fully processed on the target.
    auto in = tcp_packet(peer, dva1, 40000, 60, 300);
    std::vector<std::uint8_t> plain(in.view().begin(), in.view().end());
    ASSERT_EQ(ps.out->encapsulate(in), ipsec::drop::none);
    auto* sa = t.sad.inbound(0x4a110005, 50, dva1, peer);
    ASSERT_NE(sa, nullptr);
    EXPECT_EQ(t.sad.inbound(0x4a110005, 50, dva1, peer + 1), nullptr) << "another source does not find it";
    ASSERT_EQ(sa->decapsulate(in), ipsec::drop::none);
    EXPECT_EQ(std::vector<std::uint8_t>(in.view().begin(), in.view().end()), plain);
}

TEST(swsa_shadow, a_rekey_is_make_before_break_and_a_delete_removes_the_shadow) {
    plex p(zplex::test::swsa_ezbdvipa());
    p.start("CF01");
    auto owner = p.connect("TCPIPA");
    auto rec5 = publish(*owner, 0x4a110005);
    auto rec7 = publish(*owner, 0x4a110007);
    target t(p, "TCPIPB");
    auto y5 = distribution("Y5", 0x4a110005, 0xc0de0005, rec5);
    auto y7 = distribution("Y7", 0x4a110007, 0xc0de0007, rec7);
    y7.replaces = "Y5";
    ASSERT_TRUE(t.cache->install(y5));
    peer_side old_peer(y5);
    auto late = tcp_packet(peer, dva1, 40000, 60, 50);  // sent under Y5, arrives after the rekey
    ASSERT_EQ(old_peer.out->encapsulate(late), ipsec::drop::none);

    ASSERT_TRUE(t.cache->install(y7));
    auto match = t.spd.lookup({dva1, peer, 6, 60, 40000, ipsec::spd_direction::outbound});
    ASSERT_EQ(match.action, ipsec::spd_action::ipsec);
    EXPECT_EQ(match.rule->sa_name, "Y7") << "outbound moved to the new SA at once";
    EXPECT_FALSE(t.cache->find("Y5")->filters_active);
    auto* old_in = t.sad.inbound(0x4a110005, 50, dva1, peer);
    ASSERT_NE(old_in, nullptr) << "the old inbound SA stays until its delete";
    EXPECT_EQ(old_in->decapsulate(late), ipsec::drop::none);
    auto out = tcp_packet(dva1, peer, 60, 40000, 10);
    ASSERT_EQ(t.sad.protect("Y7", out), ipsec::drop::none);
    EXPECT_EQ(esp_seq(out), 1u) << "the new SA numbers from its own counter";

    sa_delete_message d{"MVS1", "TCPIPA", "Y5", delete_reason::rekeyed, dva1, 50, 0x4a110005, 0xc0de0005};
    ASSERT_TRUE(t.cache->remove(d));
    EXPECT_EQ(t.sad.inbound(0x4a110005, 50, dva1, peer), nullptr);
    EXPECT_EQ(t.sad.outbound("Y5"), nullptr);
    EXPECT_FALSE(t.cache->remove(d)) << "already gone";
    auto wrong = d;
    wrong.tunnel = "Y7";
    EXPECT_FALSE(t.cache->remove(wrong)) << "the SPI must be the tunnel's";
    d = {"MVS1", "TCPIPA", "Y7", delete_reason::deleted, dva1, 50, 0x4a110007, 0xc0de0007};
    ASSERT_TRUE(t.cache->remove(d));
    EXPECT_EQ(t.cache->size(), 0u);
    EXPECT_EQ(t.sad.size(), 0u);
    match = t.spd.lookup({dva1, peer, 6, 60, 40000, ipsec::spd_direction::outbound});
    EXPECT_EQ(match.action, ipsec::spd_action::deny) << "no filter left: the default deny";

    ASSERT_TRUE(t.cache->install(y5));
    EXPECT_EQ(t.cache->remove_owner("MVS1", dva1), 1u) << "the owner failed: its shadows go";
    EXPECT_EQ(t.sad.size(), 0u);
}

TEST(swsa_shadow, lifesize_reports_come_in_batches_that_adapt_both_ways) {
    plex p(zplex::test::swsa_ezbdvipa());
    p.start("CF01");
    auto owner = p.connect("TCPIPA");
    target t(p, "TCPIPB");
    constexpr std::uint64_t lifesize = 1000000;
    std::uint32_t spi = 0x4a110100;
    std::uint64_t reported = 0, reports = 0;
    std::string current;
    auto rec = publish(*owner, spi);  // one counter will do: the reports count inbound bytes
    // Install tunnel n, send until its first report, return the bytes it took.
    auto first_report_after = [&](int n, const std::string& replaces, delete_reason old_reason) {
        auto m = distribution("Y" + std::to_string(n), spi + 2 * n, spi + 2 * n + 1, rec, lifesize);
        m.replaces = replaces;
        EXPECT_TRUE(t.cache->install(m));
        if (!current.empty()) {
            const auto* old = t.cache->find(current);
            EXPECT_TRUE(t.cache->remove({"MVS1", "TCPIPA", current, old_reason, dva1, 50, old->spi_in, old->spi_out}));
        }
        current = m.tunnel;
        peer_side ps(m);
        std::uint64_t sent = 0;
        for (int i = 0; i < 10000; ++i) {
            auto pkt = tcp_packet(peer, dva1, 40000, 60, 980);  // 1,000 bytes counted (after the IP header)
            EXPECT_EQ(ps.out->encapsulate(pkt), ipsec::drop::none);
            EXPECT_EQ(t.sad.inbound(m.spi_in, 50, dva1, peer)->decapsulate(pkt), ipsec::drop::none);
            sent += 1000;
            auto due = t.cache->collect_reports();
            if (!due.empty()) {
                EXPECT_EQ(due.size(), 1u);
                EXPECT_EQ(due[0].tunnel, m.tunnel);
                EXPECT_EQ(due[0].system, "MVS2");
                EXPECT_EQ(due[0].bytes, sent) << "the report carries every byte since the last";
                EXPECT_EQ(due[0].packets, sent / 1000);
                reported += due[0].bytes;
                ++reports;
                return sent;
            }
        }
        return std::uint64_t{0};
    };
    EXPECT_EQ(t.cache->batching().basis_points(), 500u);
    EXPECT_EQ(first_report_after(1, "", delete_reason::deleted), 50000u) << "5 % of the lifesize";
    // The owner let Y1 expire without a refresh: report sooner.
    EXPECT_EQ(first_report_after(2, "", delete_reason::expired), 25000u) << "halved to 2.5 %";
    EXPECT_EQ(first_report_after(3, "", delete_reason::expired), 13000u) << "1.25 %, whole packets";
    // Now IKE refreshes in time (each new SA replaces the old before it expires): raised.
    EXPECT_EQ(first_report_after(4, "Y3", delete_reason::rekeyed), 23000u) << "2.25 %";
    EXPECT_EQ(first_report_after(5, "Y4", delete_reason::rekeyed), 33000u) << "3.25 %";
    for (int n = 6; n < 14; ++n) {
        first_report_after(n, "Y" + std::to_string(n - 1), delete_reason::rekeyed);
    }
    EXPECT_EQ(t.cache->batching().basis_points(), lifesize_batching::max_bp) << "raised up to the maximum, 10 %";
    EXPECT_EQ(first_report_after(14, "Y13", delete_reason::rekeyed), 100000u);
    EXPECT_EQ(reports, 14u);
    for (int i = 0; i < 6; ++i) {
        t.cache->remove({"MVS1", "TCPIPA", current, delete_reason::expired, dva1, 50, t.cache->find(current)->spi_in,
                         t.cache->find(current)->spi_out});
        current.clear();
        first_report_after(20 + i, "", delete_reason::expired);
    }
    EXPECT_EQ(t.cache->batching().basis_points(), lifesize_batching::min_bp) << "lowered down to the minimum, 0.5 %";
}

TEST(swsa_shadow, ipsec_y_display_s_shows_the_shadows_on_the_target) {
    plex p(zplex::test::swsa_ezbdvipa());
    p.start("CF01");
    auto owner = p.connect("TCPIPA");
    auto rec = publish(*owner, 0x4a110005);
    target t(p, "TCPIPB");
    ASSERT_TRUE(t.cache->install(distribution("Y5", 0x4a110005, 0xc0de0005, rec, 1 << 20)));
    auto pkt = tcp_packet(dva1, peer, 60, 40000, 100);
    ASSERT_EQ(t.sad.protect("Y5", pkt), ipsec::drop::none);
    ipsec::report_heading h;
    h.stack_name = "TCPIPB";
    h.function = "Display (shadows)";
    h.detail = true;
    auto text = ipsec::format_dynamic_tunnels(h, t.cache->display_records());
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
        lines.push_back(l);
    }
    ASSERT_GT(lines.size(), 40u) << text;
    EXPECT_EQ(lines[1], "Primary:  Dynamic tunnel   Function: Display (shadows)  Format:   Detail");
    EXPECT_EQ(lines[2], "Source:   Stack            Scope:    Current            TotAvail: 1");
    auto has = [&](const std::string& l) { return std::find(lines.begin(), lines.end(), l) != lines.end(); };
    EXPECT_TRUE(has("TunnelID:                Y5")) << text;
    EXPECT_TRUE(has("VpnActionName:           ESP_AES_GCM")) << text;
    EXPECT_TRUE(has("State:                   Active")) << text;
    EXPECT_TRUE(has("LocalEndPoint:           198.18.3.1")) << text;
    EXPECT_TRUE(has("RemoteEndPoint:          198.18.0.100")) << text;
    EXPECT_TRUE(has("Protocol:                TCP(6)")) << text;
    EXPECT_TRUE(has("LocalPort:               60")) << text;
    EXPECT_TRUE(has("EncryptInboundSpi:       0x4A110005")) << text;
    EXPECT_TRUE(has("EncryptOutboundSpi:      0xC0DE0005")) << text;
    EXPECT_TRUE(has("OutboundPackets:         1")) << text;
    EXPECT_TRUE(has("Lifesize:                1024K")) << text;
    EXPECT_TRUE(has("Distributed:             Yes")) << text;
    EXPECT_TRUE(has("ShadowOf:                TCPIPA")) << text;
    EXPECT_TRUE(has("SeqNumSource:            CF")) << text;
    EXPECT_EQ(lines.back(), "1 entry selected") << text;
}

}  // namespace
}  // namespace zplex::swsa
