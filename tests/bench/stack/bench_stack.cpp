// SPDX-License-Identifier: Apache-2.0
// The TCP/IP stack's figures, each next to a reference measured in the same run:
//   1. packets/s through the core in process (a LAN frame to DVA1 delivered to the
//      image; the image's packet routed onto the LAN), against a loop that only copies
//      the same frames;
//   2. bulk TCP from a client namespace to a server on DVA1 through zplex-tcpip (TAP ->
//      core -> TUN), against the same client to a server in the same image namespace
//      through plain kernel routing (veth on the same bridge);
//   3. time from SIGKILL of DVA1's owner to the first new connection accepted through
//      its backup, against the goal of 300 ms;
//   4. the same from `stop` at the Hercules console of DVA1's owner's image (its stack
//      attached to the image's system), against the goal INTERVAL + 300 ms.
// Parts 2 to 4 need root (network namespaces, TAP/TUN), part 4 the Hercules modules;
// without them they say why.
#include "hercules_sysplex.hpp"
#include "stack_sim.hpp"

#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>
#include <zplex/e2e/stack_plex.hpp>
#include <zplex/e2e/traffic.hpp>

#include <fmt/format.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
namespace tst = zplex::tcpip::stack;
using namespace zplex::test;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

struct row {
    std::string what, unit;
    double reference = 0, zplex = 0;
    std::string note;
};

// ------------------------------------------------------------------ 1. in process

struct counting_ports : tst::lan_port, tst::app_port, tst::xcf_link_port, tst::sysplex_port {
    std::uint64_t frames = 0, packets = 0, bytes = 0;
    void send_frame(tst::bytes f) noexcept override {
        ++frames;
        bytes += f.size();
    }
    void send_packet(tst::bytes p) noexcept override {
        ++packets;
        bytes += p.size();
    }
    void send_packet(std::string_view, tst::bytes, tst::link_protection) noexcept override {}
    void send(std::string_view, tst::bytes) override {}
    std::vector<std::string> members() const override { return {}; }
};

std::vector<std::uint8_t> ethernet(const tst::mac_address& dst, const tst::mac_address& src, std::uint16_t type,
                                   const std::vector<std::uint8_t>& payload) {
    std::vector<std::uint8_t> f(14 + payload.size());
    std::copy(dst.begin(), dst.end(), f.begin());
    std::copy(src.begin(), src.end(), f.begin() + 6);
    f[12] = static_cast<std::uint8_t>(type >> 8);
    f[13] = static_cast<std::uint8_t>(type);
    std::copy(payload.begin(), payload.end(), f.begin() + 14);
    return f;
}

template <class F>
double per_second(F&& one_batch, std::uint64_t batch) {
    std::uint64_t n = 0;
    auto t0 = clock_type::now();
    double s = 0;
    while ((s = std::chrono::duration<double>(clock_type::now() - t0).count()) < 0.5) {
        one_batch();
        n += batch;
    }
    return static_cast<double>(n) / s;
}

