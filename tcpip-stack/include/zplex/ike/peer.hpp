// SPDX-License-Identifier: Apache-2.0
// The IKEv2 engine of one IKE daemon, sans-IO: datagrams (with their addresses) and
// the time go in; datagrams to send and events come out. No sockets, no clock.
#pragma once

#include <zplex/ike/config.hpp>
#include <zplex/ike/message.hpp>
#include <zplex/ipsec/esp.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace zplex::ike {

using clock = std::chrono::steady_clock;
using time_point = clock::time_point;

struct endpoint {
    std::uint32_t addr = 0;  ///< host order
    std::uint16_t port = 0;
    bool operator==(const endpoint&) const = default;
};

/// A UDP datagram. On the NAT-T port the payload starts with the 4-byte non-ESP
/// marker (RFC 3948 §2.2); the engine adds and strips it.
struct datagram {
    endpoint src;
    endpoint dst;
    bytes data;
};

/// An IKE SA's handle: its SPIs as on the wire.
struct ike_sa_id {
    std::uint64_t spi_i = 0;
    std::uint64_t spi_r = 0;
    bool operator==(const ike_sa_id&) const = default;
};

/// A negotiated CHILD SA, ready for the data plane: esp_sa::create(inbound) and
/// esp_sa::create(outbound). Keys: GCM = AES key || salt; CBC = AES key || HMAC key.
struct child_sa_info {
    std::string name;                      ///< the child_config's name
    std::uint32_t spi_in = 0;              ///< chosen by us (the peer sends with it)
    std::uint32_t spi_out = 0;             ///< chosen by the peer
    ipsec::sa_config inbound;
    ipsec::sa_config outbound;
    std::vector<traffic_selector> local_ts;
    std::vector<traffic_selector> remote_ts;
    std::uint32_t replaces_spi_in = 0;     ///< child_rekeyed: the old SA's inbound SPI

    // The keys in inbound/outbound are wiped when this record goes (copies too).
    child_sa_info() = default;
    child_sa_info(const child_sa_info&) = default;
    child_sa_info(child_sa_info&&) noexcept = default;
    child_sa_info& operator=(const child_sa_info& o);
    child_sa_info& operator=(child_sa_info&& o) noexcept;
    ~child_sa_info();
};

enum class event_type : std::uint8_t {
    ike_up,          ///< IKE SA authenticated
    ike_rekeyed,     ///< `ike` replaced `old_ike`; children moved over
    ike_down,        ///< IKE SA gone (deleted, timed out)
    child_up,        ///< a new CHILD SA: install child.inbound/outbound
    child_rekeyed,   ///< a CHILD SA replacing child.replaces_spi_in (the old one goes with child_deleted)
    child_deleted,   ///< remove the SAs of child.spi_in / spi_out
    failed,          ///< a negotiation failed: `notify` and `reason` say why
};
const char* event_name(event_type t) noexcept;

struct event {
    event_type type = event_type::ike_up;
    std::string connection;
    ike_sa_id ike;
    ike_sa_id old_ike;                     ///< ike_rekeyed
    child_sa_info child;                   ///< child_* events
    std::uint16_t notify = 0;              ///< failed: the error notify sent or received, 0 if none
    std::string reason;
};

/// What a call produced.
struct output {
    std::vector<datagram> datagrams;
    std::vector<event> events;
    void append(output&& o);
};

/// Counters for displays and tests.
struct peer_counters {
    std::uint64_t received = 0, sent = 0, retransmits = 0, decode_errors = 0, integrity_failures = 0,
                  dropped = 0, cookies_sent = 0, invalid_ke_sent = 0;
    /// Requests with the last answered message ID that are not a byte-for-byte repeat
    /// from the same address and port (RFC 7296 §2.1): dropped, never answered.
    std::uint64_t not_retransmissions = 0;
};

/// A snapshot of one IKE SA (displays, tests).
struct ike_sa_status {
    std::string connection;
    ike_sa_id id;
    bool initiator = false;                ///< original initiator of this IKE SA
    bool established = false;
    bool nat_local = false, nat_remote = false;
    endpoint local, remote;
    std::uint16_t encr = 0, encr_key_bits = 0, integ = 0, prf = 0, dh = 0;
    std::vector<std::uint32_t> child_spis_in;
};

namespace detail {
class engine;
}

/// One IKE daemon: any number of IKE SAs over the connections of its config.
/// Not thread-safe: one caller drives it (the stack's IKE task).
class peer {
public:
    /// Throws std::runtime_error if a certificate, key or CA file does not load.
    explicit peer(peer_config cfg);
    ~peer();
    peer(const peer&) = delete;
    peer& operator=(const peer&) = delete;

    /// Start IKE_SA_INIT for connection @p name (then IKE_AUTH with its first child).
    output initiate(const std::string& name, time_point now);
    /// A datagram arrived (src = the peer as seen, dst = us).
    output receive(const datagram& d, time_point now);
    /// Retransmissions, give-ups, DPD, half-open expiry: call at next_timeout() or so.
    output tick(time_point now);
    /// When tick() next has work; nullopt if idle.
    std::optional<time_point> next_timeout() const;

    /// Rekey the CHILD SA with inbound or outbound SPI @p spi (e.g. on a sad soft_expire).
    output rekey_child(std::uint32_t spi, time_point now);
    /// Another CHILD SA of config @p child_name on IKE SA @p id (CREATE_CHILD_SA).
    output create_child(ike_sa_id id, const std::string& child_name, time_point now);
    /// INFORMATIONAL delete of the CHILD SA with inbound or outbound SPI @p spi.
    output delete_child(std::uint32_t spi, time_point now);
    output rekey_ike(ike_sa_id id, time_point now);
    output delete_ike(ike_sa_id id, time_point now);
    /// Drop IKE SA @p id here without a word to the peer (its CHILD SAs with it: events
    /// child_deleted, ike_down): another IKE of ours replaces it, and the replacement's
    /// INITIAL_CONTACT clears it on the peer. Nothing if there is no such SA.
    output forget_ike(ike_sa_id id);
    /// An empty INFORMATIONAL (liveness check, RFC 7296 §1.4).
    output dpd(ike_sa_id id, time_point now);

    std::vector<ike_sa_status> status() const;
    const peer_counters& counters() const noexcept;

private:
    std::unique_ptr<detail::engine> _e;
};

}  // namespace zplex::ike
