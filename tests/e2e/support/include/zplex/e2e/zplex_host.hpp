// SPDX-License-Identifier: Apache-2.0
// zplex-host (host mode with static SAs) as a process in a namespace, with the route that
// sends the protected prefix into its TUN, and its counters read back when it stops.
#pragma once

#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace zplex::e2e {

struct zplex_host_options {
    std::filesystem::path binary;            ///< build/<preset>/bin/zplex-host
    std::string tun = "zpx0";
    std::string local, peer;                 ///< outer addresses
    std::string local_ts, remote_ts;         ///< CIDR
    std::string route_src;                   ///< inner address used as the route's src
    std::uint32_t spi_in = 0, spi_out = 0;
    std::string key_in, key_out;             ///< hex; AES-GCM-128: 16-byte key || 4-byte salt
    /// An AH+ESP bundle: AH SPIs and HMAC keys (hex); 0 / empty: ESP alone.
    std::uint32_t ah_spi_in = 0, ah_spi_out = 0;
    std::string ah_key_in, ah_key_out;
    std::string alg = "aes-gcm-128";
    unsigned keepalive = 0;                  ///< seconds between NAT-keepalives (0: none)
    std::uint32_t replay_window = 0;         ///< --replay-window (0: zplex-host's default, 64)
    /// When set ("tcp"): the route into the TUN goes into table 220 with a rule for this
    /// protocol to remote_ts only, so datagrams of zplex-host itself to an address inside
    /// remote_ts (a peer whose tunnel end is also its traffic selector, as a DVIPA) leave
    /// by the namespace's own routes.
    std::string route_protocol;
    // With IKE: a Policy Agent policy instead of the static SA (spi_*, key_*, peer unused).
    std::string policy;                      ///< --policy FILE
    std::string control;                     ///< --control SOCKET
    std::vector<std::string> initiate;       ///< --initiate RULE ...
};

/// The counters zplex-host prints on exit: "name value" lines as a map ("drop NOSAIN" ->
/// n, "esp_drop INTEGRITY" -> n, "tun_in" -> n, "child 1 in packets" -> n ...).
std::map<std::string, std::uint64_t> parse_host_counters(const std::string& text);

class zplex_host_process {
public:
    /// Start it in @p ns, wait (bounded) for its TUN, add `route remote_ts dev tun src route_src`
    /// (in table 220 with a rule, when route_protocol is set).
    zplex_host_process(const netns& ns, const std::filesystem::path& dir, zplex_host_options o);
    ~zplex_host_process();
    zplex_host_process(const zplex_host_process&) = delete;
    zplex_host_process& operator=(const zplex_host_process&) = delete;
    /// SIGTERM by PID; returns its output (the counters) and exit status.
    run_result stop();
    pid_t pid() const noexcept { return _proc.pid(); }
    /// What it has printed so far (its IKE messages go to stderr, into the same file).
    std::string output() const;

private:
    std::filesystem::path _out;
    child_process _proc;
    bool _stopped = false;
};

}  // namespace zplex::e2e
