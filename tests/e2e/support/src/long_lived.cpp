// SPDX-License-Identifier: Apache-2.0
#include <zplex/e2e/long_lived.hpp>
#include <zplex/e2e/stack_plex.hpp>

#include <openssl/evp.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace zplex::e2e {
namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

constexpr std::size_t chunk = 1024;        // bytes a connection sends per turn
constexpr std::size_t in_flight = 16384;   // at most this much not yet echoed
constexpr auto pace = 50ms;                // a connection sends at most once per pace

/// One long-lived connection of the client: what it sent, what came back.
struct conn {
    int fd = -1;
    std::uint16_t local_port = 0;
    std::string greeting;        // zplex-app's first line, or "-" (socat has none)
    bool greeting_known = false;
    bool in_greeting = false;
    std::uint64_t sent = 0, echoed = 0, at_mark = 0;
    std::uint32_t rng = 0;
    EVP_MD_CTX* sha_sent = nullptr;
    EVP_MD_CTX* sha_echoed = nullptr;
    clock_type::time_point last_send{};
    bool write_closed = false, done = false;
    std::string error;
};

std::string hex_digest(EVP_MD_CTX* c) {
    unsigned char d[32];
    unsigned int n = 0;
    EVP_DigestFinal_ex(c, d, &n);
    static const char* x = "0123456789abcdef";
    std::string s;
    for (unsigned i = 0; i < n; ++i) s += {x[d[i] >> 4], x[d[i] & 15]};
    return s;
}

std::string read_small(const fs::path& p) {
    std::ifstream f(p);
    std::string s;
    std::getline(f, s);
    return s;
}

void write_atomic(const fs::path& p, const std::string& text) {
    fs::path tmp = p.string() + ".new";
    std::ofstream(tmp) << text << "\n";
    fs::rename(tmp, p);
}

}  // namespace

