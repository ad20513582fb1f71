// SPDX-License-Identifier: Apache-2.0
// A TUN device (IFF_TUN | IFF_NO_PI: bare IPv4 packets) and the sockets host mode uses.
#pragma once

#include <cstdint>
#include <string>

namespace zplex::host::detail {

/// Create (or attach to) TUN @p name, non-blocking; set its MTU and bring it up. Throws
/// std::system_error. Returns the fd.
int open_tun(const std::string& name, unsigned mtu, bool disable_ipv6);

/// A non-blocking UDP socket bound to @p addr:@p port (host order) with large buffers.
int open_udp(std::uint32_t addr, std::uint16_t port);
/// A raw IPv4 socket for IP protocol @p protocol (51: AH), bound to @p addr, that sends
/// whole packets (IP_HDRINCL) and receives them with their IP header. Needs CAP_NET_RAW.
int open_raw(std::uint32_t addr, int protocol);

}  // namespace zplex::host::detail
