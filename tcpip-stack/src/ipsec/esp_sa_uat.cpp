// SPDX-License-Identifier: Apache-2.0
// Wireshark's esp_sa lines (epan/dissectors/packet-ipsec.c's table of algorithm names): the
// keys that make zplex trace's capture (z/OS: a PKTTRACE) readable through its ESP.
#include <zplex/ipsec/esp_sa_uat.hpp>

#include <openssl/crypto.h>

#include <cstdio>

namespace zplex::ipsec {

const char* wireshark_encryption_name(algorithm a) noexcept {
    switch (a) {
    case algorithm::aes_gcm_128:
    case algorithm::aes_gcm_256: return "AES-GCM with 16 octet ICV [RFC4106]";  // key || salt, 160 or 288 bits
    case algorithm::aes_cbc_128_hmac_sha256:
    case algorithm::aes_cbc_256_hmac_sha256:
    case algorithm::aes_cbc_128_hmac_sha384:
    case algorithm::aes_cbc_256_hmac_sha384:
    case algorithm::aes_cbc_128_hmac_sha512:
    case algorithm::aes_cbc_256_hmac_sha512: return "AES-CBC [RFC3602]";  // the key length picks 128 or 256
    case algorithm::null_hmac_sha256:
    case algorithm::null_hmac_sha384:
    case algorithm::null_hmac_sha512: return "NULL";
    }
    return "NULL";
}

const char* wireshark_authentication_name(algorithm a) noexcept {
    switch (a) {
    case algorithm::aes_gcm_128:
    case algorithm::aes_gcm_256: return "NULL";  // the AEAD's ICV
    case algorithm::aes_cbc_128_hmac_sha256:
    case algorithm::aes_cbc_256_hmac_sha256:
    case algorithm::null_hmac_sha256: return "HMAC-SHA-256-128 [RFC4868]";
    case algorithm::aes_cbc_128_hmac_sha384:
    case algorithm::aes_cbc_256_hmac_sha384:
    case algorithm::null_hmac_sha384: return "HMAC-SHA-384-192 [RFC4868]";
    case algorithm::aes_cbc_128_hmac_sha512:
    case algorithm::aes_cbc_256_hmac_sha512:
    case algorithm::null_hmac_sha512: return "HMAC-SHA-512-256 [RFC4868]";
    }
    return "NULL";
}

void wipe(std::string& s) noexcept {
    OPENSSL_cleanse(s.data(), s.capacity());
    s.clear();
}

namespace {

/// Append to @p out, which has room (checked by the caller).
void put(std::string& out, const char* text) { out.append(text); }

void put_address(std::string& out, std::uint32_t a) {
    if (a == 0) {
        out += '*';
        return;
    }
    char b[16];
    std::snprintf(b, sizeof b, "%u.%u.%u.%u", a >> 24, a >> 16 & 0xff, a >> 8 & 0xff, a & 0xff);
    out.append(b);
}

/// "0x" and the hex digits of @p key, written one digit at a time into the room @p out has.
void put_key(std::string& out, std::span<const std::uint8_t> key) {
    static const char digits[] = "0123456789abcdef";
    if (key.empty()) return;
    out += "0x";
    for (std::uint8_t b : key) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
}

}  // namespace

bool append_esp_sa_line(std::string& out, const esp_sa_keys& k) {
    if (k.key.size() != key_length(k.alg)) return false;
    const bool aead = is_aead(k.alg);
    // GCM's key is the cipher key and salt together; otherwise cipher key, then HMAC key.
    std::size_t ekey = aead ? k.key.size() : cipher_key_length(k.alg);
    auto enc_key = k.key.first(ekey);
    auto auth_key = aead ? std::span<const std::uint8_t>() : k.key.subspan(ekey);
    // Room for everything: the fixed text, two addresses, the names, the keys in hex.
    std::size_t need = out.size() + 64 + 2 * 16 + std::char_traits<char>::length(wireshark_encryption_name(k.alg)) +
                       std::char_traits<char>::length(wireshark_authentication_name(k.alg)) + 2 * k.key.size() + 8;
    if (need > out.capacity()) {
        std::string bigger;
        bigger.reserve(need * 2);
        bigger.append(out);
        wipe(out);
        out.swap(bigger);  // `bigger` now holds the old, wiped buffer
    }
    put(out, "\"IPv4\",\"");
    put_address(out, k.src);
    put(out, "\",\"");
    put_address(out, k.dst);
    char spi[16];
    std::snprintf(spi, sizeof spi, "0x%08x", k.spi);
    put(out, "\",\"");
    put(out, spi);
    put(out, "\",\"");
    put(out, wireshark_encryption_name(k.alg));
    put(out, "\",\"");
    put_key(out, enc_key);
    put(out, "\",\"");
    put(out, wireshark_authentication_name(k.alg));
    put(out, "\",\"");
    put_key(out, auth_key);
    put(out, "\"\n");
    return true;
}

}  // namespace zplex::ipsec
