// SPDX-License-Identifier: Apache-2.0
// Network byte order (the bottom library's) and the
// IPv4 header fields and checksum, shared by ESP and AH.
#pragma once

#include <zplex/sysplex/byte_order.hpp>

#include <cstddef>
#include <cstdint>

namespace zplex::ipsec::detail {

using sysplex::get16;
using sysplex::get32;
using sysplex::put16;
using sysplex::put32;

/// IPv4 header (RFC 791 §3.1) byte offsets.
namespace ipv4 {
constexpr std::size_t min_header = 20;
constexpr std::size_t max_header = 60;
constexpr std::size_t tos = 1;
constexpr std::size_t total_length = 2;
constexpr std::size_t flags_fragment = 6;
constexpr std::size_t ttl = 8;
constexpr std::size_t protocol = 9;
constexpr std::size_t checksum = 10;
constexpr std::size_t src = 12;
constexpr std::size_t dst = 16;

inline unsigned version(const std::uint8_t* ip) noexcept { return ip[0] >> 4; }
inline std::size_t header_length(const std::uint8_t* ip) noexcept { return static_cast<std::size_t>(ip[0] & 0x0f) * 4; }
}  // namespace ipv4

constexpr std::uint8_t proto_ipip = 4;
constexpr std::uint8_t proto_udp = 17;
constexpr std::uint8_t proto_esp = 50;
constexpr std::uint8_t proto_ah = 51;

/// Recompute the IPv4 header checksum (RFC 791) over @p ihl bytes.
inline void ip_checksum(std::uint8_t* ip, std::size_t ihl) noexcept {
    ip[ipv4::checksum] = ip[ipv4::checksum + 1] = 0;
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < ihl; i += 2) {
        sum += get16(ip + i);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    put16(ip + ipv4::checksum, static_cast<std::uint16_t>(~sum));
}

}  // namespace zplex::ipsec::detail
