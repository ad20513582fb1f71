// SPDX-License-Identifier: Apache-2.0
#include <zplex/e2e/dist_clients.hpp>
#include <zplex/e2e/stack_plex.hpp>
#include <zplex/sysplex/text.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace zplex::e2e {

namespace fs = std::filesystem;

namespace {

/// One client socket and what it read that is not yet a whole line.
struct client_socket {
    int fd = -1;
    std::string buffered;
    std::string error;
};

std::string error_text(int err) {
    if (err == ECONNRESET || err == EPIPE) return "RESET";
    if (err == EAGAIN || err == EWOULDBLOCK) return "TIMEOUT";
    std::string s = std::strerror(err);
    for (auto& c : s)
        if (c == ' ') c = '_';
    return s;
}

/// The next line (without its newline); false with c.error set on EOF, error or timeout.
bool read_line(client_socket& c, std::string& line) {
    while (true) {
        auto nl = c.buffered.find('\n');
        if (nl != std::string::npos) {
            line = c.buffered.substr(0, nl);
            c.buffered.erase(0, nl + 1);
            return true;
        }
        char buf[512];
        ssize_t n = ::read(c.fd, buf, sizeof buf);
        if (n == 0) {
            c.error = "CLOSED_BY_THE_SERVER";
            return false;
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            c.error = error_text(errno);
            return false;
        }
        c.buffered.append(buf, static_cast<std::size_t>(n));
        if (c.buffered.size() > 4096) {
            c.error = "LINE_TOO_LONG";
            return false;
        }
    }
}

bool send_line(client_socket& c, const std::string& text) {
    std::string l = text + "\n";
    ssize_t w = ::send(c.fd, l.data(), l.size(), MSG_NOSIGNAL);
    if (w == static_cast<ssize_t>(l.size())) return true;
    c.error = w < 0 ? error_text(errno) : "SHORT_WRITE";
    return false;
}

/// Our side closes; the server's end of file must follow (its echo is all read).
bool close_cleanly(client_socket& c) {
    ::shutdown(c.fd, SHUT_WR);
    char buf[512];
    while (true) {
        ssize_t n = ::read(c.fd, buf, sizeof buf);
        if (n == 0) break;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            c.error = error_text(errno);
            break;
        }
        c.error = "UNEXPECTED_DATA";
    }
    ::close(c.fd);
    c.fd = -1;
    return c.error.empty();
}

