// SPDX-License-Identifier: Apache-2.0
// Connections to a distributed DVIPA survive its distributor's failure and return, with
// real zplex-tcpip processes in namespaces (FIG4: MVS1 distributes DVA1 198.18.2.1 port
// 60 ROUNDROBIN to XCF1, XCF2 and XCF4; MVS2 is its VIPABACKUP 100 with the same
// VIPADISTRIBUTE). The servers are zplex-app in MVS1's and MVS2's images and a stock
// socat echo in MVS4's, unchanged. Two client namespaces hold 60 long-lived connections
// (20 on each target) that keep sending and checking the echo (SHA-256 of every byte
// each way). SIGKILL of MVS1's process: MVS2 takes DVA1 over (EZZ8301I), rebuilds the
// connection routing table from the targets, distributes new connections at once, and
// every connection MVS2 or MVS4 serves goes on with no reset; the 20 MVS1's own image
// served are lost (reset), as on z/OS. MVS1 starts again: DVA1 comes back to it
// (MOVEABLE IMMEDIATE, EZZ8302I) and the 40 still go on.
#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>
#include <zplex/e2e/stack_plex.hpp>
#include <zplex/e2e/traffic.hpp>

#include <openssl/evp.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
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

/// The client of one namespace: @p count connections to dst:port. It keeps sending
/// pseudo-random bytes and reading the echo; every turn it writes its progress to
/// dir/progress-<name> ("connected C mark M advanced A resets R errors E": A is the
/// connections without an error that had 4 KiB echoed since the test last wrote
/// dir/mark). When dir/stop appears it closes its side, reads the rest of the echo and
/// prints one line per connection (its greeting, both digests, OK or what went wrong):
/// the test judges them. 0 when every connection connected.
int long_lived_clients(const char* dst, int port, int count, const fs::path& dir, const std::string& name) {
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

int count_of(const std::string& text, const std::string& what) {
    int n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

/// In a client namespace, from @p start (CLOCK_MONOTONIC ns): connect to addr:port until
/// one connection is served (the probe line comes back), each attempt bounded by 20 ms
/// so that SYNs lost to the dead distributor's MAC do not wait for TCP's retransmission.
/// Prints "SERVED <ms since start> BY <image or ->".
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

TEST(stack_e2e, connections_to_a_distributed_dvipa_survive_the_distributors_sigkill_and_return) {
    std::string why;
    if (!can_use_netns(&why)) GTEST_SKIP() << why;
    if (!fs::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun";
    sweep_stale_netns();
    stack_plex plex("survive");
    auto& c1 = plex.client(1);
    auto& c2 = plex.client(2);
    // DVA1's servers: zplex-app in MVS1's and MVS2's images, a stock socat echo in MVS4's,
    // all on any address port 60.
    auto app1 = plex.app("MVS1");
    auto app2 = plex.app("MVS2");
    auto socat = child_process::exec({"socat", "TCP4-LISTEN:60,reuseaddr,fork", "PIPE"}, plex.image("MVS4").name(),
                                      plex.dir / "socat.log");
    auto p1 = plex.start("MVS1");
    ASSERT_TRUE(plex.wait_log("MVS1", "EZD1214I")) << plex.log("MVS1");
    auto p2 = plex.start("MVS2");
    auto p4 = plex.start("MVS4");
    ASSERT_TRUE(plex.wait_log("MVS2", "EZD1214I")) << plex.log("MVS2");
    ASSERT_TRUE(plex.wait_log("MVS4", "EZD1214I")) << plex.log("MVS4");
    // The targets' listeners reached the distributor (sock_diag on each target, then its
    // report): all three ready.
    for (const char* xcf : {"198.18.1.1", "198.18.1.2", "198.18.1.4"})
        ASSERT_TRUE(plex.wait_display("MVS1", "NETSTAT VDPT",
                                      std::string("  DestXCF:    ") + xcf + "\n  TotalConn:  0000000000  Rdy: 001"))
            << plex.control("MVS1", "NETSTAT VDPT");

    fs::path ctl = plex.dir / "clients";
    fs::create_directories(ctl);
    write_atomic(ctl / "mark", "0");
    auto k1 = child_process::spawn([&] { return long_lived_clients("198.18.2.1", 60, 30, ctl, "c1"); }, c1.name(),
                                   plex.dir / "c1.out");
    auto k2 = child_process::spawn([&] { return long_lived_clients("198.18.2.1", 60, 30, ctl, "c2"); }, c2.name(),
                                   plex.dir / "c2.out");
    // Every connection echoes; wait (bounded) until each that should live has 4 KiB back
    // since mark m, and exactly the expected ones failed.
    int lost1 = 0, lost2 = 0;
    auto all_advanced = [&](int m) {
        auto want = [&](int lost) {
            return "mark " + std::to_string(m) + " advanced " + std::to_string(30 - lost) + " resets " +
                   std::to_string(lost) + " errors " + std::to_string(lost);
        };
        for (int i = 0; i < 600; ++i) {  // a bound, not a timing claim
            if (read_small(ctl / "progress-c1").find(want(lost1)) != std::string::npos &&
                read_small(ctl / "progress-c2").find(want(lost2)) != std::string::npos)
                return true;
            if (!k1.running() || !k2.running()) return false;
            std::this_thread::sleep_for(50ms);
        }
        return false;
    };
    auto progress = [&] {
        return "c1: " + read_small(ctl / "progress-c1") + "; c2: " + read_small(ctl / "progress-c2") + "\n" +
               file_text(plex.dir / "c1.out") + file_text(plex.dir / "c2.out") + "\nMVS1:\n" + plex.log("MVS1") +
               "\nMVS2:\n" + plex.log("MVS2") + "\nMVS4:\n" + plex.log("MVS4") + plex.control("MVS1", "NETSTAT VCRT") +
               plex.control("MVS2", "NETSTAT ALLCONN") + plex.control("MVS4", "NETSTAT ALLCONN");
    };
    ASSERT_TRUE(all_advanced(0)) << progress();
    ASSERT_TRUE(plex.wait_display("MVS1", "NETSTAT VCRT", "60 of 60 records displayed"))
        << plex.control("MVS1", "NETSTAT VCRT");
    // Round robin: 20 on each target. The targets' images hold theirs (NETSTAT CONN from
    // each image's kernel); the ones MVS1's image serves will be lost with it.
    auto vcrt = plex.control("MVS1", "NETSTAT VCRT");
    for (const char* xcf : {"198.18.1.1", "198.18.1.2", "198.18.1.4"})
        EXPECT_EQ(count_of(vcrt, std::string("  DestXCF:    ") + xcf + "\n"), 20) << vcrt;
    {
        std::istringstream in(vcrt);
        std::string line, source;
        lost1 = lost2 = 0;
        while (std::getline(in, line)) {
            if (line.rfind("  Source:     ", 0) == 0) source = line.substr(14);
            if (line == "  DestXCF:    198.18.1.1") (source.rfind("198.18.0.101..", 0) == 0 ? lost1 : lost2)++;
        }
    }
    EXPECT_EQ(lost1 + lost2, 20);
    auto conn2 = plex.control("MVS2", "D TCPIP,,NETSTAT,CONN");
    auto conn4 = plex.control("MVS4", "NETSTAT CONN");
    int on2 = count_of(conn2, " ESTABLSH\n  LOCAL SOCKET:   198.18.2.1..60\n");
    int on4 = count_of(conn4, " Establsh\n  Local Socket:   198.18.2.1..60\n");
    EXPECT_EQ(on2, 20) << conn2;
    EXPECT_EQ(on4, 20) << conn4;
    EXPECT_NE(conn2.find("ZPLEXAPP "), std::string::npos) << conn2;
    EXPECT_NE(conn4.find("SOCAT    "), std::string::npos) << conn4;

    // The distributor's process dies. A third client keeps trying new connections.
    auto t0 = clock_type::now().time_since_epoch().count();
    ::kill(p1.pid(), SIGKILL);
    auto first = child_process::spawn([t0] { return first_served("198.18.2.1", 60, t0); }, c1.name());
    p1.wait(5s);
    ASSERT_TRUE(plex.wait_log("MVS2", "EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1")) << plex.log("MVS2");
    auto fr = first.wait(30s);
    double first_ms = -1;
    char by[32] = {};
    ASSERT_EQ(std::sscanf(fr.out.c_str(), "SERVED %lf BY %31s", &first_ms, by), 2) << fr.out;
    // New connections are MVS2's to distribute: to its own image or MVS4's socat, within
    // the 300 ms of the SIGKILL.
    EXPECT_TRUE(std::string(by) == "MVS2" || std::string(by) == "-") << by;
    EXPECT_LE(first_ms, 300.0) << "first new connection served " << first_ms << " ms after the SIGKILL";
    RecordProperty("first_new_connection_ms", std::to_string(first_ms));
    std::printf("first new connection after SIGKILL of the distributor: %.1f ms, served by %s\n", first_ms, by);
    write_atomic(ctl / "mark", "1");
    EXPECT_TRUE(all_advanced(1)) << progress();
    EXPECT_TRUE(plex.wait_display("MVS2", "NETSTAT VCRT", "40 of 40 records displayed"))
        << plex.control("MVS2", "NETSTAT VCRT");
    EXPECT_NE(plex.control("MVS2", "NETSTAT VDPT").find("  DestXCF:    198.18.1.2\n  TotalConn:  000000000"),
              std::string::npos);

    // MVS1 returns: DVA1 MOVEABLE IMMEDIATE comes back to it.
    auto p1b = plex.start("MVS1", {}, "-again");
    ASSERT_TRUE(plex.wait_log("MVS1", "EZZ8302I VIPA 198.18.2.1 TAKEN FROM TCPIPA ON MVS2", 20s, "-again"))
        << plex.log("MVS1", "-again");
    EXPECT_TRUE(plex.wait_log("MVS2", "EZZ8303I VIPA 198.18.2.1 GIVEN TO TCPIPA ON MVS1")) << plex.log("MVS2");
    write_atomic(ctl / "mark", "2");
    EXPECT_TRUE(all_advanced(2)) << progress();
    EXPECT_TRUE(plex.wait_display("MVS1", "NETSTAT VCRT", "40 of 40 records displayed"))
        << plex.control("MVS1", "NETSTAT VCRT");
    EXPECT_NE(plex.control("MVS4", "D TCPIP,,SYSPLEX,VIPADYN").find("  TCPIPA   MVS1     ACTIVE"), std::string::npos)
        << plex.control("MVS4", "D TCPIP,,SYSPLEX,VIPADYN");

    // The clients finish: every byte MVS2 and MVS4 served came back, SHA-256 equal, no
    // reset; MVS1's own were reset.
    write_atomic(ctl / "stop", "1");
    auto r1 = k1.wait(60s);
    auto r2 = k2.wait(60s);
    std::string out = file_text(plex.dir / "c1.out") + file_text(plex.dir / "c2.out");
    EXPECT_TRUE(r1.ok()) << out;
    EXPECT_TRUE(r2.ok()) << out;
    const std::string greet = " GREETING ZPLEX-APP IMAGE MVS";
    const std::string tail = " STACK TCPIPA LOCAL 198.18.2.1..60 REMOTE 198.18.0.10";
    int ok2 = 0, ok4 = 0, reset1 = 0, other = 0;
    std::istringstream lines(out);
    for (std::string l; std::getline(lines, l);) {
        if (l.rfind("CONN ", 0) != 0) continue;
        bool ok = l.size() > 10 && l.compare(l.size() - 10, 10, " RESULT OK") == 0;
        bool reset = l.size() > 13 && l.compare(l.size() - 13, 13, " RESULT RESET") == 0;
        if (l.find(greet + "2" + tail) != std::string::npos && ok) ++ok2;
        else if (l.find(" GREETING - ") != std::string::npos && ok) ++ok4;
        else if (l.find(greet + "1" + tail) != std::string::npos && reset) ++reset1;
        else ++other;
    }
    EXPECT_EQ(ok2, 20) << out;
    EXPECT_EQ(ok4, 20) << out;
    EXPECT_EQ(reset1, 20) << out;
    EXPECT_EQ(other, 0) << out;
    EXPECT_EQ(count_of(out, "SUMMARY OK "), 2) << out;
    EXPECT_EQ(count_of(out, " OF 30 RESETS "), 2) << out;
    EXPECT_EQ(p4.terminate(5s).status, 0);
    EXPECT_EQ(p2.terminate(5s).status, 0);
    EXPECT_EQ(p1b.terminate(5s).status, 0);
    EXPECT_EQ(app1.terminate(5s).status, 0);
    EXPECT_EQ(app2.terminate(5s).status, 0);
    socat.terminate(5s);
}

}  // namespace
}  // namespace zplex::e2e