void in_process(std::vector<row>& rows) {
    fig4 f;
    auto& node = f.node("MVS1");
    counting_ports io;
    sim_clock clk;
    auto s = tst::stack::create(f.load("MVS1"), node.id, tst::ports{&io, &io, &io, &io, &clk});
    s->joined_group();  // alone in the group: initial processing at once, DVA1 active
    const tst::mac_address client_mac{0x02, 0x00, 0x00, 0x00, 0x01, 0x01};
    const auto client = ip("198.18.0.101"), dva1 = ip("198.18.2.1");
    // The client ARPs for the OSA address: the stack learns the client (RFC 826 merge).
    std::vector<std::uint8_t> arp(28, 0);
    const std::uint8_t head[8] = {0, 1, 8, 0, 6, 4, 0, 1};
    std::memcpy(arp.data(), head, 8);
    std::copy(client_mac.begin(), client_mac.end(), arp.begin() + 8);
    put32(arp, 14, client);
    put32(arp, 24, ip("198.18.0.11"));
    s->lan_frame(ethernet({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, client_mac, 0x0806, arp));

    const std::string data(1400, 'z');
    auto in = ethernet(node.id.mac, client_mac, 0x0800, tcp_segment(client, 40000, dva1, 60, ACK, data));
    auto out = tcp_segment(dva1, 60, client, 40000, ACK, data);
    std::vector<std::uint8_t> sink(in.size() + 64);
    constexpr int batch = 1024;
    std::uint64_t copied = 0;
    auto copy_in = per_second(
        [&] {
            for (int i = 0; i < batch; ++i) {
                std::memcpy(sink.data(), in.data(), in.size());
                copied += sink[static_cast<std::size_t>(i) % 64];
            }
        },
        batch);
    auto before = io.packets;
    auto core_in = per_second(
        [&] {
            for (int i = 0; i < batch; ++i) s->lan_frame(in);
        },
        batch);
    bool delivered = io.packets > before;
    auto copy_out = per_second(
        [&] {
            for (int i = 0; i < batch; ++i) {
                std::memcpy(sink.data() + 14, out.data(), out.size());
                copied += sink[static_cast<std::size_t>(i) % 64];
            }
        },
        batch);
    before = io.frames;
    auto core_out = per_second(
        [&] {
            for (int i = 0; i < batch; ++i) s->app_packet(out);
        },
        batch);
    bool sent = io.frames > before;
    std::string drops = fmt::format("drops {}", s->drops().total());
    rows.push_back({"LAN frame -> DVA1 -> image (1454 B)", "packets/s", copy_in, delivered ? core_in : 0,
                    delivered ? drops : "NOT DELIVERED: " + drops});
    rows.push_back({"image -> LAN frame to client (1454 B)", "packets/s", copy_out, sent ? core_out : 0,
                    sent ? drops : "NOT SENT: " + drops});
    if (copied == 42) std::puts("");  // keep the copies
}

// ------------------------------------------------------------------ 2, 3. namespaces

/// FIG4's stacks in namespaces (zplex/e2e/stack_plex.hpp): MVS1's and MVS2's images and
/// one client.
struct plex : zplex::e2e::stack_plex {
    zplex::e2e::netns& mvs1;
    zplex::e2e::netns& mvs2;
    zplex::e2e::netns& client;
    explicit plex(const std::string& tag)
        : stack_plex("b" + tag), mvs1(image("MVS1")), mvs2(image("MVS2")), client(stack_plex::client(1)) {}
    zplex::e2e::child_process start(const char* sys, bool offload = true) {
        return stack_plex::start(sys, offload ? std::vector<std::string>{} : std::vector<std::string>{"--no-offload"},
                                 offload ? "" : "-nooff");
    }
};

/// Bytes the kernel sent into MVS1's TAP (frames to the stack), from `ip -s -j link`.
std::uint64_t into_stack(plex& p) {
    auto r = p.lan.exec({"ip", "-s", "-j", "link", "show", "dev", "ztmvs1"}, 10s);
    auto tx = r.out.find("\"tx\":{");
    auto at = tx == std::string::npos ? tx : r.out.find("\"bytes\":", tx);
    return at == std::string::npos ? 0 : std::strtoull(r.out.c_str() + at + 8, nullptr, 10);
}

/// Receiver of a plain transfer: prints bytes and seconds (accept to EOF).
int raw_receiver(const char* addr, int port) {
    int l = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = zplex::e2e::socket_address(addr, static_cast<std::uint16_t>(port));
    if (::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(l, 1) != 0) return 3;
    int c = ::accept(l, nullptr, nullptr);
    auto t0 = clock_type::now();
    std::vector<char> buf(256 * 1024);
    std::uint64_t n = 0;
    ssize_t k;
    while ((k = ::read(c, buf.data(), buf.size())) > 0) n += static_cast<std::uint64_t>(k);
    std::printf("%llu %.6f\n", static_cast<unsigned long long>(n),
                std::chrono::duration<double>(clock_type::now() - t0).count());
    return 0;
}

int raw_sender(const char* addr, int port, std::uint64_t bytes) {
    sockaddr_in a = zplex::e2e::socket_address(addr, static_cast<std::uint16_t>(port));
    for (int attempt = 0; attempt < 100; ++attempt) {
        int s = ::socket(AF_INET, SOCK_STREAM, 0);
        if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(s);
            std::this_thread::sleep_for(50ms);
            continue;
        }
        std::vector<char> buf(256 * 1024, 'x');
        for (std::uint64_t sent = 0; sent < bytes;) {
            ssize_t k = ::write(s, buf.data(), std::min<std::uint64_t>(buf.size(), bytes - sent));
            if (k <= 0) return 4;
            sent += static_cast<std::uint64_t>(k);
        }
        ::close(s);
        return 0;
    }
    return 5;
}

