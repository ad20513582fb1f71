// SPDX-License-Identifier: Apache-2.0
// zplex host mode <-> zplex host mode: two zplex-host processes with statically keyed
// AES-GCM-128 SAs, each owning a TUN in its namespace; the kernels route the inner
// addresses into the TUNs, the hosts carry them as ESP in UDP 4500 (RFC 3948):
//
//   a: 198.18.20.1 (lo) -- zpx0 -- zplex-host 198.18.10.1:4500 ==veth== 198.18.10.2:4500 zplex-host -- zpx0 -- 198.18.21.1 :b
#include <zplex/e2e/two_host_test.hpp>
#include <zplex/e2e/ipsec_pairs.hpp>
#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/traffic.hpp>
#include <zplex/e2e/zplex_host.hpp>
#include <zplex/host/host.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <new>
#include <thread>

// The replacements below pair malloc with free; GCC cannot see that they match.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

// Every allocation of this test binary is counted, so a test can show that host mode's
// per-packet path does not allocate.
namespace {
std::atomic<std::uint64_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) {
        return p;
    }
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace zplex::e2e {
namespace {

namespace fs = std::filesystem;

class host_e2e : public two_host_test {
protected:
    host_e2e() : two_host_test(needs::tun) {}
    // The pair of ipsec_pairs.hpp: SPIs 0xc0de0a01 (b -> a) and 0xc0de0b01 (a -> b), AES-GCM-128.
    zplex_host_options side_a() const { return host_pair::side_a(fs::path(ZPLEX_BINARY_DIR) / "bin" / "zplex-host"); }
    zplex_host_options side_b() const { return host_pair::side_b(fs::path(ZPLEX_BINARY_DIR) / "bin" / "zplex-host"); }
};

TEST_F(host_e2e, static_sas_ping_and_tcp) {
    za = std::make_unique<zplex_host_process>(hosts->a, dir / "a", side_a());
    zb = std::make_unique<zplex_host_process>(hosts->b, dir / "b", side_b());

    ASSERT_TRUE(ping_until(hosts->a, two_hosts::inner_a, two_hosts::inner_b));
    EXPECT_EQ(ping(hosts->a, two_hosts::inner_a, two_hosts::inner_b, 5), 5);
    EXPECT_EQ(ping(hosts->b, two_hosts::inner_b, two_hosts::inner_a, 3), 3);

    constexpr std::uint64_t size = 8u << 20;
    auto t = tcp_transfer(hosts->b, two_hosts::inner_b, 5001, hosts->a, two_hosts::inner_a, size);
    ASSERT_TRUE(t.ok) << t.error;
    std::printf("zplex<->zplex: %llu bytes in %.3f s = %.1f Mbit/s\n",
                static_cast<unsigned long long>(t.bytes_received), t.seconds, t.mbit_per_s());

    auto ra = za->stop();
    auto rb = zb->stop();
    ASSERT_EQ(ra.status, 0) << ra.out;
    ASSERT_EQ(rb.status, 0) << rb.out;
    std::printf("--- a\n%s--- b\n%s", ra.out.c_str(), rb.out.c_str());
    auto ca = parse_host_counters(ra.out);
    auto cb = parse_host_counters(rb.out);
    EXPECT_GE(ca["child 1 out bytes"], size);
    EXPECT_GE(cb["child 1 in bytes"], size);
    EXPECT_GE(ca["esp_sent"], cb["esp_received"]);
    EXPECT_EQ(cb["esp_received"], cb["tun_out"] + cb["drop ESPIN"] + cb["drop NOSAIN"] + cb["drop INNERPOLICY"] +
                                      cb["drop TUNWRITE"]);
    EXPECT_EQ(cb["drop ESPIN"], 0u);
    EXPECT_EQ(cb["drop INNERPOLICY"], 0u);
    EXPECT_EQ(ca["drop ESPIN"], 0u);
}

/// side_a()/side_b() as an AH+ESP bundle: AH (HMAC-SHA-256) over the same ESP pair.
zplex_host_options with_ah(zplex_host_options o, bool a_side) {
    o.ah_spi_in = a_side ? 0xa4000a01 : 0xa4000b01;
    o.ah_spi_out = a_side ? 0xa4000b01 : 0xa4000a01;
    const std::string to_a = "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f";
    const std::string to_b = "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f";
    o.ah_key_in = a_side ? to_a : to_b;
    o.ah_key_out = a_side ? to_b : to_a;
    return o;
}

// An AH+ESP bundle each way (ESP tunnel inside, AH outside, IP protocol 51 on a raw
// socket): ping and TCP pass, every packet under both SAs, none dropped.
TEST_F(host_e2e, ah_esp_bundle_carries_ping_and_tcp) {
    za = std::make_unique<zplex_host_process>(hosts->a, dir / "a", with_ah(side_a(), true));
    zb = std::make_unique<zplex_host_process>(hosts->b, dir / "b", with_ah(side_b(), false));
    ASSERT_TRUE(ping_until(hosts->a, two_hosts::inner_a, two_hosts::inner_b));
    EXPECT_EQ(ping(hosts->a, two_hosts::inner_a, two_hosts::inner_b, 5), 5);
    EXPECT_EQ(ping(hosts->b, two_hosts::inner_b, two_hosts::inner_a, 3), 3);
    constexpr std::uint64_t size = 1u << 20;
    auto t = tcp_transfer(hosts->b, two_hosts::inner_b, 5002, hosts->a, two_hosts::inner_a, size);
    ASSERT_TRUE(t.ok) << t.error;
    auto ra = za->stop();
    auto rb = zb->stop();
    ASSERT_EQ(ra.status, 0) << ra.out;
    ASSERT_EQ(rb.status, 0) << rb.out;
    auto ca = parse_host_counters(ra.out);
    auto cb = parse_host_counters(rb.out);
    EXPECT_GE(cb["child 1 in bytes"], size) << rb.out;
    EXPECT_GE(ca["child 1 out bytes"], size) << ra.out;
    for (auto* c : {&ca, &cb}) {
        EXPECT_EQ((*c)["drop ESPIN"], 0u) << ra.out << rb.out;
        EXPECT_EQ((*c)["drop NOSAIN"], 0u) << ra.out << rb.out;
        EXPECT_EQ((*c)["drop SENDERR"], 0u) << ra.out << rb.out;
        EXPECT_EQ((*c)["drop INNERPOLICY"], 0u) << ra.out << rb.out;
    }
}

// A peer that sends ESP alone where the policy says AH+ESP: every packet dropped and
// counted (BUNDLE), none delivered.
TEST_F(host_e2e, esp_without_the_bundles_ah_is_dropped_as_bundle) {
    za = std::make_unique<zplex_host_process>(hosts->a, dir / "a", side_a());
    zb = std::make_unique<zplex_host_process>(hosts->b, dir / "b", with_ah(side_b(), false));
    EXPECT_EQ(ping(hosts->a, two_hosts::inner_a, two_hosts::inner_b, 3, 300ms), 0);
    auto rb = zb->stop();
    auto cb = parse_host_counters(rb.out);
    EXPECT_GE(cb["esp_drop BUNDLE"], 3u) << rb.out;
    EXPECT_GE(cb["drop ESPIN"], 3u) << rb.out;
    EXPECT_EQ(cb["tun_out"], 0u) << rb.out;
}

TEST_F(host_e2e, wrong_key_is_counted_not_delivered) {
    auto a = side_a();
    za = std::make_unique<zplex_host_process>(hosts->a, dir / "a", a);
    auto b = side_b();
    b.key_in = "ffffffffffffffffffffffffffffffffb0b1b2b3";  // not what a encrypts with
    zb = std::make_unique<zplex_host_process>(hosts->b, dir / "b", b);
    EXPECT_EQ(ping(hosts->a, two_hosts::inner_a, two_hosts::inner_b, 3, 300ms), 0);
    auto rb = zb->stop();
    auto cb = parse_host_counters(rb.out);
    EXPECT_GE(cb["drop ESPIN"], 3u) << rb.out;
    EXPECT_GE(cb["esp_drop INTEGRITY"], 3u) << rb.out;
    EXPECT_EQ(cb["tun_out"], 0u);
}

/// Ask zplex-host for its counters (SIGUSR1) until @p done holds for them, or @p bound
/// passes: a condition, not a fixed sleep, so a loaded machine only makes it slower.
template <typename F>
bool counters_reach(const zplex_host_process& p, F done, std::chrono::seconds bound = 60s) {
    auto deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
        auto before = p.output().size();
        ::kill(p.pid(), SIGUSR1);
        for (int i = 0; i < 500 && p.output().size() == before; ++i) {
            std::this_thread::sleep_for(10ms);  // until the dump is written
        }
        auto c = parse_host_counters(p.output());  // the last dump wins
        if (done(c)) {
            return true;
        }
        std::this_thread::sleep_for(100ms);
    }
    return false;
}

/// Until @p ns has UDP sockets bound on 500 and 4500 (bounded).
bool ike_ports_open(const netns& ns) {
    for (int i = 0; i < 1000; ++i) {
        auto r = ns.exec({"ss", "-Hlun"});
        if (r.out.find(":500 ") != std::string::npos && r.out.find(":4500 ") != std::string::npos) {
            return true;
        }
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

TEST_F(host_e2e, unknown_spi_and_unrouted_traffic_are_counted) {
    auto a = side_a();
    za = std::make_unique<zplex_host_process>(hosts->a, dir / "a", a);
    auto b = side_b();
    b.spi_in = 0x0badbad0;  // a sends on 0xc0de0b01, which b does not know
    b.keepalive = 1;        // and b keeps a NAT binding alive (RFC 3948 §2.3)
    zb = std::make_unique<zplex_host_process>(hosts->b, dir / "b", b);
    EXPECT_EQ(ping(hosts->a, two_hosts::inner_a, two_hosts::inner_b, 2, 300ms), 0);
    // Outside the SA's selectors: routed into the TUN, but no policy covers it.
    hosts->a.ip({"route", "add", "198.18.22.0/24", "dev", "zpx0", "src", two_hosts::inner_a});
    EXPECT_EQ(ping(hosts->a, two_hosts::inner_a, "198.18.22.1", 2, 300ms), 0);
    using counters = std::map<std::string, std::uint64_t>;
    ASSERT_TRUE(counters_reach(*zb, [](counters& c) { return c["keepalives"] >= 1; })) << zb->output();
    auto rb = zb->stop();
    auto sent = parse_host_counters(rb.out)["keepalives"];
    // a has taken every keepalive b sent (they may still be in flight when b stops).
    EXPECT_TRUE(counters_reach(*za, [&](counters& c) { return c["drop KEEPALIVE"] >= sent; })) << za->output();
    auto ra = za->stop();
    auto ca = parse_host_counters(ra.out);
    auto cb = parse_host_counters(rb.out);
    EXPECT_GE(cb["drop NOSAIN"], 2u) << rb.out;
    EXPECT_GE(ca["drop POLICYDENY"], 2u) << ra.out;
    EXPECT_GE(cb["keepalives"], 1u) << rb.out;
    EXPECT_EQ(ca["drop KEEPALIVE"], cb["keepalives"]) << ra.out;
}

/// Send @p msg from @p src:@p sport to @p dst:@p dport; the reply's bytes, or "" after 2 s.
std::string udp_exchange(const std::string& src, std::uint16_t sport, const std::string& dst, std::uint16_t dport,
                         const std::string& msg) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(sport);
    a.sin_addr.s_addr = htonl(parse_ipv4(src));
    sockaddr_in d = a;
    d.sin_port = htons(dport);
    d.sin_addr.s_addr = htonl(parse_ipv4(dst));
    std::string reply;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&d), sizeof d) >= 0) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 2000) == 1) {
            char buf[2048];
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n > 0) {
                reply.assign(buf, static_cast<std::size_t>(n));
            }
        }
    }
    ::close(fd);
    return reply;
}

