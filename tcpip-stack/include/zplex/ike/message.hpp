// SPDX-License-Identifier: Apache-2.0
// IKEv2 messages (RFC 7296 §3): the header, the payload chain and every payload the
// core speaks, encoded and strictly decoded. Decoding never throws: untrusted bytes
// give a decode_result with a reason.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace zplex::ike {

using bytes = std::vector<std::uint8_t>;

/// RFC 7296 §3.1 exchange types.
enum class exchange_type : std::uint8_t {
    ike_sa_init = 34,
    ike_auth = 35,
    create_child_sa = 36,
    informational = 37,
};

/// RFC 7296 §3.2 payload types (the "next payload" values).
enum class payload_type : std::uint8_t {
    none = 0,
    sa = 33,
    ke = 34,
    idi = 35,
    idr = 36,
    cert = 37,
    certreq = 38,
    auth = 39,
    nonce = 40,
    notify = 41,
    del = 42,
    vendor = 43,
    tsi = 44,
    tsr = 45,
    sk = 46,
    cp = 47,
    eap = 48,
};

/// RFC 7296 §3.1 header flags.
namespace header_flags {
inline constexpr std::uint8_t initiator = 0x08;
inline constexpr std::uint8_t version = 0x10;
inline constexpr std::uint8_t response = 0x20;
}  // namespace header_flags

enum class protocol_id : std::uint8_t { none = 0, ike = 1, ah = 2, esp = 3 };

/// RFC 7296 §3.3.2 transform types and the ids this core implements.
enum class transform_type : std::uint8_t { encr = 1, prf = 2, integ = 3, dh = 4, esn = 5 };

namespace encr_id {
inline constexpr std::uint16_t null_ = 11;
inline constexpr std::uint16_t aes_cbc = 12;
inline constexpr std::uint16_t aes_gcm_16 = 20;
}  // namespace encr_id
namespace prf_id {
inline constexpr std::uint16_t hmac_sha2_256 = 5;
inline constexpr std::uint16_t hmac_sha2_384 = 6;
inline constexpr std::uint16_t hmac_sha2_512 = 7;
}  // namespace prf_id
namespace integ_id {
inline constexpr std::uint16_t none = 0;
inline constexpr std::uint16_t hmac_sha2_256_128 = 12;
inline constexpr std::uint16_t hmac_sha2_384_192 = 13;
inline constexpr std::uint16_t hmac_sha2_512_256 = 14;
}  // namespace integ_id
namespace dh_group {
inline constexpr std::uint16_t none = 0;
inline constexpr std::uint16_t modp_2048 = 14;
inline constexpr std::uint16_t ecp_256 = 19;
inline constexpr std::uint16_t ecp_384 = 20;
inline constexpr std::uint16_t curve25519 = 31;
}  // namespace dh_group

/// RFC 7296 §3.10.1 notify message types (errors < 16384, status >= 16384).
namespace notify_type {
inline constexpr std::uint16_t unsupported_critical_payload = 1;
inline constexpr std::uint16_t invalid_ike_spi = 4;
inline constexpr std::uint16_t invalid_major_version = 5;
inline constexpr std::uint16_t invalid_syntax = 7;
inline constexpr std::uint16_t invalid_message_id = 9;
inline constexpr std::uint16_t invalid_spi = 11;
inline constexpr std::uint16_t no_proposal_chosen = 14;
inline constexpr std::uint16_t invalid_ke_payload = 17;
inline constexpr std::uint16_t authentication_failed = 24;
inline constexpr std::uint16_t single_pair_required = 34;
inline constexpr std::uint16_t no_additional_sas = 35;
inline constexpr std::uint16_t internal_address_failure = 36;
inline constexpr std::uint16_t failed_cp_required = 37;
inline constexpr std::uint16_t ts_unacceptable = 38;
inline constexpr std::uint16_t invalid_selectors = 39;
inline constexpr std::uint16_t temporary_failure = 43;
inline constexpr std::uint16_t child_sa_not_found = 44;
inline constexpr std::uint16_t initial_contact = 16384;
inline constexpr std::uint16_t set_window_size = 16385;
inline constexpr std::uint16_t additional_ts_possible = 16386;
inline constexpr std::uint16_t ipcomp_supported = 16387;
inline constexpr std::uint16_t nat_detection_source_ip = 16388;
inline constexpr std::uint16_t nat_detection_destination_ip = 16389;
inline constexpr std::uint16_t cookie = 16390;
inline constexpr std::uint16_t use_transport_mode = 16391;
inline constexpr std::uint16_t http_cert_lookup_supported = 16392;
inline constexpr std::uint16_t rekey_sa = 16393;
inline constexpr std::uint16_t esp_tfc_padding_not_supported = 16394;
inline constexpr std::uint16_t non_first_fragments_also = 16395;
inline constexpr std::uint16_t mobike_supported = 16396;
inline constexpr std::uint16_t signature_hash_algorithms = 16431;
}  // namespace notify_type