/// Mbit/s of a plain transfer (no checksum) client -> server ns at @p addr; 0 if it failed.
double raw_transfer(plex& p, const zplex::e2e::netns& server_ns, const char* addr, int port, std::uint64_t bytes) {
    auto rx = zplex::e2e::child_process::spawn([=] { return raw_receiver(addr, port); }, server_ns.name());
    auto tx = zplex::e2e::child_process::spawn([=] { return raw_sender(addr, port, bytes); }, p.client.name());
    auto t = tx.wait(120s);
    auto r = rx.wait(10s);
    unsigned long long n = 0;
    double sec = 0;
    if (!t.ok() || !r.ok() || std::sscanf(r.out.c_str(), "%llu %lf", &n, &sec) != 2 || n != bytes || sec <= 0) return 0;
    return static_cast<double>(n) * 8 / sec / 1e6;
}

void throughput(std::vector<row>& rows) {
    plex p("t");
    auto s1 = p.start("MVS1");
    if (!p.wait_log("MVS1", "EZD1214I")) {
        rows.push_back({"bulk TCP client -> DVA1", "Mbit/s", 0, 0, "zplex-tcpip did not start"});
        return;
    }
    // The reference path: a veth from the bridge into the same image namespace, and a
    // route on the client to an address there through it. The image kernel must not
    // answer ARP for DVA1 on that veth, nor send DVA1's answers through it: only
    // 198.18.4.1's traffic uses it (a rule of its own), the rest goes by the TUN.
    p.mvs1.ip({"link", "add", "vk0", "type", "veth", "peer", "name", "vk1", "netns", p.lan.name()});
    p.lan.ip({"link", "set", "vk1", "master", "br0", "up"});
    for (const char* k : {"net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2"})
        p.mvs1.exec({"sysctl", "-qw", k}, 10s);
    p.mvs1.ip({"addr", "add", "198.18.0.50/32", "dev", "vk0"});
    p.mvs1.ip({"link", "set", "vk0", "up"});
    p.mvs1.ip({"addr", "add", "198.18.4.1/32", "dev", "lo"});
    p.mvs1.ip({"rule", "add", "from", "198.18.4.1", "table", "100"});
    p.mvs1.ip({"route", "add", "198.18.0.0/24", "dev", "vk0", "src", "198.18.4.1", "table", "100"});
    p.client.ip({"route", "add", "198.18.4.1/32", "via", "198.18.0.50"});
    const std::uint64_t bytes = 256ull << 20;
    double ref = 0, z = 0;
    std::string note;
    for (int round = 0; round < 2; ++round) {  // the better of two runs each, interleaved
        auto r = zplex::e2e::tcp_transfer(p.mvs1, "198.18.4.1", 5001, p.client, "198.18.0.101", bytes, 120s);
        auto t = zplex::e2e::tcp_transfer(p.mvs1, "198.18.2.1", 5002, p.client, "198.18.0.101", bytes, 120s);
        if (!r.ok || !t.ok) note = "transfer failed: " + (r.ok ? t.error : r.error);
        ref = std::max(ref, r.mbit_per_s());
        z = std::max(z, t.mbit_per_s());
    }
    rows.push_back({"bulk TCP client -> DVA1 (256 MiB, SHA-256 checked)", "Mbit/s", ref, z,
                    note.empty() ? "reference: kernel routing, same namespaces; both ends hash" : note});
    double raw_ref = 0, raw_z = 0;
    bool through = true;  // the DVA1 transfers went through the stack, the reference's did not
    for (int round = 0; round < 2; ++round) {
        auto b0 = into_stack(p);
        raw_ref = std::max(raw_ref, raw_transfer(p, p.mvs1, "198.18.4.1", 5003, 1ull << 30));
        auto b1 = into_stack(p);
        raw_z = std::max(raw_z, raw_transfer(p, p.mvs1, "198.18.2.1", 5004, 1ull << 30));
        auto b2 = into_stack(p);
        through = through && b1 - b0 < (1ull << 20) && b2 - b1 >= (1ull << 30);
    }
    if (!through) note = "PATHS MIXED: the reference went through the stack or DVA1's did not";
    rows.push_back({"bulk TCP client -> DVA1 (1 GiB, no checksum), TUN/TAP offloads", "Mbit/s", raw_ref, raw_z,
                    !note.empty()            ? note
                    : raw_ref > 0 && raw_z > 0 ? "reference: kernel routing, same namespaces"
                                               : "a transfer failed"});
    s1.terminate(5s);
    // The same without offloads: one packet per read and write.
    auto s0 = p.start("MVS1", false);
    double plain = 0;
    if (p.wait_log("MVS1", "EZD1214I", 20s, "-nooff")) {
        for (int round = 0; round < 2; ++round) {
            auto b1 = into_stack(p);
            plain = std::max(plain, raw_transfer(p, p.mvs1, "198.18.2.1", 5005, 1ull << 30));
            if (into_stack(p) - b1 < (1ull << 30)) plain = 0;
        }
    }
    rows.push_back({"bulk TCP client -> DVA1 (1 GiB, no checksum), --no-offload", "Mbit/s", raw_ref, plain,
                    plain > 0 ? "reference: the kernel routing run above" : "the transfer failed"});
    s0.terminate(5s);
}

