// SPDX-License-Identifier: Apache-2.0
// IKEv2 cryptography over OpenSSL 3 EVP: PRFs, SK ciphers, key derivation.
#include <zplex/ike/keys.hpp>

#include "wire.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstring>

namespace zplex::ike {

secret& secret::operator=(const secret& o) {
    if (this != &o) {
        wipe();
        _b = o._b;
    }
    return *this;
}
secret& secret::operator=(secret&& o) noexcept {
    if (this != &o) {
        wipe();
        _b = std::move(o._b);
    }
    return *this;
}
secret::~secret() { wipe(); }
void secret::wipe() noexcept { detail::wipe(_b); }

bool equal_ct(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept {
    return a.size() == b.size() && (a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0);
}

bytes random_bytes(std::size_t n) {
    bytes b(n);
    if (n && RAND_bytes(b.data(), static_cast<int>(n)) != 1) {
        b.clear();
    }
    return b;
}

namespace {

const EVP_MD* prf_md(std::uint16_t id) noexcept {
    switch (id) {
    case prf_id::hmac_sha2_256: return EVP_sha256();
    case prf_id::hmac_sha2_384: return EVP_sha384();
    case prf_id::hmac_sha2_512: return EVP_sha512();
    default: return nullptr;
    }
}

const EVP_MD* integ_md(std::uint16_t id) noexcept {
    switch (id) {
    case integ_id::hmac_sha2_256_128: return EVP_sha256();
    case integ_id::hmac_sha2_384_192: return EVP_sha384();
    case integ_id::hmac_sha2_512_256: return EVP_sha512();
    default: return nullptr;
    }
}

bool hmac(const EVP_MD* md, std::span<const std::uint8_t> key, std::initializer_list<std::span<const std::uint8_t>> parts,
          std::uint8_t* out, unsigned& out_len) {
    static const std::uint8_t empty = 0;
    static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);  // fetched once, kept
    if (!mac) {
        return false;
    }
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
    bool ok = false;
    if (ctx) {
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string("digest", const_cast<char*>(EVP_MD_get0_name(md)), 0),
            OSSL_PARAM_construct_end()};
        ok = EVP_MAC_init(ctx, key.empty() ? &empty : key.data(), key.size(), params) == 1;
        for (auto p : parts) {
            ok = ok && (p.empty() || EVP_MAC_update(ctx, p.data(), p.size()) == 1);
        }
        std::size_t n = 0;
        ok = ok && EVP_MAC_final(ctx, out, &n, EVP_MAX_MD_SIZE) == 1;
        out_len = static_cast<unsigned>(n);
    }
    EVP_MAC_CTX_free(ctx);
    return ok;
}

}  // namespace

std::size_t prf_size(std::uint16_t id) noexcept {
    const EVP_MD* md = prf_md(id);
    return md ? static_cast<std::size_t>(EVP_MD_get_size(md)) : 0;
}

