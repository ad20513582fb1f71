// SPDX-License-Identifier: Apache-2.0
// IPv4 address, mask and CIDR text: the one parser every component reads addresses with.
#include <zplex/sysplex/ipv4.hpp>

namespace zplex::sysplex {

namespace {

std::optional<ipv4_address> parse_dotted(std::string_view text, bool leading_zeros) noexcept {
    std::uint32_t value = 0;
    int parts = 0;
    std::size_t i = 0;
    while (parts < 4) {
        if (i >= text.size() || text[i] < '0' || text[i] > '9') {
            return std::nullopt;
        }
        std::size_t start = i;
        std::uint32_t octet = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            octet = octet * 10 + static_cast<std::uint32_t>(text[i] - '0');
            if (octet > 255 || i - start >= 3) {
                return std::nullopt;
            }
            ++i;
        }
        if (!leading_zeros && i - start > 1 && text[start] == '0') {
            return std::nullopt;  // 010.1.1.1 is ambiguous (octal elsewhere): refuse
        }
        value = (value << 8) | octet;
        ++parts;
        if (parts < 4) {
            if (i >= text.size() || text[i] != '.') {
                return std::nullopt;
            }
            ++i;
        }
    }
    if (i != text.size()) {
        return std::nullopt;
    }
    return ipv4_address{value};
}

std::optional<std::pair<ipv4_address, std::uint8_t>> cidr(std::string_view text, bool leading_zeros) noexcept {
    auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        return std::nullopt;
    }
    auto a = parse_dotted(text.substr(0, slash), leading_zeros);
    auto bits = text.substr(slash + 1);
    if (!a || bits.empty() || bits.size() > 2) {
        return std::nullopt;
    }
    unsigned n = 0;
    for (char ch : bits) {
        if (ch < '0' || ch > '9') {
            return std::nullopt;
        }
        n = n * 10 + static_cast<unsigned>(ch - '0');
    }
    if (n > 32) {
        return std::nullopt;
    }
    return std::make_pair(*a, static_cast<std::uint8_t>(n));
}

}  // namespace

std::optional<ipv4_address> ipv4_address::parse(std::string_view text) noexcept {
    return parse_dotted(text, false);
}

std::optional<ipv4_address> ipv4_address::parse_profile(std::string_view text) noexcept {
    return parse_dotted(text, true);
}

std::optional<std::pair<ipv4_address, std::uint8_t>> parse_cidr_profile(std::string_view text) noexcept {
    return cidr(text, true);
}

std::string ipv4_address::str() const {
    return std::to_string(value >> 24) + "." + std::to_string((value >> 16) & 0xff) + "." +
           std::to_string((value >> 8) & 0xff) + "." + std::to_string(value & 0xff);
}

std::optional<std::uint8_t> mask_to_prefix(ipv4_address mask) noexcept {
    std::uint32_t m = mask.value;
    std::uint32_t inverted = ~m;
    // Contiguous: the inverted mask is 2^k - 1.
    if ((inverted & (inverted + 1)) != 0) {
        return std::nullopt;
    }
    std::uint8_t n = 0;
    while (m & 0x80000000u) {
        ++n;
        m <<= 1;
    }
    return n;
}

ipv4_address prefix_to_mask(std::uint8_t prefix_len) noexcept {
    if (prefix_len == 0) {
        return ipv4_address{0};
    }
    if (prefix_len >= 32) {
        return ipv4_address{0xffffffffu};
    }
    return ipv4_address{~((1u << (32 - prefix_len)) - 1)};
}

std::optional<std::pair<ipv4_address, std::uint8_t>> parse_cidr(std::string_view text) noexcept {
    return cidr(text, false);
}

}  // namespace zplex::sysplex
