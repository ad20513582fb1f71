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
    ::unlink(_path.c_str());
    _fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (_fd < 0) {
        throw std::system_error(errno, std::generic_category(), "control socket");
    }
    mode_t old = ::umask(0177);  // created 0600: displays show SPIs, verbs change SAs
    int rc = ::bind(_fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::umask(old);
    if (rc != 0 || ::chmod(_path.c_str(), 0600) != 0 || ::listen(_fd, 8) != 0) {
        int e = errno;
        ::close(_fd);
        _fd = -1;
        throw std::system_error(e, std::generic_category(), "control socket " + _path);
    }
}

control_server::~control_server() {
    if (_fd >= 0) {
        ::close(_fd);
        ::unlink(_path.c_str());
    }
}

int control_server::accept_one() noexcept {
    int c = ::accept4(_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c >= 0) {
        set_timeouts(c, std::chrono::seconds(1));
    }
    return c;
}

std::string control_server::read_line(int c) {
    std::string line;
    char buf[256];
    while (line.size() < 4096) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) {
            break;
        }
        line.append(buf, static_cast<std::size_t>(n));
        if (line.find('\n') != std::string::npos) {
            break;
        }
    }
    if (auto nl = line.find('\n'); nl != std::string::npos) {
        line.resize(nl);
    }
    return line;
}

void control_server::write_reply(int c, const std::string& reply) {
    std::size_t off = 0;
    while (off < reply.size()) {
        ssize_t n = ::write(c, reply.data() + off, reply.size() - off);
        if (n <= 0) {
            break;
        }
        off += static_cast<std::size_t>(n);
    }
    ::close(c);
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
