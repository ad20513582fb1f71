// SPDX-License-Identifier: Apache-2.0
// IKE benchmark: complete IKE_SA + CHILD_SA setups per second (IKE_SA_INIT + IKE_AUTH
// with PSK, AES-GCM-256, both peers in this process on one core), per D-H group, and
// CHILD SA rekeys per second (CREATE_CHILD_SA without PFS).
#include <zplex/ike/peer.hpp>

#include "ike_harness.hpp"

#include <fmt/format.h>

#include <chrono>

using namespace zplex::ike;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr double seconds_per_case = 1.0;

const char* group_name(std::uint16_t g) {
    switch (g) {
    case dh_group::modp_2048: return "14 MODP-2048";
    case dh_group::ecp_256: return "19 ECP-256";
    case dh_group::ecp_384: return "20 ECP-384";
    case dh_group::curve25519: return "31 Curve25519";
    default: return "?";
    }
}

}  // namespace

int main() {
    fmt::print("{:<16} {:>14} {:>12}\n", "D-H group", "setups/s", "ms/setup");
    for (auto g : {dh_group::modp_2048, dh_group::ecp_256, dh_group::ecp_384, dh_group::curve25519}) {
        auto cfg = test::pair_config();
        cfg.a.connections[0].proposals[0].dh = {g};
        cfg.b.connections[0].proposals[0].dh = {g};
        std::uint64_t n = 0;
        auto t0 = clock_type::now();
        while (std::chrono::duration<double>(clock_type::now() - t0).count() < seconds_per_case) {
            test::harness h(cfg);
            h.run(h.a.initiate("a-to-b", h.now));
            if (test::count(h.ev_a, event_type::child_up) != 1) {
                fmt::print("setup failed for group {}\n", g);
                return 1;
            }
            ++n;
        }
        double s = std::chrono::duration<double>(clock_type::now() - t0).count();
        fmt::print("{:<16} {:>14.0f} {:>12.3f}\n", group_name(g), n / s, 1000.0 * s / n);
    }
    // CHILD SA rekeys on one IKE SA.
    test::harness h(test::pair_config());
    h.run(h.a.initiate("a-to-b", h.now));
    std::uint32_t spi = test::harness::last(h.ev_a, event_type::child_up).child.spi_in;
    std::uint64_t n = 0;
    auto t0 = clock_type::now();
    while (std::chrono::duration<double>(clock_type::now() - t0).count() < seconds_per_case) {
        h.clear();
        h.run(h.a.rekey_child(spi, h.now));
        spi = test::harness::last(h.ev_a, event_type::child_rekeyed).child.spi_in;
        ++n;
    }
    double s = std::chrono::duration<double>(clock_type::now() - t0).count();
    fmt::print("{:<16} {:>14.0f} {:>12.3f}\n", "child rekey", n / s, 1000.0 * s / n);
    return 0;
}
