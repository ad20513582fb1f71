// SPDX-License-Identifier: Apache-2.0
// SWSA in the stack core (docs/swsa.md): the owner of a distributed DVIPA publishes its
// SAs in EZBDVIPA and distributes them to the targets; inbound IPsec packets are peeked
// on the owner and forwarded still protected to the target of their connection, which
// does the full processing with its shadow SA; outbound, any stack protects what a
// dynamic filter asks for with sequence numbers from EZBDVIPA and sends it to the LAN.
#include "stack_impl.hpp"
#include "wire.hpp"

#include <zplex/ipsec/display.hpp>
#include <zplex/swsa/sa_record.hpp>

#include <algorithm>
#include <array>
#include <set>

namespace zplex::tcpip::stack {

void stack::impl::swsa_init() {
    if (!io.ezbdvipa || sw.cache) return;
    swsa::shadow_cache::options o;
    o.system = me.sysname;
    o.stack = me.tcpname;
    o.cf = io.ezbdvipa;
    // The owner and up to three targets sending at once (FIG4's DVA1: MVS1, MVS2, MVS4)
    // never push a held block out of the peer's window: blocks of a quarter window.
    o.senders = 4;
    o.on_seq_failure = [this](std::string_view line, bool) { say(std::string(line)); };
    sw.cache = std::make_unique<swsa::shadow_cache>(sw.sad, sw.spd, std::move(o));
}

// ---------------------------------------------------------------- owner: install, delete

swsa::sa_record stack::impl::swsa_record_of(const swsa::sa_distribute_message& m) const {
    swsa::sa_record r;
    r.owner_system = me.sysname;
    r.owner_stack = me.tcpname;
    r.tunnel = m.tunnel;
    r.dvipa = m.dvipa;
    r.peer = m.peer;
    r.esp = m.protocol == 50;
    r.ah = m.protocol == 51;
    r.mode = m.mode;
    r.esp_alg = m.alg;
    r.esn = m.esn;
    r.udp_encap = m.udp_encap;
    (r.ah ? r.ah_spi_in : r.esp_spi_in) = m.spi_in;
    (r.ah ? r.ah_spi_out : r.esp_spi_out) = m.spi_out;
    for (const auto& f : m.filters) {
        if (f.direction == 1) {
            r.sel = {f.src, f.src_len, f.dst, f.dst_len, f.protocol, f.src_port_lo, f.src_port_hi, f.dst_port_lo,
                     f.dst_port_hi};
            break;
        }
    }
    r.vpn_action = m.vpn_action;
    r.lifetime_s = m.lifetime_s;
    r.lifesize = m.lifesize;
    r.established = r.refreshed = static_cast<std::uint64_t>(io.time->wall_seconds());
    r.peer_window = m.peer_window;
    r.counter_list = m.counter_list;  // an installed SA's (a new one's are set by publish)
    r.base = m.base;
    return r;
}

std::string stack::impl::swsa_install(swsa::sa_distribute_message m) {
    swsa_init();
    if (!sw.cache) return "NO EZBDVIPA CONNECTION";
    if (!config.ipsec.dvipsec) return "IPSEC DVIPSEC IS NOT SPECIFIED IN THE PROFILE";
    dvipa_entry* d = find_dvipa(m.dvipa);
    if (!d || d->status != dvipa_status::active) return "THE DVIPA IS NOT ACTIVE ON THIS STACK";
    swsa_master* first = nullptr;  // the other half of a bundle, installed before
    if (auto it = sw.masters.find(m.tunnel); it != sw.masters.end()) {
        auto& x = it->second;
        if (!m.bundle || !x.sa.bundle || x.other || x.sa.protocol == m.protocol || x.sa.dvipa != m.dvipa ||
            x.sa.peer != m.peer || x.sa.mode != m.mode)
            return "TUNNEL " + m.tunnel + " EXISTS";
        first = &x;
    }
    if (m.bundle && m.udp_encap) return "AN AH+ESP BUNDLE CANNOT BE UDP-ENCAPSULATED";
    m.owner_system = me.sysname;
    m.owner_stack = me.tcpname;
    swsa::sa_record r = swsa_record_of(m);
    if (!swsa_cf_check(true)) return "EZBDVIPA IS LOST AND NOT ALLOCATED AGAIN YET";
    swsa::sa_store store(*io.ezbdvipa);
    auto res = store.publish(r);
    // EZBDVIPA full (or every counter list taken): a rekey takes over the record and the
    // counter of the SA it replaces, whose numbers the new one's start above (docs/swsa.md
    // "EZBDVIPA full"). A new SA that rekeys nothing cannot be shared until there is room.
    swsa_master* given = nullptr;
    const swsa::sa_distribute_message* given_half = nullptr;
    if (!res && (res.why == cf::reason::structure_full || res.why == cf::reason::list_full) && !m.replaces.empty()) {
        auto old = sw.masters.find(m.replaces);
        if (old != sw.masters.end() && old->second.generation == io.ezbdvipa->generation() &&
            (given_half = old->second.half(m.protocol)) && !old->second.given.count(given_half->counter_list)) {
            const auto full = res;
            res = store.take_over(r, given_half->counter_list);
            if (res) {
                given = &old->second;
                say("ZPX1764I EZBDVIPA IS FULL (" + cf::to_string(full) + "): SA " + m.tunnel +
                    " TAKES THE RECORD AND COUNTER (LIST " + std::to_string(r.counter_list) + ") OF " + m.replaces +
                    ", WHICH IT REKEYS");
            }
        }
    }
    if (!res) {
        say("EZD0831I TUNNEL TAKEOVER PREPARATION FAILED : TUNNELID= " + m.tunnel + " " + cf::to_string(res));
        return "EZBDVIPA: " + cf::to_string(res);
    }
    m.counter_list = r.counter_list;
    m.base = r.base;
    std::string why;
    if (!sw.cache->install(m, &why)) {
        // The record goes, or the one taken over is the replaced SA's again.
        if (given) store.update(swsa_record_of(*given_half));
        else store.remove(r.counter_list);
        return why;
    }
    if (given) given->given.insert(given_half->counter_list);
    auto mode = m.mode == 1 ? ipsec::sa_mode::tunnel : ipsec::sa_mode::transport;
    if (first) {
        // The bundle is whole: its peek reads ESP behind AH; every target gets both halves.
        first->other = std::move(m);
        const auto* esp = first->half(50);
        first->peek = swsa::peeker::create_bundle(static_cast<ipsec::algorithm>(esp->alg), mode, esp->key_in);
        first->told.clear();
        swsa_distribute(*first);
        return "";
    }
    swsa_master master;
    master.generation = io.ezbdvipa->generation();
    if (!m.bundle) master.peek = swsa::peeker::create(m.protocol, static_cast<ipsec::algorithm>(m.alg), mode, m.key_in);
    master.sa = std::move(m);
    auto& placed = sw.masters.emplace(master.sa.tunnel, std::move(master)).first->second;
    swsa_distribute(placed);  // every target of the DVIPA gets the SA for its shadow cache
    return "";
}

void stack::impl::swsa_distribute(swsa_master& master) {
    // The DVIPA's targets present now; one that came (a late join, a restarted stack)
    // gets the SA, one that went is forgotten so it gets it again when it comes back.
    std::set<std::string> now;
    for (const auto& s : sd.services) {
        if (s.address != master.sa.dvipa) continue;
        for (const auto& row : s.rows) {
            if (row.peer < 0 || !row.reported) continue;  // reported: it knows it is a target
            const auto& ps = peers[static_cast<std::size_t>(row.peer)];
            if (ps.present) now.insert(ps.member);
        }
    }
    for (auto it = master.told.begin(); it != master.told.end();)
        it = now.count(*it) ? std::next(it) : master.told.erase(it);
    for (const auto& member : now) {
        if (master.told.count(member)) continue;
        auto wire_bytes = swsa::encode(master.sa);
        io.sysplex->send(member, bytes(wire_bytes.data(), wire_bytes.size()));
        if (master.other) {  // a bundle: the second half after the first, in order
            auto second = swsa::encode(*master.other);
            io.sysplex->send(member, bytes(second.data(), second.size()));
        }
        master.told.insert(member);
    }
}

std::string stack::impl::swsa_delete(const std::string& tunnel, swsa::delete_reason why) {
    auto it = sw.masters.find(tunnel);
    if (it == sw.masters.end()) return swsa_retire(tunnel, why);
    // A bundle: a delete per half (either takes the whole bundle off a target), and
    // both records (one counter each) leave EZBDVIPA.
    for (const auto* m : {&it->second.sa, it->second.other ? &*it->second.other : nullptr}) {
        if (!m) continue;
        swsa::sa_delete_message d{me.sysname, me.tcpname, tunnel, why, m->dvipa, m->protocol, m->spi_in, m->spi_out};
        if (sw.cache) sw.cache->remove(d);
        // A record of a structure lost since is not in this one (its list is another's).
        // Nor is one whose list a rekey took over (EZBDVIPA was full): it is the new SA's.
        if (io.ezbdvipa && !io.ezbdvipa->lost() && io.ezbdvipa->generation() == it->second.generation &&
            !it->second.given.count(m->counter_list))
            swsa::sa_store(*io.ezbdvipa).remove(m->counter_list);
        auto out = swsa::encode(d);
        io.sysplex->send("", bytes(out.data(), out.size()));
    }
    sw.masters.erase(it);
    return "";
}

std::string stack::impl::swsa_retire(const std::string& tunnel, swsa::delete_reason why) {
    // An SA of EZBDVIPA negotiated by another stack (or by this one before it was started
    // again) for a DVIPA that is active here now (its owner failed, left or gave the DVIPA
    // to this stack), whose replacement this
    // stack's IKE has negotiated. The record leaves the CF and the SA every stack: the
    // shadows, and the old owner's master if that stack is still up.
    const std::string not_here = "TUNNEL " + tunnel + " IS NOT OWNED HERE";
    if (!io.ezbdvipa) return not_here;
    swsa::sa_store store(*io.ezbdvipa);
    std::vector<swsa::sa_record> rs;
    if (auto res = store.read_all(rs); !res) return "EZBDVIPA: " + cf::to_string(res);
    bool retired = false;
    for (const auto& r : rs) {
        if (r.tunnel != tunnel) continue;  // a bundle has two records (one per SA): each goes
        // A record in this stack's own name that is no master here is an earlier
        // incarnation's (the stack was started again): retired as another stack's would be.
        dvipa_entry* d = find_dvipa(r.dvipa);
        if (!d || d->status != dvipa_status::active)
            return not_here + " AND ITS DVIPA " + profile::ipv4_address{r.dvipa}.str() + " IS NOT ACTIVE HERE";
        std::uint8_t proto = r.esp ? 50 : 51;
        swsa::sa_delete_message m{r.owner_system, r.owner_stack, tunnel, why, r.dvipa, proto,
                                  r.esp ? r.esp_spi_in : r.ah_spi_in, r.esp ? r.esp_spi_out : r.ah_spi_out};
        if (sw.cache) sw.cache->remove(m);
        store.remove(r.counter_list);
        auto out = swsa::encode(m);
        io.sysplex->send("", bytes(out.data(), out.size()));
        if (!retired)
            say("ZPX1709I SWSA SA " + tunnel + " OF " + r.owner_stack + " ON " + r.owner_system + " FOR " +
                profile::ipv4_address{r.dvipa}.str() + " RETIRED: ITS RECORD AND SHADOWS ARE DELETED");
        retired = true;
    }
    return retired ? "" : not_here;
}

std::vector<stack::swsa_usage_row> stack::impl::swsa_usage() {
    std::vector<swsa_usage_row> out;
    if (!sw.cache) return out;
    // Asked 20 times a second by the IKE daemon: the counters only, no display records.
    for (const auto& [tunnel, m] : sw.masters) {
        if (!sw.cache->find(tunnel)) continue;
        swsa_usage_row u;
        u.tunnel = tunnel;
        u.spi_in = m.sa.spi_in;
        u.own_bytes = sw.cache->bytes_of(tunnel);
        u.target_bytes = m.target_bytes;
        u.reports = m.reports;
        u.lifesize = m.sa.lifesize;
        // Rekeyed once there is a structure to put the new SA's record in.
        if (io.ezbdvipa && !io.ezbdvipa->lost()) {
            const auto* sh = sw.cache->find(tunnel);
            u.rekey = m.generation != io.ezbdvipa->generation() || (sh->seqs && sh->seqs->retired()) ||
                      (sh->ah_seqs && sh->ah_seqs->retired());
        }
        out.push_back(u);
    }
    return out;
}

std::size_t stack::impl::swsa_keys(std::string& out) {
    // Every SA here is in the cache: the owner installs its masters there too.
    std::size_t n = sw.cache ? sw.cache->esp_sa_lines(out) : 0;
    // As z/OS records who started a packet trace: keys left the stack.
    say("ZPX1760I THE KEYS OF " + std::to_string(n) + " ESP SAS OF " + me.tcpname + " WERE GIVEN OUT FOR A TRACE");
    return n;
}

std::vector<swsa::sa_record> stack::impl::swsa_records(std::string& why) {
    std::vector<swsa::sa_record> rs;
    if (!io.ezbdvipa) {
        why = "NO EZBDVIPA CONNECTION";
        return rs;
    }
    std::vector<std::string> bad;
    if (auto res = swsa::sa_store(*io.ezbdvipa).read_all(rs, &bad); !res) why = "EZBDVIPA: " + cf::to_string(res);
    for (const auto& b : bad) say("ZPX1712I EZBDVIPA ENTRY " + b + " IS NOT A VALID SA RECORD");
    return rs;
}

// ---------------------------------------------------------------- control messages

void stack::impl::swsa_control(std::string_view from, bytes message) {
    swsa_init();
    auto t = swsa::peek_type(message);
    if (!t || !sw.cache) return drops.count(drop::control_malformed);
    switch (*t) {
    case swsa::message_type::sa_distribute: {
        swsa::sa_distribute_message m;
        if (!swsa::decode(message, m)) return drops.count(drop::control_malformed);
        dist_target_entry* te = dist_target(m.dvipa);
        if (!te || te->distributor != from) return drops.count(drop::control_unknown_peer);
        if (const auto* have = sw.cache->find(m.tunnel);
            have && have->owner_system == m.owner_system &&
            ((have->protocol == m.protocol && have->spi_in == m.spi_in && have->spi_out == m.spi_out) ||
             (have->bundle && m.protocol == 51 && have->ah_spi_in == m.spi_in && have->ah_spi_out == m.spi_out)))
            return;  // sent again (the owner saw this target go and come back): kept as it is
        std::string why;
        swsa_cf_check(true);  // the owner put it in the structure as it is now: so must we count
        if (!sw.cache->install(m, &why)) say("ZPX1701I SHADOW SA " + m.tunnel + " FROM " + std::string(from) +
                                             " NOT INSTALLED: " + why);
        return;
    }
    case swsa::message_type::sa_delete: {
        swsa::sa_delete_message m;
        if (!swsa::decode(message, m)) return drops.count(drop::control_malformed);
        sw.cache->remove(m);
        if (m.owner_system == me.sysname && m.owner_stack == me.tcpname) {
            // Ours, retired by the stack that holds its DVIPA now (docs/swsa.md "Takeover").
            if (auto it = sw.masters.find(m.tunnel); it != sw.masters.end() && it->second.sa.spi_in == m.spi_in) {
                say("ZPX1709I SWSA SA " + m.tunnel + " OF " + me.tcpname + " ON " + me.sysname + " FOR " +
                    profile::ipv4_address{m.dvipa}.str() + " RETIRED BY " + std::string(from));
                sw.masters.erase(it);
            }
        }
        return;
    }
    case swsa::message_type::lifesize_report: {
        swsa::lifesize_report_message m;
        if (!swsa::decode(message, m)) return drops.count(drop::control_malformed);
        auto it = sw.masters.find(m.tunnel);
        const auto* half = it == sw.masters.end() ? nullptr : it->second.half(m.protocol);
        if (!half || half->spi_out != m.spi_out) return;
        it->second.target_bytes += m.bytes;
        ++it->second.reports;
        return;
    }
    case swsa::message_type::newconn: {
        swsa::newconn_message m;
        if (!swsa::decode(message, m)) return drops.count(drop::control_malformed);
        dvipa_entry* d = find_dvipa(m.dvipa);
        if (!d || d->status != dvipa_status::active) return drops.count(drop::control_unknown_peer);
        swsa_newconn_queue(from, m);
        return;
    }
    }
}

bool stack::impl::swsa_cf_check(bool now) {
    if (!io.ezbdvipa) return false;
    const std::int64_t t = io.time->monotonic_ms();
    if (!now && t - sw.cf_checked_ms < 250) return !io.ezbdvipa->lost();
    sw.cf_checked_ms = t;
    if (!io.ezbdvipa->lost()) {
        auto r = io.ezbdvipa->probe();
        if (r || r.why != cf::reason::structure_lost) return true;
    }
    if (!sw.cf_lost_said) {
        sw.cf_lost_said = true;
        std::size_t n = sw.cache ? sw.cache->size() : 0;
        say("ZPX1762E EZBDVIPA WAS LOST: THE SEQUENCE COUNTERS OF " + std::to_string(n) +
            " SAS ON THIS STACK ARE GONE, NOTHING IS SENT UNDER THEM AND THEIR OWNERS REKEY THEM");
    }
    auto r = io.ezbdvipa->reconnect();
    if (!r) return false;
    sw.cf_lost_said = false;
    say("ZPX1763I EZBDVIPA CONNECTED AGAIN IN " + io.ezbdvipa->current_cf() + " (GENERATION " +
        std::to_string(io.ezbdvipa->generation()) + "): THE SAS OF THE LOST STRUCTURE ARE REKEYED BY THEIR OWNERS");
    return true;
}

void stack::impl::swsa_tick() {
    swsa_newconn_tick();
    if (!sw.cache) return;
    swsa_cf_check(false);
    for (auto& [name, m] : sw.masters) swsa_distribute(m);
    for (auto& r : sw.cache->collect_reports()) {
        dist_target_entry* te = dist_target(r.dvipa);
        if (!te || te->distributor.empty()) continue;
        auto out = swsa::encode(r);
        io.sysplex->send(te->distributor, bytes(out.data(), out.size()));
    }
}

// ---------------------------------------------------------------- packet path

namespace {

/// What an IPv4 packet looks like to the SPD: addresses, protocol, TCP/UDP ports.
ipsec::spd_selector selector_of(const std::uint8_t* p, std::size_t len, ipsec::spd_direction dir) noexcept {
    std::size_t hl = std::size_t{p[0] & 0x0Fu} * 4;
    ipsec::spd_selector s{wire::get32(p + 12), wire::get32(p + 16), p[9], 0, 0, dir};
    if ((p[9] == wire::proto_tcp || p[9] == wire::proto_udp) && len >= hl + 4) {
        s.src_port = wire::get16(p + hl);
        s.dst_port = wire::get16(p + hl + 2);
    }
    return s;
}

}  // namespace

bool stack::impl::swsa_is_ipsec(const std::uint8_t* p, std::size_t len) noexcept {
    if (len < 20) return false;
    if (p[9] == 50 || p[9] == 51) return true;
    std::size_t hl = std::size_t{p[0] & 0x0Fu} * 4;
    return p[9] == wire::proto_udp && len >= hl + 8 + 12 && wire::get16(p + hl + 2) == 4500 &&
           wire::get32(p + hl + 8) != 0;
}

namespace {

/// Where the ESP (or AH) header starts, and the SA's protocol: ESP in UDP is ESP.
std::size_t ipsec_offset(const std::uint8_t* p, std::uint8_t& proto, bool& udp) noexcept {
    std::size_t hl = std::size_t{p[0] & 0x0Fu} * 4;
    udp = p[9] == wire::proto_udp;
    proto = udp ? 50 : p[9];
    return hl + (udp ? 8 : 0);
}

}  // namespace

bool stack::impl::swsa_owner_inbound(std::uint8_t* p, std::size_t len, int in_iface, dvipa_entry& d) noexcept {
    std::size_t hl = std::size_t{p[0] & 0x0Fu} * 4;
    std::uint8_t proto = 0;
    bool udp = false;
    std::size_t at = ipsec_offset(p, proto, udp);
    if (len < at + 12) return false;
    std::uint32_t spi = proto == 50 ? wire::get32(p + at) : wire::get32(p + at + 4);
    std::uint32_t src = wire::get32(p + 12);
    swsa_master* m = nullptr;
    for (auto& [name, x] : sw.masters) {
        // A bundle's ESP alone matches too, and its peek (which wants AH first) refuses it.
        const auto* half = x.half(proto);
        if (half && half->spi_in == spi && half->udp_encap == udp && x.sa.peer == src && x.sa.dvipa == d.address) {
            m = &x;
            break;
        }
    }
    if (!m || !m->peek) return false;
    // The peek reads ESP right after the IP header: ESP in UDP is looked at without its
    // UDP header (a copy; the packet forwarded is the one that came).
    bytes view(p, len);
    if (udp && len - 8 <= sw.unwrapped.size()) {
        std::uint8_t* q = sw.unwrapped.data();
        std::copy_n(p, hl, q);
        std::copy_n(p + at, len - at, q + hl);
        q[9] = 50;
        wire::put16(q + 2, static_cast<std::uint16_t>(len - 8));
        view = bytes(q, len - 8);
    }
    swsa::peek_result r;
    if (!m->peek->peek(view, r) || r.protocol != wire::proto_tcp) {
        drops.count(drop::swsa_peek);
        return true;
    }
    // The connection as the distributor sees it: its headers, peeked; what goes to the
    // target is the packet as it came.
    std::uint8_t* h = sw.scratch.data();
    std::fill_n(h, 40, 0);
    h[0] = 0x45;
    wire::put16(h + 2, 40);
    h[8] = 64;
    h[9] = wire::proto_tcp;
    wire::put32(h + 12, r.src);
    wire::put32(h + 16, r.dst);
    wire::put16(h + 20, r.src_port);
    wire::put16(h + 22, r.dst_port);
    h[32] = 0x50;
    h[33] = r.tcp_flags;
    sw.forward = p;
    sw.forward_len = len;
    bool gone = dist_inbound(h, 40, d);
    sw.forward = nullptr;
    sw.forward_len = 0;
    if (gone) return true;
    // Ours (this stack's image serves it, or it is not distributed): full processing here.
    std::size_t n = len;
    std::uint8_t* inner = swsa_unprotect(p, n);
    if (!inner) return true;
    local_input(inner, n, in_iface, &d, true);
    return true;
}

std::uint8_t* stack::impl::swsa_unprotect(std::uint8_t* p, std::size_t& len) noexcept {
    std::uint8_t proto = 0;
    bool udp = false;
    std::size_t at = ipsec_offset(p, proto, udp);
    if (len < at + 12 || !sw.cache) {
        drops.count(drop::swsa_no_sa);
        return nullptr;
    }
    std::uint32_t spi = proto == 50 ? wire::get32(p + at) : wire::get32(p + at + 4);
    std::uint32_t src = wire::get32(p + 12), dst = wire::get32(p + 16);
    auto* sa = sw.sad.inbound(spi, proto, dst, src);
    if (!sa) {
        drops.count(drop::swsa_no_sa);
        return nullptr;
    }
    if (!sw.buf.assign(bytes(p, len)) || sa->decapsulate(sw.buf) != ipsec::drop::none) {
        drops.count(drop::swsa_ipsec);
        return nullptr;
    }
    std::uint8_t* q = sw.buf.data();
    len = sw.buf.len;
    // The inbound filter: the inner packet must be what the SA's filters allow.
    auto match = sw.spd.lookup(selector_of(q, len, ipsec::spd_direction::inbound));
    if (match.action != ipsec::spd_action::ipsec || !match.rule) {
        drops.count(drop::swsa_filter);
        return nullptr;
    }
    return q;
}

bool stack::impl::swsa_protect(std::uint8_t* p, std::size_t len) noexcept {
    if (sw.spd.size() == 0 && sw.needs.size() == 0) return false;
    auto sel = selector_of(p, len, ipsec::spd_direction::outbound);
    auto match = sw.spd.size() ? sw.spd.lookup(sel) : ipsec::spd_match{};
    if (match.action != ipsec::spd_action::ipsec || !match.rule) return swsa_need(sel);
    // The SA's counters in EZBDVIPA (a bundle: both; none without a shadow).
    const auto* sh = sw.cache ? sw.cache->find(match.rule->sa_name) : nullptr;
    const std::array<swsa::cf_seq_source*, 2> counters{sh ? sh->seqs : nullptr, sh ? sh->ah_seqs : nullptr};
    if (sh && sw.burst_left) {
        // The first packet of a burst for this SA takes the numbers of the rest of the
        // burst in one LISTKEYINC (bounded by the block limit); the others use them.
        for (auto* src : counters) {
            auto end = sw.burst_reserved.begin() + static_cast<std::ptrdiff_t>(sw.burst_count);
            if (src && std::find(sw.burst_reserved.begin(), end, src) == end) {
                src->reserve(sw.burst_left + 1);  // this packet and those after it
                if (sw.burst_count < sw.burst_reserved.size()) sw.burst_reserved[sw.burst_count++] = src;
            }
        }
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!sw.buf.assign(bytes(p, len)) || sw.sad.protect(match.rule->sa_name, sw.buf) != ipsec::drop::none) {
            drops.count(drop::swsa_ipsec);
            return true;
        }
        // Numbered from EZBDVIPA: still within the peer's window right before the write
        // (the stack may have been descheduled since it took the number), or numbered
        // anew: the late copy is never sent, so the peer never drops it as a replay.
        bool fresh = true;
        for (auto* src : counters) fresh = (!src || src->confirm_last()) && fresh;
        if (fresh) {
            ip_output(sw.buf.data(), sw.buf.len, -2, false);
            return true;
        }
    }
    drops.count(drop::swsa_ipsec);
    return true;
}

