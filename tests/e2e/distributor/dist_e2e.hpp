// SPDX-License-Identifier: Apache-2.0
// What the distributor e2e tests share: FIG4's images (XCF address, OSA MAC), starting
// stacks in the order that makes MVS1 DVA1's distributor (and MVS5 DVB1's), waiting for
// the VDPT to show the targets' ready counts, and the models that predict where each new
// connection goes (docs/distributor.md's rules written again, independently of the stack).
#pragma once

#include <zplex/e2e/dist_clients.hpp>
#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>
#include <zplex/e2e/stack_plex.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace zplex::e2e::dist {

using namespace std::chrono_literals;

#define ZPLEX_E2E_NEEDS_NAMESPACES()                                                   \
    do {                                                                               \
        std::string why_;                                                              \
        if (!::zplex::e2e::can_use_netns(&why_)) GTEST_SKIP() << why_;                 \
        if (!std::filesystem::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun"; \
        ::zplex::e2e::sweep_stale_netns();                                             \
    } while (0)

inline constexpr const char* dva1 = "198.18.2.1";
inline constexpr const char* dva1_60 = "198.18.2.1..60";
inline constexpr const char* dvb1 = "198.18.2.2";
inline constexpr const char* dvb1_60 = "198.18.2.2..60";

/// FIG4's dynamic XCF address of an image (SYSPLEX.xml: 198.18.1.n for MVSn).
inline std::string xcf_of(const std::string& sys) { return "198.18.1." + sys.substr(3); }
inline std::string sys_of_xcf(const std::string& xcf) { return "MVS" + xcf.substr(xcf.rfind('.') + 1); }
/// The MAC of an image's OSA port, as tshark writes it (02:00 and the OSA address 198.18.0.1n).
inline std::string mac_of(const std::string& sys) { return stack_plex::osa_mac(sys); }

/// Start @p systems' stacks; the first ones in @p owners each wait for their initial
/// DVIPA processing before the next starts (so the DVIPA owners get their DVIPAs).
inline std::map<std::string, child_process> start_stacks(stack_plex& plex, const std::vector<std::string>& owners,
                                                         const std::vector<std::string>& others) {
    std::map<std::string, child_process> out;
    for (const auto& s : owners) {
        out[s] = plex.start(s);
        EXPECT_TRUE(plex.wait_log(s, "EZD1214I")) << plex.log(s);
    }
    for (const auto& s : others) out[s] = plex.start(s);
    for (const auto& s : others) EXPECT_TRUE(plex.wait_log(s, "EZD1214I")) << plex.log(s);
    return out;
}

/// Poll @p on's VDPT until every target of @p dest in @p ready has that ready count.
inline bool wait_ready(const stack_plex& plex, const std::string& on, const std::string& dest,
                       const std::map<std::string, int>& ready, std::chrono::milliseconds bound = 20s) {
    auto end = std::chrono::steady_clock::now() + bound;
    while (true) {
        auto rows = vdpt_rows(plex.control(on, "NETSTAT VDPT"), dest);
        bool all = true;
        for (const auto& [sys, n] : ready)
            if (!rows.count(xcf_of(sys)) || rows[xcf_of(sys)].ready != n) all = false;
        if (all) return true;
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(50ms);
    }
}

/// ROUNDROBIN as docs/distributor.md says it: the next eligible target in DESTIP order
/// after the last one chosen.
struct round_robin_model {
    std::vector<std::string> order;  // DESTIP order (ALL: by XCF address)
    std::size_t next_row = 0;
    std::string next(const std::set<std::string>& eligible) {
        for (std::size_t k = 0; k < order.size(); ++k) {
            std::size_t i = (next_row + k) % order.size();
            if (eligible.count(order[i])) {
                next_row = i + 1;
                return order[i];
            }
        }
        return "?";
    }
};

/// WEIGHTEDACTIVE: the eligible target with the smallest (active + 1) / WEIGHT, the first
/// in DESTIP order on ties.
struct weighted_active_model {
    std::vector<std::pair<std::string, int>> weights;  // DESTIP order
    std::map<std::string, int> active;
    std::string next() {
        std::string best;
        for (const auto& [sys, w] : weights) {
            if (best.empty()) {
                best = sys;
                continue;
            }
            int bw = 0;
            for (const auto& [s2, w2] : weights)
                if (s2 == best) bw = w2;
            if (static_cast<long>(active[sys] + 1) * bw < static_cast<long>(active[best] + 1) * w) best = sys;
        }
        ++active[best];
        return best;
    }
};

/// Clients in two namespaces, connections in turn; @p count of them from index @p first.
inline dist_clients_plan plan(stack_plex& plex, const std::string& address, int count, int first, bool hold) {
    dist_clients_plan p;
    p.namespaces = {plex.client(1).name(), plex.client(2).name()};
    p.address = address;
    p.port = 60;
    p.count = count;
    p.first_index = first;
    p.hold = hold;
    return p;
}

/// The servers of @p cs in order.
inline std::vector<std::string> servers(const std::vector<dist_connection>& cs) {
    std::vector<std::string> out;
    for (const auto& c : cs) out.push_back(c.server);
    return out;
}

/// How many of @p cs opened and (held) closed with OK.
inline int opened_ok(const std::vector<dist_connection>& cs) {
    int n = 0;
    for (const auto& c : cs) n += c.opened == "OK";
    return n;
}
inline int closed_ok(const std::vector<dist_connection>& cs) {
    int n = 0;
    for (const auto& c : cs) n += c.closed == "OK";
    return n;
}

}  // namespace zplex::e2e::dist
