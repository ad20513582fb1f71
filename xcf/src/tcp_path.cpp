// SPDX-License-Identifier: Apache-2.0
// Signalling over TCP: fragment frames on a stream, each message sealed with a key
// derived from the sysplex key and a salt both ends contribute at connect time.
#include "codec.hpp"

#include <zplex/xcf/tcp_path.hpp>

#include <openssl/rand.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
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

}  // namespace

struct tcp_path::impl {
    sysplex_key key{};
    int listen_fd = -1;
    int fd = -1;
    std::uint16_t port = 0;
    secret message_key;
    std::uint8_t my_salt[16] = {};
    bool keyed = false;
    std::uint32_t my_incarnation = 0;     // random per connection end
    std::uint32_t peer_incarnation = 0;
    std::uint64_t next_seq = 1;
    std::uint32_t last_incarnation = 0;
    std::uint64_t last_seq = 0;
    std::vector<std::uint8_t> in;         // bytes received, not yet parsed
    reassembler partial;
    drop_counters drops;

    ~impl() {
        if (fd >= 0) {
            ::close(fd);
        }
        if (listen_fd >= 0) {
            ::close(listen_fd);
        }
    }

    /// Exchange salts and incarnations; both ends derive the same message key.
    /// The keys differ per connection, so nonces (incarnation, seq) never repeat.
    bool handshake() {
        struct hello {
            std::uint8_t salt[16];
            std::uint32_t incarnation;
            std::uint8_t check[16];
        } mine{}, theirs{};
        RAND_bytes(mine.salt, sizeof mine.salt);
        RAND_bytes(reinterpret_cast<std::uint8_t*>(&mine.incarnation), sizeof mine.incarnation);
        derive(key, "zplex xcf key check", {}, mine.check);
        if (!write_all(fd, reinterpret_cast<std::uint8_t*>(&mine), sizeof mine)) {
            return false;
        }
        std::size_t got = 0;
        while (got < sizeof theirs) {
            auto r = ::recv(fd, reinterpret_cast<std::uint8_t*>(&theirs) + got, sizeof theirs - got, 0);
            if (r <= 0) {
                return false;
            }
            got += static_cast<std::size_t>(r);
        }
        if (CRYPTO_memcmp(mine.check, theirs.check, sizeof mine.check) != 0) {
            return false;  // the peer does not hold the sysplex key
        }
        std::uint8_t salt[32];
        // Order the two salts so both ends derive the same key.
        bool me_first = std::memcmp(mine.salt, theirs.salt, 16) < 0;
        std::memcpy(salt, me_first ? mine.salt : theirs.salt, 16);
        std::memcpy(salt + 16, me_first ? theirs.salt : mine.salt, 16);
        std::uint8_t mk[32];
        derive(key, "zplex xcf tcp path key", salt, mk);
        message_key = secret(mk);
        OPENSSL_cleanse(mk, sizeof mk);
        my_incarnation = mine.incarnation;
        peer_incarnation = theirs.incarnation;
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
    if (_impl->fd < 0 || !_impl->handshake()) {
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
    if (im->fd < 0 || ::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1 ||
        ::connect(im->fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        return fail(reason::no_such_member, rc::environment);
    }
    if (!im->handshake()) {
        return fail(reason::bad_key);
    }
    im->port = port;
    out.reset(new tcp_path(std::move(im)));
    return ok();
}

result tcp_path::send_raw(std::span<const std::uint8_t> bytes) {
    return write_all(_impl->fd, bytes.data(), bytes.size()) ? ok() : fail(reason::receiver_failed);
}

result tcp_path::send(std::span<const std::uint8_t> message) {
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
    ctx.seq = im.next_seq++;
    std::vector<std::uint8_t> sealed;
    if (!seal(im.message_key, ctx, message, sealed)) {
        return fail(reason::bad_parameter, rc::environment);
    }
    std::uint32_t count = static_cast<std::uint32_t>((sealed.size() + max_fragment - 1) / max_fragment);
    std::vector<std::uint8_t> frame;
    for (std::uint32_t f = 0; f < count; ++f) {
        fragment_header h{};
        h.magic = fragment_magic;
        h.sender_incarnation = im.my_incarnation;
        h.receiver_incarnation = im.peer_incarnation;
        h.frag_index = f;
        h.frag_count = count;
        h.ct_len = static_cast<std::uint32_t>(sealed.size());
        h.payload_len = std::min<std::uint32_t>(max_fragment, h.ct_len - f * max_fragment);
        h.frame_len = (static_cast<std::uint32_t>(sizeof h) + h.payload_len + 7) & ~7u;
        h.seq = ctx.seq;
        frame.assign(h.frame_len, 0);
        std::memcpy(frame.data(), &h, sizeof h);
        std::memcpy(frame.data() + sizeof h, sealed.data() + std::size_t{f} * max_fragment, h.payload_len);
        if (!write_all(im.fd, frame.data(), frame.size())) {
            return fail(reason::receiver_failed);
        }
    }
    OPENSSL_cleanse(sealed.data(), sealed.size());
    return ok();
}

result tcp_path::receive(std::vector<std::uint8_t>& message, std::chrono::milliseconds wait) {
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
            auto st = im.partial.add(h, payload, 0, 0, im.my_incarnation);
            if (st == reassembler::status::malformed || st == reassembler::status::stale) {
                ++(st == reassembler::status::stale ? im.drops.stale : im.drops.malformed);
                continue;
            }
            if (st == reassembler::status::need_more) {
                continue;
            }
            const auto& first = im.partial.first();
            message_context ctx{};
            ctx.sender_incarnation = first.sender_incarnation;
            ctx.receiver_incarnation = im.my_incarnation;
            ctx.seq = first.seq;
            if (first.sender_incarnation != im.peer_incarnation) {
                ++im.drops.stale;
                continue;
            }
            std::vector<std::uint8_t> plain;
            switch (open_in_order(im.message_key, ctx, im.partial.sealed(), im.last_incarnation, im.last_seq, plain)) {
            case verdict::integrity:
                ++im.drops.integrity;
                continue;
            case verdict::replay:
                ++im.drops.replay;
                continue;
            case verdict::delivered:
                break;
            }
            message = std::move(plain);
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
