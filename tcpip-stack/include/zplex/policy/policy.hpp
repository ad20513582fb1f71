// SPDX-License-Identifier: Apache-2.0
// IPSec policy in the shape of z/OS Policy Agent (Pagent) configuration files:
// IpFilterPolicy / IpFilterRule, IpGenericFilterAction, IpDynVpnAction with its
// IpDataOffers, KeyExchangePolicy / KeyExchangeRule, KeyExchangeAction with its
// KeyExchangeOffers, LocalSecurityEndpoint and RemoteSecurityEndpoint. The subset
// zplex's IKE and filter rules need (docs/policy.md); everything else is refused by
// name, with file, line and column.
#pragma once

#include <zplex/ipsec/esp.hpp>
#include <zplex/ipsec/spd.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zplex::policy {

struct source_ref {
    std::string file;
    int line = 0;    ///< 1-based
    int column = 0;  ///< 1-based
};

enum class severity : std::uint8_t { info, warning, error };

/// One message, z/OS style: `ZPX0802E UNKNOWN ATTRIBUTE ... AT LINE n COLUMN c OF file`.
struct message {
    std::string id;
    severity level = severity::info;
    std::string text;
    std::string str() const { return id + " " + text; }
};

/// An IPv4 address with a prefix length (32: one host, 0: any).
struct address {
    std::uint32_t addr = 0;  ///< host order
    std::uint8_t prefix = 0;
};

enum class encap_mode : std::uint8_t { transport, tunnel };
enum class auth_protocol : std::uint8_t { esp, ah };

/// One IpDataOffer: what a CHILD SA may use, in the order offered.
struct data_offer {
    encap_mode encap = encap_mode::transport;
    auth_protocol protocol = auth_protocol::esp;
    /// The data plane's algorithm (ESP); for AH the HMAC key length tells the digest.
    ipsec::algorithm alg = ipsec::algorithm::aes_gcm_128;
    unsigned ah_hmac_bits = 256;  ///< AH only: 256, 384 or 512
    source_ref where;
};

/// IpDynVpnAction: how traffic of a filter rule is protected.
struct dyn_vpn_action {
    std::string name;
    std::vector<data_offer> offers;
    bool initiate_on_demand = true;     ///< InitiateWhen OnDemand (else AtStart... not emulated)
    unsigned pfs_group = 0;             ///< Pfs: 0 none, 14, 19, 20, 31
    std::uint64_t lifesize_kb = 0;      ///< Lifesize in KB, 0: none
    std::chrono::minutes lifetime{240}; ///< Lifetime
    source_ref where;
};

enum class ike_encryption : std::uint8_t { aes_cbc, aes_gcm_16 };
enum class ike_integrity : std::uint8_t { none, hmac_sha2_256_128, hmac_sha2_384_192, hmac_sha2_512_256 };
enum class ike_prf : std::uint8_t { hmac_sha2_256, hmac_sha2_384, hmac_sha2_512 };

/// KeyExchangeOffer: one IKE SA proposal.
struct ike_offer {
    ike_encryption encryption = ike_encryption::aes_cbc;
    unsigned key_length = 128;
    ike_integrity integrity = ike_integrity::hmac_sha2_256_128;
    ike_prf prf = ike_prf::hmac_sha2_256;
    unsigned dh_group = 14;
    std::chrono::minutes lifetime{480};
    source_ref where;
};

enum class auth_method : std::uint8_t { preshared_key, rsa_signature, ecdsa_signature };

struct key_exchange_action {
    std::string name;
    unsigned ike_version = 2;
    auth_method how_to_auth_peers = auth_method::preshared_key;
    std::vector<ike_offer> offers;
    source_ref where;
};

enum class id_type : std::uint8_t { ipv4_addr, fqdn, user_fqdn, key_id };

struct identity {
    id_type type = id_type::ipv4_addr;
    std::string value;  ///< dotted address, name, or key id text
};

