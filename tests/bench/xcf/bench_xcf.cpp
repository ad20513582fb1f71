// SPDX-License-Identifier: Apache-2.0
// XCF benchmark: messages/s and round-trip latency through zplex XCF (sealed with
// AES-256-GCM, fragmented, ordered) against Boost.Interprocess message_queue (plain
// copies through a mutex-protected queue) in the same run.
#include <zplex/xcf/xcf.hpp>

#include <boost/interprocess/ipc/message_queue.hpp>

#include <fmt/format.h>

#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace bip = boost::interprocess;
namespace xcf = zplex::xcf;
using clock_type = std::chrono::steady_clock;

namespace {

xcf::sysplex_options g_opts;

double secs_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

/// A process that runs @p f and exits.
template <class F>
pid_t child(F f) {
    pid_t p = ::fork();
    if (p == 0) {
        f();
        ::_exit(0);
    }
    return p;
}

// ---------------------------------------------------------------- zplex XCF

struct xcf_result {
    double msgs_per_s;
    double rtt_us;
};

/// @p procs members all-to-all (2 = one pair), @p n messages per sender per peer;
/// @p how: sealed (member::send) or integrity-only (member::send_integrity_only).
double xcf_throughput(int procs, std::size_t size, int n, xcf::protection how = xcf::protection::sealed) {
    std::vector<pid_t> pids;
    auto t0 = clock_type::now();
    for (int p = 0; p < procs; ++p) {
        pids.push_back(child([=] {
            std::unique_ptr<xcf::system> sys;
            xcf::system::join(g_opts, "S" + std::to_string(p), sys);
            std::unique_ptr<xcf::member> m;
            xcf::member::join(*sys, "BENCH", "M" + std::to_string(p), 0, m);
            while (m->query().size() < static_cast<std::size_t>(procs)) {
            }
            std::vector<std::uint8_t> msg(size, 1), got;
            std::string from;
            int expect = n * (procs - 1);
            int received = 0;
            int fins = 0;
            auto take = [&](std::chrono::milliseconds wait) {
                if (!m->receive(got, from, wait)) {
                    return false;
                }
                if (got.size() == 1 && got[0] == 0xff) {
                    ++fins;  // a peer is done sending
                } else {
                    ++received;
                }
                return true;
            };
            for (int i = 0; i < n; ++i) {
                for (int q = 0; q < procs; ++q) {
                    if (q != p && how == xcf::protection::sealed) {
                        m->send("M" + std::to_string(q), msg);
                    } else if (q != p) {
                        m->send_integrity_only("M" + std::to_string(q), msg);
                    }
                }
                while (take(std::chrono::milliseconds(0))) {
                }
            }
            while (received < expect && take(std::chrono::seconds(5))) {
            }
            // Stay until everyone is done so nobody sends to a member that left.
            m->send("", std::vector<std::uint8_t>(1, 0xff));
            while (fins < procs - 1 && take(std::chrono::seconds(5))) {
            }
        }));
    }
    for (auto p : pids) {
        ::waitpid(p, nullptr, 0);
    }
    return static_cast<double>(procs) * (procs - 1) * n / secs_since(t0);
}

double xcf_rtt(std::size_t size, int n) {
    pid_t echo = child([=] {
        std::unique_ptr<xcf::system> sys;
        xcf::system::join(g_opts, "ECHO", sys);
        std::unique_ptr<xcf::member> m;
        xcf::member::join(*sys, "RTT", "ECHO", 0, m);
        std::vector<std::uint8_t> got;
        std::string from;
        for (int i = 0; i < n; ++i) {
            if (!m->receive(got, from, std::chrono::seconds(5))) {
                break;
            }
            m->send(from, got);
        }
    });
    std::unique_ptr<xcf::system> sys;
    xcf::system::join(g_opts, "PING", sys);
    std::unique_ptr<xcf::member> m;
    xcf::member::join(*sys, "RTT", "PING", 0, m);
    while (m->query().size() < 2) {
    }
    std::vector<std::uint8_t> msg(size, 2), got;
    std::string from;
    std::vector<double> rtts;
    for (int i = 0; i < n; ++i) {
        auto t = clock_type::now();
        m->send("ECHO", msg);
        m->receive(got, from, std::chrono::seconds(5));
        rtts.push_back(secs_since(t) * 1e6);
    }
    ::waitpid(echo, nullptr, 0);
    std::sort(rtts.begin(), rtts.end());
    return rtts[rtts.size() / 2];
}

// ---------------------------------------------------------------- Boost message_queue

std::string g_mq_base;  // set once in the parent: children share the names
std::string mq_name(int i) { return g_mq_base + "q" + std::to_string(i); }

double mq_throughput(int procs, std::size_t size, int n) {
    for (int q = 0; q < procs; ++q) {
        bip::message_queue::remove(mq_name(q).c_str());
        bip::message_queue(bip::create_only, mq_name(q).c_str(), 64, size);
    }
    std::vector<pid_t> pids;
    auto t0 = clock_type::now();
    for (int p = 0; p < procs; ++p) {
        pids.push_back(child([=] {
            std::vector<std::unique_ptr<bip::message_queue>> qs;
            for (int q = 0; q < procs; ++q) {
                qs.push_back(std::make_unique<bip::message_queue>(bip::open_only, mq_name(q).c_str()));
            }
            std::vector<std::uint8_t> msg(size, 1), got(size);
            int expect = n * (procs - 1);
            int received = 0;
            bip::message_queue::size_type rs;
            unsigned prio;
            for (int i = 0; i < n; ++i) {
                for (int q = 0; q < procs; ++q) {
                    if (q == p) {
                        continue;
                    }
                    while (!qs[static_cast<std::size_t>(q)]->try_send(msg.data(), size, 0)) {
                        if (qs[static_cast<std::size_t>(p)]->try_receive(got.data(), size, rs, prio)) {
                            ++received;
                        }
                    }
                }
                while (qs[static_cast<std::size_t>(p)]->try_receive(got.data(), size, rs, prio)) {
                    ++received;
                }
            }
            while (received < expect) {
                qs[static_cast<std::size_t>(p)]->receive(got.data(), size, rs, prio);
                ++received;
            }
        }));
    }
    for (auto p : pids) {
        ::waitpid(p, nullptr, 0);
    }
    double r = static_cast<double>(procs) * (procs - 1) * n / secs_since(t0);
    for (int q = 0; q < procs; ++q) {
        bip::message_queue::remove(mq_name(q).c_str());
    }
    return r;
}

double mq_rtt(std::size_t size, int n) {
    bip::message_queue::remove(mq_name(100).c_str());
    bip::message_queue::remove(mq_name(101).c_str());
    bip::message_queue a(bip::create_only, mq_name(100).c_str(), 4, size);
    bip::message_queue b(bip::create_only, mq_name(101).c_str(), 4, size);
    pid_t echo = child([=] {
        bip::message_queue in(bip::open_only, mq_name(100).c_str());
        bip::message_queue out(bip::open_only, mq_name(101).c_str());
        std::vector<std::uint8_t> got(size);
        bip::message_queue::size_type rs;
        unsigned prio;
        for (int i = 0; i < n; ++i) {
            in.receive(got.data(), size, rs, prio);
            out.send(got.data(), rs, 0);
        }
    });
    std::vector<std::uint8_t> msg(size, 2), got(size);
    bip::message_queue::size_type rs;
    unsigned prio;
    std::vector<double> rtts;
    for (int i = 0; i < n; ++i) {
        auto t = clock_type::now();
        a.send(msg.data(), size, 0);
        b.receive(got.data(), size, rs, prio);
        rtts.push_back(secs_since(t) * 1e6);
    }
    ::waitpid(echo, nullptr, 0);
    bip::message_queue::remove(mq_name(100).c_str());
    bip::message_queue::remove(mq_name(101).c_str());
    std::sort(rtts.begin(), rtts.end());
    return rtts[rtts.size() / 2];
}

}  // namespace

