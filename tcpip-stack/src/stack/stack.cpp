// SPDX-License-Identifier: Apache-2.0
// The stack core: building the interfaces and routes from the profile, the public face.
#include "stack_impl.hpp"

#include "wire.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace zplex::tcpip::stack {

const char* to_string(dvipa_status s) noexcept {
    switch (s) {
    case dvipa_status::active: return "Active";
    case dvipa_status::backup: return "Backup";
    case dvipa_status::moving: return "Moving";
    case dvipa_status::quiescing: return "Quiescing";
    case dvipa_status::deactivated: return "Deactivated";
    }
    return "?";
}

std::string dotted(std::uint32_t a) { return ipv4_address{a}.str(); }

std::string vipa_link_name(std::uint32_t a) {
    return fmt::format("VIPL{:08X}", a);
}

namespace {
std::uint32_t mask_of(std::uint8_t prefix) { return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix); }
}  // namespace

stack::impl::impl(const profile::profile& c, identity who, ports p, options s)
    : config(c), me(std::move(who)), io(p), sizes(s),
      reasm({s.reassembly_datagrams, s.reassembly_max_size, s.reassembly_timeout_ms}) {
    if (!io.lan || !io.app || !io.links || !io.sysplex || !io.time) {
        throw std::invalid_argument("stack: every port and the clock must be given");
    }
    if (me.member.empty()) me.member = me.sysname + me.tcpname;
    group = config.globalconfig.xcf_group();
    std::size_t n = 16;
    while (n < sizes.connections) n <<= 1;
    conns.resize(n);
    arp.resize(std::max<std::size_t>(sizes.arp_entries, 4));
    pending.resize(std::max<std::size_t>(sizes.pending_packets, 1));
    for (auto& p2 : pending) p2.data.resize(wire::eth_header + 65535);
    tx.resize(wire::eth_header + 65535);
    icmp.resize(wire::eth_header + 65535);
    frag.resize(wire::eth_header + 65535);
    if (config.ipconfig.dynamic_xcf) {
        xcf_address = config.ipconfig.dynamic_xcf->address.value;
        xcf_prefix = config.ipconfig.dynamic_xcf->prefix_len;
    }
    build_interfaces();
    for (const auto& d : config.dvipas) add_configured(d, false);
    rebuild_addresses();
    rebuild_routes();
}

void stack::impl::build_interfaces() {
    int order = 0;
    for (const auto& i : config.interfaces) {
        if (i.type != profile::interface_type::ipaqenet) continue;
        interface_state s;
        s.name = i.name;
        s.device = i.port_name;
        s.kind = iface_kind::osa;
        s.address = i.address.value;
        s.prefix_len = i.prefix_len;
        s.mtu = i.mtu ? i.mtu : 1492;
        s.ready = std::find(config.started.begin(), config.started.end(), i.name) != config.started.end();
        s.order = order++;
        if (osa < 0) osa = static_cast<int>(interfaces.size());
        interfaces.push_back(std::move(s));
    }
    if (osa < 0) throw std::invalid_argument("stack: the profile defines no IPAQENET interface for the LAN");
    for (const auto& h : config.home) {
        const auto* l = config.find_link(h.link);
        if (!l || l->type != profile::link_type::virtual_link) continue;
        interface_state s;
        s.name = l->name;
        s.device = l->device;
        s.kind = iface_kind::vipa;
        s.address = h.address.value;
        s.mtu = 65535;
        s.order = order++;
        interfaces.push_back(std::move(s));
    }
    interface_state lo;
    lo.name = "LOOPBACK";
    lo.device = "LOOPBACK";
    lo.kind = iface_kind::loopback;
    lo.address = 0x7F000001;
    lo.prefix_len = 8;
    lo.mtu = 65535;
    lo.order = 1 << 20;
    loopback = static_cast<int>(interfaces.size());
    interfaces.push_back(std::move(lo));
}

int stack::impl::add_xcf_link(int peer) {
    auto& p = peers[static_cast<std::size_t>(peer)];
    if (p.link >= 0) return p.link;
    interface_state s;
    s.name = "EZAXCF" + p.sysclone;
    s.device = p.sysname;
    s.kind = iface_kind::xcf;
    s.address = xcf_address;
    s.prefix_len = xcf_prefix;
    s.mtu = 65535;
    s.peer = peer;
    s.order = 1 << 19;
    p.link = static_cast<int>(interfaces.size());
    interfaces.push_back(std::move(s));
    return p.link;
}

