// SPDX-License-Identifier: Apache-2.0
// IKE in host mode: an IKE daemon (zplex::ike::peer) attached to a host-mode data plane.
// The daemon's config comes from a Policy Agent policy (iked_config_from_policy), its
// datagrams from the host's IKE hook, its timers from the caller's event loop; the CHILD
// SAs it negotiates are installed with host::add_child (make before break on rekey) and
// removed when deleted; SAD soft expiry (Lifetime / Lifesize) becomes a CHILD SA rekey.
// `ipsec -k display` / `ipsec -y display` records and a line-oriented control protocol
// (docs/ike.md, "zplex-host with a policy") are built here too.
#pragma once

#include <zplex/host/host.hpp>
#include <zplex/ike/peer.hpp>
#include <zplex/ipsec/display.hpp>
#include <zplex/policy/policy.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace zplex::host {

/// A CHILD SA policy beyond what the engine needs: its lifetimes and display names.
struct iked_child_policy {
    std::string connection;          ///< the KeyExchangeRule
    std::string child;               ///< the IpFilterRule (child_config::name)
    std::string vpn_action;          ///< the IpDynVpnAction
    std::chrono::minutes lifetime{240};
    std::uint64_t lifesize_kb = 0;   ///< 0: none
    bool on_demand = true;           ///< InitiateWhen OnDemand: a packet for it starts IKE
};

/// A KeyExchangeRule beyond the engine's connection_config.
struct iked_connection_policy {
    std::string name;                ///< the KeyExchangeRule
    std::string action;              ///< KeyExchangeAction
    std::string local_endpoint, remote_endpoint;
    std::string local_id_type = "ID_IPV4_ADDR", local_id, remote_id_type = "ID_IPV4_ADDR", remote_id;
    std::string auth = "PresharedKey";
    std::chrono::minutes ike_lifetime{480};  ///< the shortest RefreshLifetimeProposed of its offers
};

struct iked_config {
    ike::peer_config peer;
    std::vector<iked_connection_policy> connections;  ///< one per peer.connections entry, same order
    std::vector<iked_child_policy> children;
    std::vector<policy::message> messages;           ///< ZPX09xx: what the adapter refused or changed
    bool has_errors() const;
};

/// A policy as the engine takes it. Each KeyExchangeRule is a connection: addresses from
/// the endpoints' Location (a remote range: only peers in it, and the rule only
/// responds), identities (default: the Location's address; for a range without
/// Identity, an ID_IPV4_ADDR inside the range), SharedKey, KeyExchangeOffers as IKE
/// proposals. Which rule a responder uses is settled by the peer's identity (IDi).
/// Each IpFilterRule with an IpDynVpnActionRef is a child of the KeyExchangeRule whose
/// remote Location overlaps its destination (else of the first one): selectors from its
/// addresses, protocol and ports; ESP offers, Pfs, Lifetime and Lifesize from the action.
/// @p host_mode: host mode carries tunnel mode only, so Transport offers become Tunnel
/// (ZPX0908I). Never throws; what cannot be used is reported in `messages`.
iked_config iked_config_from_policy(const policy::ipsec_policy& p, bool host_mode = true);

/// What an IKE daemon keeps of one IKE SA for its displays.
struct ike_display_meta {
    std::uint64_t serial = 0;                            ///< K<serial>; 0: not known
    unsigned generation = 1;
    std::chrono::system_clock::time_point created{};
};

/// `ipsec -k display` records of @p engine's IKE SAs: names and lifetimes from their
/// KeyExchangeRules in @p cfg, K<n>, generation and times from @p meta (by SPIi; may
/// answer null). Host mode's daemon and zplex-iked both show theirs with it.
std::vector<ipsec::ike_tunnel_record> ike_tunnel_records(
    const ike::peer& engine, const iked_config& cfg,
    const std::function<const ike_display_meta*(std::uint64_t spi_i)>& meta);

/// An ike::traffic_selector range as host mode's prefix selector; nullopt if the range
/// is not one prefix.
std::optional<traffic_selector> to_host_selector(const ike::traffic_selector& ts);

