// SPDX-License-Identifier: Apache-2.0
// CREATE_CHILD_SA (RFC 7296 §1.3): a new CHILD SA, a CHILD SA rekey (REKEY_SA, with
// the simultaneous-rekey rule of §2.8.1), and the IKE SA rekey (§1.3.2, §2.18).
//
//   HDR, SK { [N(REKEY_SA),] [N(USE_TRANSPORT_MODE),] SA, Ni, [KEi,] TSi, TSr } -->
//                                              <-- HDR, SK { SA, Nr, [KEr,] TSi, TSr }
//   HDR, SK { SA, Ni, KEi } -->  (IKE SA rekey)   <-- HDR, SK { SA, Nr, KEr }
#include "engine.hpp"
#include "wire.hpp"

#include <algorithm>

namespace zplex::ike::detail {

namespace {

bytes spi_bytes(std::uint32_t spi) { return be32(spi); }

/// True if every selector of @p got lies inside one of @p offered.
bool subset(const std::vector<traffic_selector>& got, const std::vector<traffic_selector>& offered) {
    for (const auto& g : got) {
        bool inside = std::any_of(offered.begin(), offered.end(), [&](const traffic_selector& o) {
            return (o.ip_protocol == 0 || o.ip_protocol == g.ip_protocol) && o.start_port <= g.start_port &&
                   g.end_port <= o.end_port && o.start_addr <= g.start_addr && g.end_addr <= o.end_addr;
        });
        if (!inside) {
            return false;
        }
    }
    return !got.empty();
}

/// The lower of two nonces (compared as unsigned byte strings, §2.8.1).
const bytes& lower(const bytes& a, const bytes& b) { return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end()) ? a : b; }

}  // namespace

message engine::build_create_child(ike_sa& sa, task& t) {
    message m;
    m.exchange = exchange_type::create_child_sa;
    t.nonce = random_bytes(32);
    if (t.kind == task_kind::rekey_ike) {
        t.new_ike_spi = new_ike_spi();
        t.dh = dh_key::generate(t.dh_group ? t.dh_group : sa.suite.dh);
        m.add(payload_type::sa, ike_offer(*sa.conn, be64(t.new_ike_spi)));
        m.add(payload_type::nonce, nonce_payload{t.nonce});
        m.add(payload_type::ke, ke_payload{t.dh->group(), t.dh->public_value()});
        return m;
    }
    const child_config& cc = *t.child;
    t.new_spi_in = new_child_spi();
    std::uint16_t pfs = t.dh_group;
    if (!pfs && !cc.proposals.empty() && !cc.proposals[0].dh.empty()) {
        pfs = cc.proposals[0].dh[0];
    }
    if (pfs) {
        t.dh = dh_key::generate(pfs);
    }
    if (t.kind == task_kind::rekey_child) {
        m.add_notify(notify_type::rekey_sa, {}, protocol_id::esp, spi_bytes(t.target_spi));
    }
    if (cc.mode == ipsec::sa_mode::transport) {
        m.add_notify(notify_type::use_transport_mode);
    }
    m.add(payload_type::sa, esp_offer(cc, t.new_spi_in, t.dh != nullptr));
    m.add(payload_type::nonce, nonce_payload{t.nonce});
    if (t.dh) {
        m.add(payload_type::ke, ke_payload{t.dh->group(), t.dh->public_value()});
    }
    const child_sa* old = t.kind == task_kind::rekey_child ? sa.child_by_spi(t.target_spi) : nullptr;
    m.add(payload_type::tsi, ts_payload{old ? old->local_ts : cc.local_ts});
    m.add(payload_type::tsr, ts_payload{old ? old->remote_ts : cc.remote_ts});
    return m;
}

