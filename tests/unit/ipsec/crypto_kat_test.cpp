// SPDX-License-Identifier: Apache-2.0
// Published known answers through the primitives ESP and AH use: the GCM
// specification's test cases 3 and 4 (AES-128) and RFC 4231 test cases 1 and 2
// (HMAC-SHA-256).
#include "crypto.hpp"
#include "hex.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace zplex::ipsec::detail {
namespace {

using zplex::test::hex;
using zplex::test::hex_of;

const auto gcm_key = hex("feffe9928665731c6d6a8f9467308308");
const std::string gcm_plain =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de"
    "657ba637b391aafd255";
const std::string gcm_cipher =
    "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aa"
    "c973d58e091473f5985";

void nonce(std::uint8_t (&n)[12]) {
    auto iv = hex("cafebabefacedbaddecaf888");
    std::memcpy(n, iv.data(), 12);
}

TEST(ipsec_gcm_kat, test_case_3_no_aad) {
    gcm g;
    ASSERT_TRUE(g.init(gcm_key.data(), 16));
    std::uint8_t n[12];
    nonce(n);
    auto data = hex(gcm_plain);
    std::uint8_t tag[16];
    ASSERT_TRUE(g.seal(n, {}, data.data(), data.size(), tag));
    EXPECT_EQ(hex_of(data), gcm_cipher);
    EXPECT_EQ(hex_of(tag), "4d5c2af327cd64a62cf35abd2ba6fab4");
    ASSERT_TRUE(g.open(n, {}, data.data(), data.size(), tag));
    EXPECT_EQ(hex_of(data), gcm_plain);
}

TEST(ipsec_gcm_kat, test_case_4_with_aad) {
    gcm g;
    ASSERT_TRUE(g.init(gcm_key.data(), 16));
    std::uint8_t n[12];
    nonce(n);
    auto aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    auto data = hex(gcm_plain.substr(0, 120));
    std::uint8_t tag[16];
    ASSERT_TRUE(g.seal(n, aad, data.data(), data.size(), tag));
    EXPECT_EQ(hex_of(data), gcm_cipher.substr(0, 120));
    EXPECT_EQ(hex_of(tag), "5bc94fbc3221a5db94fae95ae7121a47");
    tag[0] ^= 1;
    EXPECT_FALSE(g.open(n, aad, data.data(), data.size(), tag)) << "a wrong tag is refused";
}

TEST(ipsec_hmac_kat, rfc4231_test_cases_1_and_2) {
    hmac_sha2 a;
    std::vector<std::uint8_t> k1(20, 0x0b);
    ASSERT_TRUE(a.init(k1.data(), k1.size()));
    std::uint8_t out[32];
    std::string d1 = "Hi There";
    ASSERT_TRUE(a.mac({std::span(reinterpret_cast<const std::uint8_t*>(d1.data()), d1.size())}, out));
    EXPECT_EQ(hex_of(out), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    hmac_sha2 b;
    std::string k2 = "Jefe";
    ASSERT_TRUE(b.init(reinterpret_cast<const std::uint8_t*>(k2.data()), k2.size()));
    std::string d2 = "what do ya want ";
    std::string d3 = "for nothing?";
    // In two parts, as ESP and AH feed it.
    ASSERT_TRUE(b.mac({std::span(reinterpret_cast<const std::uint8_t*>(d2.data()), d2.size()),
                       std::span(reinterpret_cast<const std::uint8_t*>(d3.data()), d3.size())},
                      out));
    EXPECT_EQ(hex_of(out), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    ASSERT_TRUE(b.mac({std::span(reinterpret_cast<const std::uint8_t*>(d2.data()), d2.size()),
                       std::span(reinterpret_cast<const std::uint8_t*>(d3.data()), d3.size())},
                      out));
    EXPECT_EQ(hex_of(out), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843") << "the key is kept";
}

// RFC 4231 test cases 1 and 2 for HMAC-SHA-384 and HMAC-SHA-512 (RFC 4868's ESP/AH integrity).
TEST(ipsec_hmac_kat, rfc4231_sha384_and_sha512) {
    struct kat {
        unsigned bits;
        std::string key_hex, data, mac;
    };
    const std::string jefe_hex = "4a656665";
    const std::string k1_hex = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b";
    for (const auto& k : {
             kat{384, k1_hex, "Hi There",
                 "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6"},
             kat{384, jefe_hex, "what do ya want for nothing?",
                 "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"},
             kat{512, k1_hex, "Hi There",
                 "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4"
                 "be9d914eeb61f1702e696c203a126854"},
             kat{512, jefe_hex, "what do ya want for nothing?",
                 "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fd"
                 "caeab1a34d4a6b4b636e070a38bce737"},
         }) {
        hmac_sha2 h;
        auto key = hex(k.key_hex);
        ASSERT_TRUE(h.init(key.data(), key.size(), k.bits));
        ASSERT_EQ(h.size(), k.bits / 8);
        std::vector<std::uint8_t> out(h.size());
        ASSERT_TRUE(h.mac({std::span(reinterpret_cast<const std::uint8_t*>(k.data.data()), k.data.size())}, out.data()));
        EXPECT_EQ(hex_of(out), k.mac) << "HMAC-SHA-" << k.bits << " over \"" << k.data << '"';
    }
    hmac_sha2 by_len;
    std::vector<std::uint8_t> k64(64, 1);
    ASSERT_TRUE(by_len.init(k64.data(), k64.size()));
    EXPECT_EQ(by_len.size(), 64u) << "a 64-byte key means HMAC-SHA-512-256 (RFC 4868)";
    hmac_sha2 bad;
    EXPECT_FALSE(bad.init(k64.data(), k64.size(), 160)) << "no SHA-1";
}

}  // namespace
}  // namespace zplex::ipsec::detail
