// SPDX-License-Identifier: Apache-2.0
// Two zplex IKE peers back to back in one process (strongSwan's exchange_test_helper
// idea): every exchange, NAT-T, retransmission, errors; the CHILD SAs negotiated are
// built into zplex::ipsec::esp_sa objects and pass a real ESP packet each way.
#include <zplex/ike/peer.hpp>
#include <zplex/ipsec/esp.hpp>

#include "ike_harness.hpp"

#include <gtest/gtest.h>

#include <deque>

namespace zplex::ike {
namespace {

using test::harness;
using test::count;

// IKE_SA_INIT / IKE_AUTH with a PSK, AES-GCM-256, P-256, tunnel mode.
TEST(ike_exchange, psk_establishes_ike_and_child_and_esp_passes_both_ways) {
    harness h(test::pair_config());
    h.run(h.a.initiate("a-to-b", h.now));
    ASSERT_EQ(count(h.ev_a, event_type::ike_up), 1);
    ASSERT_EQ(count(h.ev_b, event_type::ike_up), 1);
    ASSERT_EQ(count(h.ev_a, event_type::child_up), 1);
    ASSERT_EQ(count(h.ev_b, event_type::child_up), 1);
    auto ca = h.last(h.ev_a, event_type::child_up).child;
    auto cb = h.last(h.ev_b, event_type::child_up).child;
    EXPECT_EQ(ca.spi_in, cb.spi_out);
    EXPECT_EQ(ca.spi_out, cb.spi_in);
    EXPECT_EQ(ca.outbound.key, cb.inbound.key);
    EXPECT_EQ(ca.outbound.alg, ipsec::algorithm::aes_gcm_256);
    EXPECT_EQ(ca.outbound.mode, ipsec::sa_mode::tunnel);
    EXPECT_TRUE(test::esp_round_trip(ca, cb));
    auto st = h.a.status();
    ASSERT_EQ(st.size(), 1u);
    EXPECT_TRUE(st[0].established);
    EXPECT_EQ(st[0].dh, dh_group::ecp_256);
}

TEST(ike_exchange, every_dh_group_negotiates) {
    for (auto g : {dh_group::modp_2048, dh_group::ecp_256, dh_group::ecp_384, dh_group::curve25519}) {
        auto cfg = test::pair_config();
        cfg.a.connections[0].proposals[0].dh = {g};
        cfg.b.connections[0].proposals[0].dh = {g};
        harness h(cfg);
        h.run(h.a.initiate("a-to-b", h.now));
        ASSERT_EQ(count(h.ev_a, event_type::child_up), 1) << g;
        EXPECT_EQ(h.a.status()[0].dh, g);
        EXPECT_TRUE(test::esp_round_trip(h.last(h.ev_a, event_type::child_up).child,
                                         h.last(h.ev_b, event_type::child_up).child));
    }
}

TEST(ike_exchange, every_ike_and_esp_proposal_negotiates) {
    struct ike_case {
        std::uint16_t encr, bits, integ, prf;
    };
    for (auto ic : {ike_case{encr_id::aes_gcm_16, 128, 0, prf_id::hmac_sha2_256},
                    ike_case{encr_id::aes_gcm_16, 256, 0, prf_id::hmac_sha2_512},
                    ike_case{encr_id::aes_cbc, 128, integ_id::hmac_sha2_256_128, prf_id::hmac_sha2_256},
                    ike_case{encr_id::aes_cbc, 256, integ_id::hmac_sha2_384_192, prf_id::hmac_sha2_384},
                    ike_case{encr_id::aes_cbc, 256, integ_id::hmac_sha2_512_256, prf_id::hmac_sha2_512}}) {
        struct esp_case {
            std::uint16_t encr, bits, integ;
            bool esn;
            ipsec::algorithm alg;
        };
        for (auto ec : {esp_case{encr_id::aes_gcm_16, 128, 0, false, ipsec::algorithm::aes_gcm_128},
                        esp_case{encr_id::aes_gcm_16, 256, 0, true, ipsec::algorithm::aes_gcm_256},
                        esp_case{encr_id::aes_cbc, 128, integ_id::hmac_sha2_256_128, false,
                                 ipsec::algorithm::aes_cbc_128_hmac_sha256},
                        esp_case{encr_id::aes_cbc, 256, integ_id::hmac_sha2_256_128, true,
                                 ipsec::algorithm::aes_cbc_256_hmac_sha256},
                        esp_case{encr_id::aes_cbc, 128, integ_id::hmac_sha2_384_192, false,
                                 ipsec::algorithm::aes_cbc_128_hmac_sha384},
                        esp_case{encr_id::aes_cbc, 256, integ_id::hmac_sha2_512_256, true,
                                 ipsec::algorithm::aes_cbc_256_hmac_sha512}}) {
            auto cfg = test::pair_config();
            for (auto* c : {&cfg.a.connections[0], &cfg.b.connections[0]}) {
                c->proposals[0].encr = {{ic.encr, ic.bits}};
                c->proposals[0].integ = ic.integ ? std::vector<std::uint16_t>{ic.integ} : std::vector<std::uint16_t>{};
                c->proposals[0].prf = {ic.prf};
                auto& ep = c->children[0].proposals[0];
                ep.encr = {{ec.encr, ec.bits}};
                ep.integ = ec.integ ? std::vector<std::uint16_t>{ec.integ} : std::vector<std::uint16_t>{};
                ep.esn = ec.esn;
            }
            harness h(cfg);
            h.run(h.a.initiate("a-to-b", h.now));
            ASSERT_EQ(count(h.ev_a, event_type::child_up), 1) << ic.encr << "/" << ic.integ << " " << ec.encr;
            auto ca = h.last(h.ev_a, event_type::child_up).child;
            EXPECT_EQ(ca.outbound.alg, ec.alg);
            EXPECT_EQ(ca.outbound.esn, ec.esn);
            EXPECT_EQ(h.a.status()[0].integ, ic.integ);
            EXPECT_TRUE(test::esp_round_trip(ca, h.last(h.ev_b, event_type::child_up).child));
        }
    }
}

TEST(ike_exchange, responder_picks_from_a_multi_transform_proposal) {
    // strongSwan style: one proposal with several of each transform type.
    auto cfg = test::pair_config();
    auto& p = cfg.a.connections[0].proposals[0];
    p.encr = {{encr_id::aes_cbc, 128}, {encr_id::aes_cbc, 256}};
    p.integ = {integ_id::hmac_sha2_512_256, integ_id::hmac_sha2_256_128};
    p.prf = {prf_id::hmac_sha2_512, prf_id::hmac_sha2_256};
    p.dh = {dh_group::curve25519, dh_group::ecp_256};
    auto& q = cfg.b.connections[0].proposals[0];
    q.encr = {{encr_id::aes_cbc, 256}};
    q.integ = {integ_id::hmac_sha2_256_128};
    q.prf = {prf_id::hmac_sha2_256};
    q.dh = {dh_group::curve25519};
    harness h(cfg);
    h.run(h.a.initiate("a-to-b", h.now));
    ASSERT_EQ(count(h.ev_a, event_type::ike_up), 1);
    auto s = h.a.status()[0];
    EXPECT_EQ(s.encr_key_bits, 256);
    EXPECT_EQ(s.integ, integ_id::hmac_sha2_256_128);
    EXPECT_EQ(s.dh, dh_group::curve25519);
}

// HDR, SAi1, KEi(19), Ni -->  <-- N(INVALID_KE_PAYLOAD, 31);  HDR, SAi1, KEi(31), Ni --> ...
TEST(ike_exchange, invalid_ke_payload_retries_with_the_suggested_group) {
    auto cfg = test::pair_config();
    cfg.a.connections[0].proposals[0].dh = {dh_group::ecp_256, dh_group::curve25519};
    cfg.b.connections[0].proposals[0].dh = {dh_group::curve25519};
    harness h(cfg);
    h.run(h.a.initiate("a-to-b", h.now));
    ASSERT_EQ(count(h.ev_a, event_type::child_up), 1);
    EXPECT_EQ(h.a.status()[0].dh, dh_group::curve25519);
    EXPECT_EQ(h.b.counters().invalid_ke_sent, 1u);
}

// <-- N(COOKIE);  HDR, N(COOKIE), SAi1, KEi, Ni --> ...
TEST(ike_exchange, responder_under_load_asks_for_a_cookie_and_the_initiator_returns_it) {
    auto cfg = test::pair_config();
    cfg.b.cookie_threshold = 0;  // every SA counts as "under load"
    harness h(cfg);
    h.run(h.a.initiate("a-to-b", h.now));
    ASSERT_EQ(count(h.ev_a, event_type::child_up), 1);
    EXPECT_EQ(h.b.counters().cookies_sent, 1u);
}

TEST(ike_exchange, nat_is_detected_and_ike_and_esp_float_to_4500) {
    auto cfg = test::pair_config();
    cfg.b.connections[0].remote_addr = 0;  // the responder sees the NAT's address
    harness h(cfg);
    h.nat = true;
    h.run(h.a.initiate("a-to-b", h.now));
    ASSERT_EQ(count(h.ev_a, event_type::child_up), 1);
    auto sa = h.a.status()[0];
    auto sb = h.b.status()[0];
    EXPECT_TRUE(sa.nat_local);
    EXPECT_FALSE(sa.nat_remote);
    EXPECT_TRUE(sb.nat_remote);
    EXPECT_EQ(sa.local.port, 4500);
    EXPECT_EQ(sa.remote.port, 4500);
    EXPECT_EQ(sb.remote.port, test::nat_port_4500);
    EXPECT_EQ(sb.remote.addr, test::nat_addr);
    auto ca = h.last(h.ev_a, event_type::child_up).child;
    auto cb = h.last(h.ev_b, event_type::child_up).child;
    EXPECT_TRUE(ca.outbound.udp_encap);
    EXPECT_EQ(cb.outbound.udp_dst, test::nat_port_4500);
    // ESP-in-UDP through the NAT: the NAT maps the responder's packets to port 4500 at A.
    auto cb_seen = cb;
    cb_seen.outbound.udp_dst = 4500;
    EXPECT_TRUE(test::esp_round_trip(ca, cb_seen));
    // Later exchanges (a DPD from the responder) reach the initiator through the NAT.
    h.run(h.b.dpd(sb.id, h.now));
    EXPECT_EQ(h.a.counters().received, 3u);
}

TEST(ike_exchange, traffic_selectors_are_narrowed_by_the_responder) {
    auto cfg = test::pair_config();
    cfg.a.connections[0].children[0].local_ts = {traffic_selector{0, 0, 65535, 0x0a000000, 0x0a00ffff}};
    cfg.a.connections[0].children[0].remote_ts = {traffic_selector{0, 0, 65535, 0xc0000200, 0xc00002ff}};
    cfg.b.connections[0].children[0].remote_ts = {traffic_selector{6, 0, 65535, 0x0a000100, 0x0a0001ff}};
    cfg.b.connections[0].children[0].local_ts = {traffic_selector{6, 80, 80, 0xc0000202, 0xc0000202}};
    harness h(cfg);
    h.run(h.a.initiate("a-to-b", h.now));
    ASSERT_EQ(count(h.ev_a, event_type::child_up), 1);
    auto ca = h.last(h.ev_a, event_type::child_up).child;
    ASSERT_EQ(ca.local_ts.size(), 1u);
    EXPECT_EQ(ca.local_ts[0], (traffic_selector{6, 0, 65535, 0x0a000100, 0x0a0001ff}));
    EXPECT_EQ(ca.remote_ts[0], (traffic_selector{6, 80, 80, 0xc0000202, 0xc0000202}));
}

TEST(ike_exchange, transport_mode_is_negotiated_with_use_transport_mode) {
    auto cfg = test::pair_config();
    cfg.a.connections[0].children[0].mode = ipsec::sa_mode::transport;
    cfg.b.connections[0].children[0].mode = ipsec::sa_mode::transport;
    harness h(cfg);
    h.run(h.a.initiate("a-to-b", h.now));
    auto ca = h.last(h.ev_a, event_type::child_up).child;
    EXPECT_EQ(ca.outbound.mode, ipsec::sa_mode::transport);
    EXPECT_EQ(h.last(h.ev_b, event_type::child_up).child.inbound.mode, ipsec::sa_mode::transport);
    EXPECT_TRUE(test::esp_round_trip(ca, h.last(h.ev_b, event_type::child_up).child));
}

// CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, [KEi,] TSi, TSr } -->  then INFORMATIONAL { D(old) } -->
TEST(ike_exchange, child_rekey_with_and_without_pfs_replaces_the_old_child) {
    for (bool pfs : {false, true}) {
        auto cfg = test::pair_config();
        if (pfs) {
            cfg.a.connections[0].children[0].proposals[0].dh = {dh_group::curve25519};
            cfg.b.connections[0].children[0].proposals[0].dh = {dh_group::curve25519};
        }
        harness h(cfg);
        h.run(h.a.initiate("a-to-b", h.now));
        auto old = h.last(h.ev_a, event_type::child_up).child;
        h.clear();
        h.run(h.a.rekey_child(old.spi_in, h.now));
        ASSERT_EQ(count(h.ev_a, event_type::child_rekeyed), 1);
        ASSERT_EQ(count(h.ev_b, event_type::child_rekeyed), 1);
        EXPECT_EQ(count(h.ev_a, event_type::child_deleted), 1);
        EXPECT_EQ(count(h.ev_b, event_type::child_deleted), 1);
        auto na = h.last(h.ev_a, event_type::child_rekeyed).child;
        auto nb = h.last(h.ev_b, event_type::child_rekeyed).child;
        EXPECT_EQ(na.replaces_spi_in, old.spi_in);
        EXPECT_EQ(h.last(h.ev_a, event_type::child_deleted).child.spi_in, old.spi_in);
        EXPECT_NE(na.outbound.key, old.outbound.key);
        EXPECT_TRUE(test::esp_round_trip(na, nb));
        EXPECT_EQ(h.a.status()[0].child_spis_in, std::vector<std::uint32_t>{na.spi_in});
        // The responder can rekey too.
        h.clear();
        h.run(h.b.rekey_child(nb.spi_in, h.now));
        EXPECT_EQ(count(h.ev_a, event_type::child_rekeyed), 1);
        EXPECT_EQ(h.b.status()[0].child_spis_in.size(), 1u);
    }
}

TEST(ike_exchange, create_child_sa_adds_a_second_child) {
    auto cfg = test::pair_config();
    for (auto* c : {&cfg.a.connections[0], &cfg.b.connections[0]}) {
        auto second = c->children[0];
        second.name = "second";
        std::swap(second.local_ts, second.remote_ts);
        second.local_ts = c->children[0].local_ts;
        second.remote_ts = c->children[0].remote_ts;
        c->children.push_back(second);
    }
    harness h(cfg);
    h.run(h.a.initiate("a-to-b", h.now));
    h.clear();
    h.run(h.a.create_child(h.a.status()[0].id, "second", h.now));
    ASSERT_EQ(count(h.ev_a, event_type::child_up), 1);
    ASSERT_EQ(count(h.ev_b, event_type::child_up), 1);
    EXPECT_EQ(h.a.status()[0].child_spis_in.size(), 2u);
    EXPECT_TRUE(test::esp_round_trip(h.last(h.ev_a, event_type::child_up).child,
                                     h.last(h.ev_b, event_type::child_up).child));
}

// Both ends rekey the same CHILD SA at once (RFC 7296 §2.8.1).
TEST(ike_exchange, simultaneous_child_rekey_leaves_one_child_on_each_side) {
    for (int round = 0; round < 6; ++round) {
        harness h(test::pair_config());
        h.run(h.a.initiate("a-to-b", h.now));
        auto ca = h.last(h.ev_a, event_type::child_up).child;
        h.clear();
        auto oa = h.a.rekey_child(ca.spi_in, h.now);
        auto ob = h.b.rekey_child(ca.spi_out, h.now);
        oa.append(std::move(ob));
        h.run(std::move(oa));
        auto sa = h.a.status()[0];
        auto sb = h.b.status()[0];
        ASSERT_EQ(sa.child_spis_in.size(), 1u) << round;
        ASSERT_EQ(sb.child_spis_in.size(), 1u) << round;
        // The survivors are the two halves of one CHILD SA, not the old one.
        EXPECT_NE(sa.child_spis_in[0], ca.spi_in);
        const child_sa_info* a_new = nullptr;
        const child_sa_info* b_new = nullptr;
        for (const auto& e : h.ev_a) {
            if (e.type == event_type::child_rekeyed && e.child.spi_in == sa.child_spis_in[0]) {
                a_new = &e.child;
            }
        }
        for (const auto& e : h.ev_b) {
            if (e.type == event_type::child_rekeyed && e.child.spi_in == sb.child_spis_in[0]) {
                b_new = &e.child;
            }
        }
        ASSERT_TRUE(a_new && b_new);
        EXPECT_EQ(a_new->spi_out, b_new->spi_in);
        EXPECT_TRUE(test::esp_round_trip(*a_new, *b_new));
    }
}

// Both sides rekey the IKE SA at once and each request crosses the other on the wire:
// each answers TEMPORARY_FAILURE (§2.25), retries after a random delay, and the first
// retry wins; exactly one new IKE SA results and it carries the child.
TEST(ike_exchange, simultaneous_ike_rekey_retries_after_temporary_failure) {
    for (int round = 0; round < 4; ++round) {
        harness h(test::pair_config());
        h.run(h.a.initiate("a-to-b", h.now));
        auto id = h.a.status()[0].id;
        auto child = h.last(h.ev_a, event_type::child_up).child;
        h.clear();
        auto oa = h.a.rekey_ike(id, h.now);
        auto ob = h.b.rekey_ike(id, h.now);
        ASSERT_EQ(oa.datagrams.size(), 1u);
        ASSERT_EQ(ob.datagrams.size(), 1u);
        // The requests cross: each side sees the other's while its own is outstanding.
        auto rb = h.b.receive(oa.datagrams[0], h.now);
        auto ra = h.a.receive(ob.datagrams[0], h.now);
        ASSERT_EQ(rb.datagrams.size(), 1u);
        ASSERT_EQ(ra.datagrams.size(), 1u);
        h.run(h.a.receive(rb.datagrams[0], h.now));
        h.run(h.b.receive(ra.datagrams[0], h.now));
        EXPECT_EQ(count(h.ev_a, event_type::ike_rekeyed), 0) << "both were refused for now";
        EXPECT_EQ(count(h.ev_a, event_type::failed), 0) << "TEMPORARY_FAILURE is not a failure";
        ASSERT_TRUE(h.a.next_timeout().has_value()) << "a retry is scheduled";
        h.advance(std::chrono::seconds(3));
        h.advance(std::chrono::seconds(3));
        EXPECT_EQ(count(h.ev_a, event_type::ike_rekeyed), 1) << round;
        EXPECT_EQ(count(h.ev_b, event_type::ike_rekeyed), 1) << round;
        ASSERT_EQ(h.a.status().size(), 1u) << "the old IKE SA is gone";
        ASSERT_EQ(h.b.status().size(), 1u);
        EXPECT_NE(h.a.status()[0].id, id);
        EXPECT_EQ(h.a.status()[0].id, h.b.status()[0].id);
        EXPECT_EQ(h.a.status()[0].child_spis_in, std::vector<std::uint32_t>{child.spi_in}) << "the child moved over";
        // The new IKE SA works: a child rekey through it.
        h.clear();
        h.run(h.a.rekey_child(child.spi_in, h.now));
        EXPECT_EQ(count(h.ev_a, event_type::child_rekeyed), 1);
    }
}

// CREATE_CHILD_SA { SA(IKE), Ni, KEi } -->  then INFORMATIONAL { D(IKE) } on the old SA.
TEST(ike_exchange, ike_rekey_moves_children_and_the_new_sa_works) {
    harness h(test::pair_config());
    h.run(h.a.initiate("a-to-b", h.now));
    auto old_id = h.a.status()[0].id;
    auto child = h.last(h.ev_a, event_type::child_up).child;
    h.clear();
    h.run(h.a.rekey_ike(old_id, h.now));
    ASSERT_EQ(count(h.ev_a, event_type::ike_rekeyed), 1);
    ASSERT_EQ(count(h.ev_b, event_type::ike_rekeyed), 1);
    EXPECT_EQ(count(h.ev_a, event_type::ike_down), 0);
    EXPECT_EQ(count(h.ev_a, event_type::child_deleted), 0);
    ASSERT_EQ(h.a.status().size(), 1u);
    ASSERT_EQ(h.b.status().size(), 1u);
    auto n = h.a.status()[0].id;
    EXPECT_NE(n.spi_i, old_id.spi_i);
    EXPECT_EQ(h.b.status()[0].id, n);
    EXPECT_EQ(h.a.status()[0].child_spis_in, std::vector<std::uint32_t>{child.spi_in});
    // The new IKE SA carries exchanges: a child rekey, then a responder-side IKE rekey.
    h.clear();
    h.run(h.a.rekey_child(child.spi_in, h.now));
    EXPECT_EQ(count(h.ev_b, event_type::child_rekeyed), 1);
    h.clear();
    h.run(h.b.rekey_ike(n, h.now));
    EXPECT_EQ(count(h.ev_a, event_type::ike_rekeyed), 1);
    EXPECT_EQ(h.a.status().size(), 1u);
    EXPECT_EQ(h.b.status().size(), 1u);
}

TEST(ike_exchange, deletes_from_each_side) {
    {
        harness h(test::pair_config());
        h.run(h.a.initiate("a-to-b", h.now));
        auto cb = h.last(h.ev_b, event_type::child_up).child;
        h.clear();
        h.run(h.b.delete_child(cb.spi_in, h.now));  // responder deletes the child
        EXPECT_EQ(count(h.ev_a, event_type::child_deleted), 1);
        EXPECT_EQ(count(h.ev_b, event_type::child_deleted), 1);
        EXPECT_TRUE(h.a.status()[0].child_spis_in.empty());
        h.clear();
        h.run(h.a.delete_ike(h.a.status()[0].id, h.now));  // initiator deletes the IKE SA
        EXPECT_EQ(count(h.ev_a, event_type::ike_down), 1);
        EXPECT_EQ(count(h.ev_b, event_type::ike_down), 1);
        EXPECT_TRUE(h.a.status().empty());
        EXPECT_TRUE(h.b.status().empty());
    }
    {
        harness h(test::pair_config());
        h.run(h.a.initiate("a-to-b", h.now));
        h.clear();
        h.run(h.b.delete_ike(h.b.status()[0].id, h.now));  // responder deletes IKE (and its child)
        EXPECT_EQ(count(h.ev_a, event_type::ike_down), 1);
        EXPECT_EQ(count(h.ev_a, event_type::child_deleted), 1);
        EXPECT_EQ(count(h.ev_b, event_type::child_deleted), 1);
        EXPECT_TRUE(h.a.status().empty());
    }
}

// RFC 7296 2.4: a second IKE SA of a running initiator does not say INITIAL_CONTACT, so
// the responder keeps both; a new initiator with the same identity and address (a
// restart, or a backup that took the address over) says it, and the responder drops
// the IKE SAs it still held for that peer, their CHILD SAs with them.
TEST(ike_exchange, initial_contact_from_a_new_initiator_clears_the_responders_old_sas) {
    auto cfg = test::pair_config();
    harness h(cfg);
    h.run(h.a.initiate("a-to-b", h.now));
    h.run(h.a.initiate("a-to-b", h.now));
    ASSERT_EQ(h.b.status().size(), 2u);
    EXPECT_EQ(count(h.ev_b, event_type::ike_down), 0);
    h.clear();
    // A's successor: a new engine, the same configuration; datagrams carried by hand.
    peer a2(cfg.a);
    std::vector<event> ev_a2;
    std::deque<datagram> q;
    auto take = [&](output&& o, std::vector<event>& ev) {
        for (auto& e : o.events) ev.push_back(std::move(e));
        for (auto& d : o.datagrams) q.push_back(std::move(d));
    };
    take(a2.initiate("a-to-b", h.now), ev_a2);
    for (int i = 0; i < 20 && !q.empty(); ++i) {
        datagram d = std::move(q.front());
        q.pop_front();
        if (d.dst.addr == test::addr_b) take(h.b.receive(d, h.now), h.ev_b);
        else take(a2.receive(d, h.now), ev_a2);
    }
    EXPECT_EQ(count(ev_a2, event_type::child_up), 1);
    EXPECT_EQ(count(h.ev_b, event_type::ike_up), 1);
    EXPECT_EQ(count(h.ev_b, event_type::ike_down), 2);
    EXPECT_EQ(count(h.ev_b, event_type::child_deleted), 2);
    int established = 0;
    for (const auto& st : h.b.status()) established += st.established;
    EXPECT_EQ(established, 1);
}

TEST(ike_exchange, a_forgotten_ike_sa_goes_without_a_datagram_and_the_next_initiator_says_initial_contact) {
    auto cfg = test::pair_config();
    harness h(cfg);
    h.run(h.b.initiate("b-from-a", h.now));  // A is the responder of its first IKE SA
    ASSERT_EQ(h.a.status().size(), 1u);
    auto id = h.a.status()[0].id;
    h.clear();
    auto o = h.a.forget_ike(id);
    EXPECT_TRUE(o.datagrams.empty()) << "nothing is sent to the peer";
    int down = 0, deleted = 0;
    for (const auto& e : o.events) {
        down += e.type == event_type::ike_down;
        deleted += e.type == event_type::child_deleted;
    }
    EXPECT_EQ(down, 1);
    EXPECT_EQ(deleted, 1);
    // Nothing goes out for it later either (no delete left to retransmit).
    h.drop_all = true;
    auto sent = h.a.counters().sent;
    h.advance(std::chrono::seconds(30));
    EXPECT_EQ(h.a.counters().sent, sent);
    h.drop_all = false;
    // A's next IKE SA is the only one it has with B: INITIAL_CONTACT, and B drops the old one.
    h.clear();
    h.run(h.a.initiate("a-to-b", h.now));
    EXPECT_EQ(count(h.ev_b, event_type::ike_down), 1);
    int established = 0;
    for (const auto& st : h.b.status()) established += st.established;
    EXPECT_EQ(established, 1);
    EXPECT_TRUE(h.a.forget_ike(id).events.empty()) << "an SA that is gone is forgotten once";
}

TEST(ike_exchange, dpd_checks_liveness_and_a_dead_peer_is_given_up) {
    auto cfg = test::pair_config();
    cfg.a.connections[0].dpd_interval = std::chrono::seconds(10);
    harness h(cfg);
    h.run(h.a.initiate("a-to-b", h.now));
    auto received = h.b.counters().received;
    h.advance(std::chrono::seconds(11));
    EXPECT_EQ(h.b.counters().received, received + 1);  // the empty INFORMATIONAL
    EXPECT_EQ(count(h.ev_a, event_type::ike_down), 0);
    // Now the peer goes silent: retransmissions back off, then the SA is given up.
    h.drop_all = true;
    h.clear();
    for (int i = 0; i < 40 && count(h.ev_a, event_type::ike_down) == 0; ++i) {
        h.advance(std::chrono::seconds(10));
    }
    EXPECT_EQ(count(h.ev_a, event_type::ike_down), 1);
    EXPECT_EQ(count(h.ev_a, event_type::child_deleted), 1);
    EXPECT_EQ(h.a.counters().retransmits, 4u);  // 5 sends in all
    EXPECT_TRUE(h.a.status().empty());
}

TEST(ike_exchange, lost_requests_and_responses_are_retransmitted) {
    harness h(test::pair_config());
    // Datagrams: 1 IKE_SA_INIT request, 2 its response, 3 IKE_AUTH request (lost),
    // 4 its retransmission, 5 the response (lost), 6 the second retransmission,
    // 7 the responder's cached response.
    h.drop_nth = {3, 5};
    h.run(h.a.initiate("a-to-b", h.now));
    EXPECT_EQ(count(h.ev_a, event_type::ike_up), 0);
    for (int i = 0; i < 4 && count(h.ev_a, event_type::child_up) == 0; ++i) {
        h.advance(std::chrono::seconds(9));
    }
    EXPECT_EQ(count(h.ev_a, event_type::child_up), 1);
    EXPECT_EQ(count(h.ev_b, event_type::child_up), 1);  // once: the retransmission got the cached answer
    EXPECT_GE(h.a.counters().retransmits, 2u);
    EXPECT_GE(h.b.counters().retransmits, 1u);
}

TEST(ike_exchange, no_proposal_chosen_is_reported) {
    auto cfg = test::pair_config();
    cfg.b.connections[0].proposals[0].encr = {{encr_id::aes_cbc, 128}};
    cfg.b.connections[0].proposals[0].integ = {integ_id::hmac_sha2_256_128};
    harness h(cfg);
    h.run(h.a.initiate("a-to-b", h.now));
    ASSERT_EQ(count(h.ev_a, event_type::failed), 1);
    EXPECT_EQ(h.last(h.ev_a, event_type::failed).notify, notify_type::no_proposal_chosen);
    EXPECT_TRUE(h.a.status().empty());
    EXPECT_TRUE(h.b.status().empty());
}

TEST(ike_exchange, wrong_psk_is_authentication_failed) {
    auto cfg = test::pair_config();
    cfg.b.connections[0].psk = "not the same";
    harness h(cfg);
    h.run(h.a.initiate("a-to-b", h.now));
    ASSERT_EQ(count(h.ev_a, event_type::failed), 1);
    EXPECT_EQ(h.last(h.ev_a, event_type::failed).notify, notify_type::authentication_failed);
    EXPECT_EQ(h.last(h.ev_b, event_type::failed).notify, notify_type::authentication_failed);
    EXPECT_EQ(count(h.ev_a, event_type::ike_up), 0);
    EXPECT_TRUE(h.a.status().empty());
    EXPECT_TRUE(h.b.status().empty());
}

TEST(ike_exchange, wrong_identity_is_authentication_failed) {
    auto cfg = test::pair_config();
    cfg.b.connections[0].remote_id = identity::fqdn("someone.else");
    harness h(cfg);
    h.run(h.a.initiate("a-to-b", h.now));
    EXPECT_EQ(h.last(h.ev_a, event_type::failed).notify, notify_type::authentication_failed);
}

TEST(ike_exchange, disjoint_selectors_are_ts_unacceptable_but_the_ike_sa_stays) {
    auto cfg = test::pair_config();
    cfg.b.connections[0].children[0].remote_ts = {traffic_selector{0, 0, 65535, 0x0b000000, 0x0b0000ff}};
    harness h(cfg);
    h.run(h.a.initiate("a-to-b", h.now));
    EXPECT_EQ(count(h.ev_a, event_type::ike_up), 1);
    EXPECT_EQ(count(h.ev_a, event_type::child_up), 0);
    EXPECT_EQ(h.last(h.ev_a, event_type::failed).notify, notify_type::ts_unacceptable);
    EXPECT_EQ(h.a.status().size(), 1u);
}

TEST(ike_exchange, garbage_and_replayed_datagrams_are_dropped) {
    harness h(test::pair_config());
    h.run(h.a.initiate("a-to-b", h.now));
    auto before = h.b.status();
    auto o = h.b.receive(datagram{{test::addr_a, 500}, {test::addr_b, 500}, bytes(3, 1)}, h.now);
    EXPECT_TRUE(o.datagrams.empty());
    // Replay every datagram the initiator sent: cached answers only, no new state.
    for (const auto& d : h.sent_by_a) {
        h.b.receive(d, h.now);
    }
    EXPECT_EQ(h.b.status().size(), before.size());
    EXPECT_GE(h.b.counters().decode_errors, 1u);
}

}  // namespace
}  // namespace zplex::ike
