// SPDX-License-Identifier: Apache-2.0
// The two primitives ESP and AH are built on, keyed once per SA: AES-GCM with a
// 16-byte tag (RFC 4106's AEAD) and HMAC-SHA-256/384/512 (truncated by the caller, RFC 4868).
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

/// HMAC with SHA-256, SHA-384 or SHA-512: the digest follows the key length, as
/// RFC 4868 keys them (32, 48, 64 bytes); init() with another length picks SHA-256.
class hmac_sha2 {
public:
    static constexpr std::size_t max_size = 64;

    hmac_sha2() = default;
    ~hmac_sha2();
    hmac_sha2(const hmac_sha2&) = delete;
    hmac_sha2& operator=(const hmac_sha2&) = delete;

    /// @p bits 256, 384 or 512; 0: by the key length (48 -> 384, 64 -> 512, else 256).
    bool init(const std::uint8_t* key, std::size_t key_len, unsigned bits = 0) noexcept;
    /// The MAC of the parts, in order, into @p out (size() bytes). Reuses the key set by init().
    bool mac(std::initializer_list<std::span<const std::uint8_t>> parts, std::uint8_t* out) noexcept;
    std::size_t size() const noexcept { return _size; }

private:
    EVP_MAC* _mac = nullptr;
    EVP_MAC_CTX* _ctx = nullptr;
    std::size_t _size = 32;
};

}  // namespace zplex::ipsec::detail
