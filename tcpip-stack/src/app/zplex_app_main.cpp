// SPDX-License-Identifier: Apache-2.0
// zplex-app: a small TCP server of an image (FIG4's APPA/APPB). On each connection it
// sends one line naming the image, the stack, the local and the remote socket, then
// echoes what it reads until the client closes (docs/zplex-app.md).
//
//   zplex-app --image MVS1 [--stack TCPIPA] [--bind ADDR] [--netns NS] [--log-connections]
//             --port N [--port N ...]
#include <zplex/sysplex/debug_option.hpp>
#include <zplex/sysplex/text.hpp>
#include <zplex/sysplex/ipv4.hpp>

#include <CLI/CLI.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

std::string socket_text(const sockaddr_in& a) {
    return zplex::sysplex::ipv4_address{ntohl(a.sin_addr.s_addr)}.str() + ".." + std::to_string(ntohs(a.sin_port));
}

/// One accepted connection: what was read and not yet written back.
struct conn {
    std::string pending;
    bool read_closed = false;
};

constexpr std::size_t max_pending = 256 * 1024;  // stop reading a client that does not read

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"zplex-app: a TCP server of an image that names itself on each connection, then echoes", "zplex-app"};
    zplex::log::add_debug_options(app);
    std::string image, stack = "TCPIPA", bind_addr = "0.0.0.0", netns;
    std::vector<int> ports;
    app.add_option("--image", image, "The image this server runs on (MVS1 ...)")->required();
    app.add_option("--stack", stack, "The image's TCP/IP stack (procedure name)");
    app.add_option("--bind", bind_addr, "IPv4 address to listen on; 0.0.0.0 (the default) for any");
    app.add_option("--netns", netns, "Network namespace (/run/netns/NAME) of the image to run in");
    app.add_option("--port", ports, "TCP port to listen on (repeat for more)")->required()->check(CLI::Range(1, 65535));
    bool log_connections = false;
    app.add_flag("--log-connections", log_connections, "Write one line (ZPX1054I) for every connection accepted");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    image = zplex::sysplex::upper(image);
    stack = zplex::sysplex::upper(stack);
    auto bind_parsed = zplex::sysplex::ipv4_address::parse(bind_addr);
    if (!bind_parsed) {
        std::fprintf(stderr, "ZPX1051E ZPLEX-APP: --bind %s IS NOT AN IPV4 ADDRESS\n", bind_addr.c_str());
        return 2;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGPIPE, SIG_IGN);
    if (!netns.empty()) {
        std::string path = "/run/netns/" + netns;
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
            std::fprintf(stderr, "ZPX1052E ZPLEX-APP CANNOT ENTER NETWORK NAMESPACE %s: %s\n", netns.c_str(),
                         std::strerror(errno));
            return 12;
        }
        ::close(fd);
    }
    int ep = ::epoll_create1(EPOLL_CLOEXEC);
    std::map<int, bool> listeners;
    for (int port : ports) {
        int l = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        ::setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        a.sin_addr.s_addr = htonl(bind_parsed->value);
        if (::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(l, 128) != 0) {
            std::fprintf(stderr, "ZPX1052E ZPLEX-APP CANNOT LISTEN ON %s: %s\n", socket_text(a).c_str(),
                         std::strerror(errno));
            return 12;
        }
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = l;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
        listeners[l] = true;
        std::printf("ZPX1050I ZPLEX-APP ON %s (%s) LISTENING ON %s\n", image.c_str(), stack.c_str(),
                    socket_text(a).c_str());
    }
    std::fflush(stdout);
    std::map<int, conn> conns;
    auto update = [&](int fd, const conn& c) {
        epoll_event ev{};
        ev.data.fd = fd;
        ev.events = (c.read_closed || c.pending.size() >= max_pending ? 0u : EPOLLIN) | (c.pending.empty() ? 0u : EPOLLOUT);
        ::epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
    };
    auto drop = [&](int fd) {
        ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
        conns.erase(fd);
    };
    std::vector<char> buf(64 * 1024);
    std::uint64_t accepted = 0;
    while (!g_stop) {
        epoll_event evs[64];
        int n = ::epoll_wait(ep, evs, 64, 200);
        for (int i = 0; i < n; ++i) {
            int fd = evs[i].data.fd;
            if (listeners.count(fd)) {
                sockaddr_in peer{};
                socklen_t pl = sizeof peer;
                int c;
                while ((c = ::accept4(fd, reinterpret_cast<sockaddr*>(&peer), &pl, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    sockaddr_in local{};
                    socklen_t ll = sizeof local;
                    ::getsockname(c, reinterpret_cast<sockaddr*>(&local), &ll);
                    ++accepted;
                    if (log_connections) {
                        std::printf("ZPX1054I ZPLEX-APP ON %s ACCEPTED %s FROM %s\n", image.c_str(),
                                    socket_text(local).c_str(), socket_text(peer).c_str());
                        std::fflush(stdout);
                    }
                    auto& k = conns[c];
                    k.pending = "ZPLEX-APP IMAGE " + image + " STACK " + stack + " LOCAL " + socket_text(local) +
                                " REMOTE " + socket_text(peer) + "\n";
                    epoll_event ev{};
                    ev.events = EPOLLOUT;
                    ev.data.fd = c;
                    ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
                    pl = sizeof peer;
                }
                continue;
            }
            auto it = conns.find(fd);
            if (it == conns.end()) continue;
            conn& k = it->second;
            bool dead = (evs[i].events & EPOLLERR) != 0;
            if (!dead && (evs[i].events & (EPOLLIN | EPOLLHUP)) && !k.read_closed) {
                while (k.pending.size() < max_pending) {
                    ssize_t r = ::read(fd, buf.data(), buf.size());
                    if (r > 0) {
                        k.pending.append(buf.data(), static_cast<std::size_t>(r));
                    } else if (r == 0) {
                        k.read_closed = true;
                        break;
                    } else {
                        if (errno != EAGAIN && errno != EINTR) dead = true;
                        break;
                    }
                }
            }
            while (!dead && !k.pending.empty()) {
                ssize_t w = ::write(fd, k.pending.data(), k.pending.size());
                if (w > 0) {
                    k.pending.erase(0, static_cast<std::size_t>(w));
                } else {
                    if (w < 0 && errno != EAGAIN && errno != EINTR) dead = true;
                    break;
                }
            }
            if (dead || (k.read_closed && k.pending.empty())) {
                drop(fd);  // the client closed (or reset): everything it sent went back
                continue;
            }
            update(fd, k);
        }
    }
    for (auto& [fd, k] : conns) ::close(fd);
    for (auto& [fd, on] : listeners) ::close(fd);
    std::printf("ZPX1053I ZPLEX-APP ON %s ENDED: %llu CONNECTIONS ACCEPTED\n", image.c_str(),
                static_cast<unsigned long long>(accepted));
    return 0;
}
