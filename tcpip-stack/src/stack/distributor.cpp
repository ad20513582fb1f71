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
#include "stack_impl.hpp"

#include "wire.hpp"

#include <algorithm>
#include <cstdio>

namespace zplex::tcpip::stack {

namespace {

/// How long at most a new distributor waits for its targets' connection lists before a
/// segment of an unknown connection goes to its own image (which resets it).
constexpr std::int64_t rebuild_window_ms = 3000;

bool tcp_new(std::uint8_t flags) noexcept { return (flags & wire::tcp_syn) && !(flags & wire::tcp_ack); }

std::uint8_t system_weight_of(std::uint8_t busy) noexcept {
    if (busy >= 100) return 0;
    unsigned w = (64u * (100u - busy) + 50u) / 100u;
    return static_cast<std::uint8_t>(w < 1 ? 1 : w);
}

std::uint8_t server_weight_of(std::uint8_t system, std::uint16_t ready, std::uint32_t active) noexcept {
    if (ready == 0 || system == 0) return 0;
    std::uint64_t per_listener = active / ready;
    std::uint64_t w = (std::uint64_t{system} * 64 + (64 + per_listener) / 2) / (64 + per_listener);
    return static_cast<std::uint8_t>(w < 1 ? 1 : w);
}

std::string text_counter(std::uint64_t v, int width) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%0*llu", width, static_cast<unsigned long long>(v));
    return buf;
}

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
    if (!s) return false;
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
    std::copy_n(p, len, o + 20);
    send_on_iface(ps.link, 0, o, len + 20);
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
    if ((p[9] == 50 || p[9] == 51) && !fragment) {
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
    io.app->send_packet(bytes(p, len));
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

// ---------------------------------------------------------------- control paths

std::vector<control::target_report_message::port_row> stack::impl::dist_local_ports(
    std::uint32_t address, const std::vector<control::distribute_message::ports>& ranges) const {
    std::vector<control::target_report_message::port_row> out;
    std::uint8_t sysw = system_weight_of(sd.busy);
    auto count = [&](std::uint16_t port) {
        control::target_report_message::port_row r;
        r.port = port;
        unsigned ready = 0;
        for (const auto& l : sd.listeners)
            if ((l.address == address || l.address == 0) && (port == 0 || l.port == port) && l.count > 0)
                if (!sd.quiesce_target && !sd.quiesced_ports.count(l.port)) ready += static_cast<unsigned>(l.count);
        r.ready = static_cast<std::uint16_t>(std::min(ready, 65535u));
        for (const auto& e : conns)
            if (e.used == 1 && e.local_ip == address && e.peer < 0 && e.remote_port != 0 &&
                (port == 0 || e.local_port == port) &&
                (e.dist == conn_dist::served || e.dist == conn_dist::local || e.dist == conn_dist::none))
                ++r.active;
        r.system_weight = sysw;
        r.server_weight = server_weight_of(sysw, r.ready, r.active);
        out.push_back(r);
    };
    for (const auto& g : ranges) {
        if (g.low == 0) {
            count(0);
            continue;
        }
        for (unsigned p = g.low; p <= g.high && p < g.low + 64u; ++p) count(static_cast<std::uint16_t>(p));
    }
    return out;
}

void stack::impl::dist_update_local_rows() {
    for (auto& s : sd.services) {
        for (auto& r : s.rows) {
            if (r.peer >= 0) continue;
            auto ports = dist_local_ports(s.address, {{s.port, s.port}});
            r.reported = true;
            r.ready = ports.front().ready;
            r.system_weight = ports.front().system_weight;
            r.server_weight = ports.front().server_weight;
            r.target_active = ports.front().active;
        }
        if (s.cfg.method == profile::dist_method::hotstandby) dist_hot_standby(s);
    }
}

void stack::impl::dist_recount() {
    for (auto& s : sd.services)
        for (auto& r : s.rows) r.active = 0;
    for (const auto& e : conns) {
        if (e.used != 1 || (e.dist != conn_dist::routed && e.dist != conn_dist::local)) continue;
        if (dist_row* r = dist_row_for(e.local_ip, e.local_port, e.peer)) ++r->active;
    }
}

void stack::impl::dist_refresh() {
    if (sd.encap.empty()) {
        sd.encap.resize(65535);
        sd.ended.resize(dist_ended_capacity);
    }
    std::vector<dist_service> next;
    if (in_group && !is_fenced) {
        for (const auto& d : dvipas) {
            if (d.status != dvipa_status::active) continue;
            for (const auto& c : config.distributions) {
                if (c.address.value != d.address) continue;
                std::vector<std::uint16_t> ports;
                if (!c.port) ports.push_back(0);
                else
                    for (unsigned p = c.port->low; p <= c.port->high && p < c.port->low + 64u; ++p)
                        ports.push_back(static_cast<std::uint16_t>(p));
                for (auto port : ports) {
                    dist_service s;
                    s.address = d.address;
                    s.port = port;
                    s.cfg = c;
                    auto add = [&](int peer, std::uint32_t xcf, const profile::dist_target& t) {
                        dist_row r;
                        r.peer = peer;
                        r.xcf = xcf;
                        r.cfg = t;
                        s.rows.push_back(r);
                    };
                    if (c.dest_all) {
                        std::vector<std::pair<std::uint32_t, int>> all{{xcf_address, -1}};
                        for (std::size_t i = 0; i < peers.size(); ++i)
                            if (peers[i].present && peers[i].xcf_address) all.emplace_back(peers[i].xcf_address, static_cast<int>(i));
                        std::sort(all.begin(), all.end());
                        for (auto& [x, i] : all) add(i, x, profile::dist_target{ipv4_address{x}, 0, profile::target_role::normal, 0});
                    } else {
                        for (const auto& t : c.targets) {
                            if (t.xcf.value == xcf_address) {
                                add(-1, xcf_address, t);
                                continue;
                            }
                            for (std::size_t i = 0; i < peers.size(); ++i)
                                if (peers[i].present && peers[i].xcf_address == t.xcf.value) add(static_cast<int>(i), t.xcf.value, t);
                        }
                    }
                    // Counters survive a rebuild: the same target of the same DVIPA:port.
                    for (const auto& old : sd.services) {
                        if (old.address != s.address || old.port != s.port) continue;
                        s.rr = old.rr;
                        for (auto& r : s.rows) {
                            for (const auto& o : old.rows) {
                                if (o.xcf != r.xcf) continue;
                                auto cfg = r.cfg;
                                int peer = r.peer;
                                r = o;
                                r.cfg = cfg;
                                r.peer = peer;
                            }
                        }
                        if (old.hot >= 0 && static_cast<std::size_t>(old.hot) < old.rows.size()) {
                            for (std::size_t i = 0; i < s.rows.size(); ++i)
                                if (s.rows[i].xcf == old.rows[static_cast<std::size_t>(old.hot)].xcf) s.hot = static_cast<int>(i);
                        }
                    }
                    if (s.rr >= s.rows.size()) s.rr = 0;
                    next.push_back(std::move(s));
                }
            }
        }
    }
    sd.services = std::move(next);
    // We distribute these now: the connections our image served for another distributor are ours.
    for (const auto& s : sd.services) {
        for (auto& e : conns)
            if (e.used == 1 && e.local_ip == s.address && e.dist == conn_dist::served) e.dist = conn_dist::local;
        auto t = std::find_if(sd.targets.begin(), sd.targets.end(),
                              [&](const dist_target_entry& x) { return x.address == s.address; });
        if (t != sd.targets.end()) sd.targets.erase(t);
    }
    dist_recount();
    dist_update_local_rows();
    if (is_fenced) {
        sd.told.clear();
        sd.term_start.clear();
        sd.awaiting.clear();
        return;
    }
    // Tell every target, once per distributor term; tell the former ones to stop.
    std::set<std::uint32_t> distributing;
    for (const auto& s : sd.services) distributing.insert(s.address);
    for (std::uint32_t a : distributing) {
        control::distribute_message m;
        m.address = a;
        m.want_connections = true;
        for (const auto& c : config.distributions) {
            if (c.address.value != a) continue;
            if (c.optlocal) m.optlocal = *c.optlocal;
            control::distribute_message::ports r;
            if (c.port) r = {c.port->low, c.port->high};
            if (std::find(m.port_ranges.begin(), m.port_ranges.end(), r) == m.port_ranges.end()) m.port_ranges.push_back(r);
        }
        if (m.port_ranges.size() > control::max_port_ranges) m.port_ranges.resize(control::max_port_ranges);
        std::vector<std::uint8_t> msg;
        if (!sd.told.count(a)) sd.term_start[a] = io.time->monotonic_ms();  // a new term: the table is rebuilt
        auto& told = sd.told[a];
        for (const auto& s : sd.services) {
            if (s.address != a) continue;
            for (const auto& r : s.rows) {
                if (r.peer < 0) continue;
                const auto& member = peers[static_cast<std::size_t>(r.peer)].member;
                if (!told.insert(member).second) continue;
                sd.awaiting[a].insert(member);
                if (msg.empty()) msg = control::encode(m);
                io.sysplex->send(member, msg);
            }
        }
    }
    for (auto it = sd.told.begin(); it != sd.told.end();) {
        if (distributing.count(it->first)) {
            ++it;
            continue;
        }
        control::distribute_message stop;
        stop.address = it->first;
        stop.stop = true;
        auto msg = control::encode(stop);
        if (in_group)
            for (const auto& member : it->second) io.sysplex->send(member, msg);
        sd.term_start.erase(it->first);
        sd.awaiting.erase(it->first);
        it = sd.told.erase(it);
    }
}

void stack::impl::dist_control(std::string_view from, control::type t, bytes message) {
    peer_state* p = peer_by_member(from);
    switch (t) {
    case control::type::distribute: {
        control::distribute_message m;
        if (!control::decode(message, m)) return drops.count(drop::control_malformed);
        if (!p || !p->present) return drops.count(drop::control_unknown_peer);
        return dist_on_distribute(from, m);
    }
    case control::type::target_report: {
        control::target_report_message m;
        if (!control::decode(message, m)) return drops.count(drop::control_malformed);
        if (!p || !p->present) return drops.count(drop::control_unknown_peer);
        return dist_on_report(from, m);
    }
    case control::type::connections: {
        control::connections_message m;
        if (!control::decode(message, m)) return drops.count(drop::control_malformed);
        if (!p || !p->present) return drops.count(drop::control_unknown_peer);
        return dist_on_connections(from, m);
    }
    default: return drops.count(drop::control_malformed);
    }
}

void stack::impl::dist_on_distribute(std::string_view from, const control::distribute_message& m) {
    int idx = peer_index(from);
    dvipa_entry* d = find_dvipa(m.address);
    if (d && d->status == dvipa_status::active) return;  // we hold it: the conflict rules decide
    dist_target_entry* t = dist_target(m.address);
    if (m.stop) {
        if (t && t->distributor == from) {
            t->stopped = true;
            t->distributor.clear();
            t->distributor_peer = -1;
            conns_changed = true;
        }
        return;
    }
    if (!t) {
        sd.targets.emplace_back();
        t = &sd.targets.back();
        t->address = m.address;
    }
    t->distributor = std::string(from);
    t->distributor_peer = idx;
    t->distributor_xcf = peers[static_cast<std::size_t>(idx)].xcf_address;
    t->ranges = m.port_ranges;
    t->optlocal = m.optlocal;
    t->stopped = false;
    auto distributed_port = [&](std::uint16_t port) {
        for (const auto& r : m.port_ranges)
            if (r.low == 0 || (port >= r.low && port <= r.high)) return true;
        return false;
    };
    for (auto& e : conns) {
        if (e.used == 1 && e.local_ip == m.address && e.peer < 0 && e.remote_port != 0 &&
            distributed_port(e.local_port) && (e.dist == conn_dist::none || e.dist == conn_dist::local)) {
            if (e.dist == conn_dist::local) dist_forget(e);
            e.dist = conn_dist::served;
            conns_changed = true;
        }
    }
    dist_target_entry copy = *t;
    rebuild_addresses();
    rebuild_routes();
    dist_report(copy);
    if (m.want_connections) dist_send_connections(copy);
    // No state message here: one sent now could overtake a DVIPA move in flight. The role
    // goes out with the next state; the distributor's own display knows its targets.
}

void stack::impl::dist_on_report(std::string_view from, const control::target_report_message& m) {
    int idx = peer_index(from);
    for (auto& s : sd.services) {
        if (s.address != m.address) continue;
        for (auto& r : s.rows) {
            if (r.peer != idx) continue;
            r.reported = true;
            r.ready = 0;
            for (const auto& p : m.ports) {
                if (p.port != s.port) continue;
                r.ready = p.ready;
                r.system_weight = p.system_weight;
                r.server_weight = p.server_weight;
                r.target_active = p.active;
            }
        }
        if (s.cfg.method == profile::dist_method::hotstandby) dist_hot_standby(s);
    }
}

void stack::impl::dist_on_connections(std::string_view from, const control::connections_message& m) {
    int idx = peer_index(from);
    if (m.ended) {
        for (const auto& c : m.conns) {
            conn_entry* e = conn_find(m.address, c.local_port, c.remote_ip, c.remote_port);
            if (e && e->dist == conn_dist::routed && e->peer == idx) conn_erase(e);
        }
        return;
    }
    if (m.full) {
        if (auto w = sd.awaiting.find(m.address); w != sd.awaiting.end()) w->second.erase(std::string(from));
        for (auto& e : conns)
            if (e.used == 1 && e.local_ip == m.address && e.dist == conn_dist::routed && e.peer == idx) conn_erase(&e);
    }
    std::int64_t now = io.time->monotonic_ms();
    for (const auto& c : m.conns) {
        if (!dist_service_for(m.address, c.local_port)) continue;
        conn_entry* e = conn_insert(m.address, c.local_port, c.remote_ip, c.remote_port);
        if (!e) {
            drops.count(drop::conn_table_full);
            continue;
        }
        if (e->dist == conn_dist::local || e->dist == conn_dist::affinity) continue;
        e->dist = conn_dist::routed;
        e->peer = static_cast<std::int16_t>(idx);
        e->half_open = false;
        e->since = now;
    }
    dist_recount();
}

void stack::impl::dist_report(const dist_target_entry& t) {
    if (!in_group || is_fenced || t.distributor_peer < 0 || t.stopped) return;
    const auto& p = peers[static_cast<std::size_t>(t.distributor_peer)];
    if (!p.present) return;
    control::target_report_message m;
    m.address = t.address;
    m.ports = dist_local_ports(t.address, t.ranges);
    if (m.ports.size() > control::max_report_ports) m.ports.resize(control::max_report_ports);
    io.sysplex->send(p.member, control::encode(m));
}

void stack::impl::dist_report_all() {
    for (const auto& t : sd.targets) dist_report(t);
}

void stack::impl::dist_send_connections(const dist_target_entry& t) {
    if (!in_group || is_fenced || t.distributor_peer < 0) return;
    const auto& p = peers[static_cast<std::size_t>(t.distributor_peer)];
    control::connections_message m;
    m.address = t.address;
    m.full = true;
    auto flush = [&](bool last) {
        if (m.conns.empty() && !(last && m.full)) return;
        io.sysplex->send(p.member, control::encode(m));
        m.conns.clear();
        m.full = false;
    };
    for (const auto& e : conns) {
        if (e.used != 1 || e.local_ip != t.address || e.dist != conn_dist::served) continue;
        m.conns.push_back({e.local_port, e.remote_ip, e.remote_port});
        if (m.conns.size() == control::max_connections) flush(false);
    }
    flush(true);
}

void stack::impl::dist_peer_state(int peer) {
    const auto& p = peers[static_cast<std::size_t>(peer)];
    for (auto& t : sd.targets) {
        if (t.distributor != p.member) continue;
        t.distributor_peer = peer;
        t.distributor_xcf = p.xcf_address;
    }
    dist_refresh();
}

void stack::impl::dist_member_gone(int peer) {
    const auto& p = peers[static_cast<std::size_t>(peer)];
    for (auto& e : conns) {
        if (e.used != 1 || e.peer != peer) continue;
        if (e.dist == conn_dist::routed || e.dist == conn_dist::affinity) conn_erase(&e);
    }
    for (auto& [a, members] : sd.told) members.erase(p.member);
    for (auto& t : sd.targets) {
        if (t.distributor_peer != peer) continue;
        t.distributor.clear();  // the next distributor's "distribute" names the new one
        t.distributor_peer = -1;
        t.distributor_xcf = 0;
    }
    dist_refresh();
}

void stack::impl::dist_tick(std::int64_t now) {
    bool any_service = !sd.services.empty();
    if (any_service || sd.ended_count || !sd.targets.empty()) {
        for (auto& e : conns) {
            if (e.used != 1) continue;
            if ((e.dist == conn_dist::routed || e.dist == conn_dist::local) && e.half_open &&
                now - e.since >= dist_half_open_ms) {
                conn_erase(&e);  // half-open: the client never completed the handshake
            } else if (e.dist == conn_dist::affinity && e.affinity_uses == 0 && e.closing_since) {
                const dist_service* s = dist_service_for(e.local_ip, e.local_port);
                std::int64_t keep = s ? std::int64_t{s->cfg.timed_affinity} * 1000 : 0;
                if (now - e.closing_since >= keep) conn_erase(&e);
            }
        }
    }
    // Connections that ended, to their distributor.
    if (sd.ended_count) {
        std::map<std::uint32_t, control::connections_message> by_address;
        for (std::size_t i = 0; i < sd.ended_count; ++i) {
            const auto& x = sd.ended[i];
            auto& m = by_address[x.address];
            m.address = x.address;
            m.ended = true;
            if (m.conns.size() < control::max_connections) m.conns.push_back({x.local_port, x.remote_ip, x.remote_port});
        }
        sd.ended_count = 0;
        for (auto& [a, m] : by_address) {
            const dist_target_entry* t = dist_target(a);
            if (!t || t->distributor_peer < 0 || !in_group || is_fenced) continue;
            io.sysplex->send(peers[static_cast<std::size_t>(t->distributor_peer)].member, control::encode(m));
        }
        dist_report_all();
    }
    // A target told to stop goes once it serves nothing more.
    bool removed = false;
    for (std::size_t i = 0; i < sd.targets.size();) {
        const auto& t = sd.targets[i];
        bool busy = false;
        if (t.stopped)
            for (const auto& e : conns)
                if (e.used == 1 && e.local_ip == t.address && e.dist == conn_dist::served) busy = true;
        if (t.stopped && !busy) {
            sd.targets.erase(sd.targets.begin() + static_cast<std::ptrdiff_t>(i));
            removed = true;
            continue;
        }
        ++i;
    }
    if (removed) {
        rebuild_addresses();
        rebuild_routes();
    }
    if (now - sd.last_report >= dist_report_ms) {
        sd.last_report = now;
        dist_update_local_rows();
        dist_report_all();
    }
    // Target server responsiveness, once an interval: EZD1182I / EZD1183I.
    if (now - sd.last_sample >= dist_tsr_interval_ms) {
        sd.last_sample = now;
        for (auto& s : sd.services) {
            for (auto& r : s.rows) {
                std::uint32_t outcomes = r.established + r.failed;
                if (outcomes == 0) continue;
                r.tcsr = static_cast<std::uint8_t>(std::uint64_t{r.established} * 100 / outcomes);
                r.established = r.failed = 0;
                bool now_responsive = r.tcsr >= 25;
                if (now_responsive == r.responsive) continue;
                r.responsive = now_responsive;
                std::string tcp = me.tcpname, sys = me.sysname;
                if (r.peer >= 0) {
                    tcp = peers[static_cast<std::size_t>(r.peer)].tcpname;
                    sys = peers[static_cast<std::size_t>(r.peer)].sysname;
                }
                std::string tail = " - TCSR " + std::to_string(r.tcsr) + " CER " + std::to_string(r.tcsr) + " SEF 100";
                say(std::string(now_responsive ? "EZD1183I" : "EZD1182I") + " TARGET SERVER FOR " + dotted(s.address) +
                    " PORT " + std::to_string(s.port) + " AT " + tcp + " ON " + sys +
                    (now_responsive ? " IS RESPONSIVE" : " IS NOT RESPONSIVE") + tail);
            }
            if (s.cfg.method == profile::dist_method::hotstandby) dist_hot_standby(s);
        }
    }
}

void stack::impl::dist_listener(std::uint32_t address, std::uint16_t port, int delta) {
    auto it = std::find_if(sd.listeners.begin(), sd.listeners.end(),
                           [&](const dist_listen& l) { return l.address == address && l.port == port; });
    if (it == sd.listeners.end()) {
        if (delta < 0) return;
        sd.listeners.push_back({address, port, 0});
        it = sd.listeners.end() - 1;
    }
    it->count += delta;
    if (it->count <= 0) sd.listeners.erase(it);
    dist_update_local_rows();
    for (const auto& t : sd.targets)
        if (address == 0 || t.address == address) dist_report(t);
}

std::vector<control::dist_role> stack::impl::dist_roles() const {
    std::vector<control::dist_role> out;
    auto add = [&](std::uint32_t a, std::uint8_t role) {
        for (auto& r : out)
            if (r.address == a) {
                r.role = static_cast<std::uint8_t>(r.role | role);
                return;
            }
        out.push_back({a, role});
    };
    for (const auto& s : sd.services) {
        add(s.address, 1);
        for (const auto& r : s.rows)
            if (r.peer < 0) add(s.address, 2);
    }
    for (const auto& t : sd.targets)
        if (!t.stopped) add(t.address, 2);
    if (out.size() > control::max_roles) out.resize(control::max_roles);
    return out;
}

std::uint8_t stack::impl::dist_role_of(std::uint32_t address) const {
    for (const auto& r : dist_roles())
        if (r.address == address) return r.role;
    return 0;
}

std::vector<std::string> stack::impl::dist_vary(const std::string& verb, const std::string& operand) {
    const std::string cmd = "VARY TCPIP,,SYSPLEX," + verb;
    bool quiesce = verb == "QUIESCE";
    std::string what;
    if (operand == "TARGET") {
        if (sd.quiesce_target == quiesce)
            return {"ZPX1031I " + cmd + ": " + me.tcpname + " IS " + (quiesce ? "ALREADY" : "NOT") + " QUIESCED"};
        sd.quiesce_target = quiesce;
        what = "TARGET";
    } else if (operand.rfind("PORT=", 0) == 0 && operand.size() > 5 && operand.size() <= 10 &&
               operand.find_first_not_of("0123456789", 5) == std::string::npos && std::stoul(operand.substr(5)) >= 1 &&
               std::stoul(operand.substr(5)) <= 65535) {
        auto port = static_cast<std::uint16_t>(std::stoul(operand.substr(5)));
        bool is = sd.quiesced_ports.count(port) != 0;
        if (is == quiesce)
            return {"ZPX1031I " + cmd + ": PORT " + std::to_string(port) + " IS " + (quiesce ? "ALREADY" : "NOT") +
                    " QUIESCED"};
        if (quiesce) sd.quiesced_ports.insert(port);
        else sd.quiesced_ports.erase(port);
        what = "PORT=" + std::to_string(port);
    } else {
        return {"ZPX1031I " + cmd + " NEEDS PORT=n OR TARGET, NOT '" + operand + "'"};
    }
    dist_update_local_rows();
    dist_report_all();
    return {"ZPX1001I " + cmd + "," + what + " COMPLETED ON " + me.tcpname};
}

// ---------------------------------------------------------------- NETSTAT VDPT and VCRT

void stack::impl::dist_netstat(const std::string& name, const std::string& operand, std::vector<std::string>& out,
                               std::size_t& records) {
    bool detail = operand == "DETAIL";
    std::vector<const dist_service*> order;
    for (const auto& s : sd.services) order.push_back(&s);
    std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) {
        return a->address != b->address ? a->address < b->address : a->port < b->port;
    });
    auto dest = [](std::uint32_t a, std::uint16_t p) { return dotted(a) + ".." + (p ? std::to_string(p) : std::string("*")); };
    if (name == "VDPT") {
        out.push_back("Dynamic VIPA Destination Port Table for TCP/IP stacks:");
        for (const auto* s : order) {
            for (std::size_t i = 0; i < s->rows.size(); ++i) {
                const auto& r = s->rows[i];
                unsigned wlm = 1;
                if (s->cfg.method == profile::dist_method::basewlm) wlm = r.system_weight;
                else if (s->cfg.method == profile::dist_method::serverwlm) wlm = r.server_weight;
                else if (s->cfg.method == profile::dist_method::weightedactive) wlm = r.cfg.weight ? r.cfg.weight : 10;
                out.push_back("Dest:         " + dest(s->address, s->port));
                out.push_back("  DestXCF:    " + dotted(r.xcf));
                out.push_back("  TotalConn:  " + text_counter(r.total, 10) + "  Rdy: " + text_counter(r.ready, 3) +
                              "  WLM: " + text_counter(wlm, 2) + "  TSR: " + std::to_string(r.tcsr));
                std::string method = std::string("  DistMethod: ") + method_text(s->cfg.method);
                if (s->cfg.method == profile::dist_method::hotstandby) {
                    method += r.cfg.role == profile::target_role::preferred
                                  ? "  SrvType: Preferred"
                                  : "  SrvType: Backup  Rank: " + std::to_string(r.cfg.backup_rank);
                }
                out.push_back(method);
                if (detail) {
                    out.push_back("  TCSR: " + std::to_string(r.tcsr) + "  CER: " + std::to_string(r.tcsr) + "  SEF: 100");
                    out.push_back("  ActConn:    " + text_counter(r.active, 10));
                    out.push_back("  QosPlcAct:  *DEFAULT*");
                    out.push_back("    W/Q:      " + text_counter(wlm, 2));
                }
                std::string flg = "  Flg:";
                if (s->cfg.method == profile::dist_method::hotstandby && s->hot == static_cast<int>(i)) flg += " Active";
                out.push_back(flg);
                ++records;
            }
        }
        return;
    }
    // VCRT: on the distributor every distributed connection, on a target its own.
    out.push_back("Dynamic VIPA Connection Routing Table:");
    struct row {
        std::uint32_t address, remote;
        std::uint16_t port, rport;
        std::uint32_t xcf;
        int link;
    };
    std::vector<row> rows;
    for (const auto& e : conns) {
        if (e.used != 1) continue;
        if (e.dist == conn_dist::routed || e.dist == conn_dist::local) {
            const auto& p = e.peer >= 0 ? peers[static_cast<std::size_t>(e.peer)] : peer_state{};
            rows.push_back({e.local_ip, e.remote_ip, e.local_port, e.remote_port, e.peer >= 0 ? p.xcf_address : xcf_address,
                            e.peer >= 0 ? p.link : -1});
        } else if (e.dist == conn_dist::served) {
            rows.push_back({e.local_ip, e.remote_ip, e.local_port, e.remote_port, xcf_address, -1});
        } else if (e.dist == conn_dist::none && e.remote_port && dist_service_for(e.local_ip, e.local_port)) {
            // a connection our image served before we became the distributor, or kept for a MOVING holder
            const auto& p = e.peer >= 0 ? peers[static_cast<std::size_t>(e.peer)] : peer_state{};
            rows.push_back({e.local_ip, e.remote_ip, e.local_port, e.remote_port, e.peer >= 0 ? p.xcf_address : xcf_address,
                            e.peer >= 0 ? p.link : -1});
        }
    }
    std::sort(rows.begin(), rows.end(), [](const row& a, const row& b) {
        if (a.address != b.address) return a.address < b.address;
        if (a.port != b.port) return a.port < b.port;
        if (a.remote != b.remote) return a.remote < b.remote;
        return a.rport < b.rport;
    });
    for (const auto& r : rows) {
        out.push_back("Dest:         " + dest(r.address, r.port));
        out.push_back("  Source:     " + dotted(r.remote) + ".." + std::to_string(r.rport));
        out.push_back("  DestXCF:    " + dotted(r.xcf));
        if (detail) {
            std::string intf = r.link >= 0 ? interfaces[static_cast<std::size_t>(r.link)].name : std::string("*LOCAL*");
            out.push_back("    PolicyRule:   *NONE*");
            out.push_back("    PolicyAction: *NONE*");
            out.push_back("    Intf:         " + intf);
            out.push_back("    VipaRoute:    No  Gw: 0.0.0.0");
            out.push_back("    Accelerator:  No");
        }
        ++records;
    }
}

}  // namespace zplex::tcpip::stack
