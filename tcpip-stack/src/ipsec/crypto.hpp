// SPDX-License-Identifier: Apache-2.0
// The two primitives ESP and AH are built on, keyed once per SA: AES-GCM with a
// 16-byte tag (RFC 4106's AEAD) and HMAC-SHA-256 (truncated by the caller, RFC 4868).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>

#include <openssl/evp.h>

namespace zplex::ipsec::detail {

class gcm {
public:
    gcm() = default;
    ~gcm();
    gcm(const gcm&) = delete;
    gcm& operator=(const gcm&) = delete;

    /// Key schedules for both directions; @p key_len 16 or 32.
    bool init(const std::uint8_t* key, std::size_t key_len) noexcept;
    /// Encrypt @p n bytes in place, authenticate @p aad too, write the 16-byte tag.
    bool seal(const std::uint8_t (&nonce)[12], std::span<const std::uint8_t> aad, std::uint8_t* data, std::size_t n,
              std::uint8_t* tag) noexcept;
    /// Check @p tag and decrypt in place; false (tag bad) leaves nothing usable.
    bool open(const std::uint8_t (&nonce)[12], std::span<const std::uint8_t> aad, std::uint8_t* data, std::size_t n,
              const std::uint8_t* tag) noexcept;

private:
    EVP_CIPHER_CTX* _enc = nullptr;
    EVP_CIPHER_CTX* _dec = nullptr;
};

class hmac_sha256 {
public:
    hmac_sha256() = default;
    ~hmac_sha256();
    hmac_sha256(const hmac_sha256&) = delete;
    hmac_sha256& operator=(const hmac_sha256&) = delete;

    bool init(const std::uint8_t* key, std::size_t key_len) noexcept;
    /// The MAC of the parts, in order, into @p out (32 bytes). Reuses the key set by init().
    bool mac(std::initializer_list<std::span<const std::uint8_t>> parts, std::uint8_t* out) noexcept;

private:
    EVP_MAC* _mac = nullptr;
    EVP_MAC_CTX* _ctx = nullptr;
};

}  // namespace zplex::ipsec::detail
