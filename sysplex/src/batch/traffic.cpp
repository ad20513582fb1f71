// SPDX-License-Identifier: Apache-2.0
// ZPXTRAF's engine (traffic.hpp): non-blocking sockets under one poll loop.
#include "traffic.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <random>

namespace zplex::cli::batch {

namespace {

using clock_type = std::chrono::steady_clock;

struct digest {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    digest() { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
    ~digest() { EVP_MD_CTX_free(ctx); }
    digest(const digest&) = delete;
    digest& operator=(const digest&) = delete;
    void add(const void* p, std::size_t n) { EVP_DigestUpdate(ctx, p, n); }
    std::string done() {
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        EVP_DigestFinal_ex(ctx, d, &n);
        return std::string(reinterpret_cast<char*>(d), n);
    }
};

constexpr std::string_view greeting = "ZPLEX-APP IMAGE ";

struct connection {
    int fd = -1;
    std::size_t index = 0;
    bool connected = false, shut = false, greeted = false;
    std::string head;            ///< bytes before the greeting is decided
    std::vector<char> pending;   ///< generated, not yet sent
    std::size_t pending_off = 0;
    std::mt19937_64 gen;
    digest sent_digest, echo_digest;
    clock_type::time_point started;
    connection_result* out = nullptr;
    std::atomic<long>* spec_greeted = nullptr;  ///< traffic_spec::greeted
};

void finish(connection& c, const std::string& failed = {}) {
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
    c.out->failed = failed;
    c.out->ended = clock_type::now();
    if (failed.empty()) c.out->digest_ok = c.out->echoed == c.out->sent && c.sent_digest.done() == c.echo_digest.done();
}

void echo_bytes(connection& c, const char* p, std::size_t n) {
    c.echo_digest.add(p, n);
    c.out->echoed += static_cast<long>(n);
}

/// Bytes read: the greeting first (when the server sends one), then the echo.
void received(connection& c, const char* p, std::size_t n) {
    if (c.greeted) return echo_bytes(c, p, n);
    c.head.append(p, n);
    auto nl = c.head.find('\n');
    std::size_t cmp = std::min(c.head.size(), greeting.size());
    if (c.head.compare(0, cmp, greeting.substr(0, cmp)) != 0) {
        // no greeting: everything was echo
        c.greeted = true;
        echo_bytes(c, c.head.data(), c.head.size());
        c.head.clear();
        return;
    }
    if (nl == std::string::npos) {
        if (c.head.size() > 512) finish(c, "GREETING TOO LONG");
        return;
    }
    std::string line = c.head.substr(greeting.size(), nl - greeting.size());
    c.out->image = line.substr(0, line.find(' '));
    c.greeted = true;
    if (c.spec_greeted) c.spec_greeted->fetch_add(1);
    if (c.head.size() > nl + 1) echo_bytes(c, c.head.data() + nl + 1, c.head.size() - nl - 1);
    c.head.clear();
}

bool start(connection& c, const traffic_spec& spec) {
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    c.started = clock_type::now();
    c.out->started = c.started;
    c.spec_greeted = spec.greeted;
    c.gen.seed(0x5a504c58u + c.index);
    if (c.fd < 0) {
        finish(c, fmt::format("SOCKET FAILED: {}", std::strerror(errno)));
        return false;
    }
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(spec.port);
    sa.sin_addr.s_addr = htonl(spec.address);
    if (::connect(c.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 && errno != EINPROGRESS) {
        finish(c, fmt::format("CONNECT FAILED: {}", std::strerror(errno)));
        return false;
    }
    return true;
}

/// What @p c may have sent by now: all of it, or its share of the duration; in
/// request/response, no more than one request past what came back.
long allowed(const connection& c, const traffic_spec& spec, clock_type::time_point now) {
    long cap = spec.request > 0 ? std::min(spec.bytes, c.out->echoed + spec.request) : spec.bytes;
    if (spec.duration.count() <= 0) return cap;
    auto el = std::chrono::duration_cast<std::chrono::milliseconds>(now - c.started).count();
    if (el >= spec.duration.count()) return cap;
    return std::min(cap, static_cast<long>(static_cast<double>(spec.bytes) * static_cast<double>(el) /
                                           static_cast<double>(spec.duration.count())));
}

void writable(connection& c, const traffic_spec& spec, clock_type::time_point now) {
    long may = allowed(c, spec, now);
    while (c.fd >= 0) {
        if (c.pending_off == c.pending.size()) {
            long left = std::min(may, spec.bytes) - c.out->sent - static_cast<long>(c.pending.size() - c.pending_off);
            if (left <= 0) break;
            std::size_t n = static_cast<std::size_t>(std::min<long>(left, 65536));
            c.pending.resize(n);
            for (std::size_t i = 0; i < n; i += 8) {
                auto v = c.gen();
                std::memcpy(c.pending.data() + i, &v, std::min<std::size_t>(8, n - i));
            }
            c.sent_digest.add(c.pending.data(), n);
            c.pending_off = 0;
        }
        auto w = ::send(c.fd, c.pending.data() + c.pending_off, c.pending.size() - c.pending_off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            if (errno == ECONNRESET || errno == EPIPE) c.out->reset = true;
            finish(c, fmt::format("SEND FAILED: {}", std::strerror(errno)));
            return;
        }
        c.pending_off += static_cast<std::size_t>(w);
        c.out->sent += w;
        if (c.pending_off == c.pending.size()) {
            c.pending.clear();
            c.pending_off = 0;
        }
    }
    if (c.fd >= 0 && !c.shut && c.out->sent == spec.bytes) {
        ::shutdown(c.fd, SHUT_WR);  // zplex-app closes once it has echoed the rest
        c.shut = true;
    }
}

}  // namespace

traffic_result run_traffic(const traffic_spec& spec) {
    traffic_result res;
    // The calling thread goes back to its own namespace on return: a caller that runs
    // traffic on its main thread and then talks to loopback services (a Hercules
    // console) must find them where they were.
    struct back_home {
        int own = -1;
        ~back_home() {
            if (own < 0) return;
            (void)::setns(own, CLONE_NEWNET);
            ::close(own);
        }
    } home;
    if (!spec.netns.empty()) {
        home.own = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        int fd = ::open(("/run/netns/" + spec.netns).c_str(), O_RDONLY | O_CLOEXEC);
        if (home.own < 0 || fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
            res.error = fmt::format("CANNOT ENTER NAMESPACE {}: {}", spec.netns, std::strerror(errno));
            if (fd >= 0) ::close(fd);
            return res;
        }
        ::close(fd);
    }
    auto t0 = clock_type::now();
    res.connections.resize(static_cast<std::size_t>(spec.connections));
    std::vector<std::unique_ptr<connection>> open;
    std::size_t next = 0;
    while (next < res.connections.size() || !open.empty()) {
        while (next < res.connections.size() && static_cast<long>(open.size()) < spec.concurrency) {
            auto c = std::make_unique<connection>();
            c->index = next;
            c->out = &res.connections[next++];
            if (start(*c, spec)) open.push_back(std::move(c));
        }
        std::vector<pollfd> pfd;
        auto now = clock_type::now();
        for (auto& c : open) {
            short ev = POLLIN;
            bool more = c->out->sent < allowed(*c, spec, now) || c->pending_off < c->pending.size();
            if (!c->connected || (more && c->fd >= 0)) ev |= POLLOUT;
            pfd.push_back({c->fd, ev, 0});
        }
        ::poll(pfd.data(), pfd.size(), 50);
        now = clock_type::now();
        for (std::size_t i = 0; i < open.size(); ++i) {
            auto& c = *open[i];
            auto re = pfd[i].revents;
            if (c.fd >= 0 && !c.connected && (re & (POLLOUT | POLLERR | POLLHUP))) {
                int err = 0;
                socklen_t len = sizeof err;
                ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err != 0) {
                    c.out->reset = err == ECONNRESET;
                    finish(c, err == ECONNREFUSED ? "REFUSED" : fmt::format("CONNECT FAILED: {}", std::strerror(err)));
                    continue;
                }
                c.connected = true;
            }
            if (c.fd >= 0 && c.connected && (re & (POLLIN | POLLHUP | POLLERR))) {
                char buf[65536];
                for (;;) {
                    auto n = ::recv(c.fd, buf, sizeof buf, 0);
                    if (n > 0) {
                        received(c, buf, static_cast<std::size_t>(n));
                        if (c.fd < 0) break;
                        continue;
                    }
                    if (n == 0) {
                        if (!c.greeted && !c.head.empty()) {
                            c.greeted = true;
                            echo_bytes(c, c.head.data(), c.head.size());
                        }
                        finish(c, c.out->sent == spec.bytes ? "" : "CLOSED BY THE SERVER");
                    } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
                        c.out->reset = errno == ECONNRESET;
                        finish(c, fmt::format("RECEIVE FAILED: {}", std::strerror(errno)));
                    }
                    break;
                }
            }
            if (c.fd >= 0 && c.connected) writable(c, spec, now);
            if (c.fd >= 0 && now - c.started > spec.duration + spec.timeout) finish(c, "TIMED OUT");
        }
        std::erase_if(open, [](const std::unique_ptr<connection>& c) { return c->fd < 0; });
    }
    res.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    return res;
}

}  // namespace zplex::cli::batch
