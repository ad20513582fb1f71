// SPDX-License-Identifier: Apache-2.0
// `zplex xcf stress`: XCF signalling under SIGKILL; `zplex xcf sweep`: leftovers of dead runs.
#include "commands.hpp"

#include <zplex/xcf/stress.hpp>
#include <zplex/xcf/xcf.hpp>

#include <fmt/format.h>

#include <iostream>

namespace zplex::cli {

void add_xcf_commands(CLI::App& app, exit_status& status) {
    auto* xcf = app.add_subcommand("xcf", "XCF signalling: stress test, sweep of dead runs' couple datasets");
    xcf->require_subcommand(1);
    auto o = std::make_shared<zplex::xcf::xcf_stress_options>();
    auto* stress = xcf->add_subcommand(
        "stress", "N member processes exchange M messages, K SIGKILLed; exit 8 on any loss between live members");
    stress->add_option("--members", o->members, "Member processes")->check(CLI::Range(2, 11));
    stress->add_option("--messages", o->messages, "Messages in all")->check(CLI::Range(1ull, 1ull << 32));
    stress->add_option("--size", o->size, "Bytes a message")->check(CLI::Range(24, 1024 * 1024));
    stress->add_option("--kill", o->kills, "Members to SIGKILL mid-run")->check(CLI::Range(0, 10));
    stress->add_option("--interval", o->interval_ms, "Failure detection INTERVAL in ms")->check(CLI::Range(20, 60000));
    stress->callback([o, &status] {
        zplex::xcf::xcf_stress_report r;
        status.code = zplex::xcf::run_xcf_stress(*o, r, std::cout);
        if (status.code == 12) {
            return;  // the run could not be set up: its message says why
        }
        std::cout << fmt::format("members {}, size {} B, kills {}, {:.2f} s, {:.0f} messages/s\n", o->members, o->size,
                                 o->kills, r.seconds, r.seconds > 0 ? static_cast<double>(r.delivered) / r.seconds : 0.0);
    });
    auto* sweep = xcf->add_subcommand(
        "sweep", "remove the couple datasets in /dev/shm no live system or member uses (left by killed runs)");
    sweep->callback([&status] {
        zplex::xcf::sweep_report r;
        status.code = zplex::xcf::sweep_datasets(std::cout, r);
        std::cout << fmt::format("IXC476I SWEEP: {} REMOVED, {} IN USE, {} NOT THE CALLER'S, {} NOT REMOVED\n",
                                 r.removed, r.in_use, r.foreign, r.failed);
    });
}

}  // namespace zplex::cli
