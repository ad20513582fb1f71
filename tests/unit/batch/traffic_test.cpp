// SPDX-License-Identifier: Apache-2.0
// ZPXTRAF's engine (batch/traffic.hpp) against an echo server of its own on loopback, in
// this namespace: bulk connections end whole with their SHA-256 echoed, and in
// request/response no connection ever has more than one request unanswered.
#include "batch/traffic.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace zplex::cli::batch {
namespace {

/// An echo server on 127.0.0.1 (a port of the kernel's choosing) that records, per
/// connection, the most bytes it ever held read and not yet echoed back plus what the
/// client had in flight: with request/response, what arrives before the echo is sent is
/// at most one request. It echoes what it reads at once and closes after the client's FIN.
class echo_server {
public:
    echo_server() {
        _fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::bind(_fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
        socklen_t len = sizeof sa;
        ::getsockname(_fd, reinterpret_cast<sockaddr*>(&sa), &len);
        _port = ntohs(sa.sin_port);
        EXPECT_EQ(::listen(_fd, 64), 0);
        _thread = std::thread([this] { serve(); });
    }
    ~echo_server() {
        _stop = true;
        _thread.join();
        ::close(_fd);
        for (auto& t : _conns) t.join();
    }
    std::uint16_t port() const { return _port; }
    /// The largest single read of any connection (each read is echoed before the next).
    long largest_read() {
        std::lock_guard g(_m);
        return _largest;
    }

private:
    void serve() {
        while (!_stop) {
            pollfd p{_fd, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            int c = ::accept4(_fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) continue;
            _conns.emplace_back([this, c] { echo(c); });
        }
    }
    void echo(int c) {
        std::vector<char> buf(1 << 20);
        for (;;) {
            auto n = ::recv(c, buf.data(), buf.size(), 0);
            if (n <= 0) break;
            {
                std::lock_guard g(_m);
                _largest = std::max<long>(_largest, n);
            }
            for (ssize_t off = 0; off < n;) {
                auto w = ::send(c, buf.data() + off, static_cast<std::size_t>(n - off), MSG_NOSIGNAL);
                if (w <= 0) break;
                off += w;
            }
        }
        ::close(c);
    }

    int _fd = -1;
    std::uint16_t _port = 0;
    std::atomic<bool> _stop{false};
    std::thread _thread;
    std::vector<std::thread> _conns;
    std::mutex _m;
    long _largest = 0;
};

traffic_spec loopback(std::uint16_t port, long n, long bytes) {
    traffic_spec s;
    s.address = INADDR_LOOPBACK;
    s.port = port;
    s.connections = n;
    s.concurrency = n;
    s.bytes = bytes;
    s.timeout = std::chrono::seconds(20);
    return s;
}

TEST(batch_traffic, bulk_connections_end_whole_with_their_echo) {
    echo_server srv;
    auto r = run_traffic(loopback(srv.port(), 4, 1 << 20));
    ASSERT_TRUE(r.error.empty()) << r.error;
    ASSERT_EQ(r.connections.size(), 4u);
    for (const auto& c : r.connections) {
        EXPECT_TRUE(c.failed.empty()) << c.failed;
        EXPECT_TRUE(c.digest_ok);
        EXPECT_EQ(c.sent, 1 << 20);
        EXPECT_EQ(c.image, "?") << "the echo server sends no greeting";
    }
    EXPECT_GT(srv.largest_read(), 4096) << "bulk: the client does not wait for echoes";
}

TEST(batch_traffic, request_response_has_one_request_unanswered_at_most) {
    echo_server srv;
    auto s = loopback(srv.port(), 3, 64 * 1024);
    s.request = 512;
    auto r = run_traffic(s);
    ASSERT_TRUE(r.error.empty()) << r.error;
    ASSERT_EQ(r.connections.size(), 3u);
    for (const auto& c : r.connections) {
        EXPECT_TRUE(c.failed.empty()) << c.failed;
        EXPECT_TRUE(c.digest_ok);
        EXPECT_EQ(c.sent, 64 * 1024);
        EXPECT_EQ(c.echoed, 64 * 1024);
    }
    EXPECT_LE(srv.largest_read(), 512) << "a read held more than one request: the client did not wait";
}

}  // namespace
}  // namespace zplex::cli::batch
