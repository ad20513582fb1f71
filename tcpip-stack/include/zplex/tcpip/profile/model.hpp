// SPDX-License-Identifier: Apache-2.0
// The typed configuration model a TCP/IP PROFILE parses into: no strings to re-parse later.
#pragma once

#include <zplex/tcpip/profile/ipv4.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zplex::tcpip::profile {

/// Where a statement came from, for displays and for conflict messages.
struct source_ref {
    std::string dataset;   ///< 'SYS1.TCPPARMS(PROFMVS1)' or a file path
    int line = 0;          ///< 1-based
    int column = 0;        ///< 1-based
};

// ---------------------------------------------------------------- VIPADYNAMIC

enum class moveable_mode : std::uint8_t { immediate, whenidle };
enum class vipa_origin : std::uint8_t { define, backup };

/// One DVIPA configured on this stack by VIPADEFINE or VIPABACKUP.
/// z/OS IP Config Ref: VIPADEFINE, VIPABACKUP.
struct dvipa_config {
    ipv4_address address;
    std::uint8_t prefix_len = 32;      ///< from the address_mask
    bool mask_given = false;           ///< VIPABACKUP: false unless the second form carries a mask
    vipa_origin origin = vipa_origin::define;
    moveable_mode moveable = moveable_mode::immediate;
    std::uint8_t rank = 0;             ///< VIPABACKUP rank 1..254 (higher takes over first); 0 for VIPADEFINE
    bool service_mgr = false;
    source_ref where;
};

enum class dist_method : std::uint8_t { basewlm, roundrobin, serverwlm, weightedactive, hotstandby };

enum class target_role : std::uint8_t { normal, preferred, backup };

/// One DESTIP entry of a VIPADISTRIBUTE. @p A is ipv4_address, or std::string for an
/// IPv6 distribution (the target's IPv6 dynamic XCF address, normalised text).
template <class A>
struct basic_dist_target {
    A xcf{};                           ///< the target stack's dynamic XCF address
    std::uint8_t weight = 0;           ///< WEIGHTEDACTIVE weight (1..99), 0 when not given
    target_role role = target_role::normal;
    std::uint8_t backup_rank = 0;      ///< HOTSTANDBY BACKUP rank 1..254
    friend bool operator==(const basic_dist_target&, const basic_dist_target&) = default;
};
using dist_target = basic_dist_target<ipv4_address>;
using dist_target6 = basic_dist_target<std::string>;

struct port_range {
    std::uint16_t low = 0;
    std::uint16_t high = 0;            ///< == low for a single port
    bool contains(std::uint16_t p) const noexcept { return p >= low && p <= high; }
    friend bool operator==(const port_range&, const port_range&) = default;
};

/// Distribution of one DVIPA on one port (range). A VIPADISTRIBUTE with several
/// ports yields one entry per port, as the VDPT shows them. @p K names the DVIPA:
/// its IPv4 address, or for IPv6 the interface name of its VIPADEFINE/VIPABACKUP.
template <class K, class A>
struct basic_distribution {
    K address{};
    std::optional<port_range> port;    ///< nullopt: all ports (no PORT keyword)
    dist_method method = dist_method::basewlm;
    bool dest_all = false;             ///< DESTIP ALL
    std::vector<basic_dist_target<A>> targets;  ///< empty when dest_all
    bool sysplex_ports = false;
    std::uint32_t timed_affinity = 0;  ///< seconds, 0 = none
    std::optional<std::uint8_t> optlocal;  ///< OPTLOCAL value (0..16); nullopt = NOOPTLOCAL
    bool auto_switchback = true;       ///< HOTSTANDBY only
    bool health_switch = true;         ///< HOTSTANDBY only
    source_ref where;
};
using distribution_config = basic_distribution<ipv4_address, ipv4_address>;
/// IPv6: `address` is the DVIPA's interface name, targets are IPv6 dynamic XCF addresses.
using distribution6_config = basic_distribution<std::string, std::string>;

