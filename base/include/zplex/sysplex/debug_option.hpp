// SPDX-License-Identifier: Apache-2.0
// The `--debug SUBSYS=LEVEL[,...]` and `--debug-file PATH` options every program takes.
#pragma once

#include <zplex/sysplex/log.hpp>

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace zplex::log {

/// Adds --debug (repeatable) and --debug-file to @p app. A bad specification is a
/// command-line mistake: CLI11 reports it (exit 2) before the program does anything.
inline void add_debug_options(CLI::App& app) {
    app.add_option_function<std::vector<std::string>>(
           "--debug",
           [](const std::vector<std::string>& specs) {
               for (const auto& spec : specs) {
                   if (auto err = configure(spec); !err.empty()) {
                       throw CLI::ValidationError("--debug", err);
                   }
               }
           },
           "debug lines by subsystem: SUBSYS=LEVEL[,...], SUBSYS one of ALL CF XCF IKE ESP "
           "POLICY HOST STACK SD SWSA IMAGE CLI, LEVEL 0-4 (off control detail packet raw)")
        ->type_name("SPEC")
        ->trigger_on_parse();
    app.add_option_function<std::string>(
           "--debug-file",
           [](const std::string& path) {
               if (auto err = to_file(path); !err.empty()) {
                   throw CLI::ValidationError("--debug-file", err);
               }
           },
           "write debug lines to this file (0600) instead of standard error")
        ->type_name("PATH");
}

}  // namespace zplex::log
