// SPDX-License-Identifier: Apache-2.0
// Signalling over TCP: fragment frames on a stream, each message sealed with a key of
// its direction, derived from the sysplex key and fresh nonces from both ends.
#include "codec.hpp"

#include <zplex/xcf/tcp_path.hpp>
#include <zplex/sysplex/ipv4.hpp>

#include <openssl/rand.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <limits>
#include <openssl/crypto.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace zplex::xcf {

using namespace detail;

namespace {

constexpr result ok() { return {}; }
constexpr result fail(reason r, rc c = rc::error) { return {c, r}; }

bool write_all(int fd, const std::uint8_t* p, std::size_t n) {
    while (n > 0) {
        auto w = ::send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return false;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

/// Bytes @p n from @p fd into @p p, waiting at most until @p until.
bool read_exact(int fd, std::uint8_t* p, std::size_t n, std::chrono::steady_clock::time_point until) {
    while (n > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        pollfd pf{fd, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&pf, 1, static_cast<int>(left.count())) <= 0) {
            return false;
        }
        auto r = ::recv(fd, p, n, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return false;
        }
        p += r;
        n -= static_cast<std::size_t>(r);
    }
    return true;
}

constexpr std::uint32_t hello_magic = 0x5a585433;  // "ZXT3": fragment headers with the mode (docs/xcf.md)
constexpr std::chrono::seconds handshake_wait{10};

}  // namespace

struct tcp_path::impl {
    sysplex_key key{};
    int listen_fd = -1;
    int fd = -1;
    std::uint16_t port = 0;
    secret send_key;                      // this end -> peer
    secret recv_key;                      // peer -> this end
    bool keyed = false;
    std::uint32_t my_incarnation = 0;     // the direction: 1 listener -> connector, 2 the other way
    std::uint32_t peer_incarnation = 0;
    std::uint64_t next_seq = 1;           // the nonce counter of our direction
    std::uint32_t last_incarnation = 0;
    std::uint64_t last_seq = 0;
    std::vector<std::uint8_t> in;         // bytes received, not yet parsed
    reassembler partial;
    drop_counters drops;

    ~impl() {
        OPENSSL_cleanse(key.data(), key.size());
        if (fd >= 0) {
            ::close(fd);
        }
        if (listen_fd >= 0) {
            ::close(listen_fd);
        }
    }

