// SPDX-License-Identifier: Apache-2.0
// The IKE daemon of host mode: zplex::ike::peer driven by host mode's IKE hook, SAD
// events and the event loop; CHILD SAs installed into and removed from the host.
#include <zplex/host/iked.hpp>
#include <zplex/sysplex/text.hpp>
#include <zplex/tcpip/profile/ipv4.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace zplex::host {

namespace {

using tcpip::profile::ipv4_address;

std::string hex32(std::uint32_t v) { return sysplex::hex32(v, true); }

void wipe(std::vector<std::uint8_t>& v) noexcept {
    volatile std::uint8_t* p = v.data();
    for (std::size_t i = 0; i < v.size(); ++i) {
        p[i] = 0;
    }
    v.clear();
}

void wipe(ike::child_sa_info& c) noexcept {
    wipe(c.inbound.key);
    wipe(c.outbound.key);
}

const char* encr_name(std::uint16_t id) {
    return id == ike::encr_id::aes_gcm_16 ? "AES_GCM_16" : id == ike::encr_id::aes_cbc ? "AES_CBC" : "Unknown";
}
const char* integ_name(std::uint16_t id) {
    switch (id) {
    case ike::integ_id::hmac_sha2_256_128: return "Hmac_Sha2_256_128";
    case ike::integ_id::hmac_sha2_384_192: return "Hmac_Sha2_384_192";
    case ike::integ_id::hmac_sha2_512_256: return "Hmac_Sha2_512_256";
    default: return "None";
    }
}
const char* prf_name(std::uint16_t id) {
    switch (id) {
    case ike::prf_id::hmac_sha2_384: return "Hmac_Sha2_384";
    case ike::prf_id::hmac_sha2_512: return "Hmac_Sha2_512";
    default: return "Hmac_Sha2_256";
    }
}

struct alg_names {
    const char* encr;
    const char* auth;
    unsigned bits;
};
alg_names esp_names(ipsec::algorithm a) {
    using ipsec::algorithm;
    switch (a) {
    case algorithm::aes_gcm_128: return {"AES_GCM_16", "None", 128};
    case algorithm::aes_gcm_256: return {"AES_GCM_16", "None", 256};
    case algorithm::aes_cbc_128_hmac_sha256: return {"AES_CBC", "Hmac_Sha2_256_128", 128};
    case algorithm::aes_cbc_256_hmac_sha256: return {"AES_CBC", "Hmac_Sha2_256_128", 256};
    case algorithm::aes_cbc_128_hmac_sha384: return {"AES_CBC", "Hmac_Sha2_384_192", 128};
    case algorithm::aes_cbc_256_hmac_sha384: return {"AES_CBC", "Hmac_Sha2_384_192", 256};
    case algorithm::aes_cbc_128_hmac_sha512: return {"AES_CBC", "Hmac_Sha2_512_256", 128};
    case algorithm::aes_cbc_256_hmac_sha512: return {"AES_CBC", "Hmac_Sha2_512_256", 256};
    case algorithm::null_hmac_sha256: return {"DoNot", "Hmac_Sha2_256_128", 0};
    case algorithm::null_hmac_sha384: return {"DoNot", "Hmac_Sha2_384_192", 0};
    case algorithm::null_hmac_sha512: return {"DoNot", "Hmac_Sha2_512_256", 0};
    }
    return {"Unknown", "None", 0};
}

std::string ts_text(const traffic_selector& t) {
    return ipv4_address{t.addr}.str() + (t.prefix_len == 32 ? "" : "/" + std::to_string(t.prefix_len));
}

/// "0x1234abcd", "1234abcd" (hex) or "" (0: the newest).
bool parse_spi(const std::string& s, std::uint32_t& spi) {
    if (s.empty()) {
        spi = 0;
        return true;
    }
    try {
        std::size_t n = 0;
        unsigned long v = std::stoul(s, &n, 16);
        if (n != s.size() || v > 0xffffffffUL) {
            return false;
        }
        spi = static_cast<std::uint32_t>(v);
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace

iked::iked(host& h, iked_config cfg, std::ostream* log) : _h(h), _cfg(std::move(cfg)), _peer(_cfg.peer), _log(log) {
    for (auto& c : _cfg.peer.connections) {
        c.psk = ike::secret();  // the engine has its copy; this one is wiped now
    }
    _h.set_ike_handler([this](std::uint16_t local_port, std::uint32_t peer, std::uint16_t peer_port,
                              std::span<const std::uint8_t> msg) {
        queued q{local_port, peer, peer_port, {}};
        if (local_port == _cfg.peer.natt_port) {
            q.data.assign(4, 0);  // the engine expects the non-ESP marker the host stripped
        }
        q.data.insert(q.data.end(), msg.begin(), msg.end());
        _in.push_back(std::move(q));
    });
    _h.set_acquire_handler([this](const ipsec::spd_selector& sel) {
        if (_acquired_n < _acquired.size()) {
            _acquired[_acquired_n++] = sel;
        }
    });
    say("ZPX0900I IKE DAEMON STARTED WITH " + std::to_string(_cfg.connections.size()) + " KEY EXCHANGE RULE(S) AND " +
        std::to_string(_cfg.children.size()) + " DYNAMIC VPN RULE(S)");
}

iked::~iked() {
    _h.set_ike_handler({});
    _h.set_acquire_handler({});
    for (auto& [spi, c] : _children) {
        wipe(c.info);
    }
}

void iked::say(const std::string& msg) {
    if (_log) {
        *_log << msg << '\n' << std::flush;
    }
}

const iked_connection_policy* iked::connection_policy(const std::string& name) const {
    for (const auto& c : _cfg.connections) {
        if (c.name == name) {
            return &c;
        }
    }
    return nullptr;
}

const iked_child_policy* iked::child_policy(const std::string& connection, const std::string& child) const {
    for (const auto& c : _cfg.children) {
        if (c.connection == connection && c.child == child) {
            return &c;
        }
    }
    return nullptr;
}

void iked::on_sa_event(const ipsec::sa_notice& n) { _sa_events.push_back(n); }

int iked::timeout_ms(time_point now, int max_ms) const {
    if (!_in.empty() || !_sa_events.empty()) {
        return 0;
    }
    auto next = _peer.next_timeout();
    if (!next) {
        return max_ms;
    }
    if (*next <= now) {
        return 0;
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*next - now).count() + 1;
    return static_cast<int>(std::min<long long>(ms, max_ms));
}

void iked::process(time_point now) {
    for (std::size_t i = 0; i < _acquired_n; ++i) {
        acquire(_acquired[i], now);
    }
    _acquired_n = 0;
    while (!_in.empty()) {
        queued q = std::move(_in.front());
        _in.pop_front();
        ike::datagram d{{q.peer, q.peer_port}, {_h.config().local_addr, q.local_port}, std::move(q.data)};
        handle(_peer.receive(d, now), now);
    }
    while (!_sa_events.empty()) {
        ipsec::sa_notice n = _sa_events.front();
        _sa_events.pop_front();
        std::uint32_t spi = n.spi;
        if (!n.name.empty()) {  // outbound: "child-<id>"
            spi = 0;
            for (const auto& [in, c] : _children) {
                if ("child-" + std::to_string(c.id) == n.name) {
                    spi = in;
                }
            }
        }
        auto it = _children.find(spi);
        if (it == _children.end()) {
            continue;
        }
        if (n.what == ipsec::sa_event::soft_expire || n.what == ipsec::sa_event::seq_exhausted) {
            if (it->second.serial == 0) {
                continue;
            }
            say("ZPX0912I CHILD SA " + hex32(spi) + " " + ipsec::sa_event_name(n.what) + " BY " +
                (n.by_bytes ? "LIFESIZE" : "LIFETIME") + ": REKEYING");
            handle(_peer.rekey_child(spi, now), now);
        } else if (n.what == ipsec::sa_event::hard_expire) {
            say("ZPX0912I CHILD SA " + hex32(spi) + " HARD EXPIRED: DELETING");
            handle(_peer.delete_child(spi, now), now);
        }
    }
    if (auto next = _peer.next_timeout(); next && *next <= now) {
        handle(_peer.tick(now), now);
    }
    // IKE SA lifetimes (RefreshLifetimeProposed): the original initiator refreshes at
    // 90 %, the responder at 95 % (so both rarely start at once).
    for (auto& [key, m] : _ikes) {
        if (m.rekey_sent) {
            continue;
        }
        const auto* cp = connection_policy(m.connection);
        if (!cp) {
            continue;
        }
        for (const auto& s : _peer.status()) {
            if (s.id.spi_i != key || !s.established) {
                continue;
            }
            auto life = std::chrono::duration_cast<std::chrono::milliseconds>(cp->ike_lifetime);
            auto soft = s.initiator ? life * 9 / 10 : life * 19 / 20;
            if (now - m.established >= soft) {
                m.rekey_sent = true;
                say("ZPX0912I IKE SA " + m.connection + " LIFETIME REACHED: REKEYING");
                handle(_peer.rekey_ike(s.id, now), now);
                return;  // _ikes may have changed
            }
        }
    }
}

void iked::install(const ike::event& e, bool rekey) {
    const auto& info = e.child;
    auto lts = info.local_ts.empty() ? std::nullopt : to_host_selector(info.local_ts.front());
    auto rts = info.remote_ts.empty() ? std::nullopt : to_host_selector(info.remote_ts.front());
    if (!lts || !rts) {
        say("ZPX0906E CHILD SA " + hex32(info.spi_in) + " OF " + e.connection +
            " NOT INSTALLED: ITS TRAFFIC SELECTORS ARE NOT ADDRESS PREFIXES");
        return;
    }
    child_config cc;
    cc.inbound = info.inbound;
    cc.outbound = info.outbound;
    cc.peer_addr = info.outbound.tunnel_dst;
    cc.peer_port = info.outbound.udp_encap ? info.outbound.udp_dst : _cfg.peer.natt_port;
    for (const auto& s : _peer.status()) {
        if (s.id == e.ike) {
            cc.peer_addr = s.remote.addr;
            if (!info.outbound.udp_encap) {
                cc.peer_port = s.remote.port == 500 ? _cfg.peer.natt_port : s.remote.port;
            }
        }
    }
    cc.local_ts = *lts;
    cc.remote_ts = *rts;
    const auto* pol = child_policy(e.connection, info.name);
    if (pol) {
        auto life = std::chrono::duration_cast<std::chrono::seconds>(pol->lifetime);
        cc.life.hard_time = life;
        cc.life.soft_time = life * 9 / 10;
        cc.life.hard_bytes = pol->lifesize_kb * 1024;
        cc.life.soft_bytes = cc.life.hard_bytes * 9 / 10;
    }
    child_id id = _h.add_child(cc);
    wipe(cc.inbound.key);
    wipe(cc.outbound.key);
    if (id == 0) {
        say("ZPX0906E CHILD SA " + hex32(info.spi_in) + " OF " + e.connection +
            " NOT INSTALLED: THE DATA PLANE REFUSED IT (KEY OR SPI)");
        handle(_peer.delete_child(info.spi_in, ike::clock::now()), ike::clock::now());
        return;
    }
    installed in;
    in.id = id;
    in.connection = e.connection;
    in.ike = e.ike;
    in.info = info;
    wipe(in.info);
    in.pol = pol;
    in.created = std::chrono::system_clock::now();
    if (rekey) {
        auto old = _children.find(info.replaces_spi_in);
        if (old != _children.end()) {
            in.generation = old->second.generation + 1;
            in.serial = old->second.serial;
            old->second.serial = 0;  // the replaced one is no longer rekeyed on expiry
        }
    }
    if (in.serial == 0) {
        in.serial = ++_next_y;
    }
    say(std::string(rekey ? "ZPX0902I CHILD SA REKEYED " : "ZPX0902I CHILD SA INSTALLED ") + e.connection + " " +
        info.name + " SPI IN " + hex32(info.spi_in) + " OUT " + hex32(info.spi_out) + " " + ts_text(*lts) +
        " === " + ts_text(*rts) + " PEER " + ipv4_address{cc.peer_addr}.str() + ":" + std::to_string(cc.peer_port));
    _children[info.spi_in] = std::move(in);
}

void iked::handle(ike::output&& o, time_point now) {
    for (const auto& d : o.datagrams) {
        std::span<const std::uint8_t> msg(d.data);
        if (d.src.port == _cfg.peer.natt_port && msg.size() >= 4) {
            msg = msg.subspan(4);  // host::send_ike adds the marker on the NAT-T port
        }
        _h.send_ike(d.src.port, d.dst.addr, d.dst.port, msg);
    }
    for (auto& e : o.events) {
        switch (e.type) {
        case ike::event_type::ike_up: {
            ike_meta m;
            m.connection = e.connection;
            m.established = now;
            m.created = std::chrono::system_clock::now();
            m.serial = ++_next_k;
            _ikes[e.ike.spi_i] = m;
            say("ZPX0901I IKE SA ESTABLISHED " + e.connection + " SPI " + std::to_string(e.ike.spi_i) + ":" +
                std::to_string(e.ike.spi_r));
            break;
        }
        case ike::event_type::ike_rekeyed: {
            ike_meta m;
            m.connection = e.connection;
            if (auto old = _ikes.find(e.old_ike.spi_i); old != _ikes.end()) {
                m = old->second;
                _ikes.erase(old);
                ++m.generation;
            } else {
                m.serial = ++_next_k;
            }
            m.established = now;
            m.created = std::chrono::system_clock::now();
            m.rekey_sent = false;
            _ikes[e.ike.spi_i] = m;
            for (auto& [spi, c] : _children) {
                if (c.ike == e.old_ike) {
                    c.ike = e.ike;
                }
            }
            say("ZPX0910I IKE SA REKEYED " + e.connection + " GENERATION " + std::to_string(m.generation));
            break;
        }
        case ike::event_type::ike_down: {
            _ikes.erase(e.ike.spi_i);
            for (auto it = _children.begin(); it != _children.end();) {
                if (it->second.ike == e.ike) {
                    _h.remove_child(it->second.id);
                    say("ZPX0903I CHILD SA DELETED " + it->second.connection + " SPI IN " + hex32(it->first) +
                        " WITH ITS IKE SA");
                    it = _children.erase(it);
                } else {
                    ++it;
                }
            }
            say("ZPX0904I IKE SA DELETED " + e.connection + (e.reason.empty() ? "" : ": " + e.reason));
            break;
        }
        case ike::event_type::child_up:
            install(e, false);
            break;
        case ike::event_type::child_rekeyed:
            install(e, true);
            break;
        case ike::event_type::child_deleted: {
            auto it = _children.find(e.child.spi_in);
            if (it != _children.end()) {
                _h.remove_child(it->second.id);
                _children.erase(it);
                say("ZPX0903I CHILD SA DELETED " + e.connection + " SPI IN " + hex32(e.child.spi_in) + " OUT " +
                    hex32(e.child.spi_out));
            }
            break;
        }
        case ike::event_type::failed:
            say("ZPX0905E IKE NEGOTIATION FAILED FOR " + e.connection + ": " + e.reason +
                (e.notify ? " (NOTIFY " + std::to_string(e.notify) + ")" : ""));
            break;
        }
        wipe(e.child);
    }
}

std::optional<ike::ike_sa_id> iked::find_ike(const std::string& connection) const {
    std::optional<ike::ike_sa_id> best;
    std::uint64_t best_serial = 0;
    for (const auto& s : _peer.status()) {
        if (!s.established || (!connection.empty() && s.connection != connection)) {
            continue;
        }
        auto m = _ikes.find(s.id.spi_i);
        std::uint64_t serial = m == _ikes.end() ? 0 : m->second.serial;
        if (!best || serial >= best_serial) {
            best = s.id;
            best_serial = serial;
        }
    }
    return best;
}

namespace {

bool covers(const std::vector<ike::traffic_selector>& list, std::uint32_t addr, std::uint8_t proto,
            std::uint16_t port) {
    for (const auto& t : list) {
        if (addr >= t.start_addr && addr <= t.end_addr && (t.ip_protocol == 0 || t.ip_protocol == proto) &&
            (proto != 6 && proto != 17 ? t.start_port == 0 && t.end_port == 65535
                                       : port >= t.start_port && port <= t.end_port)) {
            return true;
        }
    }
    return false;
}

}  // namespace

void iked::acquire(const ipsec::spd_selector& s, time_point now) {
    for (const auto& cp : _cfg.children) {
        if (!cp.on_demand) {
            continue;
        }
        const ike::connection_config* conn = nullptr;
        for (const auto& c : _cfg.peer.connections) {
            if (c.name == cp.connection) {
                conn = &c;
            }
        }
        if (!conn || conn->remote_addr == 0 || conn->remote_prefix < 32) {
            continue;  // a responder-only rule (a remote range): nobody to call
        }
        const ike::child_config* child = nullptr;
        for (const auto& ch : conn->children) {
            if (ch.name == cp.child) {
                child = &ch;
            }
        }
        if (!child || !covers(child->local_ts, s.src, s.protocol, s.src_port) ||
            !covers(child->remote_ts, s.dst, s.protocol, s.dst_port)) {
            continue;
        }
        auto last = _last_acquire.find(conn->name);
        if (last != _last_acquire.end() && now - last->second < std::chrono::seconds(5)) {
            return;  // asked recently: the negotiation is under way or failed just now
        }
        for (const auto& st : _peer.status()) {
            if (st.connection == conn->name) {
                return;  // an IKE SA is there or being set up
            }
        }
        _last_acquire[conn->name] = now;
        say("ZPX0914I ON DEMAND: A PACKET FROM " + ipv4_address{s.src}.str() + " TO " + ipv4_address{s.dst}.str() + " STARTS KEY EXCHANGE RULE " +
            conn->name);
        handle(_peer.initiate(conn->name, now), now);
        return;
    }
}

bool iked::initiate(const std::string& connection, time_point now) {
    if (!connection_policy(connection)) {
        say("ZPX0909E NO KEY EXCHANGE RULE " + connection);
        return false;
    }
    handle(_peer.initiate(connection, now), now);
    return true;
}

std::uint32_t iked::child_spi(std::uint32_t spi) const {
    if (spi == 0 && !_children.empty()) {
        auto newest = std::max_element(_children.begin(), _children.end(),
                                       [](const auto& a, const auto& b) { return a.second.id < b.second.id; });
        return newest->first;
    }
    for (const auto& [in, c] : _children) {
        if (in == spi || c.info.spi_out == spi) {
            return spi;
        }
    }
    return 0;
}

bool iked::rekey_child(std::uint32_t spi, time_point now) {
    spi = child_spi(spi);
    if (spi == 0) {
        return false;
    }
    handle(_peer.rekey_child(spi, now), now);
    return true;
}

bool iked::delete_child(std::uint32_t spi, time_point now) {
    spi = child_spi(spi);
    if (spi == 0) {
        return false;
    }
    handle(_peer.delete_child(spi, now), now);
    return true;
}

bool iked::rekey_ike(const std::string& connection, time_point now) {
    auto id = find_ike(connection);
    if (!id) {
        return false;
    }
    if (auto m = _ikes.find(id->spi_i); m != _ikes.end()) {
        m->second.rekey_sent = true;
    }
    handle(_peer.rekey_ike(*id, now), now);
    return true;
}

bool iked::delete_ike(const std::string& connection, time_point now) {
    auto id = find_ike(connection);
    if (!id) {
        return false;
    }
    handle(_peer.delete_ike(*id, now), now);
    return true;
}

std::vector<ipsec::ike_tunnel_record> ike_tunnel_records(
    const ike::peer& engine, const iked_config& cfg,
    const std::function<const ike_display_meta*(std::uint64_t spi_i)>& meta) {
    std::vector<ipsec::ike_tunnel_record> v;
    for (const auto& s : engine.status()) {
        ipsec::ike_tunnel_record r;
        const ike_display_meta* m = meta(s.id.spi_i);
        r.tunnel_id = m && m->serial ? "K" + std::to_string(m->serial) : "K-";
        r.generation = m ? m->generation : 1;
        r.key_exchange_rule = s.connection;
        const iked_connection_policy* cp = nullptr;
        for (const auto& c : cfg.connections)
            if (c.name == s.connection) cp = &c;
        if (cp) {
            r.key_exchange_action = cp->action;
            r.local_id_type = cp->local_id_type;
            r.local_id = cp->local_id;
            r.remote_id_type = cp->remote_id_type;
            const bool by_address = cp->remote_id == "*" || cp->remote_id.find('/') != std::string::npos;
            r.remote_id = by_address ? ipv4_address{s.remote.addr}.str() : cp->remote_id;  // a range: who it was
            r.local_auth = r.remote_auth = cp->auth;
            r.lifetime = cp->ike_lifetime;
        }
        r.local_endpoint = ipv4_address{s.local.addr}.str();
        r.remote_endpoint = ipv4_address{s.remote.addr}.str();
        r.state = s.established ? "DONE" : "INIT";
        r.auth_algorithm = integ_name(s.integ);
        r.encryption_algorithm = encr_name(s.encr);
        r.key_length = s.encr_key_bits;
        r.prf = prf_name(s.prf);
        r.dh_group = s.dh;
        r.initiator_spi = s.id.spi_i;
        r.responder_spi = s.id.spi_r;
        if (m && m->created != std::chrono::system_clock::time_point{}) {
            r.refresh = m->created + std::chrono::duration_cast<std::chrono::seconds>(r.lifetime) * 9 / 10;
            r.expires = m->created + r.lifetime;
        }
        r.initiator = s.initiator;
        r.dynamic_tunnels = static_cast<unsigned>(s.child_spis_in.size());
        r.nat_traversal = s.nat_local || s.nat_remote;
        v.push_back(std::move(r));
    }
    return v;
}

std::vector<ipsec::ike_tunnel_record> iked::ike_records() const {
    return ike_tunnel_records(_peer, _cfg, [this](std::uint64_t spi_i) -> const ike_display_meta* {
        auto m = _ikes.find(spi_i);
        return m == _ikes.end() ? nullptr : &m->second;
    });
}

std::vector<ipsec::dynamic_tunnel_record> iked::dynamic_records() const {
    std::vector<ipsec::dynamic_tunnel_record> v;
    auto status = _peer.status();
    for (const auto& [spi, c] : _children) {
        ipsec::dynamic_tunnel_record r;
        r.tunnel_id = "Y" + std::to_string(c.serial == 0 ? 0 : c.serial);
        r.generation = c.generation;
        r.vpn_action = c.pol ? c.pol->vpn_action : c.info.name;
        r.state = c.serial == 0 ? "Expired" : "Active";
        r.how_to_encap = "Tunnel";
        for (const auto& s : status) {
            if (s.id == c.ike) {
                auto m = _ikes.find(s.id.spi_i);
                r.parent_ike_tunnel = m == _ikes.end() ? "K-" : "K" + std::to_string(m->second.serial);
                r.local_endpoint = ipv4_address{s.local.addr}.str();
                r.remote_endpoint = ipv4_address{s.remote.addr}.str();
                r.local_nated = s.nat_local;
                r.remote_nated = s.nat_remote;
            }
        }
        if (!c.info.local_ts.empty()) {
            if (auto t = to_host_selector(c.info.local_ts.front())) {
                r.local_address_base = ts_text(*t);
                r.protocol = t->protocol.value_or(0);
                r.local_port = t->port_lo == t->port_hi ? t->port_lo : 0;
            }
        }
        if (!c.info.remote_ts.empty()) {
            if (auto t = to_host_selector(c.info.remote_ts.front())) {
                r.remote_address_base = ts_text(*t);
                r.remote_port = t->port_lo == t->port_hi ? t->port_lo : 0;
            }
        }
        auto names = esp_names(c.info.inbound.alg);
        r.how_to_auth = "ESP";
        r.auth_algorithm = names.auth;
        r.encrypt_algorithm = names.encr;
        r.key_length = names.bits;
        r.inbound_spi = c.info.spi_in;
        r.outbound_spi = c.info.spi_out;
        if (auto st = _h.stats(c.id)) {
            r.inbound_packets = st->packets_in;
            r.inbound_bytes = st->bytes_in;
            r.outbound_packets = st->packets_out;
            r.outbound_bytes = st->bytes_out;
        }
        if (c.pol) {
            r.lifesize_kb = c.pol->lifesize_kb;
            r.lifesize_refresh_kb = c.pol->lifesize_kb * 9 / 10;
            r.refresh = c.created + std::chrono::duration_cast<std::chrono::seconds>(c.pol->lifetime) * 9 / 10;
            r.expires = c.created + c.pol->lifetime;
            r.vpn_life_expires = r.expires;
        }
        r.udp_encap = true;
        v.push_back(std::move(r));
    }
    return v;
}

std::string iked::control(const std::string& line, time_point now) {
    std::istringstream in(line);
    std::vector<std::string> w;
    for (std::string t; in >> t;) {
        w.push_back(t);
    }
    auto err = [](const std::string& text) { return "ZPX0909E " + text + "\n"; };
    if (w.empty()) {
        return err("EMPTY CONTROL REQUEST");
    }
    if (w[0] == "ipsec" && w.size() >= 3 && w[2] == "display" && (w[1] == "-k" || w[1] == "-y")) {
        ipsec::report_heading h;
        h.detail = std::find(w.begin(), w.end(), "detail") != w.end();
        h.source = w[1] == "-k" ? "IKED" : "Stack";
        if (w[1] == "-k") {
            h.primary = "IKE tunnel";
            return ipsec::format_ike_tunnels(h, ike_records());
        }
        h.primary = "Dynamic tunnel";
        return ipsec::format_dynamic_tunnels(h, dynamic_records());
    }
    std::string arg = w.size() > 2 ? w[2] : "";
    if (w[0] == "initiate" && w.size() == 2) {
        return initiate(w[1], now) ? "ZPX0911I INITIATE " + w[1] + " STARTED\n" : err("NO KEY EXCHANGE RULE " + w[1]);
    }
    if ((w[0] == "rekey" || w[0] == "delete") && w.size() >= 2 && w.size() <= 3) {
        bool rekey = w[0] == "rekey";
        if (w[1] == "child") {
            std::uint32_t spi = 0;
            if (!parse_spi(arg, spi)) {
                return err("NOT AN SPI: " + arg);
            }
            bool ok = rekey ? rekey_child(spi, now) : delete_child(spi, now);
            return ok ? "ZPX0911I " + std::string(rekey ? "REKEY" : "DELETE") + " CHILD SA STARTED\n"
                      : err("NO CHILD SA " + (arg.empty() ? std::string("INSTALLED") : arg));
        }
        if (w[1] == "ike") {
            bool ok = rekey ? rekey_ike(arg, now) : delete_ike(arg, now);
            return ok ? "ZPX0911I " + std::string(rekey ? "REKEY" : "DELETE") + " IKE SA STARTED\n"
                      : err("NO ESTABLISHED IKE SA " + arg);
        }
    }
    if (w[0] == "counters") {
        return _h.format_counters();
    }
    if (w[0] == "status") {
        std::size_t up = 0;
        for (const auto& s : _peer.status()) {
            up += s.established ? 1 : 0;
        }
        return "ike " + std::to_string(up) + " children " + std::to_string(_children.size()) + "\n";
    }
    return err("UNKNOWN CONTROL REQUEST: " + line);
}

}  // namespace zplex::host
