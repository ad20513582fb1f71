// SPDX-License-Identifier: Apache-2.0
// AES-GCM and HMAC-SHA-2 over OpenSSL 3 EVP, keyed once per SA.
#include "crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>

namespace zplex::ipsec::detail {

gcm::~gcm() {
    EVP_CIPHER_CTX_free(_enc);
    EVP_CIPHER_CTX_free(_dec);
}

bool gcm::init(const std::uint8_t* key, std::size_t key_len) noexcept {
    const EVP_CIPHER* c = key_len == 16 ? EVP_aes_128_gcm() : key_len == 32 ? EVP_aes_256_gcm() : nullptr;
    _enc = EVP_CIPHER_CTX_new();
    _dec = EVP_CIPHER_CTX_new();
    return c && _enc && _dec && EVP_EncryptInit_ex(_enc, c, nullptr, key, nullptr) == 1 &&
           EVP_DecryptInit_ex(_dec, c, nullptr, key, nullptr) == 1;
}

bool gcm::seal(const std::uint8_t (&nonce)[12], std::span<const std::uint8_t> aad, std::uint8_t* data, std::size_t n,
               std::uint8_t* tag) noexcept {
    int out = 0;
    return EVP_EncryptInit_ex(_enc, nullptr, nullptr, nullptr, nonce) == 1 &&
           (aad.empty() || EVP_EncryptUpdate(_enc, nullptr, &out, aad.data(), static_cast<int>(aad.size())) == 1) &&
           EVP_EncryptUpdate(_enc, data, &out, data, static_cast<int>(n)) == 1 &&
           EVP_EncryptFinal_ex(_enc, data + out, &out) == 1 &&
           EVP_CIPHER_CTX_ctrl(_enc, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
}

bool gcm::open(const std::uint8_t (&nonce)[12], std::span<const std::uint8_t> aad, std::uint8_t* data, std::size_t n,
               const std::uint8_t* tag) noexcept {
    int out = 0;
    std::uint8_t t[16];
    for (int i = 0; i < 16; ++i) {
        t[i] = tag[i];
    }
    // OpenSSL compares the tag in constant time in the final step.
    return EVP_DecryptInit_ex(_dec, nullptr, nullptr, nullptr, nonce) == 1 &&
           (aad.empty() || EVP_DecryptUpdate(_dec, nullptr, &out, aad.data(), static_cast<int>(aad.size())) == 1) &&
           EVP_DecryptUpdate(_dec, data, &out, data, static_cast<int>(n)) == 1 &&
           EVP_CIPHER_CTX_ctrl(_dec, EVP_CTRL_GCM_SET_TAG, 16, t) == 1 &&
           EVP_DecryptFinal_ex(_dec, data + out, &out) == 1;
}

hmac_sha2::~hmac_sha2() {
    EVP_MAC_CTX_free(_ctx);
    EVP_MAC_free(_mac);
}

bool hmac_sha2::init(const std::uint8_t* key, std::size_t key_len, unsigned bits) noexcept {
    if (bits == 0) {
        bits = key_len == 48 ? 384 : key_len == 64 ? 512 : 256;
    }
    const char* digest = bits == 384 ? "SHA384" : bits == 512 ? "SHA512" : bits == 256 ? "SHA256" : nullptr;
    if (!digest || _ctx) {
        return false;
    }
    _size = bits / 8;
    _mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    _ctx = _mac ? EVP_MAC_CTX_new(_mac) : nullptr;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
                           OSSL_PARAM_construct_end()};
    return _ctx && EVP_MAC_init(_ctx, key, key_len, params) == 1;
}

bool hmac_sha2::mac(std::initializer_list<std::span<const std::uint8_t>> parts, std::uint8_t* out) noexcept {
    // A null key re-initialises with the key set by init(): no re-keying per packet.
    if (EVP_MAC_init(_ctx, nullptr, 0, nullptr) != 1) {
        return false;
    }
    for (auto p : parts) {
        if (!p.empty() && EVP_MAC_update(_ctx, p.data(), p.size()) != 1) {
            return false;
        }
    }
    std::size_t n = 0;
    return EVP_MAC_final(_ctx, out, &n, _size) == 1 && n == _size;
}

}  // namespace zplex::ipsec::detail
