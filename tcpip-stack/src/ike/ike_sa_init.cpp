// SPDX-License-Identifier: Apache-2.0
// IKE_SA_INIT (RFC 7296 §1.2): SA, KE, nonces and NAT detection, with cookies under
// load (§2.6), INVALID_KE_PAYLOAD retry (§1.2), and NAT-T float to 4500 (§2.23).
//
//   HDR, [N(COOKIE),] SAi1, KEi, Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP) -->
//                <-- HDR, SAr1, KEr, Nr, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP), [CERTREQ]
#include "engine.hpp"
#include "wire.hpp"

#include <algorithm>

namespace zplex::ike::detail {

namespace {

bool any_match(const message& m, std::uint16_t type, const bytes& want) {
    bool seen = false;
    for (const auto& p : m.payloads) {
        if (const auto* n = std::get_if<notify_payload>(&p.body); n && n->type == type) {
            seen = true;
            if (n->data == want) {
                return true;
            }
        }
    }
    return !seen;  // no notify of that type: no NAT detection, assume none
}

bool nonce_ok(const nonce_payload* n) { return n && n->data.size() >= 16 && n->data.size() <= 256; }

}  // namespace

output engine::begin_ike_sa_init(const connection_config& c, time_point now) {
    if (c.remote_addr == 0 || c.remote_prefix < 32) {
        emit(event{event_type::failed, c.name, {}, {}, {}, 0, "the peer is a range or any address: only responds"});
        return take();
    }
    auto sa = std::make_unique<ike_sa>();
    sa->conn = &c;
    sa->initiator = true;
    sa->spi_i = new_ike_spi();
    sa->local = endpoint{c.local_addr, c.local_port};
    sa->remote = endpoint{c.remote_addr, c.remote_port};
    sa->created = sa->last_heard = now;
    sa->ni = random_bytes(32);
    std::uint16_t group = c.proposals.empty() || c.proposals[0].dh.empty() ? 0 : c.proposals[0].dh[0];
    sa->dh = dh_key::generate(group);
    auto& ref = *sa;
    _sas[sa->spi_i] = std::move(sa);
    if (!ref.dh) {
        fail(ref, 0, "no usable D-H group in the proposals");
        return take();
    }
    build_ike_sa_init(ref, now);
    return take();
}

void engine::build_ike_sa_init(ike_sa& sa, time_point now) {
    const auto& c = *sa.conn;
    message m;
    m.exchange = exchange_type::ike_sa_init;
    if (!sa.cookie.empty()) {
        m.add_notify(notify_type::cookie, sa.cookie);  // §2.6: first
    }
    m.add(payload_type::sa, ike_offer(c, {}));
    m.add(payload_type::ke, ke_payload{sa.dh->group(), sa.dh->public_value()});
    m.add(payload_type::nonce, nonce_payload{sa.ni});
    if (c.nat_traversal) {
        m.add_notify(notify_type::nat_detection_source_ip, nat_hash(sa.spi_i, 0, sa.local));
        m.add_notify(notify_type::nat_detection_destination_ip, nat_hash(sa.spi_i, 0, sa.remote));
    }
    auto t = std::make_unique<task>();
    t->kind = task_kind::ike_sa_init;
    send_request(sa, std::move(m), std::move(t), now);
}

void engine::on_ike_sa_init_request(const datagram& d, const decoded& in, std::span<const std::uint8_t> wire,
                                    time_point now) {
    const message& req = in.msg;
    const auto* sa_p = req.find<sa_payload>(payload_type::sa);
    const auto* ke = req.find<ke_payload>(payload_type::ke);
    const auto* ni = req.find<nonce_payload>(payload_type::nonce);
    // A stateless answer: SPIr = 0, nothing kept (RFC 7296 §2.6, §1.2).
    auto stateless = [&](std::uint16_t type, bytes data) {
        message r;
        r.spi_i = req.spi_i;
        r.exchange = exchange_type::ike_sa_init;
        r.flags = header_flags::response;
        r.message_id = req.message_id;
        r.add_notify(type, std::move(data));
        send_raw(d.dst, d.src, encode(r), false);
    };
    if (req.message_id != 0 || !req.from_initiator()) {
        ++counters.dropped;
        return;
    }
    if (!sa_p || !ke || !nonce_ok(ni)) {
        stateless(notify_type::invalid_syntax, {});
        return;
    }
    const connection_config* c = connection_for(d.dst.addr, d.src.addr);
    if (!c) {
        stateless(notify_type::no_proposal_chosen, {});
        return;
    }
    // Cookies once too many SAs are half open.
    if (half_open() >= _cfg.cookie_threshold) {
        bytes want = make_cookie(ni->data, d.src, req.spi_i);
        const auto* ck = req.payloads.empty() ? nullptr : std::get_if<notify_payload>(&req.payloads.front().body);
        if (!ck || ck->type != notify_type::cookie || !equal_ct(ck->data, want)) {
            ++counters.cookies_sent;
            stateless(notify_type::cookie, want);
            return;
        }
    }
    proposal chosen;
    ike_suite suite;
    if (!select_ike(*c, *sa_p, chosen, suite)) {
        stateless(notify_type::no_proposal_chosen, {});
        emit(event{event_type::failed, c->name, {req.spi_i, 0}, {}, {}, notify_type::no_proposal_chosen,
                   "no acceptable IKE proposal"});
        return;
    }
    if (ke->group != suite.dh) {
        ++counters.invalid_ke_sent;
        stateless(notify_type::invalid_ke_payload,
                  bytes{static_cast<std::uint8_t>(suite.dh >> 8), static_cast<std::uint8_t>(suite.dh)});
        return;
    }
    auto sa = std::make_unique<ike_sa>();
    sa->conn = c;
    sa->initiator = false;
    sa->spi_i = req.spi_i;
    sa->spi_r = new_ike_spi();
    sa->local = d.dst;
    sa->remote = d.src;
    sa->created = sa->last_heard = now;
    sa->suite = suite;
    sa->ni = ni->data;
    sa->nr = random_bytes(32);
    sa->dh = dh_key::generate(suite.dh);
    sa->expect_mid = 0;
    secret shared;
    if (!sa->dh || !sa->dh->shared_secret(ke->data, shared)) {
        stateless(notify_type::invalid_syntax, {});
        return;
    }
    if (!derive_ike_keys(suite, shared.view(), sa->ni, sa->nr, sa->spi_i, sa->spi_r, sa->keys)) {
        stateless(notify_type::no_proposal_chosen, {});
        return;
    }
    set_ciphers(*sa);
    // NAT detection (§2.23): compare the peer's hashes with what we see.
    if (c->nat_traversal && req.notify(notify_type::nat_detection_source_ip)) {
        sa->nat_remote = !any_match(req, notify_type::nat_detection_source_ip, nat_hash(sa->spi_i, 0, d.src));
        sa->nat_local = !any_match(req, notify_type::nat_detection_destination_ip, nat_hash(sa->spi_i, 0, d.dst));
    }
    sa->init_request.assign(wire.begin(), wire.end());
    sa->state = sa_state::half_open;
    message r;
    r.exchange = exchange_type::ike_sa_init;
    chosen.spi.clear();  // §3.3.1: no SPI in IKE_SA_INIT (the header carries them)
    r.add(payload_type::sa, sa_payload{{chosen}});
    r.add(payload_type::ke, ke_payload{suite.dh, sa->dh->public_value()});
    r.add(payload_type::nonce, nonce_payload{sa->nr});
    if (c->nat_traversal && req.notify(notify_type::nat_detection_source_ip)) {
        r.add_notify(notify_type::nat_detection_source_ip, nat_hash(sa->spi_i, sa->spi_r, d.dst));
        r.add_notify(notify_type::nat_detection_destination_ip, nat_hash(sa->spi_i, sa->spi_r, d.src));
    }
    if (c->auth == auth_kind::cert) {
        r.add(payload_type::certreq, cert_payload{cert_x509_signature, {}});
    }
    auto& ref = *sa;
    _sas[sa->spi_r] = std::move(sa);
    send_response(ref, std::move(r), d.src);
    ref.init_response = ref.last_response;
}

void engine::on_ike_sa_init_response(ike_sa& sa, const datagram& d, const decoded& in,
                                     std::span<const std::uint8_t> wire, time_point now) {
    const message& res = in.msg;
    const auto& c = *sa.conn;
    if (sa.state != sa_state::init_sent) {
        ++counters.dropped;
        return;
    }
    if (const auto* ck = res.notify(notify_type::cookie)) {
        if (ck->data.empty() || ck->data.size() > 64 || !sa.cookie.empty()) {
            fail(sa, 0, "bad or repeated COOKIE");
            return;
        }
        sa.cookie = ck->data;
        sa.pending.reset();
        build_ike_sa_init(sa, now);
        return;
    }
    if (const auto* ik = res.notify(notify_type::invalid_ke_payload)) {
        std::uint16_t g = ik->data.size() == 2 ? get16(ik->data.data()) : 0;
        bool offered = std::any_of(c.proposals.begin(), c.proposals.end(), [&](const ike_proposal& p) {
            return std::find(p.dh.begin(), p.dh.end(), g) != p.dh.end();
        });
        if (!offered || g == sa.dh->group()) {
            fail(sa, notify_type::invalid_ke_payload, "INVALID_KE_PAYLOAD for a group not offered");
            return;
        }
        sa.dh = dh_key::generate(g);
        sa.pending.reset();
        build_ike_sa_init(sa, now);
        return;
    }
    if (const auto* err = res.error_notify()) {
        fail(sa, err->type, "IKE_SA_INIT refused by the peer");
        return;
    }
    const auto* sa_p = res.find<sa_payload>(payload_type::sa);
    const auto* ke = res.find<ke_payload>(payload_type::ke);
    const auto* nr = res.find<nonce_payload>(payload_type::nonce);
    ike_suite suite;
    if (!sa_p || !ke || !nonce_ok(nr) || res.spi_r == 0 || !accept_ike(ike_offer(c, {}), *sa_p, suite) ||
        suite.dh != sa.dh->group() || ke->group != suite.dh) {
        fail(sa, notify_type::no_proposal_chosen, "IKE_SA_INIT response unacceptable");
        return;
    }
    secret shared;
    sa.spi_r = res.spi_r;
    sa.suite = suite;
    sa.nr = nr->data;
    if (!sa.dh->shared_secret(ke->data, shared) ||
        !derive_ike_keys(suite, shared.view(), sa.ni, sa.nr, sa.spi_i, sa.spi_r, sa.keys)) {
        fail(sa, notify_type::invalid_syntax, "D-H or key derivation failed");
        return;
    }
    set_ciphers(sa);
    sa.init_response.assign(wire.begin(), wire.end());
    if (c.nat_traversal && res.notify(notify_type::nat_detection_source_ip)) {
        sa.nat_remote = !any_match(res, notify_type::nat_detection_source_ip, nat_hash(sa.spi_i, sa.spi_r, d.src));
        sa.nat_local =
            !any_match(res, notify_type::nat_detection_destination_ip, nat_hash(sa.spi_i, sa.spi_r, d.dst));
        if (sa.nat_local || sa.nat_remote) {
            // §2.23: float to 4500 from IKE_AUTH on.
            sa.natt = true;
            sa.local.port = _cfg.natt_port;
            sa.remote.port = _cfg.natt_port;
        }
    }
    sa.pending.reset();
    sa.next_mid = 1;
    sa.last_heard = now;
    sa.state = sa_state::auth_sent;
    start_ike_auth(sa, now);
}

}  // namespace zplex::ike::detail
