// SPDX-License-Identifier: Apache-2.0
// SWSA outbound benchmark: ESP (AES-GCM-128, 1400-byte packets) under a shadow SA whose
// sequence numbers come from EZBDVIPA by LISTKEYINC, against the same SA counting its
// own numbers (the reference, undistributed), measured in the same run: packets/s and
// CF requests per packet, one target and three targets sending at once (processes).
#include <zplex/cf/connector.hpp>
#include <zplex/ipsec/esp.hpp>
#include <zplex/swsa/seq_source.hpp>

#include "private_cf.hpp"
#include "swsa_ezbdvipa.hpp"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace cf = zplex::cf;
namespace ipsec = zplex::ipsec;
namespace swsa = zplex::swsa;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr auto run_time = std::chrono::milliseconds(500);

struct result {
    std::uint64_t packets = 0;
    std::uint64_t requests = 0;
    double seconds = 0;
};

struct shared {
    std::atomic<int> ready;
    std::atomic<int> go;
    result r[8];
};

cf::connect_options options(const std::string& ns, int id) {
    return {ns, "EZBDVIPA", "BENCH" + std::to_string(id), {"CF01"}};
}

ipsec::packet template_packet() {
    std::vector<std::uint8_t> b(1400, 0x5a);
    b[0] = 0x45;
    b[2] = 1400 >> 8;
    b[3] = 1400 & 0xff;
    b[8] = 64;
    b[9] = 6;
    ipsec::packet p;
    p.assign(b);
    return p;
}

/// One sender: bursts of @p burst packets under one SA for run_time.
result send(const std::string& ns, int id, std::uint32_t burst, bool cf_numbers, std::uint64_t base) {
    std::unique_ptr<cf::connector> c;
    std::unique_ptr<ipsec::seq_source> seqs;
    swsa::cf_seq_source* cfs = nullptr;
    if (cf_numbers) {
        if (!cf::connector::connect(options(ns, id), c)) {
            return {};
        }
        swsa::seq_config sc;
        sc.list = 1;
        sc.base = base;
        sc.peer_window = 64;
        sc.esn = true;
        auto s = std::make_unique<swsa::cf_seq_source>(*c, sc);
        cfs = s.get();
        seqs = std::move(s);
    }
    ipsec::sa_config conf;
    conf.spi = 0x1000;
    conf.esn = true;
    conf.key.assign(20, 0x42);
    auto sa = ipsec::esp_sa::create(conf, std::move(seqs));
    auto tmpl = template_packet();
    ipsec::packet p;
    result r;
    auto t0 = clock_type::now();
    auto end = t0 + run_time;
    while (clock_type::now() < end) {
        if (cfs) {
            cfs->reserve(burst);
        }
        for (std::uint32_t i = 0; i < burst; ++i) {
            p.head = tmpl.head;
            p.len = tmpl.len;
            std::copy(tmpl.data(), tmpl.data() + tmpl.len, p.data());
            if (sa->encapsulate(p) == ipsec::drop::none) {
                ++r.packets;
            }
        }
    }
    r.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    r.requests = cfs ? cfs->stats().requests() : 0;
    sa.reset();
    if (c) {
        c->disconnect();
    }
    return r;
}

/// @p procs senders at once; their sums.
result run(const std::string& ns, shared* sh, int procs, std::uint32_t burst, bool cf_numbers, std::uint64_t base) {
    sh->ready = 0;
    sh->go = 0;
    std::vector<pid_t> pids;
    for (int k = 0; k < procs; ++k) {
        pid_t pid = ::fork();
        if (pid == 0) {
            sh->ready.fetch_add(1);
            while (!sh->go.load()) {
            }
            sh->r[k] = send(ns, k + 1, burst, cf_numbers, base);
            ::_exit(0);
        }
        pids.push_back(pid);
    }
    while (sh->ready.load() < procs) {
    }
    sh->go = 1;
    result sum;
    for (int k = 0; k < procs; ++k) {
        ::waitpid(pids[static_cast<std::size_t>(k)], nullptr, 0);
        sum.packets += sh->r[k].packets;
        sum.requests += sh->r[k].requests;
        sum.seconds = std::max(sum.seconds, sh->r[k].seconds);
    }
    return sum;
}

}  // namespace

int main() {
    zplex::test::private_cf plex("BSWSA", {zplex::test::swsa_ezbdvipa()});
    const std::string& ns = plex.sysplex;
    auto* sh = zplex::test::shared_anonymous<shared>();

    fmt::print("SWSA OUTBOUND: ESP AES-GCM-128, 1400-byte packets, peer window 64 (block limit 32)\n");
    fmt::print("  {:<44} {:>12} {:>12} {:>8} {:>14}\n", "case", "reference", "CF numbers", "ratio",
               "CF req/packet");
    struct row {
        const char* name;
        int procs;
        std::uint32_t burst;
    };
    for (const row& rw : {row{"1 target, bulk (32 packets queue per burst)", 1, 32},
                          row{"3 targets at once, bulk (32 per burst)", 3, 32},
                          row{"1 target, 16 per burst", 1, 16},
                          row{"1 target, one packet at a time (no queue)", 1, 1}}) {
        auto ref = run(ns, sh, rw.procs, rw.burst, false, 0);
        auto got = run(ns, sh, rw.procs, rw.burst, true, 0);
        double ref_pps = static_cast<double>(ref.packets) / ref.seconds;
        double got_pps = static_cast<double>(got.packets) / got.seconds;
        fmt::print("  {:<44} {:>8.2f} M/s {:>8.2f} M/s {:>7.2f}x {:>14.4f}\n", rw.name, ref_pps / 1e6,
                   got_pps / 1e6, got_pps / ref_pps,
                   got.packets ? static_cast<double>(got.requests) / static_cast<double>(got.packets) : 0.0);
    }
    fmt::print("  goal: at most 1 CF request per 16 packets in bulk (0.0625)\n");
    return 0;
}
