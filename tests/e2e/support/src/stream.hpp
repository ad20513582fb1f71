// SPDX-License-Identifier: Apache-2.0
// What the TCP transfers of the harness share: a pseudo-random stream (xorshift64, cheap
// and not compressible) whose SHA-256 any side can compute, the digest itself, and the
// listening socket of their servers.
#pragma once

#include <zplex/e2e/netns.hpp>

#include <openssl/evp.h>

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

namespace zplex::e2e::detail {

inline std::string hex(const unsigned char* p, unsigned n) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (unsigned i = 0; i < n; ++i) {
        s += d[p[i] >> 4];
        s += d[p[i] & 15];
    }
    return s;
}

struct sha256 {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    sha256() { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
    ~sha256() { EVP_MD_CTX_free(ctx); }
    sha256(const sha256&) = delete;
    sha256& operator=(const sha256&) = delete;
    void update(const void* p, std::size_t n) { EVP_DigestUpdate(ctx, p, n); }
    std::string done() {
        unsigned char md[32];
        unsigned n = 0;
        EVP_DigestFinal_ex(ctx, md, &n);
        return hex(md, n);
    }
};

/// The transfer stream, in chunks: every chunk but the last must be a multiple of 8
/// bytes, so the stream does not depend on how it is cut.
struct transfer_stream {
    std::uint64_t x = 0x9e3779b97f4a7c15ull;
    void fill(std::uint8_t* p, std::size_t n) noexcept {
        for (std::size_t i = 0; i < n; i += 8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            std::memcpy(p + i, &x, n - i < 8 ? n - i : 8);
        }
    }
};

/// A TCP socket listening on @p addr:@p port (SO_REUSEADDR), or -1 (perror'd as @p who).
inline int listen_socket(const std::string& addr, std::uint16_t port, int backlog, const char* who) {
    int ls = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    auto a = socket_address(addr, port);
    if (::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(ls, backlog) != 0) {
        std::perror(who);
        ::close(ls);
        return -1;
    }
    return ls;
}

/// A TCP connection from @p src to @p dst:@p port, tried every 50 ms until it is made or
/// @p deadline passes (the server may not listen yet, or not be ready behind a
/// distributor); each try's connect waits at most @p try_seconds. The socket (its send
/// timeout left at @p try_seconds), or -1 with @p why ("bind: ...", "connect: ...").
inline int connect_until(const std::string& src, const std::string& dst, std::uint16_t port,
                         std::chrono::steady_clock::time_point deadline, long try_seconds, std::string& why) {
    for (;;) {
        int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        auto a = socket_address(src, 0);
        auto d = socket_address(dst, port);
        timeval tv{try_seconds, 0};
        ::setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            why = std::string("bind: ") + std::strerror(errno);
            ::close(s);
            return -1;
        }
        if (::connect(s, reinterpret_cast<sockaddr*>(&d), sizeof d) == 0) return s;
        int err = errno;
        ::close(s);
        if (std::chrono::steady_clock::now() > deadline) {
            why = std::string("connect: ") + std::strerror(err);
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace zplex::e2e::detail
