// SPDX-License-Identifier: Apache-2.0
// ICMP echo over a raw socket and a checksummed TCP transfer, each side in a child
// process inside its namespace.
#include <zplex/e2e/traffic.hpp>

#include "stream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <thread>
#include <vector>

namespace zplex::e2e {

using detail::sha256;

namespace {

std::uint16_t icmp_checksum(const std::uint8_t* p, std::size_t n) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < n; i += 2) {
        sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
    }
    if (n & 1) {
        sum += static_cast<std::uint32_t>(p[n - 1] << 8);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<std::uint16_t>(~sum);
}

/// The child's ping loop: prints the number of replies.
int ping_body(const std::string& src, const std::string& dst, int count, int wait_ms) {
    int fd = ::socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (fd < 0) {
        std::perror("raw socket");
        return 2;
    }
    auto s = socket_address(src, 0);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&s), sizeof s) != 0) {
        std::perror("bind");
        return 2;
    }
    auto d = socket_address(dst, 0);
    std::uint16_t id = static_cast<std::uint16_t>(::getpid());
    int replies = 0;
    for (int seq = 1; seq <= count; ++seq) {
        std::uint8_t req[64] = {8, 0, 0, 0, static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id), 0,
                                static_cast<std::uint8_t>(seq)};
        for (std::size_t i = 8; i < sizeof req; ++i) {
            req[i] = static_cast<std::uint8_t>(i);
        }
        std::uint16_t c = icmp_checksum(req, sizeof req);
        req[2] = static_cast<std::uint8_t>(c >> 8);
        req[3] = static_cast<std::uint8_t>(c);
        ::sendto(fd, req, sizeof req, 0, reinterpret_cast<sockaddr*>(&d), sizeof d);
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
        for (;;) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                break;
            }
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
                break;
            }
            std::uint8_t buf[1500];
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n < 28) {
                continue;
            }
            std::size_t ihl = static_cast<std::size_t>(buf[0] & 15) * 4;
            const std::uint8_t* icmp = buf + ihl;
            if (static_cast<std::size_t>(n) >= ihl + 8 && icmp[0] == 0 && icmp[4] == (id >> 8) &&
                icmp[5] == (id & 0xff) && icmp[7] == seq) {
                ++replies;
                break;
            }
        }
    }
    std::printf("%d\n", replies);
    return 0;
}

int receiver_body(const std::string& addr, std::uint16_t port, int timeout_ms) {
    int ls = detail::listen_socket(addr, port, 1, "receiver bind/listen");
    if (ls < 0) {
        return 2;
    }
    std::printf("listening\n");
    std::fflush(stdout);
    pollfd p{ls, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) {
        std::printf("error no connection\n");
        return 3;
    }
    int c = ::accept(ls, nullptr, nullptr);
    auto t0 = std::chrono::steady_clock::now();
    sha256 h;
    std::vector<char> buf(256 * 1024);
    std::uint64_t total = 0;
    for (;;) {
        ssize_t n = ::recv(c, buf.data(), buf.size(), 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        h.update(buf.data(), static_cast<std::size_t>(n));
        total += static_cast<std::uint64_t>(n);
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("received %llu %s %.6f\n", static_cast<unsigned long long>(total), h.done().c_str(), secs);
    return 0;
}

int sender_body(const std::string& src, const std::string& dst, std::uint16_t port, std::uint64_t bytes,
                int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    std::string why;
    int s = detail::connect_until(src, dst, port, deadline, 5, why);
    if (s < 0) {
        std::printf("error %s\n", why.c_str());
        return why.rfind("bind", 0) == 0 ? 2 : 3;
    }
    sha256 h;
    std::vector<std::uint8_t> buf(64 * 1024);
    detail::transfer_stream stream;
    std::uint64_t sent = 0;
    while (sent < bytes) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), bytes - sent));
        stream.fill(buf.data(), n);
        h.update(buf.data(), n);
        std::size_t off = 0;
        while (off < n) {
            ssize_t w = ::send(s, buf.data() + off, n - off, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR) {
                continue;
            }
            if (w <= 0) {
                std::printf("error send after %llu: %s\n", static_cast<unsigned long long>(sent + off),
                            std::strerror(errno));
                return 4;
            }
            off += static_cast<std::size_t>(w);
        }
        sent += n;
    }
    ::shutdown(s, SHUT_WR);
    char c;
    while (::recv(s, &c, 1, 0) > 0) {
    }
    ::close(s);
    std::printf("sent %llu %s\n", static_cast<unsigned long long>(sent), h.done().c_str());
    return 0;
}

}  // namespace

