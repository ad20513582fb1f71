// SPDX-License-Identifier: Apache-2.0
// AUTH by signature (RFC 7296 §2.15, §3.8): RSA PKCS#1 v1.5 with SHA-1 (method 1) and
// ECDSA with r || s (RFC 4754, methods 9-11); X.509 certificates and their checks.
#include <zplex/ike/keys.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <ctime>

namespace zplex::ike {

namespace {

struct x509_deleter {
    void operator()(X509* p) const noexcept { X509_free(p); }
};
struct pkey_deleter {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct store_deleter {
    void operator()(X509_STORE* p) const noexcept { X509_STORE_free(p); }
};
using x509_ptr = std::unique_ptr<X509, x509_deleter>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;

/// The hash and r/s size of an auth method; false for non-signature methods.
bool method_params(auth_method m, const EVP_MD*& md, std::size_t& half) noexcept {
    switch (m) {
    case auth_method::rsa_sig: md = EVP_sha1(); half = 0; return true;
    case auth_method::ecdsa_sha256_p256: md = EVP_sha256(); half = 32; return true;
    case auth_method::ecdsa_sha384_p384: md = EVP_sha384(); half = 48; return true;
    case auth_method::ecdsa_sha512_p521: md = EVP_sha512(); half = 66; return true;
    default: return false;
    }
}

/// The method that fits @p key: rsa_sig, or ECDSA by curve size; psk if none fits.
auth_method method_of(EVP_PKEY* key) noexcept {
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
        return auth_method::rsa_sig;
    }
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
        switch (EVP_PKEY_get_bits(key)) {
        case 256: return auth_method::ecdsa_sha256_p256;
        case 384: return auth_method::ecdsa_sha384_p384;
        case 521: return auth_method::ecdsa_sha512_p521;
        default: break;
        }
    }
    return auth_method::psk;
}

X509* read_cert(const std::string& path) {
    BIO* b = BIO_new_file(path.c_str(), "r");
    X509* c = b ? PEM_read_bio_X509(b, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(b);
    return c;
}

class file_credential final : public credential {
public:
    file_credential(x509_ptr c, pkey_ptr k) : _cert(std::move(c)), _key(std::move(k)) {
        unsigned char* der = nullptr;
        int n = i2d_X509(_cert.get(), &der);
        if (n > 0) {
            _der.assign(der, der + n);
        }
        OPENSSL_free(der);
    }
    const bytes& certificate_der() const noexcept override { return _der; }
    bytes subject_der() const override {
        unsigned char* der = nullptr;
        int n = i2d_X509_NAME(X509_get_subject_name(_cert.get()), &der);
        bytes r;
        if (n > 0) {
            r.assign(der, der + n);
        }
        OPENSSL_free(der);
        return r;
    }
    auth_method method() const noexcept override { return method_of(_key.get()); }

    bool sign(std::span<const std::uint8_t> octets, bytes& signature) const override {
        const EVP_MD* md = nullptr;
        std::size_t half = 0;
        if (!method_params(method(), md, half)) {
            return false;
        }
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        std::size_t len = 0;
        bytes sig;
        bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, md, nullptr, _key.get()) == 1 &&
                  EVP_DigestSign(ctx, nullptr, &len, octets.data(), octets.size()) == 1;
        if (ok) {
            sig.resize(len);
            ok = EVP_DigestSign(ctx, sig.data(), &len, octets.data(), octets.size()) == 1;
            sig.resize(len);
        }
        EVP_MD_CTX_free(ctx);
        if (!ok) {
            return false;
        }
        if (!half) {
            signature = std::move(sig);
            return true;
        }
        // RFC 4754 §7: the signature is r || s, each padded to the group size.
        const unsigned char* p = sig.data();
        ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
        if (!es) {
            return false;
        }
        signature.assign(2 * half, 0);
        ok = BN_bn2binpad(ECDSA_SIG_get0_r(es), signature.data(), static_cast<int>(half)) > 0 &&
             BN_bn2binpad(ECDSA_SIG_get0_s(es), signature.data() + half, static_cast<int>(half)) > 0;
        ECDSA_SIG_free(es);
        return ok;
    }

private:
    x509_ptr _cert;
    pkey_ptr _key;
    bytes _der;
};

class store_verifier final : public cert_verifier {
public:
    explicit store_verifier(X509_STORE* s) : _store(s) {}