bool stack::impl::swsa_need(const ipsec::spd_selector& sel) noexcept {
    // The policy protects this packet with a dynamic SA, and none is here: z/OS drops it
    // and has IKE negotiate one. For a DVIPA's SA that is its owner's IKE: NEWCONN (sent
    // on tick, once a second at most per connection; TCP sends its SYN again).
    if (sw.needs.size() == 0) return false;
    auto m = sw.needs.lookup(sel);
    if (m.action != ipsec::spd_action::ipsec) return false;
    std::int64_t now = io.time->monotonic_ms();
    swsa_newconn_slot* free_slot = nullptr;
    for (auto& a : sw.asking) {
        if (a.used && a.dvipa == sel.src && a.remote == sel.dst && a.protocol == sel.protocol &&
            a.local_port == sel.src_port && a.remote_port == sel.dst_port) {
            if (a.sent && now - a.at_ms >= 1000) a = {true, false, sel.src, sel.dst, sel.protocol, sel.src_port,
                                                      sel.dst_port, now};
            drops.count(drop::swsa_newconn);
            return true;
        }
        if (!free_slot && (!a.used || (a.sent && now - a.at_ms >= 1000))) free_slot = &a;
    }
    if (free_slot) *free_slot = {true, false, sel.src, sel.dst, sel.protocol, sel.src_port, sel.dst_port, now};
    drops.count(drop::swsa_newconn);
    return true;
}

