// SPDX-License-Identifier: Apache-2.0
// Bulk TCP with several connections at once, for the benches: a server that serves every
// connection it accepts (draining it, or sending it the transfer stream) and clients that
// open n connections at once, each checked by SHA-256 against the stream tcp_transfer
// sends. Throughput is the bytes of all connections over the time from the first
// connection's start to the last one's end.
#pragma once

#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace zplex::e2e {

/// The SHA-256 (hex) of the first @p bytes of the transfer stream.
std::string stream_sha256(std::uint64_t bytes);

/// One connection of a bulk run: bytes carried, their SHA-256, when it started (connected
/// or accepted) and ended, in CLOCK_MONOTONIC seconds (the same clock in every namespace).
struct bulk_connection {
    std::uint64_t bytes = 0;
    std::string sha;
    double start = 0, end = 0;
};

/// A server in @p ns on addr:port for as long as it lives: each connection it accepts is
/// served in a thread of its own, drained (sink) or sent @p bytes of the stream (source).
class tcp_bulk_server {
public:
    enum class role { sink, source };
    tcp_bulk_server(const netns& ns, const std::string& addr, std::uint16_t port, role r, std::uint64_t bytes = 0);
    /// SIGTERM by PID; the connections that ended.
    std::vector<bulk_connection> stop();

private:
    child_process _proc;
};

struct bulk_result {
    bool ok = false;                          ///< every connection carried the stream whole
    std::uint64_t bytes = 0;                  ///< all connections together
    double seconds = 0;                       ///< first start to last end
    std::vector<bulk_connection> connections;
    std::string error;
    double mbit_per_s() const noexcept { return seconds > 0 ? static_cast<double>(bytes) * 8 / seconds / 1e6 : 0; }
};

/// @p connections at once from @p ns (bound to @p client_addr) to server_addr:port, each
/// sending @p bytes of the stream (@p upload, to a sink) or reading until EOF what a
/// source sends (checked against the stream's first @p bytes). Connects are retried
/// until the server answers; the whole run is bounded by @p timeout.
bulk_result tcp_bulk_clients(const netns& ns, const std::string& client_addr, const std::string& server_addr,
                             std::uint16_t port, int connections, std::uint64_t bytes, bool upload,
                             std::chrono::milliseconds timeout = 60s);

}  // namespace zplex::e2e