int long_lived_echo(const char* dst, int port, int count, const fs::path& dir, const std::string& name) {
    sockaddr_in a = zplex::e2e::socket_address(dst, static_cast<std::uint16_t>(port));
    std::vector<conn> cs(static_cast<std::size_t>(count));
    int refused = 0;
    for (int i = 0; i < count; ++i) {
        auto& c = cs[static_cast<std::size_t>(i)];
        c.rng = 0x9E3779B9u * static_cast<std::uint32_t>(i + 1) + static_cast<std::uint32_t>(name[0]);
        c.sha_sent = EVP_MD_CTX_new();
        c.sha_echoed = EVP_MD_CTX_new();
        EVP_DigestInit_ex(c.sha_sent, EVP_sha256(), nullptr);
        EVP_DigestInit_ex(c.sha_echoed, EVP_sha256(), nullptr);
        for (int attempt = 0; attempt < 20 && c.fd < 0; ++attempt) {
            int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            timeval tv{5, 0};
            ::setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // bounds connect()
            if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
                c.fd = s;
                break;
            }
            ++refused;
            ::close(s);
            std::this_thread::sleep_for(100ms);
        }
        if (c.fd < 0) {
            std::printf("CONN %d NOT CONNECTED: %s\n", i, std::strerror(errno));
            return 3;
        }
        sockaddr_in l{};
        socklen_t ll = sizeof l;
        ::getsockname(c.fd, reinterpret_cast<sockaddr*>(&l), &ll);
        c.local_port = ntohs(l.sin_port);
        ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    }
    std::printf("CONNECTED %d (%d attempts refused)\n", count, refused);
    std::fflush(stdout);
    int mark = 0, resets = 0;
    bool stopping = false;
    auto stop_deadline = clock_type::time_point::max();
    auto fail = [&](conn& c, int err) {
        if (err == ECONNRESET || err == EPIPE) ++resets;
        c.error = err == ECONNRESET || err == EPIPE ? "RESET" : std::strerror(err);
        c.done = true;
        ::close(c.fd);
    };
    std::vector<unsigned char> buf(65536), out(chunk);
    auto last_report = clock_type::time_point{};
    while (true) {
        auto now = clock_type::now();
        if (now - last_report >= 100ms) {
            last_report = now;
            std::string m = read_small(dir / "mark");
            int new_mark = m.empty() ? 0 : std::atoi(m.c_str());
            if (new_mark != mark) {
                mark = new_mark;
                for (auto& c : cs) c.at_mark = c.echoed;
            }
            int advanced = 0, errors = 0;
            for (const auto& c : cs) {
                if (!c.error.empty()) ++errors;
                else if (c.echoed >= c.at_mark + 4096) ++advanced;
            }
            write_atomic(dir / ("progress-" + name), "connected " + std::to_string(count) + " mark " +
                                                         std::to_string(mark) + " advanced " + std::to_string(advanced) +
                                                         " resets " + std::to_string(resets) + " errors " +
                                                         std::to_string(errors));
            if (!stopping && fs::exists(dir / "stop")) {
                stopping = true;
                stop_deadline = now + 30s;
            }
        }
        if (now > stop_deadline) break;
        std::vector<pollfd> pf;
        std::vector<conn*> who;
        bool all_done = true;
        for (auto& c : cs) {
            if (c.done) continue;
            all_done = false;
            if (stopping && !c.write_closed && c.echoed == c.sent) {
                ::shutdown(c.fd, SHUT_WR);  // everything came back: say we are finished
                c.write_closed = true;
            }
            if (!stopping && c.sent - c.echoed < in_flight && now - c.last_send >= pace) {
                for (auto& b : out) {
                    c.rng = c.rng * 1664525u + 1013904223u;
                    b = static_cast<unsigned char>(c.rng >> 24);
                }
                if (c.sent == 0) out[0] = 'D';  // never 'Z': the echo can be told from zplex-app's greeting
                ssize_t w = ::send(c.fd, out.data(), out.size(), MSG_NOSIGNAL);
                if (w < 0 && errno != EAGAIN) {
                    fail(c, errno);
                    continue;
                }
                if (w > 0) {
                    EVP_DigestUpdate(c.sha_sent, out.data(), static_cast<std::size_t>(w));
                    c.sent += static_cast<std::uint64_t>(w);
                    // The rest of a partial write is simply not sent: the generator moves on.
                    c.last_send = now;
                }
            }
            pf.push_back({c.fd, POLLIN, 0});
            who.push_back(&c);
        }
        if (all_done) break;
        if (::poll(pf.data(), pf.size(), 10) <= 0) continue;
        for (std::size_t i = 0; i < pf.size(); ++i) {
            if (!(pf[i].revents & (POLLIN | POLLERR | POLLHUP))) continue;
            conn& c = *who[i];
            ssize_t r = ::recv(c.fd, buf.data(), buf.size(), 0);
            if (r < 0) {
                if (errno != EAGAIN) fail(c, errno);
                continue;
            }
            if (r == 0) {
                c.done = true;
                if (!c.write_closed) c.error = "CLOSED BY THE SERVER";
                ::close(c.fd);
                continue;
            }
            const unsigned char* p = buf.data();
            std::size_t n = static_cast<std::size_t>(r);
            if (!c.greeting_known) {
                c.greeting_known = true;
                c.in_greeting = p[0] == 'Z';
                if (!c.in_greeting) c.greeting = "-";
            }
            while (c.in_greeting && n > 0) {
                char ch = static_cast<char>(*p++);
                --n;
                if (ch == '\n') c.in_greeting = false;
                else c.greeting.push_back(ch);
            }
            EVP_DigestUpdate(c.sha_echoed, p, n);
            c.echoed += n;
        }
    }
    int ok = 0;
    for (std::size_t i = 0; i < cs.size(); ++i) {
        auto& c = cs[i];
        if (!c.done) {
            c.error = "ECHO NOT COMPLETE AT THE END";
            ::close(c.fd);
        }
        std::string hs = hex_digest(c.sha_sent), he = hex_digest(c.sha_echoed);
        bool good = c.error.empty() && c.sent == c.echoed && hs == he && c.sent > 0;
        ok += good;
        std::printf("CONN %zu PORT %u GREETING %s SENT %llu ECHOED %llu SHA-256 %s %s RESULT %s\n", i, c.local_port,
                    c.greeting.c_str(), static_cast<unsigned long long>(c.sent),
                    static_cast<unsigned long long>(c.echoed), hs.c_str(), he.c_str(),
                    good ? "OK" : c.error.empty() ? "ECHO DIFFERS" : c.error.c_str());
        EVP_MD_CTX_free(c.sha_sent);
        EVP_MD_CTX_free(c.sha_echoed);
    }
    std::printf("SUMMARY OK %d OF %d RESETS %d\n", ok, count, resets);
    return 0;
}

long_lived_clients::long_lived_clients(const fs::path& dir, std::string address, std::uint16_t port)
    : _dir(dir), _address(std::move(address)), _port(port) {
    fs::create_directories(_dir);
    fs::remove(_dir / "stop");
    write_atomic(_dir / "mark", "0");
}

void long_lived_clients::add(const std::string& name, const netns& ns, int count) {
    group g;
    g.name = name;
    g.count = count;
    std::string dst = _address;
    int port = _port;
    fs::path dir = _dir;
    g.child = child_process::spawn([=] { return long_lived_echo(dst.c_str(), port, count, dir, name); }, ns.name(),
                                   _dir / (name + ".out"));
    _groups.push_back(std::move(g));
}

void long_lived_clients::expect_lost(const std::string& name, int lost) {
    for (auto& g : _groups)
        if (g.name == name) g.lost = lost;
}

