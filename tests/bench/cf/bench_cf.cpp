// SPDX-License-Identifier: Apache-2.0
// CF benchmark: LISTKEYINC latency and numbers/s through the connector path, against a
// raw std::atomic fetch_add on the same kind of shared memory (the reference).
#include <zplex/cf/connector.hpp>

#include "private_cf.hpp"
#include "swsa_ezbdvipa.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace cf = zplex::cf;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr auto run_time = std::chrono::milliseconds(400);

struct shared {
    std::atomic<std::uint64_t> counter;      // the reference
    std::atomic<std::uint64_t> numbers[8];   // per process results
    std::atomic<int> ready;
    std::atomic<int> go;
};

cf::connect_options options(const std::string& ns, int id) {
    return {ns, "EZBDVIPA", "BENCH" + std::to_string(id), {"CF01"}};
}

/// Each of @p procs processes takes blocks of @p block for run_time; numbers/s in all.
double throughput(const std::string& ns, shared* sh, int procs, std::uint64_t block, bool reference) {
    sh->ready = 0;
    sh->go = 0;
    std::vector<pid_t> pids;
    for (int p = 0; p < procs; ++p) {
        pid_t pid = ::fork();
        if (pid == 0) {
            std::unique_ptr<cf::connector> c;
            if (!reference && !cf::connector::connect(options(ns, p + 1), c)) {
                ::_exit(1);
            }
            sh->ready.fetch_add(1);
            while (!sh->go.load()) {
            }
            std::uint64_t n = 0;
            auto until = clock_type::now() + run_time;
            while (clock_type::now() < until) {
                for (int i = 0; i < 64; ++i) {
                    std::uint64_t first = 0;
                    if (reference) {
                        first = sh->counter.fetch_add(block);
                    } else if (!c->take_list_keys(0, block, first)) {
                        ::_exit(2);
                    }
                    n += block;
                    asm volatile("" : : "r"(first) : "memory");
                }
            }
            sh->numbers[p] = n;
            if (c) {
                c->disconnect();
            }
            ::_exit(0);
        }
        pids.push_back(pid);
    }
    while (sh->ready.load() < procs) {
    }
    auto t0 = clock_type::now();
    sh->go = 1;
    std::uint64_t total = 0;
    for (int p = 0; p < procs; ++p) {
        int st = 0;
        ::waitpid(pids[static_cast<std::size_t>(p)], &st, 0);
        total += sh->numbers[p].load();
    }
    double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
    return static_cast<double>(total) / secs;
}

}  // namespace

int main() {
    zplex::test::private_cf plex("BENCH", {zplex::test::swsa_ezbdvipa(4, 64)});
    const std::string& ns = plex.sysplex;
    auto* sh = zplex::test::shared_anonymous<shared>();

    // Latency of one LISTKEYINC (block 1), one process.
    std::unique_ptr<cf::connector> c;
    cf::connector::connect(options(ns, 9), c);
    constexpr int samples = 200'000;
    std::vector<double> lat(samples);
    std::vector<double> ref_lat(samples);
    for (int i = 0; i < samples; ++i) {
        std::uint64_t f = 0;
        auto t0 = clock_type::now();
        c->take_list_keys(0, 1, f);
        auto t1 = clock_type::now();
        sh->counter.fetch_add(1);
        auto t2 = clock_type::now();
        lat[static_cast<std::size_t>(i)] = std::chrono::duration<double, std::nano>(t1 - t0).count();
        ref_lat[static_cast<std::size_t>(i)] = std::chrono::duration<double, std::nano>(t2 - t1).count();
    }
    c->disconnect();
    c.reset();
    std::sort(lat.begin(), lat.end());
    std::sort(ref_lat.begin(), ref_lat.end());
    auto pct = [](const std::vector<double>& v, double p) { return v[static_cast<std::size_t>(p * (v.size() - 1))]; };

    fmt::print("COUPLING FACILITY: LISTKEYINC (take a block of sequence numbers)\n");
    fmt::print("  latency of one request, block 1, 1 process ({} samples; clock read included)\n", samples);
    fmt::print("  {:<34} {:>10} {:>10}\n", "path", "median", "p99");
    fmt::print("  {:<34} {:>7.0f} ns {:>7.0f} ns\n", "reference: atomic fetch_add (shm)", pct(ref_lat, 0.5),
               pct(ref_lat, 0.99));
    fmt::print("  {:<34} {:>7.0f} ns {:>7.0f} ns   ({:.1f}x reference; real CF sync ~7500 ns)\n",
               "zplex connector take_list_keys", pct(lat, 0.5), pct(lat, 0.99), pct(lat, 0.5) / pct(ref_lat, 0.5));
    fmt::print("\n  numbers/s ({} ms per case)\n", run_time.count());
    fmt::print("  {:>6} {:>6} {:>16} {:>16} {:>8}\n", "block", "procs", "reference", "zplex", "ratio");
    for (int procs : {1, 4}) {
        for (std::uint64_t block : {1ull, 16ull, 256ull}) {
            double ref = throughput(ns, sh, procs, block, true);
            double z = throughput(ns, sh, procs, block, false);
            fmt::print("  {:>6} {:>6} {:>14.1f} M {:>14.1f} M {:>7.2f}\n", block, procs, ref / 1e6, z / 1e6, z / ref);
        }
    }
    return 0;
}
