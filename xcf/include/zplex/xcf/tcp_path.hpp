// SPDX-License-Identifier: Apache-2.0
// A signalling path over TCP, for members on another machine: the same sealed,
// fragmented, sequenced signals as the shared-memory paths, over a stream socket.
#pragma once

#include <zplex/xcf/xcf.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace zplex::xcf {

/// One end of a point-to-point TCP signalling path between two members.
class tcp_path {
public:
    /// Listen on 127.0.0.1/@p port (0: any) for the peer; port() tells which.
    static result listen(const sysplex_key& key, std::uint16_t port, std::unique_ptr<tcp_path>& out);
    /// Connect to a listening peer.
    static result connect(const sysplex_key& key, const std::string& host, std::uint16_t port,
                          std::unique_ptr<tcp_path>& out);
    ~tcp_path();

    std::uint16_t port() const;
    /// Wait up to @p wait for the peer to connect (listening end).
    result accept(std::chrono::milliseconds wait);
    /// Send one message (up to 1 MiB), sealed with the sysplex key.
    result send(std::span<const std::uint8_t> message);
    /// Send one message authenticated but not encrypted (see member::send_integrity_only).
    result send_integrity_only(std::span<const std::uint8_t> message);
    /// The next message, in order, waiting up to @p wait.
    result receive(std::vector<std::uint8_t>& message, std::chrono::milliseconds wait);
    /// receive(), telling in @p how which protection the message arrived with.
    result receive(std::vector<std::uint8_t>& message, protection& how, std::chrono::milliseconds wait);
    drop_counters drops() const;
    /// For tests: write raw bytes to the peer as they are (to inject forgeries).
    result send_raw(std::span<const std::uint8_t> bytes);

    struct impl;

private:
    explicit tcp_path(std::unique_ptr<impl> i);
    result send_as(std::span<const std::uint8_t> message, protection how);
    std::unique_ptr<impl> _impl;
};

}  // namespace zplex::xcf