void long_lived_clients::mark(int m) { write_atomic(_dir / "mark", std::to_string(m)); }

bool long_lived_clients::all_advanced(int m, std::chrono::milliseconds bound) {
    auto until = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < until) {  // a bound, not a timing claim
        bool all = true;
        for (auto& g : _groups) {
            if (!g.child.running()) return false;
            std::string want = "connected " + std::to_string(g.count) + " mark " + std::to_string(m) + " advanced " +
                               std::to_string(g.count - g.lost) + " resets " + std::to_string(g.lost) + " errors " +
                               std::to_string(g.lost);
            if (read_small(_dir / ("progress-" + g.name)) != want) all = false;
        }
        if (all) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

std::string long_lived_clients::progress() const {
    std::string s;
    for (const auto& g : _groups)
        s += g.name + " (" + std::to_string(g.lost) + " expected lost): " + read_small(_dir / ("progress-" + g.name)) + "\n";
    return s + report();
}

std::string long_lived_clients::report() const {
    std::string s;
    for (const auto& g : _groups) s += file_text(_dir / (g.name + ".out"));
    return s;
}

std::vector<long_lived_result> long_lived_clients::finish(bool& ok, std::chrono::milliseconds bound) {
    write_atomic(_dir / "stop", "1");
    ok = true;
    std::vector<long_lived_result> rs;
    for (auto& g : _groups) {
        auto r = g.child.wait(bound);
        ok = ok && r.ok();
        std::istringstream in(file_text(_dir / (g.name + ".out")));
        for (std::string l; std::getline(in, l);) {
            // CONN i PORT p GREETING <line or -> SENT n ECHOED n SHA-256 a b RESULT <what>
            auto gr = l.find(" GREETING "), se = l.rfind(" SENT "), re = l.rfind(" RESULT ");
            if (l.rfind("CONN ", 0) != 0 || gr == std::string::npos || se == std::string::npos || re == std::string::npos)
                continue;
            long_lived_result x;
            x.client = g.name;
            x.greeting = l.substr(gr + 10, se - gr - 10);
            x.result = l.substr(re + 8);
            const std::string app = "ZPLEX-APP IMAGE ";
            x.server = x.greeting.rfind(app, 0) == 0 ? x.greeting.substr(app.size(), x.greeting.find(' ', app.size()) - app.size())
                                                     : x.greeting;
            rs.push_back(x);
        }
    }
    return rs;
}

std::map<std::string, int> long_lived_clients::tally(const std::vector<long_lived_result>& rs) {
    std::map<std::string, int> t;
    for (const auto& r : rs) ++t[r.server + " " + r.result];
    return t;
}

std::map<std::string, int> vcrt_sources_to(const std::string& vcrt, const std::string& dest_xcf) {
    std::map<std::string, int> out;
    std::istringstream in(vcrt);
    std::string line, source;
    while (std::getline(in, line)) {
        if (line.rfind("  Source:     ", 0) == 0) source = line.substr(14, line.find("..") - 14);
        if (line == "  DestXCF:    " + dest_xcf) ++out[source];
    }
    return out;
}

int count_of(const std::string& text, const std::string& what) {
    int n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

int first_served(const char* addr, int port, std::int64_t start_ns) {
    sockaddr_in a = zplex::e2e::socket_address(addr, static_cast<std::uint16_t>(port));
    auto until = clock_type::now() + 20s;
    while (clock_type::now() < until) {
        int s = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
        pollfd pf{s, POLLOUT, 0};
        int err = 1;
        if (::poll(&pf, 1, 20) == 1) {
            socklen_t l = sizeof err;
            ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &l);
        }
        if (err != 0) {
            ::close(s);
            std::this_thread::sleep_for(2ms);
            continue;
        }
        auto at = clock_type::now().time_since_epoch().count();
        ::send(s, "FIRST\n", 6, MSG_NOSIGNAL);
        std::string got;
        char buf[256];
        for (int i = 0; i < 100 && got.find("FIRST\n") == std::string::npos; ++i) {
            pollfd r{s, POLLIN, 0};
            if (::poll(&r, 1, 50) != 1) continue;
            ssize_t n = ::recv(s, buf, sizeof buf, 0);
            if (n <= 0) break;
            got.append(buf, static_cast<std::size_t>(n));
        }
        ::close(s);
        std::string by = got.rfind("ZPLEX-APP IMAGE ", 0) == 0 ? got.substr(16, got.find(' ', 16) - 16) : "-";
        if (got.find("FIRST\n") == std::string::npos) by = "NOBODY";
        std::printf("SERVED %.1f BY %s\n", static_cast<double>(at - start_ns) / 1e6, by.c_str());
        return by == "NOBODY" ? 4 : 0;
    }
    std::printf("NOT SERVED\n");
    return 5;
}

}  // namespace zplex::e2e