/// VIPARANGE: where applications may create DVIPAs by BIND or SIOCSVIPA.
struct vipa_range_config {
    ipv4_address address;
    std::uint8_t prefix_len = 32;
    bool nondisruptive = true;
    std::string saf_resource;          ///< empty when no SAF keyword
    source_ref where;
    bool zcx = false;                  ///< ZCX: DVIPAs for z/OS Container Extensions (V2R4)
};

/// VIPAROUTE: forward to a target over IP instead of the dynamic XCF link.
struct vipa_route_config {
    ipv4_address xcf;                  ///< target's dynamic XCF address
    ipv4_address target;               ///< address to send the GRE packets to
    source_ref where;
};

// ---------------------------------------------------------------- IPCONFIG

struct dynamic_xcf_config {
    ipv4_address address;
    std::uint8_t prefix_len = 24;
    std::uint8_t cost = 1;             ///< 1..16
    std::uint8_t secclass = 255;
};

enum class multipath_mode : std::uint8_t { none, perconnection, perpacket };

struct ipconfig_config {
    bool datagram_fwd = true;          ///< DATAGRAMFWD is the z/OS default
    bool sysplex_routing = false;
    bool ipsecurity = false;
    bool source_vipa = false;
    bool ignore_redirect = false;
    bool path_mtu_discovery = false;
    multipath_mode multipath = multipath_mode::none;
    std::optional<dynamic_xcf_config> dynamic_xcf;
    std::optional<ipv4_address> tcpstack_source_vipa;
    std::uint32_t arp_timeout = 1200;  ///< ARPTO seconds
    std::uint8_t ttl = 64;
    std::uint16_t dev_retry_duration = 90;
    bool format_long = true;
};

/// IPCONFIG6 (processed into the model; there is no IPv6 data path).
struct ipconfig6_config {
    bool present = false;              ///< an IPCONFIG6 statement was processed
    bool datagram_fwd = true;
    std::uint8_t hop_limit = 255;
    std::uint8_t icmp_error_limit = 3; ///< ICMPERRORLIMIT per second, 1-20
    bool ignore_router_hop_limit = false;
    bool ipsecurity = false;
    std::uint8_t osm_secclass = 255;
    multipath_mode multipath = multipath_mode::none;
    bool source_vipa = false;
    std::string tcpstack_source_vipa;  ///< a VIRTUAL6 interface name, empty: none
    bool temp_addrs = false;
    std::uint32_t pref_lifetime_hours = 24;
    std::uint32_t valid_lifetime_hours = 168;
    std::string dynamic_xcf;           ///< IPv6 dynamic XCF address, empty: none
    std::string dynamic_xcf_intfid;
};

/// An IPv6 DVIPA: VIPADEFINE/VIPABACKUP intf_name ipv6_address.
struct dvipa6_config {
    std::string interface;
    std::string address;               ///< normalised upper-case text
    vipa_origin origin = vipa_origin::define;
    moveable_mode moveable = moveable_mode::immediate;
    std::uint8_t rank = 0;
    bool service_mgr = false;
    source_ref where;
};

/// An IPv6 VIPARANGE: intf_name prefix/len.
struct vipa_range6_config {
    std::string interface;
    std::string prefix;                ///< normalised, with /len
    bool nondisruptive = true;
    std::string saf_resource;
    source_ref where;
};

// ---------------------------------------------------------------- GLOBALCONFIG

struct sysplex_monitor_config {
    std::uint16_t timer_secs = 60;
    bool recovery = false;
    bool delay_join = false;
    bool auto_rejoin = false;
    bool mon_interface = false;
    bool dyn_route = false;
};

struct globalconfig_config {
    std::optional<std::uint8_t> xcf_group_id;   ///< tt of EZBTvvtt, 2..31
    std::optional<std::uint8_t> vtam_group_id;  ///< vv, 2..31 (default 01 when tt is set)
    sysplex_monitor_config sysplex_monitor;

    /// The XCF group the stack joins: EZBTCPCS, or EZBTvvtt.
    std::string xcf_group() const;
    /// A CF structure name with the group suffix: EZBDVIPA or EZBDVIPAvvtt.
    std::string structure_name(const std::string& base) const;
};

