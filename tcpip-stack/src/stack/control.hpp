// SPDX-License-Identifier: Apache-2.0
// Dynamic VIPA control messages between stacks over the TCP/IP sysplex group.
// Binary, versioned, strictly decoded: a message that does not decode is dropped.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace zplex::tcpip::stack::control {

enum class type : std::uint8_t { state = 1, take = 2, give = 3, distribute = 4, target_report = 5, connections = 6 };

/// A TCP connection kept on a stack whose DVIPA is MOVING or QUIESCING.
struct kept_connection {
    std::uint32_t remote_ip = 0;
    std::uint16_t remote_port = 0;
    std::uint16_t local_port = 0;
    friend bool operator==(const kept_connection&, const kept_connection&) = default;
};

/// One stack's role for one DVIPA.
struct claim {
    std::uint32_t address = 0;
    std::uint8_t prefix_len = 32;
    std::uint8_t origin = 0;      ///< dvipa_origin
    std::uint8_t rank = 0;        ///< 255 for VIPADEFINE
    std::uint8_t status = 0;      ///< dvipa_status
    std::uint8_t moveable = 0;    ///< profile::moveable_mode
    std::vector<kept_connection> kept;  ///< MOVING/QUIESCING only
    friend bool operator==(const claim&, const claim&) = default;
};

/// A stack's part in the Sysplex Distributor for one DVIPA (D TCPIP,,SYSPLEX,VIPADYN DIST).
struct dist_role {
    std::uint32_t address = 0;
    std::uint8_t role = 0;        ///< 1 distributor, 2 target, 3 both
    friend bool operator==(const dist_role&, const dist_role&) = default;
};

/// Who a stack is and every DVIPA it has a role for. Sent at join (asking for
/// the others' state) and after every change.
struct state_message {
    std::string sysname;
    std::string tcpname;
    std::string sysclone;
    std::uint32_t xcf_address = 0;
    bool reply_wanted = false;
    std::vector<dist_role> roles;       ///< distributed DVIPAs this stack distributes or serves
    std::vector<claim> claims;
    friend bool operator==(const state_message&, const state_message&) = default;
};

/// take: "give me this DVIPA" (moveable says when). give: "it is yours now".
struct address_message {
    std::uint32_t address = 0;
    std::uint8_t moveable = 0;
    friend bool operator==(const address_message&, const address_message&) = default;
};

/// Distributor to target: "you are a target of this DVIPA on these ports, and I am its
/// distributor". want_connections asks for every connection the target serves for it
/// (a takeover rebuilds its connection routing table from the answers); stop ends it.
struct distribute_message {
    struct ports {
        std::uint16_t low = 0, high = 0;  ///< 0..0: every port
        friend bool operator==(const ports&, const ports&) = default;
    };
    std::uint32_t address = 0;
    bool want_connections = false;
    bool stop = false;
    bool sysplex_ports = false;           ///< VIPADISTRIBUTE SYSPLEXPORTS: ephemeral ports from EZBEPORT
    std::vector<ports> port_ranges;
    std::uint8_t optlocal = no_optlocal;  ///< OPTLOCAL value 0..16, or no_optlocal (NOOPTLOCAL)
    static constexpr std::uint8_t no_optlocal = 0xFF;
    friend bool operator==(const distribute_message&, const distribute_message&) = default;
};

/// Target to distributor: per distributed port, the ready listeners and the weights the
/// target's load model gives (0-64, as WLM).
struct target_report_message {
    struct port_row {
        std::uint16_t port = 0;       ///< 0: the DVIPA is distributed on every port
        std::uint16_t ready = 0;      ///< listeners not quiesced
        std::uint8_t system_weight = 0;  ///< BASEWLM
        std::uint8_t server_weight = 0;  ///< SERVERWLM
        std::uint32_t active = 0;     ///< connections the target serves on this port
        friend bool operator==(const port_row&, const port_row&) = default;
    };
    std::uint32_t address = 0;
    std::vector<port_row> ports;
    friend bool operator==(const target_report_message&, const target_report_message&) = default;
};

/// Target to distributor: connections it serves for a DVIPA (the answer to
/// want_connections), or connections that ended.
struct connections_message {
    struct connection {
        std::uint16_t local_port = 0;
        std::uint32_t remote_ip = 0;
        std::uint16_t remote_port = 0;
        friend bool operator==(const connection&, const connection&) = default;
    };
    std::uint32_t address = 0;
    bool ended = false;               ///< false: these exist (a full list when `full`)
    bool full = false;                ///< the complete list in answer to want_connections
    std::vector<connection> conns;
    friend bool operator==(const connections_message&, const connections_message&) = default;
};

inline constexpr std::size_t max_claims = 1024;
inline constexpr std::size_t max_roles = 1024;
inline constexpr std::size_t max_port_ranges = 64;
inline constexpr std::size_t max_report_ports = 1024;
inline constexpr std::size_t max_connections = 8192;  ///< per message; longer lists are split
inline constexpr std::size_t max_kept = 8192;

std::vector<std::uint8_t> encode(const state_message& m);
std::vector<std::uint8_t> encode(type t, const address_message& m);
std::vector<std::uint8_t> encode(const distribute_message& m);
std::vector<std::uint8_t> encode(const target_report_message& m);
std::vector<std::uint8_t> encode(const connections_message& m);

/// The message type, or nullopt if the header is not valid.
std::optional<type> peek_type(std::span<const std::uint8_t> in) noexcept;
/// Strict decoders: every length checked, names printable, values in range.
bool decode(std::span<const std::uint8_t> in, state_message& out);
bool decode(std::span<const std::uint8_t> in, address_message& out);
bool decode(std::span<const std::uint8_t> in, distribute_message& out);
bool decode(std::span<const std::uint8_t> in, target_report_message& out);
bool decode(std::span<const std::uint8_t> in, connections_message& out);

}  // namespace zplex::tcpip::stack::control
