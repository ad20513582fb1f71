// SPDX-License-Identifier: Apache-2.0
// Subcommand registration for the zplex CLI: each family adds itself to the app.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace zplex::cli {

/// The nearest folder at or above @p start holding a SYSPLEX.xml.
std::optional<std::filesystem::path> sysplex_dir_above(std::filesystem::path start);

/// The sysplex folder of a command: @p given (--sysplex) if set; else the folder above
/// @p file that holds SYSPLEX.xml (when @p file names a file, not a data set); else
/// $ZPLEX_SYSPLEX; else empty.
std::string sysplex_dir_for(const std::string& given, const std::string& file);

/// Where a subcommand's callback leaves the process exit code.
struct exit_status {
    int code = 0;
};

/// `zplex profile check ...`
void add_profile_commands(CLI::App& app, exit_status& status);

/// `zplex cf stress ...`, `zplex cf cmd ...`
void add_cf_commands(CLI::App& app, exit_status& status);

/// `zplex xcf stress ...`
void add_xcf_commands(CLI::App& app, exit_status& status);

/// `zplex policy check ...`
void add_policy_commands(CLI::App& app, exit_status& status);

/// `zplex ipsec -k|-y display [-r detail] --control S`, `zplex ipsec --control S rekey ...`
void add_ipsec_commands(CLI::App& app, exit_status& status);

/// `zplex submit JOB [--scan] [--junit FILE]`, `zplex output [JOBnnnnn]`
void add_submit_commands(CLI::App& app, exit_status& status);

/// `zplex up`, `zplex down`, `zplex status`
void add_up_commands(CLI::App& app, exit_status& status);

/// What `zplex up` and `zplex down` do, for `zplex submit --up`: exit codes as theirs.
int bring_up(const std::string& sysplex_dir, const std::string& run_dir, bool no_hercules);
int take_down(const std::string& run_dir, const std::string& sysplex_dir);

/// `zplex cmd`, `zplex syslog`, `zplex exec`
void add_cmd_commands(CLI::App& app, exit_status& status);

/// `zplex topology [--svg FILE] [--dot FILE]`
void add_topology_commands(CLI::App& app, exit_status& status);

/// `zplex trace --out PREFIX [--seconds N] [--filter BPF]`
void add_trace_commands(CLI::App& app, exit_status& status);

/// `zplex faults [--sysplex DIR] [--run-dir DIR] [--quick] [--row NAME]...` (docs/faults.md)
void add_faults_commands(CLI::App& app, exit_status& status);

/// `zplex console`
void add_console_commands(CLI::App& app, exit_status& status);

/// `zplex image ipl NAME`: IPL one image of a running sysplex again (its argv from "ipl" on).
int image_ipl_command(int argc, char** argv);

}  // namespace zplex::cli
