// SPDX-License-Identifier: Apache-2.0
// The stack core's state. Lock legend: none; the core runs on one thread.
//   [C] set on control paths (configuration, sysplex events, commands, tick): may allocate
//   [P] also changed on the packet path: fixed-size, never reallocated there
#pragma once

#include <zplex/tcpip/stack/stack.hpp>

#include "control.hpp"
#include "distributor.hpp"
#include "reassembly.hpp"
#include "swsa_state.hpp"
#include "sysplexports.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace zplex::tcpip::stack {

using profile::ipv4_address;

enum class iface_kind : std::uint8_t { osa, vipa, xcf, loopback, dvipa };

/// One interface or link of DEVLINKS and HOME: the OSA, static VIPAs, dynamic XCF links, LOOPBACK.
struct interface_state {
    std::string name;                 // [C] OSAQDIO1, VIPA1L, EZAXCFM2, LOOPBACK
    std::string device;               // [C] PORTNAME or DEVICE name
    iface_kind kind = iface_kind::osa;
    std::uint32_t address = 0;        // [C]
    std::uint8_t prefix_len = 32;     // [C]
    std::uint16_t mtu = 1500;         // [C]
    int peer = -1;                    // [C] dynamic XCF: index into peers
    bool ready = true;                // [C]
    int order = 0;                    // [C] position in the profile (HOME order)
    interface_counters stats;         // [P]
};

/// One route of NETSTAT ROUTE.
struct route_entry {
    std::uint32_t destination = 0;
    std::uint8_t prefix_len = 0;
    std::uint32_t gateway = 0;        ///< 0: directly attached
    int iface = -1;                   ///< index into interfaces
    bool is_default = false;
    bool is_static = false;           ///< BEGINROUTES
    bool host = false;
    std::uint16_t mtu = 0;
    bool dvipa = false;               ///< host route to a DVIPA active on another stack
};

/// Another stack of the group, as its state messages describe it.
struct peer_state {
    std::string member;               // [C]
    std::string sysname, tcpname, sysclone;
    std::uint32_t xcf_address = 0;
    bool present = false;             // [C] in the group and has said who it is
    bool replied = false;             // [C] answered our join
    std::vector<control::claim> claims;  // [C]
    std::vector<control::dist_role> roles;  // [C] Sysplex Distributor roles it announced
    int link = -1;                    // [C] index into interfaces
};

/// This stack's role for one DVIPA.
struct dvipa_entry {
    std::uint32_t address = 0;
    std::uint8_t prefix_len = 32;
    dvipa_origin origin = dvipa_origin::define;
    profile::moveable_mode moveable = profile::moveable_mode::immediate;
    std::uint8_t rank = 255;          ///< 255 for VIPADEFINE
    bool mask_given = false;          ///< VIPABACKUP with its own mask: may create the DVIPA
    dvipa_status status = dvipa_status::backup;
    std::int64_t activated = 0;       ///< wall seconds, 0: never
    std::string jobname;              ///< VIPARANGE bind
    int listeners = 0;                ///< VIPARANGE bind: listening sockets on it
    bool arrival = false;             ///< VIPADEFINE just (re)started: ask any holder for it once
    bool deleted = false;             ///< VIPADELETE or range DVIPA unbound: remove once idle
    std::string requested_from;       ///< member we sent a take to
    std::int64_t requested_at = 0;    ///< when (monotonic ms): asked again after take_retry_ms
    bool requested_on_arrival = false;  ///< the take was the arrival's: a retry is one too
    std::string give_when_idle;       ///< WHENIDLE take pending: give to this member at idle
    std::optional<profile::dvipa_config> saved;  ///< DEACTIVATE: the definition to restore
    std::optional<profile::dvipa_config> config;  ///< VIPADEFINE/VIPABACKUP as configured
};