bytes prf(std::uint16_t id, std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) {
    const EVP_MD* md = prf_md(id);
    if (!md) {
        return {};
    }
    std::uint8_t out[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (!hmac(md, key, {data}, out, n)) {
        return {};
    }
    bytes r(out, out + n);
    OPENSSL_cleanse(out, sizeof out);
    return r;
}

secret prf_plus(std::uint16_t id, std::span<const std::uint8_t> key, std::span<const std::uint8_t> seed,
                std::size_t length) {
    const EVP_MD* md = prf_md(id);
    secret out;
    if (!md) {
        return out;
    }
    bytes& o = out.raw();
    o.reserve(length + EVP_MAX_MD_SIZE);
    std::uint8_t t[EVP_MAX_MD_SIZE];
    unsigned t_len = 0;
    for (unsigned counter = 1; o.size() < length; ++counter) {
        if (counter > 255) {  // RFC 7296 §2.13: prf+ is undefined past 255 rounds
            o.clear();
            return out;
        }
        const std::uint8_t c = static_cast<std::uint8_t>(counter);
        if (!hmac(md, key, {std::span<const std::uint8_t>(t, t_len), seed, std::span<const std::uint8_t>(&c, 1)}, t,
                  t_len)) {
            o.clear();
            return out;
        }
        o.insert(o.end(), t, t + t_len);
    }
    OPENSSL_cleanse(t, sizeof t);
    OPENSSL_cleanse(o.data() + length, o.size() - length);  // the tail we drop
    o.resize(length);
    return out;
}

bool integ_sizes(std::uint16_t integ, std::size_t& key, std::size_t& out) noexcept {
    switch (integ) {
    case integ_id::hmac_sha2_256_128: key = 32; out = 16; return true;
    case integ_id::hmac_sha2_384_192: key = 48; out = 24; return true;
    case integ_id::hmac_sha2_512_256: key = 64; out = 32; return true;
    default: return false;
    }
}

bool cipher_sizes_of(std::uint16_t encr, std::uint16_t key_bits, std::uint16_t integ, cipher_sizes& out) noexcept {
    if (key_bits != 128 && key_bits != 256) {
        return false;
    }
    if (encr == encr_id::aes_gcm_16) {
        if (integ != integ_id::none) {
            return false;  // RFC 5282 §8: no separate integrity with an AEAD
        }
        out = cipher_sizes{key_bits / 8u + 4u, 0, 8, 16, 1};
        return true;
    }
    if (encr == encr_id::aes_cbc) {
        std::size_t k = 0, o = 0;
        if (!integ_sizes(integ, k, o)) {
            return false;
        }
        out = cipher_sizes{key_bits / 8u, k, 16, o, 16};
        return true;
    }
    return false;
}

namespace {

/// AES-CBC (RFC 3602) with HMAC-SHA2 truncated (RFC 4868): encrypt, then MAC over
/// the whole message (RFC 7296 §3.14).
class cbc_hmac final : public sk_cipher {
public:
    cbc_hmac(const EVP_CIPHER* c, const EVP_MD* md, std::size_t icv, secret ek, secret ik)
        : _c(c), _md(md), _icv(icv), _ek(std::move(ek)), _ik(std::move(ik)) {}
    std::size_t iv_size() const noexcept override { return 16; }
    std::size_t icv_size() const noexcept override { return _icv; }
    std::size_t block_size() const noexcept override { return 16; }

    bool seal(std::span<const std::uint8_t> aad, std::span<std::uint8_t> iv, std::span<std::uint8_t> data,
              std::span<std::uint8_t> icv) const override {
        if (RAND_bytes(iv.data(), static_cast<int>(iv.size())) != 1 || !crypt(true, iv, data)) {
            return false;
        }
        std::uint8_t mac[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        if (!hmac(_md, _ik.view(), {aad, iv, data}, mac, n) || n < _icv) {
            return false;
        }
        std::memcpy(icv.data(), mac, _icv);
        return true;
    }

    bool open(std::span<const std::uint8_t> aad, std::span<const std::uint8_t> iv, std::span<std::uint8_t> data,
              std::span<const std::uint8_t> icv, bool& integrity_failed) const override {
        std::uint8_t mac[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        if (!hmac(_md, _ik.view(), {aad, iv, data}, mac, n) || n < _icv || icv.size() != _icv) {
            return false;
        }
        if (CRYPTO_memcmp(mac, icv.data(), _icv) != 0) {
            integrity_failed = true;
            return false;
        }
        return crypt(false, iv, data);
    }

private:
    bool crypt(bool enc, std::span<const std::uint8_t> iv, std::span<std::uint8_t> data) const {
        EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
        int out = 0, fin = 0;
        bool ok = ctx && EVP_CipherInit_ex(ctx, _c, nullptr, _ek.data(), iv.data(), enc ? 1 : 0) == 1 &&
                  EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
                  EVP_CipherUpdate(ctx, data.data(), &out, data.data(), static_cast<int>(data.size())) == 1 &&
                  EVP_CipherFinal_ex(ctx, data.data() + out, &fin) == 1;
        EVP_CIPHER_CTX_free(ctx);
        return ok;
    }
    const EVP_CIPHER* _c;
    const EVP_MD* _md;
    std::size_t _icv;
    secret _ek, _ik;
};

/// AES-GCM with a 16-byte ICV (RFC 5282): nonce = salt || IV, AAD = header to SK header.
class gcm16 final : public sk_cipher {
public:
    gcm16(const EVP_CIPHER* c, secret ek) : _c(c), _ek(std::move(ek)) {}
    std::size_t iv_size() const noexcept override { return 8; }
    std::size_t icv_size() const noexcept override { return 16; }
    std::size_t block_size() const noexcept override { return 1; }

    bool seal(std::span<const std::uint8_t> aad, std::span<std::uint8_t> iv, std::span<std::uint8_t> data,
              std::span<std::uint8_t> icv) const override {
        if (RAND_bytes(iv.data(), 8) != 1) {
            return false;
        }
        std::uint8_t nonce[12];
        make_nonce(iv, nonce);
        EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
        int out = 0;
        bool ok = ctx && EVP_EncryptInit_ex(ctx, _c, nullptr, nullptr, nullptr) == 1 &&
                  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) == 1 &&
                  EVP_EncryptInit_ex(ctx, nullptr, nullptr, _ek.data(), nonce) == 1 &&
                  EVP_EncryptUpdate(ctx, nullptr, &out, aad.data(), static_cast<int>(aad.size())) == 1 &&
                  EVP_EncryptUpdate(ctx, data.data(), &out, data.data(), static_cast<int>(data.size())) == 1 &&
                  EVP_EncryptFinal_ex(ctx, data.data() + out, &out) == 1 &&
                  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, icv.data()) == 1;
        EVP_CIPHER_CTX_free(ctx);
        return ok;
    }

    bool open(std::span<const std::uint8_t> aad, std::span<const std::uint8_t> iv, std::span<std::uint8_t> data,
              std::span<const std::uint8_t> icv, bool& integrity_failed) const override {
        if (iv.size() != 8 || icv.size() != 16) {
            return false;
        }
        std::uint8_t nonce[12];
        make_nonce(iv, nonce);
        EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
        int out = 0;
        bool ok = ctx && EVP_DecryptInit_ex(ctx, _c, nullptr, nullptr, nullptr) == 1 &&
                  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) == 1 &&
                  EVP_DecryptInit_ex(ctx, nullptr, nullptr, _ek.data(), nonce) == 1 &&
                  EVP_DecryptUpdate(ctx, nullptr, &out, aad.data(), static_cast<int>(aad.size())) == 1 &&
                  EVP_DecryptUpdate(ctx, data.data(), &out, data.data(), static_cast<int>(data.size())) == 1 &&
                  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, const_cast<std::uint8_t*>(icv.data())) == 1;
        if (ok && EVP_DecryptFinal_ex(ctx, data.data() + out, &out) != 1) {
            integrity_failed = true;
            ok = false;
        }
        EVP_CIPHER_CTX_free(ctx);
        if (!ok) {
            OPENSSL_cleanse(data.data(), data.size());
        }
        return ok;
    }

private:
    void make_nonce(std::span<const std::uint8_t> iv, std::uint8_t (&nonce)[12]) const noexcept {
        std::memcpy(nonce, _ek.data() + _ek.size() - 4, 4);
        std::memcpy(nonce + 4, iv.data(), 8);
    }
    const EVP_CIPHER* _c;
    secret _ek;  ///< AES key || 4-byte salt
};

}  // namespace