/// The IKE daemon of one host. Single-threaded: the host's event loop thread calls
/// everything (the IKE handler and SA listener only queue; process() does the work).
class iked {
public:
    using time_point = ike::time_point;
    /// Attaches itself as @p h's IKE handler. Throws std::runtime_error if the engine
    /// cannot be built (certificate files).
    iked(host& h, iked_config cfg, std::ostream* log = nullptr);
    ~iked();
    iked(const iked&) = delete;
    iked& operator=(const iked&) = delete;

    /// Give this to host::create() (through a forwarding lambda): SAD soft/hard expiry.
    void on_sa_event(const ipsec::sa_notice& n);
    /// Handle queued datagrams and SA events, timers, IKE SA lifetimes. Call after every
    /// host::run_once().
    void process(time_point now);
    /// How long the event loop may wait, at most @p max_ms.
    int timeout_ms(time_point now, int max_ms) const;

    /// Control verbs (also reachable by control()). False (and a message) if unknown.
    bool initiate(const std::string& connection, time_point now);
    /// @p spi 0: the newest CHILD SA.
    bool rekey_child(std::uint32_t spi, time_point now);
    bool delete_child(std::uint32_t spi, time_point now);
    /// @p connection empty: the newest IKE SA.
    bool rekey_ike(const std::string& connection, time_point now);
    bool delete_ike(const std::string& connection, time_point now);

    std::vector<ipsec::ike_tunnel_record> ike_records() const;
    std::vector<ipsec::dynamic_tunnel_record> dynamic_records() const;

    /// One control request line, e.g. "ipsec -y display -r detail", "rekey child 0xc1a2",
    /// "delete ike", "initiate RULE", "status"; returns the reply text.
    std::string control(const std::string& line, time_point now);

    const ike::peer& engine() const noexcept { return _peer; }
    std::size_t installed_children() const noexcept { return _children.size(); }

    /// An outbound packet no CHILD SA took (the host's acquire): if an on-demand rule
    /// covers it and its KeyExchangeRule has no IKE SA, initiate (at most every 5 s).
    void acquire(const ipsec::spd_selector& s, time_point now);

private:
    /// @p spi (inbound or outbound) if one of our children has it; 0 picks the newest
    /// child's inbound SPI; 0 if there is no such child.
    std::uint32_t child_spi(std::uint32_t spi) const;

    struct installed {
        child_id id = 0;
        std::string connection;
        ike::ike_sa_id ike;
        ike::child_sa_info info;      ///< keys wiped after install
        const iked_child_policy* pol = nullptr;
        std::chrono::system_clock::time_point created;
        unsigned generation = 1;
        std::uint64_t serial = 0;     ///< Y<serial>
    };
    struct ike_meta : ike_display_meta {
        std::string connection;
        time_point established;
        bool rekey_sent = false;
    };
    void handle(ike::output&& o, time_point now);
    void install(const ike::event& e, bool rekey);
    void say(const std::string& msg);
    const iked_connection_policy* connection_policy(const std::string& name) const;
    const iked_child_policy* child_policy(const std::string& connection, const std::string& child) const;
    std::optional<ike::ike_sa_id> find_ike(const std::string& connection) const;

    host& _h;
    iked_config _cfg;
    ike::peer _peer;
    std::ostream* _log;
    struct queued {
        std::uint16_t local_port;
        std::uint32_t peer;
        std::uint16_t peer_port;
        ike::bytes data;
    };
    std::deque<queued> _in;
    std::deque<ipsec::sa_notice> _sa_events;
    // Packets the host could not protect, kept without allocating (the packet path
    // calls in); a full array drops the rest, the next packet asks again.
    std::array<ipsec::spd_selector, 16> _acquired{};
    std::size_t _acquired_n = 0;
    std::map<std::string, time_point> _last_acquire;   ///< per KeyExchangeRule
    std::map<std::uint32_t, installed> _children;  ///< by inbound SPI
    std::map<std::uint64_t, ike_meta> _ikes;       ///< by SPIi ^ SPIr key (see key())
    std::uint64_t _next_k = 0, _next_y = 0;
};


}  // namespace zplex::host
