// SPDX-License-Identifier: Apache-2.0
// `zplex line-server --port N`: the small server FIG4's AUTOLOG procedures run in an
// image's namespace. Each connection gets one line naming the job, the image, the stack
// and both ends, then its bytes echoed back.
#include "commands.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <vector>

namespace zplex::cli {

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_stop(int) { g_stop = 1; }

std::string env_or(const char* name, const std::string& dflt) {
    const char* v = std::getenv(name);
    return v && *v ? v : dflt;
}

std::string endpoint(const sockaddr_in& a) {
    char b[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &a.sin_addr, b, sizeof b);
    return fmt::format("{}:{}", b, ntohs(a.sin_port));
}

int serve(int port, const std::string& job, const std::string& image, const std::string& tcpip) {
    std::signal(SIGTERM, on_stop);
    std::signal(SIGINT, on_stop);
    std::signal(SIGPIPE, SIG_IGN);
    int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    ::setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(l, 64) != 0) {
        std::cout << fmt::format("ZPX1842E {} ON {} CANNOT LISTEN ON PORT {}: {}", job, image, port, std::strerror(errno))
                  << std::endl;
        return 12;
    }
    std::cout << fmt::format("ZPX1840I {} ON {} LISTENING ON PORT {}", job, image, port) << std::endl;
    std::vector<pollfd> fds{{l, POLLIN, 0}};
    while (!g_stop) {
        if (::poll(fds.data(), fds.size(), 500) <= 0) continue;
        for (std::size_t i = fds.size(); i-- > 0;) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (fds[i].fd == l) {
                sockaddr_in peer{};
                socklen_t pl = sizeof peer;
                int c = ::accept4(l, reinterpret_cast<sockaddr*>(&peer), &pl, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (c < 0) continue;
                if (fds.size() > 1024) {
                    ::close(c);
                    continue;
                }
                sockaddr_in local{};
                socklen_t ll = sizeof local;
                ::getsockname(c, reinterpret_cast<sockaddr*>(&local), &ll);
                std::string line = fmt::format("{} ON {} ({}) {} FROM {}\n", job, image, tcpip, endpoint(local), endpoint(peer));
                (void)::send(c, line.data(), line.size(), MSG_NOSIGNAL);
                std::cout << fmt::format("ZPX1841I {} ON {} CONNECTION FROM {} TO {}", job, image, endpoint(peer),
                                         endpoint(local))
                          << std::endl;
                fds.push_back({c, POLLIN, 0});
                continue;
            }
            char buf[4096];
            ssize_t n = ::recv(fds[i].fd, buf, sizeof buf, 0);
            if (n > 0) {
                (void)::send(fds[i].fd, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            ::close(fds[i].fd);
            fds.erase(fds.begin() + static_cast<std::ptrdiff_t>(i));
        }
    }
    for (auto& f : fds) ::close(f.fd);
    std::cout << fmt::format("ZPX1843I {} ON {} ENDED", job, image) << std::endl;
    return 0;
}

}  // namespace

void add_line_server_command(CLI::App& app, exit_status& status) {
    auto port = std::make_shared<int>(60);
    auto job = std::make_shared<std::string>();
    auto image = std::make_shared<std::string>();
    auto* ls = app.add_subcommand("line-server",
                                  "A TCP server for AUTOLOG procedures: one line naming job, image and both ends, then echo");
    ls->add_option("--port", *port, "Port to listen on (all addresses of the namespace)")->check(CLI::Range(1, 65535));
    ls->add_option("--job", *job, "Job name shown (default $ZPLEX_JOBNAME)");
    ls->add_option("--image", *image, "Image name shown (default $ZPLEX_SYSNAME)");
    ls->callback([=, &status] {
        status.code = serve(*port, job->empty() ? env_or("ZPLEX_JOBNAME", "LINESRV") : *job,
                            image->empty() ? env_or("ZPLEX_SYSNAME", "LINUX") : *image, env_or("ZPLEX_TCPIP", "TCPIP"));
    });
}

}  // namespace zplex::cli