std::uint16_t engine::respond_child(ike_sa& sa, const message& req, message& resp, bool ccsa,
                                    const child_config* only, child_sa& out, std::uint16_t& ke_group) {
    const auto* sa_p = req.find<sa_payload>(payload_type::sa);
    const auto* tsi = req.find<ts_payload>(payload_type::tsi);
    const auto* tsr = req.find<ts_payload>(payload_type::tsr);
    const auto* ni = ccsa ? req.find<nonce_payload>(payload_type::nonce) : nullptr;
    const auto* ke = ccsa ? req.find<ke_payload>(payload_type::ke) : nullptr;
    if (!sa_p || !tsi || !tsr || (ccsa && (!ni || ni->data.size() < 16 || ni->data.size() > 256))) {
        return notify_type::invalid_syntax;
    }
    bool ts_ok = false;
    for (const auto& cc : sa.conn->children) {
        if (only && &cc != only) {
            continue;
        }
        std::vector<traffic_selector> ri, rr;
        // §2.9: narrow TSi to what we allow for the peer, TSr to our side.
        if (!narrow(tsi->selectors, cc.remote_ts, ri) || !narrow(tsr->selectors, cc.local_ts, rr)) {
            continue;
        }
        ts_ok = true;
        proposal chosen;
        esp_suite s;
        if (!select_esp(cc, *sa_p, ccsa && ke, chosen, s)) {
            continue;
        }
        secret shared;
        if (s.dh != dh_group::none) {
            if (!ke || ke->group != s.dh) {
                ke_group = s.dh;
                return notify_type::invalid_ke_payload;
            }
        }
        if (chosen.spi.size() != 4) {  // select_esp takes only 4-byte SPIs; never read past one
            return notify_type::invalid_syntax;
        }
        out.cfg = &cc;
        out.suite = s;
        out.spi_out = get32(chosen.spi.data());
        out.spi_in = new_child_spi();
        out.mode = req.notify(notify_type::use_transport_mode) && cc.mode == ipsec::sa_mode::transport
                       ? ipsec::sa_mode::transport
                       : ipsec::sa_mode::tunnel;
        out.local_ts = rr;
        out.remote_ts = ri;
        chosen.spi = spi_bytes(out.spi_in);
        bytes nr = ccsa ? random_bytes(32) : bytes{};
        std::unique_ptr<dh_key> dh;
        if (s.dh != dh_group::none) {
            dh = dh_key::generate(s.dh);
            if (!dh || !dh->shared_secret(ke->data, shared)) {
                return notify_type::invalid_syntax;
            }
        }
        bool ok = ccsa ? install_child(sa, out, shared.view(), ni->data, nr, false)
                       : install_child(sa, out, {}, sa.ni, sa.nr, false);
        if (!ok) {
            return notify_type::no_proposal_chosen;
        }
        if (out.mode == ipsec::sa_mode::transport) {
            resp.add_notify(notify_type::use_transport_mode);
        }
        resp.add(payload_type::sa, sa_payload{{chosen}});
        if (ccsa) {
            resp.add(payload_type::nonce, nonce_payload{nr});
            if (dh) {
                resp.add(payload_type::ke, ke_payload{dh->group(), dh->public_value()});
            }
            _last_nr = nr;
        }
        resp.add(payload_type::tsi, ts_payload{ri});
        resp.add(payload_type::tsr, ts_payload{rr});
        return 0;
    }
    return ts_ok ? notify_type::no_proposal_chosen : notify_type::ts_unacceptable;
}