/// A tracked TCP connection to a DVIPA: delivered here (peer -1) or, on the owner
/// of a DVIPA another stack holds as MOVING, routed to that stack.
struct conn_entry {
    std::uint32_t local_ip = 0, remote_ip = 0;
    std::uint16_t local_port = 0, remote_port = 0;
    std::uint8_t used = 0;            ///< 0 empty, 1 in use, 2 deleted (probe on)
    bool fin_in = false, fin_out = false;
    std::int16_t peer = -1;
    // Sysplex Distributor (distributor.cpp); sizeof(conn_entry) is 40 bytes
    conn_dist dist = conn_dist::none;
    bool half_open = false;           ///< distributor: SYN given, the client's ACK not seen yet
    bool affine = false;              ///< counted in a TIMEDAFFINITY row
    std::uint16_t affinity_uses = 0;  ///< affinity row: connections using it
    std::int64_t closing_since = 0;   ///< both FINs seen at (monotonic ms), 0: open
    std::int64_t since = 0;           ///< distributor: when the SYN came (monotonic ms)
};

struct arp_entry {
    std::uint32_t ip = 0;
    mac_address mac{};
    bool used = false;
    bool valid = false;
    std::int64_t expires = 0;         ///< monotonic ms
    std::int64_t last_request = 0;
    int tries = 0;
};

struct pending_packet {
    bool used = false;
    std::uint32_t next_hop = 0;
    int iface = -1;
    std::size_t length = 0;
    std::vector<std::uint8_t> data;   ///< sized at creation
};

/// Where a history of a DVIPA says it was last active (for EZZ8301I).
struct dvipa_history {
    std::string tcpname, sysname;
};

struct stack::impl {
    impl(const profile::profile& config, identity who, ports io, options sizes);

    // configuration [C]
    profile::profile config;
    identity me;
    ports io;
    options sizes;
    std::string group;
    std::uint32_t xcf_address = 0;
    std::uint8_t xcf_prefix = 24;
    std::vector<interface_state> interfaces;
    std::vector<route_entry> routes;
    std::vector<std::uint32_t> local_addresses;   ///< home + active/moving DVIPAs (rebuilt on change)
    std::vector<std::uint32_t> arp_addresses;     ///< answered in ARP: OSA, static VIPAs, active DVIPAs
    int osa = -1;
    int loopback = -1;

    // sysplex [C]
    std::vector<peer_state> peers;
    std::vector<dvipa_entry> dvipas;
    std::map<std::uint32_t, dvipa_history> history;
    bool in_group = false;
    bool initial_done = false;
    std::int64_t join_time = 0;
    std::vector<std::string> awaited;             ///< members whose state we wait for at join
    bool is_fenced = false;
    bool left_group = false;                      ///< V TCPIP,,SYSPLEX,LEAVEGROUP: out until JOINGROUP
    std::vector<dvipa_entry> kept_config;         ///< while left: the VIPADYNAMIC configuration (VIPADCFG)
    std::vector<std::string> messages;

    // packet path [P]
    std::vector<conn_entry> conns;
    std::vector<arp_entry> arp;
    std::vector<pending_packet> pending;
    std::vector<std::uint8_t> tx;                 ///< frame under construction
    std::vector<std::uint8_t> icmp;               ///< ICMP message under construction
    drop_counters drops;
    bool conns_changed = false;                   ///< a connection ended: check idle DVIPAs in tick
    std::uint16_t ip_id = 1;
    distributor_state sd;                         ///< Sysplex Distributor (distributor.cpp)
    swsa_state sw;                                ///< SWSA (swsa.cpp)
    eport_state ep;                               ///< SYSPLEXPORTS (sysplexports.cpp)
    reassembler reasm;                            ///< IPv4 reassembly (fragments.cpp), sized by options
    std::vector<std::uint8_t> frag;               ///< a fragment of the stack's own packet under construction
    fragmentation_counters fragmented;

    // ------------------------------------------------ setup (stack.cpp)
    void build_interfaces();
    void rebuild_routes();
    void rebuild_addresses();
    int add_xcf_link(int peer);

