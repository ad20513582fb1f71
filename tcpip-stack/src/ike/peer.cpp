// SPDX-License-Identifier: Apache-2.0
// The engine's core: datagram dispatch by SPI and message ID (RFC 7296 §2.2, window
// size 1), retransmission with exponential backoff (§2.1), NAT-T framing (RFC 3948
// §2.2), timers, and the public peer facade.
#include <zplex/sysplex/log.hpp>

#include "engine.hpp"
#include "wire.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

namespace zplex::ike {

const char* event_name(event_type t) noexcept {
    switch (t) {
    case event_type::ike_up: return "IKE_UP";
    case event_type::ike_rekeyed: return "IKE_REKEYED";
    case event_type::ike_down: return "IKE_DOWN";
    case event_type::child_up: return "CHILD_UP";
    case event_type::child_rekeyed: return "CHILD_REKEYED";
    case event_type::child_deleted: return "CHILD_DELETED";
    case event_type::failed: return "FAILED";
    }
    return "?";
}

void output::append(output&& o) {
    for (auto& d : o.datagrams) {
        datagrams.push_back(std::move(d));
    }
    for (auto& e : o.events) {
        events.push_back(std::move(e));
    }
}

namespace {
void wipe_keys(child_sa_info& c) noexcept {
    detail::wipe(c.inbound.key);
    detail::wipe(c.outbound.key);
}
}  // namespace

child_sa_info& child_sa_info::operator=(const child_sa_info& o) {
    if (this != &o) {
        wipe_keys(*this);
        name = o.name;
        spi_in = o.spi_in;
        spi_out = o.spi_out;
        inbound = o.inbound;
        outbound = o.outbound;
        local_ts = o.local_ts;
        remote_ts = o.remote_ts;
        replaces_spi_in = o.replaces_spi_in;
    }
    return *this;
}
child_sa_info& child_sa_info::operator=(child_sa_info&& o) noexcept {
    if (this != &o) {
        wipe_keys(*this);
        name = std::move(o.name);
        spi_in = o.spi_in;
        spi_out = o.spi_out;
        inbound = std::move(o.inbound);
        outbound = std::move(o.outbound);
        local_ts = std::move(o.local_ts);
        remote_ts = std::move(o.remote_ts);
        replaces_spi_in = o.replaces_spi_in;
    }
    return *this;
}
child_sa_info::~child_sa_info() { wipe_keys(*this); }

identity identity::ipv4(std::uint32_t a) { return identity{id_type::ipv4_addr, detail::be32(a)}; }
identity identity::fqdn(const std::string& n) { return identity{id_type::fqdn, bytes(n.begin(), n.end())}; }
identity identity::key_id(const std::string& n) { return identity{id_type::key_id, bytes(n.begin(), n.end())}; }

namespace detail {

child_sa* ike_sa::child_by_spi(std::uint32_t spi) noexcept {
    for (auto& c : children) {
        if (c.spi_in == spi || c.spi_out == spi) {
            return &c;
        }
    }
    return nullptr;
}

engine::engine(peer_config cfg) : _cfg(std::move(cfg)), _cookie_secret(random_bytes(32)) {
    for (const auto& c : _cfg.connections) {
        if (c.auth != auth_kind::cert) {
            continue;
        }
        std::string err;
        auto cr = credential::load(c.cert_file, c.key_file, err);
        if (!cr) {
            throw std::runtime_error("connection " + c.name + ": " + err);
        }
        auto v = cert_verifier::load(c.ca_file, err);
        if (!v) {
            throw std::runtime_error("connection " + c.name + ": " + err);
        }
        _creds[c.name] = std::move(cr);
        _verifiers[c.name] = std::move(v);
    }
}

const credential* engine::cred(const connection_config& c) const {
    auto it = _creds.find(c.name);
    return it == _creds.end() ? nullptr : it->second.get();
}
const cert_verifier* engine::verifier(const connection_config& c) const {
    auto it = _verifiers.find(c.name);
    return it == _verifiers.end() ? nullptr : it->second.get();
}

output engine::take() {
    for (auto it = _sas.begin(); it != _sas.end();) {
        if (it->second->state == sa_state::deleting && !it->second->pending) {
            it = _sas.erase(it);
        } else {
            ++it;
        }
    }
    return std::exchange(_out, {});
}

ike_sa* engine::find(ike_sa_id id) {
    for (auto& [k, sa] : _sas) {
        if (sa->spi_i == id.spi_i && sa->spi_r == id.spi_r && sa->state != sa_state::deleting) {
            return sa.get();
        }
    }
    return nullptr;
}

ike_sa* engine::find_by_child(std::uint32_t spi) {
    for (auto& [k, sa] : _sas) {
        if (sa->state == sa_state::established && sa->child_by_spi(spi)) {
            return sa.get();
        }
    }
    return nullptr;
}

const connection_config* engine::connection(const std::string& name) const {
    for (const auto& c : _cfg.connections) {
        if (c.name == name) {
            return &c;
        }
    }
    return nullptr;
}

const connection_config* engine::connection_for(std::uint32_t local, std::uint32_t remote) const {
    for (const auto& c : _cfg.connections) {
        if ((c.local_addr == 0 || c.local_addr == local) && peer_in(c, remote)) {
            return &c;
        }
    }
    return nullptr;
}

bool peer_in(const connection_config& c, std::uint32_t remote) noexcept {
    if (c.remote_addr == 0 && c.remote_prefix >= 32) {
        return true;  // a responder for any peer
    }
    const std::uint32_t mask = c.remote_prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - std::min<unsigned>(c.remote_prefix, 32));
    return ((c.remote_addr ^ remote) & mask) == 0;
}

std::uint64_t engine::new_ike_spi() {
    for (;;) {
        auto b = random_bytes(8);
        std::uint64_t v = b.size() == 8 ? get64(b.data()) : 0;
        if (v != 0 && !_sas.count(v)) {
            return v;
        }
    }
}

std::uint32_t engine::new_child_spi() {
    for (;;) {
        auto b = random_bytes(4);
        std::uint32_t v = b.size() == 4 ? get32(b.data()) : 0;
        if (v >= 256 && !find_by_child(v)) {  // RFC 4303 §2.1: 1..255 reserved
            return v;
        }
    }
}

namespace {
const char* exchange_name(std::uint8_t e) {
    switch (static_cast<exchange_type>(e)) {
    case exchange_type::ike_sa_init:
        return "IKE_SA_INIT";
    case exchange_type::ike_auth:
        return "IKE_AUTH";
    case exchange_type::create_child_sa:
        return "CREATE_CHILD_SA";
    case exchange_type::informational:
        return "INFORMATIONAL";
    }
    return "EXCHANGE?";
}
}  // namespace

void engine::send_raw(const endpoint& from, const endpoint& to, bytes wire, bool natt) {
    if (natt) {
        wire.insert(wire.begin(), 4, 0);  // RFC 3948 §2.2 non-ESP marker
    }
    ++counters.sent;
    ZPLEX_DBG(ike, detail, "OUT {} BYTES TO {}.{}.{}.{}:{}", wire.size(), to.addr >> 24, (to.addr >> 16) & 0xff,
              (to.addr >> 8) & 0xff, to.addr & 0xff, to.port);
    _out.datagrams.push_back(datagram{from, to, std::move(wire)});
}

void engine::set_ciphers(ike_sa& sa) {
    const auto& k = sa.keys;
    auto i2r = sk_cipher::create(sa.suite.encr, sa.suite.encr_key_bits, sa.suite.integ, k.sk_ei, k.sk_ai);
    auto r2i = sk_cipher::create(sa.suite.encr, sa.suite.encr_key_bits, sa.suite.integ, k.sk_er, k.sk_ar);
    sa.out = sa.initiator ? std::move(i2r) : std::move(r2i);
    sa.in = sa.initiator ? std::move(r2i) : std::move(i2r);
}

void engine::send_request(ike_sa& sa, message m, std::unique_ptr<task> t, time_point now) {
    m.spi_i = sa.spi_i;
    m.spi_r = sa.spi_r;
    m.flags = sa.initiator ? header_flags::initiator : 0;
    m.message_id = sa.next_mid;
    bytes wire = encode(m, m.exchange == exchange_type::ike_sa_init ? nullptr : sa.out.get());
    if (m.exchange == exchange_type::ike_sa_init) {
        sa.init_request = wire;
    }
    sa.pending = ike_sa::outstanding{wire, now + _cfg.retransmit_timeout, _cfg.retransmit_timeout, 1, std::move(t)};
    send_raw(sa.local, sa.remote, std::move(wire), sa.natt);
}

void engine::send_response(ike_sa& sa, message m, const endpoint& to) {
    m.spi_i = sa.spi_i;
    m.spi_r = sa.spi_r;
    m.flags = header_flags::response | (sa.initiator ? header_flags::initiator : 0);
    m.message_id = sa.expect_mid;
    bytes wire = encode(m, m.exchange == exchange_type::ike_sa_init ? nullptr : sa.out.get());
    sa.last_response = wire;
    sa.last_response_to = to;
    sa.have_response = true;
    ++sa.expect_mid;
    send_raw(sa.local, to, std::move(wire), sa.natt);
}

void engine::next_task(ike_sa& sa, time_point now) {
    if (sa.pending || sa.state != sa_state::established || sa.queue.empty()) {
        return;
    }
    auto t = std::move(sa.queue.front());
    sa.queue.pop_front();
    message m;
    switch (t->kind) {
    case task_kind::create_child:
    case task_kind::rekey_child:
    case task_kind::rekey_ike:
        if (t->kind == task_kind::rekey_child && !sa.child_by_spi(t->target_spi)) {
            return next_task(sa, now);  // deleted meanwhile
        }
        m = build_create_child(sa, *t);
        break;
    case task_kind::delete_child:
    case task_kind::delete_ike:
    case task_kind::dpd:
        m = build_informational(sa, *t);
        break;
    default:
        return;
    }
    send_request(sa, std::move(m), std::move(t), now);
}

void engine::remove_sa(ike_sa& sa, const std::string& reason, bool announce) {
    if (sa.state == sa_state::deleting) {
        return;
    }
    bool was_up = sa.state == sa_state::established;
    for (const auto& c : sa.children) {
        event e{event_type::child_deleted, sa.conn ? sa.conn->name : "", sa.id(), {}, info(sa, c), 0, reason};
        emit(std::move(e));
    }
    sa.children.clear();
    if (was_up && announce) {
        emit(event{event_type::ike_down, sa.conn ? sa.conn->name : "", sa.id(), {}, {}, 0, reason});
    }
    sa.state = sa_state::deleting;
    sa.pending.reset();
    sa.queue.clear();
}

void engine::fail(ike_sa& sa, std::uint16_t notify, const std::string& reason) {
    emit(event{event_type::failed, sa.conn ? sa.conn->name : "", sa.id(), {}, {}, notify, reason});
    remove_sa(sa, reason, true);
}

bytes engine::nat_hash(std::uint64_t spi_i, std::uint64_t spi_r, const endpoint& e) const {
    // RFC 7296 §2.23: SHA-1(SPIi | SPIr | IP address | port).
    std::uint8_t in[8 + 8 + 4 + 2];
    put64(in, spi_i);
    put64(in + 8, spi_r);
    put32(in + 16, e.addr);
    put16(in + 20, e.port);
    bytes out(20);
    unsigned n = 0;
    EVP_Digest(in, sizeof in, out.data(), &n, EVP_sha1(), nullptr);
    return out;
}

bytes engine::make_cookie(std::span<const std::uint8_t> ni, const endpoint& from, std::uint64_t spi_i) const {
    // RFC 7296 §2.6: <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>), keyed here.
    bytes data(ni.begin(), ni.end());
    auto a = be32(from.addr);
    auto s = be64(spi_i);
    data.insert(data.end(), a.begin(), a.end());
    data.insert(data.end(), s.begin(), s.end());
    bytes c{0};
    auto h = prf(prf_id::hmac_sha2_256, _cookie_secret, data);
    c.insert(c.end(), h.begin(), h.end());
    return c;
}

std::size_t engine::half_open() const {
    std::size_t n = 0;
    for (const auto& [k, sa] : _sas) {
        n += sa->state == sa_state::half_open;
    }
    return n;
}

output engine::initiate(const std::string& name, time_point now) {
    const auto* c = connection(name);
    if (!c) {
        emit(event{event_type::failed, name, {}, {}, {}, 0, "no such connection"});
        return take();
    }
    return begin_ike_sa_init(*c, now);
}

output engine::receive(const datagram& d, time_point now) {
    ++counters.received;
    std::span<const std::uint8_t> wire(d.data);
    if (d.dst.port == _cfg.natt_port) {
        if (wire.size() < 4 || get32(wire.data()) != 0) {
            ++counters.dropped;  // ESP in UDP: the data plane's, not ours
            return take();
        }
        wire = wire.subspan(4);
    }
    std::uint64_t spi_i = 0, spi_r = 0;
    std::uint8_t exch = 0, flags = 0;
    std::uint32_t mid = 0;
    if (!peek_header(wire, spi_i, spi_r, exch, flags, mid)) {
        ++counters.decode_errors;
        return take();
    }
    const bool response = flags & header_flags::response;
    ZPLEX_DBG(ike, detail, "IN  {} {} MID {} SPI {:016X}/{:016X} FROM {}.{}.{}.{}:{} ({} BYTES)",
              exchange_name(exch), response ? "RESPONSE" : "REQUEST", mid, spi_i, spi_r, d.src.addr >> 24,
              (d.src.addr >> 16) & 0xff, (d.src.addr >> 8) & 0xff, d.src.addr & 0xff, d.src.port, wire.size());
    if (static_cast<exchange_type>(exch) == exchange_type::ike_sa_init && !response && spi_r == 0) {
        // A retransmitted IKE_SA_INIT of a half-open SA gets the same answer.
        for (auto& [k, sa] : _sas) {
            if (!sa->initiator && sa->spi_i == spi_i && sa->remote == d.src && sa->have_response &&
                sa->state != sa_state::deleting) {
                if (!std::equal(wire.begin(), wire.end(), sa->init_request.begin(), sa->init_request.end())) {
                    ++counters.not_retransmissions;  // same SPI, other content: not ours to answer
                    return take();
                }
                send_raw(sa->local, d.src, sa->last_response, false);
                return take();
            }
        }
        auto dec = decode(wire);
        if (!dec.ok()) {
            ++counters.decode_errors;
            return take();
        }
        on_ike_sa_init_request(d, dec, wire, now);
        return take();
    }
    const std::uint64_t mine = (flags & header_flags::initiator) ? spi_r : spi_i;
    auto it = _sas.find(mine);
    if (it == _sas.end() || it->second->state == sa_state::deleting) {
        ++counters.dropped;
        return take();
    }
    dispatch(*it->second, d, wire, now);
    return take();
}

void engine::dispatch(ike_sa& sa, const datagram& d, std::span<const std::uint8_t> wire, time_point now) {
    std::uint64_t spi_i = 0, spi_r = 0;
    std::uint8_t exch = 0, flags = 0;
    std::uint32_t mid = 0;
    peek_header(wire, spi_i, spi_r, exch, flags, mid);
    const auto exchange = static_cast<exchange_type>(exch);
    if (flags & header_flags::response) {
        if (!sa.pending || mid != sa.next_mid) {
            ++counters.dropped;
            return;
        }
        auto dec = decode(wire);
        if (!dec.ok()) {
            ++counters.decode_errors;
            return;
        }
        if (exchange == exchange_type::ike_sa_init) {
            on_ike_sa_init_response(sa, d, dec, wire, now);
            return;
        }
        if (!sa.in || !sk_open(dec, wire, *sa.in)) {
            ++(dec.error == decode_error::integrity ? counters.integrity_failures : counters.decode_errors);
            return;
        }
        sa.last_heard = now;
        auto t = std::move(sa.pending->t);
        sa.pending.reset();
        ++sa.next_mid;
        switch (t->kind) {
        case task_kind::ike_auth: on_ike_auth_response(sa, dec.msg, *t, now); break;
        case task_kind::create_child:
        case task_kind::rekey_child:
        case task_kind::rekey_ike: on_create_child_response(sa, dec.msg, *t, now); break;
        default: on_informational_response(sa, dec.msg, *t, now); break;
        }
        next_task(sa, now);
        return;
    }
    // A request.
    if (sa.have_response && mid + 1 == sa.expect_mid) {
        // §2.1: answer a retransmission again, but only a true one: the same bytes from
        // the same address and port. Anything else that merely names our SPIs (and the
        // last message ID, both visible on the wire) gets nothing, or we would reflect
        // our response to any address a forger cares to name.
        if (!(d.src == sa.last_request_from) || !std::equal(wire.begin(), wire.end(), sa.last_request.begin(),
                                                            sa.last_request.end())) {
            ++counters.not_retransmissions;
            return;
        }
        ++counters.retransmits;
        send_raw(sa.local, sa.last_response_to, sa.last_response, sa.natt);
        return;
    }
    if (mid != sa.expect_mid || exchange == exchange_type::ike_sa_init || !sa.in) {
        ++counters.dropped;
        return;
    }
    auto dec = decode(wire);
    if (!dec.ok() || !sk_open(dec, wire, *sa.in)) {
        ++(dec.error == decode_error::integrity ? counters.integrity_failures : counters.decode_errors);
        return;
    }
    sa.last_heard = now;
    sa.last_request.assign(wire.begin(), wire.end());  // what a retransmission must repeat
    sa.last_request_from = d.src;
    // RFC 7296 §2.23: after a NAT is detected, follow the peer's address and port.
    if (d.dst.port == _cfg.natt_port && !sa.natt) {
        sa.natt = true;
        sa.local.port = _cfg.natt_port;
    }
    if ((sa.nat_local || sa.nat_remote) && !(d.src == sa.remote)) {
        sa.remote = d.src;
    }
    switch (exchange) {
    case exchange_type::ike_auth: on_ike_auth_request(sa, d, dec.msg, now); break;
    case exchange_type::create_child_sa: on_create_child_request(sa, d, dec.msg, now); break;
    case exchange_type::informational: on_informational_request(sa, d, dec.msg, now); break;
    default: ++counters.dropped; break;
    }
    next_task(sa, now);
}

output engine::tick(time_point now) {
    for (auto& [k, p] : _sas) {
        ike_sa& sa = *p;
        if (sa.state == sa_state::deleting) {
            continue;
        }
        if (sa.pending && now >= sa.pending->next) {
            if (sa.pending->tries >= _cfg.retransmit_tries) {
                bool was_delete = sa.pending->t && sa.pending->t->kind == task_kind::delete_ike;
                if (was_delete) {
                    remove_sa(sa, "deleted (no answer to the delete)", true);
                } else {
                    fail(sa, 0, "retransmission timeout: peer not responding");
                }
                continue;
            }
            ++sa.pending->tries;
            ++counters.retransmits;
            sa.pending->timeout *= 2;  // exponential backoff
            sa.pending->next = now + sa.pending->timeout;
            send_raw(sa.local, sa.remote, sa.pending->wire, sa.natt);
            continue;
        }
        if (sa.deferred && now >= sa.retry_at && sa.state == sa_state::established && !sa.rekeyed) {
            sa.queue.push_back(std::move(sa.deferred));
            next_task(sa, now);
            continue;
        }
        if (sa.state == sa_state::half_open && now - sa.created >= _cfg.half_open_timeout) {
            remove_sa(sa, "half-open SA expired", false);
            continue;
        }
        if (sa.state == sa_state::established && sa.conn && sa.conn->dpd_interval.count() > 0 && !sa.pending &&
            sa.queue.empty() && now - sa.last_heard >= sa.conn->dpd_interval) {
            auto t = std::make_unique<task>();
            t->kind = task_kind::dpd;
            sa.queue.push_back(std::move(t));
            next_task(sa, now);
        }
    }
    return take();
}

std::optional<time_point> engine::next_timeout() const {
    std::optional<time_point> best;
    auto consider = [&](time_point t) {
        if (!best || t < *best) {
            best = t;
        }
    };
    for (const auto& [k, sa] : _sas) {
        if (sa->state == sa_state::deleting) {
            continue;
        }
        if (sa->deferred) {
            consider(sa->retry_at);
        }
        if (sa->pending) {
            consider(sa->pending->next);
        } else if (sa->state == sa_state::half_open) {
            consider(sa->created + _cfg.half_open_timeout);
        } else if (sa->state == sa_state::established && sa->conn && sa->conn->dpd_interval.count() > 0) {
            consider(sa->last_heard + sa->conn->dpd_interval);
        }
    }
    return best;
}

output engine::start_task(ike_sa_id id, std::unique_ptr<task> t, time_point now) {
    ike_sa* sa = find(id);
    if (!sa) {
        emit(event{event_type::failed, "", id, {}, {}, 0, "no such IKE SA"});
        return take();
    }
    sa->queue.push_back(std::move(t));
    next_task(*sa, now);
    return take();
}

output engine::start_child_task(std::uint32_t spi, task_kind kind, time_point now) {
    ike_sa* sa = find_by_child(spi);
    const auto* child = sa ? sa->child_by_spi(spi) : nullptr;
    if (!child) {
        emit(event{event_type::failed, "", {}, {}, {}, notify_type::child_sa_not_found, "no such CHILD SA"});
        return take();
    }
    auto t = std::make_unique<task>();
    t->kind = kind;
    t->target_spi = child->spi_in;
    t->child = child->cfg;
    return start_task(sa->id(), std::move(t), now);
}

std::vector<ike_sa_status> engine::status() const {
    std::vector<ike_sa_status> v;
    for (const auto& [k, sa] : _sas) {
        if (sa->state == sa_state::deleting) {
            continue;
        }
        ike_sa_status s;
        s.connection = sa->conn ? sa->conn->name : "";
        s.id = sa->id();
        s.initiator = sa->initiator;
        s.established = sa->state == sa_state::established;
        s.nat_local = sa->nat_local;
        s.nat_remote = sa->nat_remote;
        s.local = sa->local;
        s.remote = sa->remote;
        s.encr = sa->suite.encr;
        s.encr_key_bits = sa->suite.encr_key_bits;
        s.integ = sa->suite.integ;
        s.prf = sa->suite.prf;
        s.dh = sa->suite.dh;
        for (const auto& c : sa->children) {
            s.child_spis_in.push_back(c.spi_in);
        }
        v.push_back(std::move(s));
    }
    return v;
}

}  // namespace detail

