// SPDX-License-Identifier: Apache-2.0
// PROFILE processing throughput on a generated 100k-line profile, against reading and
// splitting the same text into blank-separated words (the floor any parser pays).
#include <zplex/tcpip/profile/parser.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace tp = zplex::tcpip::profile;
using clock_type = std::chrono::steady_clock;

namespace {

/// A realistic large profile: ports, routes, IPSEC rules, DVIPAs and distributions.
std::string generate(int target_lines, int& lines) {
    std::string s;
    lines = 0;
    auto add = [&](const std::string& l) {
        s += l;
        s += '\n';
        ++lines;
    };
    add("; generated profile for the parser benchmark");
    add("IPCONFIG DATAGRAMFWD SYSPLEXROUTING IPSECURITY");
    add("         DYNAMICXCF 198.18.1.1 255.255.255.0 1");
    add("INTERFACE OSAQDIO1 DEFINE IPAQENET PORTNAME OSAPRT1");
    add("          IPADDR 198.18.0.11/24 MTU 1492");
    int quarter = target_lines / 4;
    add("IPSEC DVIPSEC LOGENABLE");
    for (int i = 0; i < quarter; ++i) {
        add(fmt::format("  IPSECRULE 198.18.{}.{} * PROTOCOL TCP SRCPORT {} ; rule {}", i / 250 % 250, i % 250 + 1,
                        1024 + i % 60000, i));
    }
    add("ENDIPSEC");
    add("VIPADYNAMIC");
    int dvipas = std::min(1000, quarter / 3);
    for (int i = 0; i < dvipas; ++i) {
        add(fmt::format("  VIPADEFINE MOVEABLE IMMEDIATE 255.255.255.0 198.19.{}.{}", i / 250, i % 250 + 1));
        add(fmt::format("  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN 198.19.{}.{}", i / 250, i % 250 + 1));
        add("     PORT 60 61 62 DESTIP 198.18.1.1 198.18.1.2 198.18.1.4");
    }
    add("ENDVIPADYNAMIC");
    add("BEGINROUTES");
    for (int i = 0; i < quarter; ++i) {
        add(fmt::format("  ROUTE 198.19.{}.{}/32 198.18.0.1 OSAQDIO1 MTU 1492", i / 250 % 250, i % 250));
    }
    add("ENDROUTES");
    add("PORT");
    while (lines < target_lines) {
        add(fmt::format("  {} TCP SERVER{} SHAREPORT ; reserved", 1 + lines % 65000, lines % 100));
    }
    return s;
}

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

}  // namespace

int main() {
    int lines = 0;
    const std::string text = generate(100000, lines);
    constexpr int rounds = 5;

    // Reference: split the text into words, the least any free-format parser does.
    std::vector<double> ref_times;
    std::size_t words = 0;
    for (int r = 0; r < rounds; ++r) {
        auto t0 = clock_type::now();
        std::vector<std::string_view> v;
        v.reserve(text.size() / 4);
        std::size_t i = 0;
        while (i < text.size()) {
            while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) {
                ++i;
            }
            auto b = i;
            while (i < text.size() && text[i] != ' ' && text[i] != '\n') {
                ++i;
            }
            if (i > b) {
                v.push_back(std::string_view(text).substr(b, i - b));
            }
        }
        words = v.size();
        ref_times.push_back(seconds_since(t0));
    }

    std::vector<double> times;
    std::size_t messages = 0;
    tp::profile result;
    for (int r = 0; r < rounds; ++r) {
        tp::parse_options o;
        tp::message_log log;
        auto t0 = clock_type::now();
        result = tp::process_initial_text(text, "'BENCH.PROFILE'", o, log);
        times.push_back(seconds_since(t0));
        messages = log.messages().size();
    }
    std::sort(times.begin(), times.end());
    std::sort(ref_times.begin(), ref_times.end());
    double med = times[rounds / 2];
    double ref = ref_times[rounds / 2];

    fmt::print("PROFILE PARSER ({} lines, {} KiB, {} words; median of {} runs)\n", lines, text.size() / 1024, words,
               rounds);
    fmt::print("  {:<44} {:>12} {:>14} {:>10}\n", "case", "time", "lines/s", "ratio");
    fmt::print("  {:<44} {:>9.2f} ms {:>14.0f} {:>10}\n", "reference: split into words", ref * 1e3, lines / ref, "1.00");
    fmt::print("  {:<44} {:>9.2f} ms {:>14.0f} {:>9.1f}x\n", "process_initial_text (full model)", med * 1e3,
               lines / med, med / ref);
    fmt::print("  configured: {} DVIPAs, {} distributions, {} IPSECRULEs, {} routes, {} ports; {} messages\n",
               result.dvipas.size(), result.distributions.size(), result.ipsec.rules.size(), result.routes.size(),
               result.ports.size(), messages);
    return 0;
}
