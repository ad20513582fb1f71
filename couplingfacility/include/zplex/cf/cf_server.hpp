// SPDX-License-Identifier: Apache-2.0
// The coupling facility itself (one zplex-cf process per CF): allocates structures from
// the CFRM policy, watches connectors and its duplex partner, rebuilds, answers displays.
#pragma once

#include <zplex/sysplex/catalogue.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace zplex::cf {

struct server_options {
    std::string sysplex;                                  ///< shared-memory namespace
    std::string cf;                                       ///< this CF (CF01)
    std::vector<sysplex::structure_config> structures;    ///< the CFRM policy
    std::filesystem::path run_dir;                        ///< where <cf>.sock lives (mode 0700 dir)
    std::chrono::milliseconds interval{20};               ///< monitor pass interval
    std::uint32_t lock_entries = 64;                      ///< lock table size of list structures
};

class cf_server {
public:
    explicit cf_server(server_options o);
    /// Frees every structure instance this CF holds.
    ~cf_server();
    cf_server(const cf_server&) = delete;
    cf_server& operator=(const cf_server&) = delete;

    /// Allocate the policy's structures that belong here (or join a duplex).
    void start();
    /// One monitor pass: failed connectors become failed-persistent (their locks
    /// released); a dead duplex partner is dropped, or taken over when it was primary.
    void poll();
    /// Operator commands: D CF, D XCF,STR[,STRNAME=name], SETXCF START|STOP,REBUILD
    /// [,DUPLEX],STRNAME=name; and the CF-to-CF request JOIN name. Returns the response.
    std::string command(const std::string& text);
    /// Serve the Unix socket and poll until @p stop. Returns 0, or 8 if the socket failed.
    int run(const std::atomic<bool>& stop);

    const std::string& name() const noexcept;
    static std::filesystem::path socket_path(const std::filesystem::path& run_dir, const std::string& cf);

private:
    struct impl;
    std::unique_ptr<impl> _impl;
};

/// Send @p command to the CF listening in @p run_dir; the response, or a message why not.
std::string send_command(const std::filesystem::path& run_dir, const std::string& cf, const std::string& command);

}  // namespace zplex::cf
