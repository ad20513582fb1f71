// SPDX-License-Identifier: Apache-2.0
// IKEv2 cryptography on OpenSSL 3 EVP: PRFs and prf+ (RFC 7296 §2.13), the SK payload
// ciphers (AES-CBC + HMAC-SHA2, RFC 4868; AES-GCM-16, RFC 5282), Diffie-Hellman
// groups 14, 19, 20, 31 (RFC 3526, RFC 5903, RFC 8031), key derivation for the IKE
// SA (§2.14) and CHILD SAs (§2.17), and AUTH by PSK or signature (§2.15, RFC 4754).
#pragma once

#include <zplex/ike/message.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace zplex::ike {

/// Key bytes that wipe themselves (OPENSSL_cleanse) when they go.
class secret {
public:
    secret() = default;
    explicit secret(bytes b) : _b(std::move(b)) {}
    secret(const std::uint8_t* p, std::size_t n) : _b(p, p + n) {}
    /// A pre-shared key written as text (tests, configs built in code). The caller
    /// wipes its own copy if it has one.
    secret(const char* text) : _b(text, text + std::char_traits<char>::length(text)) {}
    secret(const secret& o) : _b(o._b) {}
    secret(secret&& o) noexcept : _b(std::move(o._b)) {}
    secret& operator=(const secret& o);
    secret& operator=(secret&& o) noexcept;
    ~secret();
    std::span<const std::uint8_t> view() const noexcept { return _b; }
    const std::uint8_t* data() const noexcept { return _b.data(); }
    std::size_t size() const noexcept { return _b.size(); }
    bool empty() const noexcept { return _b.empty(); }
    bytes& raw() noexcept { return _b; }
    const bytes& raw() const noexcept { return _b; }

private:
    void wipe() noexcept;
    bytes _b;
};

