// SPDX-License-Identifier: Apache-2.0
// Diffie-Hellman for IKEv2 over EVP_PKEY: MODP 2048 (group 14, RFC 3526), ECP P-256
// and P-384 (groups 19, 20, RFC 5903: KE data x || y, shared secret x) and
// Curve25519 (group 31, RFC 8031).
#include <zplex/ike/keys.hpp>

#include "wire.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <algorithm>

namespace zplex::ike {

std::size_t dh_public_size(std::uint16_t group) noexcept {
    switch (group) {
    case dh_group::modp_2048: return 256;
    case dh_group::ecp_256: return 64;
    case dh_group::ecp_384: return 96;
    case dh_group::curve25519: return 32;
    default: return 0;
    }
}

namespace {

struct pkey_deleter {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;

const char* group_name(std::uint16_t g) noexcept {
    switch (g) {
    case dh_group::modp_2048: return "modp_2048";
    case dh_group::ecp_256: return "P-256";
    case dh_group::ecp_384: return "P-384";
    default: return nullptr;
    }
}
const char* key_type(std::uint16_t g) noexcept {
    return g == dh_group::modp_2048 ? "DH" : g == dh_group::curve25519 ? "X25519" : "EC";
}

/// Build a key of group @p g from parameters (public and/or private); nullptr on error.
pkey_ptr from_params(std::uint16_t g, const BIGNUM* priv, const bytes* ec_pub, const BIGNUM* dh_pub) {
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM* params = nullptr;
    EVP_PKEY_CTX* ctx = nullptr;
    EVP_PKEY* key = nullptr;
    bool ok = bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group_name(g), 0) == 1;
    if (ok && priv) {
        ok = OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) == 1;
    }
    if (ok && ec_pub) {
        ok = OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, ec_pub->data(), ec_pub->size()) == 1;
    }
    if (ok && dh_pub) {
        ok = OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, dh_pub) == 1;
    }
    ok = ok && (params = OSSL_PARAM_BLD_to_param(bld)) != nullptr;
    ok = ok && (ctx = EVP_PKEY_CTX_new_from_name(nullptr, key_type(g), nullptr)) != nullptr;
    ok = ok && EVP_PKEY_fromdata_init(ctx) == 1 &&
         EVP_PKEY_fromdata(ctx, &key, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) == 1;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return pkey_ptr(ok ? key : (EVP_PKEY_free(key), nullptr));
}

class evp_dh final : public dh_key {
public:
    evp_dh(std::uint16_t g, pkey_ptr k) : _group(g), _key(std::move(k)) {}

    bool init() {
        const std::size_t n = dh_public_size(_group);
        if (_group == dh_group::modp_2048) {
            BIGNUM* pub = nullptr;
            if (EVP_PKEY_get_bn_param(_key.get(), OSSL_PKEY_PARAM_PUB_KEY, &pub) != 1) {
                return false;
            }
            _pub.resize(n);
            bool ok = BN_bn2binpad(pub, _pub.data(), static_cast<int>(n)) == static_cast<int>(n);
            BN_free(pub);
            return ok;
        }
        unsigned char* enc = nullptr;
        std::size_t len = EVP_PKEY_get1_encoded_public_key(_key.get(), &enc);
        bool ok = false;
        if (_group == dh_group::curve25519 && len == n) {
            _pub.assign(enc, enc + len);
            ok = true;
        } else if (len == n + 1 && enc[0] == 0x04) {  // RFC 5903 §7: x || y without the SEC1 prefix
            _pub.assign(enc + 1, enc + len);
            ok = true;
        }
        OPENSSL_free(enc);
        return ok;
    }

    std::uint16_t group() const noexcept override { return _group; }
    const bytes& public_value() const noexcept override { return _pub; }