// ---------------------------------------------------------------- IPSEC

/// An IPSECRULE address: `*`, an address, address/prefix, or low-high.
struct ip_filter_address {
    enum class kind : std::uint8_t { any, single, prefix, range } type = kind::any;
    ipv4_address low;                  ///< the address, or the first of the range/prefix
    ipv4_address high;                 ///< last address covered
    std::uint8_t prefix_len = 32;
    bool matches(ipv4_address a) const noexcept { return type == kind::any || (a >= low && a <= high); }
};

/// An IPSEC6RULE address: `*`, an address, address/prefix, or low-high (16 bytes, network order).
struct ip_filter_address6 {
    using bytes = std::array<std::uint8_t, 16>;
    ip_filter_address::kind type = ip_filter_address::kind::any;
    bytes low{};                       ///< the address, or the first of the range/prefix
    bytes high{};                      ///< last address covered
    std::uint8_t prefix_len = 128;
    std::string text = "*";            ///< normalised upper-case text, as displays print it
    bool matches(const bytes& a) const noexcept {
        return type == ip_filter_address::kind::any || (a >= low && a <= high);
    }
};

enum class filter_routing : std::uint8_t { local, routed, either };
enum class filter_direction : std::uint8_t { bidirectional, inbound, outbound, inbconnect, outbconnect };

/// What IPSECRULE and IPSEC6RULE share after their two addresses.
struct ip_filter_options {
    bool log = false;
    std::optional<std::uint8_t> protocol;       ///< nullopt: PROTOCOL * (any)
    std::optional<port_range> source_ports;     ///< TCP/UDP
    std::optional<port_range> dest_ports;       ///< TCP/UDP
    std::optional<std::uint8_t> icmp_type;      ///< ICMP (IPv4), ICMPV6 (IPv6) or OSPF TYPE
    std::optional<std::uint8_t> icmp_code;      ///< ICMP/ICMPV6 CODE
    filter_routing routing = filter_routing::local;
    bool fragments_only = false;
    std::uint8_t secclass = 0;
    filter_direction direction = filter_direction::bidirectional;
    source_ref where;
};

/// IPSECRULE (A = ip_filter_address) or IPSEC6RULE (A = ip_filter_address6).
template <class A>
struct basic_ipsec_rule : ip_filter_options {
    A source;
    A destination;
};
using ipsec_rule_config = basic_ipsec_rule<ip_filter_address>;
using ipsec6_rule_config = basic_ipsec_rule<ip_filter_address6>;

struct ipsec_config {
    bool present = false;              ///< an IPSEC block was processed
    bool dvipsec = false;              ///< sysplex-wide security associations
    bool dvlocalfltr = false;
    bool log_enable = false;
    bool log_implicit = false;
    std::vector<ipsec_rule_config> rules;
    std::vector<ipsec6_rule_config> rules6;  ///< IPSEC6RULE, kept only with IPCONFIG6 IPSECURITY
    source_ref where;
};

// ---------------------------------------------------------------- devices, links, interfaces

/// DEVICE types of V2R5 (IP Configuration Reference, DEVICE and LINK statements).
/// New values are added at the end.
enum class device_type : std::uint8_t { virtual_device, mpcipa, mpcptp, ctc, lcs, samehost };

/// MPCIPA router role (PRIROUTER/SECROUTER/NONROUTER).
enum class router_role : std::uint8_t { nonrouter, prirouter, secrouter };

struct device_config {
    std::string name;
    device_type type = device_type::virtual_device;
    std::uint16_t device_number = 0;   ///< CTC/LCS device number
    bool autorestart = false;
    source_ref where;
    router_role router = router_role::nonrouter;  ///< MPCIPA
    std::uint32_t iobuffer_size = 0;   ///< CTC IOBUFFERSIZE, 0: default
    std::string task_name;             ///< SAMEHOST: the application's address space, may be empty
    /// MPCIPA device whose name is IUTIQDxx (HiperSockets, CHPID xx) or IUTIQDIO.
    bool hipersockets() const { return type == device_type::mpcipa && name.starts_with("IUTIQD"); }
    /// MPCPTP device IUTSAMEH: the same-host path between stacks of one image.
    bool samehost_mpcptp() const { return type == device_type::mpcptp && name == "IUTSAMEH"; }
};

