// SPDX-License-Identifier: Apache-2.0
// The Sysplex Distributor end to end, in namespaces (root), against references measured
// in the same run on the same servers and the same client:
//
//   client 198.18.5.2 ── router 198.18.5.1 | 198.18.0.254 (LANGW) ── br0 ── MVS1 ─┬─ its image: zplex-app
//                        nftables: 198.18.6.1:60 DNAT                      MVS2 ─┼─ its image: zplex-app
//                        round robin to 198.18.0.11/12/14:60               MVS4 ─┴─ its image: zplex-app
//
//   - new connections/s (connect, read the server's first line, close) to DVA1:60 through
//     the distributor (MVS1: round robin to MVS1, MVS2 and MVS4; replies straight from the
//     targets), to 198.18.6.1:60 through the router's nftables DNAT round robin (a kernel
//     L4 balancer, replies back through it), and directly to MVS2's home address;
//   - bulk TCP to DVA1 forwarded to MVS2 (the only ready target), against the same client
//     to MVS2's home address through the same stack without the distributor.
// Every path crosses the router and the targets' stacks; what differs is the balancer.
#include "bench_distributor_namespaces.hpp"

#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>
#include <zplex/e2e/stack_plex.hpp>
#include <zplex/e2e/traffic.hpp>

#include <fmt/format.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>

namespace fs = std::filesystem;
namespace e2e = zplex::e2e;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr int concurrency = 32;
constexpr double seconds_per_run = 3.0;

/// In the client's namespace: @p concurrency connections at a time to addr:port for
/// @p seconds, each one connect, read the first line, close. Prints
/// "DONE n FAILED f SECONDS s".
int connect_rate_body(const char* addr, int port, double seconds) {
    sockaddr_in a = zplex::e2e::socket_address(addr, static_cast<std::uint16_t>(port));
    int ep = ::epoll_create1(EPOLL_CLOEXEC);
    struct slot {
        int fd = -1;
        bool connected = false;
        clock_type::time_point since;
    };
    std::map<int, slot> slots;
    std::uint64_t done = 0, failed = 0;
    auto open_one = [&] {
        int s = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s < 0) return;
        ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
        epoll_event ev{};
        ev.events = EPOLLOUT | EPOLLIN;
        ev.data.fd = s;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
        slots[s] = {s, false, clock_type::now()};
    };
    auto close_one = [&](int fd) {
        ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
        slots.erase(fd);
    };
    auto t0 = clock_type::now();
    auto until = t0 + std::chrono::duration<double>(seconds);
    for (int i = 0; i < concurrency; ++i) open_one();
    char buf[512];
    while (clock_type::now() < until) {
        epoll_event evs[64];
        int n = ::epoll_wait(ep, evs, 64, 10);
        for (int i = 0; i < n; ++i) {
            int fd = evs[i].data.fd;
            auto it = slots.find(fd);
            if (it == slots.end()) continue;
            auto& s = it->second;
            if (!s.connected) {
                int err = 0;
                socklen_t l = sizeof err;
                ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
                if (err != 0) {
                    ++failed;
                    close_one(fd);
                    open_one();
                    continue;
                }
                s.connected = true;
                epoll_event ev{};
                ev.events = EPOLLIN;
                ev.data.fd = fd;
                ::epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
            }
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                ssize_t r = ::read(fd, buf, sizeof buf);
                if (r < 0 && errno == EAGAIN) continue;
                if (r > 0 && std::memchr(buf, '\n', static_cast<std::size_t>(r))) ++done;
                else ++failed;
                close_one(fd);
                open_one();
            }
        }
        auto now = clock_type::now();
        std::vector<int> stale;
        for (const auto& [fd, s] : slots)
            if (now - s.since > 3s) stale.push_back(fd);
        for (int fd : stale) {
            ++failed;
            close_one(fd);
            open_one();
        }
    }
    double s = std::chrono::duration<double>(clock_type::now() - t0).count();
    while (!slots.empty()) close_one(slots.begin()->first);
    std::printf("DONE %llu FAILED %llu SECONDS %.3f\n", static_cast<unsigned long long>(done),
                static_cast<unsigned long long>(failed), s);
    return 0;
}

struct rate {
    double per_second = 0;
    std::uint64_t failed = 0;
};

rate connect_rate(const e2e::netns& client, const char* addr) {
    auto c = e2e::child_process::spawn([=] { return connect_rate_body(addr, 60, seconds_per_run); }, client.name());
    auto r = c.wait(std::chrono::seconds(static_cast<int>(seconds_per_run) + 20));
    unsigned long long done = 0, failed = 0;
    double s = 0;
    if (!r.ok() || std::sscanf(r.out.c_str(), "DONE %llu FAILED %llu SECONDS %lf", &done, &failed, &s) != 3 || s <= 0)
        return {};
    return {static_cast<double>(done) / s, failed};
}

/// Entries of MVS1's connection routing table now (NETSTAT VCRT's footer).
std::uint64_t vcrt_entries(const e2e::stack_plex& p) {
    auto t = p.control("MVS1", "NETSTAT VCRT");
    auto at = t.rfind(" records displayed");
    auto start = t.rfind('\n', at);
    return at == std::string::npos ? 0 : std::strtoull(t.c_str() + (start == std::string::npos ? 0 : start + 1), nullptr, 10);
}

}  // namespace

