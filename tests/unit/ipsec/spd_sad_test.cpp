// SPDX-License-Identifier: Apache-2.0
// SPD order, dynamic filters and the implicit deny; SAD look-ups and lifetimes.
#include <zplex/ipsec/sad.hpp>
#include <zplex/ipsec/spd.hpp>

#include <gtest/gtest.h>

#include <vector>

namespace zplex::ipsec {
namespace {

constexpr std::uint32_t ip(int a, int b, int c, int d) {
    return static_cast<std::uint32_t>(a << 24 | b << 16 | c << 8 | d);
}

TEST(ipsec_spd, first_match_in_order_and_implicit_deny) {
    spd p;
    spd_rule ike;
    ike.protocol = 17;
    ike.dst_port_lo = ike.dst_port_hi = 500;
    p.add(ike);
    spd_rule deny_lan;
    deny_lan.src = ip(198, 18, 0, 0);
    deny_lan.src_len = 24;
    deny_lan.action = spd_action::deny;
    p.add(deny_lan);
    spd_rule dvipa;
    dvipa.dst = ip(198, 18, 2, 1);
    dvipa.dst_len = 32;
    dvipa.protocol = 6;
    dvipa.dst_port_lo = dvipa.dst_port_hi = 60;
    dvipa.action = spd_action::ipsec;
    dvipa.sa_name = "DVA1";
    p.add(dvipa);
    spd_selector s{ip(198, 18, 0, 200), ip(198, 18, 2, 1), 17, 500, 500, spd_direction::inbound};
    EXPECT_EQ(p.lookup(s).action, spd_action::permit);
    s.src = ip(198, 19, 0, 200);  // from outside the denied LAN
    s.protocol = 6;
    s.dst_port = 60;
    EXPECT_EQ(p.lookup(s).action, spd_action::ipsec);
    EXPECT_EQ(p.lookup(s).rule->sa_name, "DVA1");
    s.src = ip(198, 18, 0, 5);
    EXPECT_EQ(p.lookup(s).action, spd_action::deny) << "the earlier deny wins";
    s.src = ip(198, 19, 0, 5);
    s.dst_port = 61;
    auto m = p.lookup(s);
    EXPECT_EQ(m.action, spd_action::deny);
    EXPECT_EQ(m.rule, nullptr) << "no rule: SYSDEFAULTDENYRULE";
}

TEST(ipsec_spd, dynamic_filters_come_first_and_leave_with_their_sa) {
    spd p;
    spd_rule all;
    all.action = spd_action::permit;
    p.add(all);
    spd_rule dyn;
    dyn.dst = ip(198, 18, 2, 1);
    dyn.dst_len = 32;
    dyn.action = spd_action::ipsec;
    dyn.sa_name = "SA1";
    p.add_dynamic(dyn);
    spd_selector s{ip(198, 18, 0, 200), ip(198, 18, 2, 1), 1, 0, 0, spd_direction::outbound};
    EXPECT_EQ(p.lookup(s).action, spd_action::ipsec);
    EXPECT_EQ(p.remove_dynamic("SA1"), 1u);
    EXPECT_EQ(p.lookup(s).action, spd_action::permit);
}

TEST(ipsec_spd, thousands_of_dynamic_filters_keep_first_added_order) {
    // One filter pair per peer host, and now and then a prefix filter that shadows
    // the later host filters: the index must give what a scan in order gives.
    spd p;
    std::vector<spd_rule> all;
    for (int i = 0; i < 3000; ++i) {
        spd_rule r;
        r.dst = ip(198, 19, i / 250, i % 250);
        r.dst_len = (i % 500 == 499) ? 24 : 32;
        r.protocol = static_cast<std::uint8_t>(i % 3 == 0 ? 6 : 17);
        r.action = i % 7 == 0 ? spd_action::deny : spd_action::ipsec;
        r.sa_name = "SA" + std::to_string(i % 100);
        all.push_back(r);
        p.add_dynamic(r);
    }
    auto reference = [&](const spd_selector& s) -> const spd_rule* {
        for (const auto& r : all) {
            bool pre = r.dst_len == 32 ? r.dst == s.dst : (r.dst >> 8) == (s.dst >> 8);
            if (pre && r.protocol && *r.protocol == s.protocol) {
                return &r;
            }
        }
        return nullptr;
    };
    int checked = 0;
    for (int i = 0; i < 3000; i += 7) {
        for (std::uint8_t proto : {6, 17}) {
            spd_selector s{ip(198, 18, 2, 1), ip(198, 19, i / 250, i % 250), proto, 1000, 2000, spd_direction::outbound};
            auto got = p.lookup(s);
            auto want = reference(s);
            if (want) {
                ASSERT_NE(got.rule, nullptr) << i;
                EXPECT_EQ(got.rule->dst, want->dst) << i;
                EXPECT_EQ(got.rule->dst_len, want->dst_len) << i;
                EXPECT_EQ(got.rule->sa_name, want->sa_name) << i;
                ++checked;
            } else {
                EXPECT_EQ(got.rule, nullptr) << i;
            }
        }
    }
    EXPECT_GT(checked, 400);
    // Removing an SA's filters keeps the others' order.
    EXPECT_EQ(p.remove_dynamic("SA99"), 30u);
    std::erase_if(all, [](const spd_rule& r) { return r.sa_name == "SA99"; });
    for (int i = 0; i < 3000; i += 11) {
        spd_selector s{0, ip(198, 19, i / 250, i % 250), 17, 1, 2, spd_direction::outbound};
        auto want = reference(s);
        auto got = p.lookup(s);
        EXPECT_EQ(got.rule ? got.rule->sa_name : "", want ? want->sa_name : "") << i;
    }
}

TEST(ipsec_spd, thousands_of_rules_keep_order_semantics) {
    spd p;
    for (int i = 0; i < 5000; ++i) {
        spd_rule r;
        r.protocol = 6;
        r.dst_port_lo = r.dst_port_hi = static_cast<std::uint16_t>(1000 + i);
        r.action = i % 2 ? spd_action::deny : spd_action::permit;
        p.add(r);
    }
    spd_rule any;
    any.action = spd_action::ipsec;
    any.sa_name = "ANY";
    p.add(any);
    EXPECT_EQ(p.lookup({1, 2, 6, 9, 1000, spd_direction::outbound}).action, spd_action::permit);
    EXPECT_EQ(p.lookup({1, 2, 6, 9, 1001, spd_direction::outbound}).action, spd_action::deny);
    EXPECT_EQ(p.lookup({1, 2, 6, 9, 9999, spd_direction::outbound}).action, spd_action::ipsec);
    EXPECT_EQ(p.lookup({1, 2, 17, 9, 1000, spd_direction::outbound}).action, spd_action::ipsec);
}

std::unique_ptr<esp_sa> gcm_sa(std::uint32_t spi) {
    sa_config c;
    c.spi = spi;
    c.key.assign(20, 7);
    return esp_sa::create(c);
}

TEST(ipsec_sad, inbound_exact_source_before_any_source) {
    sad d;
    ASSERT_TRUE(d.add_inbound(0x100, 50, ip(198, 18, 2, 1), std::nullopt, gcm_sa(0x100)));
    ASSERT_TRUE(d.add_inbound(0x100, 50, ip(198, 18, 2, 1), ip(198, 18, 0, 200), gcm_sa(0x100)));
    EXPECT_FALSE(d.add_inbound(0x100, 50, ip(198, 18, 2, 1), std::nullopt, gcm_sa(0x100))) << "SPI in use";
    auto* exact = d.inbound(0x100, 50, ip(198, 18, 2, 1), ip(198, 18, 0, 200));
    auto* any = d.inbound(0x100, 50, ip(198, 18, 2, 1), ip(198, 18, 0, 9));
    ASSERT_TRUE(exact && any);
    EXPECT_NE(exact, any);
    EXPECT_EQ(d.inbound(0x101, 50, ip(198, 18, 2, 1), ip(198, 18, 0, 9)), nullptr);
}

TEST(ipsec_sad, lifesize_and_lifetime_raise_soft_then_hard) {
    std::vector<sa_notice> got;
    sad d([&](const sa_notice& n) { got.push_back(n); });
    sa_lifetime life;
    life.soft_bytes = 100;
    life.hard_bytes = 200;
    auto t0 = sad::clock::now();
    d.add_outbound("DVA1", gcm_sa(0x200), life, t0);
    std::vector<std::uint8_t> ipkt = {0x45, 0, 0, 88, 0, 1, 0, 0, 64, 17, 0, 0, 198, 18, 2, 1, 198, 18, 0, 200};
    ipkt.resize(88, 0);
    for (int i = 0; i < 2; ++i) {
        packet p;
        p.assign(ipkt);
        ASSERT_EQ(d.outbound("DVA1")->encapsulate(p), drop::none);
    }
    d.check(t0);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].what, sa_event::soft_expire);
    EXPECT_TRUE(got[0].by_bytes);
    d.check(t0);
    EXPECT_EQ(got.size(), 1u) << "soft expiry is raised once";
    for (int i = 0; i < 2; ++i) {
        packet p;
        p.assign(ipkt);
        d.outbound("DVA1")->encapsulate(p);
    }
    d.check(t0);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[1].what, sa_event::hard_expire);
    EXPECT_EQ(d.outbound("DVA1"), nullptr) << "hard expiry removes the SA";

    sa_lifetime timed;
    timed.soft_time = std::chrono::seconds(10);
    timed.hard_time = std::chrono::seconds(20);
    d.add_inbound(0x300, 50, 1, std::nullopt, gcm_sa(0x300), timed, t0);
    d.check(t0 + std::chrono::seconds(11));
    EXPECT_EQ(got.back().what, sa_event::soft_expire);
    EXPECT_FALSE(got.back().by_bytes);
    d.check(t0 + std::chrono::seconds(21));
    EXPECT_EQ(got.back().what, sa_event::hard_expire);
    EXPECT_EQ(d.size(), 0u);
    d.add_outbound("X", gcm_sa(0x400));
    EXPECT_TRUE(d.remove_outbound("X"));
    EXPECT_EQ(got.back().what, sa_event::deleted);
}

