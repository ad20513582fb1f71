// SPDX-License-Identifier: Apache-2.0
// AH: a known answer from an independent implementation, round trips, mutable fields,
// tampering and replay.
#include <zplex/ipsec/ah.hpp>

#include "hex.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace zplex::ipsec {
namespace {

using zplex::test::hex;
using zplex::test::hex_of;
using zplex::test::range;


std::vector<std::uint8_t> udp_packet() {
    auto p = hex("450000240001000040110000c61200c8c612020100350035001000007a706c6578212121");
    return p;
}

sa_config config(sa_mode mode, bool esn = false, int key_len = 32) {
    sa_config c;
    c.spi = 0x2000;
    c.mode = mode;
    c.esn = esn;
    for (int i = 0; i < key_len; ++i) {
        c.key.push_back(static_cast<std::uint8_t>(0x40 + i));
    }
    c.tunnel_src = 0xc612000b;
    c.tunnel_dst = 0xc61200c8;
    return c;
}

TEST(ipsec_ah_kat, transport_icv_matches_an_independent_implementation) {
    auto sa = ah_sa::create(config(sa_mode::transport));
    ASSERT_TRUE(sa);
    packet p;
    ASSERT_TRUE(p.assign(udp_packet()));
    ASSERT_EQ(sa->encapsulate(p), drop::none);
    ASSERT_EQ(p.len, 36u + 28u);
    EXPECT_EQ(p.data()[9], 51);
    // HMAC-SHA-256-128 over the zeroed header, AH with zero ICV and the payload,
    // computed with Python's hmac module.
    EXPECT_EQ(std::vector<std::uint8_t>(p.data() + 20, p.data() + 48),
              hex("110500000000200000000001b509f5207abfa2046fc31d2619823996"));
}

TEST(ipsec_ah, round_trips_transport_tunnel_esn_sha256_384_512) {
    for (int key_len : {32, 48, 64}) {
    for (auto mode : {sa_mode::transport, sa_mode::tunnel}) {
        for (bool esn : {false, true}) {
            auto out = ah_sa::create(config(mode, esn, key_len));
            auto in = ah_sa::create(config(mode, esn, key_len));
            ASSERT_TRUE(out && in);
            for (int i = 0; i < 5; ++i) {
                packet p;
                ASSERT_TRUE(p.assign(udp_packet()));
                ASSERT_EQ(out->encapsulate(p), drop::none);
                p.data()[8] = 17;  // a router changed the TTL on the way: mutable, not covered
                ASSERT_EQ(in->decapsulate(p), drop::none);
                auto orig = udp_packet();
                ASSERT_EQ(p.len, orig.size());
                EXPECT_EQ(std::memcmp(p.data() + 20, orig.data() + 20, orig.size() - 20), 0);
            }
            EXPECT_EQ(in->packets(), 5u);
        }
    }
    }
}

TEST(ipsec_ah, icv_sizes_follow_rfc_4868) {
    for (auto [key_len, words] : {std::pair{32, 5}, std::pair{48, 7}, std::pair{64, 9}}) {
        auto sa = ah_sa::create(config(sa_mode::transport, false, key_len));
        packet p;
        ASSERT_TRUE(p.assign(udp_packet()));
        ASSERT_EQ(sa->encapsulate(p), drop::none);
        EXPECT_EQ(p.data()[21], words) << "payload length: 32-bit words minus 2 (RFC 4302 §2.2)";
        EXPECT_EQ(p.len, 36u + 12u + static_cast<unsigned>(key_len / 2));
    }
}

/// The test datagram with IPv4 options: record route (mutable), router alert
/// (immutable), then end of list.
std::vector<std::uint8_t> packet_with_options() {
    auto p = udp_packet();
    std::vector<std::uint8_t> opts = {7, 7, 4, 0, 0, 0, 0,   // record route, pointer 4, one empty slot
                                      148, 4, 0, 0,          // router alert
                                      0};                    // end of option list
    p.insert(p.begin() + 20, opts.begin(), opts.end());
    p[0] = 0x48;  // IHL 8 words
    p[3] = static_cast<std::uint8_t>(p.size());
    return p;
}

TEST(ipsec_ah, mutable_options_are_zeroed_immutable_ones_covered) {
    auto out = ah_sa::create(config(sa_mode::transport));
    auto in = ah_sa::create(config(sa_mode::transport));
    packet p;
    ASSERT_TRUE(p.assign(packet_with_options()));
    ASSERT_EQ(out->encapsulate(p), drop::none);
    packet tampered = p;
    // A router records its address on the way: mutable, outside the ICV.
    std::uint8_t rr[] = {198, 18, 0, 1};
    std::memcpy(p.data() + 23, rr, 4);
    p.data()[22] = 8;
    ASSERT_EQ(in->decapsulate(p), drop::none) << "record route changed in flight";
    EXPECT_EQ(p.data()[23], 198) << "options survive AH removal";
    // The router alert value is immutable: covered by the ICV.
    ASSERT_TRUE(tampered.assign(packet_with_options()));
    ASSERT_EQ(out->encapsulate(tampered), drop::none);
    tampered.data()[30] = 1;
    EXPECT_EQ(in->decapsulate(tampered), drop::integrity);
    // A malformed option list (length 1) is refused, never read past.
    auto bad = packet_with_options();
    bad[21] = 1;
    packet b;
    ASSERT_TRUE(b.assign(bad));
    EXPECT_EQ(out->encapsulate(b), drop::too_short);
}

TEST(ipsec_ah, tampering_and_replay_are_dropped) {
    auto out = ah_sa::create(config(sa_mode::transport));
    auto in = ah_sa::create(config(sa_mode::transport));
    packet p;
    ASSERT_TRUE(p.assign(udp_packet()));
    ASSERT_EQ(out->encapsulate(p), drop::none);
    packet copy = p;
    packet evil = p;
    evil.data()[16] ^= 1;  // the destination address is covered
    EXPECT_EQ(in->decapsulate(evil), drop::integrity);
    ASSERT_EQ(in->decapsulate(p), drop::none);
    EXPECT_EQ(in->decapsulate(copy), drop::replay);
    EXPECT_EQ(in->drops()[drop::integrity], 1u);
    EXPECT_EQ(in->drops()[drop::replay], 1u);
    sa_config bad = config(sa_mode::transport);
    bad.key.resize(16);
    EXPECT_EQ(ah_sa::create(bad), nullptr);
    bad.key.resize(40);
    EXPECT_EQ(ah_sa::create(bad), nullptr) << "no digest takes a 40-byte key";
}

}  // namespace
}  // namespace zplex::ipsec
