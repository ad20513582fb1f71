// SPDX-License-Identifier: Apache-2.0
// Wire formats the core reads and writes: Ethernet II, ARP (RFC 826), IPv4 (RFC 791),
// ICMP (RFC 792), the TCP header fields connection tracking needs (RFC 9293).
#pragma once

#include <zplex/sysplex/byte_order.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace zplex::tcpip::stack::wire {

using sysplex::get16;
using sysplex::get32;
using sysplex::put16;
using sysplex::put32;

/// RFC 1071 one's-complement sum, folded; 0 over a block that carries its checksum.
inline std::uint16_t checksum(const std::uint8_t* p, std::size_t n, std::uint32_t sum = 0) noexcept {
    for (; n > 1; n -= 2, p += 2) sum += get16(p);
    if (n) sum += std::uint32_t{p[0]} << 8;
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

inline constexpr std::size_t eth_header = 14;
inline constexpr std::uint16_t ethertype_ipv4 = 0x0800;
inline constexpr std::uint16_t ethertype_arp = 0x0806;
inline constexpr std::size_t arp_length = 28;
inline constexpr std::size_t ipv4_min_header = 20;

inline constexpr std::uint8_t proto_icmp = 1;
inline constexpr std::uint8_t proto_tcp = 6;
inline constexpr std::uint8_t proto_udp = 17;

inline constexpr std::uint8_t icmp_echo_reply = 0;
inline constexpr std::uint8_t icmp_unreachable = 3;
inline constexpr std::uint8_t icmp_echo_request = 8;
inline constexpr std::uint8_t icmp_time_exceeded = 11;
inline constexpr std::uint8_t unreach_net = 0;
inline constexpr std::uint8_t unreach_host = 1;
inline constexpr std::uint8_t unreach_frag_needed = 4;

inline constexpr std::uint8_t tcp_fin = 0x01;
inline constexpr std::uint8_t tcp_syn = 0x02;
inline constexpr std::uint8_t tcp_rst = 0x04;
inline constexpr std::uint8_t tcp_ack = 0x10;

/// A validated view of an IPv4 header (RFC 791 §3.1).
struct ipv4_view {
    const std::uint8_t* p = nullptr;
    std::size_t header_len = 0;
    std::size_t total_len = 0;
    std::uint8_t ttl() const noexcept { return p[8]; }
    std::uint8_t protocol() const noexcept { return p[9]; }
    std::uint32_t src() const noexcept { return get32(p + 12); }
    std::uint32_t dst() const noexcept { return get32(p + 16); }
    bool dont_fragment() const noexcept { return (p[6] & 0x40) != 0; }
    bool is_fragment() const noexcept { return (get16(p + 6) & 0x3FFF) != 0; }
    bool first_fragment() const noexcept { return (get16(p + 6) & 0x1FFF) == 0; }
    const std::uint8_t* payload() const noexcept { return p + header_len; }
    std::size_t payload_len() const noexcept { return total_len - header_len; }
};

inline bool is_martian_source(std::uint32_t a) noexcept {
    return (a >> 28) == 0xE || a == 0xFFFFFFFFu || (a >> 24) == 127 || (a >> 28) == 0xF;
}

}  // namespace zplex::tcpip::stack::wire
