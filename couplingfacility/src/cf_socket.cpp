// SPDX-License-Identifier: Apache-2.0
// The CF's command socket: operators and the other CF send one line, get the reply.
// The monitor runs on a thread of its own, and clients are served without blocking,
// each with a deadline: no client, idle or slow, delays failure or duplex handling.
#include "server_impl.hpp"

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace zplex::cf {

namespace {

constexpr std::size_t max_clients = 64;
constexpr std::size_t max_line = 1024;
constexpr auto client_deadline = std::chrono::seconds(10);  // to send a line and take the reply

struct client {
    int fd = -1;
    std::string in;
    std::string out;
    std::size_t sent = 0;
    bool replying = false;
    std::chrono::steady_clock::time_point deadline;
};

}  // namespace

std::filesystem::path cf_server::socket_path(const std::filesystem::path& run_dir, const std::string& cf) {
    return run_dir / (cf + ".sock");
}

int cf_server::run(const std::atomic<bool>& stop) {
    if (!_impl->lock) {
        return 12;  // start() did not make this process the CF
    }
    auto path = socket_path(_impl->o.run_dir, _impl->o.cf);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.string().size() >= sizeof addr.sun_path) {
        return 12;
    }
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return 12;
    }
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    ::unlink(path.c_str());  // we are the CF (its lock is ours): an old socket is a leftover
    mode_t old = ::umask(0077);  // the socket is the owner's only
    int b = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::umask(old);
    if (b != 0 || ::listen(fd, 16) != 0) {
        ::close(fd);
        return 12;
    }
    ::chmod(path.c_str(), 0600);

    std::mutex wm;
    std::condition_variable cv;
    bool ending = false;
    std::thread monitor([&] {
        std::unique_lock<std::mutex> wl(wm);
        while (!ending && !stop.load()) {
            wl.unlock();
            {
                std::lock_guard<std::mutex> g(_impl->m);
                _impl->poll();
            }
            wl.lock();
            cv.wait_for(wl, _impl->o.interval, [&] { return ending; });
        }
    });

    std::vector<client> clients;
    std::vector<pollfd> fds;
    char buf[512];
    while (!stop.load()) {
        fds.assign(1, pollfd{fd, POLLIN, 0});
        for (const auto& c : clients) {
            fds.push_back({c.fd, static_cast<short>(c.replying ? POLLOUT : POLLIN), 0});
        }
        ::poll(fds.data(), fds.size(), 100);
        auto now = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < clients.size(); ++i) {
            auto& c = clients[i];
            short ev = fds[i + 1].revents;
            bool done = now > c.deadline;
            if (!done && !c.replying && (ev & (POLLIN | POLLHUP | POLLERR))) {
                auto r = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
                if (r > 0) {
                    c.in.append(buf, static_cast<std::size_t>(r));
                    auto nl = c.in.find('\n');
                    if (nl != std::string::npos || c.in.size() >= max_line) {
                        c.out = nl == std::string::npos || nl >= max_line ? std::string("IEE305I COMMAND TOO LONG\n")
                                                                           : command(c.in.substr(0, nl));
                        c.replying = true;
                        ev = POLLOUT;
                    }
                } else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                    done = true;
                }
            }
            if (!done && c.replying && (ev & (POLLOUT | POLLHUP | POLLERR))) {
                auto w = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (w > 0) {
                    c.sent += static_cast<std::size_t>(w);
                } else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                    done = true;
                }
                done = done || c.sent == c.out.size();
            }
            if (done) {
                ::close(c.fd);
                c.fd = -1;
            }
        }
        std::erase_if(clients, [](const client& c) { return c.fd < 0; });
        if (fds[0].revents & POLLIN) {
            while (true) {
                int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (c < 0) {
                    break;
                }
                if (clients.size() >= max_clients) {
                    ::close(c);  // full: the client sees the connection end without a reply
                    continue;
                }
                clients.push_back({c, {}, {}, 0, false, now + client_deadline});
            }
        }
    }
    {
        std::lock_guard<std::mutex> wl(wm);
        ending = true;
    }
    cv.notify_all();
    monitor.join();
    for (auto& c : clients) {
        ::close(c.fd);
    }
    ::close(fd);
    ::unlink(path.c_str());
    return 0;
}

int reply_code(const std::string& reply) {
    if (reply.rfind("IXL158I", 0) == 0) {
        return reply.find("NOT DEFINED") != std::string::npos ? 8 : 12;
    }
    return reply.rfind("IXC341I", 0) == 0 || reply.rfind("IEE305I", 0) == 0 ? 8 : 0;
}

std::string send_command(const std::filesystem::path& run_dir, const std::string& cf, const std::string& command) {
    auto path = cf_server::socket_path(run_dir, cf);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (fd < 0 || path.string().size() >= sizeof addr.sun_path) {
        if (fd >= 0) {
            ::close(fd);
        }
        return "IXL158I CF " + cf + " CANNOT BE REACHED\n";
    }
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return "IXL158I CF " + cf + " CANNOT BE REACHED\n";
    }
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    std::string line = command + "\n";
    if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
        ::close(fd);
        return "IXL158I CF " + cf + " CANNOT BE REACHED\n";
    }
    std::string reply;
    char buf[4096];
    ssize_t r;
    while ((r = ::read(fd, buf, sizeof buf)) > 0) {
        reply.append(buf, static_cast<std::size_t>(r));
    }
    ::close(fd);
    if (reply.empty()) {
        return "IXL158I CF " + cf + " DID NOT ANSWER\n";
    }
    return reply;
}

}  // namespace zplex::cf