void stack::impl::rebuild_addresses() {
    local_addresses.clear();
    arp_addresses.clear();
    for (const auto& i : interfaces) {
        if (i.kind == iface_kind::xcf) continue;
        local_addresses.push_back(i.address);
        if (i.kind == iface_kind::osa || i.kind == iface_kind::vipa) arp_addresses.push_back(i.address);
    }
    if (xcf_address && in_group) local_addresses.push_back(xcf_address);
    for (const auto& d : dvipas) {
        if (d.status == dvipa_status::active) {
            local_addresses.push_back(d.address);
            arp_addresses.push_back(d.address);
        } else if (d.status == dvipa_status::moving || d.status == dvipa_status::quiescing) {
            local_addresses.push_back(d.address);  // kept connections end here; not advertised
        }
    }
    for (const auto& t : sd.targets)  // target DVIPAs: in HOME, never in ARP
        if (!is_local(t.address)) local_addresses.push_back(t.address);
    dist_refresh();
}

void stack::impl::rebuild_routes() {
    routes.clear();
    auto iface_named = [&](const std::string& n) -> int {
        for (std::size_t i = 0; i < interfaces.size(); ++i)
            if (interfaces[i].name == n) return static_cast<int>(i);
        return -1;
    };
    auto host = [&](std::uint32_t a, int iface, bool dv) {
        route_entry r;
        r.destination = a;
        r.prefix_len = 32;
        r.iface = iface;
        r.host = true;
        r.dvipa = dv;
        routes.push_back(r);
    };
    // Dynamic XCF host routes to the other stacks and to the DVIPAs they hold.
    for (std::size_t p = 0; p < peers.size(); ++p) {
        const auto& ps = peers[p];
        if (!ps.present || ps.link < 0) continue;
        if (ps.xcf_address) host(ps.xcf_address, ps.link, false);
        for (const auto& c : ps.claims)
            if (c.status == static_cast<std::uint8_t>(dvipa_status::active)) host(c.address, ps.link, true);
    }
    for (const auto& r : config.routes) {
        route_entry e;
        e.is_default = r.is_default;
        e.destination = r.is_default ? 0 : r.destination.value & mask_of(r.prefix_len);
        e.prefix_len = r.is_default ? 0 : r.prefix_len;
        e.gateway = r.gateway ? r.gateway->value : 0;
        e.iface = iface_named(r.link);
        e.is_static = true;
        e.mtu = r.mtu;
        e.host = e.prefix_len == 32;
        if (e.iface >= 0) routes.push_back(e);
    }
    // The subnet of each OSA interface, unless BEGINROUTES gave it.
    for (std::size_t i = 0; i < interfaces.size(); ++i) {
        const auto& s = interfaces[i];
        if (s.kind != iface_kind::osa) continue;
        std::uint32_t net = s.address & mask_of(s.prefix_len);
        bool have = std::any_of(routes.begin(), routes.end(), [&](const route_entry& r) {
            return r.destination == net && r.prefix_len == s.prefix_len && !r.is_default;
        });
        if (!have) {
            route_entry e;
            e.destination = net;
            e.prefix_len = s.prefix_len;
            e.iface = static_cast<int>(i);
            routes.push_back(e);
        }
    }
    std::stable_sort(routes.begin(), routes.end(),
                     [](const route_entry& a, const route_entry& b) { return a.prefix_len > b.prefix_len; });
}

bool stack::impl::is_local(std::uint32_t a) const noexcept {
    return std::find(local_addresses.begin(), local_addresses.end(), a) != local_addresses.end();
}

dvipa_entry* stack::impl::find_dvipa(std::uint32_t a) noexcept {
    for (auto& d : dvipas)
        if (d.address == a) return &d;
    return nullptr;
}

const route_entry* stack::impl::lookup(std::uint32_t dst) const noexcept {
    for (const auto& r : routes) {
        if ((dst & mask_of(r.prefix_len)) != r.destination) continue;
        const auto& i = interfaces[static_cast<std::size_t>(r.iface)];
        if (!i.ready) continue;
        if (i.kind == iface_kind::xcf && (i.peer < 0 || !peers[static_cast<std::size_t>(i.peer)].present)) continue;
        return &r;
    }
    return nullptr;
}

std::uint32_t stack::impl::source_for(int iface) const noexcept {
    if (iface >= 0) return interfaces[static_cast<std::size_t>(iface)].address;
    return interfaces[static_cast<std::size_t>(osa)].address;
}

void stack::impl::say(std::string text) { messages.push_back(std::move(text)); }

