// SPDX-License-Identifier: Apache-2.0
// IKE configuration as plain structs. The z/OS Policy Agent parser (and tests) fill
// these; nothing here reads files except the paths the peer opens at construction.
#pragma once

#include <zplex/ike/keys.hpp>
#include <zplex/ike/message.hpp>
#include <zplex/ipsec/esp.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace zplex::ike {

/// An IKE SA proposal: every listed algorithm is offered (strongSwan style: one
/// proposal, several transforms of each type). AES-GCM entries need no integrity;
/// if both GCM and CBC are wanted, use two proposals.
struct ike_proposal {
    std::vector<std::pair<std::uint16_t, std::uint16_t>> encr{{encr_id::aes_gcm_16, 256}};  ///< (id, key bits)
    std::vector<std::uint16_t> integ;                                                      ///< empty for AEAD
    std::vector<std::uint16_t> prf{prf_id::hmac_sha2_256};
    std::vector<std::uint16_t> dh{dh_group::ecp_256};  ///< the first is the KE sent first
};

/// An ESP proposal for CHILD SAs. Only what zplex::ipsec implements can be used:
/// AES-GCM-16 128/256, or AES-CBC 128/256 with HMAC-SHA2-256-128, -384-192 or -512-256.
struct esp_proposal {
    std::vector<std::pair<std::uint16_t, std::uint16_t>> encr{{encr_id::aes_gcm_16, 256}};
    std::vector<std::uint16_t> integ;
    std::vector<std::uint16_t> dh;  ///< PFS groups for CREATE_CHILD_SA; empty: no PFS
    bool esn = false;               ///< offer extended sequence numbers (else "no ESN" only)
};

/// An IKE identity (RFC 7296 §3.5).
struct identity {
    id_type type = id_type::ipv4_addr;
    bytes data;  ///< IPv4: 4 bytes network order; FQDN / KEY_ID / RFC822: the text; DN: DER
    static identity ipv4(std::uint32_t addr_host_order);
    static identity fqdn(const std::string& name);
    static identity key_id(const std::string& id);
    bool operator==(const identity&) const = default;
};

enum class auth_kind : std::uint8_t { psk, cert };

/// A CHILD SA policy: what to protect and how.
struct child_config {
    std::string name;
    std::vector<traffic_selector> local_ts;   ///< initiator: TSi offered; responder: allowed for the peer's TSr
    std::vector<traffic_selector> remote_ts;
    ipsec::sa_mode mode = ipsec::sa_mode::tunnel;
    std::vector<esp_proposal> proposals{esp_proposal{}};
    std::uint32_t replay_window = 64;
};

/// One IKE peer (z/OS: a KeyExchangeRule with its KeyExchangeAction and
/// RemoteSecurityEndpoint).
struct connection_config {
    std::string name;
    std::uint32_t local_addr = 0;     ///< host order
    std::uint32_t remote_addr = 0;    ///< host order; 0 on a responder: any peer
    /// The peers this connection is for: remote_addr/remote_prefix. Below 32 (a range)
    /// the connection only responds: there is no one address to initiate to.
    std::uint8_t remote_prefix = 32;
    std::uint16_t local_port = 500;
    std::uint16_t remote_port = 500;
    identity local_id;
    identity remote_id;               ///< empty data: accept any identity that authenticates
    /// With an empty remote_id: accept only an ID_IPV4_ADDR inside the remote range (a
    /// peer identified by its address, the z/OS default), not any identity.
    bool remote_id_in_range = false;
    auth_kind auth = auth_kind::psk;
    secret psk;                       ///< for auth_kind::psk (both directions); wiped when it goes
    std::string cert_file;            ///< PEM, for auth_kind::cert
    std::string key_file;             ///< PEM private key (RSA or ECDSA P-256/384/521)
    std::string ca_file;              ///< PEM trust anchors for the peer's certificate
    std::vector<ike_proposal> proposals{ike_proposal{}};
    std::vector<child_config> children;  ///< the first is negotiated in IKE_AUTH
    bool nat_traversal = true;        ///< send NAT_DETECTION_* and float to 4500
    std::chrono::seconds dpd_interval{0};  ///< 0: no liveness checks
};

/// Everything one IKE daemon instance (one stack's IKED) needs.
struct peer_config {
    std::vector<connection_config> connections;
    /// Half-open IKE SAs at which the responder starts asking for cookies (RFC 7296 §2.6).
    unsigned cookie_threshold = 32;
    /// Retransmission: first timeout, doubled each try, given up after this many sends.
    std::chrono::milliseconds retransmit_timeout{4000};
    unsigned retransmit_tries = 5;
    /// A half-open responder SA is forgotten after this long.
    std::chrono::seconds half_open_timeout{30};
    std::uint16_t natt_port = 4500;
};

}  // namespace zplex::ike
