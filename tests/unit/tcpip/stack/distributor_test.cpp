// SPDX-License-Identifier: Apache-2.0
// The Sysplex Distributor's control messages (round trips, strict rejection) and its
// connection table entry size.
#include "control.hpp"
#include "stack_impl.hpp"

#include <gtest/gtest.h>

namespace ctl = zplex::tcpip::stack::control;

namespace {
template <class M>
void refuses_every_truncation_and_trailer(std::vector<std::uint8_t> bytes) {
    M back;
    for (std::size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(ctl::decode(std::span(bytes.data(), n), back)) << n;
    bytes.push_back(0);
    EXPECT_FALSE(ctl::decode(bytes, back));
}
}  // namespace

TEST(StackDistControl, DistributeRoundTripsAndIsStrict) {
    ctl::distribute_message m;
    m.address = 0xC6120201;
    m.want_connections = true;
    m.port_ranges = {{60, 60}, {8000, 8010}};
    auto b = ctl::encode(m);
    ctl::distribute_message back;
    ASSERT_TRUE(ctl::decode(b, back));
    EXPECT_EQ(back, m);
    m.sysplex_ports = true;  // flag 4: SYSPLEXPORTS
    ASSERT_TRUE(ctl::decode(ctl::encode(m), back));
    EXPECT_TRUE(back.sysplex_ports);
    m.sysplex_ports = false;
    EXPECT_EQ(ctl::peek_type(b), ctl::type::distribute);
    refuses_every_truncation_and_trailer<ctl::distribute_message>(b);
    auto bad = b;
    bad[8] = 8;  // unknown flag
    EXPECT_FALSE(ctl::decode(bad, back));
    bad = b;
    bad[10] = 0xFF;  // low above high
    EXPECT_FALSE(ctl::decode(bad, back));
    bad = b;
    bad.back() = 17;  // OPTLOCAL above 16
    EXPECT_FALSE(ctl::decode(bad, back));
    m.optlocal = 16;
    ASSERT_TRUE(ctl::decode(ctl::encode(m), back));
    EXPECT_EQ(back.optlocal, 16);
    ctl::distribute_message stop;
    stop.address = 0xC6120201;
    stop.stop = true;
    ASSERT_TRUE(ctl::decode(ctl::encode(stop), back));
    EXPECT_TRUE(back.stop);
    stop.port_ranges = {{60, 60}};  // stop carries no ports
    EXPECT_FALSE(ctl::decode(ctl::encode(stop), back));
    ctl::distribute_message none;
    none.address = 0xC6120201;  // a distribution without ports
    EXPECT_FALSE(ctl::decode(ctl::encode(none), back));
    // A state message is not a distribute message.
    ctl::state_message s;
    EXPECT_FALSE(ctl::decode(b, s));
}

TEST(StackDistControl, TargetReportRoundTripsAndIsStrict) {
    ctl::target_report_message m;
    m.address = 0xC6120201;
    m.ports = {{60, 2, 64, 40, 17}, {0, 1, 1, 1, 0}};
    auto b = ctl::encode(m);
    ctl::target_report_message back;
    ASSERT_TRUE(ctl::decode(b, back));
    EXPECT_EQ(back, m);
    refuses_every_truncation_and_trailer<ctl::target_report_message>(b);
    auto bad = b;
    bad[14] = 65;  // a weight above 64
    EXPECT_FALSE(ctl::decode(bad, back));
}

TEST(StackDistControl, ConnectionsRoundTripAndAreStrict) {
    ctl::connections_message m;
    m.address = 0xC6120201;
    m.full = true;
    m.conns = {{60, 0xC6120065, 40001}, {60, 0xC6120066, 40002}};
    auto b = ctl::encode(m);
    ctl::connections_message back;
    ASSERT_TRUE(ctl::decode(b, back));
    EXPECT_EQ(back, m);
    refuses_every_truncation_and_trailer<ctl::connections_message>(b);
    auto bad = b;
    bad[8] = 3;  // ended and full at once
    EXPECT_FALSE(ctl::decode(bad, back));
    bad = b;
    bad[17] = 0;  // remote port 0
    bad[18] = 0;
    EXPECT_FALSE(ctl::decode(bad, back));
}

TEST(StackDistControl, StateCarriesTheRoles) {
    ctl::state_message m;
    m.sysname = "MVS1";
    m.tcpname = "TCPIPA";
    m.sysclone = "M1";
    m.roles = {{0xC6120201, 3}, {0xC6120202, 2}};
    auto b = ctl::encode(m);
    ctl::state_message back;
    ASSERT_TRUE(ctl::decode(b, back));
    EXPECT_EQ(back, m);
    auto bad = b;
    bad[b.size() - 3] = 4;  // the last role: not 1..3
    EXPECT_FALSE(ctl::decode(bad, back));
}

TEST(StackDistTable, EntryIsAtMost128Bytes) {
    EXPECT_LE(sizeof(zplex::tcpip::stack::conn_entry), 128u);
    EXPECT_EQ(sizeof(zplex::tcpip::stack::conn_entry), 40u);
}