TEST(ipsec_sad, holds_ah_sas_by_protocol) {
    sad d;
    sa_config c;
    c.spi = 0x500;
    c.key.assign(48, 7);
    ASSERT_TRUE(d.add_inbound(0x500, 51, ip(198, 18, 2, 1), std::nullopt, ah_sa::create(c)));
    EXPECT_FALSE(d.add_inbound(0x501, 51, ip(198, 18, 2, 1), std::nullopt, ah_sa::create(c)))
        << "the SPI must be the SA's";
    EXPECT_FALSE(d.add_inbound(0x500, 50, ip(198, 18, 2, 2), std::nullopt, ah_sa::create(c)))
        << "an AH SA is not filed under ESP";
    auto* sa = d.inbound(0x500, 51, ip(198, 18, 2, 1), ip(198, 18, 0, 200));
    ASSERT_NE(sa, nullptr);
    EXPECT_EQ(sa->protocol(), 51);
    EXPECT_EQ(d.inbound(0x500, 50, ip(198, 18, 2, 1), ip(198, 18, 0, 200)), nullptr) << "ESP is another SA space";
}

TEST(ipsec_sad, sequence_exhaustion_drops_and_asks_for_a_rekey_once) {
    std::vector<sa_notice> got;
    sad d([&](const sa_notice& n) { got.push_back(n); });
    sa_config c;
    c.spi = 0x600;
    c.key.assign(20, 1);
    auto seqs = std::make_unique<local_seq_source>(false);
    seqs->set_next(0xfffffffeull);
    d.add_outbound("DVA1", esp_sa::create(c, std::move(seqs)));
    std::vector<std::uint8_t> ipkt = {0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 198, 18, 2, 1, 198, 18, 0, 200};
    ipkt.resize(28, 0);
    std::vector<drop> results;
    for (int i = 0; i < 4; ++i) {
        packet p;
        p.assign(ipkt);
        results.push_back(d.protect("DVA1", p));
    }
    EXPECT_EQ(results, (std::vector<drop>{drop::none, drop::none, drop::seq_exhausted, drop::seq_exhausted}));
    ASSERT_EQ(got.size(), 1u) << "one rekey request, not one per packet";
    EXPECT_EQ(got[0].what, sa_event::seq_exhausted);
    EXPECT_EQ(got[0].spi, 0x600u);
    EXPECT_EQ(got[0].name, "DVA1");
    d.check();
    EXPECT_EQ(got.size(), 1u);
    packet p;
    p.assign(ipkt);
    EXPECT_EQ(d.protect("NONE", p), drop::no_sa);
    EXPECT_STREQ(sa_event_name(sa_event::seq_exhausted), "SEQEXHAUST");

    // An SA driven directly (not through protect) is caught by check().
    auto seqs2 = std::make_unique<local_seq_source>(false);
    seqs2->set_next(0x100000000ull);
    d.add_outbound("DVB1", esp_sa::create(c, std::move(seqs2)));
    p.assign(ipkt);
    EXPECT_EQ(d.outbound("DVB1")->encapsulate(p), drop::seq_exhausted);
    d.check();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[1].name, "DVB1");
}

}  // namespace
}  // namespace zplex::ipsec
