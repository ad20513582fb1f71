// SPDX-License-Identifier: Apache-2.0
#include <zplex/sysplex/line_socket.hpp>

#include <openssl/crypto.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace zplex::sysplex {

namespace {

/// What one recv() takes: a request is read until its newline or past max_line, so a
/// buffer never holds more than max_line + recv_chunk bytes.
constexpr std::size_t recv_chunk = 512;

sockaddr_un unix_addr(const std::string& path) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (path.size() >= sizeof a.sun_path) {
        throw std::system_error(ENAMETOOLONG, std::generic_category(), "socket path " + path);
    }
    std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
    return a;
}

void set_timeouts(int fd, std::chrono::milliseconds t) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(t.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>(t.count() % 1000 * 1000);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace

line_server::line_server(std::string path) : line_server(std::move(path), limits{}) {}

line_server::line_server(std::string path, limits l) : _path(std::move(path)), _limits(std::move(l)) {
    auto a = unix_addr(_path);
    // Never delete what is not ours: only a stale socket of this user is replaced.
    struct stat st{};
    if (::lstat(_path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            throw std::system_error(EEXIST, std::generic_category(),
                                    "socket " + _path + ": something that is not a socket is there; refused");
        }
        if (st.st_uid != ::geteuid()) {
            throw std::system_error(EPERM, std::generic_category(),
                                    "socket " + _path + ": the socket there belongs to another user; refused");
        }
        int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int rc = probe < 0 ? -1 : ::connect(probe, reinterpret_cast<sockaddr*>(&a), sizeof a);
        int e = errno;
        if (probe >= 0) {
            ::close(probe);
        }
        if (rc == 0) {
            throw std::system_error(EADDRINUSE, std::generic_category(),
                                    "socket " + _path + ": a running server answers there; refused");
        }
        if (e != ECONNREFUSED || ::unlink(_path.c_str()) != 0) {
            throw std::system_error(e, std::generic_category(), "socket " + _path + ": cannot replace it");
        }
    } else if (errno != ENOENT) {
        throw std::system_error(errno, std::generic_category(), "socket " + _path);
    }
    _fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (_fd < 0) {
        throw std::system_error(errno, std::generic_category(), "socket");
    }
    mode_t old = ::umask(0177);  // created 0600: commands change the sysplex, displays show SPIs
    int rc = ::bind(_fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::umask(old);
    if (rc != 0 || ::lstat(_path.c_str(), &st) != 0 || ::listen(_fd, 8) != 0) {
        int e = errno;
        ::close(_fd);
        _fd = -1;
        throw std::system_error(e, std::generic_category(), "socket " + _path);
    }
    _dev = st.st_dev;
    _ino = st.st_ino;
}

void line_server::finish(client& c) noexcept {
    ::close(c.fd);
    if (_limits.secret) {
        OPENSSL_cleanse(c.in.data(), c.in.capacity());
        OPENSSL_cleanse(c.out.data(), c.out.capacity());  // a reply may carry keys too (SWSA KEYS)
    }
}

line_server::~line_server() {
    for (auto& c : _clients) {
        finish(c);
    }
    if (_fd >= 0) {
        ::close(_fd);
        struct stat st{};
        if (::lstat(_path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == _dev && st.st_ino == _ino) {
            ::unlink(_path.c_str());  // still the one we bound
        }
    }
}

std::size_t line_server::poll(const handler& serve, clock::time_point now) {
    std::size_t served = 0;
    for (;;) {
        int c = ::accept4(_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) {
            break;  // EAGAIN: nobody waiting (or a transient error: next poll)
        }
        if (_clients.size() >= _limits.max_clients) {
            ::close(c);  // full: the client sees the connection end without a reply
            continue;
        }
        _clients.push_back(client{c, {}, {}, 0, false, now + _limits.deadline});
        if (_limits.secret) _clients.back().in.reserve(_limits.max_line + recv_chunk);
    }
    for (std::size_t i = 0; i < _clients.size();) {
        if (step(_clients[i], serve, served, now)) {
            ++i;
            continue;
        }
        finish(_clients[i]);
        _clients.erase(_clients.begin() + static_cast<std::ptrdiff_t>(i));
    }
    return served;
}

bool line_server::step(client& c, const handler& serve, std::size_t& served, clock::time_point now) {
    if (!c.answered) {
        char buf[recv_chunk];
        bool eof = false;
        for (;;) {
            ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0) {
                c.in.append(buf, static_cast<std::size_t>(n));
                if (c.in.find('\n') != std::string::npos || c.in.size() > _limits.max_line) {
                    break;
                }
                continue;
            }
            eof = n == 0;
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return false;
            }
            break;
        }
        if (_limits.secret) OPENSSL_cleanse(buf, sizeof buf);
        auto nl = c.in.find('\n');
        bool too_long = nl == std::string::npos && c.in.size() > _limits.max_line;
        if (too_long && _limits.too_long_reply.empty()) {
            return false;  // closed unanswered
        }
        if (too_long) {
            c.out = _limits.too_long_reply;
        } else if (nl == std::string::npos && eof && c.in.empty()) {
            return false;  // gone without a word
        } else if (nl == std::string::npos && !eof) {
            return now < c.deadline;  // the rest of the line may still come
        } else {
            if (nl != std::string::npos) {
                c.in.resize(nl);
            }
            c.out = serve(c.in);
            ++served;
        }
        c.answered = true;
    }
    while (c.sent < c.out.size()) {
        ssize_t n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            c.sent += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            return now < c.deadline;  // the client reads slowly: go on next poll
        }
        return false;
    }
    return false;  // all written: close
}

std::size_t line_server::wait(const handler& serve, std::chrono::milliseconds timeout) {
    std::vector<pollfd> fds;
    fds.reserve(_clients.size() + 1);
    fds.push_back(pollfd{_fd, POLLIN, 0});
    for (const auto& c : _clients) {
        fds.push_back(pollfd{c.fd, static_cast<short>(c.answered ? POLLOUT : POLLIN), 0});
    }
    ::poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));
    return poll(serve);
}

std::string line_request(const std::string& path, const std::string& line, std::chrono::milliseconds timeout,
                         bool secret) {
    auto a = unix_addr(path);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw std::system_error(errno, std::generic_category(), "socket");
    }
    set_timeouts(fd, timeout);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        int e = errno;
        ::close(fd);
        throw std::system_error(e, std::generic_category(), "connect " + path);
    }
    std::string req = line + "\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
        int e = errno;
        ::close(fd);
        throw std::system_error(e, std::generic_category(), "write " + path);
    }
    ::shutdown(fd, SHUT_WR);
    std::string reply;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            int e = errno;
            ::close(fd);
            if (secret) {
                OPENSSL_cleanse(buf, sizeof buf);
                OPENSSL_cleanse(reply.data(), reply.capacity());
            }
            throw std::system_error(e, std::generic_category(), "read " + path);
        }
        if (n == 0) {
            break;
        }
        if (secret && reply.size() + static_cast<std::size_t>(n) > reply.capacity()) {
            // Grow by hand, so no buffer holding part of the reply is freed unwiped.
            std::string bigger;
            bigger.reserve(2 * (reply.size() + static_cast<std::size_t>(n)) + sizeof buf);
            bigger.append(reply);
            OPENSSL_cleanse(reply.data(), reply.capacity());
            reply.swap(bigger);
        }
        reply.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (secret) OPENSSL_cleanse(buf, sizeof buf);
    return reply;
}

}  // namespace zplex::sysplex