int main() {
    g_opts.sysplex = "XBENCH" + std::to_string(::getpid());
    g_mq_base = "zplexbench" + std::to_string(::getpid());
    g_opts.interval = std::chrono::milliseconds(2000);
    RAND_bytes(g_opts.key.data(), static_cast<int>(g_opts.key.size()));
    // A system that holds the couple dataset for the whole run.
    std::unique_ptr<xcf::system> holder;
    xcf::system::join(g_opts, "HOLDER", holder);

    fmt::print("XCF SIGNALLING (zplex: AES-256-GCM sealed, ordered, fragmented; reference: Boost message_queue)\n");
    fmt::print("  {:<30} {:>8} {:>16} {:>16} {:>8}\n", "case", "size", "reference", "zplex", "ratio");
    for (std::size_t size : {std::size_t{64}, std::size_t{64 * 1024}}) {
        int n = size == 64 ? 20000 : 400;
        double r = mq_throughput(2, size, n);
        double z = xcf_throughput(2, size, n);
        fmt::print("  {:<30} {:>6} B {:>12.0f} m/s {:>12.0f} m/s {:>7.2f}\n", "one pair, both directions", size, r, z, z / r);
        n = size == 64 ? 4000 : 100;
        r = mq_throughput(5, size, n);
        z = xcf_throughput(5, size, n);
        fmt::print("  {:<30} {:>6} B {:>12.0f} m/s {:>12.0f} m/s {:>7.2f}\n", "5 members all-to-all", size, r, z, z / r);
        int rt = size == 64 ? 2000 : 200;
        double rr = mq_rtt(size, rt);
        double zr = xcf_rtt(size, rt);
        fmt::print("  {:<30} {:>6} B {:>13.1f} us {:>13.1f} us {:>7.2f}\n", "round trip, median", size, rr, zr, zr / rr);
    }
    // The dynamic XCF link's forwarded LAN packets (docs/xcf.md, "Message protection"):
    // one pair, both directions, sealed and integrity-only interleaved in the same run.
    fmt::print("XCF INTEGRITY-ONLY (GMAC, the message as it is) vs SEALED, one pair both directions, median of 3\n");
    fmt::print("  {:<30} {:>8} {:>16} {:>16} {:>8}\n", "case", "size", "sealed", "integrity-only", "ratio");
    for (std::size_t size : {std::size_t{1500}, std::size_t{16 * 1024}, std::size_t{64 * 1024}}) {
        int n = size == 1500 ? 10000 : size == 16 * 1024 ? 2000 : 600;
        std::vector<double> sealed, integrity;
        for (int i = 0; i < 3; ++i) {
            sealed.push_back(xcf_throughput(2, size, n));
            integrity.push_back(xcf_throughput(2, size, n, xcf::protection::integrity_only));
        }
        std::sort(sealed.begin(), sealed.end());
        std::sort(integrity.begin(), integrity.end());
        double s = sealed[1], z = integrity[1];
        fmt::print("  {:<30} {:>6} B {:>8.0f} MB/s {:>11.0f} MB/s {:>7.2f}\n", "one pair, both directions", size,
                   s * static_cast<double>(size) / 1e6, z * static_cast<double>(size) / 1e6, z / s);
    }
    return 0;
}
