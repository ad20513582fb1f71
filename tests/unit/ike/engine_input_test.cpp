// SPDX-License-Identifier: Apache-2.0
// What an authenticated peer can send the engine after SK decryption: proposals that
// are misnumbered (RFC 7296 §3.3.1) or carry no SPI must be refused, never read past.
//
//   HDR, SK { SA(P1: ESP, no SPI; P1: ESP, SPI), Ni, TSi, TSr } -->   (dropped: misnumbered)
//   HDR, SK { SA(P1: ESP, no SPI; P2: ESP, SPI X), Ni, TSi, TSr } --> <-- HDR, SK { SA(P2: our SPI), Nr, TSi, TSr }
#include <zplex/ike/message.hpp>

#include "ike_engine_fixture.hpp"

#include <gtest/gtest.h>

namespace zplex::ike {
namespace {

using test::engine_fixture;

proposal esp_gcm(std::uint8_t number, bytes spi) {
    return proposal{number, protocol_id::esp, std::move(spi),
                    {{transform_type::encr, encr_id::aes_gcm_16, 256}, {transform_type::esn, 0, std::nullopt}}};
}

message child_request(sa_payload offer) {
    message m;
    m.exchange = exchange_type::create_child_sa;
    m.add(payload_type::sa, std::move(offer));
    m.add(payload_type::nonce, nonce_payload{bytes(32, 0x99)});
    m.add(payload_type::tsi, ts_payload{{traffic_selector{0, 0, 65535, 0x0a000100, 0x0a0001ff}}});
    m.add(payload_type::tsr, ts_payload{{traffic_selector{0, 0, 65535, 0xc0000200, 0xc00002ff}}});
    return m;
}

int count(const output& o, event_type t) {
    return static_cast<int>(std::count_if(o.events.begin(), o.events.end(), [&](const event& e) { return e.type == t; }));
}

TEST(ike_engine_input, fixture_reaches_the_create_child_handler) {
    engine_fixture f;
    auto o = f.deliver(f.request(child_request(sa_payload{{esp_gcm(1, bytes{0xab, 0xcd, 0x00, 0x01})}}), 2));
    ASSERT_EQ(count(o, event_type::child_up), 1);
    EXPECT_EQ(o.events[0].child.spi_out, 0xabcd0001u);
    ASSERT_EQ(o.datagrams.size(), 1u);
    auto reply = f.open_reply(o.datagrams[0]);
    const auto* sa = reply.find<sa_payload>(payload_type::sa);
    ASSERT_NE(sa, nullptr);
    EXPECT_EQ(sa->proposals.at(0).number, 1);
}

TEST(ike_engine_input, two_proposals_numbered_one_the_first_without_spi_are_refused) {
    engine_fixture f;
    auto o = f.deliver(f.request(child_request(sa_payload{{esp_gcm(1, {}), esp_gcm(1, bytes{0, 0, 0x12, 0x34})}}), 2));
    EXPECT_EQ(count(o, event_type::child_up), 0);
    EXPECT_EQ(f.e.counters.decode_errors, 1u);
    EXPECT_EQ(f.sa->children.size(), 1u);
}

TEST(ike_engine_input, the_chosen_proposal_carries_its_own_spi_and_number) {
    engine_fixture f;
    auto o = f.deliver(f.request(child_request(sa_payload{{esp_gcm(1, {}), esp_gcm(2, bytes{0, 0, 0x12, 0x34})}}), 2));
    ASSERT_EQ(count(o, event_type::child_up), 1);
    auto ev = std::find_if(o.events.begin(), o.events.end(), [](const event& e) { return e.type == event_type::child_up; });
    EXPECT_EQ(ev->child.spi_out, 0x1234u);
    auto reply = f.open_reply(o.datagrams.at(0));
    const auto* sa = reply.find<sa_payload>(payload_type::sa);
    ASSERT_NE(sa, nullptr);
    ASSERT_EQ(sa->proposals.size(), 1u);
    EXPECT_EQ(sa->proposals[0].number, 2);
    EXPECT_EQ(sa->proposals[0].spi, detail::be32(ev->child.spi_in));
}

TEST(ike_engine_input, an_offer_that_does_not_start_at_one_gets_no_proposal_chosen) {
    engine_fixture f;
    auto o = f.deliver(f.request(child_request(sa_payload{{esp_gcm(2, bytes{0, 0, 0x12, 0x34})}}), 2));
    EXPECT_EQ(count(o, event_type::child_up), 0);
    ASSERT_EQ(o.datagrams.size(), 1u);
    auto reply = f.open_reply(o.datagrams[0]);
    EXPECT_NE(reply.notify(notify_type::no_proposal_chosen), nullptr);
}

TEST(ike_engine_input, an_ike_rekey_offer_without_an_spi_is_refused) {
    engine_fixture f;
    message m;
    m.exchange = exchange_type::create_child_sa;
    m.add(payload_type::sa, sa_payload{{proposal{1, protocol_id::ike, {},
                                                 {{transform_type::encr, encr_id::aes_gcm_16, 256},
                                                  {transform_type::prf, prf_id::hmac_sha2_256, std::nullopt},
                                                  {transform_type::dh, dh_group::ecp_256, std::nullopt}}}}});
    m.add(payload_type::nonce, nonce_payload{bytes(32, 0x99)});
    auto dh = dh_key::generate(dh_group::ecp_256);
    m.add(payload_type::ke, ke_payload{dh_group::ecp_256, dh->public_value()});
    auto o = f.deliver(f.request(m, 2));
    EXPECT_EQ(count(o, event_type::ike_rekeyed), 0);
    auto reply = f.open_reply(o.datagrams.at(0));
    EXPECT_NE(reply.notify(notify_type::no_proposal_chosen), nullptr);
}

// RFC 7296 §2.1: only a true retransmission gets the cached response again.
//   HDR(mid 2), SK {} -->  <-- HDR(mid 2), SK {}       (DPD)
//   the same bytes, same address and port -->  <-- the same response
//   the same bytes from another port, or new bytes with mid 2 -->  (nothing)
TEST(ike_engine_input, only_a_true_retransmission_is_answered_again) {
    engine_fixture f;
    message dpd;
    dpd.exchange = exchange_type::informational;
    auto req = f.request(dpd, 2);
    auto first = f.deliver(req);
    ASSERT_EQ(first.datagrams.size(), 1u);
    auto again = f.deliver(req);
    ASSERT_EQ(again.datagrams.size(), 1u);
    EXPECT_EQ(again.datagrams[0].data, first.datagrams[0].data);
    EXPECT_EQ(again.datagrams[0].dst, req.src);
    EXPECT_EQ(f.e.counters.retransmits, 1u);

    auto moved = req;
    moved.src.port = 40500;  // forged source: must not become a reflector
    EXPECT_TRUE(f.deliver(moved).datagrams.empty());
    moved = req;
    moved.src.addr = 0xc6120001;
    EXPECT_TRUE(f.deliver(moved).datagrams.empty());
    auto other = f.request(dpd, 2);  // a fresh IV: other bytes, same SPIs and message ID
    ASSERT_NE(other.data, req.data);
    EXPECT_TRUE(f.deliver(other).datagrams.empty());
    EXPECT_EQ(f.e.counters.not_retransmissions, 3u);
    EXPECT_EQ(f.e.counters.retransmits, 1u);
}

// Found by fuzz_ike_engine: a response whose only notify is the reserved type 0 (an
// "error" below 16384) was taken as success, and the missing Nr read through null.
//   HDR, SK { SA, Ni, KEi, TSi, TSr } -->   <-- HDR, SK { N(0) }
TEST(ike_engine_input, a_reserved_error_notify_in_a_child_response_is_a_failure) {
    engine_fixture f;
    auto t = std::make_unique<detail::task>();
    t->kind = detail::task_kind::create_child;
    t->child = &f.sa->conn->children[0];
    auto sent = f.e.start_task(f.sa->id(), std::move(t), f.now);
    ASSERT_EQ(sent.datagrams.size(), 1u);
    message r;
    r.exchange = exchange_type::create_child_sa;
    r.add_notify(0);
    auto clear = encode(r);
    std::span<const std::uint8_t> chain(clear);
    auto o = f.deliver(f.protect(exchange_type::create_child_sa, header_flags::response | header_flags::initiator,
                                 f.sa->next_mid, clear[16], chain.subspan(28)));
    EXPECT_EQ(count(o, event_type::child_up), 0);
    EXPECT_EQ(count(o, event_type::failed), 1);
    EXPECT_EQ(f.sa->children.size(), 1u);
}

}  // namespace
}  // namespace zplex::ike