/// Constant-time equality (CRYPTO_memcmp); false when the sizes differ.
bool equal_ct(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;
/// @p n random bytes (RAND_bytes).
bytes random_bytes(std::size_t n);

// ---- PRF -------------------------------------------------------------------------

/// Output (and preferred key) size of PRF @p id; 0 if unsupported.
std::size_t prf_size(std::uint16_t id) noexcept;
/// prf(key, data) with HMAC-SHA2; empty if @p id is unsupported.
bytes prf(std::uint16_t id, std::span<const std::uint8_t> key, std::span<const std::uint8_t> data);
/// prf+ (RFC 7296 §2.13): T1 | T2 | ... truncated to @p length (at most 255 rounds).
secret prf_plus(std::uint16_t id, std::span<const std::uint8_t> key, std::span<const std::uint8_t> seed,
                std::size_t length);

// ---- SK ciphers ------------------------------------------------------------------

/// Sizes a negotiated encryption/integrity pair needs.
struct cipher_sizes {
    std::size_t encr_key = 0;    ///< incl. the 4-byte salt for GCM
    std::size_t integ_key = 0;   ///< 0 for AEAD
    std::size_t iv = 0;
    std::size_t icv = 0;
    std::size_t block = 1;
};
/// False if the combination is not one this core implements.
bool cipher_sizes_of(std::uint16_t encr, std::uint16_t key_bits, std::uint16_t integ, cipher_sizes& out) noexcept;
/// Integrity key and truncated output size of @p integ; false if unsupported.
bool integ_sizes(std::uint16_t integ, std::size_t& key, std::size_t& out) noexcept;

/// The protection of one direction of an IKE SA: encrypts and authenticates the SK
/// payload. The message is aad || iv || ciphertext || icv, where aad is everything
/// from the IKE header to the SK generic header (RFC 7296 §3.14, RFC 5282 §5.1).
class sk_cipher {
public:
    /// Nullptr if the algorithms or key sizes do not fit.
    static std::unique_ptr<sk_cipher> create(std::uint16_t encr, std::uint16_t key_bits, std::uint16_t integ,
                                             const secret& encr_key, const secret& integ_key);
    virtual ~sk_cipher() = default;
    virtual std::size_t iv_size() const noexcept = 0;
    virtual std::size_t icv_size() const noexcept = 0;
    virtual std::size_t block_size() const noexcept = 0;
    /// Fill @p iv, encrypt @p data in place (already padded), write @p icv.
    virtual bool seal(std::span<const std::uint8_t> aad, std::span<std::uint8_t> iv, std::span<std::uint8_t> data,
                      std::span<std::uint8_t> icv) const = 0;
    /// Check @p icv over aad || iv || data, then decrypt @p data in place.
    /// Returns false with @p integrity_failed set when the ICV did not verify.
    virtual bool open(std::span<const std::uint8_t> aad, std::span<const std::uint8_t> iv,
                      std::span<std::uint8_t> data, std::span<const std::uint8_t> icv,
                      bool& integrity_failed) const = 0;
};

// ---- Diffie-Hellman --------------------------------------------------------------

/// Size of the KE data for @p group (256, 64, 96, 32); 0 if unsupported.
std::size_t dh_public_size(std::uint16_t group) noexcept;

/// One ephemeral key pair of a group; the private key lives in OpenSSL (freed with it).
class dh_key {
public:
    /// A fresh key pair; nullptr if @p group is unsupported.
    static std::unique_ptr<dh_key> generate(std::uint16_t group);
    /// A key pair from a known private value (known-answer tests). X25519: 32-byte
    /// scalar; ECP: the big-endian scalar. MODP: not offered (nullptr).
    static std::unique_ptr<dh_key> from_private(std::uint16_t group, std::span<const std::uint8_t> priv);
    virtual ~dh_key() = default;
    virtual std::uint16_t group() const noexcept = 0;
    /// The KE payload data (MODP: g^x padded to the prime; ECP: x || y; X25519: u).
    virtual const bytes& public_value() const noexcept = 0;
    /// g^ir from the peer's KE data; false if the value is malformed or invalid
    /// (off the curve, out of range: RFC 7296 §5.12 / RFC 6989 checks via OpenSSL).
    virtual bool shared_secret(std::span<const std::uint8_t> peer, secret& out) const = 0;
};

// ---- Key derivation --------------------------------------------------------------

/// The algorithms of a negotiated IKE SA.
struct ike_suite {
    std::uint16_t encr = encr_id::aes_gcm_16;
    std::uint16_t encr_key_bits = 256;
    std::uint16_t integ = integ_id::none;
    std::uint16_t prf = prf_id::hmac_sha2_256;
    std::uint16_t dh = dh_group::ecp_256;
};

/// SK_d, SK_ai/ar, SK_ei/er, SK_pi/pr (RFC 7296 §2.14).
struct ike_keys {
    secret sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr;
};

/// SKEYSEED = prf(Ni | Nr, g^ir); keys = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).
/// False if the suite is unsupported.
bool derive_ike_keys(const ike_suite& s, std::span<const std::uint8_t> shared, std::span<const std::uint8_t> ni,
                     std::span<const std::uint8_t> nr, std::uint64_t spi_i, std::uint64_t spi_r, ike_keys& out);
/// IKE SA rekey (§2.18): SKEYSEED = prf(SK_d(old), g^ir(new) | Ni | Nr) with the old
/// SA's PRF @p old_prf, then the new suite's prf+ over the new SPIs.
bool derive_rekeyed_ike_keys(const ike_suite& s, std::uint16_t old_prf, std::span<const std::uint8_t> old_sk_d,
                             std::span<const std::uint8_t> shared, std::span<const std::uint8_t> ni,
                             std::span<const std::uint8_t> nr, std::uint64_t spi_i, std::uint64_t spi_r,
                             ike_keys& out);
/// KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) (§2.17), @p length bytes.
secret child_keymat(std::uint16_t prf_id, std::span<const std::uint8_t> sk_d, std::span<const std::uint8_t> shared,
                    std::span<const std::uint8_t> ni, std::span<const std::uint8_t> nr, std::size_t length);

// ---- Authentication --------------------------------------------------------------

/// The octets AUTH covers (§2.15): the peer's first message | the other nonce | prf(SK_p, ID').
bytes auth_octets(std::uint16_t prf_id, std::span<const std::uint8_t> first_message,
                  std::span<const std::uint8_t> nonce, std::span<const std::uint8_t> sk_p, const id_payload& id);
/// prf(prf(PSK, "Key Pad for IKEv2"), octets).
bytes psk_auth(std::uint16_t prf_id, std::span<const std::uint8_t> psk, std::span<const std::uint8_t> octets);

/// A private key and its certificate, loaded from PEM files.
class credential {
public:
    /// Nullptr (and @p error set) if a file does not load or the key does not match.
    static std::unique_ptr<credential> load(const std::string& cert_pem, const std::string& key_pem,
                                            std::string& error);
    virtual ~credential() = default;
    /// The certificate, DER (the CERT payload data).
    virtual const bytes& certificate_der() const noexcept = 0;
    /// The subject DN, DER (an ID_DER_ASN1_DN identity).
    virtual bytes subject_der() const = 0;
    /// rsa_sig for RSA keys, ecdsa_* by curve.
    virtual auth_method method() const noexcept = 0;
    /// Sign @p octets: RSA PKCS#1 v1.5 with SHA-1 (method 1), ECDSA r || s (RFC 4754).
    virtual bool sign(std::span<const std::uint8_t> octets, bytes& signature) const = 0;
};

/// Trust anchors and the check of a peer's certificate.
class cert_verifier {
public:
    /// Nullptr (and @p error set) if the CA file does not load.
    static std::unique_ptr<cert_verifier> load(const std::string& ca_pem, std::string& error);
    virtual ~cert_verifier() = default;
    /// Verify @p cert_der chains to a trust anchor (at the wall clock), that it carries
    /// identity @p id (DN equal to the subject, or an FQDN / IPv4 / email subjectAltName), and that @p signature over @p octets verifies
    /// with its key for @p method. @p error says which check failed.
    virtual bool verify(std::span<const std::uint8_t> cert_der, const id_payload& id, auth_method method,
                        std::span<const std::uint8_t> octets, std::span<const std::uint8_t> signature,
                        std::string& error) const = 0;
};

}  // namespace zplex::ike
