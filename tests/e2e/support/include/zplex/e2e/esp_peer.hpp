// SPDX-License-Identifier: Apache-2.0
// An IPsec peer host in a LAN namespace for the SWSA e2e tests: a TUN takes the host's
// packets for the protected address and sends them as ESP (transport mode, raw IP
// protocol 50, statically keyed) out of veth0; ESP frames coming in on veth0 are recorded
// as the LAN capture sees them (source MAC, source address, SPI, sequence number), checked
// by an anti-replay window of the peer's own (independent of zplex's ipsec library), then
// decrypted and written into the TUN, so the host's real TCP runs over them.
#pragma once

#include <zplex/operating/faults.hpp>

#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace zplex::e2e {

/// RFC 4303 §3.4.3's anti-replay window of @p w packets: the faults matrix's, which
/// shares no code with the stacks, so a capture is judged independently of them.
using independent_window = operating::faults::replay_window;

struct esp_peer_options {
    std::string local;                 ///< the host's LAN address (198.18.0.101)
    std::string remote;                ///< the protected address (DVA1), routed into the TUN
    std::uint32_t spi_out = 0, spi_in = 0;
    std::vector<std::uint8_t> key_out, key_in;  ///< AES-GCM-128: key || 4-byte salt
    std::uint32_t window = 64;         ///< the anti-replay window the capture is checked with
    bool udp_encap = false;            ///< ESP in UDP 4500 (RFC 3948), as strongSwan's kernel-libipsec sends it
    std::string tun = "zpesp0";
    std::filesystem::path capture;     ///< written when the peer stops: one line per ESP frame
};

/// One ESP frame received on the LAN.
struct esp_frame {
    std::array<std::uint8_t, 6> mac{};
    std::uint32_t src = 0, spi = 0, seq = 0;
    bool window_ok = false;            ///< the independent window accepted it
    bool decrypted = false;            ///< it verified and went into the TUN
};

class esp_peer {
public:
    esp_peer(const netns& ns, esp_peer_options o);
    ~esp_peer();
    esp_peer(const esp_peer&) = delete;
    esp_peer& operator=(const esp_peer&) = delete;
    /// SIGTERM by PID; the capture file is then complete.
    run_result stop();
    std::vector<esp_frame> capture() const;

private:
    esp_peer_options _o;
    child_process _proc;
    bool _stopped = false;
};

/// "02:00:c6:12:00:0c".
std::string mac_text(const std::array<std::uint8_t, 6>& m);

}  // namespace zplex::e2e