    /// Challenge-response over fresh nonces from both ends:
    ///
    ///   L -> C: "ZXT3" 'L' Nl        C -> L: "ZXT3" 'C' Nc         (32 random bytes each)
    ///   L -> C: HMAC(K, "proof L" || Nl || Nc)
    ///   C -> L: HMAC(K, "proof C" || Nl || Nc)
    ///
    /// Each end checks the other's proof over its own fresh nonce, so a recorded
    /// handshake replayed (or reflected) never verifies. The message keys, one per
    /// direction, are derived from both nonces; the nonce of a message is its
    /// direction and a counter from 1, unique under a key used for one connection.
    bool handshake(bool listener) {
        struct hello {
            std::uint32_t magic;
            std::uint8_t role;
            std::uint8_t pad[3];
            std::uint8_t nonce[32];
        } mine{}, theirs{};
        static_assert(sizeof(hello) == 40);
        const std::uint8_t me = listener ? 'L' : 'C';
        const std::uint8_t peer = listener ? 'C' : 'L';
        mine.magic = hello_magic;
        mine.role = me;
        auto until = std::chrono::steady_clock::now() + handshake_wait;
        if (RAND_bytes(mine.nonce, sizeof mine.nonce) != 1 ||
            !write_all(fd, reinterpret_cast<std::uint8_t*>(&mine), sizeof mine) ||
            !read_exact(fd, reinterpret_cast<std::uint8_t*>(&theirs), sizeof theirs, until) ||
            theirs.magic != hello_magic || theirs.role != peer ||
            CRYPTO_memcmp(mine.nonce, theirs.nonce, sizeof mine.nonce) == 0) {
            return false;
        }
        std::uint8_t transcript[64];
        std::memcpy(transcript, listener ? mine.nonce : theirs.nonce, 32);
        std::memcpy(transcript + 32, listener ? theirs.nonce : mine.nonce, 32);
        std::uint8_t my_proof[32], their_proof[32], expect[32];
        derive(key, listener ? "zplex xcf tcp proof L" : "zplex xcf tcp proof C", transcript, my_proof);
        derive(key, listener ? "zplex xcf tcp proof C" : "zplex xcf tcp proof L", transcript, expect);
        bool good = write_all(fd, my_proof, sizeof my_proof) &&
                    read_exact(fd, their_proof, sizeof their_proof, until) &&
                    CRYPTO_memcmp(expect, their_proof, sizeof expect) == 0;
        OPENSSL_cleanse(expect, sizeof expect);
        if (!good) {
            return false;  // the peer does not hold the sysplex key, or replayed an old handshake
        }
        std::uint8_t lc[32], cl[32];
        derive(key, "zplex xcf tcp key L->C", transcript, lc);
        derive(key, "zplex xcf tcp key C->L", transcript, cl);
        send_key = secret(listener ? lc : cl);
        recv_key = secret(listener ? cl : lc);
        OPENSSL_cleanse(lc, sizeof lc);
        OPENSSL_cleanse(cl, sizeof cl);
        my_incarnation = listener ? 1 : 2;
        peer_incarnation = listener ? 2 : 1;
        keyed = true;
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return true;
    }
};

tcp_path::tcp_path(std::unique_ptr<impl> i) : _impl(std::move(i)) {}
tcp_path::~tcp_path() = default;
std::uint16_t tcp_path::port() const { return _impl->port; }
drop_counters tcp_path::drops() const { return _impl->drops; }

result tcp_path::listen(const sysplex_key& key, std::uint16_t port, std::unique_ptr<tcp_path>& out) {
    auto im = std::make_unique<impl>();
    im->key = key;
    im->listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(im->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (im->listen_fd < 0 || ::bind(im->listen_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(im->listen_fd, 1) != 0) {
        return fail(reason::bad_parameter, rc::environment);
    }
    socklen_t len = sizeof a;
    ::getsockname(im->listen_fd, reinterpret_cast<sockaddr*>(&a), &len);
    im->port = ntohs(a.sin_port);
    out.reset(new tcp_path(std::move(im)));
    return ok();
}

result tcp_path::accept(std::chrono::milliseconds wait) {
    pollfd p{_impl->listen_fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) {
        return fail(reason::no_message);
    }
    _impl->fd = ::accept4(_impl->listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (_impl->fd < 0 || !_impl->handshake(true)) {
        return fail(reason::bad_key);
    }
    return ok();
}

result tcp_path::connect(const sysplex_key& key, const std::string& host, std::uint16_t port,
                         std::unique_ptr<tcp_path>& out) {
    auto im = std::make_unique<impl>();
    im->key = key;
    im->fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    auto addr = sysplex::ipv4_address::parse(host);
    if (addr) a.sin_addr.s_addr = htonl(addr->value);
    if (im->fd < 0 || !addr ||
        ::connect(im->fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        return fail(reason::no_such_member, rc::environment);
    }
    if (!im->handshake(false)) {
        return fail(reason::bad_key);
    }
    im->port = port;
    out.reset(new tcp_path(std::move(im)));
    return ok();
}

result tcp_path::send_raw(std::span<const std::uint8_t> bytes) {
    return write_all(_impl->fd, bytes.data(), bytes.size()) ? ok() : fail(reason::receiver_failed);
}

result tcp_path::send(std::span<const std::uint8_t> message) { return send_as(message, protection::sealed); }

result tcp_path::send_integrity_only(std::span<const std::uint8_t> message) {
    return send_as(message, protection::integrity_only);
}

result tcp_path::send_as(std::span<const std::uint8_t> message, protection how) {
    auto& im = *_impl;
    if (!im.keyed) {
        return fail(reason::not_joined);
    }
    if (message.size() > max_message) {
        return fail(reason::message_too_long);
    }
    message_context ctx{};
    ctx.sender_incarnation = im.my_incarnation;
    ctx.receiver_incarnation = im.peer_incarnation;
    ctx.seq = im.next_seq++;  // one counter for both modes
    ctx.mode = mode_of(how);
    std::vector<std::uint8_t> sealed;
    if (!protect(im.send_key, ctx, message, sealed)) {
        return fail(reason::bad_parameter, rc::environment);
    }
    fragment_header base{};
    base.sender_incarnation = im.my_incarnation;
    base.receiver_incarnation = im.peer_incarnation;
    base.seq = ctx.seq;
    base.flags = ctx.mode;
    std::vector<std::uint8_t> frame;
    bool sent = for_each_fragment(sealed, base, [&](const fragment_header& h, std::span<const std::uint8_t> payload) {
        frame.assign(h.frame_len, 0);
        std::memcpy(frame.data(), &h, sizeof h);
        std::memcpy(frame.data() + sizeof h, payload.data(), payload.size());
        return write_all(im.fd, frame.data(), frame.size());
    });
    if (!sent) {
        OPENSSL_cleanse(sealed.data(), sealed.size());
        return fail(reason::receiver_failed);
    }
    OPENSSL_cleanse(sealed.data(), sealed.size());
    return ok();
}

result tcp_path::receive(std::vector<std::uint8_t>& message, std::chrono::milliseconds wait) {
    protection how{};
    return receive(message, how, wait);
}

result tcp_path::receive(std::vector<std::uint8_t>& message, protection& how, std::chrono::milliseconds wait) {
    auto& im = *_impl;
    if (!im.keyed) {
        return fail(reason::not_joined);
    }
    auto until = std::chrono::steady_clock::now() + wait;
    while (true) {
        // Parse what is buffered.
        while (im.in.size() >= sizeof(fragment_header)) {
            fragment_header h;
            std::memcpy(&h, im.in.data(), sizeof h);
            if (!header_valid(h, std::numeric_limits<std::uint32_t>::max())) {
                // A stream cannot resynchronise after garbage: drop the connection's buffer.
                ++im.drops.malformed;
                im.in.clear();
                im.partial.reset();
                break;
            }
            if (im.in.size() < h.frame_len) {
                break;
            }
            std::vector<std::uint8_t> payload(im.in.begin() + sizeof h, im.in.begin() + sizeof h + h.payload_len);
            im.in.erase(im.in.begin(), im.in.begin() + h.frame_len);
            if (count_refused(im.partial.add(h, payload, 0, 0, im.my_incarnation), im.drops)) {
                continue;
            }
            const auto& first = im.partial.first();
            message_context ctx{};
            ctx.sender_incarnation = first.sender_incarnation;
            ctx.receiver_incarnation = im.my_incarnation;
            ctx.seq = first.seq;
            ctx.mode = first.flags;  // as the header says; authenticated
            if (first.sender_incarnation != im.peer_incarnation) {
                ++im.drops.stale;
                continue;
            }
            std::vector<std::uint8_t> plain;
            if (count_refused(open_in_order(im.recv_key, ctx, im.partial.sealed(), im.last_incarnation, im.last_seq, plain),
                              im.drops)) {
                continue;
            }
            message = std::move(plain);
            how = static_cast<protection>(first.flags);
            return ok();
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        pollfd p{im.fd, POLLIN, 0};
        if (left.count() < 0 || ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, left.count()))) <= 0) {
            return fail(reason::no_message);
        }
        std::uint8_t buf[65536];
        auto r = ::recv(im.fd, buf, sizeof buf, 0);
        if (r <= 0) {
            return fail(reason::receiver_failed);
        }
        im.in.insert(im.in.end(), buf, buf + r);
    }
}

}  // namespace zplex::xcf
