// SPDX-License-Identifier: Apache-2.0
// Impairment of one LAN port in user space (this kernel has no netem): the port is taken
// off the LAN's bridge and a relay thread carries its frames to and from a new port of
// the bridge, losing, duplicating and reordering them as asked (docs/faults.md, "IMPAIR
// LAN PEER1"). What the relay did is counted, in particular the ESP packets it gave the
// host twice: the host's replay window drops those copies, and only those.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace zplex::cli::batch {

struct impairment {
    /// Chances in 1/10000 (basis points) per frame, each direction.
    std::uint32_t loss_bp = 100;
    std::uint32_t duplicate_bp = 100;
    std::uint32_t reorder_bp = 200;  ///< the frame is held and sent after the next one (or 2 ms)
    std::uint64_t seed = 0x5a504c58;
    std::uint32_t host_address = 0;  ///< host order: ESP to it that is given twice is counted
};

struct impairment_counts {
    std::atomic<std::uint64_t> frames{0}, lost{0}, duplicated{0}, reordered{0}, too_big{0};
    /// ESP packets (IP protocol 50, or UDP 4500 not IKE) to the host delivered twice.
    std::atomic<std::uint64_t> esp_duplicated_to_host{0};
};

/// One frame's fate, for the relay and its tests: a seeded generator per direction.
class impairer {
public:
    enum class fate { forward, drop, duplicate, hold };
    explicit impairer(const impairment& i, std::uint64_t stream) noexcept;
    fate next() noexcept;

private:
    impairment _i;
    std::uint64_t _state;
};

/// Whether @p frame (Ethernet) is an ESP packet to @p host (host order): IP protocol
/// 50, or UDP to port 4500 whose first four bytes are not IKE's non-ESP marker.
bool esp_to(const unsigned char* frame, std::size_t n, std::uint32_t host) noexcept;

/// The relay on @p port (a bridge port of the LAN namespace @p lan_netns), until stop().
class lan_impairment {
public:
    ~lan_impairment();
    /// Take @p port off the bridge br0 and relay it through impairment @p i. False, with
    /// @p why, if the namespace, the ports or the sockets cannot be had (nothing is left changed).
    bool start(const std::string& lan_netns, const std::string& port, const impairment& i, std::string& why);
    /// End the relay and put @p port back on the bridge.
    void stop();
    const impairment_counts& counts() const noexcept { return _counts; }

private:
    void relay(int a, int b);
    std::string _ns, _port;
    impairment _i;
    impairment_counts _counts;
    std::atomic<bool> _stop{false};
    std::thread _thread;
    bool _started = false;
};

}  // namespace zplex::cli::batch