struct security_endpoint {
    std::string name;
    bool local = true;
    std::optional<identity> id;
    std::optional<address> location;  ///< where the endpoint is (a host, or a range for remote)
    std::string certificate;           ///< local: PEM file of the certificate (signature auth)
    std::string private_key;           ///< local: PEM file of its key
    std::string ca_certificate;        ///< remote: PEM file to verify its certificate
    source_ref where;
};

/// KeyExchangeRule: who negotiates with whom, how, with which secret.
struct key_exchange_rule {
    std::string name;
    std::string local_endpoint;
    std::string remote_endpoint;
    std::string action;
    std::vector<std::uint8_t> shared_key;  ///< SharedKey Ascii|Hex; wiped when the policy goes
    source_ref where;
};

enum class filter_action : std::uint8_t { permit, deny, ipsec };

struct generic_filter_action {
    std::string name;
    filter_action action = filter_action::permit;
    bool logging = false;
    source_ref where;
};

/// IpFilterRule: a filter rule in policy order.
struct filter_rule {
    std::string name;
    address src;
    address dst;
    std::optional<std::uint8_t> protocol;  ///< nullopt: all
    std::uint16_t src_port_lo = 0, src_port_hi = 65535;
    std::uint16_t dst_port_lo = 0, dst_port_hi = 65535;
    ipsec::spd_direction direction = ipsec::spd_direction::both;
    std::string generic_action;   ///< IpGenericFilterActionRef
    std::string dyn_vpn_action;   ///< IpDynVpnActionRef (empty: none)
    source_ref where;
};

/// A whole, resolved policy: every reference names an object that is there.
struct ipsec_policy {
    std::vector<filter_rule> filter_rules;  ///< in order
    std::map<std::string, generic_filter_action> generic_actions;
    std::map<std::string, dyn_vpn_action> dyn_vpn_actions;
    std::map<std::string, key_exchange_action> key_exchange_actions;
    std::map<std::string, security_endpoint> local_endpoints;
    std::map<std::string, security_endpoint> remote_endpoints;
    std::vector<key_exchange_rule> key_exchange_rules;

    ipsec_policy() = default;
    ipsec_policy(const ipsec_policy&) = default;
    ipsec_policy(ipsec_policy&&) noexcept = default;
    ipsec_policy& operator=(const ipsec_policy&) = default;
    ipsec_policy& operator=(ipsec_policy&&) noexcept = default;
    ~ipsec_policy();  ///< wipes the shared keys

    /// The filter rule's action as the SPD takes it (an ipsec rule names its
    /// IpDynVpnAction as the SA), in policy order; rules not installable are not there.
    std::vector<ipsec::spd_rule> spd_rules() const;
    /// The KeyExchangeRule whose remote endpoint covers @p peer (host order), if any.
    const key_exchange_rule* rule_for_peer(std::uint32_t peer) const;
};

struct parse_result {
    ipsec_policy policy;
    std::vector<message> messages;
    /// 0 clean, 4 warnings, 8 errors (some objects were not installed).
    int return_code() const;
};

/// Parse a policy file's text; @p name is how messages name it. Never throws for bad
/// input: a bad object is reported and left out, the others are kept.
parse_result parse(std::string_view text, std::string_view name);
/// The largest policy file read (real Policy Agent files are a few hundred KB at most).
inline constexpr std::size_t max_policy_file_bytes = 4u << 20;
/// Read and parse a file. ZPX0800E (nothing parsed) if it cannot be read, is not a
/// regular file (a directory, a device such as /dev/zero, a FIFO), is a symlink owned
/// by another user, or is larger than max_policy_file_bytes.
parse_result parse_file(const std::string& path);

/// Display names: "AES_CBC", "HMAC_SHA2_256_128", "PresharedKey", "ID_IPV4_ADDR" ...
const char* name_of(ike_encryption e) noexcept;
const char* name_of(ike_integrity i) noexcept;
const char* name_of(ike_prf p) noexcept;
const char* name_of(auth_method m) noexcept;
const char* name_of(id_type t) noexcept;

}  // namespace zplex::policy