/// In the client namespace: connect to @p addr:@p port until one succeeds; prints the
/// CLOCK_MONOTONIC nanoseconds at which it did (0: never, within 20 s).
int first_connect(const char* addr, int port) {
    auto until = clock_type::now() + 20s;
    sockaddr_in a = zplex::e2e::socket_address(addr, static_cast<std::uint16_t>(port));
    while (clock_type::now() < until) {
        int s = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
        pollfd pf{s, POLLOUT, 0};
        int err = 1;
        if (::poll(&pf, 1, 20) == 1) {
            socklen_t l = sizeof err;
            ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &l);
        }
        ::close(s);
        if (err == 0) {
            std::printf("%lld\n", static_cast<long long>(clock_type::now().time_since_epoch().count()));
            return 0;
        }
        std::this_thread::sleep_for(2ms);
    }
    std::printf("0\n");
    return 1;
}

/// A listener on every address of the namespace (DVA1 included once it is added).
int listen_any(int port) {
    int l = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(l, 64) != 0) return 3;
    while (true) {
        int c = ::accept(l, nullptr, nullptr);
        if (c >= 0) ::close(c);
    }
}

void takeover(std::vector<row>& rows) {
    plex p("k");
    auto s1 = p.start("MVS1");
    if (!p.wait_log("MVS1", "EZD1214I")) return rows.push_back({"SIGKILL -> first connection", "ms", 300, 0, "no start"});
    auto s2 = p.start("MVS2");
    if (!p.wait_log("MVS2", "EZD1214I")) return rows.push_back({"SIGKILL -> first connection", "ms", 300, 0, "no start"});
    // The client has talked to DVA1 on MVS1, so its ARP cache points there.
    zplex::e2e::ping_until(p.client, "198.18.0.101", "198.18.2.1", 10s);
    auto server = zplex::e2e::child_process::spawn([] { return listen_any(7000); }, p.mvs2.name());
    auto t0 = clock_type::now();
    ::kill(s1.pid(), SIGKILL);  // the child this benchmark started
    auto c = zplex::e2e::child_process::spawn([] { return first_connect("198.18.2.1", 7000); }, p.client.name());
    auto r = c.wait(30s);
    long long at = std::atoll(r.out.c_str());
    double ms = at > 0 ? static_cast<double>(at - t0.time_since_epoch().count()) / 1e6 : 0;
    rows.push_back({"SIGKILL of DVA1's owner -> first connection via MVS2", "ms", 300, ms,
                    at > 0 ? "reference: the goal (INTERVAL 300 ms)" : "no connection within 20 s"});
    server.terminate(1s);
    s2.terminate(5s);
}

