// SPDX-License-Identifier: Apache-2.0
// The keys of live ESP SAs as Wireshark's `esp_sa` table (the UAT of Protocols > ESP >
// "ESP SAs"): one line per SA and direction, so tshark or Wireshark decrypts a LAN
// capture (`zplex trace`, docs/swsa.md "Tracing"). The lines hold keys: they are built
// in a string the caller wipes, and never in a temporary copy.
#pragma once

#include <zplex/ipsec/esp.hpp>

#include <cstdint>
#include <span>
#include <string>

namespace zplex::ipsec {

/// Wireshark's name of the cipher of @p a ("AES-GCM with 16 octet ICV [RFC4106]",
/// "AES-CBC [RFC3602]", "NULL"), as its esp_sa table spells it.
const char* wireshark_encryption_name(algorithm a) noexcept;
/// Wireshark's name of the integrity algorithm of @p a ("NULL" for AES-GCM,
/// "HMAC-SHA-256-128 [RFC4868]", "HMAC-SHA-384-192 [RFC4868]", "HMAC-SHA-512-256 [RFC4868]").
const char* wireshark_authentication_name(algorithm a) noexcept;

/// One SA, one direction, as the esp_sa table keys it. Addresses in host order; 0 is
/// any ("*"). The key is sa_config::key's layout (GCM: AES key || salt; CBC/NULL: the
/// AES key, if any, || the HMAC key); it is only read.
struct esp_sa_keys {
    std::uint32_t src = 0;
    std::uint32_t dst = 0;
    std::uint32_t spi = 0;
    algorithm alg = algorithm::aes_gcm_128;
    std::span<const std::uint8_t> key;
};

/// Append the esp_sa line of @p k to @p out, with a '\n':
///   "IPv4","198.18.0.200","198.18.2.1","0x0000c1a0","AES-GCM with 16 octet ICV [RFC4106]","0x<key||salt>","NULL",""
/// @p out never reallocates behind the caller's back: when it is too small, the line
/// goes into a bigger string and the old buffer is wiped before it is freed. False
/// (nothing appended) if the key length does not fit the algorithm.
bool append_esp_sa_line(std::string& out, const esp_sa_keys& k);

/// Wipe the whole buffer of @p s (OPENSSL_cleanse over its capacity) and empty it.
void wipe(std::string& s) noexcept;

}  // namespace zplex::ipsec
