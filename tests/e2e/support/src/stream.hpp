// SPDX-License-Identifier: Apache-2.0
// What the TCP transfers of the harness send: a pseudo-random stream (xorshift64, cheap
// and not compressible) whose SHA-256 any side can compute, and the digest itself.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace zplex::e2e::detail {

inline std::string hex(const unsigned char* p, unsigned n) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (unsigned i = 0; i < n; ++i) {
        s += d[p[i] >> 4];
        s += d[p[i] & 15];
    }
    return s;
}

struct sha256 {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    sha256() { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
    ~sha256() { EVP_MD_CTX_free(ctx); }
    sha256(const sha256&) = delete;
    sha256& operator=(const sha256&) = delete;
    void update(const void* p, std::size_t n) { EVP_DigestUpdate(ctx, p, n); }
    std::string done() {
        unsigned char md[32];
        unsigned n = 0;
        EVP_DigestFinal_ex(ctx, md, &n);
        return hex(md, n);
    }
};

/// The transfer stream, in chunks: every chunk but the last must be a multiple of 8
/// bytes, so the stream does not depend on how it is cut.
struct transfer_stream {
    std::uint64_t x = 0x9e3779b97f4a7c15ull;
    void fill(std::uint8_t* p, std::size_t n) noexcept {
        for (std::size_t i = 0; i < n; i += 8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            std::memcpy(p + i, &x, n - i < 8 ? n - i : 8);
        }
    }
};

}  // namespace zplex::e2e::detail