    // ------------------------------------------------ packet path (ip.cpp, arp.cpp), noexcept
    void lan_frame(bytes frame) noexcept;
    /// The IPv4 packet of the LAN frame being processed (in tx), exactly as it came; null
    /// outside lan_frame(). Only a packet that is still this one is forwarded integrity-only.
    const std::uint8_t* lan_packet = nullptr;
    std::size_t lan_packet_len = 0;
    void app_packet(bytes packet) noexcept;
    void xcf_link_packet(std::string_view from, bytes packet) noexcept;
    void ip_input(std::uint8_t* packet, std::size_t len, int in_iface) noexcept;
    /// @p decapsulated: the inner packet of an SA this stack has just processed (not
    /// subject to the policy's check for packets that came in clear).
    void local_input(std::uint8_t* packet, std::size_t len, int in_iface, dvipa_entry* dvipa,
                     bool decapsulated = false) noexcept;
    /// A packet from the network for the image: denied (SWSACLEAR) when it came in clear
    /// and the image's policy protects it with a dynamic SA (swsa.cpp), else to the image.
    void image_input(const std::uint8_t* packet, std::size_t len, bool decapsulated) noexcept;
    /// Route and send @p packet (at tx+14); @p in_iface -1 when the stack itself originates it.
    void ip_output(std::uint8_t* packet, std::size_t len, int in_iface, bool forwarding) noexcept;
    /// @p how: what XCF does with it on a dynamic XCF link (sealed unless the caller knows
    /// the packet is a LAN input as it came: dist_encap_send).
    void send_on_iface(int iface, std::uint32_t next_hop, std::uint8_t* packet, std::size_t len,
                       link_protection how = link_protection::sealed) noexcept;
    void send_frame(const std::uint8_t* dst_mac, std::uint16_t ethertype, std::uint8_t* frame,
                    std::size_t payload_len) noexcept;
    /// ICMP error about @p original, from @p from (0: the address of @p in_iface).
    void icmp_error(const std::uint8_t* original, std::size_t len, std::uint8_t type, std::uint8_t code,
                    std::uint16_t mtu, int in_iface, std::uint32_t from = 0) noexcept;
    void icmp_echo_reply(const std::uint8_t* request, std::size_t len, int in_iface) noexcept;
    // fragments (fragments.cpp), noexcept
    /// A fragment to a local address the stack must see whole (not the image's kernel).
    bool reasm_wanted(const std::uint8_t* packet, int in_iface, const dvipa_entry* dvipa) noexcept;
    /// Takes @p packet into reassembly: the whole datagram (at tx+14, @p len set) when this
    /// fragment completed it, else nullptr (held, or dropped and counted).
    std::uint8_t* reasm_input(const std::uint8_t* packet, std::size_t& len, int in_iface) noexcept;
    void reasm_tick(std::int64_t now) noexcept;
    /// The stack's own packet (not DF) over @p mtu, sent in fragments (RFC 791 §3.2).
    void fragment_output(int iface, std::uint32_t next_hop, const std::uint8_t* packet, std::size_t len,
                         std::size_t mtu) noexcept;
    const route_entry* lookup(std::uint32_t dst) const noexcept;
    bool is_local(std::uint32_t a) const noexcept;
    dvipa_entry* find_dvipa(std::uint32_t a) noexcept;
    std::uint32_t source_for(int iface) const noexcept;

    void arp_input(const std::uint8_t* arp_packet, std::size_t len) noexcept;
    arp_entry* arp_find(std::uint32_t ip) noexcept;
    void arp_learn(std::uint32_t ip, const std::uint8_t* mac, bool create) noexcept;
    void arp_send(std::uint16_t op, std::uint32_t sender_ip, const std::uint8_t* target_mac,
                  std::uint32_t target_ip) noexcept;
    void arp_queue(std::uint32_t next_hop, int iface, const std::uint8_t* packet, std::size_t len) noexcept;
    void arp_flush(std::uint32_t ip) noexcept;
    void gratuitous_arp(std::uint32_t ip) noexcept;
    void arp_tick(std::int64_t now) noexcept;

    conn_entry* conn_find(std::uint32_t lip, std::uint16_t lport, std::uint32_t rip, std::uint16_t rport) noexcept;
    conn_entry* conn_insert(std::uint32_t lip, std::uint16_t lport, std::uint32_t rip, std::uint16_t rport) noexcept;
    void conn_erase(conn_entry* e) noexcept;
    void conn_track(conn_entry* e, std::uint8_t flags, bool inbound) noexcept;
    std::size_t conn_count(std::uint32_t dvipa) const noexcept;
    std::vector<control::kept_connection> kept_of(std::uint32_t dvipa) const;

