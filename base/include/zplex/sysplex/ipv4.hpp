// SPDX-License-Identifier: Apache-2.0
// IPv4 addresses and masks as text (dotted decimal, /prefix, dotted mask): strict, as
// z/OS reads them, and the profile variant that allows leading zeros in an octet.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zplex::sysplex {

/// An IPv4 address in host byte order.
struct ipv4_address {
    std::uint32_t value = 0;

    /// Strict dotted decimal: four decimal octets 0..255, no leading '+', no
    /// empty parts, no leading zeros beyond a single 0 (z/OS rejects 010.1.1.1).
    static std::optional<ipv4_address> parse(std::string_view text) noexcept;
    /// Dotted decimal as TCP/IP profile processing reads it: like parse(), but an
    /// octet may carry leading zeros and is still decimal (9.67.240.02 is
    /// 9.67.240.2; IBM's own examples write octets so). At most three digits.
    static std::optional<ipv4_address> parse_profile(std::string_view text) noexcept;
    std::string str() const;
    friend auto operator<=>(const ipv4_address&, const ipv4_address&) = default;
};

/// The prefix length of a contiguous dotted mask (255.255.255.0 -> 24), or nullopt.
std::optional<std::uint8_t> mask_to_prefix(ipv4_address mask) noexcept;
ipv4_address prefix_to_mask(std::uint8_t prefix_len) noexcept;

/// `a.b.c.d/n`: the address and the prefix length (0..32).
std::optional<std::pair<ipv4_address, std::uint8_t>> parse_cidr(std::string_view text) noexcept;
/// parse_cidr with the address read by ipv4_address::parse_profile.
std::optional<std::pair<ipv4_address, std::uint8_t>> parse_cidr_profile(std::string_view text) noexcept;

}  // namespace zplex::sysplex