int clients_body(const dist_clients_plan& plan, const fs::path& release) {
    std::vector<int> ns;
    for (const auto& n : plan.namespaces) {
        int fd = ::open(("/run/netns/" + n).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            std::printf("NAMESPACE %s CANNOT BE OPENED: %s\n", n.c_str(), std::strerror(errno));
            return 2;
        }
        ns.push_back(fd);
    }
    sockaddr_in dst{};
    try {
        dst = socket_address(plan.address, plan.port);
    } catch (const std::invalid_argument&) {
        return 2;
    }
    std::vector<client_socket> held;
    std::vector<int> held_index;
    int opened_ok = 0;
    for (int k = 0; k < plan.count; ++k) {
        int i = plan.first_index + k;
        int in = ns[static_cast<std::size_t>(k) % ns.size()];
        if (::setns(in, CLONE_NEWNET) != 0) {
            std::printf("SETNS FAILED: %s\n", std::strerror(errno));
            return 2;
        }
        client_socket c;
        c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        timeval tv{5, 0};  // bounds connect() and every read
        ::setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        ::setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        std::string from = "?..0", server = "?";
        if (::connect(c.fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
            c.error = "CONNECT_" + error_text(errno);
        } else {
            sockaddr_in l{};
            socklen_t ll = sizeof l;
            ::getsockname(c.fd, reinterpret_cast<sockaddr*>(&l), &ll);
            char a[INET_ADDRSTRLEN] = {};
            ::inet_ntop(AF_INET, &l.sin_addr, a, sizeof a);
            from = std::string(a) + ".." + std::to_string(ntohs(l.sin_port));
            std::string probe = "PROBE " + std::to_string(i), line;
            if (send_line(c, probe) && read_line(c, line)) {
                if (line.rfind("ZPLEX-APP IMAGE ", 0) == 0) {
                    server = line.substr(16, line.find(' ', 16) - 16);
                    if (read_line(c, line) && line != probe) c.error = "ECHO_DIFFERS";
                } else if (line == probe) {
                    server = "-";
                } else {
                    c.error = "UNEXPECTED_ANSWER";
                }
            }
        }
        bool ok = c.error.empty();
        opened_ok += ok;
        std::printf("CONN %d FROM %s SERVER %s OPENED %s\n", i, from.c_str(), server.c_str(), ok ? "OK" : c.error.c_str());
        std::fflush(stdout);
        if (!ok) {
            if (c.fd >= 0) ::close(c.fd);
            continue;
        }
        if (plan.hold) {
            held.push_back(std::move(c));
            held_index.push_back(i);
        } else if (!close_cleanly(c)) {
            std::printf("CLOSE %d RESULT %s\n", i, c.error.c_str());
        }
    }
    std::printf("ALL OPENED %d OF %d\n", opened_ok, plan.count);
    std::fflush(stdout);
    if (!plan.hold) return opened_ok == plan.count ? 0 : 4;
    // Held until the test says so (bounded: the test's own bounds come first).
    for (int t = 0; t < 6000 && !fs::exists(release); ++t) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    int closed_ok = 0;
    for (std::size_t h = 0; h < held.size(); ++h) {
        auto& c = held[h];
        std::string again = "AGAIN " + std::to_string(held_index[h]), line;
        if (send_line(c, again) && read_line(c, line) && line != again) c.error = "ECHO_DIFFERS";
        if (c.error.empty()) close_cleanly(c);
        else ::close(c.fd);
        closed_ok += c.error.empty();
        std::printf("CLOSE %d RESULT %s\n", held_index[h], c.error.empty() ? "OK" : c.error.c_str());
    }
    std::printf("ALL CLOSED %d OF %zu\n", closed_ok, held.size());
    std::fflush(stdout);
    return opened_ok == plan.count && closed_ok == static_cast<int>(held.size()) ? 0 : 4;
}

}  // namespace

dist_clients::dist_clients(const dist_clients_plan& plan, const fs::path& dir, const std::string& tag)
    : _plan(plan), _out(dir / ("clients-" + tag + ".out")), _release(dir / ("clients-" + tag + ".release")) {
    fs::remove(_out);
    fs::remove(_release);
    fs::path release = _release;
    _child = child_process::spawn([plan, release] { return clients_body(plan, release); }, {}, _out);
}