    // ------------------------------------------------ sysplex (dvipa.cpp)
    void joined_group();
    void control_message(std::string_view from, bytes message);
    void member_gone(std::string_view member, bool failed);
    void fence();
    void tick();
    void broadcast_state(bool reply_wanted, std::string_view to = {});
    control::state_message my_state(bool reply_wanted) const;
    void on_state(std::string_view from, control::state_message&& m);
    void on_take(std::string_view from, const control::address_message& m);
    void on_give(std::string_view from, const control::address_message& m);
    void finish_initial();
    void evaluate_all();
    void evaluate(dvipa_entry& d, std::string_view gone_from = {});
    void activate(dvipa_entry& d, std::string message);
    void give(dvipa_entry& d, peer_state& to);
    void install_kept(std::uint32_t address);
    void sync_routed(int peer);
    void check_idle();
    void retry_takes(std::int64_t now);
    void note_history(std::uint32_t address, const std::string& tcp, const std::string& sys);
    peer_state* peer_by_member(std::string_view member);
    int peer_index(std::string_view member);
    void listener_added(ipv4_address a, std::uint16_t port, std::string_view job);
    void listener_removed(ipv4_address a, std::uint16_t port);
    void apply_profile(const profile::profile& updated);
    std::vector<std::string> vary_sysplex(const std::string& verb, const std::string& operand);
    std::vector<std::string> leave_group(const std::string& cmd);
    std::vector<std::string> join_group(const std::string& cmd);
    void rebuild_kept_config();
    void add_configured(const profile::dvipa_config& c, bool arrival);
    void say(std::string text);

    // ------------------------------------------------ Sysplex Distributor (distributor.cpp)
    // packet path, noexcept
    bool dist_inbound(std::uint8_t* packet, std::size_t len, dvipa_entry& d) noexcept;
    // SWSA (swsa.cpp)
    void swsa_init();
    /// ESP or AH, or ESP in UDP to port 4500 (RFC 3948: not the non-ESP marker of IKE).
    static bool swsa_is_ipsec(const std::uint8_t* packet, std::size_t len) noexcept;
    bool swsa_owner_inbound(std::uint8_t* packet, std::size_t len, int in_iface, dvipa_entry& d) noexcept;
    /// Full inbound processing under this stack's SA: the inner packet (in sw.buf), or
    /// nullptr when dropped (counted).
    std::uint8_t* swsa_unprotect(std::uint8_t* packet, std::size_t& len) noexcept;
    /// An outbound packet a dynamic filter sends under an SA: protected and sent; false
    /// when no filter asks for it (it goes as it is).
    bool swsa_protect(std::uint8_t* packet, std::size_t len) noexcept;
    void swsa_burst(std::uint32_t packets) noexcept;
    void swsa_distribute(swsa_master& master);
    void swsa_control(std::string_view from, bytes message);
    void swsa_tick();
    /// EZBDVIPA still there? Probed every 250 ms (@p now: at once); a lost structure is
    /// said (ZPX1762E) and connected again as soon as a CF has allocated it anew (ZPX1763I).
    /// True when the connection is usable now.
    bool swsa_cf_check(bool now);
    std::string swsa_install(swsa::sa_distribute_message m);
    /// The EZBDVIPA record of an SA this stack owns (its list and base as installed).
    swsa::sa_record swsa_record_of(const swsa::sa_distribute_message& m) const;
    std::string swsa_delete(const std::string& tunnel, swsa::delete_reason why);
    std::string swsa_retire(const std::string& tunnel, swsa::delete_reason why);
    std::vector<swsa::sa_record> swsa_records(std::string& why);
    std::vector<stack::swsa_usage_row> swsa_usage();
    std::size_t swsa_keys(std::string& out);
    bool swsa_need(const ipsec::spd_selector& sel) noexcept;
    /// True if the image's policy protects clear packet @p p (inbound) with a dynamic SA.
    bool swsa_clear_denied(const std::uint8_t* p, std::size_t len) const noexcept;
    void swsa_newconn_tick();
    void swsa_newconn_queue(std::string_view from, const swsa::newconn_message& m);
    std::vector<swsa::newconn_message> swsa_take_newconns();
    void swsa_policy(std::vector<ipsec::spd_rule> rules);
    std::vector<std::string> swsa_display(bool detail, bool shadows);
    void dist_decap(std::uint8_t* packet, std::size_t len, int in_iface) noexcept;
    bool dist_target_input(std::uint8_t* packet, std::size_t len, dvipa_entry* d) noexcept;
    void dist_target_outbound(const std::uint8_t* packet, std::size_t len) noexcept;
    bool dist_image_to_target(std::uint8_t* packet, std::size_t len) noexcept;
    void dist_forget(conn_entry& e) noexcept;
    int dist_choose(dist_service& s, std::uint32_t client) noexcept;
    bool dist_eligible(const dist_row& r) const noexcept;
    void dist_encap_send(int peer, const std::uint8_t* packet, std::size_t len) noexcept;
    dist_service* dist_service_for(std::uint32_t address, std::uint16_t port) noexcept;
    dist_row* dist_row_for(std::uint32_t address, std::uint16_t port, int peer) noexcept;
    dist_target_entry* dist_target(std::uint32_t address) noexcept;
    // control paths
    void dist_refresh();
    void dist_control(std::string_view from, control::type t, bytes message);
    void dist_on_distribute(std::string_view from, const control::distribute_message& m);
    /// The present peer other than @p except whose claim holds @p address active, or -1.
    int active_claimant(std::uint32_t address, int except) const;
    void dist_on_report(std::string_view from, const control::target_report_message& m);
    void dist_on_connections(std::string_view from, const control::connections_message& m);
    void dist_peer_state(int peer, const std::vector<std::uint32_t>& released = {});
    void dist_member_gone(int peer);
    void dist_tick(std::int64_t now);
    void dist_listener(std::uint32_t address, std::uint16_t port, int delta);
    void dist_report(const dist_target_entry& t);
    void dist_report_all();
    control::distribute_message dist_message(std::uint32_t address) const;
    void dist_retell_unreported();
    void dist_send_connections(const dist_target_entry& t);
    void dist_update_local_rows();
    void dist_recount();
    void dist_hot_standby(dist_service& s) noexcept;
    std::vector<control::target_report_message::port_row> dist_local_ports(std::uint32_t address,
                                                                       const std::vector<control::distribute_message::ports>& ranges) const;
    std::vector<control::dist_role> dist_roles() const;
    std::uint8_t dist_role_of(std::uint32_t address) const;
    std::vector<std::string> dist_vary(const std::string& verb, const std::string& operand);
    void dist_netstat(const std::string& name, const std::string& operand, std::vector<std::string>& out,
                      std::size_t& records);

