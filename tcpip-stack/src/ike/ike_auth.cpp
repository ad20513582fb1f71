// SPDX-License-Identifier: Apache-2.0
// IKE_AUTH (RFC 7296 §1.2, §2.15): identities, AUTH by PSK or signature with CERT,
// and the first CHILD SA.
//
//   HDR, SK { IDi, [CERT,] [CERTREQ,] AUTH, [N(USE_TRANSPORT_MODE),] SAi2, TSi, TSr } -->
//                                   <-- HDR, SK { IDr, [CERT,] AUTH, [N(USE_TRANSPORT_MODE),] SAr2, TSi, TSr }
#include "engine.hpp"

namespace zplex::ike::detail {

namespace {

id_payload my_id(const connection_config& c, const credential* cr) {
    if (c.auth == auth_kind::cert && c.local_id.data.empty() && cr) {
        return id_payload{id_type::der_asn1_dn, cr->subject_der()};
    }
    return id_payload{c.local_id.type, c.local_id.data};
}

bool id_acceptable(const connection_config& c, const id_payload& id) {
    if (c.remote_id.data.empty() && c.remote_id_in_range) {
        // The peer's address is its identity: an ID_IPV4_ADDR inside the range.
        return id.type == id_type::ipv4_addr && id.data.size() == 4 &&
               peer_in(c, std::uint32_t{id.data[0]} << 24 | std::uint32_t{id.data[1]} << 16 |
                              std::uint32_t{id.data[2]} << 8 | id.data[3]);
    }
    return c.remote_id.data.empty() || (c.remote_id.type == id.type && c.remote_id.data == id.data);
}

/// The connection for a responder's IKE SA once IDi is known (RFC 7296 §2.15): the
/// first connection for these addresses that names this identity, else the first that
/// accepts it by range or as "any". IKE_SA_INIT could only go by address.
const connection_config* by_identity(const engine& e, const ike_sa& sa, const id_payload& id) {
    const connection_config* loose = nullptr;
    for (const auto& c : e.config().connections) {
        if ((c.local_addr != 0 && c.local_addr != sa.local.addr) || !peer_in(c, sa.remote.addr) ||
            !id_acceptable(c, id)) {
            continue;
        }
        if (!c.remote_id.data.empty()) {
            return &c;
        }
        if (!loose) {
            loose = &c;
        }
    }
    return loose;
}

}  // namespace

/// AUTH for our side: the first message we sent, the peer's nonce, prf(SK_p, ID').
static bool make_auth(engine& e, ike_sa& sa, const id_payload& id, auth_payload& out) {
    const auto& c = *sa.conn;
    const bytes& first = sa.initiator ? sa.init_request : sa.init_response;
    const bytes& nonce = sa.initiator ? sa.nr : sa.ni;
    const secret& skp = sa.initiator ? sa.keys.sk_pi : sa.keys.sk_pr;
    bytes octets = auth_octets(sa.suite.prf, first, nonce, skp.view(), id);
    if (c.auth == auth_kind::psk) {
        out.method = auth_method::psk;
        out.data = psk_auth(sa.suite.prf, c.psk.view(), octets);
        return !out.data.empty();
    }
    const credential* cr = e.cred(c);
    if (!cr) {
        return false;
    }
    out.method = cr->method();
    return cr->sign(octets, out.data);
}

/// Check the peer's AUTH over its first message, our nonce and its ID.
static bool check_auth(engine& e, ike_sa& sa, const message& m, const id_payload& id, std::string& why) {
    const auto& c = *sa.conn;
    const auto* a = m.find<auth_payload>(payload_type::auth);
    if (!a) {
        why = "no AUTH payload";
        return false;
    }
    if (!id_acceptable(c, id)) {
        why = "peer identity not the one configured";
        return false;
    }
    const bytes& first = sa.initiator ? sa.init_response : sa.init_request;
    const bytes& nonce = sa.initiator ? sa.ni : sa.nr;
    const secret& skp = sa.initiator ? sa.keys.sk_pr : sa.keys.sk_pi;
    bytes octets = auth_octets(sa.suite.prf, first, nonce, skp.view(), id);
    if (c.auth == auth_kind::psk) {
        if (a->method != auth_method::psk ||
            !equal_ct(a->data, psk_auth(sa.suite.prf, c.psk.view(), octets))) {
            why = "pre-shared key AUTH does not verify";
            return false;
        }
        return true;
    }
    const auto* cert = m.find<cert_payload>(payload_type::cert);
    const cert_verifier* v = e.verifier(c);
    if (!cert || cert->encoding != cert_x509_signature || !v) {
        why = "no X.509 CERT payload";
        return false;
    }
    return v->verify(cert->data, id, a->method, octets, a->data, why);
}

void engine::start_ike_auth(ike_sa& sa, time_point now) {
    const auto& c = *sa.conn;
    message m;
    m.exchange = exchange_type::ike_auth;
    const credential* cr = cred(c);
    id_payload id = my_id(c, cr);
    m.add(payload_type::idi, id);
    // RFC 7296 2.4: the first IKE SA to this peer says so, and the peer may delete SAs it
    // still holds for our identity: after a DVIPA's takeover, the old owner's.
    bool first = true;
    for (const auto& [spi, other] : _sas)
        if (other.get() != &sa && other->conn == sa.conn && other->remote.addr == sa.remote.addr &&
            other->state == sa_state::established)
            first = false;
    if (first) m.add_notify(notify_type::initial_contact);
    if (c.auth == auth_kind::cert && cr) {
        m.add(payload_type::cert, cert_payload{cert_x509_signature, cr->certificate_der()});
        m.add(payload_type::certreq, cert_payload{cert_x509_signature, {}});
    }
    auth_payload a;
    if (!make_auth(*this, sa, id, a)) {
        fail(sa, 0, "cannot compute our AUTH");
        return;
    }
    m.add(payload_type::auth, a);
    auto t = std::make_unique<task>();
    t->kind = task_kind::ike_auth;
    if (!c.children.empty()) {
        const auto& cc = c.children.front();
        t->child = &cc;
        t->new_spi_in = new_child_spi();
        if (cc.mode == ipsec::sa_mode::transport) {
            m.add_notify(notify_type::use_transport_mode);
        }
        m.add(payload_type::sa, esp_offer(cc, t->new_spi_in, false));
        m.add(payload_type::tsi, ts_payload{cc.local_ts});
        m.add(payload_type::tsr, ts_payload{cc.remote_ts});
    }
    send_request(sa, std::move(m), std::move(t), now);
}

void engine::on_ike_auth_request(ike_sa& sa, const datagram& d, const message& in, time_point) {
    message r;
    r.exchange = exchange_type::ike_auth;
    if (sa.state != sa_state::half_open) {
        r.add_notify(notify_type::invalid_syntax);
        send_response(sa, std::move(r), d.src);
        return;
    }
    const auto* idi = in.find<id_payload>(payload_type::idi);
    std::string why = "no IDi payload";
    if (idi) {
        if (const auto* c = by_identity(*this, sa, *idi)) {
            sa.conn = c;  // its key, its children
        }
    }
    if (!idi || !check_auth(*this, sa, in, *idi, why)) {
        // §2.21.2: AUTHENTICATION_FAILED in the response, then the SA is gone.
        r.add_notify(notify_type::authentication_failed);
        send_response(sa, std::move(r), d.src);
        fail(sa, notify_type::authentication_failed, why);
        return;
    }
    const auto& c = *sa.conn;
    const credential* cr = cred(c);
    id_payload id = my_id(c, cr);
    r.add(payload_type::idr, id);
    if (c.auth == auth_kind::cert && cr) {
        r.add(payload_type::cert, cert_payload{cert_x509_signature, cr->certificate_der()});
    }
    auth_payload a;
    if (!make_auth(*this, sa, id, a)) {
        r = message{};
        r.exchange = exchange_type::ike_auth;
        r.add_notify(notify_type::authentication_failed);
        send_response(sa, std::move(r), d.src);
        fail(sa, notify_type::authentication_failed, "cannot compute our AUTH");
        return;
    }
    r.add(payload_type::auth, a);
    sa.state = sa_state::established;
    emit(event{event_type::ike_up, c.name, sa.id(), {}, {}, 0, {}});
    if (in.notify(notify_type::initial_contact)) {
        // RFC 7296 2.4: the peer holds no other IKE SA with us: ours for the same
        // connection and address are stale (it restarted, or another host took its
        // address over) and go without a delete the peer could not read.
        for (auto& [spi, other] : _sas)
            if (other.get() != &sa && other->conn == sa.conn && other->remote.addr == sa.remote.addr &&
                other->state == sa_state::established)
                remove_sa(*other, "INITIAL_CONTACT FROM THE PEER", true);
    }
    if (in.find<sa_payload>(payload_type::sa)) {
        child_sa child;
        std::uint16_t ke_group = 0;
        std::uint16_t err = respond_child(sa, in, r, false, nullptr, child, ke_group);
        if (err) {
            // §2.21.3: the IKE SA stays up; the child's error rides in the response.
            r.add_notify(err);
            emit(event{event_type::failed, c.name, sa.id(), {}, {}, err, "CHILD SA not created"});
        } else {
            sa.children.push_back(std::move(child));
            emit(event{event_type::child_up, c.name, sa.id(), {}, info(sa, sa.children.back()), 0, {}});
        }
    }
    send_response(sa, std::move(r), d.src);
}

void engine::on_ike_auth_response(ike_sa& sa, const message& in, task& t, time_point) {
    const auto& c = *sa.conn;
    const auto* idr = in.find<id_payload>(payload_type::idr);
    if (!idr || !in.find<auth_payload>(payload_type::auth)) {
        const auto* err = in.error_notify();
        fail(sa, err ? err->type : notify_type::authentication_failed, "IKE_AUTH refused by the peer");
        return;
    }
    std::string why;
    if (!check_auth(*this, sa, in, *idr, why)) {
        fail(sa, notify_type::authentication_failed, "responder: " + why);
        return;
    }
    sa.state = sa_state::established;
    emit(event{event_type::ike_up, c.name, sa.id(), {}, {}, 0, {}});
    if (!t.child) {
        return;
    }
    child_sa child;
    std::uint16_t err = complete_child(sa, in, t, false, child);
    if (err) {
        emit(event{event_type::failed, c.name, sa.id(), {}, {}, err, "CHILD SA not created"});
        return;
    }
    sa.children.push_back(std::move(child));
    emit(event{event_type::child_up, c.name, sa.id(), {}, info(sa, sa.children.back()), 0, {}});
}

}  // namespace zplex::ike::detail