bool dist_clients::wait_opened(std::chrono::milliseconds bound) {
    auto end = std::chrono::steady_clock::now() + bound;
    while (report().find("ALL OPENED ") == std::string::npos) {
        if (std::chrono::steady_clock::now() > end || !_child.running()) return report().find("ALL OPENED ") != std::string::npos;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

std::vector<dist_connection> dist_clients::connections() const {
    std::vector<dist_connection> out;
    std::map<int, std::size_t> at;
    std::istringstream in(report());
    std::string line;
    while (std::getline(in, line)) {
        auto c = parse_connection_line(line);
        if (c.index >= 0) {
            at[c.index] = out.size();
            out.push_back(c);
            continue;
        }
        int i = -1;
        char result[64] = {};
        if (std::sscanf(line.c_str(), "CLOSE %d RESULT %63s", &i, result) == 2 && at.count(i))
            out[at[i]].closed = result;
    }
    return out;
}

run_result dist_clients::finish(std::chrono::milliseconds bound) {
    std::ofstream(_release) << "1\n";
    return _child.wait(bound);
}

std::string dist_clients::report() const { return file_text(_out); }

dist_connection parse_connection_line(const std::string& line) {
    dist_connection c;
    int i = -1;
    char from[64] = {}, server[32] = {}, opened[64] = {};
    if (std::sscanf(line.c_str(), "CONN %d FROM %63s SERVER %31s OPENED %63s", &i, from, server, opened) != 4) return c;
    std::string f = from;
    auto dots = f.rfind("..");
    if (dots == std::string::npos) return c;
    c.index = i;
    c.client = f.substr(0, dots);
    c.port = static_cast<std::uint16_t>(std::atoi(f.c_str() + dots + 2));
    c.server = server;
    c.opened = opened;
    return c;
}

std::map<std::string, int> by_server(const std::vector<dist_connection>& cs) {
    std::map<std::string, int> out;
    for (const auto& c : cs)
        if (c.opened == "OK") ++out[c.server];
    return out;
}

std::map<std::string, std::string> server_of(const std::vector<dist_connection>& cs) {
    std::map<std::string, std::string> out;
    for (const auto& c : cs)
        if (c.opened == "OK") out[c.key()] = c.server;
    return out;
}

namespace {

/// "  Label:     value" -> value (first word), or "" when the line is not that label.
std::string labelled(const std::string& line, const std::string& label) {
    auto at = line.find(label);
    if (at == std::string::npos || line.find_first_not_of(' ') != at) return {};
    std::istringstream v(line.substr(at + label.size()));
    std::string w;
    v >> w;
    return w;
}

}  // namespace

// Both forms of the reports: NETSTAT's (mixed case) and D TCPIP,,NETSTAT's (upper case).
std::map<std::string, std::string> vcrt_dest_xcf(const std::string& vcrt, const std::string& dest) {
    std::map<std::string, std::string> out;
    std::istringstream in(sysplex::upper(vcrt));
    std::string line, cur_dest, source;
    while (std::getline(in, line)) {
        if (auto d = labelled(line, "DEST:"); !d.empty()) {
            cur_dest = d;
            source.clear();
        } else if (auto s = labelled(line, "SOURCE:"); !s.empty()) {
            source = s;
        } else if (auto x = labelled(line, "DESTXCF:"); !x.empty() && cur_dest == dest && !source.empty()) {
            out[source] = x;
        }
    }
    return out;
}

std::map<std::string, vdpt_row> vdpt_rows(const std::string& vdpt, const std::string& dest) {
    std::map<std::string, vdpt_row> out;
    std::istringstream in(sysplex::upper(vdpt));
    std::string line, cur_dest, xcf;
    while (std::getline(in, line)) {
        if (auto d = labelled(line, "DEST:"); !d.empty()) {
            cur_dest = d;
            xcf.clear();
            continue;
        }
        if (cur_dest != dest) continue;
        if (auto x = labelled(line, "DESTXCF:"); !x.empty()) {
            xcf = x;
            out[xcf];
        } else if (!xcf.empty() && line.find("TOTALCONN:") != std::string::npos) {
            unsigned long long total = 0;
            int ready = -1;
            if (std::sscanf(line.c_str(), " TOTALCONN: %llu RDY: %d", &total, &ready) == 2) {
                out[xcf].total = total;
                out[xcf].ready = ready;
            }
        } else if (!xcf.empty() && line.find("ACTCONN:") != std::string::npos) {
            out[xcf].active = std::atoll(labelled(line, "ACTCONN:").c_str());
        } else if (!xcf.empty() && line.find("FLG:") != std::string::npos) {
            out[xcf].active_flag = line.find("ACTIVE") != std::string::npos;
        }
    }
    return out;
}

std::vector<std::string> accepted_by_app(const std::string& log) {
    std::vector<std::string> out;
    std::istringstream in(log);
    std::string line;
    while (std::getline(in, line)) {
        auto at = line.find(" FROM ");
        if (line.rfind("ZPX1054I ", 0) == 0 && at != std::string::npos) out.push_back(line.substr(at + 6));
    }
    return out;
}

}  // namespace zplex::e2e
