// SPDX-License-Identifier: Apache-2.0
// Host mode: zplex as the IPsec end of a Linux network namespace. The namespace's kernel
// routes protected traffic into a TUN device the process owns; each packet is checked
// against the SPD, ESP-encapsulated with its outbound SA (tunnel mode, UDP-encapsulated
// per RFC 3948) and sent from a UDP socket bound to the namespace's address on 4500.
// ESP arriving on 4500 is found by SPI in the SAD, decapsulated, checked against the
// SA's traffic selectors and written to the TUN. The same sockets carry IKE: datagrams
// on 500, and on 4500 those with the non-ESP marker, go to the IKE engine's callback.
//
// One thread runs the event loop (epoll); after start-up the per-packet path neither
// allocates nor throws, and every packet it does not deliver is counted by reason.
#pragma once

#include <zplex/ipsec/counters.hpp>
#include <zplex/ipsec/esp.hpp>
#include <zplex/ipsec/sad.hpp>
#include <zplex/ipsec/spd.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace zplex::host {

// X(id, short name, severity, description): every reason host mode drops a packet.
#define ZPLEX_HOST_DROPS(X)                                                                                  \
    X(none, "NONE", info, "packet delivered")                                                                \
    X(not_ipv4, "NOTIPV4", info, "packet from the TUN is not IPv4 (or shorter than its header)")             \
    X(policy_deny, "POLICYDENY", warning, "outbound packet denied by the SPD or its implicit default deny")   \
    X(policy_bypass, "BYPASS", warning, "SPD permits it in the clear: host mode carries only protected traffic") \
    X(no_outbound_sa, "NOSAOUT", warning, "the matching policy's SA is not installed")                       \
    X(esp_out, "ESPOUT", error, "ESP encapsulation failed (the reason is in the ESP drop counters)")          \
    X(send_error, "SENDERR", warning, "the UDP socket refused the datagram")                                 \
    X(too_big, "TOOBIG", warning, "packet or datagram larger than the buffer (MTU; unfragmented IKE)")      \
    X(udp_short, "UDPSHORT", error, "datagram on the NAT-T port too short to be ESP or IKE")                 \
    X(keepalive, "KEEPALIVE", info, "NAT-keepalive (RFC 3948 2.3), consumed")                                \
    X(ike_no_handler, "IKENOENGINE", warning, "IKE datagram but no IKE engine attached")                     \
    X(no_inbound_sa, "NOSAIN", warning, "no inbound SA for the SPI and addresses")                           \
    X(esp_in, "ESPIN", error, "ESP decapsulation failed (the reason is in the ESP drop counters)")           \
    X(inner_policy, "INNERPOLICY", error, "decapsulated packet outside the SA's traffic selectors")           \
    X(tun_write_error, "TUNWRITE", warning, "the TUN refused the packet")                                   \
    X(ah_short, "AHSHORT", error, "packet on the AH socket (bundles) too short for IPv4 and AH")

ZPLEX_DROP_TABLE(ZPLEX_HOST_DROPS)

/// What host mode has done: drops by reason, ESP drops by reason, and what went through.
struct counters {
    sysplex::drop_counters<drop, std::atomic<std::uint64_t>> drops;
    ipsec::drop_counters esp;                  ///< why ESP failed (esp_out / esp_in)
    std::atomic<std::uint64_t> tun_in{0};      ///< packets read from the TUN
    std::atomic<std::uint64_t> esp_sent{0};    ///< ESP datagrams sent
    std::atomic<std::uint64_t> esp_received{0};///< ESP datagrams received (before checks)
    std::atomic<std::uint64_t> tun_out{0};     ///< packets written to the TUN
    std::atomic<std::uint64_t> ike_in{0};      ///< IKE datagrams handed to the engine
    std::atomic<std::uint64_t> ike_out{0};     ///< IKE datagrams sent for the engine
    std::atomic<std::uint64_t> keepalives{0};  ///< NAT-keepalives sent
    void count(drop d) noexcept { drops.count(d); }
    std::uint64_t operator[](drop d) const noexcept { return drops[d]; }
};

struct host_config {
    std::string tun_name = "zpx0";   ///< created (IFF_TUN, no packet info) and set up
    unsigned mtu = 1400;             ///< leaves room for IP + UDP + ESP + IV + ICV under 1500
    std::uint32_t local_addr = 0;    ///< the namespace's outer address, host order
    std::uint16_t nat_t_port = 4500; ///< ESP-in-UDP and IKE with the non-ESP marker
    std::uint16_t ike_port = 500;    ///< plain IKE; 0: no socket
    unsigned keepalive_seconds = 0;  ///< RFC 3948 §2.3 NAT-keepalive to each peer; 0: none
    bool disable_ipv6 = true;        ///< no IPv6 on the TUN (no router solicitations in it)
};