/// LINK types of V2R5. New values are added at the end.
enum class link_type : std::uint8_t { virtual_link, ipaqenet, mpcptp, ctc, ethernet, ipaqidio, samehost };

/// INBPERF values of OSA-Express QDIO links and interfaces.
enum class inbound_perf : std::uint8_t { balanced, dynamic, mincpu, minlatency };
/// READSTORAGE values.
enum class read_storage : std::uint8_t { global, max, avg, min };

struct link_config {
    std::string name;
    link_type type = link_type::virtual_link;
    std::string device;                ///< DEVICE name (or OSA port name for IPAQENET)
    std::uint16_t vlan_id = 0;
    source_ref where;
    std::uint8_t adapter = 0;          ///< CTC adapter 0-1, LCS adapter number
    std::uint32_t ifspeed = 0;         ///< IFSPEED bits/s, 0 when not given
    std::uint64_t ifhspeed = 0;        ///< IFHSPEED Mbit/s, 0 when not given
    bool checksum = true;              ///< NOCHECKSUM turns it off (CTC/LCS)
    std::uint8_t secclass = 255;       ///< SECCLASS 1-255
    bool monsysplex = false;           ///< MONSYSPLEX
    bool ipbcast = false;              ///< IPBCAST
    bool vmac = false;
    std::string vmac_address;          ///< 12 hex digits, empty: generated
    bool vmac_routeall = true;         ///< ROUTEALL (default) or ROUTELCL
    inbound_perf inbperf = inbound_perf::balanced;
    bool workloadq = false;
    read_storage readstorage = read_storage::global;
    bool isolate = false;
    bool olm = false;
    bool dynvlanreg = false;
};

/// INTERFACE types of V2R5. New values are added at the end.
enum class interface_type : std::uint8_t {
    ipaqenet, virtual_interface, ipaqidio, ipaqenet6, ipaqidio6, virtual6, mpcptp6
};

/// INTERFACE name DEFINE type ... (IPv4 and IPv6 forms).
struct interface_config {
    std::string name;
    interface_type type = interface_type::ipaqenet;
    std::string port_name;
    ipv4_address address;
    std::uint8_t prefix_len = 32;
    std::uint16_t mtu = 0;             ///< 0: device default
    std::uint16_t vlan_id = 0;
    bool vmac = false;
    source_ref where;
    std::optional<std::uint8_t> chpid; ///< IPAQIDIO/IPAQIDIO6 CHPID (hex 00-FF); OSX/OSD for IPAQENET
    std::string chpid_type;            ///< IPAQENET CHPIDTYPE OSD or OSX
    std::string vmac_address;
    bool vmac_routeall = true;
    router_role router = router_role::nonrouter;
    std::uint8_t secclass = 255;
    bool monsysplex = false;
    bool ipbcast = false;
    bool isolate = false;
    bool olm = false;
    bool optlan = false;
    bool dynvlanreg = false;
    bool temp_prefix_all = false;      ///< IPv6 TEMPPREFIX ALL
    inbound_perf inbperf = inbound_perf::balanced;
    bool workloadq = false;
    read_storage readstorage = read_storage::global;
    std::string source_vipa_interface; ///< SOURCEVIPAINTERFACE
    std::string trle;                  ///< MPCPTP6 TRLE name
    std::string intfid;                ///< IPv6 INTFID (text as written, folded)
    std::vector<std::string> ipv6_addresses;  ///< IPv6 IPADDR entries, normalised text (prefix/len kept)
    bool is_ipv6() const {
        return type == interface_type::ipaqenet6 || type == interface_type::ipaqidio6 ||
               type == interface_type::virtual6 || type == interface_type::mpcptp6;
    }
};

