// SPDX-License-Identifier: Apache-2.0
// IKE crypto: HMAC-SHA2 PRFs against RFC 4231, prf+ built from them, ECDH against the
// published P-256/P-384 (RFC 5114 §A) and Curve25519 (RFC 7748 §6.1) answers, every
// group's exchange, and the key derivation (prf+, SKEYSEED and the seven SA keys, IKE
// rekey, CHILD SA KEYMAT) and PSK AUTH against an independent derivation: OpenSSL's own
// HKDF and HMAC (EVP_KDF / EVP_MAC), never the functions under test. IKEv2's prf+ with
// an HMAC is HKDF-Expand (RFC 5869 §2.3: T(n) = HMAC(PRK, T(n-1) | info | n)), and
// SKEYSEED = prf(Ni | Nr, g^ir) is HKDF-Extract with salt Ni | Nr.
#include <zplex/ike/keys.hpp>

#include "hex.hpp"

#include <gtest/gtest.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <string>

namespace zplex::ike {
namespace {

using zplex::test::hex;
using zplex::test::hex_of;

bytes str(const std::string& s) { return bytes(s.begin(), s.end()); }

const char* digest_of(std::uint16_t prf_id) {
    return prf_id == prf_id::hmac_sha2_384 ? "SHA384" : prf_id == prf_id::hmac_sha2_512 ? "SHA512" : "SHA256";
}

/// OpenSSL's HKDF: @p expand_only takes @p key as the PRK (prf+ alone); otherwise
/// PRK = HMAC(salt, key) first (SKEYSEED).
bytes openssl_hkdf(std::uint16_t prf_id, bool expand_only, const bytes& salt, const bytes& key, const bytes& info,
                   std::size_t n) {
    EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);
    int mode = expand_only ? EVP_KDF_HKDF_MODE_EXPAND_ONLY : EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND;
    std::string md = digest_of(prf_id);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, md.data(), 0),
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(key.data()), key.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<std::uint8_t*>(info.data()), info.size()),
        OSSL_PARAM_construct_end(), OSSL_PARAM_construct_end()};
    if (!expand_only) {  // expand-only takes no salt (an empty one is refused)
        params[4] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<std::uint8_t*>(salt.data()),
                                                      salt.size());
    }
    bytes out(n);
    if (!ctx || EVP_KDF_derive(ctx, out.data(), n, params) != 1) {
        out.clear();
    }
    EVP_KDF_CTX_free(ctx);
    return out;
}

/// OpenSSL's HMAC, through EVP_MAC.
bytes openssl_hmac(std::uint16_t prf_id, const bytes& key, const bytes& data) {
    std::string md = digest_of(prf_id);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, md.data(), 0),
                           OSSL_PARAM_construct_end()};
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    bytes out(64);
    std::size_t n = 0;
    if (!ctx || EVP_MAC_init(ctx, key.data(), key.size(), params) != 1 ||
        EVP_MAC_update(ctx, data.data(), data.size()) != 1 || EVP_MAC_final(ctx, out.data(), &n, out.size()) != 1) {
        n = 0;
    }
    EVP_MAC_CTX_free(ctx);
    out.resize(n);
    return out;
}

bytes cat(std::initializer_list<bytes> parts) {
    bytes b;
    for (const auto& p : parts) {
        b.insert(b.end(), p.begin(), p.end());
    }
    return b;
}

