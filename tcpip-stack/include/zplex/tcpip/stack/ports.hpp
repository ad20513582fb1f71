// SPDX-License-Identifier: Apache-2.0
// The stack core's only ways out: ports for packets and messages, a clock for time.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace zplex::tcpip::stack {

using bytes = std::span<const std::uint8_t>;

/// The OSA port on the LAN: whole Ethernet II frames (no FCS). A TAP on the LAN
/// bridge in namespaces, an in-memory switch in tests.
class lan_port {
public:
    virtual ~lan_port() = default;
    /// Called on the packet path: must not throw. The frame is only valid during the call.
    virtual void send_frame(bytes frame) noexcept = 0;
};

/// The application side: IPv4 packets to and from the image's kernel (a TUN).
class app_port {
public:
    virtual ~app_port() = default;
    virtual void send_packet(bytes packet) noexcept = 0;
};

/// How XCF is to protect a packet on a dynamic XCF link (docs/xcf.md, "Message
/// protection"). The sender of every packet says which; there is no default.
enum class link_protection : std::uint8_t {
    sealed,          ///< encrypted and authenticated: anything made or routed by a stack or its image
    integrity_only,  ///< authenticated, not encrypted: the Sysplex Distributor's IP-in-IP around
                     ///< a packet exactly as it came off the LAN (in the clear there, or ESP)
};

/// Dynamic XCF links: IPv4 packets to another stack of the sysplex, named by its
/// XCF member name.
class xcf_link_port {
public:
    virtual ~xcf_link_port() = default;
    virtual void send_packet(std::string_view member, bytes packet, link_protection how) noexcept = 0;
};

/// The TCP/IP sysplex group (EZBTCPCS): control messages between stacks. The
/// transport authenticates the sender; the core trusts the member name it is given.
class sysplex_port {
public:
    virtual ~sysplex_port() = default;
    /// IXCMSGO to one member, or to every other active member when @p member is empty.
    virtual void send(std::string_view member, bytes message) = 0;
    /// The other active members of the group now (IXCQUERY).
    virtual std::vector<std::string> members() const = 0;
    /// IXCLEAVE for V TCPIP,,SYSPLEX,LEAVEGROUP: the others see the member leave.
    /// False if this transport cannot leave (the command is then refused).
    virtual bool leave_group() { return false; }
    /// IXCJOIN again for JOINGROUP; true once the member is active in the group again.
    virtual bool join_group() { return false; }
};

/// TCP connection states as NETSTAT CONN shows them (RFC 793, in the image's kernel).
enum class tcp_state : std::uint8_t {
    established, syn_sent, syn_received, fin_wait1, fin_wait2, time_wait, closed, close_wait, last_ack, listen,
    closing
};

/// One TCP socket of the image's kernel (IPv4, host-order addresses).
struct tcp_socket {
    tcp_state state = tcp_state::closed;
    std::uint32_t local_ip = 0, remote_ip = 0;
    std::uint16_t local_port = 0, remote_port = 0;
    std::uint32_t id = 0;       ///< the connection identifier NETSTAT shows (Conn)
    std::string user;           ///< the owning program's job name (User Id), A-Z 0-9 @ # $, 8 at most
};

/// The image's own sockets, asked for by NETSTAT CONN/ALLCONN (never on the packet
/// path). In namespaces: netlink sock_diag in the image's namespace.
class image_port {
public:
    virtual ~image_port() = default;
    /// The image's IPv4 TCP sockets now, or false with @p why when they cannot be read.
    virtual bool tcp_sockets(std::vector<tcp_socket>& out, std::string& why) = 0;
};

/// Time: a monotonic millisecond count for timers, and the wall clock (UNIX
/// seconds, UTC) for displays.
class clock {
public:
    virtual ~clock() = default;
    virtual std::int64_t monotonic_ms() const noexcept = 0;
    virtual std::int64_t wall_seconds() const noexcept = 0;
};

}  // namespace zplex::tcpip::stack