// ---- the facade ---------------------------------------------------------------------

peer::peer(peer_config cfg) : _e(std::make_unique<detail::engine>(std::move(cfg))) {}
peer::~peer() = default;
output peer::initiate(const std::string& name, time_point now) { return _e->initiate(name, now); }
output peer::receive(const datagram& d, time_point now) { return _e->receive(d, now); }
output peer::tick(time_point now) { return _e->tick(now); }
std::optional<time_point> peer::next_timeout() const { return _e->next_timeout(); }
std::vector<ike_sa_status> peer::status() const { return _e->status(); }
const peer_counters& peer::counters() const noexcept { return _e->counters; }

output peer::rekey_child(std::uint32_t spi, time_point now) {
    return _e->start_child_task(spi, detail::task_kind::rekey_child, now);
}
output peer::delete_child(std::uint32_t spi, time_point now) {
    return _e->start_child_task(spi, detail::task_kind::delete_child, now);
}
output peer::create_child(ike_sa_id id, const std::string& child_name, time_point now) {
    auto* sa = _e->find(id);
    const child_config* cc = nullptr;
    if (sa && sa->conn) {
        for (const auto& c : sa->conn->children) {
            if (c.name == child_name) {
                cc = &c;
            }
        }
    }
    if (!cc) {
        output o;
        o.events.push_back(event{event_type::failed, "", id, {}, {}, 0, "no such IKE SA or child config"});
        return o;
    }
    auto t = std::make_unique<detail::task>();
    t->kind = detail::task_kind::create_child;
    t->child = cc;
    return _e->start_task(id, std::move(t), now);
}
output peer::rekey_ike(ike_sa_id id, time_point now) {
    auto t = std::make_unique<detail::task>();
    t->kind = detail::task_kind::rekey_ike;
    return _e->start_task(id, std::move(t), now);
}
output peer::delete_ike(ike_sa_id id, time_point now) {
    auto t = std::make_unique<detail::task>();
    t->kind = detail::task_kind::delete_ike;
    return _e->start_task(id, std::move(t), now);
}
output peer::forget_ike(ike_sa_id id) {
    if (auto* sa = _e->find(id)) _e->remove_sa(*sa, "forgotten", true);
    return _e->take();
}
output peer::dpd(ike_sa_id id, time_point now) {
    auto t = std::make_unique<detail::task>();
    t->kind = detail::task_kind::dpd;
    return _e->start_task(id, std::move(t), now);
}

}  // namespace zplex::ike