/// RFC 7296 §3.5 identification types.
enum class id_type : std::uint8_t { ipv4_addr = 1, fqdn = 2, rfc822_addr = 3, ipv6_addr = 5, der_asn1_dn = 9, key_id = 11 };

/// RFC 7296 §3.8 authentication methods (+ RFC 4754 ECDSA).
enum class auth_method : std::uint8_t {
    rsa_sig = 1,
    psk = 2,
    ecdsa_sha256_p256 = 9,
    ecdsa_sha384_p384 = 10,
    ecdsa_sha512_p521 = 11,
};

/// RFC 7296 §3.6: X.509 certificate - signature.
inline constexpr std::uint8_t cert_x509_signature = 4;
/// RFC 7296 §3.13.1: TS_IPV4_ADDR_RANGE.
inline constexpr std::uint8_t ts_ipv4_addr_range = 7;

struct transform {
    transform_type type = transform_type::encr;
    std::uint16_t id = 0;
    std::optional<std::uint16_t> key_length;  ///< attribute 14 (TV), bits
    bool operator==(const transform&) const = default;
};

struct proposal {
    std::uint8_t number = 1;
    protocol_id protocol = protocol_id::ike;
    bytes spi;                                ///< 0 (IKE_SA_INIT), 4 (ESP/AH) or 8 (IKE rekey)
    std::vector<transform> transforms;
    bool operator==(const proposal&) const = default;
};

struct sa_payload {
    std::vector<proposal> proposals;
};
struct ke_payload {
    std::uint16_t group = 0;
    bytes data;
};
struct id_payload {
    id_type type = id_type::ipv4_addr;
    bytes data;
    /// The body as AUTH signs it (RFC 7296 §2.15: IDi' without the generic header).
    bytes body() const;
    bool operator==(const id_payload&) const = default;
};
struct cert_payload {
    std::uint8_t encoding = cert_x509_signature;
    bytes data;
};
struct auth_payload {
    auth_method method = auth_method::psk;
    bytes data;
};
struct nonce_payload {
    bytes data;
};
struct notify_payload {
    protocol_id protocol = protocol_id::none;
    bytes spi;
    std::uint16_t type = 0;
    bytes data;
};
struct delete_payload {
    protocol_id protocol = protocol_id::esp;
    std::vector<bytes> spis;                  ///< empty for the IKE SA
};
struct vendor_payload {
    bytes data;
};
/// One IPv4 range selector; addresses host order.
struct traffic_selector {
    std::uint8_t ip_protocol = 0;             ///< 0: any
    std::uint16_t start_port = 0;
    std::uint16_t end_port = 65535;
    std::uint32_t start_addr = 0;
    std::uint32_t end_addr = 0xffffffff;
    bool operator==(const traffic_selector&) const = default;
};
struct ts_payload {
    std::vector<traffic_selector> selectors;
};
/// A payload this core does not interpret (CP, EAP, IPv6 selectors..., or unknown non-critical).
struct raw_payload {
    bytes data;
};

