// SPDX-License-Identifier: Apache-2.0
// `zplex xcf stress`: member processes exchange messages while some are SIGKILLed;
// every message between members that stayed alive must arrive, in order.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace zplex::xcf {

struct xcf_stress_options {
    std::uint32_t members = 4;        ///< member processes (each its own system)
    std::uint64_t messages = 20'000;  ///< messages sent in all
    std::uint32_t size = 64;          ///< bytes a message (>= 24)
    std::uint32_t kills = 0;          ///< members SIGKILLed mid-run
    std::uint32_t interval_ms = 300;  ///< failure detection INTERVAL
};

struct xcf_stress_report {
    std::uint64_t sent = 0;            ///< sends that returned RC 0
    std::uint64_t delivered = 0;
    std::uint64_t lost = 0;            ///< between members alive at the end: must be 0
    std::uint64_t out_of_order = 0;
    double p50_us = 0;
    double p99_us = 0;
    std::vector<double> detect_ms;     ///< per kill: SIGKILL to the group exit's "failed"
    double seconds = 0;
    std::string dataset;               ///< the run's couple dataset (/dev/shm/...)
    bool dataset_existed = false;      ///< it was there while the run went on
    bool dataset_removed = false;      ///< and gone once the last system left
};

/// Returns 0 when nothing was lost or reordered and every kill was detected within
/// 3 x INTERVAL, 8 otherwise, 12 if the run could not be set up.
int run_xcf_stress(const xcf_stress_options& o, xcf_stress_report& r, std::ostream& log);

}  // namespace zplex::xcf
