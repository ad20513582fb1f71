// SPDX-License-Identifier: Apache-2.0
// Network byte order helpers and wiping for the IKE core.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <openssl/crypto.h>

namespace zplex::ike::detail {

inline std::uint16_t get16(const std::uint8_t* p) noexcept {
    return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}
inline std::uint32_t get32(const std::uint8_t* p) noexcept {
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}
inline std::uint64_t get64(const std::uint8_t* p) noexcept {
    return std::uint64_t{get32(p)} << 32 | get32(p + 4);
}
inline void put16(std::uint8_t* p, std::uint16_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
inline void put32(std::uint8_t* p, std::uint32_t v) noexcept {
    put16(p, static_cast<std::uint16_t>(v >> 16));
    put16(p + 2, static_cast<std::uint16_t>(v));
}
inline void put64(std::uint8_t* p, std::uint64_t v) noexcept {
    put32(p, static_cast<std::uint32_t>(v >> 32));
    put32(p + 4, static_cast<std::uint32_t>(v));
}
inline std::vector<std::uint8_t> be32(std::uint32_t v) {
    std::vector<std::uint8_t> b(4);
    put32(b.data(), v);
    return b;
}
inline std::vector<std::uint8_t> be64(std::uint64_t v) {
    std::vector<std::uint8_t> b(8);
    put64(b.data(), v);
    return b;
}
/// Paranoia: wipe a buffer that held key material or plaintext.
inline void wipe(std::vector<std::uint8_t>& b) noexcept {
    if (!b.empty()) {
        OPENSSL_cleanse(b.data(), b.size());
    }
}

}  // namespace zplex::ike::detail
