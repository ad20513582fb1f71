// SPDX-License-Identifier: Apache-2.0
// The TCP signalling path on loopback: order, sizes, the key handshake, forgeries.
#include "cds.hpp"

#include <zplex/xcf/tcp_path.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <thread>

namespace zplex::xcf {
namespace {

sysplex_key key_of(char c) {
    sysplex_key k;
    parse_key(std::string(64, c), k);
    return k;
}

struct pair_of_ends {
    std::unique_ptr<tcp_path> a, b;
    explicit pair_of_ends(const sysplex_key& ka, const sysplex_key& kb, result* connect_result = nullptr) {
        EXPECT_TRUE(tcp_path::listen(ka, 0, a));
        std::thread t([&] {
            auto r = tcp_path::connect(kb, "127.0.0.1", a->port(), b);
            if (connect_result) {
                *connect_result = r;
            }
        });
        auto r = a->accept(std::chrono::seconds(5));
        t.join();
        if (!connect_result) {
            EXPECT_TRUE(r) << to_string(r);
        }
    }
};

std::vector<std::uint8_t> bytes(std::size_t n, std::uint8_t seed) {
    std::vector<std::uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i) {
        v[i] = static_cast<std::uint8_t>(seed ^ (i * 13));
    }
    return v;
}

TEST(xcf_tcp, messages_of_every_size_in_order_both_ways) {
    pair_of_ends p(key_of('a'), key_of('a'));
    std::thread sender([&] {
        for (std::size_t n : {1ul, 64ul, 8192ul, 65536ul, max_message}) {
            ASSERT_TRUE(p.b->send(bytes(n, 3)));
        }
    });
    std::vector<std::uint8_t> got;
    for (std::size_t n : {1ul, 64ul, 8192ul, 65536ul, max_message}) {
        ASSERT_TRUE(p.a->receive(got, std::chrono::seconds(10)));
        ASSERT_EQ(got, bytes(n, 3)) << n;
    }
    sender.join();
    ASSERT_TRUE(p.a->send(bytes(100, 7)));
    ASSERT_TRUE(p.b->receive(got, std::chrono::seconds(5)));
    EXPECT_EQ(got, bytes(100, 7));
    EXPECT_EQ(p.a->receive(got, std::chrono::milliseconds(20)).why, reason::no_message);
    EXPECT_EQ(p.a->send(bytes(max_message + 1, 0)).why, reason::message_too_long);
}

TEST(xcf_tcp, a_peer_without_the_key_is_refused) {
    result r;
    pair_of_ends p(key_of('a'), key_of('b'), &r);
    EXPECT_EQ(r.why, reason::bad_key);
}

TEST(xcf_tcp, forged_frames_are_dropped_and_counted) {
    pair_of_ends p(key_of('c'), key_of('c'));
    detail::fragment_header h{};
    h.magic = detail::fragment_magic;
    h.frag_count = 1;
    h.ct_len = 32;
    h.payload_len = 32;
    h.frame_len = 80;
    h.seq = 5;
    std::vector<std::uint8_t> frame(80, 0x41);
    std::memcpy(frame.data(), &h, sizeof h);
    ASSERT_TRUE(p.b->send_raw(frame));        // right shape, no key: fails the tag
    ASSERT_TRUE(p.b->send(bytes(10, 1)));     // the path goes on
    std::vector<std::uint8_t> got;
    ASSERT_TRUE(p.a->receive(got, std::chrono::seconds(5)));
    EXPECT_EQ(got, bytes(10, 1));
    EXPECT_EQ(p.a->drops().integrity + p.a->drops().stale, 1u);
}

}  // namespace
}  // namespace zplex::xcf
