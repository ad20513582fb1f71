// SPDX-License-Identifier: Apache-2.0
// The IPsec references the benches measure zplex against, on two_hosts: strongSwan <->
// strongSwan (kernel-libipsec, ESP in UDP 4500, AES-GCM-128, one /32 each way) and zplex
// host mode <-> host mode with the same algorithm and encapsulation (static SAs), and the
// median of several SHA-256-checked transfers through either.
#pragma once

#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/strongswan.hpp>
#include <zplex/e2e/zplex_host.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace zplex::e2e {

/// Mbit/s of several transfers: their median and range.
struct transfer_figures {
    double median = 0, worst = 0, best = 0;
};

/// @p runs tcp_transfer()s of @p bytes from @p client to @p server (ports @p port, port + 1
/// ...); nullopt, with the failed transfer's story in @p why, when one fails.
std::optional<transfer_figures> median_transfer(const netns& server, const std::string& server_addr,
                                                const netns& client, const std::string& client_addr,
                                                std::uint64_t bytes, int runs, std::string* why = nullptr,
                                                std::uint16_t port = 5001);

/// charon in a and in b of @p h with one PSK connection "zpx" between the inner
/// addresses, initiated by a; up() once a ping went through.
class strongswan_pair {
public:
    strongswan_pair(const two_hosts& h, const std::filesystem::path& dir, charon::options a_options = {});
    bool up() const noexcept { return _up; }
    /// "n of m ESP packets lost a->b", from both charons' CHILD_SA counters.
    std::string loss_note() const;
    charon a, b;

private:
    bool _up = false;
};

/// zplex-host in a and in b of @p h, the same static AES-GCM-128 SA pair each way between
/// the inner addresses; up() once a ping went through.
class host_pair {
public:
    host_pair(const two_hosts& h, const std::filesystem::path& dir, const std::filesystem::path& binary);
    bool up() const noexcept { return _up; }
    /// Stops both; "n of m ESP packets lost a->b" from their counters.
    std::string stop_and_loss_note();
    /// a's and b's options: SPIs 0xc0de0a01 (b -> a) and 0xc0de0b01 (a -> b), fixed keys.
    static zplex_host_options side_a(const std::filesystem::path& binary);
    static zplex_host_options side_b(const std::filesystem::path& binary);
    zplex_host_process a, b;

private:
    bool _up = false;
};

}  // namespace zplex::e2e