    // ------------------------------------------------ SYSPLEXPORTS (sysplexports.cpp)
    eport_dvipa* eport_find(std::uint32_t address) noexcept;
    /// Control path: take blocks for the SYSPLEXPORTS DVIPAs this stack now uses, return the others.
    void eport_sync();
    void eport_acquire(eport_dvipa& r);
    void eport_release(eport_dvipa& r);
    void eport_release_all();
    /// A member failed or left: return its blocks of the DVIPAs this stack uses.
    void eport_reclaim(std::string_view member, int peer);
    /// Distributor: a segment to DVIPA:port of a block another stack holds goes to it.
    bool eport_route(std::uint32_t address, std::uint16_t port, const std::uint8_t* packet, std::size_t len) noexcept;
    /// The image's SYN from a SYSPLEXPORTS DVIPA from an ephemeral port outside its blocks.
    bool eport_refuse(const std::uint8_t* packet, std::size_t len) noexcept;
    std::vector<std::string> sysplex_ports();
    std::vector<std::pair<std::uint16_t, std::uint16_t>> eport_ranges() const;

    // ------------------------------------------------ displays (netstat.cpp)
    std::vector<std::string> command(std::string_view text);
    std::vector<std::string> netstat(const std::string& report, const std::string& operand, bool operator_form);
    std::vector<std::string> sysplex_vipadyn();
};

std::string dotted(std::uint32_t a);
std::string vipa_link_name(std::uint32_t a);
/// DISTMETHOD as the displays write it (RoundRobin ...).
const char* method_text(profile::dist_method m);

}  // namespace zplex::tcpip::stack
