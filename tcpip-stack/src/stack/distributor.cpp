// SPDX-License-Identifier: Apache-2.0
// The Sysplex Distributor (docs/distributor.md).
//
// Distributor: the stack where a DVIPA with VIPADISTRIBUTE is active tells each target
// (DESTIP XCF addresses, or ALL) "distribute" for it. A SYN to DVIPA:port picks a target
// by DISTMETHOD; the connection routing table (the stack's connection table, kind
// routed/local) pins the connection; its inbound packets go to the target inside an
// IPv4-in-IPv4 header over the dynamic XCF link (outer source: the distributor's XCF
// address). The distributor's own image serves the connections it picks itself for.
//
// Target: holds the DVIPA in HOME without answering ARP for it, records the distributor
// per DVIPA (member and XCF address, replaced on every takeover), accepts distributed
// packets only from that distributor's link, replies straight to the LAN, and reports
// its ready count and weights, the connections that ended, and, when a new distributor
// asks, every connection it serves: that rebuilds the table after a takeover.
//
// This file is the packet path; distributor_control.cpp the control messages, the
// reports, the timers, VARY and the NETSTAT displays.
#include "stack_impl.hpp"

#include "distributor_weights.hpp"
#include "wire.hpp"

#include <algorithm>

namespace zplex::tcpip::stack {

namespace {

/// How long at most a new distributor waits for its targets' connection lists before a
/// segment of an unknown connection goes to its own image (which resets it).
constexpr std::int64_t rebuild_window_ms = 3000;

bool tcp_new(std::uint8_t flags) noexcept { return (flags & wire::tcp_syn) && !(flags & wire::tcp_ack); }

}  // namespace

// ---------------------------------------------------------------- lookups (packet path)

dist_service* stack::impl::dist_service_for(std::uint32_t address, std::uint16_t port) noexcept {
    dist_service* any = nullptr;
    for (auto& s : sd.services) {
        if (s.address != address) continue;
        if (s.port == port) return &s;
        if (s.port == 0) any = &s;
    }
    return any;
}

dist_row* stack::impl::dist_row_for(std::uint32_t address, std::uint16_t port, int peer) noexcept {
    dist_service* s = dist_service_for(address, port);
    if (!s) return nullptr;
    for (auto& r : s->rows)
        if (r.peer == peer) return &r;
    return nullptr;
}

dist_target_entry* stack::impl::dist_target(std::uint32_t address) noexcept {
    for (auto& t : sd.targets)
        if (t.address == address) return &t;
    return nullptr;
}

bool stack::impl::dist_eligible(const dist_row& r) const noexcept {
    if (r.ready == 0) return false;
    if (r.peer < 0) return true;
    const auto& p = peers[static_cast<std::size_t>(r.peer)];
    return p.present && p.link >= 0;
}

// ---------------------------------------------------------------- the decision (packet path)

void stack::impl::dist_hot_standby(dist_service& s) noexcept {
    auto healthy = [&](int i) {
        const auto& r = s.rows[static_cast<std::size_t>(i)];
        return dist_eligible(r) && (!s.cfg.health_switch || r.responsive);
    };
    int preferred = -1;
    for (std::size_t i = 0; i < s.rows.size(); ++i)
        if (s.rows[i].cfg.role == profile::target_role::preferred) preferred = static_cast<int>(i);
    if (s.hot >= 0 && static_cast<std::size_t>(s.hot) < s.rows.size() && healthy(s.hot)) {
        if (s.cfg.auto_switchback && preferred >= 0 && s.hot != preferred && healthy(preferred)) s.hot = preferred;
        return;
    }
    s.hot = -1;
    if (preferred >= 0 && healthy(preferred)) {
        s.hot = preferred;
        return;
    }
    for (std::size_t i = 0; i < s.rows.size(); ++i) {
        if (!healthy(static_cast<int>(i)) || s.rows[i].cfg.role == profile::target_role::preferred) continue;
        if (s.hot < 0 || s.rows[i].cfg.backup_rank > s.rows[static_cast<std::size_t>(s.hot)].cfg.backup_rank)
            s.hot = static_cast<int>(i);
    }
}

int stack::impl::dist_choose(dist_service& s, std::uint32_t client) noexcept {
    const std::size_t n = s.rows.size();
    if (n == 0) return -1;
    if (s.cfg.timed_affinity) {
        conn_entry* a = conn_find(s.address, s.port, client, 0);
        if (a && a->dist == conn_dist::affinity) {
            for (std::size_t i = 0; i < n; ++i)
                if (s.rows[i].peer == a->peer && dist_eligible(s.rows[i])) return static_cast<int>(i);
        }
    }
    auto round_robin = [&]() -> int {
        for (std::size_t k = 0; k < n; ++k) {
            std::size_t i = (s.rr + k) % n;
            if (dist_eligible(s.rows[i])) {
                s.rr = i + 1;
                return static_cast<int>(i);
            }
        }
        return -1;
    };
    switch (s.cfg.method) {
    case profile::dist_method::roundrobin: return round_robin();
    case profile::dist_method::hotstandby:
        dist_hot_standby(s);
        return s.hot;
    case profile::dist_method::weightedactive: {
        // The target whose active connections are furthest below its share: min (active+1)/weight.
        int best = -1;
        for (std::size_t i = 0; i < n; ++i) {
            const auto& r = s.rows[i];
            if (!dist_eligible(r)) continue;
            std::uint64_t w = r.cfg.weight ? r.cfg.weight : 10;
            if (best < 0) {
                best = static_cast<int>(i);
                continue;
            }
            const auto& b = s.rows[static_cast<std::size_t>(best)];
            std::uint64_t bw = b.cfg.weight ? b.cfg.weight : 10;
            if ((std::uint64_t{r.active} + 1) * bw < (std::uint64_t{b.active} + 1) * w) best = static_cast<int>(i);
        }
        return best;
    }
    case profile::dist_method::basewlm:
    case profile::dist_method::serverwlm: {
        // Smooth weighted round robin over the WLM weights, scaled by TSR.
        std::int64_t total = 0;
        int best = -1;
        for (std::size_t i = 0; i < n; ++i) {
            auto& r = s.rows[i];
            if (!dist_eligible(r)) continue;
            std::int64_t w = s.cfg.method == profile::dist_method::basewlm ? r.system_weight : r.server_weight;
            w = w * r.tcsr / 100;
            if (w <= 0) continue;
            total += w;
            r.credit += w;
            if (best < 0 || r.credit > s.rows[static_cast<std::size_t>(best)].credit) best = static_cast<int>(i);
        }
        if (best < 0) return round_robin();  // no weights: plain round robin, as z/OS
        s.rows[static_cast<std::size_t>(best)].credit -= total;
        return best;
    }
    }
    return -1;
}

bool stack::impl::dist_inbound(std::uint8_t* p, std::size_t len, dvipa_entry& d) noexcept {
    std::size_t hl = std::size_t{p[0] & 0x0Fu} * 4;
    const std::uint8_t* t = p + hl;
    std::uint16_t sport = wire::get16(t), dport = wire::get16(t + 2);
    std::uint8_t flags = t[13];
    std::uint32_t src = wire::get32(p + 12);
    dist_service* s = dist_service_for(d.address, dport);
    if (!s) return !tcp_new(flags) && eport_route(d.address, dport, p, len);
    if (sport == 0) {
        drops.count(drop::dist_port_zero);
        return true;
    }
    conn_entry* e = conn_find(d.address, dport, src, sport);
    if (e && (e->dist == conn_dist::routed || e->dist == conn_dist::local)) {
        if (e->half_open && !(flags & wire::tcp_syn)) {
            e->half_open = false;
            if (dist_row* r = dist_row_for(e->local_ip, e->local_port, e->peer)) ++r->established;
        }
        if (e->dist == conn_dist::local) return false;  // our own image serves it: the normal path
        int peer = e->peer;
        conn_track(e, flags, true);
        dist_encap_send(peer, p, len);
        return true;
    }
    if (!e && !tcp_new(flags) && eport_route(d.address, dport, p, len)) return true;
    if (!e && !tcp_new(flags)) {
        // A segment of a connection we do not know yet: just after this stack became the
        // distributor (a takeover, a giveback) the targets' connection lists are still on
        // their way. Our image would reset it; dropped, the client retransmits it.
        auto since = sd.term_start.find(d.address);
        auto waiting = sd.awaiting.find(d.address);
        if (since != sd.term_start.end() && waiting != sd.awaiting.end() && !waiting->second.empty() &&
            io.time->monotonic_ms() - since->second < rebuild_window_ms) {
            drops.count(drop::dist_rebuilding);
            return true;
        }
    }
    if (e || !tcp_new(flags)) return false;
    int i = dist_choose(*s, src);
    if (i < 0) {
        // No target is ready: this stack's image answers it (served if it has a server the
        // stack has not been told of, reset otherwise), so the client is not left waiting.
        drops.count(drop::dist_no_target);
        return false;
    }
    auto& row = s->rows[static_cast<std::size_t>(i)];
    e = conn_insert(d.address, dport, src, sport);
    if (!e) {
        drops.count(drop::conn_table_full);
        return true;  // untracked it could not be routed again: the client retries
    }
    std::int64_t now = io.time->monotonic_ms();
    e->dist = row.peer < 0 ? conn_dist::local : conn_dist::routed;
    e->peer = static_cast<std::int16_t>(row.peer);
    e->half_open = true;
    e->since = now;
    ++row.total;
    ++row.active;
    if (s->cfg.timed_affinity) {
        conn_entry* a = conn_find(d.address, s->port, src, 0);
        if (!a) {
            a = conn_insert(d.address, s->port, src, 0);
            if (a) {
                a->dist = conn_dist::affinity;
                a->peer = static_cast<std::int16_t>(row.peer);
            }
        }
        if (a && a->dist == conn_dist::affinity) {
            a->peer = static_cast<std::int16_t>(row.peer);
            ++a->affinity_uses;
            a->closing_since = 0;
            e->affine = true;
        }
    }
    if (row.peer < 0) return false;  // the normal path tracks it and gives it to our image
    conn_track(e, flags, true);
    dist_encap_send(row.peer, p, len);
    return true;
}

void stack::impl::dist_encap_send(int peer, const std::uint8_t* p, std::size_t len) noexcept {
    if (sw.forward) {  // SWSA: the connection was found by a peek; the target gets the packet still protected
        p = sw.forward;
        len = sw.forward_len;
    }
    const auto& ps = peers[static_cast<std::size_t>(peer)];
    if (!ps.present || ps.link < 0) return drops.count(drop::dist_target_gone);
    if (len + 20 > sd.encap.size()) return drops.count(drop::too_big);
    std::uint8_t* o = sd.encap.data();
    std::fill_n(o, 20, 0);
    o[0] = 0x45;
    wire::put16(o + 2, static_cast<std::uint16_t>(len + 20));
    wire::put16(o + 4, ip_id++);
    o[8] = 64;
    o[9] = ipproto_ipip;
    wire::put32(o + 12, xcf_address);
    wire::put32(o + 16, ps.xcf_address);
    wire::put16(o + 10, wire::checksum(o, 20));
    // The LAN input itself (not a packet made, reassembled or routed here, nor one that came
    // over XCF): what XCF carries is public already (plain TCP that crossed the LAN in the
    // clear, or ESP), so XCF authenticates it without encrypting it again.
    const bool as_it_came = lan_packet && p == lan_packet && len <= lan_packet_len;
    std::copy_n(p, len, o + 20);
    send_on_iface(ps.link, 0, o, len + 20, as_it_came ? link_protection::integrity_only : link_protection::sealed);
}

void stack::impl::dist_forget(conn_entry& e) noexcept {
    switch (e.dist) {
    case conn_dist::served:
        if (sd.ended_count < sd.ended.size())
            sd.ended[sd.ended_count++] = dist_ended{e.local_ip, e.local_port, e.remote_ip, e.remote_port};
        else
            drops.count(drop::dist_ended_full);
        break;
    case conn_dist::local:
    case conn_dist::routed:
        if (dist_row* r = dist_row_for(e.local_ip, e.local_port, e.peer)) {
            if (r->active) --r->active;
            if (e.half_open) ++r->failed;
        }
        if (e.affine) {
            dist_service* s = dist_service_for(e.local_ip, e.local_port);
            conn_entry* a = s ? conn_find(e.local_ip, s->port, e.remote_ip, 0) : nullptr;
            if (a && a->dist == conn_dist::affinity && a->affinity_uses && --a->affinity_uses == 0)
                a->closing_since = io.time->monotonic_ms();
        }
        break;
    case conn_dist::none:
    case conn_dist::affinity: break;
    }
    e.dist = conn_dist::none;
    e.affine = false;
}

// ---------------------------------------------------------------- target side (packet path)

void stack::impl::dist_decap(std::uint8_t* p, std::size_t len, int in_iface) noexcept {
    std::size_t hl = std::size_t{p[0] & 0x0Fu} * 4;
    if (sd.encap_link >= 0 || len < hl + wire::ipv4_min_header) return drops.count(drop::dist_encap_bad);
    std::uint8_t* inner = p + hl;
    if (!dist_target(wire::get32(inner + 16))) return drops.count(drop::dist_not_target);
    sd.encap_link = in_iface;
    ip_input(inner, len - hl, in_iface);
    sd.encap_link = -1;
}

bool stack::impl::dist_target_input(std::uint8_t* p, std::size_t len, dvipa_entry* d) noexcept {
    dist_target_entry* t = dist_target(wire::get32(p + 16));
    if (!t) return false;
    if (d && d->status == dvipa_status::active) return false;  // we distribute it ourselves
    if (sd.encap_link < 0) {
        if (d && (d->status == dvipa_status::moving || d->status == dvipa_status::quiescing)) return false;
        drops.count(drop::dist_plain);
        return true;
    }
    int link = -1;
    if (t->distributor_peer >= 0) {
        const auto& dp = peers[static_cast<std::size_t>(t->distributor_peer)];
        if (dp.present) link = dp.link;
    }
    if (link < 0 || link != sd.encap_link) {
        drops.count(drop::dist_wrong_link);
        return true;
    }
    bool fragment = (wire::get16(p + 6) & 0x3FFF) != 0;
    const bool decapsulated = swsa_is_ipsec(p, len) && !fragment;
    if (decapsulated) {
        // SWSA: the distributor forwarded it still protected; full processing with the shadow SA.
        p = swsa_unprotect(p, len);
        if (!p) return true;
        fragment = (wire::get16(p + 6) & 0x3FFF) != 0;
    }
    std::size_t hl = std::size_t{p[0] & 0x0Fu} * 4;
    if (p[9] == wire::proto_tcp && !fragment && len - hl >= 20) {
        const std::uint8_t* tcp = p + hl;
        std::uint16_t sport = wire::get16(tcp), dport = wire::get16(tcp + 2);
        std::uint32_t src = wire::get32(p + 12);
        conn_entry* e = conn_find(t->address, dport, src, sport);
        if (!e && tcp_new(tcp[13])) {
            e = conn_insert(t->address, dport, src, sport);
            if (!e) drops.count(drop::conn_table_full);
            else e->since = io.time->monotonic_ms();
        }
        if (e) {
            if (e->dist == conn_dist::none || e->dist == conn_dist::local) e->dist = conn_dist::served;
            conn_track(e, tcp[13], true);
        }
    }
    image_input(p, len, decapsulated);
    return true;
}

void stack::impl::dist_target_outbound(const std::uint8_t* p, std::size_t len) noexcept {
    std::size_t hl = std::size_t{p[0] & 0x0Fu} * 4;
    if (p[9] != wire::proto_tcp || (wire::get16(p + 6) & 0x3FFF) != 0 || len - hl < 20) return;
    std::uint32_t src = wire::get32(p + 12);
    if (!dist_target(src)) return;
    const std::uint8_t* t = p + hl;
    conn_entry* e = conn_find(src, wire::get16(t), wire::get32(p + 16), wire::get16(t + 2));
    if (e && e->dist == conn_dist::served) conn_track(e, t[13], false);
}

bool stack::impl::dist_image_to_target(std::uint8_t* p, std::size_t len) noexcept {
    // The image's own connection to a DVIPA it is a target of: NOOPTLOCAL sends it to the
    // distributor like any client's; OPTLOCAL keeps it here while a local server is ready.
    dist_target_entry* t = dist_target(wire::get32(p + 16));
    if (!t || p[9] != wire::proto_tcp || t->distributor_peer < 0) return false;
    std::size_t hl = std::size_t{p[0] & 0x0Fu} * 4;
    if (len - hl < 20 || (wire::get16(p + 6) & 0x3FFF) != 0) return false;
    std::uint16_t dport = wire::get16(p + hl + 2);
    bool distributed = false;
    for (const auto& r : t->ranges)
        if (r.low == 0 || (dport >= r.low && dport <= r.high)) distributed = true;
    if (!distributed) return false;
    if (t->optlocal != control::distribute_message::no_optlocal) {
        unsigned ready = 0;
        for (const auto& l : sd.listeners)
            if ((l.address == t->address || l.address == 0) && l.port == dport && !sd.quiesce_target &&
                !sd.quiesced_ports.count(l.port))
                ready += static_cast<unsigned>(l.count);
        unsigned weight = system_weight_of(sd.busy);
        if (ready && (t->optlocal == 0 || weight * t->optlocal >= 64)) return false;  // stays local
    }
    const auto& dp = peers[static_cast<std::size_t>(t->distributor_peer)];
    if (!dp.present || dp.link < 0) return false;
    send_on_iface(dp.link, 0, p, len);
    return true;
}

}  // namespace zplex::tcpip::stack
