// SPDX-License-Identifier: Apache-2.0
// Which connection a responder uses: the peer's address must be in the connection's
// remote range, and the peer's identity (IDi) settles the choice (RFC 7296 §2.15).
#include <zplex/ike/peer.hpp>

#include "ike_harness.hpp"

#include <gtest/gtest.h>

namespace zplex::ike {
namespace {

using test::count;
using test::harness;

/// B answers peers in 10.0.1.0/24 that identify by their address.
test::pair_cfg range_config() {
    auto cfg = test::pair_config();
    auto& b = cfg.b.connections[0];
    b.remote_addr = 0x0a000100;
    b.remote_prefix = 24;
    b.remote_id = identity{};
    b.remote_id_in_range = true;
    return cfg;
}

TEST(ike_selection, a_range_accepts_an_address_identity_inside_it) {
    auto cfg = range_config();
    cfg.a.connections[0].local_id = identity::ipv4(test::addr_a);
    harness h(cfg);
    h.run(h.a.initiate("a-to-b", h.now));
    EXPECT_EQ(count(h.ev_a, event_type::child_up), 1);
}

TEST(ike_selection, a_range_is_not_any_identity) {
    auto cfg = range_config();  // A says FQDN a.zplex.test
    harness h(cfg);
    h.run(h.a.initiate("a-to-b", h.now));
    EXPECT_EQ(count(h.ev_a, event_type::ike_up), 0);
    EXPECT_EQ(h.last(h.ev_b, event_type::failed).notify, notify_type::authentication_failed);
    auto other = range_config();
    other.a.connections[0].local_id = identity::ipv4(0x0a000201);  // an address outside the range
    harness h2(other);
    h2.run(h2.a.initiate("a-to-b", h2.now));
    EXPECT_EQ(count(h2.ev_a, event_type::ike_up), 0);
}

TEST(ike_selection, a_peer_outside_the_range_is_not_answered_with_an_sa) {
    auto cfg = range_config();
    cfg.b.connections[0].remote_addr = 0x0a000200;  // 10.0.2.0/24: A (10.0.1.1) is outside
    cfg.a.connections[0].local_id = identity::ipv4(test::addr_a);
    harness h(cfg);
    h.run(h.a.initiate("a-to-b", h.now));
    EXPECT_EQ(count(h.ev_a, event_type::ike_up), 0);
    EXPECT_EQ(h.last(h.ev_a, event_type::failed).notify, notify_type::no_proposal_chosen);
    EXPECT_TRUE(h.b.status().empty());
}

TEST(ike_selection, a_range_connection_does_not_initiate) {
    auto cfg = range_config();
    harness h(cfg);
    auto o = h.b.initiate("b-from-a", h.now);
    EXPECT_TRUE(o.datagrams.empty());
    ASSERT_EQ(o.events.size(), 1u);
    EXPECT_EQ(o.events[0].type, event_type::failed);
}

TEST(ike_selection, the_peers_identity_picks_the_connection_and_its_key) {
    auto cfg = test::pair_config();
    auto first = cfg.b.connections[0];
    first.name = "someone-else";
    first.remote_id = identity::fqdn("someone.else");
    first.psk = "another key";
    first.children[0].name = "other";
    cfg.b.connections.insert(cfg.b.connections.begin(), first);
    harness h(cfg);
    h.run(h.a.initiate("a-to-b", h.now));
    ASSERT_EQ(count(h.ev_b, event_type::child_up), 1);
    EXPECT_EQ(h.last(h.ev_b, event_type::child_up).connection, "b-from-a");
    EXPECT_EQ(h.last(h.ev_b, event_type::child_up).child.name, "net");
}

}  // namespace
}  // namespace zplex::ike
