// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the IKE engine itself, past SK decryption. Each input is a
// plaintext payload chain that the target protects with the peer's known key, so the
// engine verifies and decrypts it and runs the exchange handlers on it (proposal
// selection, traffic selector narrowing, key derivation, rekey, delete, IKE_AUTH).
//
// Input: byte 0 picks the case, byte 1 is the first payload's type, the rest is the chain.
//   bit 0      SK cipher: AES-GCM-16-256 or AES-CBC-256 + HMAC-SHA2-256-128
//   bits 1..3  0 CREATE_CHILD_SA request, 1 INFORMATIONAL request, 2 IKE_AUTH request
//              (SA half-open), 3..7 the response to our own CREATE_CHILD_SA, CHILD
//              rekey, IKE rekey, CHILD delete, DPD
// Any crash, sanitizer report or leak is a finding.
#include "ike_engine_fixture.hpp"

#include <cstddef>
#include <cstdint>

using namespace zplex::ike;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2 || size > 8192) {
        return 0;
    }
    const bool gcm = data[0] & 1;
    const unsigned which = (data[0] >> 1) & 7;
    const std::uint8_t first = data[1];
    std::span<const std::uint8_t> chain(data + 2, size - 2);
    test::engine_fixture f(gcm);
    auto& e = f.e;
    auto* sa = f.sa;
    datagram d;
    switch (which) {
    case 0:
        d = f.protect(exchange_type::create_child_sa, header_flags::initiator, sa->expect_mid, first, chain);
        break;
    case 1:
        d = f.protect(exchange_type::informational, header_flags::initiator, sa->expect_mid, first, chain);
        break;
    case 2:
        sa->state = detail::sa_state::half_open;
        sa->children.clear();
        sa->expect_mid = 1;
        sa->init_request = bytes(64, 0x11);
        sa->init_response = bytes(64, 0x22);
        d = f.protect(exchange_type::ike_auth, header_flags::initiator, 1, first, chain);
        break;
    default: {
        // Our own request first, so the response meets a real outstanding task.
        output o;
        switch (which) {
        case 3: {
            auto t = std::make_unique<detail::task>();
            t->kind = detail::task_kind::create_child;
            t->child = &sa->conn->children[0];
            o = e.start_task(sa->id(), std::move(t), f.now);
            break;
        }
        case 4: o = e.start_child_task(test::engine_fixture::child_in, detail::task_kind::rekey_child, f.now); break;
        case 5: {
            auto t = std::make_unique<detail::task>();
            t->kind = detail::task_kind::rekey_ike;
            o = e.start_task(sa->id(), std::move(t), f.now);
            break;
        }
        case 6: o = e.start_child_task(test::engine_fixture::child_in, detail::task_kind::delete_child, f.now); break;
        default: {
            auto t = std::make_unique<detail::task>();
            t->kind = detail::task_kind::dpd;
            o = e.start_task(sa->id(), std::move(t), f.now);
        }
        }
        const auto x = which == 6 || which == 7 ? exchange_type::informational : exchange_type::create_child_sa;
        d = f.protect(x, header_flags::response | header_flags::initiator, sa->next_mid, first, chain);
    }
    }
    f.deliver(d);
    f.deliver(d);  // the same again: a retransmission, or a response nobody waits for
    e.tick(f.now + std::chrono::seconds(3));
    e.tick(f.now + std::chrono::seconds(60));
    e.status();
    return 0;
}
