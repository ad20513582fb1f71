// SPDX-License-Identifier: Apache-2.0
// INFORMATIONAL (RFC 7296 §1.4): deletes of CHILD SAs and of the IKE SA, and the empty
// liveness check (dead peer detection).
//
//   HDR, SK { [D(ESP, SPIs)] | [D(IKE)] | } -->
//                                   <-- HDR, SK { [D(ESP, our SPIs)] }
#include "engine.hpp"
#include "wire.hpp"

#include <algorithm>

namespace zplex::ike::detail {

message engine::build_informational(ike_sa&, task& t) {
    message m;
    m.exchange = exchange_type::informational;
    if (t.kind == task_kind::delete_child) {
        m.add(payload_type::del, delete_payload{protocol_id::esp, {be32(t.target_spi)}});
    } else if (t.kind == task_kind::delete_ike) {
        m.add(payload_type::del, delete_payload{protocol_id::ike, {}});
    }
    return m;
}

void engine::on_informational_request(ike_sa& sa, const datagram& d, const message& in, time_point) {
    message r;
    r.exchange = exchange_type::informational;
    const std::string name = sa.conn ? sa.conn->name : "";
    bool delete_ike = false;
    std::vector<bytes> ours;
    for (const auto& p : in.payloads) {
        const auto* del = std::get_if<delete_payload>(&p.body);
        if (!del) {
            continue;
        }
        if (del->protocol == protocol_id::ike) {
            delete_ike = true;
            continue;
        }
        if (del->protocol != protocol_id::esp) {
            continue;
        }
        for (const auto& s : del->spis) {
            if (s.size() != 4) {
                continue;
            }
            std::uint32_t spi = get32(s.data());
            auto it = std::find_if(sa.children.begin(), sa.children.end(),
                                   [&](const child_sa& c) { return c.spi_out == spi; });
            if (it == sa.children.end()) {
                continue;  // §1.4.1: unknown SPIs are ignored
            }
            ours.push_back(be32(it->spi_in));
            emit(event{event_type::child_deleted, name, sa.id(), {}, info(sa, *it), 0, "deleted by peer"});
            sa.children.erase(it);
        }
    }
    if (!ours.empty() && !delete_ike) {
        r.add(payload_type::del, delete_payload{protocol_id::esp, std::move(ours)});
    }
    send_response(sa, std::move(r), d.src);
    if (delete_ike) {
        remove_sa(sa, "deleted by peer", !sa.rekeyed);
    }
}

void engine::on_informational_response(ike_sa& sa, const message&, task& t, time_point) {
    const std::string name = sa.conn ? sa.conn->name : "";
    switch (t.kind) {
    case task_kind::delete_child: {
        auto it = std::find_if(sa.children.begin(), sa.children.end(),
                               [&](const child_sa& c) { return c.spi_in == t.target_spi; });
        if (it != sa.children.end()) {
            emit(event{event_type::child_deleted, name, sa.id(), {}, info(sa, *it), 0, "deleted"});
            sa.children.erase(it);
        }
        break;
    }
    case task_kind::delete_ike:
        remove_sa(sa, "deleted", !sa.rekeyed);
        break;
    default:
        break;  // liveness: the answer is all we wanted (last_heard moved)
    }
}

}  // namespace zplex::ike::detail
