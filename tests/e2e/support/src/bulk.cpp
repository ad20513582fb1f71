// SPDX-License-Identifier: Apache-2.0
// Bulk TCP for the benches: a threaded sink/source server and n clients at once.
#include <zplex/e2e/bulk.hpp>

#include "stream.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <sstream>
#include <thread>

namespace zplex::e2e {

namespace {

double monotonic_s() {
    timespec t{};
    ::clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

/// Send @p bytes of the stream on @p s; false on an error.
bool send_stream(int s, std::uint64_t bytes, detail::sha256& h) {
    std::vector<std::uint8_t> buf(64 * 1024);
    detail::transfer_stream stream;
    for (std::uint64_t sent = 0; sent < bytes;) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), bytes - sent));
        stream.fill(buf.data(), n);
        h.update(buf.data(), n);
        for (std::size_t off = 0; off < n;) {
            ssize_t w = ::send(s, buf.data() + off, n - off, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) return false;
            off += static_cast<std::size_t>(w);
        }
        sent += n;
    }
    return true;
}

/// Read @p s to EOF; the bytes read.
std::uint64_t drain(int s, detail::sha256& h) {
    std::vector<char> buf(256 * 1024);
    std::uint64_t total = 0;
    for (;;) {
        ssize_t n = ::recv(s, buf.data(), buf.size(), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return total;
        h.update(buf.data(), static_cast<std::size_t>(n));
        total += static_cast<std::uint64_t>(n);
    }
}

/// One connection's line: "conn BYTES SHA START END".
void print_connection(std::mutex& m, std::uint64_t bytes, const std::string& sha, double start, double end) {
    std::lock_guard<std::mutex> l(m);
    std::printf("conn %llu %s %.6f %.6f\n", static_cast<unsigned long long>(bytes), sha.c_str(), start, end);
    std::fflush(stdout);
}

std::vector<bulk_connection> parse_connections(const std::string& out) {
    std::vector<bulk_connection> v;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        unsigned long long n = 0;
        char sha[80] = {};
        double a = 0, b = 0;
        if (std::sscanf(line.c_str(), "conn %llu %64s %lf %lf", &n, sha, &a, &b) == 4) v.push_back({n, sha, a, b});
    }
    return v;
}

int server_body(const std::string& addr, std::uint16_t port, tcp_bulk_server::role r, std::uint64_t bytes) {
    int ls = detail::listen_socket(addr, port, 64, "bulk server bind/listen");
    if (ls < 0) return 2;
    std::mutex m;
    for (;;) {
        int c = ::accept(ls, nullptr, nullptr);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            return 3;
        }
        std::thread([c, r, bytes, &m] {
            double t0 = monotonic_s();
            detail::sha256 h;
            std::uint64_t n = 0;
            if (r == tcp_bulk_server::role::sink) {
                n = drain(c, h);
            } else if (send_stream(c, bytes, h)) {
                n = bytes;
                ::shutdown(c, SHUT_WR);
                char x;
                while (::recv(c, &x, 1, 0) > 0) {
                }
            }
            double t1 = monotonic_s();
            ::close(c);
            print_connection(m, n, h.done(), t0, t1);
        }).detach();
    }
}

/// One client connection; "" or what went wrong.
std::string client_connection(const std::string& src, const std::string& dst, std::uint16_t port, std::uint64_t bytes,
                              bool upload, std::chrono::steady_clock::time_point deadline, std::mutex& m) {
    std::string why;
    int s = detail::connect_until(src, dst, port, deadline, 2, why);
    if (s < 0) return why;
    timeval none{0, 0};
    ::setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof none);
    double t0 = monotonic_s();
    detail::sha256 h;
    std::uint64_t n = 0;
    std::string error;
    if (upload) {
        if (send_stream(s, bytes, h)) {
            n = bytes;
            ::shutdown(s, SHUT_WR);
            char x;
            while (::recv(s, &x, 1, 0) > 0) {
            }
        } else {
            error = std::string("send: ") + std::strerror(errno);
        }
    } else {
        n = drain(s, h);
    }
    double t1 = monotonic_s();
    ::close(s);
    print_connection(m, n, h.done(), t0, t1);
    return error;
}

int clients_body(const std::string& src, const std::string& dst, std::uint16_t port, int connections,
                 std::uint64_t bytes, bool upload, double seconds) {
    std::mutex m;
    std::vector<std::thread> threads;
    std::vector<std::string> errors(static_cast<std::size_t>(connections));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                           std::chrono::duration<double>(seconds));
    for (int i = 0; i < connections; ++i)
        threads.emplace_back([&, i] {
            errors[static_cast<std::size_t>(i)] = client_connection(src, dst, port, bytes, upload, deadline, m);
        });
    int rc = 0;
    for (auto& t : threads) t.join();
    for (const auto& e : errors)
        if (!e.empty()) {
            std::printf("error %s\n", e.c_str());
            rc = 4;
        }
    return rc;
}

}  // namespace

std::string stream_sha256(std::uint64_t bytes) {
    std::vector<std::uint8_t> buf(64 * 1024);
    detail::transfer_stream stream;
    detail::sha256 h;
    for (std::uint64_t done = 0; done < bytes;) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), bytes - done));
        stream.fill(buf.data(), n);
        h.update(buf.data(), n);
        done += n;
    }
    return h.done();
}

tcp_bulk_server::tcp_bulk_server(const netns& ns, const std::string& addr, std::uint16_t port, role r,
                                 std::uint64_t bytes)
    : _proc(child_process::spawn([=] { return server_body(addr, port, r, bytes); }, ns.name())) {}

std::vector<bulk_connection> tcp_bulk_server::stop() { return parse_connections(_proc.terminate(2s).out); }

bulk_result tcp_bulk_clients(const netns& ns, const std::string& client_addr, const std::string& server_addr,
                             std::uint16_t port, int connections, std::uint64_t bytes, bool upload,
                             std::chrono::milliseconds timeout) {
    double seconds = std::chrono::duration<double>(timeout).count();
    auto c = child_process::spawn(
        [=] { return clients_body(client_addr, server_addr, port, connections, bytes, upload, seconds); }, ns.name());
    auto r = c.wait(timeout + 5s);
    bulk_result res;
    res.connections = parse_connections(r.out);
    std::string want = stream_sha256(bytes);
    double first = 0, last = 0;
    bool whole = res.connections.size() == static_cast<std::size_t>(connections);
    for (const auto& k : res.connections) {
        whole = whole && k.bytes == bytes && k.sha == want;
        res.bytes += k.bytes;
        first = first == 0 ? k.start : std::min(first, k.start);
        last = std::max(last, k.end);
    }
    res.seconds = last - first;
    res.ok = r.ok() && whole;
    if (!res.ok)
        res.error = "clients (status " + std::to_string(r.status) + (r.timed_out ? ", timed out" : "") + "): " + r.out;
    return res;
}

}  // namespace zplex::e2e
