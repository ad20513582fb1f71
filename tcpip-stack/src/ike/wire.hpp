// SPDX-License-Identifier: Apache-2.0
// Network byte order (the bottom library's) and wiping for the IKE core.
#pragma once

#include <zplex/sysplex/byte_order.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

#include <openssl/crypto.h>

namespace zplex::ike::detail {

using sysplex::get16;
using sysplex::get32;
using sysplex::get64;
using sysplex::put16;
using sysplex::put32;
using sysplex::put64;

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
