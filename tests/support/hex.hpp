// SPDX-License-Identifier: Apache-2.0
// Test helpers: hex strings to bytes and back, byte ranges.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace zplex::test {

inline std::vector<std::uint8_t> hex(const std::string& h) {
    std::vector<std::uint8_t> v;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
        v.push_back(static_cast<std::uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
    }
    return v;
}

inline std::string hex_of(std::span<const std::uint8_t> b) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (auto c : b) {
        s += digits[c >> 4];
        s += digits[c & 15];
    }
    return s;
}

/// @p n bytes counting up from @p from.
inline std::vector<std::uint8_t> range(int from, int n) {
    std::vector<std::uint8_t> v;
    for (int i = 0; i < n; ++i) {
        v.push_back(static_cast<std::uint8_t>(from + i));
    }
    return v;
}

}  // namespace zplex::test