using payload_body = std::variant<sa_payload, ke_payload, id_payload, cert_payload, auth_payload, nonce_payload,
                                  notify_payload, delete_payload, vendor_payload, ts_payload, raw_payload>;

struct payload {
    payload_type type = payload_type::none;
    bool critical = false;
    payload_body body;
};

/// The IKE header and the payloads, plaintext. When the message came protected,
/// `payloads` holds the inner payloads after sk_open().
struct message {
    std::uint64_t spi_i = 0;
    std::uint64_t spi_r = 0;
    exchange_type exchange = exchange_type::ike_sa_init;
    std::uint8_t flags = 0;                   ///< header_flags bits
    std::uint32_t message_id = 0;
    std::vector<payload> payloads;

    bool is_response() const noexcept { return flags & header_flags::response; }
    bool from_initiator() const noexcept { return flags & header_flags::initiator; }

    /// First payload of @p T (and of @p type when several types share T), or null.
    template <typename T>
    const T* find(payload_type type) const noexcept {
        for (const auto& p : payloads) {
            if (p.type == type) {
                return std::get_if<T>(&p.body);
            }
        }
        return nullptr;
    }
    /// First notify of @p type, or null.
    const notify_payload* notify(std::uint16_t type) const noexcept;
    /// First error notify (type < 16384), or null.
    const notify_payload* error_notify() const noexcept;

    template <typename T>
    void add(payload_type type, T body) {
        payloads.push_back(payload{type, false, payload_body{std::move(body)}});
    }
    void add_notify(std::uint16_t type, bytes data = {}, protocol_id protocol = protocol_id::none, bytes spi = {});
};

/// Why decoding failed (the notify a responder would answer with in brackets).
enum class decode_error : std::uint8_t {
    none,
    truncated,            ///< fewer bytes than a header or a length says [INVALID_SYNTAX]
    bad_length,           ///< a length field below its minimum or past the message [INVALID_SYNTAX]
    bad_version,          ///< major version not 2 [INVALID_MAJOR_VERSION]
    critical_unknown,     ///< an unknown payload with the critical bit [UNSUPPORTED_CRITICAL_PAYLOAD]
    bad_payload,          ///< a payload body that does not parse [INVALID_SYNTAX]
    sk_not_last,          ///< SK must be the last payload
    integrity,            ///< the SK ICV did not verify
    decrypt,              ///< SK decryption or padding failed
    no_sk,                ///< a protected exchange without SK
};
const char* decode_error_text(decode_error e) noexcept;

class sk_cipher;

/// A received datagram: header, plaintext payloads, and (while protected) the SK body.
struct decoded {
    message msg;
    decode_error error = decode_error::none;
    std::string detail;                       ///< which payload, which length
    bool protected_ = false;                  ///< carried an SK payload
    std::size_t sk_offset = 0;                ///< where the SK payload's generic header starts
    payload_type sk_first = payload_type::none;
    bool ok() const noexcept { return error == decode_error::none; }
};

/// Parse the header and the outer payload chain. SK stays encrypted (see sk_open).
decoded decode(std::span<const std::uint8_t> datagram);
/// Verify and decrypt the SK payload of @p d (decoded from @p datagram) with @p in,
/// appending the inner payloads to d.msg.payloads. Sets d.error on failure.
bool sk_open(decoded& d, std::span<const std::uint8_t> datagram, const sk_cipher& in);

/// Encode @p m. With @p out, every payload goes inside SK (RFC 7296 §3.14);
/// without, in the clear (IKE_SA_INIT). Empty on failure (cipher error, or a TS payload
/// without selectors, which RFC 7296 3.13 does not allow).
bytes encode(const message& m, const sk_cipher* out = nullptr);

/// Peek the IKE SPIs and flags of a datagram (no allocation); false if shorter than a header.
bool peek_header(std::span<const std::uint8_t> datagram, std::uint64_t& spi_i, std::uint64_t& spi_r,
                 std::uint8_t& exchange, std::uint8_t& flags, std::uint32_t& message_id) noexcept;

}  // namespace zplex::ike
