// SPDX-License-Identifier: Apache-2.0
// Hercules benchmark: LISTKEYINC requests/s issued by the image nucleus through the CF
// link device (SSCH, WRITE+READ, I/O interrupt, TSCH per request), against a host
// connector calling take_list_keys directly (the reference), both on one CF list.
#include "hercules_sysplex.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <map>

namespace hc = zplex::hercules;
using zplex::test::hercules_sysplex;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr auto run_time = std::chrono::milliseconds(400);

/// One host connector, block 1, for run_time: requests/s.
double host_rate(const std::string& ns) {
    std::unique_ptr<zplex::cf::connector> c;
    if (!zplex::cf::connector::connect({ns, hercules_sysplex::structure, "BENCHHOST", {"CF01"}}, c)) {
        return 0;
    }
    std::uint64_t n = 0;
    auto t0 = clock_type::now();
    while (clock_type::now() - t0 < run_time) {
        for (int i = 0; i < 256; ++i) {
            std::uint64_t first = 0;
            c->take_list_keys(0, 1, first);
        }
        n += 256;
    }
    double s = std::chrono::duration<double>(clock_type::now() - t0).count();
    c->disconnect();
    return static_cast<double>(n) / s;
}

struct guest_figures {
    double mean = 0;    ///< numbers/s over the whole run (first reply to last)
    double median = 0;  ///< sum over images of 256 / the median gap between an image's replies
};

/// Every image gets @p takes TAKE requests of k=256 blocks of 1, queued at once. The first
/// reply pays the nucleus' 50 ms nap and is not counted. The median is robust against a
/// machine shared with other work; the mean is what the run delivered.
guest_figures guest_rate(hercules_sysplex& plex, std::size_t images, int takes) {
    constexpr std::uint32_t k = 256;
    for (int t = 0; t < takes; ++t) {
        for (std::size_t i = 0; i < images; ++i) {
            plex.send_take(plex.images[i].name, 1, k);
        }
    }
    std::vector<zplex::test::number_block> blocks;
    std::map<std::string, std::vector<clock_type::time_point>> arrivals;
    clock_type::time_point first{}, last{};
    std::size_t replies = 0, want = images * static_cast<std::size_t>(takes);
    std::uint64_t counted = 0;
    while (replies < want) {
        std::string from;
        std::uint32_t status = 0;
        std::size_t before = blocks.size();
        if (!plex.receive_nums(blocks, from, status, std::chrono::seconds(20))) {
            return {};
        }
        auto now = clock_type::now();
        if (replies == 0) {
            first = now;
        } else {
            counted += blocks.size() - before;
        }
        arrivals[from].push_back(now);
        last = now;
        ++replies;
    }
    guest_figures f;
    double s = std::chrono::duration<double>(last - first).count();
    f.mean = s > 0 ? static_cast<double>(counted) / s : 0;
    for (auto& [name, times] : arrivals) {
        std::vector<double> gaps;
        for (std::size_t i = 1; i < times.size(); ++i) {
            gaps.push_back(std::chrono::duration<double>(times[i] - times[i - 1]).count());
        }
        if (!gaps.empty()) {
            std::sort(gaps.begin(), gaps.end());
            f.median += k / gaps[gaps.size() / 2];
        }
    }
    return f;
}

}  // namespace

int main() {
    if (auto why = zplex::test::hercules_missing(); !why.empty()) {
        fmt::print("HERCULES IMAGES: skipped, {}\n", why);
        return 0;
    }
    hercules_sysplex plex;
    std::string err;
    if (!plex.start_cf(err) || !plex.join_host(err) || !plex.start_images(3, err)) {
        std::cerr << "ZPX0799E bench_hercules: " << err << "\n";
        return 12;
    }
    double host = host_rate(plex.ns);
    auto one = guest_rate(plex, 1, 40);
    auto three = guest_rate(plex, 3, 20);

    fmt::print("HERCULES IMAGES: LISTKEYINC through the CF link device (block 1, one CF list)\n");
    fmt::print("  guest: SSCH of WRITE+READ, I/O interrupt, TSCH per request; TIMERINT 10000\n");
    fmt::print("  {:<40} {:>14} {:>12} {:>10} {:>14}\n", "path", "requests/s", "per request", "ratio",
               "mean req/s");
    fmt::print("  {:<40} {:>12.2f} M {:>9.2f} us {:>10.2f}\n", "reference: host connector, 1 process", host / 1e6,
               1e6 / host, 1.0);
    fmt::print("  {:<40} {:>12.1f} k {:>9.2f} us {:>10.4f} {:>12.1f} k\n", "nucleus via CFL, 1 image (median)",
               one.median / 1e3, 1e6 / one.median, one.median / host, one.mean / 1e3);
    fmt::print("  {:<40} {:>12.1f} k {:>9.2f} us {:>10.4f} {:>12.1f} k\n", "nucleus via CFL, 3 images (sum)",
               three.median / 1e3, 3e6 / three.median, three.median / host, three.mean / 1e3);
    return 0;
}