// ---------------------------------------------------------------- the public face

stack::stack(std::unique_ptr<impl> p) : _impl(std::move(p)) {}
stack::~stack() = default;

std::unique_ptr<stack> stack::create(const profile::profile& config, identity who, ports io, options sizes) {
    return std::unique_ptr<stack>(new stack(std::make_unique<impl>(config, std::move(who), io, sizes)));
}

void stack::lan_frame(bytes frame) noexcept { _impl->lan_frame(frame); }
void stack::app_packet(bytes packet) noexcept { _impl->app_packet(packet); }
void stack::app_burst(std::uint32_t packets) noexcept { _impl->swsa_burst(packets); }
void stack::xcf_link_packet(std::string_view from, bytes packet) noexcept { _impl->xcf_link_packet(from, packet); }
std::vector<std::pair<std::uint16_t, std::uint16_t>> stack::ephemeral_ranges() const { return _impl->eport_ranges(); }
std::uint64_t stack::ephemeral_generation() const noexcept { return _impl->ep.generation; }
void stack::release_ephemeral_ports() { _impl->eport_release_all(); }
void stack::joined_group() { _impl->joined_group(); }
void stack::control_message(std::string_view from, bytes message) { _impl->control_message(from, message); }
void stack::member_joined(std::string_view member) {
    // The newcomer asks for our state; telling it at once also heals a partition.
    _impl->broadcast_state(false, member);
}
void stack::member_left(std::string_view member) { _impl->member_gone(member, false); }
void stack::member_failed(std::string_view member) { _impl->member_gone(member, true); }
void stack::fence() { _impl->fence(); }
bool stack::fenced() const noexcept { return _impl->is_fenced; }
void stack::tick() { _impl->tick(); }
void stack::image_load(std::uint8_t busy_percent) {
    _impl->sd.busy = busy_percent > 100 ? 100 : busy_percent;
    _impl->dist_update_local_rows();
    _impl->dist_report_all();
}
void stack::listener_added(profile::ipv4_address a, std::uint16_t port, std::string_view job) {
    _impl->listener_added(a, port, job);
}
void stack::listener_removed(profile::ipv4_address a, std::uint16_t port) { _impl->listener_removed(a, port); }
std::vector<std::string> stack::command(std::string_view text) { return _impl->command(text); }
std::string stack::swsa_install(swsa::sa_distribute_message sa) { return _impl->swsa_install(std::move(sa)); }
std::vector<swsa::sa_record> stack::swsa_records(std::string& why) { return _impl->swsa_records(why); }
std::vector<stack::swsa_usage_row> stack::swsa_usage() { return _impl->swsa_usage(); }
std::size_t stack::swsa_keys(std::string& out) { return _impl->swsa_keys(out); }
std::vector<swsa::newconn_message> stack::swsa_take_newconns() { return _impl->swsa_take_newconns(); }
void stack::swsa_policy(std::vector<ipsec::spd_rule> rules) { _impl->swsa_policy(std::move(rules)); }
std::string stack::swsa_delete(const std::string& tunnel, swsa::delete_reason why) {
    return _impl->swsa_delete(tunnel, why);
}
void stack::apply_profile(const profile::profile& updated) { _impl->apply_profile(updated); }
std::vector<std::string> stack::take_messages() {
    std::vector<std::string> out;
    out.swap(_impl->messages);
    return out;
}
const drop_counters& stack::drops() const noexcept { return _impl->drops; }
const identity& stack::who() const noexcept { return _impl->me; }

std::vector<profile::ipv4_address> stack::target_dvipas() const {
    std::vector<profile::ipv4_address> out;
    for (const auto& t : _impl->sd.targets) out.push_back(ipv4_address{t.address});
    return out;
}

void stack::image_dvipas(std::vector<std::uint32_t>& out) const {
    out.clear();
    for (const auto& d : _impl->dvipas)
        if (d.status == dvipa_status::active || d.status == dvipa_status::moving || d.status == dvipa_status::quiescing)
            out.push_back(d.address);
    for (const auto& t : _impl->sd.targets) out.push_back(t.address);
}

std::vector<dvipa_view> stack::dvipas() const {
    std::vector<dvipa_view> out;
    for (const auto& d : _impl->dvipas) {
        out.push_back(dvipa_view{ipv4_address{d.address}, d.prefix_len, d.status, d.origin, d.rank,
                                 _impl->conn_count(d.address)});
    }
    return out;
}

}  // namespace zplex::tcpip::stack
