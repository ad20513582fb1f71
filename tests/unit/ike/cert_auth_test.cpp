// SPDX-License-Identifier: Apache-2.0
// IKE_AUTH with X.509 certificates (CERT type 4): RSA (auth method 1) and ECDSA
// P-256 / P-384 (methods 9, 10), identities by FQDN subjectAltName and by DN; a
// certificate from another CA is AUTHENTICATION_FAILED. The test makes its own PKI.
#include <zplex/ike/peer.hpp>

#include "ike_harness.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace zplex::ike {
namespace {

using test::count;
using test::harness;

EVP_PKEY* make_key(const std::string& kind) {
    return kind == "rsa" ? EVP_RSA_gen(2048) : EVP_EC_gen(kind == "p384" ? "P-384" : "P-256");
}

X509* make_cert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key, const std::string& san,
                bool ca) {
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), ca ? 1 : 2);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_NAME* n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("zplex"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
    X509_set_pubkey(x, key);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, nullptr, nullptr, 0);
    auto ext = [&](int nid, const std::string& v) {
        X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, nid, v.c_str());
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    };
    ext(NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
    if (!san.empty()) {
        ext(NID_subject_alt_name, san);
    }
    X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256());
    return x;
}

struct pki {
    std::filesystem::path dir;
    explicit pki(const std::string& name) : dir(std::filesystem::temp_directory_path() / ("zplex-ike-" + name)) {
        std::filesystem::create_directories(dir);
    }
    ~pki() { std::filesystem::remove_all(dir); }
    std::string write_cert(const std::string& f, X509* x) {
        auto p = (dir / f).string();
        FILE* fp = std::fopen(p.c_str(), "w");
        PEM_write_X509(fp, x);
        std::fclose(fp);
        return p;
    }
    std::string write_key(const std::string& f, EVP_PKEY* k) {
        auto p = (dir / f).string();
        FILE* fp = std::fopen(p.c_str(), "w");
        PEM_write_PrivateKey(fp, k, nullptr, nullptr, 0, nullptr, nullptr);
        std::fclose(fp);
        return p;
    }
};

/// A and B with certificates from one CA (or B's from @p rogue, another CA).
test::pair_cfg cert_config(pki& p, const std::string& kind_a, const std::string& kind_b, bool rogue = false) {
    EVP_PKEY* ca_key = make_key("p256");
    X509* ca = make_cert(ca_key, "zplex test CA", nullptr, nullptr, "", true);
    EVP_PKEY* other_key = make_key("p256");
    X509* other = make_cert(other_key, "some other CA", nullptr, nullptr, "", true);
    EVP_PKEY* ka = make_key(kind_a);
    EVP_PKEY* kb = make_key(kind_b);
    X509* ca_cert = make_cert(ka, "a.zplex.test", ca, ca_key, "DNS:a.zplex.test", false);
    X509* cb_cert = make_cert(kb, "b", rogue ? other : ca, rogue ? other_key : ca_key, "", false);
    auto cfg = test::pair_config();
    auto& a = cfg.a.connections[0];
    auto& b = cfg.b.connections[0];
    a.auth = b.auth = auth_kind::cert;
    a.ca_file = b.ca_file = p.write_cert("ca.pem", ca);
    a.cert_file = p.write_cert("a.pem", ca_cert);
    a.key_file = p.write_key("a.key", ka);
    b.cert_file = p.write_cert("b.pem", cb_cert);
    b.key_file = p.write_key("b.key", kb);
    // A is known by its FQDN (in the subjectAltName), B by its subject DN.
    b.local_id = identity{};
    a.remote_id = identity{};
    for (auto* k : {ca_key, other_key, ka, kb}) {
        EVP_PKEY_free(k);
    }
    for (auto* x : {ca, other, ca_cert, cb_cert}) {
        X509_free(x);
    }
    return cfg;
}

TEST(ike_cert_auth, rsa_and_ecdsa_certificates_authenticate) {
    for (auto [ka, kb] : {std::pair<std::string, std::string>{"rsa", "rsa"}, {"p256", "p384"}, {"rsa", "p256"}}) {
        pki p("ok");
        harness h(cert_config(p, ka, kb));
        h.run(h.a.initiate("a-to-b", h.now));
        ASSERT_EQ(count(h.ev_a, event_type::ike_up), 1) << ka << "/" << kb << " "
                                                       << harness::last(h.ev_b, event_type::failed).reason;
        ASSERT_EQ(count(h.ev_b, event_type::child_up), 1);
        EXPECT_TRUE(test::esp_round_trip(harness::last(h.ev_a, event_type::child_up).child,
                                         harness::last(h.ev_b, event_type::child_up).child));
    }
}

TEST(ike_cert_auth, a_certificate_from_another_ca_is_authentication_failed) {
    pki p("rogue");
    harness h(cert_config(p, "p256", "p256", true));
    h.run(h.a.initiate("a-to-b", h.now));
    EXPECT_EQ(count(h.ev_a, event_type::ike_up), 0);
    EXPECT_EQ(harness::last(h.ev_a, event_type::failed).notify, notify_type::authentication_failed);
    EXPECT_NE(harness::last(h.ev_a, event_type::failed).reason.find("not trusted"), std::string::npos);
}

TEST(ike_cert_auth, missing_files_are_a_configuration_error) {
    auto cfg = test::pair_config();
    cfg.a.connections[0].auth = auth_kind::cert;
    cfg.a.connections[0].cert_file = "/nonexistent.pem";
    EXPECT_THROW(peer{cfg.a}, std::runtime_error);
}

}  // namespace
}  // namespace zplex::ike