// The IKE hook: datagrams on 500, and on 4500 behind the non-ESP marker (RFC 3948 §2.2),
// go to the engine's callback; what the engine sends on 4500 gets the marker. A
// NAT-keepalive (one 0xff octet) is consumed. The engine here echoes "re:" + message.
TEST_F(host_e2e, ike_datagrams_reach_the_engine_callback) {
    const std::string marker(4, '\0');
    auto engine = child_process::spawn(
        [] {
            host::host_config hc;
            hc.local_addr = parse_ipv4(two_hosts::outer_a);
            auto h = host::host::create(hc);
            h->set_ike_handler([&](std::uint16_t port, std::uint32_t peer, std::uint16_t peer_port,
                                   std::span<const std::uint8_t> m) {
                std::string r = "re:" + std::string(m.begin(), m.end());
                h->send_ike(port, peer, peer_port, std::span(reinterpret_cast<const std::uint8_t*>(r.data()), r.size()));
            });
            auto deadline = std::chrono::steady_clock::now() + 8s;
            while (std::chrono::steady_clock::now() < deadline && h->stats().ike_in < 2) {
                h->run_once(100);
            }
            h->run_once(200);  // the keepalive
            std::printf("%s", h->format_counters().c_str());
            return h->stats().ike_in == 2 && h->stats().ike_out == 2 ? 0 : 1;
        },
        hosts->a.name());
    ASSERT_TRUE(ike_ports_open(hosts->a)) << "the engine's sockets did not open";
    auto on_500 = child_process::spawn(
        [] {
            std::printf("%s", udp_exchange(two_hosts::outer_b, 500, two_hosts::outer_a, 500, "IKE_SA_INIT").c_str());
            return 0;
        },
        hosts->b.name()).wait(5s);
    auto on_4500 = child_process::spawn(
        [marker] {
            std::string r = udp_exchange(two_hosts::outer_b, 4500, two_hosts::outer_a, 4500, marker + "IKE_AUTH");
            bool marked = r.size() > 4 && r.compare(0, 4, marker) == 0;
            std::printf("%s%s", marked ? "marked:" : "unmarked:", r.substr(marked ? 4 : 0).c_str());
            udp_exchange(two_hosts::outer_b, 4500, two_hosts::outer_a, 4500, "\xff");  // NAT-keepalive
            return 0;
        },
        hosts->b.name()).wait(8s);
    auto e = engine.wait(15s);
    EXPECT_EQ(on_500.out, "re:IKE_SA_INIT");
    EXPECT_EQ(on_4500.out, "marked:re:IKE_AUTH");
    EXPECT_EQ(e.status, 0) << e.out;
    auto c = parse_host_counters(e.out);
    EXPECT_EQ(c["ike_in"], 2u) << e.out;
    EXPECT_EQ(c["ike_out"], 2u) << e.out;
    EXPECT_EQ(c["drop KEEPALIVE"], 1u) << e.out;
}