/// A traffic selector (RFC 7296 §3.13.1), IPv4: an address range as prefix, ports, protocol.
struct traffic_selector {
    std::uint32_t addr = 0;          ///< host order
    std::uint8_t prefix_len = 32;
    std::optional<std::uint8_t> protocol;  ///< nullopt: any
    std::uint16_t port_lo = 0, port_hi = 65535;
};

/// What one CHILD_SA pair has carried (ESP payload bytes, as lifesize counts them).
struct child_stats {
    std::uint32_t spi_in = 0, spi_out = 0;
    std::uint64_t packets_in = 0, bytes_in = 0, packets_out = 0, bytes_out = 0;
};

/// One CHILD_SA pair as IKE negotiated it. add_child() forces tunnel mode and UDP
/// encapsulation and fills in the outer addresses and ports.
/// With `ah_inbound` and `ah_outbound` the pair is an AH+ESP bundle each way (ESP in
/// tunnel mode inside, AH outside, docs/host-mode.md "Bundles"): not UDP-encapsulated
/// (AH has no UDP encapsulation), sent and received as IP protocol 51 on a raw socket.
struct child_config {
    ipsec::sa_config inbound;        ///< SPI we chose; keys for peer -> us
    ipsec::sa_config outbound;       ///< SPI the peer chose; keys for us -> peer
    std::optional<ipsec::sa_config> ah_inbound;   ///< a bundle's AH SA, peer -> us (HMAC key)
    std::optional<ipsec::sa_config> ah_outbound;  ///< and us -> peer
    std::uint32_t peer_addr = 0;     ///< host order
    std::uint16_t peer_port = 4500;  ///< the peer's NAT-T port as seen (NAT: not 4500)
    traffic_selector local_ts;       ///< our side (TSi when we initiated)
    traffic_selector remote_ts;
    ipsec::sa_lifetime life;
};

using child_id = std::uint32_t;

class host {
public:
    /// An IKE datagram (marker stripped) arrived on @p local_port from @p peer:@p peer_port.
    /// The span is valid only during the call.
    using ike_handler = std::function<void(std::uint16_t local_port, std::uint32_t peer, std::uint16_t peer_port,
                                           std::span<const std::uint8_t> message)>;
    /// SA lifecycle events from the SAD (soft/hard expiry), for the IKE engine's rekeys:
    /// outbound SAs are named "child-<id>", inbound ones come with their SPI.
    using sa_listener = ipsec::sad::listener;

    /// Open /dev/net/tun and the sockets, bring the TUN up with its MTU. Throws
    /// std::system_error (with what failed) if the process lacks the rights or the
    /// address is not local. Must run inside the namespace.
    static std::unique_ptr<host> create(const host_config& c, sa_listener on_sa_event = {});
    virtual ~host() = default;

    /// Install a CHILD_SA pair and its policies (dynamic SPD filters both ways). Returns
    /// its id, or 0 if a key does not fit the algorithm or the inbound SPI is in use.
    /// The newest pair's filters match first, so a rekey is add_child(new), then
    /// remove_child(old) once the old one has drained (make before break).
    virtual child_id add_child(const child_config& c) = 0;
    /// Remove a pair and its policies; false if unknown.
    virtual bool remove_child(child_id id) = 0;
    /// Where IKE datagrams go; without one they are counted (IKENOENGINE) and dropped.
    virtual void set_ike_handler(ike_handler h) = 0;
    /// An outbound packet that no CHILD SA's filter takes (it is dropped, as a policy
    /// deny): what it looked like, so IKE can start an on-demand tunnel (z/OS
    /// InitiateWhen OnDemand). Called on the packet path: it must not block, throw or
    /// allocate. Hosts without a packet path ignore it.
    using acquire_handler = std::function<void(const ipsec::spd_selector&)>;
    virtual void set_acquire_handler(acquire_handler) {}
    /// Send an IKE message from @p local_port (the NAT-T port adds the non-ESP marker).
    virtual bool send_ike(std::uint16_t local_port, std::uint32_t peer, std::uint16_t peer_port,
                          std::span<const std::uint8_t> message) noexcept = 0;

    /// Wait up to @p timeout_ms (-1: forever) and handle what is ready; returns packets handled.
    virtual int run_once(int timeout_ms) noexcept = 0;
    /// run_once() until stop().
    virtual void run() noexcept = 0;
    /// Make run() return; async-signal-safe, callable from another thread.
    virtual void stop() noexcept = 0;
    /// Make a waiting run_once() return early; async-signal-safe.
    virtual void wake() noexcept = 0;

    virtual const counters& stats() const noexcept = 0;
    /// A pair's traffic, or nullopt if @p id is not installed.
    virtual std::optional<child_stats> stats(child_id id) const noexcept = 0;
    /// Per-SA lines ("child 1 out spi 0x... packets n bytes n") and every non-zero counter.
    virtual std::string format_counters() const = 0;
    virtual const host_config& config() const noexcept = 0;
};

}  // namespace zplex::host