void distributor_namespace_rows(std::vector<bench_row>& rows) {
    e2e::stack_plex p("bdist");
    auto& rt = p.image("ROUTER");
    auto& client = p.client(1);  // on the bridge too, unused: the load comes from behind the router
    (void)client;
    e2e::netns cl("cl");
    // The router: LANGW on the LAN, 198.18.5.1 towards the client.
    rt.ip({"link", "add", "veth0", "type", "veth", "peer", "name", "vrt", "netns", p.lan.name()});
    p.lan.ip({"link", "set", "vrt", "master", "br0", "up"});
    rt.ip({"addr", "add", "198.18.0.254/24", "dev", "veth0"});
    rt.ip({"link", "set", "veth0", "up"});
    rt.ip({"route", "add", "198.18.2.0/24", "dev", "veth0"});
    rt.ip({"route", "add", "198.18.3.0/24", "dev", "veth0"});
    e2e::veth_link(rt, "198.18.5.1/24", cl, "198.18.5.2/24", "vcl");
    cl.ip({"route", "add", "default", "via", "198.18.5.1"});
    rt.exec({"sysctl", "-qw", "net.ipv4.ip_forward=1"});
    cl.exec({"sysctl", "-qw", "net.ipv4.ip_local_port_range=10000 65000"});
    auto nft = rt.exec({"nft", "add table ip zplexlb; "
                               "add chain ip zplexlb pre { type nat hook prerouting priority dstnat; }; "
                               "add rule ip zplexlb pre ip daddr 198.18.6.1 tcp dport 60 dnat to numgen inc mod 3 "
                               "map { 0 : 198.18.0.11, 1 : 198.18.0.12, 2 : 198.18.0.14 }"});
    cl.ip({"route", "add", "198.18.6.1/32", "via", "198.18.5.1"});
    std::map<std::string, e2e::child_process> apps, stacks;
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) apps[sys] = p.app(sys);
    stacks["MVS1"] = p.start("MVS1");
    bool up = p.wait_log("MVS1", "EZD1214I");
    for (const char* sys : {"MVS2", "MVS4"}) stacks[sys] = p.start(sys);
    for (const char* sys : {"MVS2", "MVS4"}) up = up && p.wait_log(sys, "EZD1214I");
    for (const char* xcf : {"198.18.1.1", "198.18.1.2", "198.18.1.4"})
        up = up && p.wait_display("MVS1", "NETSTAT VDPT", std::string("  DestXCF:    ") + xcf + "\n  TotalConn:  0000000000  Rdy: 001");
    if (!up || !nft.ok()) {
        rows.push_back({"new connections/s through the distributor", "conn/s", "nftables DNAT", 0, 0,
                        !nft.ok() ? "nft failed: " + nft.out : "the stacks did not come up"});
        return;
    }
    rate direct, lb, sd;
    std::uint64_t table = 0;
    for (int round = 0; round < 2; ++round) {  // the better of two runs each, interleaved
        auto d = connect_rate(cl, "198.18.0.12");
        auto n = connect_rate(cl, "198.18.6.1");
        auto s = connect_rate(cl, "198.18.2.1");
        table = std::max(table, vcrt_entries(p));  // ended ones linger 2 s: about the last 2 s' worth
        if (d.per_second > direct.per_second) direct = d;
        if (n.per_second > lb.per_second) lb = n;
        if (s.per_second > sd.per_second) sd = s;
        std::this_thread::sleep_for(3s);  // the tables drain (ended connections) between rounds
    }
    std::string note = fmt::format("{} concurrent, {:.0f} s runs; failed: direct {}, nft {}, SD {}; MVS1's VCRT at the end of a run: {} of its 65536 entries",
                                   concurrency, seconds_per_run, direct.failed, lb.failed, sd.failed, table);
    rows.push_back({"new connections/s to DVA1 through the distributor (goal >= 0.5)", "conn/s",
                    "nftables DNAT round robin", lb.per_second, sd.per_second, note});
    rows.push_back({"new connections/s to DVA1 through the distributor", "conn/s", "direct to MVS2's home address",
                    direct.per_second, sd.per_second, "the same client, router and server, no balancer"});
    rows.push_back({"new connections/s through nftables DNAT (for scale)", "conn/s", "direct to MVS2's home address",
                    direct.per_second, lb.per_second, "a kernel L4 balancer, replies back through it"});

    // Bulk TCP: only MVS2 listens on port 60, so DVA1's connection is forwarded to it.
    for (auto& [sys, a] : apps) a.terminate(5s);
    bool drained = p.wait_display("MVS1", "NETSTAT VDPT", "  DestXCF:    198.18.1.2\n  TotalConn:", 5s);
    const std::uint64_t bytes = 256ull << 20;
    double ref = 0, through = 0;
    std::string err;
    for (int round = 0; round < 2 && drained; ++round) {
        auto r = e2e::tcp_transfer(p.image("MVS2"), "198.18.0.12", 5001, cl, "198.18.5.2", bytes, 120s);
        auto t = e2e::tcp_transfer(p.image("MVS2"), "198.18.2.1", 60, cl, "198.18.5.2", bytes, 120s);
        if (!r.ok || !t.ok) err = r.ok ? t.error : r.error;
        ref = std::max(ref, r.mbit_per_s());
        through = std::max(through, t.mbit_per_s());
    }
    rows.push_back({"bulk TCP to DVA1, forwarded to MVS2 (256 MiB, SHA-256 checked)", "Mbit/s",
                    "direct to MVS2's home address", ref, through,
                    err.empty() ? "inbound crosses MVS1 and the XCF link; replies leave MVS2 directly"
                                : "transfer failed: " + err.substr(0, 200)});
    for (auto& [sys, s] : stacks) s.terminate(5s);
}