std::unique_ptr<sk_cipher> sk_cipher::create(std::uint16_t encr, std::uint16_t key_bits, std::uint16_t integ,
                                             const secret& encr_key, const secret& integ_key) {
    cipher_sizes s;
    if (!cipher_sizes_of(encr, key_bits, integ, s) || encr_key.size() != s.encr_key ||
        integ_key.size() != s.integ_key) {
        return nullptr;
    }
    if (encr == encr_id::aes_gcm_16) {
        return std::make_unique<gcm16>(key_bits == 128 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(), encr_key);
    }
    return std::make_unique<cbc_hmac>(key_bits == 128 ? EVP_aes_128_cbc() : EVP_aes_256_cbc(), integ_md(integ),
                                      s.icv, encr_key, integ_key);
}

// ---- key derivation ---------------------------------------------------------------

namespace {

bool split_ike_keys(const ike_suite& s, const bytes& skeyseed, std::span<const std::uint8_t> ni,
                    std::span<const std::uint8_t> nr, std::uint64_t spi_i, std::uint64_t spi_r, ike_keys& out) {
    cipher_sizes cs;
    const std::size_t p = prf_size(s.prf);
    if (!p || !cipher_sizes_of(s.encr, s.encr_key_bits, s.integ, cs)) {
        return false;
    }
    bytes seed(ni.begin(), ni.end());
    seed.insert(seed.end(), nr.begin(), nr.end());
    auto a = detail::be64(spi_i), b = detail::be64(spi_r);
    seed.insert(seed.end(), a.begin(), a.end());
    seed.insert(seed.end(), b.begin(), b.end());
    const std::size_t total = p + 2 * cs.integ_key + 2 * cs.encr_key + 2 * p;
    secret km = prf_plus(s.prf, skeyseed, seed, total);
    if (km.size() != total) {
        return false;
    }
    const std::uint8_t* k = km.data();
    auto take = [&](std::size_t n) {
        secret r(k, n);
        k += n;
        return r;
    };
    out.sk_d = take(p);
    out.sk_ai = take(cs.integ_key);
    out.sk_ar = take(cs.integ_key);
    out.sk_ei = take(cs.encr_key);
    out.sk_er = take(cs.encr_key);
    out.sk_pi = take(p);
    out.sk_pr = take(p);
    return true;
}

}  // namespace