bytes be64_of(std::uint64_t v) {
    bytes b(8);
    for (int i = 0; i < 8; ++i) {
        b[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
    }
    return b;
}

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

TEST(ike_keys, prf_plus_is_hkdf_expand_as_openssl_computes_it) {
    auto key = str("a key of some length for prf+");
    auto seed = str("seed");
    for (auto id : {prf_id::hmac_sha2_256, prf_id::hmac_sha2_384, prf_id::hmac_sha2_512}) {
        for (std::size_t n : {std::size_t{1}, prf_size(id), 2 * prf_size(id) + 5, std::size_t{255} * prf_size(id)}) {
            auto want = openssl_hkdf(id, true, {}, key, seed, n);
            ASSERT_EQ(want.size(), n);
            EXPECT_EQ(hex_of(prf_plus(id, key, seed, n).raw()), hex_of(want)) << id << " " << n;
        }
    }
    // More than 255 rounds is undefined (RFC 7296 §2.13): refused.
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

// RFC 7296 §2.14: SKEYSEED = prf(Ni | Nr, g^ir);
// {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).
TEST(ike_keys, ike_sa_keys_match_an_independent_hkdf_derivation) {
    struct suite_case {
        ike_suite s;
        std::size_t d, a, e;  // SK_d/SK_p, SK_a, SK_e sizes
    };
    const std::uint64_t spi_i = 0x0123456789abcdefull, spi_r = 0xfedcba9876543210ull;
    bytes ni = hex("a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0");
    bytes nr = hex("0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978");
    bytes g = hex("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b");
    for (auto c : {suite_case{{encr_id::aes_gcm_16, 128, integ_id::none, prf_id::hmac_sha2_256, 19}, 32, 0, 20},
                   suite_case{{encr_id::aes_gcm_16, 256, integ_id::none, prf_id::hmac_sha2_512, 31}, 64, 0, 36},
                   suite_case{{encr_id::aes_cbc, 256, integ_id::hmac_sha2_384_192, prf_id::hmac_sha2_384, 20}, 48, 48,
                              32},
                   suite_case{{encr_id::aes_cbc, 128, integ_id::hmac_sha2_256_128, prf_id::hmac_sha2_256, 14}, 32, 32,
                              16}}) {
        ike_keys k;
        ASSERT_TRUE(derive_ike_keys(c.s, g, ni, nr, spi_i, spi_r, k));
        const std::size_t total = 3 * c.d + 2 * c.a + 2 * c.e;
        auto km = openssl_hkdf(c.s.prf, false, cat({ni, nr}), g, cat({ni, nr, be64_of(spi_i), be64_of(spi_r)}), total);
        ASSERT_EQ(km.size(), total);
        std::size_t at = 0;
        auto next = [&](std::size_t n) {
            bytes b(km.begin() + static_cast<std::ptrdiff_t>(at), km.begin() + static_cast<std::ptrdiff_t>(at + n));
            at += n;
            return hex_of(b);
        };
        EXPECT_EQ(hex_of(k.sk_d.raw()), next(c.d)) << c.s.prf;
        EXPECT_EQ(hex_of(k.sk_ai.raw()), next(c.a)) << c.s.prf;
        EXPECT_EQ(hex_of(k.sk_ar.raw()), next(c.a)) << c.s.prf;
        EXPECT_EQ(hex_of(k.sk_ei.raw()), next(c.e)) << c.s.prf;
        EXPECT_EQ(hex_of(k.sk_er.raw()), next(c.e)) << c.s.prf;
        EXPECT_EQ(hex_of(k.sk_pi.raw()), next(c.d)) << c.s.prf;
        EXPECT_EQ(hex_of(k.sk_pr.raw()), next(c.d)) << c.s.prf;
    }
    ike_keys k2;
    ike_suite bad{encr_id::aes_gcm_16, 192, integ_id::none, prf_id::hmac_sha2_256, 19};
    EXPECT_FALSE(derive_ike_keys(bad, g, ni, nr, 1, 2, k2));
}

// RFC 7296 §2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), with the old SA's PRF.
TEST(ike_keys, rekeyed_ike_sa_keys_match_an_independent_hkdf_derivation) {
    ike_suite s{encr_id::aes_gcm_16, 256, integ_id::none, prf_id::hmac_sha2_256, 19};
    bytes old_d = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
                      "202122232425262728292a2b2c2d2e2f");  // from a SHA-384 SA
    bytes g = bytes(32, 0x5c), ni = bytes(32, 0x11), nr = bytes(40, 0x22);
    ike_keys k;
    ASSERT_TRUE(derive_rekeyed_ike_keys(s, prf_id::hmac_sha2_384, old_d, g, ni, nr, 7, 9, k));
    bytes skeyseed = openssl_hmac(prf_id::hmac_sha2_384, old_d, cat({g, ni, nr}));
    ASSERT_EQ(skeyseed.size(), 48u);
    auto km = openssl_hkdf(s.prf, true, {}, skeyseed, cat({ni, nr, be64_of(7), be64_of(9)}), 32 + 2 * 36);
    EXPECT_EQ(hex_of(k.sk_d.raw()), hex_of(bytes(km.begin(), km.begin() + 32)));
    EXPECT_EQ(hex_of(k.sk_er.raw()), hex_of(bytes(km.begin() + 32 + 36, km.end())));
}

// RFC 7296 §2.17: KEYMAT = prf+(SK_d, Ni | Nr), or prf+(SK_d, g^ir (new) | Ni | Nr) with PFS.
TEST(ike_keys, child_keymat_matches_an_independent_hkdf_derivation) {
    bytes sk_d = bytes(32, 0x3d), ni = bytes(32, 0x01), nr = bytes(32, 0x02), g = bytes(32, 0x77);
    auto plain = child_keymat(prf_id::hmac_sha2_256, sk_d, {}, ni, nr, 72);
    EXPECT_EQ(hex_of(plain.raw()), hex_of(openssl_hkdf(prf_id::hmac_sha2_256, true, {}, sk_d, cat({ni, nr}), 72)));
    auto pfs = child_keymat(prf_id::hmac_sha2_512, bytes(64, 0x3d), g, ni, nr, 160);
    EXPECT_EQ(hex_of(pfs.raw()),
              hex_of(openssl_hkdf(prf_id::hmac_sha2_512, true, {}, bytes(64, 0x3d), cat({g, ni, nr}), 160)));
}

// RFC 7296 §2.15: AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <octets>).
TEST(ike_keys, psk_auth_matches_openssl_hmac) {
    auto psk = str("secret");
    auto octets = str("octets");
    for (auto id : {prf_id::hmac_sha2_256, prf_id::hmac_sha2_384, prf_id::hmac_sha2_512}) {
        auto want = openssl_hmac(id, openssl_hmac(id, psk, str("Key Pad for IKEv2")), octets);
        EXPECT_EQ(hex_of(psk_auth(id, psk, octets)), hex_of(want)) << id;
    }
}

TEST(ike_keys, constant_time_compare) {
    EXPECT_TRUE(equal_ct(hex("0102"), hex("0102")));
    EXPECT_FALSE(equal_ct(hex("0102"), hex("0103")));
    EXPECT_FALSE(equal_ct(hex("0102"), hex("01")));
}

}  // namespace
}  // namespace zplex::ike