    bool shared_secret(std::span<const std::uint8_t> peer, secret& out) const override {
        if (peer.size() != dh_public_size(_group)) {
            return false;
        }
        pkey_ptr pk;
        if (_group == dh_group::curve25519) {
            pk.reset(EVP_PKEY_new_raw_public_key_ex(nullptr, "X25519", nullptr, peer.data(), peer.size()));
        } else if (_group == dh_group::modp_2048) {
            BIGNUM* y = BN_bin2bn(peer.data(), static_cast<int>(peer.size()), nullptr);
            if (y) {
                pk = from_params(_group, nullptr, nullptr, y);
            }
            BN_free(y);
        } else {
            bytes point{0x04};
            point.insert(point.end(), peer.begin(), peer.end());
            pk = from_params(_group, nullptr, &point, nullptr);
        }
        if (!pk) {
            return false;
        }
        EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, _key.get(), nullptr);
        std::size_t len = 0;
        bool ok = ctx && EVP_PKEY_derive_init(ctx) == 1;
        if (ok && _group == dh_group::modp_2048) {
            ok = EVP_PKEY_CTX_set_dh_pad(ctx, 1) == 1;  // g^ir padded to the prime's length
        }
        // validate = 1: the peer's value is checked (on the curve, 1 < y < p - 1).
        ok = ok && EVP_PKEY_derive_set_peer_ex(ctx, pk.get(), 1) == 1 && EVP_PKEY_derive(ctx, nullptr, &len) == 1;
        if (ok) {
            out.raw().assign(len, 0);
            ok = EVP_PKEY_derive(ctx, out.raw().data(), &len) == 1;
            out.raw().resize(len);
        }
        EVP_PKEY_CTX_free(ctx);
        if (ok && _group == dh_group::curve25519) {
            // RFC 8031 §2.3: an all-zero result means a low-order point; reject.
            ok = std::any_of(out.raw().begin(), out.raw().end(), [](std::uint8_t b) { return b != 0; });
        }
        if (ok && out.size() != (_group == dh_group::modp_2048 ? 256u : dh_public_size(_group) /
                                 (_group == dh_group::curve25519 ? 1u : 2u))) {
            ok = false;
        }
        if (!ok) {
            out = secret{};
        }
        return ok;
    }

private:
    std::uint16_t _group;
    pkey_ptr _key;
    bytes _pub;
};

std::unique_ptr<dh_key> wrap(std::uint16_t g, EVP_PKEY* k) {
    if (!k) {
        return nullptr;
    }
    auto d = std::make_unique<evp_dh>(g, pkey_ptr(k));
    if (!d->init()) {
        return nullptr;
    }
    return d;
}

}  // namespace

std::unique_ptr<dh_key> dh_key::generate(std::uint16_t group) {
    if (!dh_public_size(group)) {
        return nullptr;
    }
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, key_type(group), nullptr);
    EVP_PKEY* k = nullptr;
    bool ok = ctx && EVP_PKEY_keygen_init(ctx) == 1;
    if (ok && group != dh_group::curve25519) {
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group_name(group)), 0),
            OSSL_PARAM_construct_end()};
        ok = EVP_PKEY_CTX_set_params(ctx, params) == 1;
    }
    ok = ok && EVP_PKEY_generate(ctx, &k) == 1;
    EVP_PKEY_CTX_free(ctx);
    return wrap(group, ok ? k : (EVP_PKEY_free(k), nullptr));
}

std::unique_ptr<dh_key> dh_key::from_private(std::uint16_t group, std::span<const std::uint8_t> priv) {
    if (!dh_public_size(group)) {
        return nullptr;
    }
    if (group == dh_group::curve25519) {
        return wrap(group, EVP_PKEY_new_raw_private_key_ex(nullptr, "X25519", nullptr, priv.data(), priv.size()));
    }
    if (group == dh_group::modp_2048) {
        return nullptr;  // not needed: no published IKE answer to check against
    }
    // OpenSSL does not derive the public point on import: compute x*G here.
    BIGNUM* x = BN_bin2bn(priv.data(), static_cast<int>(priv.size()), nullptr);
    EC_GROUP* grp = EC_GROUP_new_by_curve_name(group == dh_group::ecp_256 ? NID_X9_62_prime256v1 : NID_secp384r1);
    EC_POINT* pt = grp ? EC_POINT_new(grp) : nullptr;
    bytes pub(dh_public_size(group) + 1);
    bool ok = x && pt && EC_POINT_mul(grp, pt, x, nullptr, nullptr, nullptr) == 1 &&
              EC_POINT_point2oct(grp, pt, POINT_CONVERSION_UNCOMPRESSED, pub.data(), pub.size(), nullptr) ==
                  pub.size();
    pkey_ptr k = ok ? from_params(group, x, &pub, nullptr) : nullptr;
    EC_POINT_free(pt);
    EC_GROUP_free(grp);
    BN_clear_free(x);
    return k ? wrap(group, k.release()) : nullptr;
}

}  // namespace zplex::ike