bool derive_ike_keys(const ike_suite& s, std::span<const std::uint8_t> shared, std::span<const std::uint8_t> ni,
                     std::span<const std::uint8_t> nr, std::uint64_t spi_i, std::uint64_t spi_r, ike_keys& out) {
    // RFC 7296 §2.14: SKEYSEED = prf(Ni | Nr, g^ir). (RFC 7296 says the PRF's key is
    // Ni | Nr whole; HMAC takes any key length.)
    bytes key(ni.begin(), ni.end());
    key.insert(key.end(), nr.begin(), nr.end());
    bytes skeyseed = prf(s.prf, key, shared);
    bool ok = !skeyseed.empty() && split_ike_keys(s, skeyseed, ni, nr, spi_i, spi_r, out);
    detail::wipe(skeyseed);
    return ok;
}

bool derive_rekeyed_ike_keys(const ike_suite& s, std::uint16_t old_prf, std::span<const std::uint8_t> old_sk_d,
                             std::span<const std::uint8_t> shared, std::span<const std::uint8_t> ni,
                             std::span<const std::uint8_t> nr, std::uint64_t spi_i, std::uint64_t spi_r,
                             ike_keys& out) {
    bytes data(shared.begin(), shared.end());
    data.insert(data.end(), ni.begin(), ni.end());
    data.insert(data.end(), nr.begin(), nr.end());
    bytes skeyseed = prf(old_prf, old_sk_d, data);
    detail::wipe(data);
    bool ok = !skeyseed.empty() && split_ike_keys(s, skeyseed, ni, nr, spi_i, spi_r, out);
    detail::wipe(skeyseed);
    return ok;
}

secret child_keymat(std::uint16_t prf_id, std::span<const std::uint8_t> sk_d, std::span<const std::uint8_t> shared,
                    std::span<const std::uint8_t> ni, std::span<const std::uint8_t> nr, std::size_t length) {
    bytes seed(shared.begin(), shared.end());
    seed.insert(seed.end(), ni.begin(), ni.end());
    seed.insert(seed.end(), nr.begin(), nr.end());
    secret k = prf_plus(prf_id, sk_d, seed, length);
    detail::wipe(seed);
    return k;
}

bytes auth_octets(std::uint16_t prf_id, std::span<const std::uint8_t> first_message,
                  std::span<const std::uint8_t> nonce, std::span<const std::uint8_t> sk_p, const id_payload& id) {
    bytes o(first_message.begin(), first_message.end());
    o.insert(o.end(), nonce.begin(), nonce.end());
    bytes mac = prf(prf_id, sk_p, id.body());
    o.insert(o.end(), mac.begin(), mac.end());
    return o;
}

bytes psk_auth(std::uint16_t prf_id, std::span<const std::uint8_t> psk, std::span<const std::uint8_t> octets) {
    static const char pad[] = "Key Pad for IKEv2";  // RFC 7296 §2.15, 17 ASCII bytes, no NUL
    bytes k = prf(prf_id, psk, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(pad), 17));
    bytes a = prf(prf_id, k, octets);
    detail::wipe(k);
    return a;
}

}  // namespace zplex::ike