// The steady state does not allocate: host mode in this process (a child in namespace a)
// against zplex-host in b; after a warm-up, 200 echo requests and replies (TUN -> ESP ->
// UDP and UDP -> ESP -> TUN) pass without one call of operator new.
TEST_F(host_e2e, per_packet_path_does_not_allocate) {
    zb = std::make_unique<zplex_host_process>(hosts->b, dir / "b", side_b());
    auto a = side_a();
    auto engine = child_process::spawn(
        [a] {
            host::host_config hc;
            hc.local_addr = parse_ipv4(a.local);
            auto h = host::host::create(hc);
            host::child_config cc;
            cc.peer_addr = parse_ipv4(a.peer);
            cc.local_ts.addr = parse_ipv4(two_hosts::inner_a);
            cc.remote_ts.addr = parse_ipv4(two_hosts::inner_b);
            cc.inbound.spi = a.spi_in;
            cc.outbound.spi = a.spi_out;
            for (auto [sa, key] : {std::pair{&cc.inbound, a.key_in}, std::pair{&cc.outbound, a.key_out}}) {
                for (std::size_t i = 0; i < key.size(); i += 2) {
                    sa->key.push_back(static_cast<std::uint8_t>(std::stoul(key.substr(i, 2), nullptr, 16)));
                }
            }
            if (h->add_child(cc) == 0) {
                return 2;
            }
            std::printf("ready\n");
            std::fflush(stdout);
            auto deadline = std::chrono::steady_clock::now() + 120s;  // a bound, not a timing
            std::uint64_t before = 0;
            bool warm = false;
            while (std::chrono::steady_clock::now() < deadline && h->stats().tun_out < 220) {
                h->run_once(50);
                if (!warm && h->stats().tun_out >= 20) {
                    warm = true;
                    before = g_allocations.load();
                }
            }
            std::uint64_t after = g_allocations.load();
            std::printf("allocations %llu packets %llu\n", static_cast<unsigned long long>(after - before),
                        static_cast<unsigned long long>(h->stats().tun_out.load()));
            return warm && h->stats().tun_out >= 220 && after == before ? 0 : 1;
        },
        hosts->a.name(), dir / "engine.out");
    for (int i = 0; i < 1000 && !hosts->a.exec({"ip", "link", "show", "zpx0"}).ok(); ++i) {
        std::this_thread::sleep_for(20ms);
    }
    hosts->a.ip({"route", "add", std::string(two_hosts::inner_b) + "/32", "dev", "zpx0", "src", two_hosts::inner_a});
    ASSERT_TRUE(ping_until(hosts->a, two_hosts::inner_a, two_hosts::inner_b));
    for (int i = 0; i < 12; ++i) {
        ping(hosts->a, two_hosts::inner_a, two_hosts::inner_b, 20, 200ms);
    }
    auto e = engine.wait(120s);
    std::ifstream f(dir / "engine.out");
    std::string out;
    for (std::string line; std::getline(f, line);) {
        out += line + "\n";
    }
    EXPECT_EQ(e.status, 0) << out;
    EXPECT_NE(out.find("allocations 0 "), std::string::npos) << out;
}

