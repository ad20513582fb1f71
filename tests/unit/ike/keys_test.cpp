// SPDX-License-Identifier: Apache-2.0
// IKE crypto: HMAC-SHA2 PRFs against RFC 4231, prf+ built from them, ECDH against the
// published P-256/P-384 (RFC 5114 §A) and Curve25519 (RFC 7748 §6.1) answers, every
// group's exchange, key derivation sizes, PSK AUTH.
#include <zplex/ike/keys.hpp>

#include "hex.hpp"

#include <gtest/gtest.h>

#include <string>

namespace zplex::ike {
namespace {

using zplex::test::hex;
using zplex::test::hex_of;

bytes str(const std::string& s) { return bytes(s.begin(), s.end()); }

TEST(ike_keys, prf_hmac_sha2_matches_rfc_4231_test_case_2) {
    auto key = str("Jefe");
    auto data = str("what do ya want for nothing?");
    EXPECT_EQ(hex_of(prf(prf_id::hmac_sha2_256, key, data)),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    EXPECT_EQ(hex_of(prf(prf_id::hmac_sha2_384, key, data)),
              "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
              "8e2240ca5e69e2c78b3239ecfab21649");
    EXPECT_EQ(hex_of(prf(prf_id::hmac_sha2_512, key, data)),
              "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
              "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
    EXPECT_TRUE(prf(99, key, data).empty());
}

TEST(ike_keys, prf_plus_is_t1_t2_t3_of_rfc_7296_2_13) {
    auto key = str("key");
    auto seed = str("seed");
    for (auto id : {prf_id::hmac_sha2_256, prf_id::hmac_sha2_384, prf_id::hmac_sha2_512}) {
        bytes s1 = seed;
        s1.push_back(1);
        bytes t1 = prf(id, key, s1);
        bytes s2 = t1;
        s2.insert(s2.end(), seed.begin(), seed.end());
        s2.push_back(2);
        bytes t2 = prf(id, key, s2);
        bytes s3 = t2;
        s3.insert(s3.end(), seed.begin(), seed.end());
        s3.push_back(3);
        bytes t3 = prf(id, key, s3);
        bytes want = t1;
        want.insert(want.end(), t2.begin(), t2.end());
        want.insert(want.end(), t3.begin(), t3.end());
        want.resize(2 * t1.size() + 5);
        EXPECT_EQ(hex_of(prf_plus(id, key, seed, want.size()).raw()), hex_of(want));
    }
    // More than 255 rounds is undefined: refused.
    EXPECT_TRUE(prf_plus(prf_id::hmac_sha2_256, key, seed, 32 * 256).empty());
}

struct dh_vector {
    std::uint16_t group;
    const char* priv_i;
    const char* priv_r;
    const char* pub_i;
    const char* pub_r;
    const char* shared;
};

const dh_vector vectors[] = {
    // RFC 5114 §A.6 (256-bit random ECP group).
    {dh_group::ecp_256, "814264145f2f56f2e96a8e337a1284993faf432a5abce59e867b7291d507a3af",
     "2ce1788ec197e096db95a200cc0ab26a19ce6bccad562b8eee1b593761cf7f41",
     "2af502f3be8952f2c9b5a8d4160d09e97165be50bc42ae4a5e8d3b4ba83aeb15"
     "eb0faf4ca986c4d38681a0f9872d79d56795bd4bff6e6de3c0f5015ece5efd85",
     "b120de4aa36492795346e8de6c2c8646ae06aaea279fa775b3ab0715f6ce51b0"
     "9f1b7eece20d7b5ed8ec685fa3f071d83727027092a8411385c34dde5708b2b6",
     "dd0f5396219d1ea393310412d19a08f1f5811e9dc8ec8eea7f80d21c820c2788"},
    // RFC 5114 §A.7 (384-bit random ECP group).
    {dh_group::ecp_384,
     "d27335ea71664af244dd14e9fd1260715dfd8a7965571c48d709ee7a7962a156d706a90cbcb5df2986f05feadb9376f1",
     "52d1791fdb4b70f89c0f00d456c2f7023b6125262c36a7df1f80231121cce3d39be52e00c194a4132c4a6c768bcd94d2",
     "793148f1787634d5da4c6d9074417d05e057ab62f82054d10ee6b0403d6279547e6a8ea9d1fd77427d016fe27a8b8c66"
     "c6c41294331d23e6f480f4fb4cd40504c947392e94f4c3f06b8f398bb29e42368f7a685923de3b67baced214a1a1d128",
     "5cd42ab9c41b5347f74b8d4efb708b3d5b36db65915359b44abc17647b6b9999789d72a84865ae2f223f12b5a1abc120"
     "e171458feaa939aaa3a8bfac46b404bd8f6d5b348c0fa4d80ceca16356ca933240bde8723415a8ece035b0edf36755de",
     "5ea1fc4af7256d2055981b110575e0a8cae53160137d904c59d926eb1b8456e427aa8a4540884c37de159a58028abc0e"},
    // RFC 7748 §6.1.
    {dh_group::curve25519, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
     "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
     "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
     "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
     "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"},
};

TEST(ike_keys, dh_matches_published_answers) {
    for (const auto& v : vectors) {
        auto i = dh_key::from_private(v.group, hex(v.priv_i));
        auto r = dh_key::from_private(v.group, hex(v.priv_r));
        ASSERT_NE(i, nullptr) << v.group;
        ASSERT_NE(r, nullptr) << v.group;
        EXPECT_EQ(hex_of(i->public_value()), v.pub_i) << v.group;
        EXPECT_EQ(hex_of(r->public_value()), v.pub_r) << v.group;
        secret a, b;
        ASSERT_TRUE(i->shared_secret(hex(v.pub_r), a)) << v.group;
        ASSERT_TRUE(r->shared_secret(hex(v.pub_i), b)) << v.group;
        EXPECT_EQ(hex_of(a.raw()), v.shared) << v.group;
        EXPECT_EQ(hex_of(b.raw()), v.shared) << v.group;
    }
}

TEST(ike_keys, every_group_agrees_and_rejects_bad_public_values) {
    for (auto g : {dh_group::modp_2048, dh_group::ecp_256, dh_group::ecp_384, dh_group::curve25519}) {
        auto i = dh_key::generate(g);
        auto r = dh_key::generate(g);
        ASSERT_NE(i, nullptr) << g;
        ASSERT_NE(r, nullptr) << g;
        EXPECT_EQ(i->public_value().size(), dh_public_size(g));
        secret a, b;
        ASSERT_TRUE(i->shared_secret(r->public_value(), a)) << g;
        ASSERT_TRUE(r->shared_secret(i->public_value(), b)) << g;
        EXPECT_EQ(hex_of(a.raw()), hex_of(b.raw())) << g;
        EXPECT_EQ(a.size(), g == dh_group::modp_2048 ? 256u : g == dh_group::ecp_256 ? 32u : g == dh_group::ecp_384 ? 48u : 32u);
        // Wrong length, all zeros (not on the curve / y = 0 / low order), all ones.
        secret x;
        EXPECT_FALSE(i->shared_secret(bytes(dh_public_size(g) - 1, 1), x)) << g;
        EXPECT_FALSE(i->shared_secret(bytes(dh_public_size(g), 0), x)) << g;
        if (g != dh_group::curve25519) {
            EXPECT_FALSE(i->shared_secret(bytes(dh_public_size(g), 0xff), x)) << g;
        }
    }
    EXPECT_EQ(dh_key::generate(2), nullptr);
}

TEST(ike_keys, ike_keys_have_the_sizes_of_the_suite_and_both_sides_agree) {
    ike_suite s{encr_id::aes_cbc, 256, integ_id::hmac_sha2_384_192, prf_id::hmac_sha2_384, dh_group::ecp_384};
    ike_keys k;
    auto ni = bytes(32, 1), nr = bytes(32, 2), g = bytes(48, 3);
    ASSERT_TRUE(derive_ike_keys(s, g, ni, nr, 1, 2, k));
    EXPECT_EQ(k.sk_d.size(), 48u);
    EXPECT_EQ(k.sk_ai.size(), 48u);
    EXPECT_EQ(k.sk_ei.size(), 32u);
    EXPECT_EQ(k.sk_pr.size(), 48u);
    ike_suite gcm{encr_id::aes_gcm_16, 128, integ_id::none, prf_id::hmac_sha2_256, dh_group::ecp_256};
    ike_keys k2;
    ASSERT_TRUE(derive_ike_keys(gcm, g, ni, nr, 1, 2, k2));
    EXPECT_EQ(k2.sk_ai.size(), 0u);
    EXPECT_EQ(k2.sk_ei.size(), 20u);  // key || salt
    // SKEYSEED = prf(Ni | Nr, g^ir); SK_d is the first prf+ output.
    bytes key = ni;
    key.insert(key.end(), nr.begin(), nr.end());
    bytes skeyseed = prf(prf_id::hmac_sha2_256, key, g);
    bytes seed = key;
    for (int i = 0; i < 7; ++i) {
        seed.push_back(0);
    }
    seed.push_back(1);
    for (int i = 0; i < 7; ++i) {
        seed.push_back(0);
    }
    seed.push_back(2);
    EXPECT_EQ(hex_of(k2.sk_d.raw()), hex_of(prf_plus(prf_id::hmac_sha2_256, skeyseed, seed, 32).raw()));
    ike_suite bad{encr_id::aes_gcm_16, 192, integ_id::none, prf_id::hmac_sha2_256, 19};
    EXPECT_FALSE(derive_ike_keys(bad, g, ni, nr, 1, 2, k2));
}

TEST(ike_keys, psk_auth_is_prf_of_prf_psk_key_pad) {
    auto psk = str("secret");
    auto octets = str("octets");
    auto inner = prf(prf_id::hmac_sha2_256, psk, str("Key Pad for IKEv2"));
    EXPECT_EQ(hex_of(psk_auth(prf_id::hmac_sha2_256, psk, octets)), hex_of(prf(prf_id::hmac_sha2_256, inner, octets)));
}

TEST(ike_keys, constant_time_compare) {
    EXPECT_TRUE(equal_ct(hex("0102"), hex("0102")));
    EXPECT_FALSE(equal_ct(hex("0102"), hex("0103")));
    EXPECT_FALSE(equal_ct(hex("0102"), hex("01")));
}

}  // namespace
}  // namespace zplex::ike
