// SPDX-License-Identifier: Apache-2.0
// The DVIPA control messages: round trips and strict rejection of bad input.
#include "control.hpp"

#include <gtest/gtest.h>

namespace ctl = zplex::tcpip::stack::control;

TEST(StackControl, StateRoundTrips) {
    ctl::state_message m;
    m.sysname = "MVS1";
    m.tcpname = "TCPIPA";
    m.sysclone = "M1";
    m.xcf_address = 0xC6120101;
    m.reply_wanted = true;
    m.claims.push_back({0xC6120201, 24, 0, 255, 0, 0, {}});
    m.claims.push_back({0xC6120202, 24, 1, 50, 2, 1, {{0xC6120065, 40001, 60}, {0xC6120066, 40002, 60}}});
    auto bytes = ctl::encode(m);
    ctl::state_message back;
    ASSERT_TRUE(ctl::decode(bytes, back));
    EXPECT_EQ(back, m);
    EXPECT_EQ(ctl::peek_type(bytes), ctl::type::state);
    // Every truncation and every trailing byte is refused.
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        EXPECT_FALSE(ctl::decode(std::span(bytes.data(), n), back)) << n;
    }
    bytes.push_back(0);
    EXPECT_FALSE(ctl::decode(bytes, back));
}

TEST(StackControl, BadFieldsAreRefused) {
    ctl::state_message m;
    m.sysname = "MVS1";
    m.tcpname = "TCPIPA";
    m.sysclone = "M1";
    m.claims.push_back({0xC6120201, 24, 0, 255, 0, 0, {}});
    auto good = ctl::encode(m);
    ctl::state_message out;
    auto bad = good;
    bad[5] = 'a';  // lower case in the system name
    EXPECT_FALSE(ctl::decode(bad, out));
    bad = good;
    bad[2] = 2;  // another version
    EXPECT_FALSE(ctl::decode(bad, out));
    EXPECT_FALSE(ctl::peek_type(bad).has_value());
    bad = good;
    bad[good.size() - 7] = 33;  // prefix length
    EXPECT_FALSE(ctl::decode(bad, out));
    bad = good;
    bad[good.size() - 4] = 9;  // status
    EXPECT_FALSE(ctl::decode(bad, out));
}

TEST(StackControl, TakeAndGive) {
    auto b = ctl::encode(ctl::type::take, {0xC6120201, 1});
    ctl::address_message m;
    ASSERT_TRUE(ctl::decode(b, m));
    EXPECT_EQ(m.address, 0xC6120201u);
    EXPECT_EQ(m.moveable, 1);
    b.back() = 2;
    EXPECT_FALSE(ctl::decode(b, m));
    ctl::state_message s;
    EXPECT_FALSE(ctl::decode(ctl::encode(ctl::type::give, {1, 0}), s));
}
