// SPDX-License-Identifier: Apache-2.0
// Network byte order and the IPv4 header checksum, shared by ESP and AH.
#pragma once

#include <cstddef>
#include <cstdint>

namespace zplex::ipsec::detail {

inline void put32(std::uint8_t* p, std::uint32_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}

inline std::uint32_t get32(const std::uint8_t* p) noexcept {
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

/// Recompute the IPv4 header checksum (RFC 791) over @p ihl bytes.
inline void ip_checksum(std::uint8_t* ip, std::size_t ihl) noexcept {
    ip[10] = ip[11] = 0;
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < ihl; i += 2) {
        sum += std::uint32_t{ip[i]} << 8 | ip[i + 1];
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    auto c = static_cast<std::uint16_t>(~sum);
    ip[10] = static_cast<std::uint8_t>(c >> 8);
    ip[11] = static_cast<std::uint8_t>(c);
}

}  // namespace zplex::ipsec::detail
