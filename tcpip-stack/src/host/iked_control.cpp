// SPDX-License-Identifier: Apache-2.0
// zplex-host's control socket: a unix stream socket (mode 0600), one request line per
// connection, the reply, close. The client side is what `zplex ipsec ... --control` uses.
#include <zplex/host/iked.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace zplex::host {

namespace {

sockaddr_un unix_addr(const std::string& path) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    if (path.size() >= sizeof a.sun_path) {
        throw std::system_error(ENAMETOOLONG, std::generic_category(), "control socket path " + path);
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

control_server::control_server(std::string path) : _path(std::move(path)) {
    auto a = unix_addr(_path);
    // Never delete what is not ours: only a stale socket of this user is replaced.
    struct stat st{};
    if (::lstat(_path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            throw std::system_error(EEXIST, std::generic_category(),
                                    "control socket " + _path + ": something that is not a socket is there; refused");
        }
        if (st.st_uid != ::geteuid()) {
            throw std::system_error(EPERM, std::generic_category(),
                                    "control socket " + _path + ": the socket there belongs to another user; refused");
        }
        int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int rc = probe < 0 ? -1 : ::connect(probe, reinterpret_cast<sockaddr*>(&a), sizeof a);
        int e = errno;
        if (probe >= 0) {
            ::close(probe);
        }
        if (rc == 0) {
            throw std::system_error(EADDRINUSE, std::generic_category(),
                                    "control socket " + _path + ": a running server answers there; refused");
        }
        if (e != ECONNREFUSED || ::unlink(_path.c_str()) != 0) {
            throw std::system_error(e, std::generic_category(), "control socket " + _path + ": cannot replace it");
        }
    } else if (errno != ENOENT) {
        throw std::system_error(errno, std::generic_category(), "control socket " + _path);
    }
    _fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (_fd < 0) {
        throw std::system_error(errno, std::generic_category(), "control socket");
    }
    mode_t old = ::umask(0177);  // created 0600: displays show SPIs, verbs change SAs
    int rc = ::bind(_fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::umask(old);
    if (rc != 0 || ::lstat(_path.c_str(), &st) != 0 || ::listen(_fd, 8) != 0) {
        int e = errno;
        ::close(_fd);
        _fd = -1;
        throw std::system_error(e, std::generic_category(), "control socket " + _path);
    }
    _dev = st.st_dev;
    _ino = st.st_ino;
}

control_server::~control_server() {
    for (auto& c : _clients) {
        ::close(c.fd);
    }
    if (_fd >= 0) {
        ::close(_fd);
        struct stat st{};
        if (::lstat(_path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == _dev && st.st_ino == _ino) {
            ::unlink(_path.c_str());  // still the one we bound
        }
    }
}

std::size_t control_server::poll(const handler& serve, clock::time_point now) {
    std::size_t served = 0;
    while (_clients.size() < max_clients) {
        int c = ::accept4(_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) {
            break;  // EAGAIN: nobody waiting (or a transient error: next poll)
        }
        _clients.push_back(client{c, {}, {}, 0, false, now + client_deadline});
    }
    for (std::size_t i = 0; i < _clients.size();) {
        if (step(_clients[i], serve, served, now)) {
            ++i;
            continue;
        }
        ::close(_clients[i].fd);
        _clients.erase(_clients.begin() + static_cast<std::ptrdiff_t>(i));
    }
    return served;
}

bool control_server::step(client& c, const handler& serve, std::size_t& served, clock::time_point now) {
    if (!c.answered) {
        char buf[512];
        bool eof = false;
        for (;;) {
            ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0) {
                c.in.append(buf, static_cast<std::size_t>(n));
                if (c.in.find('\n') != std::string::npos || c.in.size() > max_line) {
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
        auto nl = c.in.find('\n');
        if (nl == std::string::npos && (c.in.size() > max_line || (eof && c.in.empty()))) {
            return false;  // too long, or gone without a word
        }
        if (nl == std::string::npos && !eof) {
            return now < c.deadline;  // the rest of the line may still come
        }
        if (nl != std::string::npos) {
            c.in.resize(nl);
        }
        c.out = serve(c.in);
        c.answered = true;
        ++served;
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

std::string control_request(const std::string& path, const std::string& line, std::chrono::milliseconds timeout) {
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
    if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
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
            throw std::system_error(e, std::generic_category(), "read " + path);
        }
        if (n == 0) {
            break;
        }
        reply.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return reply;
}

}  // namespace zplex::host