std::uint16_t engine::complete_child(ike_sa& sa, const message& res, task& t, bool ccsa, child_sa& out) {
    if (const auto* err = res.error_notify()) {
        // Type 0 is reserved (RFC 7296 §3.10.1) but still an error: never "success".
        return err->type ? err->type : notify_type::invalid_syntax;
    }
    const auto* sa_p = res.find<sa_payload>(payload_type::sa);
    const auto* tsi = res.find<ts_payload>(payload_type::tsi);
    const auto* tsr = res.find<ts_payload>(payload_type::tsr);
    const auto* nr = ccsa ? res.find<nonce_payload>(payload_type::nonce) : nullptr;
    const auto* ke = ccsa ? res.find<ke_payload>(payload_type::ke) : nullptr;
    if (!sa_p || !tsi || !tsr || (ccsa && (!nr || nr->data.size() < 16))) {
        return notify_type::invalid_syntax;
    }
    if (!accept_esp(*sa_p, out.suite, out.spi_out)) {
        return notify_type::no_proposal_chosen;
    }
    const child_sa* old = t.kind == task_kind::rekey_child ? sa.child_by_spi(t.target_spi) : nullptr;
    const auto& want_i = old ? old->local_ts : t.child->local_ts;
    const auto& want_r = old ? old->remote_ts : t.child->remote_ts;
    if (!subset(tsi->selectors, want_i) || !subset(tsr->selectors, want_r)) {
        return notify_type::ts_unacceptable;
    }
    secret shared;
    if (out.suite.dh != dh_group::none) {
        if (!t.dh || !ke || ke->group != t.dh->group() || !t.dh->shared_secret(ke->data, shared)) {
            return notify_type::invalid_ke_payload;
        }
    }
    out.cfg = t.child;
    out.spi_in = t.new_spi_in;
    out.mode = res.notify(notify_type::use_transport_mode) ? ipsec::sa_mode::transport : ipsec::sa_mode::tunnel;
    out.local_ts = tsi->selectors;
    out.remote_ts = tsr->selectors;
    bool ok = ccsa ? install_child(sa, out, shared.view(), t.nonce, nr->data, true)
                   : install_child(sa, out, {}, sa.ni, sa.nr, true);
    if (ccsa) {
        _last_nr = nr->data;
    }
    return ok ? 0 : notify_type::no_proposal_chosen;
}

