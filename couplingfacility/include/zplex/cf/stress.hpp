// SPDX-License-Identifier: Apache-2.0
// `zplex cf stress`: connector processes take numbers by LISTKEYINC while some are
// killed with SIGKILL and restarted; every number handed out is checked for reuse.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

namespace zplex::cf {

struct stress_options {
    std::string sysplex;                    ///< shared-memory namespace (default: a private one)
    std::vector<std::string> cfs{"CF01"};   ///< PREFLIST
    std::string structure = "ZSTRESS";
    std::uint32_t connectors = 4;           ///< connector processes
    std::uint64_t numbers = 1'000'000;      ///< numbers to take in all
    std::uint64_t block = 16;               ///< numbers per LISTKEYINC request
    std::uint32_t kills = 0;                ///< connectors killed (SIGKILL) mid-run and restarted
    bool duplex = false;                    ///< duplex over CF01/CF02 and kill the primary CF halfway
    bool rival_cf = false;                  ///< start a second CF01 (same sysplex, same run folder) 40% in
    std::filesystem::path run_dir;          ///< for the CF sockets (default: a private temp dir)
};

struct stress_report {
    std::uint64_t numbers = 0;      ///< numbers recorded by connectors
    std::uint64_t blocks = 0;
    std::uint64_t duplicates = 0;   ///< numbers handed out twice (must be 0)
    std::uint64_t lost_blocks = 0;  ///< blocks taken but never recorded (killed holders)
    std::uint32_t kills = 0;
    std::uint32_t cf_failovers = 0;
    int rival_rc = -1;              ///< exit code of the rival CF01 (8: refused, as it must be), -1: none
    std::size_t swept = 0;          ///< leftovers of dead earlier runs removed before this one
    double seconds = 0;
};

/// Sweep what dead earlier runs left in /dev/shm, start the CF(s) as child processes,
/// run the connectors, kill and restart them, check every number. Returns 0 if no number
/// was handed out twice (and a rival CF was refused), 8 otherwise, 12 if the run could
/// not be set up. Progress and errors go to @p log. The children end with the caller.
int run_stress(const stress_options& options, stress_report& report, std::ostream& log);

}  // namespace zplex::cf