/// Part 4: MVS1 under Hercules, its stack attached; `stop` at its console.
void stopped_cpu(std::vector<row>& rows) {
    const char* what = "stopped CPU of DVA1's owner -> first connection via MVS2";
    if (auto why = zplex::test::hercules_missing(); !why.empty())
        return rows.push_back({what, "ms", 600, 0, "not measured: " + why});
    zplex::test::hercules_sysplex herc(std::chrono::milliseconds(300));  // FIG4's INTERVAL
    std::string err;
    if (!herc.join_host(err) || !herc.start_images(1, err)) return rows.push_back({what, "ms", 600, 0, "no image: " + err});
    zplex::e2e::stack_plex p("bh", herc.ns, herc.dir / "catalogue");
    fs::copy_file(herc.key_file, p.catalogue / "SYS1.XCF.KEY", fs::copy_options::overwrite_existing);
    auto s1 = p.start("MVS1", {"--attach-image"});
    if (!p.wait_log("MVS1", "EZD1214I")) return rows.push_back({what, "ms", 600, 0, "no start"});
    auto s2 = p.start("MVS2");
    if (!p.wait_log("MVS2", "EZD1214I")) return rows.push_back({what, "ms", 600, 0, "no start"});
    auto& client = p.client(1);
    zplex::e2e::ping_until(client, "198.18.0.101", "198.18.2.1", 10s);
    auto server = zplex::e2e::child_process::spawn([] { return listen_any(7000); }, p.image("MVS2").name());
    auto t0 = clock_type::now();
    if (zplex::hercules::console(herc.images[0].dir, "stop").empty())
        return rows.push_back({what, "ms", 600, 0, "MVS1's console did not answer"});
    auto c = zplex::e2e::child_process::spawn([] { return first_connect("198.18.2.1", 7000); }, client.name());
    auto r = c.wait(30s);
    long long at = std::atoll(r.out.c_str());
    double ms = at > 0 ? static_cast<double>(at - t0.time_since_epoch().count()) / 1e6 : 0;
    rows.push_back({what, "ms", 600, ms, at > 0 ? "reference: the goal (INTERVAL 300 ms + 300 ms)" : "no connection within 20 s"});
    server.terminate(1s);
    s2.terminate(5s);
    s1.terminate(5s);
}

}  // namespace

int main() {
    std::vector<row> rows;
    in_process(rows);
    std::string why;
    if (!zplex::e2e::can_use_netns(&why) || !fs::exists("/dev/net/tun")) {
        rows.push_back({"bulk TCP client -> DVA1", "Mbit/s", 0, 0, "not measured: " + (why.empty() ? "no /dev/net/tun" : why)});
    } else {
        zplex::e2e::sweep_stale_netns();
        throughput(rows);
        takeover(rows);
        stopped_cpu(rows);
    }
    std::puts("| case | unit | reference | zplex | ratio | note |");
    std::puts("|---|---|---|---|---|---|");
    for (const auto& r : rows) {
        auto fmtv = [&](double v) {
            if (r.unit != "packets/s") return fmt::format("{:.0f}", v);
            return v >= 1e6 ? fmt::format("{:.2f} M", v / 1e6) : v >= 1e4 ? fmt::format("{:.1f} k", v / 1e3) : fmt::format("{:.1f}", v);
        };
        std::printf("| %s | %s | %s | %s | %.2f | %s |\n", r.what.c_str(), r.unit.c_str(), fmtv(r.reference).c_str(),
                    fmtv(r.zplex).c_str(), r.reference > 0 ? r.zplex / r.reference : 0.0, r.note.c_str());
    }
    return 0;
}