void engine::on_create_child_request(ike_sa& sa, const datagram& d, const message& in, time_point) {
    message r;
    r.exchange = exchange_type::create_child_sa;
    const auto& c = *sa.conn;
    const auto* sa_p = in.find<sa_payload>(payload_type::sa);
    if (sa.state != sa_state::established || sa.rekeyed) {
        r.add_notify(notify_type::temporary_failure);
        send_response(sa, std::move(r), d.src);
        return;
    }
    if (sa_p && !sa_p->proposals.empty() && sa_p->proposals[0].protocol == protocol_id::ike) {
        // IKE SA rekey. A collision with our own IKE rekey is answered TEMPORARY_FAILURE.
        const auto* ni = in.find<nonce_payload>(payload_type::nonce);
        const auto* ke = in.find<ke_payload>(payload_type::ke);
        proposal chosen;
        ike_suite suite;
        if (sa.pending && sa.pending->t && sa.pending->t->kind == task_kind::rekey_ike) {
            r.add_notify(notify_type::temporary_failure);
        } else if (!ni || !ke || ni->data.size() < 16 || !select_ike(c, *sa_p, chosen, suite)) {
            r.add_notify(notify_type::no_proposal_chosen);
        } else if (ke->group != suite.dh) {
            r.add_notify(notify_type::invalid_ke_payload, bytes{static_cast<std::uint8_t>(suite.dh >> 8),
                                                                static_cast<std::uint8_t>(suite.dh)});
        } else {
            auto dh = dh_key::generate(suite.dh);
            secret shared;
            auto n = std::make_unique<ike_sa>();
            n->conn = sa.conn;
            n->initiator = false;
            n->spi_i = chosen.spi.size() == 8 ? get64(chosen.spi.data()) : 0;  // §3.3.1: the offer's SPI
            n->spi_r = new_ike_spi();
            n->local = sa.local;
            n->remote = sa.remote;
            n->nat_local = sa.nat_local;
            n->nat_remote = sa.nat_remote;
            n->natt = sa.natt;
            n->suite = suite;
            n->ni = ni->data;
            n->nr = random_bytes(32);
            n->created = n->last_heard = sa.last_heard;
            if (!n->spi_i || !dh || !dh->shared_secret(ke->data, shared) ||
                !derive_rekeyed_ike_keys(suite, sa.suite.prf, sa.keys.sk_d.view(), shared.view(), n->ni, n->nr,
                                         n->spi_i, n->spi_r, n->keys)) {
                r.add_notify(notify_type::no_proposal_chosen);
            } else {
                set_ciphers(*n);
                n->state = sa_state::established;
                n->children = std::move(sa.children);
                sa.children.clear();
                sa.rekeyed = true;
                chosen.spi = be64(n->spi_r);
                r.add(payload_type::sa, sa_payload{{chosen}});
                r.add(payload_type::nonce, nonce_payload{n->nr});
                r.add(payload_type::ke, ke_payload{suite.dh, dh->public_value()});
                emit(event{event_type::ike_rekeyed, c.name, n->id(), sa.id(), {}, 0, {}});
                _sas[n->spi_r] = std::move(n);
            }
        }
        send_response(sa, std::move(r), d.src);
        return;
    }
    const child_config* only = nullptr;
    child_sa* old = nullptr;
    if (const auto* rk = in.notify(notify_type::rekey_sa)) {
        std::uint32_t spi = rk->spi.size() == 4 ? get32(rk->spi.data()) : 0;
        for (auto& ch : sa.children) {
            if (ch.spi_out == spi && !ch.rekeyed) {
                old = &ch;
            }
        }
        if (!old) {
            r.add_notify(notify_type::child_sa_not_found, {}, protocol_id::esp, rk->spi);
            send_response(sa, std::move(r), d.src);
            return;
        }
        only = old->cfg;
    }
    child_sa child;
    std::uint16_t ke_group = 0;
    std::uint16_t err = respond_child(sa, in, r, true, only, child, ke_group);
    if (err) {
        message e;
        e.exchange = exchange_type::create_child_sa;
        e.add_notify(err, err == notify_type::invalid_ke_payload
                              ? bytes{static_cast<std::uint8_t>(ke_group >> 8), static_cast<std::uint8_t>(ke_group)}
                              : bytes{});
        send_response(sa, std::move(e), d.src);
        if (err != notify_type::invalid_ke_payload) {
            emit(event{event_type::failed, c.name, sa.id(), {}, {}, err, "CHILD SA request refused"});
        }
        return;
    }
    std::uint32_t old_spi = old ? old->spi_in : 0;
    // §2.8.1: are we rekeying the same CHILD SA right now?
    if (old && sa.pending && sa.pending->t && sa.pending->t->kind == task_kind::rekey_child &&
        sa.pending->t->target_spi == old_spi) {
        auto& t = *sa.pending->t;
        t.collided = true;
        t.peer_ni = in.find<nonce_payload>(payload_type::nonce)->data;
        t.peer_nr = _last_nr;
        t.peer_created_spi_in = child.spi_in;
    }
    if (old) {
        old->rekeyed = true;
    }
    sa.children.push_back(std::move(child));
    auto inf = info(sa, sa.children.back());
    inf.replaces_spi_in = old_spi;
    emit(event{old ? event_type::child_rekeyed : event_type::child_up, c.name, sa.id(), {}, inf, 0, {}});
    send_response(sa, std::move(r), d.src);
}

