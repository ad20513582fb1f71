// SPDX-License-Identifier: Apache-2.0
// The TCP signalling path on loopback: order, sizes, the key handshake, forgeries.
#include "cds.hpp"

#include <zplex/xcf/tcp_path.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

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
    h.frame_len = sizeof h + 32;
    h.seq = 5;
    std::vector<std::uint8_t> frame(sizeof h + 32, 0x41);
    std::memcpy(frame.data(), &h, sizeof h);
    ASSERT_TRUE(p.b->send_raw(frame));        // right shape, no key: fails the tag
    ASSERT_TRUE(p.b->send(bytes(10, 1)));     // the path goes on
    std::vector<std::uint8_t> got;
    ASSERT_TRUE(p.a->receive(got, std::chrono::seconds(5)));
    EXPECT_EQ(got, bytes(10, 1));
    EXPECT_EQ(p.a->drops().integrity + p.a->drops().stale, 1u);
}

int tcp_listen(std::uint16_t& port) {
    int l = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(l, 1), 0);
    socklen_t len = sizeof a;
    ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return l;
}

int tcp_connect(std::uint16_t port) {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    EXPECT_EQ(::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    return s;
}

// An eavesdropper relays one genuine handshake between a connector and a listener and
// records what the connector sent. Replayed to a new listener of the same sysplex, the
// recording must not make a path:
//
//   C --hello, proof(Nl1)--> relay --> L1        (recorded)
//   attacker --recorded bytes--> L2 (fresh Nl2)  => refused
TEST(xcf_tcp, a_replayed_handshake_is_refused) {
    auto key = key_of('d');
    std::unique_ptr<tcp_path> l1;
    ASSERT_TRUE(tcp_path::listen(key, 0, l1));
    std::uint16_t relay_port = 0;
    int relay = tcp_listen(relay_port);
    std::vector<std::uint8_t> recorded;
    std::thread relay_thread([&] {
        int c = ::accept(relay, nullptr, nullptr);
        int u = tcp_connect(l1->port());
        pollfd p[2] = {{c, POLLIN, 0}, {u, POLLIN, 0}};
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        bool open = true;
        while (open && std::chrono::steady_clock::now() < until && ::poll(p, 2, 200) >= 0) {
            for (int i = 0; i < 2 && open; ++i) {
                if (!(p[i].revents & (POLLIN | POLLHUP))) {
                    continue;
                }
                std::uint8_t buf[4096];
                auto n = ::read(p[i].fd, buf, sizeof buf);
                if (n <= 0) {
                    open = false;
                    break;
                }
                if (i == 0) {
                    recorded.insert(recorded.end(), buf, buf + n);
                }
                (void)!::write(p[1 - i].fd, buf, static_cast<std::size_t>(n));
            }
        }
        ::close(c);
        ::close(u);
    });
    std::unique_ptr<tcp_path> conn;
    std::thread connector([&] { EXPECT_TRUE(tcp_path::connect(key, "127.0.0.1", relay_port, conn)); });
    ASSERT_TRUE(l1->accept(std::chrono::seconds(10)));
    connector.join();
    ASSERT_TRUE(conn->send(bytes(20, 4)));  // the genuine path works through the relay
    std::vector<std::uint8_t> got;
    ASSERT_TRUE(l1->receive(got, std::chrono::seconds(5)));
    EXPECT_EQ(got, bytes(20, 4));
    conn.reset();
    relay_thread.join();
    ::close(relay);
    ASSERT_GE(recorded.size(), 40u);

    std::unique_ptr<tcp_path> l2;
    ASSERT_TRUE(tcp_path::listen(key, 0, l2));
    int attacker = tcp_connect(l2->port());
    ASSERT_EQ(::write(attacker, recorded.data(), recorded.size()), static_cast<ssize_t>(recorded.size()));
    auto r = l2->accept(std::chrono::seconds(10));
    EXPECT_EQ(r.why, reason::bad_key) << "a recorded handshake made a path: " << to_string(r);
    ::close(attacker);
}

}  // namespace
}  // namespace zplex::xcf