bool stack::impl::swsa_clear_denied(const std::uint8_t* p, std::size_t len) const noexcept {
    // z/OS's inbound filtering: a packet that a rule protects with a dynamic SA and that
    // came without one is denied, whether or not the SA exists yet. The rules are kept
    // from this image's side (outbound): the packet's selector is looked up reversed.
    if (sw.needs.size() == 0) return false;
    if ((wire::get16(p + 6) & 0x1FFF) != 0) return false;  // no ports in it: its first fragment decides
    auto in = selector_of(p, len, ipsec::spd_direction::inbound);
    ipsec::spd_selector out{in.dst, in.src, in.protocol, in.dst_port, in.src_port, ipsec::spd_direction::outbound};
    return sw.needs.lookup(out).action == ipsec::spd_action::ipsec;
}

void stack::impl::swsa_newconn_tick() {
    for (auto& a : sw.asking) {
        if (!a.used || a.sent) continue;
        a.sent = true;
        swsa::newconn_message m{me.sysname, me.tcpname, a.dvipa, a.protocol, a.local_port, a.remote, a.remote_port};
        dvipa_entry* d = find_dvipa(a.dvipa);
        if (d && d->status == dvipa_status::active) {
            swsa_newconn_queue(me.member, m);  // ours to negotiate: our own IKE daemon's
            continue;
        }
        dist_target_entry* te = dist_target(a.dvipa);
        if (!te || te->distributor.empty()) {
            say("ZPX1719I NO SA FOR " + profile::ipv4_address{a.dvipa}.str() + " PORT " + std::to_string(a.local_port) +
                " TO " + profile::ipv4_address{a.remote}.str() + " PORT " + std::to_string(a.remote_port) +
                ": THE DVIPA IS NOT DISTRIBUTED TO THIS STACK, NO OWNER TO ASK");
            continue;
        }
        auto out = swsa::encode(m);
        io.sysplex->send(te->distributor, bytes(out.data(), out.size()));
    }
}

