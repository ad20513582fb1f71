// SPDX-License-Identifier: Apache-2.0
// Wireshark's esp_sa lines (zplex trace's keys file) for every ESP algorithm the stack
// runs: the names as Wireshark 4.0 spells them, the key split as it wants it.
#include <zplex/ipsec/esp_sa_uat.hpp>

#include "hex.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace zplex::ipsec {
namespace {

using zplex::test::hex_of;
using zplex::test::range;

struct uat_case {
    algorithm alg;
    const char* enc;
    std::size_t enc_key;  // bytes Wireshark takes as the encryption key
    const char* auth;
};

class esp_sa_uat : public ::testing::TestWithParam<uat_case> {};

TEST_P(esp_sa_uat, one_line_with_wiresharks_names_and_the_key_split_as_it_wants) {
    auto [alg, enc, enc_key, auth] = GetParam();
    auto key = range(1, static_cast<int>(key_length(alg)));
    std::string out;
    ASSERT_TRUE(append_esp_sa_line(out, {0xc61200c8, 0xc6120201, 0x0000c1a0, alg, key}));
    std::string ek = enc_key ? "0x" + hex_of(std::span(key.data(), enc_key)) : "";
    std::string ak = enc_key == key.size() ? "" : "0x" + hex_of(std::span(key.data() + enc_key, key.size() - enc_key));
    EXPECT_EQ(out, "\"IPv4\",\"198.18.0.200\",\"198.18.2.1\",\"0x0000c1a0\",\"" + std::string(enc) + "\",\"" + ek +
                       "\",\"" + auth + "\",\"" + ak + "\"\n");
    EXPECT_STREQ(wireshark_encryption_name(alg), enc);
    EXPECT_STREQ(wireshark_authentication_name(alg), auth);
}

INSTANTIATE_TEST_SUITE_P(
    every_esp_algorithm, esp_sa_uat,
    ::testing::Values(
        // GCM: the 4-byte salt is part of Wireshark's key (160 or 288 bits), no HMAC.
        uat_case{algorithm::aes_gcm_128, "AES-GCM with 16 octet ICV [RFC4106]", 20, "NULL"},
        uat_case{algorithm::aes_gcm_256, "AES-GCM with 16 octet ICV [RFC4106]", 36, "NULL"},
        uat_case{algorithm::aes_cbc_128_hmac_sha256, "AES-CBC [RFC3602]", 16, "HMAC-SHA-256-128 [RFC4868]"},
        uat_case{algorithm::aes_cbc_256_hmac_sha256, "AES-CBC [RFC3602]", 32, "HMAC-SHA-256-128 [RFC4868]"},
        uat_case{algorithm::aes_cbc_128_hmac_sha384, "AES-CBC [RFC3602]", 16, "HMAC-SHA-384-192 [RFC4868]"},
        uat_case{algorithm::aes_cbc_256_hmac_sha384, "AES-CBC [RFC3602]", 32, "HMAC-SHA-384-192 [RFC4868]"},
        uat_case{algorithm::aes_cbc_128_hmac_sha512, "AES-CBC [RFC3602]", 16, "HMAC-SHA-512-256 [RFC4868]"},
        uat_case{algorithm::aes_cbc_256_hmac_sha512, "AES-CBC [RFC3602]", 32, "HMAC-SHA-512-256 [RFC4868]"},
        // ESP-NULL (RFC 2410): no encryption key, the whole key is the HMAC's.
        uat_case{algorithm::null_hmac_sha256, "NULL", 0, "HMAC-SHA-256-128 [RFC4868]"},
        uat_case{algorithm::null_hmac_sha384, "NULL", 0, "HMAC-SHA-384-192 [RFC4868]"},
        uat_case{algorithm::null_hmac_sha512, "NULL", 0, "HMAC-SHA-512-256 [RFC4868]"}),
    [](const ::testing::TestParamInfo<uat_case>& i) {
        std::string n = algorithm_name(i.param.alg);
        for (auto& c : n)
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        return n;
    });

TEST(esp_sa_uat_line, any_address_is_a_star_and_lines_follow_each_other) {
    auto key = range(0x40, 20);
    std::string out;
    ASSERT_TRUE(append_esp_sa_line(out, {0, 0, 0x1000, algorithm::aes_gcm_128, key}));
    ASSERT_TRUE(append_esp_sa_line(out, {0xc6120201, 0, 0xfffffffe, algorithm::aes_gcm_128, key}));
    EXPECT_EQ(out, "\"IPv4\",\"*\",\"*\",\"0x00001000\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x" + hex_of(key) +
                       "\",\"NULL\",\"\"\n\"IPv4\",\"198.18.2.1\",\"*\",\"0xfffffffe\",\"AES-GCM with 16 octet ICV "
                       "[RFC4106]\",\"0x" + hex_of(key) + "\",\"NULL\",\"\"\n");
}

TEST(esp_sa_uat_line, a_key_that_does_not_fit_the_algorithm_gives_no_line) {
    std::string out = "kept";
    auto key = range(0, 16);  // GCM-128 wants 20 (key and salt)
    EXPECT_FALSE(append_esp_sa_line(out, {0, 0, 0x1000, algorithm::aes_gcm_128, key}));
    EXPECT_FALSE(append_esp_sa_line(out, {0, 0, 0x1000, algorithm::aes_cbc_128_hmac_sha256, key}));
    EXPECT_EQ(out, "kept");
}

TEST(esp_sa_uat_line, wipe_zeroes_the_whole_buffer) {
    std::string out;
    auto key = range(0x11, 64);
    ASSERT_TRUE(append_esp_sa_line(out, {0, 0, 0x1000, algorithm::null_hmac_sha512, key}));
    const char* at = out.data();
    std::size_t cap = out.capacity();
    wipe(out);
    EXPECT_TRUE(out.empty());
    ASSERT_EQ(out.data(), at) << "the buffer stays (cleared, not freed)";
    for (std::size_t i = 0; i < cap; ++i) ASSERT_EQ(at[i], 0) << "byte " << i;
}

}  // namespace
}  // namespace zplex::ipsec