struct home_entry {
    ipv4_address address;
    std::string link;
    source_ref where;
};

struct route_config {
    bool is_default = false;
    ipv4_address destination;
    std::uint8_t prefix_len = 0;
    std::optional<ipv4_address> gateway;  ///< nullopt: `=` (directly attached)
    std::string link;
    std::uint16_t mtu = 0;             ///< 0: DEFAULTSIZE
    bool replaceable = false;
    source_ref where;
};

// ---------------------------------------------------------------- PORT, AUTOLOG, TCP/UDP

enum class transport : std::uint8_t { tcp, udp };

struct port_reservation {
    std::uint16_t port = 0;
    transport protocol = transport::tcp;
    std::string job_name;              ///< job name, `*`, OMVS or RESERVED
    bool no_autolog = false;
    bool shareport = false;
    bool shareport_wlm = false;
    std::optional<ipv4_address> bind;
    std::string saf;
    source_ref where;
};

struct autolog_entry {
    std::string proc;
    std::string job_name;
    std::string parm_string;           ///< mixed case kept
    source_ref where;
};

struct tcpconfig_config {
    std::uint32_t send_buffer = 65536;
    std::uint32_t recv_buffer = 65536;
    bool unrestrict_low_ports = false;
    bool delay_acks = true;
    bool nagle = true;
    std::uint16_t finwait2_time = 600;
};

struct udpconfig_config {
    std::uint32_t send_buffer = 65535;
    std::uint32_t recv_buffer = 65535;
    bool checksum = true;
    bool unrestrict_low_ports = false;
};

// ---------------------------------------------------------------- the whole profile

/// A statement the emulator recognises but does not act on (reported as a warning).
struct unemulated_statement {
    std::string statement;
    source_ref where;
};

/// The running configuration of one stack: what the initial profile set up and
/// what OBEYFILEs changed since.
struct profile {
    ipconfig_config ipconfig;
    globalconfig_config globalconfig;
    tcpconfig_config tcpconfig;
    udpconfig_config udpconfig;
    ipsec_config ipsec;

    std::vector<dvipa_config> dvipas;                 ///< VIPADEFINE/VIPABACKUP, in profile order
    std::vector<distribution_config> distributions;   ///< one per DVIPA and port
    std::vector<vipa_range_config> vipa_ranges;
    std::vector<vipa_route_config> vipa_routes;

    std::vector<device_config> devices;
    std::vector<link_config> links;
    std::vector<interface_config> interfaces;
    std::vector<home_entry> home;
    std::vector<route_config> routes;
    std::vector<std::string> started;                 ///< START device/interface names, in order

    std::vector<port_reservation> ports;
    std::vector<autolog_entry> autolog;

    std::vector<unemulated_statement> unemulated;     ///< recognised, not emulated

    ipconfig6_config ipconfig6;
    std::vector<dvipa6_config> dvipas6;               ///< IPv6 VIPADEFINE/VIPABACKUP
    std::vector<vipa_range6_config> vipa_ranges6;
    std::vector<distribution6_config> distributions6; ///< IPv6 VIPADISTRIBUTE, one per DVIPA and port

    const dvipa_config* find_dvipa(ipv4_address a) const;
    const device_config* find_device(std::string_view name) const;
    const link_config* find_link(std::string_view name) const;
    const interface_config* find_interface(std::string_view name) const;
    /// Distributions of one DVIPA, in profile order.
    std::vector<const distribution_config*> distributions_of(ipv4_address a) const;
    const dvipa6_config* find_dvipa6(std::string_view interface) const;
    /// IPv6 distributions of the DVIPA with that interface name, in profile order.
    std::vector<const distribution6_config*> distributions6_of(std::string_view interface) const;
};

const char* to_string(dist_method m);
const char* to_string(moveable_mode m);
const char* to_string(vipa_origin o);
const char* to_string(filter_direction d);
const char* to_string(filter_routing r);

}  // namespace zplex::tcpip::profile
