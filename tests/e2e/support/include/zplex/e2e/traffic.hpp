// SPDX-License-Identifier: Apache-2.0
// Traffic through a tunnel: ICMP echo (no ping binary needed) and a TCP transfer of
// pseudo-random bytes whose SHA-256 both ends compute.
#pragma once

#include <zplex/e2e/netns.hpp>

#include <cstdint>
#include <string>

namespace zplex::e2e {

/// Send @p count ICMP echo requests from @p src to @p dst inside @p ns (one at a time,
/// each waiting up to @p wait); returns how many replies came back.
int ping(const netns& ns, const std::string& src, const std::string& dst, int count = 3,
         std::chrono::milliseconds wait = 1s);

/// Ping until one reply comes or @p total passes (the first packets may be lost while
/// routes and SAs settle); true on a reply.
bool ping_until(const netns& ns, const std::string& src, const std::string& dst, std::chrono::milliseconds total = 10s);

struct tcp_result {
    bool ok = false;               ///< both sides finished, byte counts and digests equal
    std::uint64_t bytes_sent = 0, bytes_received = 0;
    std::string sha_sent, sha_received;
    double seconds = 0;            ///< receiver: accept to EOF
    std::string error;             ///< what went wrong, with both sides' output
    double mbit_per_s() const noexcept { return seconds > 0 ? static_cast<double>(bytes_received) * 8 / seconds / 1e6 : 0; }
};

/// A receiver in @p server_ns listening on @p server_addr:@p port, a sender in
/// @p client_ns bound to @p client_addr sending @p bytes; bounded by @p timeout.
tcp_result tcp_transfer(const netns& server_ns, const std::string& server_addr, std::uint16_t port,
                        const netns& client_ns, const std::string& client_addr, std::uint64_t bytes,
                        std::chrono::milliseconds timeout = 60s);

/// In the calling process (a child spawned in a client namespace): one connection to a
/// zplex-app at @p addr:@p port, its greeting line, then @p bytes of random data written
/// while the echo is read back, SHA-256 compared. Prints "IMAGE <name> OK" (or BAD, with
/// the image the greeting named) or "CONNECT FAILED"; returns 0 when the echo matched.
/// Reads and writes time out after @p io_timeout.
int app_echo(const std::string& addr, std::uint16_t port, std::size_t bytes, std::chrono::seconds io_timeout = 15s);

}  // namespace zplex::e2e
