// SPDX-License-Identifier: Apache-2.0
// Dynamic VIPAs across the sysplex: activation, takeover by rank, giveback (MOVING),
// WHENIDLE, DEACTIVATE/REACTIVATE, VIPADELETE, VIPARANGE binds, conflicts, fencing.
//
// Every stack tells the group its role for each DVIPA (a state message) whenever the
// role changes. Each stack decides only its own moves from that shared view:
//   - nobody holds a DVIPA that was active: the best eligible backup takes it over
//     (highest rank, VIPADEFINE counting as 255, ties to the lowest member name): EZZ8301I;
//   - a holder ranks below us (or we are a VIPADEFINE just started): we ask it (take);
//     it answers give (EZZ8303I on it, EZZ8302I on us), keeping its connections (MOVING)
//     or, for WHENIDLE, giving only once it has none;
//   - two stacks hold it: the lesser gives it up (ZPX1010I).
#include "stack_impl.hpp"

#include <algorithm>

namespace zplex::tcpip::stack {

namespace {
constexpr auto st(dvipa_status s) { return static_cast<std::uint8_t>(s); }
}  // namespace

peer_state* stack::impl::peer_by_member(std::string_view member) {
    for (auto& p : peers)
        if (p.member == member) return &p;
    return nullptr;
}

int stack::impl::peer_index(std::string_view member) {
    for (std::size_t i = 0; i < peers.size(); ++i)
        if (peers[i].member == member) return static_cast<int>(i);
    return -1;
}

void stack::impl::add_configured(const profile::dvipa_config& c, bool arrival_now) {
    dvipa_entry* d = find_dvipa(c.address.value);
    if (!d) {
        dvipas.emplace_back();
        d = &dvipas.back();
        d->address = c.address.value;
        d->status = dvipa_status::backup;
    }
    d->prefix_len = c.prefix_len;
    d->origin = c.origin == profile::vipa_origin::define ? dvipa_origin::define : dvipa_origin::backup;
    d->rank = c.origin == profile::vipa_origin::define ? 255 : c.rank;
    d->mask_given = c.mask_given;
    d->moveable = c.moveable;
    d->config = c;
    d->deleted = false;
    d->arrival = arrival_now && d->origin == dvipa_origin::define;
}

void stack::impl::note_history(std::uint32_t address, const std::string& tcp, const std::string& sys) {
    history[address] = dvipa_history{tcp, sys};
}

control::state_message stack::impl::my_state(bool reply_wanted) const {
    control::state_message m;
    m.sysname = me.sysname;
    m.tcpname = me.tcpname;
    m.sysclone = me.sysclone;
    m.xcf_address = xcf_address;
    m.reply_wanted = reply_wanted;
    m.roles = dist_roles();
    for (const auto& d : dvipas) {
        control::claim c;
        c.address = d.address;
        c.prefix_len = d.prefix_len;
        c.origin = static_cast<std::uint8_t>(d.origin);
        c.rank = d.rank;
        c.status = st(d.status);
        c.moveable = static_cast<std::uint8_t>(d.moveable);
        if (d.status == dvipa_status::moving || d.status == dvipa_status::quiescing) c.kept = kept_of(d.address);
        m.claims.push_back(std::move(c));
    }
    return m;
}

void stack::impl::broadcast_state(bool reply_wanted, std::string_view to) {
    if (is_fenced || !in_group) return;
    auto msg = control::encode(my_state(reply_wanted));
    io.sysplex->send(to, msg);
}

void stack::impl::joined_group() {
    if (is_fenced) return;
    in_group = true;
    initial_done = false;
    join_time = io.time->monotonic_ms();
    awaited = io.sysplex->members();
    for (auto& d : dvipas)
        if (d.origin == dvipa_origin::define && d.status != dvipa_status::deactivated) d.arrival = true;
    say(me.tcpname + " HAS SUCCESSFULLY JOINED THE TCP/IP SYSPLEX GROUP " + group);
    messages.back().insert(0, "EZD1176I ");
    rebuild_addresses();
    broadcast_state(true);
    if (awaited.empty()) finish_initial();
}

void stack::impl::finish_initial() {
    if (initial_done) return;
    initial_done = true;
    awaited.clear();
    say("EZD1214I INITIAL DYNAMIC VIPA PROCESSING HAS COMPLETED FOR " + me.tcpname);
    evaluate_all();
}

void stack::impl::control_message(std::string_view from, bytes message) {
    if (is_fenced || !in_group) return;
    if (!message.empty() && message[0] == 'S') return swsa_control(from, message);  // SWSA (swsa.cpp)
    auto t = control::peek_type(message);
    if (!t) return drops.count(drop::control_malformed);
    if (*t == control::type::state) {
        control::state_message m;
        if (!control::decode(message, m)) return drops.count(drop::control_malformed);
        return on_state(from, std::move(m));
    }
    if (*t != control::type::take && *t != control::type::give) return dist_control(from, *t, message);
    control::address_message m;
    if (!control::decode(message, m)) return drops.count(drop::control_malformed);
    peer_state* p = peer_by_member(from);
    if (!p || !p->present) return drops.count(drop::control_unknown_peer);
    if (*t == control::type::take) return on_take(from, m);
    on_give(from, m);
}

void stack::impl::on_state(std::string_view from, control::state_message&& m) {
    if (from.empty() || from == me.member) return drops.count(drop::control_unknown_peer);
    int idx = peer_index(from);
    if (idx < 0) {
        peers.emplace_back();
        idx = static_cast<int>(peers.size()) - 1;
        peers.back().member = std::string(from);
    }
    auto& p = peers[static_cast<std::size_t>(idx)];
    p.sysname = m.sysname;
    p.tcpname = m.tcpname;
    p.sysclone = m.sysclone;
    p.xcf_address = m.xcf_address;
    p.present = true;
    // DVIPAs the peer held and holds no more: a "distribute" it dropped meanwhile is told again.
    std::vector<std::uint32_t> released;
    for (const auto& c : p.claims) {
        if (c.status != st(dvipa_status::active)) continue;
        bool still = std::any_of(m.claims.begin(), m.claims.end(), [&](const control::claim& n) {
            return n.address == c.address && n.status == st(dvipa_status::active);
        });
        if (!still) released.push_back(c.address);
    }
    p.claims = std::move(m.claims);
    p.roles = std::move(m.roles);
    add_xcf_link(idx);
    for (const auto& c : p.claims)
        if (c.status == st(dvipa_status::active)) note_history(c.address, p.tcpname, p.sysname);
    if (m.reply_wanted) broadcast_state(false, from);
    sync_routed(idx);
    rebuild_routes();
    dist_peer_state(idx, released);
    auto w = std::find(awaited.begin(), awaited.end(), from);
    if (w != awaited.end()) {
        awaited.erase(w);
        p.replied = true;
        if (awaited.empty() && in_group && !initial_done) return finish_initial();
    }
    evaluate_all();
}

void stack::impl::on_take(std::string_view from, const control::address_message& m) {
    dvipa_entry* d = find_dvipa(m.address);
    peer_state* p = peer_by_member(from);
    if (!d || !p || d->status != dvipa_status::active) return;  // the requester sees our state and re-decides
    if (m.moveable == static_cast<std::uint8_t>(profile::moveable_mode::whenidle) && conn_count(d->address) > 0) {
        d->give_when_idle = std::string(from);
        return;
    }
    give(*d, *p);
}

void stack::impl::give(dvipa_entry& d, peer_state& to) {
    std::size_t kept = conn_count(d.address);
    say("EZZ8303I VIPA " + dotted(d.address) + " GIVEN TO " + to.tcpname + " ON " + to.sysname);
    d.give_when_idle.clear();
    d.requested_from.clear();
    if (d.origin == dvipa_origin::range_bind) d.deleted = true;
    d.status = kept ? dvipa_status::moving : dvipa_status::backup;
    rebuild_addresses();
    // give before state: the taker activates on give and says EZZ8302I, not EZZ8301I.
    if (!is_fenced) io.sysplex->send(to.member, control::encode(control::type::give, {d.address, 0}));
    broadcast_state(false);
    if (!kept) check_idle();
}

void stack::impl::on_give(std::string_view from, const control::address_message& m) {
    dvipa_entry* d = find_dvipa(m.address);
    peer_state* p = peer_by_member(from);
    if (!d || !p || d->status != dvipa_status::backup) return;
    activate(*d, "EZZ8302I VIPA " + dotted(d->address) + " TAKEN FROM " + p->tcpname + " ON " + p->sysname);
    // The giver's own state (no longer active) follows its give; another stack that holds
    // the DVIPA with a better claim (a VIPADEFINE owner that came meanwhile) wins at once.
    evaluate(*d, from);
}

void stack::impl::activate(dvipa_entry& d, std::string message) {
    d.status = dvipa_status::active;
    d.activated = io.time->wall_seconds();
    d.requested_from.clear();
    d.arrival = false;
    note_history(d.address, me.tcpname, me.sysname);
    if (!message.empty()) say(std::move(message));
    rebuild_addresses();
    rebuild_routes();
    install_kept(d.address);
    gratuitous_arp(d.address);
    broadcast_state(false);
}

void stack::impl::install_kept(std::uint32_t address) {
    for (std::size_t i = 0; i < peers.size(); ++i) {
        const auto& p = peers[i];
        if (!p.present) continue;
        for (const auto& c : p.claims) {
            if (c.address != address) continue;
            if (c.status != st(dvipa_status::moving) && c.status != st(dvipa_status::quiescing)) continue;
            for (const auto& k : c.kept) {
                conn_entry* e = conn_insert(address, k.local_port, k.remote_ip, k.remote_port);
                if (!e) {
                    drops.count(drop::conn_table_full);
                    continue;
                }
                e->peer = static_cast<std::int16_t>(i);
            }
        }
    }
}

void stack::impl::sync_routed(int idx) {
    const auto& p = peers[static_cast<std::size_t>(idx)];
    for (auto& e : conns) {
        if (e.used != 1 || e.peer != idx || e.dist != conn_dist::none) continue;
        bool still = false;
        if (p.present) {
            for (const auto& c : p.claims) {
                if (c.address != e.local_ip) continue;
                for (const auto& k : c.kept)
                    if (k.remote_ip == e.remote_ip && k.remote_port == e.remote_port && k.local_port == e.local_port)
                        still = true;
            }
        }
        if (!still) e.used = 2;
    }
    for (const auto& d : dvipas)
        if (d.status == dvipa_status::active) install_kept(d.address);
}

void stack::impl::member_gone(std::string_view member, bool failed) {
    (void)failed;
    int idx = peer_index(member);
    if (idx < 0) return;
    auto& p = peers[static_cast<std::size_t>(idx)];
    p.present = false;
    p.claims.clear();
    p.roles.clear();
    eport_reclaim(member, idx);
    dist_member_gone(idx);
    sync_routed(idx);
    rebuild_routes();
    auto w = std::find(awaited.begin(), awaited.end(), member);
    if (w != awaited.end()) awaited.erase(w);
    if (in_group && !initial_done && awaited.empty()) return finish_initial();
    evaluate_all();
}

void stack::impl::fence() {
    if (is_fenced) return;
    say("ZPX1020E " + me.tcpname + " ON " + me.sysname +
        " IS FENCED: ITS SYSTEM WAS PARTITIONED OUT OF THE SYSPLEX, NOTHING MORE IS SENT");
    is_fenced = true;
    in_group = false;
    for (auto& d : dvipas)
        if (d.status == dvipa_status::active || d.status == dvipa_status::moving) d.status = dvipa_status::backup;
    rebuild_addresses();
}

void stack::impl::evaluate_all() {
    // evaluate() may add nothing but can activate or give: iterate by index.
    for (std::size_t i = 0; i < dvipas.size(); ++i) evaluate(dvipas[i]);
}

void stack::impl::evaluate(dvipa_entry& d, std::string_view gone_from) {
    if (!in_group || !initial_done || is_fenced) return;
    if (d.status != dvipa_status::active && d.status != dvipa_status::backup) return;
    if (d.deleted) return;
    auto better = [&](const control::claim& c, const peer_state& p) {
        return c.rank > d.rank || (c.rank == d.rank && p.member < me.member);
    };
    const peer_state* holder = nullptr;
    const control::claim* held = nullptr;
    bool define_present = false;
    for (const auto& p : peers) {
        if (!p.present || (!gone_from.empty() && p.member == gone_from)) continue;
        for (const auto& c : p.claims) {
            if (c.address != d.address) continue;
            if (c.origin == static_cast<std::uint8_t>(dvipa_origin::define) && c.status != st(dvipa_status::deactivated))
                define_present = true;
            if (c.status == st(dvipa_status::active) && (!held || c.rank > held->rank)) {
                holder = &p;
                held = &c;
            }
        }
    }
    if (d.status == dvipa_status::active) {
        if (!holder || !better(*held, *holder)) return;
        say("ZPX1010I VIPA " + dotted(d.address) + " IS ALSO ACTIVE ON " + holder->tcpname + " ON " +
            holder->sysname + ": " + me.tcpname + " GIVES IT UP");
        d.status = conn_count(d.address) ? dvipa_status::moving : dvipa_status::backup;
        if (d.origin == dvipa_origin::range_bind) d.deleted = true;
        rebuild_addresses();
        rebuild_routes();
        broadcast_state(false);
        return;
    }
    if (!holder) {
        d.requested_from.clear();
        if (d.origin == dvipa_origin::range_bind) {
            if (d.listeners > 0) activate(d, {});
            return;
        }
        auto h = history.find(d.address);
        bool existed = h != history.end();
        auto may_create = [&](std::uint8_t origin, bool mask) {
            return existed || origin == static_cast<std::uint8_t>(dvipa_origin::define) || (mask && !define_present);
        };
        if (!may_create(static_cast<std::uint8_t>(d.origin), d.mask_given)) return;
        for (const auto& p : peers) {
            if (!p.present) continue;
            for (const auto& c : p.claims) {
                if (c.address != d.address || c.status != st(dvipa_status::backup)) continue;
                if (c.origin == static_cast<std::uint8_t>(dvipa_origin::range_bind)) continue;
                // A peer's mask is not in its claim: a VIPABACKUP peer may create only once it existed.
                if (!may_create(c.origin, false) && !existed) continue;
                if (better(c, p)) return;  // that stack takes it
            }
        }
        if (existed && !(h->second.tcpname == me.tcpname && h->second.sysname == me.sysname)) {
            activate(d, "EZZ8301I VIPA " + dotted(d.address) + " TAKEN OVER FROM " + h->second.tcpname + " ON " +
                            h->second.sysname);
        } else {
            activate(d, {});
        }
        return;
    }
    if (!d.requested_from.empty() && d.requested_from == holder->member) return;
    d.requested_from.clear();
    bool want = d.rank > held->rank || (d.arrival && d.origin == dvipa_origin::define) ||
                (d.origin == dvipa_origin::range_bind && d.listeners > 0 && d.arrival);
    d.requested_on_arrival = d.arrival;
    d.arrival = false;
    if (!want) return;
    d.requested_from = holder->member;
    d.requested_at = io.time->monotonic_ms();
    io.sysplex->send(holder->member,
                     control::encode(control::type::take, {d.address, static_cast<std::uint8_t>(d.moveable)}));
}

void stack::impl::retry_takes(std::int64_t now) {
    // A take that met a holder which did not know us yet (its view of the group not
    // updated, or the message lost with a path) is not answered: ask again, as the holder's
    // state still shows it active (a WHENIDLE holder that waits is asked again harmlessly).
    if (!in_group || !initial_done || is_fenced) return;
    for (std::size_t i = 0; i < dvipas.size(); ++i) {
        auto& d = dvipas[i];
        if (d.requested_from.empty() || d.status != dvipa_status::backup) continue;
        if (now - d.requested_at < sizes.take_retry_ms) continue;
        d.requested_from.clear();
        d.arrival = d.requested_on_arrival;
        evaluate(d);
    }
}

void stack::impl::check_idle() {
    bool changed = false;
    for (std::size_t i = 0; i < dvipas.size();) {
        auto& d = dvipas[i];
        std::size_t n = conn_count(d.address);
        bool remove = false;
        if (n == 0) {
            if (d.status == dvipa_status::moving) {
                d.status = dvipa_status::backup;
                changed = true;
                remove = d.deleted;
            } else if (d.status == dvipa_status::quiescing) {
                d.status = dvipa_status::deactivated;
                changed = true;
                remove = d.deleted;
            } else if (d.status == dvipa_status::active && !d.give_when_idle.empty()) {
                peer_state* p = peer_by_member(d.give_when_idle);
                if (p && p->present) {
                    give(d, *p);
                    return check_idle();
                }
                d.give_when_idle.clear();
            } else if (d.status == dvipa_status::active && d.origin == dvipa_origin::range_bind && d.listeners <= 0) {
                remove = true;
            } else if (d.status == dvipa_status::backup && d.deleted) {
                remove = true;
            }
        }
        if (remove) {
            dvipas.erase(dvipas.begin() + static_cast<std::ptrdiff_t>(i));
            changed = true;
            continue;
        }
        ++i;
    }
    if (!changed) return;
    rebuild_addresses();
    rebuild_routes();
    broadcast_state(false);
    evaluate_all();
}

void stack::impl::tick() {
    std::int64_t now = io.time->monotonic_ms();
    arp_tick(now);
    reasm_tick(now);
    for (auto& e : conns) {
        if (e.used == 1 && e.closing_since && now - e.closing_since >= 2000 && e.dist != conn_dist::affinity) {
            conn_erase(&e);
        }
    }
    dist_tick(now);
    swsa_tick();
    retry_takes(now);
    if (in_group && !initial_done && now - join_time >= sizes.initial_wait_ms) finish_initial();
    if (conns_changed) {
        conns_changed = false;
        check_idle();
    }
}

// ---------------------------------------------------------------- VIPARANGE binds

void stack::impl::listener_added(ipv4_address a, std::uint16_t port, std::string_view job) {
    dist_listener(a.value, port, 1);  // a target's ready count, in the group or not
    if (left_group) return;  // out of the group: no dynamic VIPA is created
    const profile::vipa_range_config* range = nullptr;
    for (const auto& r : config.vipa_ranges) {
        std::uint32_t m = r.prefix_len == 0 ? 0 : ~std::uint32_t{0} << (32 - r.prefix_len);
        if ((a.value & m) == (r.address.value & m) && (!range || r.prefix_len > range->prefix_len)) range = &r;
    }
    dvipa_entry* d = find_dvipa(a.value);
    if (d) {
        if (d->origin == dvipa_origin::range_bind) {
            ++d->listeners;
            d->deleted = false;
        }
        return;
    }
    if (!range) return;  // an ordinary address: nothing to create
    for (const auto& p : peers) {
        if (!p.present) continue;
        for (const auto& c : p.claims) {
            if (c.address != a.value) continue;
            bool other_kind = c.origin != static_cast<std::uint8_t>(dvipa_origin::range_bind);
            if (other_kind || (!range->nondisruptive && c.status == st(dvipa_status::active))) {
                say("ZPX1011I BIND TO " + a.str() + " BY " + std::string(job) + " DOES NOT CREATE A DVIPA: IT IS " +
                    (other_kind ? "DEFINED" : "ACTIVE") + " ON " + p.tcpname + " ON " + p.sysname);
                return;
            }
        }
    }
    dvipas.emplace_back();
    auto& n = dvipas.back();
    n.address = a.value;
    n.prefix_len = range->prefix_len;
    n.origin = dvipa_origin::range_bind;
    n.rank = 0;
    n.status = dvipa_status::backup;
    n.jobname = std::string(job);
    n.listeners = 1;
    n.arrival = true;
    broadcast_state(false);
    evaluate(n);
}

void stack::impl::listener_removed(ipv4_address a, std::uint16_t port) {
    dist_listener(a.value, port, -1);
    dvipa_entry* d = find_dvipa(a.value);
    if (!d || d->origin != dvipa_origin::range_bind) return;
    if (--d->listeners <= 0) {
        d->listeners = 0;
        d->deleted = true;
        check_idle();
    }
}

// ---------------------------------------------------------------- OBEYFILE and VARY

void stack::impl::apply_profile(const profile::profile& updated) {
    for (auto& d : dvipas) {
        if (d.origin == dvipa_origin::range_bind) continue;
        if (updated.find_dvipa(ipv4_address{d.address})) continue;
        d.deleted = true;  // VIPADELETE
        if (d.status == dvipa_status::active) {
            d.status = conn_count(d.address) ? dvipa_status::quiescing : dvipa_status::backup;
        }
    }
    config = updated;
    if (left_group) return rebuild_kept_config();  // kept for JOINGROUP, which reprocesses it
    for (const auto& c : config.dvipas) {
        dvipa_entry* d = find_dvipa(c.address.value);
        if (d && !d->deleted) continue;
        add_configured(c, true);
    }
    rebuild_addresses();
    rebuild_routes();
    broadcast_state(false);
    check_idle();
    evaluate_all();
}

std::vector<std::string> stack::impl::vary_sysplex(const std::string& verb, const std::string& operand) {
    const std::string cmd = "VARY TCPIP,," + std::string("SYSPLEX,") + verb;
    if (verb == "LEAVEGROUP" || verb == "JOINGROUP") {
        if (!operand.empty()) return {"ZPX1031I " + cmd + " TAKES NO OPERAND, NOT '" + operand + "'"};
        return verb == "LEAVEGROUP" ? leave_group(cmd) : join_group(cmd);
    }
    if (verb == "QUIESCE" || verb == "RESUME") return dist_vary(verb, operand);
    if (verb != "DEACTIVATE" && verb != "REACTIVATE") {
        return {"ZPX1032I " + cmd + " IS NOT SUPPORTED BY " + me.tcpname};
    }
    auto a = operand.rfind("DVIPA=", 0) == 0 ? ipv4_address::parse(operand.substr(6)) : std::nullopt;
    if (!a) return {"ZPX1031I " + cmd + " NEEDS DVIPA=ipv4_address, NOT '" + operand + "'"};
    dvipa_entry* d = find_dvipa(a->value);
    if (left_group) return {"ZPX1031I " + cmd + ": " + me.tcpname + " IS NOT A MEMBER OF A SYSPLEX GROUP"};
    if (!d || d->origin == dvipa_origin::range_bind || d->deleted) {
        return {"ZPX1031I " + cmd + ": " + a->str() + " IS NOT A VIPADEFINE OR VIPABACKUP DVIPA OF " + me.tcpname};
    }
    if (verb == "DEACTIVATE") {
        if (d->status == dvipa_status::deactivated || d->status == dvipa_status::quiescing) {
            return {"ZPX1031I " + cmd + ": DVIPA " + a->str() + " IS ALREADY DEACTIVATED"};
        }
        d->saved = d->config;
        bool kept = (d->status == dvipa_status::active || d->status == dvipa_status::moving) && conn_count(d->address);
        d->status = kept ? dvipa_status::quiescing : dvipa_status::deactivated;
        d->give_when_idle.clear();
        d->requested_from.clear();
    } else {
        if (d->status != dvipa_status::deactivated && d->status != dvipa_status::quiescing) {
            return {"ZPX1031I " + cmd + ": DVIPA " + a->str() + " IS NOT DEACTIVATED"};
        }
        if (d->saved) d->config = d->saved;
        d->saved.reset();
        d->status = d->status == dvipa_status::quiescing ? dvipa_status::moving : dvipa_status::backup;
        d->arrival = d->origin == dvipa_origin::define;
    }
    rebuild_addresses();
    rebuild_routes();
    broadcast_state(false);
    evaluate_all();
    return {"ZPX1001I " + cmd + ",DVIPA=" + a->str() + " COMPLETED ON " + me.tcpname};
}

// LEAVEGROUP leaves the XCF group and deletes every dynamic VIPA of the stack; the
// VIPADYNAMIC configuration stays (NETSTAT VIPADCFG shows it). The others see the member
// leave, so backups take the DVIPAs over (EZZ8301I on them), and the dynamic XCF links
// go down. JOINGROUP joins again and reprocesses the kept configuration as at start.
std::vector<std::string> stack::impl::leave_group(const std::string& cmd) {
    if (!in_group || is_fenced) return {"ZPX1031I " + cmd + ": " + me.tcpname + " IS NOT A MEMBER OF A SYSPLEX GROUP"};
    if (!io.sysplex->leave_group()) return {"ZPX1032I " + cmd + " IS NOT SUPPORTED BY " + me.tcpname};
    in_group = false;
    initial_done = false;
    left_group = true;
    awaited.clear();
    dvipas.clear();
    sd.targets.clear();  // no longer a distribution target either
    sd.told.clear();
    rebuild_kept_config();
    for (auto& e : conns)
        if (e.used == 1) conn_erase(&e);
    for (std::size_t i = 0; i < peers.size(); ++i) {
        peers[i].present = false;
        peers[i].replied = false;
        peers[i].claims.clear();
        sync_routed(static_cast<int>(i));
    }
    rebuild_addresses();
    rebuild_routes();
    say("ZPX1033I " + me.tcpname + " HAS LEFT THE TCP/IP SYSPLEX GROUP " + group +
        ": ITS DYNAMIC VIPAS ARE DELETED, ITS VIPADYNAMIC CONFIGURATION IS KEPT");
    return {"ZPX1001I " + cmd + " COMPLETED ON " + me.tcpname};
}

void stack::impl::rebuild_kept_config() {
    std::vector<dvipa_entry> current;
    current.swap(dvipas);
    for (const auto& c : config.dvipas) add_configured(c, false);
    kept_config.swap(dvipas);
    dvipas.swap(current);
}

std::vector<std::string> stack::impl::join_group(const std::string& cmd) {
    if (is_fenced) return {"ZPX1031I " + cmd + ": " + me.tcpname + " IS FENCED: ITS SYSTEM MUST BE RE-IPLED"};
    if (in_group) return {"ZPX1031I " + cmd + ": " + me.tcpname + " IS ALREADY A MEMBER OF SYSPLEX GROUP " + group};
    if (!io.sysplex->join_group()) return {"ZPX1032I " + cmd + " IS NOT SUPPORTED BY " + me.tcpname};
    if (left_group) {
        left_group = false;
        kept_config.clear();
        for (const auto& c : config.dvipas) add_configured(c, false);
        say("EZD1192I THE VIPADYNAMIC CONFIGURATION WAS SUCCESSFULLY RESTORED FOR " + me.tcpname);
    }
    joined_group();
    return {"ZPX1001I " + cmd + " COMPLETED ON " + me.tcpname};
}

}  // namespace zplex::tcpip::stack
