// SPDX-License-Identifier: Apache-2.0
// zplex-tcpip's offload finisher: a TCP super-packet from the TAP cut to its MSS with
// sequence numbers, IP ids, flags and checksums right; a partial checksum completed;
// packets that do not match their offload header refused.
#include "offload.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace zplex::tcpip::daemon {
namespace {

using bytes_t = std::vector<std::uint8_t>;

bytes_t packet(std::uint8_t proto, std::size_t l4_header, std::size_t payload, std::uint8_t tcp_flags) {
    bytes_t p(20 + l4_header + payload);
    p[0] = 0x45;
    wire::put16(p.data() + 2, static_cast<std::uint16_t>(p.size()));
    wire::put16(p.data() + 4, 7);
    p[6] = 0x40;
    p[8] = 64;
    p[9] = proto;
    wire::put32(p.data() + 12, 0xC6120065);  // 198.18.0.101
    wire::put32(p.data() + 16, 0xC6120201);  // 198.18.2.1
    wire::put16(p.data() + 10, wire::checksum(p.data(), 20));
    std::uint8_t* l4 = p.data() + 20;
    wire::put16(l4, 40000);
    wire::put16(l4 + 2, 60);
    if (proto == 6) {
        wire::put32(l4 + 4, 1000);
        l4[12] = static_cast<std::uint8_t>((l4_header / 4) << 4);
        l4[13] = tcp_flags;
        wire::put16(l4 + 16, 0xBEEF);  // a partial sum, as the sender leaves it
    } else {
        wire::put16(l4 + 4, static_cast<std::uint16_t>(l4_header + payload));
        wire::put16(l4 + 6, 0xBEEF);
    }
    for (std::size_t i = 0; i < payload; ++i) p[20 + l4_header + i] = static_cast<std::uint8_t>(i * 7 + 3);
    return p;
}

/// True if the transport checksum of @p p verifies.
bool l4_ok(const bytes_t& p) {
    std::size_t len = p.size() - 20;
    std::uint32_t sum = wire::get16(p.data() + 12) + wire::get16(p.data() + 14) + wire::get16(p.data() + 16) +
                        wire::get16(p.data() + 18) + p[9] + static_cast<std::uint32_t>(len);
    return wire::checksum(p.data() + 20, len, sum) == 0;
}

std::vector<bytes_t> run(finisher& f, const bytes_t& p, const vnet_hdr& h, bool& ok) {
    std::vector<bytes_t> out;
    ok = f.finish(p.data(), p.size(), h, [&](const std::uint8_t* q, std::size_t n) { out.emplace_back(q, q + n); });
    return out;
}

TEST(offload, a_tcp_super_packet_is_cut_to_its_mss) {
    finisher f;
    auto p = packet(6, 32, 4000, 0x10 | 0x08 | 0x01 | 0x80);  // ACK PSH FIN CWR, 12 bytes of options
    vnet_hdr h{VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 14 + 52, 1448, 14 + 20, 16};
    bool ok = false;
    auto segs = run(f, p, h, ok);
    ASSERT_TRUE(ok);
    ASSERT_EQ(segs.size(), 3u);
    std::string payload;
    for (std::size_t i = 0; i < segs.size(); ++i) {
        const auto& s = segs[i];
        std::size_t n = i < 2 ? 1448 : 4000 - 2 * 1448;
        ASSERT_EQ(s.size(), 52 + n) << i;
        EXPECT_EQ(wire::get16(s.data() + 2), 52 + n);
        EXPECT_EQ(wire::get16(s.data() + 4), 7 + i);
        EXPECT_EQ(wire::checksum(s.data(), 20), 0) << "IP header checksum of segment " << i;
        EXPECT_TRUE(l4_ok(s)) << "TCP checksum of segment " << i;
        EXPECT_EQ(wire::get32(s.data() + 24), 1000 + 1448 * i);
        std::uint8_t flags = s[33];
        EXPECT_EQ((flags & 0x01) != 0, i == 2) << "FIN on the last only";
        EXPECT_EQ((flags & 0x08) != 0, i == 2) << "PSH on the last only";
        EXPECT_EQ((flags & 0x80) != 0, i == 0) << "CWR on the first only";
        EXPECT_TRUE(flags & 0x10);
        payload.append(s.begin() + 52, s.end());
    }
    EXPECT_EQ(payload, std::string(p.begin() + 52, p.end()));
}

TEST(offload, a_partial_checksum_is_completed) {
    finisher f;
    vnet_hdr h{VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE, 0, 0, 14 + 20, 16};
    bool ok = false;
    auto tcp = run(f, packet(6, 20, 333, 0x18), h, ok);
    ASSERT_TRUE(ok);
    ASSERT_EQ(tcp.size(), 1u);
    EXPECT_TRUE(l4_ok(tcp[0]));
    h.csum_offset = 6;
    auto udp = run(f, packet(17, 8, 101, 0), h, ok);
    ASSERT_TRUE(ok);
    ASSERT_EQ(udp.size(), 1u);
    EXPECT_TRUE(l4_ok(udp[0]));
}

TEST(offload, a_packet_that_does_not_match_its_header_is_refused) {
    finisher f;
    vnet_hdr gso{VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 0, 1448, 34, 16};
    bool ok = true;
    auto udp = packet(17, 8, 3000, 0);
    EXPECT_TRUE(run(f, udp, gso, ok).empty());
    EXPECT_FALSE(ok);  // TCP GSO on a UDP packet
    auto tcp = packet(6, 20, 3000, 0x10);
    gso.gso_size = 0;
    EXPECT_TRUE(run(f, tcp, gso, ok).empty());
    EXPECT_FALSE(ok);  // no MSS
    gso.gso_size = 1448;
    auto shortened = tcp;
    shortened.resize(100);  // the IP total length says more than there is
    EXPECT_TRUE(run(f, shortened, gso, ok).empty());
    EXPECT_FALSE(ok);
    auto v6 = tcp;
    v6[0] = 0x60;
    EXPECT_TRUE(run(f, v6, gso, ok).empty());
    EXPECT_FALSE(ok);
    auto bad_thl = tcp;
    bad_thl[32] = 0x10;  // a TCP header of 4 bytes
    EXPECT_TRUE(run(f, bad_thl, gso, ok).empty());
    EXPECT_FALSE(ok);
    vnet_hdr icmp_csum{VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE, 0, 0, 34, 2};
    auto icmp = packet(1, 8, 10, 0);
    EXPECT_TRUE(run(f, icmp, icmp_csum, ok).empty());
    EXPECT_FALSE(ok);
}

}  // namespace
}  // namespace zplex::tcpip::daemon