/// The child_config of side_a()'s options.
host::child_config child_of(const zplex_host_options& a) {
    host::child_config cc;
    cc.peer_addr = parse_ipv4(a.peer);
    cc.local_ts.addr = parse_ipv4(two_hosts::inner_a);
    cc.remote_ts.addr = parse_ipv4(two_hosts::inner_b);
    cc.inbound.spi = a.spi_in;
    cc.outbound.spi = a.spi_out;
    for (auto [sa, key] : {std::pair{&cc.inbound, a.key_in}, std::pair{&cc.outbound, a.key_out}}) {
        for (std::size_t i = 0; i < key.size(); i += 2) {
            sa->key.push_back(static_cast<std::uint8_t>(std::stoul(key.substr(i, 2), nullptr, 16)));
        }
    }
    return cc;
}

// Rekey, make before break: a holds an old pair b no longer knows and the new pair b
// has; traffic takes the newest. Removing the new pair falls back to the old one, which
// b cannot place (NOSAIN).
TEST_F(host_e2e, newest_child_sa_carries_the_traffic) {
    zb = std::make_unique<zplex_host_process>(hosts->b, dir / "b", side_b());
    auto a = side_a();
    fs::create_directories(dir);
    fs::path trigger = dir / "remove-now";
    auto engine = child_process::spawn(
        [a, trigger] {
            host::host_config hc;
            hc.local_addr = parse_ipv4(a.local);
            auto h = host::host::create(hc);
            auto old = a;
            old.spi_in = 0xdead0a01;
            old.spi_out = 0xdead0b01;
            if (h->add_child(child_of(old)) == 0) {
                return 2;
            }
            auto fresh = h->add_child(child_of(a));
            if (fresh == 0 || h->add_child(child_of(a)) != 0) {  // an inbound SPI in use is refused
                return 3;
            }
            auto deadline = std::chrono::steady_clock::now() + 60s;
            while (std::chrono::steady_clock::now() < deadline && !fs::exists(trigger)) {
                h->run_once(50);
            }
            h->remove_child(fresh);
            std::printf("removed\n");
            std::fflush(stdout);
            // Serve until the test has sent its pings (a file, not a fixed time).
            auto until = std::chrono::steady_clock::now() + 60s;
            while (std::chrono::steady_clock::now() < until && !fs::exists(fs::path(trigger).concat(".done"))) {
                h->run_once(50);
            }
            std::printf("%s", h->format_counters().c_str());
            return 0;
        },
        hosts->a.name(), dir / "engine.out");
    for (int i = 0; i < 1000 && !hosts->a.exec({"ip", "link", "show", "zpx0"}).ok(); ++i) {
        std::this_thread::sleep_for(20ms);
    }
    hosts->a.ip({"route", "add", std::string(two_hosts::inner_b) + "/32", "dev", "zpx0", "src", two_hosts::inner_a});
    ASSERT_TRUE(ping_until(hosts->a, two_hosts::inner_a, two_hosts::inner_b)) << "the new pair must be used";
    EXPECT_EQ(ping(hosts->a, two_hosts::inner_a, two_hosts::inner_b, 3), 3);
    std::ofstream(trigger) << "now\n";
    auto removed = [&] {
        std::ifstream f(dir / "engine.out");
        std::string l;
        return std::getline(f, l) && l == "removed";
    };
    for (int i = 0; i < 1000 && !removed(); ++i) {
        std::this_thread::sleep_for(20ms);
    }
    ASSERT_TRUE(removed());
    EXPECT_EQ(ping(hosts->a, two_hosts::inner_a, two_hosts::inner_b, 2, 300ms), 0);
    std::ofstream(fs::path(trigger).concat(".done")) << "done\n";
    auto e = engine.wait(60s);
    EXPECT_EQ(e.status, 0);
    auto rb = zb->stop();
    auto cb = parse_host_counters(rb.out);
    EXPECT_GE(cb["drop NOSAIN"], 2u) << rb.out;
}

}  // namespace
}  // namespace zplex::e2e
