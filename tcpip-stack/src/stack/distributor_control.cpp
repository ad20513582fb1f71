// SPDX-License-Identifier: Apache-2.0
// The Sysplex Distributor's control side (docs/distributor.md): the distribute, report
// and connections messages, the ready counts and weights, the timers, takeover, VARY
// QUIESCE/RESUME and NETSTAT VDPT and VCRT. The packet path is in distributor.cpp.
#include "stack_impl.hpp"

#include "distributor_weights.hpp"
#include "wire.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace zplex::tcpip::stack {

namespace {

std::string text_counter(std::uint64_t v, int width) { return fmt::format("{:0{}}", v, width); }

}  // namespace

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
    eport_sync();
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
        const control::distribute_message m = dist_message(a);
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
        if (!t || t->distributor != from) return;
        // A distributor's "distribute" sent just before it lost the DVIPA can overtake the
        // new owner's (two senders, no order between them): its stop then leaves us serving
        // nobody while the new owner counts us as reported. The new owner's claim says who
        // distributes now: serve it and report to it at once.
        if (int next = active_claimant(m.address, idx); next >= 0) {
            t->distributor = peers[static_cast<std::size_t>(next)].member;
            t->distributor_peer = next;
            t->distributor_xcf = peers[static_cast<std::size_t>(next)].xcf_address;
            dist_target_entry copy = *t;
            rebuild_addresses();
            rebuild_routes();
            dist_report(copy);
            dist_send_connections(copy);
            return;
        }
        t->stopped = true;
        t->distributor.clear();
        t->distributor_peer = -1;
        conns_changed = true;
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
    t->sysplex_ports = m.sysplex_ports;
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
    eport_sync();
    dist_report(copy);
    if (m.want_connections) dist_send_connections(copy);
    // No state message here: one sent now could overtake a DVIPA move in flight. The role
    // goes out with the next state; the distributor's own display knows its targets.
}

int stack::impl::active_claimant(std::uint32_t address, int except) const {
    for (std::size_t i = 0; i < peers.size(); ++i) {
        if (static_cast<int>(i) == except || !peers[i].present) continue;
        for (const auto& c : peers[i].claims)
            if (c.address == address && c.status == static_cast<std::uint8_t>(dvipa_status::active)) return static_cast<int>(i);
    }
    return -1;
}

void stack::impl::dist_on_report(std::string_view from, const control::target_report_message& m) {
    int idx = peer_index(from);
    for (auto& s : sd.services) {
        if (s.address != m.address) continue;
        for (auto& r : s.rows) {
            if (r.peer != idx) continue;
            r.reported = true;
            r.last_report = io.time->monotonic_ms();
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

control::distribute_message stack::impl::dist_message(std::uint32_t a) const {
    control::distribute_message m;
    m.address = a;
    m.want_connections = true;
    for (const auto& c : config.distributions) {
        if (c.address.value != a) continue;
        if (c.optlocal) m.optlocal = *c.optlocal;
        if (c.sysplex_ports) m.sysplex_ports = true;
        control::distribute_message::ports r;
        if (c.port) r = {c.port->low, c.port->high};
        if (std::find(m.port_ranges.begin(), m.port_ranges.end(), r) == m.port_ranges.end()) m.port_ranges.push_back(r);
    }
    if (m.port_ranges.size() > control::max_port_ranges) m.port_ranges.resize(control::max_port_ranges);
    return m;
}

void stack::impl::dist_retell_unreported() {
    if (!in_group || is_fenced) return;
    const std::int64_t now = io.time->monotonic_ms();
    for (const auto& s : sd.services) {
        std::vector<std::uint8_t> msg;
        for (const auto& r : s.rows) {
            // Never reported, or silent past two report intervals: a target that lost us.
            if (r.peer < 0 || (r.reported && now - r.last_report <= dist_stale_report_ms)) continue;
            const auto& p = peers[static_cast<std::size_t>(r.peer)];
            if (!p.present) continue;
            if (msg.empty()) msg = control::encode(dist_message(s.address));
            io.sysplex->send(p.member, msg);
        }
    }
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

void stack::impl::dist_peer_state(int peer, const std::vector<std::uint32_t>& released) {
    const auto& p = peers[static_cast<std::size_t>(peer)];
    for (auto& t : sd.targets) {
        if (t.distributor != p.member) continue;
        t.distributor_peer = peer;
        t.distributor_xcf = p.xcf_address;
    }
    dist_refresh();
    // A target that held a DVIPA we distribute dropped our "distribute" while it held it
    // (the conflict rules decided); if it gave the DVIPA up and does not serve it, it would
    // sit at Rdy 0 until its reports went stale. Tell it again now.
    if (!in_group || is_fenced || released.empty()) return;
    for (std::uint32_t a : released) {
        auto told = sd.told.find(a);
        if (told == sd.told.end() || !told->second.count(p.member)) continue;
        bool serves = std::any_of(p.roles.begin(), p.roles.end(),
                                  [&](const control::dist_role& r) { return r.address == a && (r.role & 2); });
        bool row = std::any_of(sd.services.begin(), sd.services.end(), [&](const dist_service& s) {
            return s.address == a &&
                   std::any_of(s.rows.begin(), s.rows.end(), [&](const dist_row& r) { return r.peer == peer; });
        });
        if (!serves && row) io.sysplex->send(p.member, control::encode(dist_message(a)));
    }
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
        eport_sync();
    }
    if (now - sd.last_retell >= dist_retell_ms) {
        sd.last_retell = now;
        dist_retell_unreported();
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
