// SPDX-License-Identifier: Apache-2.0
// The run record of a sysplex brought up by `zplex up`: what it started (PIDs with their
// start times), the namespaces it made, the control sockets and logs, one line each in
// <run-dir>/run.rec (0600). `down`, `status`, `cmd` and the sweep after a crash read it.
#pragma once

#include <zplex/sysplex/process.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace zplex::operating {

/// One process the run started.
struct run_process {
    std::string kind;      ///< cf, hercules, tcpip, autolog
    std::string name;      ///< CF01, MVS1, TCPIPA, APPA
    std::string system;    ///< the image it belongs to ("-" for a CF)
    sysplex::process_identity id;
    std::string log;       ///< its log file (relative to the run directory)
};

/// A network namespace the run made, and whose it is (LAN, an image, a LAN host).
struct run_netns {
    std::string owner;     ///< LAN, MVS1, CLIENT1
    std::string name;      ///< the namespace's name (/run/netns/<name>)
};

struct run_record {
    std::string sysplex;                 ///< the sysplex name (the shared-memory namespace)
    std::filesystem::path sysplex_dir;   ///< the catalogue it was built from (absolute)
    bool hercules = false;               ///< images under Hercules (else stacks on systems of their own)
    std::string state;                   ///< starting, up, down
    sysplex::process_identity up;        ///< the `zplex up` that wrote it
    std::vector<run_netns> namespaces;
    std::vector<run_process> processes;

    const run_process* find(std::string_view kind, std::string_view system, std::string_view name = {}) const;
    const run_netns* netns_of(std::string_view owner) const;
    /// The processes of the record still running (PID and start time).
    std::vector<const run_process*> alive() const;
};

/// The text of @p r (one item per line) and back. parse_run() returns false, with
/// @p error saying which line, on anything it does not understand.
std::string format_run(const run_record& r);
bool parse_run(std::string_view text, run_record& r, std::string& error);

/// Read and write <dir>/run.rec. save_run() writes a new file and renames it over the
/// old one (0600, never through a link). load_run() is false when there is none.
bool load_run(const std::filesystem::path& dir, run_record& r, std::string& error);
void save_run(const std::filesystem::path& dir, const run_record& r);

/// The run directory used when none is given: $ZPLEX_RUN_DIR, else /run/zplex/<SYSPLEX>
/// for root and $XDG_RUNTIME_DIR (or /tmp/zplex-<uid>)/zplex/<SYSPLEX> otherwise.
std::filesystem::path default_run_dir(const std::string& sysplex);

/// A namespace name for @p owner of the run in @p dir: zpx-<8 hex of the run
/// directory>-<owner, lower case>, so two runs never share a name.
std::string netns_name(const std::filesystem::path& dir, const std::string& owner);

}  // namespace zplex::operating
