// SPDX-License-Identifier: Apache-2.0
// Sysplex Distributor benchmark, in process on one core: new connections distributed per
// second (a SYN frame in: table miss, ROUNDROBIN decision, entry, IP-in-IP to the target's
// XCF link; then its RST: lookup, forward, entry freed), packets of established
// connections forwarded per second, against a plain hash map doing the same insert and
// erase of the same connection keys (the reference), and the bytes of a table entry.
// Then, as root, the same distributor end to end in namespaces: new connections/s and
// bulk TCP against an nftables DNAT balancer and direct paths (bench_distributor_namespaces.cpp).
#include "bench_distributor_namespaces.hpp"
#include "dist_single.hpp"
#include "stack_impl.hpp"

#include <zplex/e2e/netns.hpp>

#include <fmt/format.h>

#include <filesystem>

#include <chrono>
#include <cstdint>
#include <unordered_map>
#include <vector>

using namespace zplex::test;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr auto run_time = std::chrono::milliseconds(500);
constexpr std::size_t clients = 16384;

struct result {
    double per_second = 0;
    std::uint64_t count = 0;
};

template <class F>
result measure(F&& round) {
    std::uint64_t n = 0;
    auto t0 = clock_type::now();
    auto until = t0 + run_time;
    while (clock_type::now() < until) n += round();
    double s = std::chrono::duration<double>(clock_type::now() - t0).count();
    return {static_cast<double>(n) / s, n};
}

}  // namespace

int main() {
    single_distributor d(3, 65536);
    std::vector<std::vector<std::uint8_t>> syn, rst, data;
    syn.reserve(clients);
    for (std::size_t i = 0; i < clients; ++i) {
        std::uint32_t client = ip("198.18.0.0") + 16 + static_cast<std::uint32_t>(i / 4096);
        auto port = static_cast<std::uint16_t>(20000 + i % 4096);
        syn.push_back(d.client_segment(client, port, SYN));
        rst.push_back(d.client_segment(client, port, RST));
        data.push_back(d.client_segment(client, port, ACK | PSH));
    }
    auto links0 = d.io.link_packets;

    // New connections: SYN then RST, each client key once per round.
    auto decisions = measure([&] {
        for (std::size_t i = 0; i < clients; ++i) {
            d.s->lan_frame(syn[i]);
            d.s->lan_frame(rst[i]);
        }
        return std::uint64_t{clients};
    });
    auto forwarded = d.io.link_packets - links0;
    bool ok = d.s->drops()[zplex::tcpip::stack::drop::conn_table_full] == 0 && forwarded > 0;

    // Established connections: open them all once, then data segments.
    for (std::size_t i = 0; i < clients; ++i) d.s->lan_frame(syn[i]);
    auto established = measure([&] {
        for (std::size_t i = 0; i < clients; ++i) d.s->lan_frame(data[i]);
        return std::uint64_t{clients};
    });

    // Reference: the same keys into a hash map and out again.
    std::unordered_map<std::uint64_t, int> map;
    map.reserve(65536);
    std::vector<std::uint64_t> keys;
    for (std::size_t i = 0; i < clients; ++i)
        keys.push_back((std::uint64_t{ip("198.18.0.0") + 16 + static_cast<std::uint32_t>(i / 4096)} << 32) |
                       (std::uint64_t{20000 + i % 4096} << 16) | 60);
    std::uint64_t sink = 0;
    auto reference = measure([&] {
        for (auto k : keys) {
            auto [it, fresh] = map.try_emplace(k, static_cast<int>(k & 3));
            sink += static_cast<std::uint64_t>(it->second) + fresh;
            map.erase(it);
        }
        return std::uint64_t{clients};
    });

    std::size_t entry = sizeof(zplex::tcpip::stack::conn_entry);
    fmt::print("Sysplex Distributor, in process, one core ({} ms per row, {} client keys)\n", run_time.count(), clients);
    fmt::print("{:<56} {:>14} {:>8}\n", "measure", "per second", "ratio");
    fmt::print("{:<56} {:>14.0f} {:>8.2f}\n", "reference: hash map insert+erase of the connection key", reference.per_second,
               1.0);
    fmt::print("{:<56} {:>14.0f} {:>8.2f}\n", "distribution decisions (SYN in, RR, entry, IP-in-IP, RST)",
               decisions.per_second, decisions.per_second / reference.per_second);
    fmt::print("{:<56} {:>14.0f} {:>8.2f}\n", "established packets forwarded (lookup, IP-in-IP)", established.per_second,
               established.per_second / reference.per_second);
    fmt::print("{:<56} {:>14} {:>8}\n", "bytes per connection table entry", entry, "");
    fmt::print("{:<56} {:>14} {:>8}\n", "goal: decisions/s >= 1,000,000; entry <= 128 B",
               decisions.per_second >= 1e6 && entry <= 128 ? "met" : "NOT MET", "");
    if (!ok) {
        fmt::print("ZPX9001E the benchmark's connections were not all distributed\n");
        return 1;
    }
    std::string why;
    if (!zplex::e2e::can_use_netns(&why) || !std::filesystem::exists("/dev/net/tun")) {
        fmt::print("\nend to end: not measured: {}\n", why.empty() ? "no /dev/net/tun" : why);
        return sink == 42 ? 3 : 0;
    }
    zplex::e2e::sweep_stale_netns();
    std::vector<bench_row> rows;
    distributor_namespace_rows(rows);
    fmt::print("\nSysplex Distributor end to end (FIG4 MVS1, MVS2, MVS4 in namespaces; the better of two runs)\n");
    fmt::print("| case | unit | reference | reference value | zplex | ratio | note |\n|---|---|---|---|---|---|---|\n");
    for (const auto& r : rows)
        fmt::print("| {} | {} | {} | {:.0f} | {:.0f} | {:.2f} | {} |\n", r.what, r.unit, r.reference_name, r.reference,
                   r.zplex, r.reference > 0 ? r.zplex / r.reference : 0.0, r.note);
    return sink == 42 ? 3 : 0;
}
