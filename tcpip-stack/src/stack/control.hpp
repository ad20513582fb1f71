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

enum class type : std::uint8_t { state = 1, take = 2, give = 3 };

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

/// Who a stack is and every DVIPA it has a role for. Sent at join (asking for
/// the others' state) and after every change.
struct state_message {
    std::string sysname;
    std::string tcpname;
    std::string sysclone;
    std::uint32_t xcf_address = 0;
    bool reply_wanted = false;
    std::vector<claim> claims;
    friend bool operator==(const state_message&, const state_message&) = default;
};

/// take: "give me this DVIPA" (moveable says when). give: "it is yours now".
struct address_message {
    std::uint32_t address = 0;
    std::uint8_t moveable = 0;
    friend bool operator==(const address_message&, const address_message&) = default;
};

inline constexpr std::size_t max_claims = 1024;
inline constexpr std::size_t max_kept = 8192;

std::vector<std::uint8_t> encode(const state_message& m);
std::vector<std::uint8_t> encode(type t, const address_message& m);

/// The message type, or nullopt if the header is not valid.
std::optional<type> peek_type(std::span<const std::uint8_t> in) noexcept;
/// Strict decoders: every length checked, names printable, values in range.
bool decode(std::span<const std::uint8_t> in, state_message& out);
bool decode(std::span<const std::uint8_t> in, address_message& out);

}  // namespace zplex::tcpip::stack::control