int ping(const netns& ns, const std::string& src, const std::string& dst, int count, std::chrono::milliseconds wait) {
    int w = static_cast<int>(wait.count());
    auto r = child_process::spawn([=] { return ping_body(src, dst, count, w); }, ns.name())
                 .wait(wait * count + 5s);
    if (!r.ok()) {
        return 0;
    }
    return std::atoi(r.out.c_str());
}

bool ping_until(const netns& ns, const std::string& src, const std::string& dst, std::chrono::milliseconds total) {
    auto deadline = std::chrono::steady_clock::now() + total;
    while (std::chrono::steady_clock::now() < deadline) {
        if (ping(ns, src, dst, 1, 500ms) == 1) {
            return true;
        }
    }
    return false;
}

tcp_result tcp_transfer(const netns& server_ns, const std::string& server_addr, std::uint16_t port,
                        const netns& client_ns, const std::string& client_addr, std::uint64_t bytes,
                        std::chrono::milliseconds timeout) {
    int t = static_cast<int>(timeout.count());
    auto server = child_process::spawn([=] { return receiver_body(server_addr, port, t); }, server_ns.name());
    auto client = child_process::spawn([=] { return sender_body(client_addr, server_addr, port, bytes, t); },
                                       client_ns.name());
    auto cr = client.wait(timeout);
    auto sr = server.wait(cr.ok() ? 10s : 1s);
    tcp_result res;
    unsigned long long n = 0;
    char digest[80] = {};
    double secs = 0;
    auto at = sr.out.find("received ");
    if (at != std::string::npos && std::sscanf(sr.out.c_str() + at, "received %llu %64s %lf", &n, digest, &secs) == 3) {
        res.bytes_received = n;
        res.sha_received = digest;
        res.seconds = secs;
    }
    at = cr.out.find("sent ");
    if (at != std::string::npos && std::sscanf(cr.out.c_str() + at, "sent %llu %64s", &n, digest) == 2) {
        res.bytes_sent = n;
        res.sha_sent = digest;
    }
    res.ok = cr.ok() && sr.ok() && res.bytes_sent == bytes && res.bytes_received == bytes &&
             !res.sha_sent.empty() && res.sha_sent == res.sha_received;
    if (!res.ok) {
        std::ostringstream e;
        e << "sender (status " << cr.status << (cr.timed_out ? ", timed out" : "") << "): " << cr.out
          << "receiver (status " << sr.status << (sr.timed_out ? ", timed out" : "") << "): " << sr.out;
        res.error = e.str();
    }
    return res;
}

int app_echo(const std::string& addr, std::uint16_t port, std::size_t bytes, std::chrono::seconds io_timeout) {
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{static_cast<time_t>(io_timeout.count()), 0};
    ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    auto a = socket_address(addr, port);
    if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        std::printf("CONNECT FAILED %s\n", std::strerror(errno));
        ::close(s);
        return 5;
    }
    std::string greeting;
    char c;
    while (greeting.size() < 200 && ::read(s, &c, 1) == 1 && c != '\n') greeting.push_back(c);
    std::vector<std::uint8_t> data(bytes);
    RAND_bytes(data.data(), static_cast<int>(data.size()));
    sha256 sent, back;
    sent.update(data.data(), data.size());
    std::thread writer([&] {
        std::size_t at = 0;
        while (at < data.size()) {
            ssize_t n = ::write(s, data.data() + at, std::min<std::size_t>(16384, data.size() - at));
            if (n <= 0) break;
            at += static_cast<std::size_t>(n);
        }
        ::shutdown(s, SHUT_WR);
    });
    std::vector<std::uint8_t> buf(65536);
    std::size_t got = 0;
    ssize_t n;
    while ((n = ::read(s, buf.data(), buf.size())) > 0) {
        back.update(buf.data(), static_cast<std::size_t>(n));
        got += static_cast<std::size_t>(n);
    }
    writer.join();
    ::close(s);
    auto at = greeting.find("IMAGE ");
    std::string image = at == std::string::npos ? "?" : greeting.substr(at + 6, 4);
    bool ok = got == data.size() && back.done() == sent.done();
    std::printf("IMAGE %s %s\n", image.c_str(), ok ? "OK" : "BAD");
    return ok ? 0 : 4;
}

}  // namespace zplex::e2e