void stack::impl::swsa_newconn_queue(std::string_view from, const swsa::newconn_message& m) {
    if (sw.newconns.size() >= 64) sw.newconns.erase(sw.newconns.begin());  // the IKE daemon is not asking
    sw.newconns.push_back(m);
    say("ZPX1702I NEWCONN FROM " + std::string(from) + " FOR " + profile::ipv4_address{m.dvipa}.str() + " PORT " +
        std::to_string(m.local_port) + " TO " + profile::ipv4_address{m.remote}.str() + " PORT " +
        std::to_string(m.remote_port) + ": QUEUED FOR THE IKE DAEMON");
}

std::vector<swsa::newconn_message> stack::impl::swsa_take_newconns() {
    std::vector<swsa::newconn_message> out;
    out.swap(sw.newconns);
    return out;
}

void stack::impl::swsa_policy(std::vector<ipsec::spd_rule> rules) {
    sw.needs = ipsec::spd{};
    for (auto& r : rules) {
        r.action = ipsec::spd_action::ipsec;
        r.direction = ipsec::spd_direction::outbound;
        sw.needs.add(std::move(r));
    }
}

void stack::impl::swsa_burst(std::uint32_t packets) noexcept {
    sw.burst_left = packets;
    sw.burst_count = 0;
}

