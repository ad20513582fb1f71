// SPDX-License-Identifier: Apache-2.0
// ESP and AH share one SA base: the same bad outer header, lack of room, exhausted
// sequence space, foreign SPI, replay or misplaced next header gets the same drop
// from both, and both count the payload the same way (the SAD's lifesizes).
#include <zplex/ipsec/ah.hpp>
#include <zplex/ipsec/esp.hpp>

#include "hex.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>

namespace zplex::ipsec {
namespace {

using zplex::test::hex;

// 20-byte IPv4 header (UDP) and a 16-byte payload.
std::vector<std::uint8_t> udp_packet() {
    return hex("450000240001000040110000c61200c8c612020100350035001000007a706c6578212121");
}

sa_config config(bool ah, sa_mode mode) {
    sa_config c;
    c.spi = 0x3000;
    c.mode = mode;
    c.alg = algorithm::aes_gcm_128;
    std::size_t n = ah ? 32 : key_length(c.alg);
    for (std::size_t i = 0; i < n; ++i) {
        c.key.push_back(static_cast<std::uint8_t>(0x11 + i));
    }
    c.tunnel_src = 0xc612000b;
    c.tunnel_dst = 0xc61200c8;
    return c;
}

std::unique_ptr<security_association> make(bool ah, sa_mode mode, std::unique_ptr<seq_source> s = nullptr) {
    if (ah) {
        return ah_sa::create(config(ah, mode), std::move(s));
    }
    return esp_sa::create(config(ah, mode), std::move(s));
}

std::unique_ptr<security_association> make_other_spi(bool ah, sa_mode mode) {
    auto c = config(ah, mode);
    c.spi = 0x3001;
    if (ah) {
        return ah_sa::create(c);
    }
    return esp_sa::create(c);
}

std::uint64_t n(const drop_counters& d, drop r) {
    return d.by_reason[static_cast<std::size_t>(r)].load();
}

class both : public ::testing::TestWithParam<std::tuple<bool, sa_mode>> {
protected:
    bool ah() const { return std::get<0>(GetParam()); }
    sa_mode mode() const { return std::get<1>(GetParam()); }
};

TEST_P(both, bad_outer_headers_are_too_short_both_ways) {
    auto out = make(ah(), mode());
    auto in = make(ah(), mode());
    ASSERT_TRUE(out && in);
    std::vector<std::vector<std::uint8_t>> bad;
    bad.push_back(hex("4500"));  // under 20 bytes
    auto v6 = udp_packet();
    v6[0] = 0x65;  // not IPv4
    bad.push_back(v6);
    auto small_ihl = udp_packet();
    small_ihl[0] = 0x44;  // IHL 16 bytes
    bad.push_back(small_ihl);
    auto long_ihl = udp_packet();
    long_ihl[0] = 0x4f;  // IHL 60 bytes, more than the packet
    bad.push_back(long_ihl);
    for (const auto& b : bad) {
        packet p;
        ASSERT_TRUE(p.assign(b));
        EXPECT_EQ(out->encapsulate(p), drop::too_short);
        ASSERT_TRUE(p.assign(b));
        EXPECT_EQ(in->decapsulate(p), drop::too_short);
    }
    // A plain UDP datagram is not this SA's either.
    packet p;
    ASSERT_TRUE(p.assign(udp_packet()));
    EXPECT_EQ(in->decapsulate(p), drop::too_short);
    EXPECT_EQ(n(out->drops(), drop::too_short), 4u);
    EXPECT_EQ(n(in->drops(), drop::too_short), 5u);
    EXPECT_EQ(out->packets() + in->packets(), 0u);
}

TEST_P(both, no_headroom_and_exhausted_sequence_space) {
    auto out = make(ah(), mode());
    packet p;
    ASSERT_TRUE(p.assign(udp_packet()));
    p.head = 0;  // nothing in front
    std::memmove(p.buf.data(), p.buf.data() + 128, p.len);
    EXPECT_EQ(out->encapsulate(p), drop::no_room);

    auto seqs = std::make_unique<local_seq_source>(false);
    seqs->set_next(0xffffffffull);
    auto last = make(ah(), mode(), std::move(seqs));
    ASSERT_TRUE(p.assign(udp_packet()));
    EXPECT_EQ(last->encapsulate(p), drop::none);
    ASSERT_TRUE(p.assign(udp_packet()));
    EXPECT_EQ(last->encapsulate(p), drop::seq_exhausted);  // never wraps (RFC 4303 §3.3.3, RFC 4302 §2.5)
}

TEST_P(both, spi_replay_and_counters) {
    auto out = make(ah(), mode());
    auto in = make(ah(), mode());
    packet p;
    ASSERT_TRUE(p.assign(udp_packet()));
    ASSERT_EQ(out->encapsulate(p), drop::none);
    std::vector<std::uint8_t> wire(p.view().begin(), p.view().end());
    // The payload counted: the transport payload, or the whole inner packet.
    std::uint64_t payload = mode() == sa_mode::tunnel ? 36 : 16;
    EXPECT_EQ(out->bytes(), payload);
    EXPECT_EQ(out->packets(), 1u);

    auto other = make_other_spi(ah(), mode());
    ASSERT_TRUE(p.assign(wire));
    EXPECT_EQ(other->decapsulate(p), drop::no_sa);

    ASSERT_TRUE(p.assign(wire));
    ASSERT_EQ(in->decapsulate(p), drop::none);
    std::vector<std::uint8_t> inner(p.view().begin(), p.view().end());
    ASSERT_EQ(inner.size(), 36u);
    inner[10] = inner[11] = 0;  // transport mode puts a real header checksum in; the test packet has none
    EXPECT_EQ(inner, udp_packet());
    EXPECT_EQ(in->bytes(), payload);
    EXPECT_EQ(in->packets(), 1u);
    ASSERT_TRUE(p.assign(wire));
    EXPECT_EQ(in->decapsulate(p), drop::replay);
    EXPECT_EQ(n(in->drops(), drop::replay), 1u);
    EXPECT_EQ(in->packets(), 1u);
}

INSTANTIATE_TEST_SUITE_P(ipsec_sa_base, both,
                         ::testing::Combine(::testing::Bool(), ::testing::Values(sa_mode::transport, sa_mode::tunnel)));

}  // namespace
}  // namespace zplex::ipsec
