// SPDX-License-Identifier: Apache-2.0
// The z/OS UNIX `ipsec` command's reports: `ipsec -k display` (IKE tunnels) and
// `ipsec -y display` (dynamic tunnels; `-s` for a target's SWSA shadows), short or
// `-r detail`, under the documented heading block. IKE and the stack fill the records;
// this file only lays them out.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zplex::ipsec {

/// The heading every `ipsec` report starts with.
struct report_heading {
    std::string stack_name = "TCPIP";
    std::string primary = "Dynamic tunnel";   ///< "IKE tunnel", "Dynamic tunnel", "Filter" ...
    std::string function = "Display";         ///< "Display (shadows)" for -y display -s
    bool detail = false;
    std::string source = "Stack";             ///< "Stack" or "IKED"
    std::string scope = "Current";
    bool logging = true;
    bool predecap = false;
    bool dvipsec = false;
    unsigned nat_keepalive = 20;
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

/// One IKE (phase 1) tunnel as `ipsec -k display` shows it.
struct ike_tunnel_record {
    std::string tunnel_id;                     ///< K1, K2 ...
    unsigned generation = 1;
    std::string key_exchange_rule;
    std::string key_exchange_action;
    std::string local_endpoint, local_id_type = "ID_IPV4_ADDR", local_id;
    std::string remote_endpoint, remote_id_type = "ID_IPV4_ADDR", remote_id;
    std::string state = "DONE";                ///< INIT, WAIT_FOR_AUTH, DONE, EXPIRED ...
    std::string auth_algorithm;                ///< Hmac_Sha2_256_128, or None with AES_GCM
    std::string encryption_algorithm;          ///< AES_CBC, AES_GCM_16
    unsigned key_length = 128;
    std::string prf;                           ///< Hmac_Sha2_256 ...
    unsigned dh_group = 14;
    std::string local_auth = "PresharedKey", remote_auth = "PresharedKey";
    std::uint64_t initiator_spi = 0, responder_spi = 0;
    std::uint64_t lifesize_kb = 0;
    std::uint64_t byte_count = 0;
    std::chrono::minutes lifetime{480};
    std::chrono::system_clock::time_point refresh{}, expires{};
    bool initiator = true;
    unsigned dynamic_tunnels = 0;
    bool nat_traversal = false;                ///< NATTSupportLevel RFC (UDP 4500) or None
    bool can_initiate = true;
};

/// One dynamic (phase 2) tunnel as `ipsec -y display` shows it.
struct dynamic_tunnel_record {
    std::string tunnel_id;                     ///< Y1, Y2 ...
    unsigned generation = 1;
    std::string parent_ike_tunnel;             ///< K1, or empty for a shadow
    std::string vpn_action;
    std::string state = "Active";
    std::string how_to_encap = "Transport";
    std::string local_endpoint, remote_endpoint;
    std::string local_address_base, remote_address_base;
    std::uint8_t protocol = 0;                 ///< 0: all
    std::uint16_t local_port = 0, remote_port = 0;
    std::string how_to_auth = "ESP";           ///< ESP or AH
    std::string auth_algorithm;                ///< Hmac_Sha2_256_128, or None with AES_GCM
    std::string encrypt_algorithm;             ///< AES_CBC, AES_GCM_16, DoNot (AH: n/a)
    unsigned key_length = 128;
    std::uint32_t inbound_spi = 0, outbound_spi = 0;
    std::uint64_t outbound_packets = 0, outbound_bytes = 0;
    std::uint64_t inbound_packets = 0, inbound_bytes = 0;
    std::uint64_t lifesize_kb = 0, lifesize_refresh_kb = 0;
    std::chrono::system_clock::time_point refresh{}, expires{}, vpn_life_expires{};
    bool udp_encap = false, local_nated = false, remote_nated = false;
    // SWSA (zplex additions, not IBM names): a distributed DVIPA's SA and its shadows.
    bool distributed = false;
    std::string shadow_of;                     ///< the owning stack, on a target
    std::string seq_source;                    ///< "CF" (EZBDVIPA LISTKEYINC) or "Local"
    std::uint64_t seq_requests = 0;            ///< CF requests for sequence numbers (LISTKEYINC + READ_LCONTROLS)
    std::uint64_t seq_used = 0;                ///< numbers this stack sent under the SA
    // The owner's master SA: its use across the sysplex, what its IKE rekeys on.
    std::uint64_t sysplex_bytes = 0;           ///< own bytes (in + out) and the targets' reported ones
    std::uint64_t target_bytes = 0, target_reports = 0;
};

/// `ipsec -k display [-r detail]`.
std::string format_ike_tunnels(const report_heading& h, const std::vector<ike_tunnel_record>& tunnels);
/// `ipsec -y display [-r detail] [-s]`.
std::string format_dynamic_tunnels(const report_heading& h, const std::vector<dynamic_tunnel_record>& tunnels);

/// `2024/03/12 14:21:07` (UTC), or `n/a` for an unset time.
std::string display_time(std::chrono::system_clock::time_point t);

}  // namespace zplex::ipsec