    bool verify(std::span<const std::uint8_t> cert_der, const id_payload& id, auth_method method,
                std::span<const std::uint8_t> octets, std::span<const std::uint8_t> signature,
                std::string& error) const override {
        const unsigned char* p = cert_der.data();
        x509_ptr cert(d2i_X509(nullptr, &p, static_cast<long>(cert_der.size())));
        if (!cert || p != cert_der.data() + cert_der.size()) {
            error = "certificate does not parse";
            return false;
        }
        X509_STORE_CTX* ctx = X509_STORE_CTX_new();
        bool chain_ok = ctx && X509_STORE_CTX_init(ctx, _store.get(), cert.get(), nullptr) == 1 &&
                        X509_verify_cert(ctx) == 1;
        if (!chain_ok) {
            error = std::string("certificate not trusted: ") +
                    (ctx ? X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)) : "no memory");
        }
        X509_STORE_CTX_free(ctx);
        if (!chain_ok) {
            return false;
        }
        if (!identity_matches(cert.get(), id)) {
            error = "identity not in the certificate";
            return false;
        }
        EVP_PKEY* key = X509_get0_pubkey(cert.get());
        if (!key || method_of(key) != method) {
            error = "auth method does not fit the certificate's key";
            return false;
        }
        const EVP_MD* md = nullptr;
        std::size_t half = 0;
        if (!method_params(method, md, half)) {
            error = "not a signature method";
            return false;
        }
        bytes sig(signature.begin(), signature.end());
        if (half) {
            if (signature.size() != 2 * half) {
                error = "ECDSA signature length";
                return false;
            }
            ECDSA_SIG* es = ECDSA_SIG_new();
            BIGNUM* r = BN_bin2bn(signature.data(), static_cast<int>(half), nullptr);
            BIGNUM* s = BN_bin2bn(signature.data() + half, static_cast<int>(half), nullptr);
            unsigned char* der = nullptr;
            int n = -1;
            if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
                n = i2d_ECDSA_SIG(es, &der);
            } else {
                BN_free(r);
                BN_free(s);
            }
            ECDSA_SIG_free(es);
            if (n <= 0) {
                error = "ECDSA signature encoding";
                return false;
            }
            sig.assign(der, der + n);
            OPENSSL_free(der);
        }
        EVP_MD_CTX* mctx = EVP_MD_CTX_new();
        bool ok = mctx && EVP_DigestVerifyInit(mctx, nullptr, md, nullptr, key) == 1 &&
                  EVP_DigestVerify(mctx, sig.data(), sig.size(), octets.data(), octets.size()) == 1;
        EVP_MD_CTX_free(mctx);
        if (!ok) {
            error = "signature does not verify";
        }
        return ok;
    }

private:
    static bool identity_matches(X509* cert, const id_payload& id) {
        switch (id.type) {
        case id_type::der_asn1_dn: {
            unsigned char* der = nullptr;
            int n = i2d_X509_NAME(X509_get_subject_name(cert), &der);
            bool eq = n > 0 && static_cast<std::size_t>(n) == id.data.size() &&
                      std::equal(id.data.begin(), id.data.end(), der);
            OPENSSL_free(der);
            return eq;
        }
        case id_type::fqdn:
            return X509_check_host(cert, reinterpret_cast<const char*>(id.data.data()), id.data.size(), 0,
                                   nullptr) == 1;
        case id_type::ipv4_addr:
            return id.data.size() == 4 && X509_check_ip(cert, id.data.data(), 4, 0) == 1;
        case id_type::rfc822_addr:
            return X509_check_email(cert, reinterpret_cast<const char*>(id.data.data()), id.data.size(), 0) == 1;
        default:
            return false;
        }
    }
    std::unique_ptr<X509_STORE, store_deleter> _store;
};

}  // namespace

std::unique_ptr<credential> credential::load(const std::string& cert_pem, const std::string& key_pem,
                                             std::string& error) {
    x509_ptr cert(read_cert(cert_pem));
    if (!cert) {
        error = "cannot read certificate " + cert_pem;
        return nullptr;
    }
    BIO* b = BIO_new_file(key_pem.c_str(), "r");
    pkey_ptr key(b ? PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr) : nullptr);
    BIO_free(b);
    if (!key) {
        error = "cannot read private key " + key_pem;
        return nullptr;
    }
    if (X509_check_private_key(cert.get(), key.get()) != 1) {
        error = "private key does not match the certificate";
        return nullptr;
    }
    if (method_of(key.get()) == auth_method::psk) {
        error = "key type not supported for IKE signatures";
        return nullptr;
    }
    return std::make_unique<file_credential>(std::move(cert), std::move(key));
}

std::unique_ptr<cert_verifier> cert_verifier::load(const std::string& ca_pem, std::string& error) {
    X509_STORE* s = X509_STORE_new();
    if (!s || X509_STORE_load_file(s, ca_pem.c_str()) != 1) {
        X509_STORE_free(s);
        error = "cannot load trust anchors from " + ca_pem;
        return nullptr;
    }
    return std::make_unique<store_verifier>(s);
}

}  // namespace zplex::ike