void engine::on_create_child_response(ike_sa& sa, const message& in, task& t, time_point now) {
    const auto& c = *sa.conn;
    if (const auto* ik = in.notify(notify_type::invalid_ke_payload); ik && ik->data.size() == 2) {
        // Retry with the group the responder wants (§1.3), once.
        if (!t.dh_group) {
            auto again = std::make_unique<task>();
            again->kind = t.kind;
            again->child = t.child;
            again->target_spi = t.target_spi;
            again->dh_group = get16(ik->data.data());
            sa.queue.push_front(std::move(again));
            return;
        }
    }
    if (in.notify(notify_type::temporary_failure) && (t.kind == task_kind::rekey_ike || t.kind == task_kind::rekey_child) &&
        t.retries < 3 && !sa.rekeyed) {
        // §2.25: the peer is busy (typically rekeying the same SA); try again after a
        // random delay, so that simultaneous rekeys do not keep colliding.
        auto again = std::make_unique<task>();
        again->kind = t.kind;
        again->child = t.child;
        again->target_spi = t.target_spi;
        again->dh_group = t.dh_group;
        again->retries = t.retries + 1;
        unsigned r = random_bytes(1)[0];
        sa.deferred = std::move(again);
        sa.retry_at = now + std::chrono::milliseconds(200 + 8 * r);  // 0.2 .. 2.2 s
        return;
    }
    if (t.kind == task_kind::rekey_ike) {
        const auto* sa_p = in.find<sa_payload>(payload_type::sa);
        const auto* nr = in.find<nonce_payload>(payload_type::nonce);
        const auto* ke = in.find<ke_payload>(payload_type::ke);
        ike_suite suite;
        secret shared;
        auto n = std::make_unique<ike_sa>();
        if (const auto* err = in.error_notify()) {
            emit(event{event_type::failed, c.name, sa.id(), {}, {}, err->type, "IKE SA rekey refused"});
            return;
        }
        if (!sa_p || !nr || !ke || !accept_ike(ike_offer(c, {}), *sa_p, suite) ||
            sa_p->proposals[0].spi.size() != 8 || !t.dh || ke->group != t.dh->group() ||
            !t.dh->shared_secret(ke->data, shared)) {
            emit(event{event_type::failed, c.name, sa.id(), {}, {}, notify_type::no_proposal_chosen,
                       "IKE SA rekey response unacceptable"});
            return;
        }
        n->conn = sa.conn;
        n->initiator = true;
        n->spi_i = t.new_ike_spi;
        n->spi_r = get64(sa_p->proposals[0].spi.data());
        n->local = sa.local;
        n->remote = sa.remote;
        n->nat_local = sa.nat_local;
        n->nat_remote = sa.nat_remote;
        n->natt = sa.natt;
        n->suite = suite;
        n->ni = t.nonce;
        n->nr = nr->data;
        n->created = n->last_heard = now;
        if (!derive_rekeyed_ike_keys(suite, sa.suite.prf, sa.keys.sk_d.view(), shared.view(), n->ni, n->nr, n->spi_i,
                                     n->spi_r, n->keys)) {
            emit(event{event_type::failed, c.name, sa.id(), {}, {}, 0, "IKE SA rekey: key derivation failed"});
            return;
        }
        set_ciphers(*n);
        n->state = sa_state::established;
        n->children = std::move(sa.children);
        sa.children.clear();
        emit(event{event_type::ike_rekeyed, c.name, n->id(), sa.id(), {}, 0, {}});
        _sas[n->spi_i] = std::move(n);
        // §1.3.2: the old IKE SA is deleted by the rekey's initiator.
        auto del = std::make_unique<task>();
        del->kind = task_kind::delete_ike;
        sa.queue.push_front(std::move(del));
        sa.rekeyed = true;
        return;
    }
    child_sa child;
    std::uint16_t err = complete_child(sa, in, t, true, child);
    if (err) {
        emit(event{event_type::failed, c.name, sa.id(), {}, {}, err, "CHILD SA not created"});
        return;
    }
    std::uint32_t new_spi = child.spi_in;
    bytes my_nr = in.find<nonce_payload>(payload_type::nonce)->data;
    sa.children.push_back(std::move(child));
    auto inf = info(sa, sa.children.back());
    // Looked up after the push_back, which may move every child.
    child_sa* old = t.kind == task_kind::rekey_child ? sa.child_by_spi(t.target_spi) : nullptr;
    inf.replaces_spi_in = old ? t.target_spi : 0;
    emit(event{old ? event_type::child_rekeyed : event_type::child_up, c.name, sa.id(), {}, inf, 0, {}});
    if (!old) {
        return;
    }
    old->rekeyed = true;
    auto del = std::make_unique<task>();
    del->kind = task_kind::delete_child;
    del->target_spi = t.target_spi;
    if (t.collided) {
        // §2.8.1: the SA created with the lowest of the four nonces is redundant and is
        // deleted by whoever created it; the other side deletes the old SA.
        const bytes& mine = lower(t.nonce, my_nr);
        const bytes& theirs = lower(t.peer_ni, t.peer_nr);
        if (std::lexicographical_compare(mine.begin(), mine.end(), theirs.begin(), theirs.end())) {
            del->target_spi = new_spi;
        }
    }
    sa.queue.push_front(std::move(del));
}

}  // namespace zplex::ike::detail