// ---------------------------------------------------------------- display

std::vector<std::string> stack::impl::swsa_display(bool detail, bool shadows) {
    swsa_init();
    ipsec::report_heading h;
    h.stack_name = me.tcpname;
    h.function = shadows ? "Display (shadows)" : "Display";
    h.detail = detail;
    h.dvipsec = config.ipsec.dvipsec;
    h.now = std::chrono::system_clock::time_point(std::chrono::seconds(io.time->wall_seconds()));
    std::vector<ipsec::dynamic_tunnel_record> recs;
    if (sw.cache) {
        for (auto& r : sw.cache->display_records()) {
            auto m = sw.masters.find(r.tunnel_id);
            if (shadows != (m == sw.masters.end())) continue;  // -s: the shadows; else our masters
            if (m != sw.masters.end()) {
                // The owner's SA as the sysplex uses it: its own bytes and the targets' reports.
                r.shadow_of.clear();
                r.target_bytes = m->second.target_bytes;
                r.target_reports = m->second.reports;
                r.sysplex_bytes = r.inbound_bytes + r.outbound_bytes + r.target_bytes;
            }
            recs.push_back(std::move(r));
        }
    }
    std::vector<std::string> out;
    std::string text = ipsec::format_dynamic_tunnels(h, recs);
    std::size_t at = 0;
    while (at < text.size()) {
        auto nl = text.find('\n', at);
        if (nl == std::string::npos) nl = text.size();
        out.push_back(text.substr(at, nl - at));
        at = nl + 1;
    }
    return out;
}

}  // namespace zplex::tcpip::stack
