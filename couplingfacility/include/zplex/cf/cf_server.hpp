// SPDX-License-Identifier: Apache-2.0
// The coupling facility itself (one zplex-cf process per CF): allocates structures from
// the CFRM policy, watches connectors and its duplex partner, rebuilds, answers displays.
#pragma once

#include <zplex/sysplex/catalogue.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <stdexcept>
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
    /// The CF's log (IXL/IXC event messages, one line each, no newline); none if empty.
    std::function<void(const std::string&)> log;
};

/// A CF that could not start (or an operation that could not be done): the message
/// says why; code() is the exit code it stands for (8 error, 12 environment).
class start_error : public std::runtime_error {
public:
    start_error(const std::string& message, int code) : std::runtime_error(message), _code(code) {}
    int code() const noexcept { return _code; }

private:
    int _code;
};

/// Empty if @p value is a good name of @p what (1..@p max of A-Z a-z 0-9 @ # $ _ -),
/// else the IXL163E message saying why.
std::string check_name(const std::string& what, const std::string& value, std::size_t max);

class cf_server {
public:
    explicit cf_server(server_options o);
    /// Frees every structure instance this CF holds.
    ~cf_server();
    cf_server(const cf_server&) = delete;
    cf_server& operator=(const cf_server&) = delete;

    /// Take this CF's lock and allocate the policy's structures that belong here (or
    /// join a duplex). Throws start_error, having touched nothing, when a live process
    /// already is this CF (IXL160E) or a name is bad (IXL163E); when an allocation fails
    /// (IXL162E) it removes what it had allocated, and only that.
    void start();
    /// One monitor pass: failed connectors become failed-persistent (their locks
    /// released); a dead duplex partner is dropped, or taken over when it was primary.
    void poll();
    /// Operator commands: D CF, D XCF,STR[,STRNAME=name], SETXCF START|STOP,REBUILD
    /// [,DUPLEX],STRNAME=name; and the CF-to-CF request JOIN name. Returns the response.
    std::string command(const std::string& text);
    /// Serve the Unix socket (any number of slow clients, none able to delay another)
    /// and poll on a thread of its own until @p stop. Returns 0, 12 if the socket
    /// failed or start() did not succeed.
    int run(const std::atomic<bool>& stop);

    const std::string& name() const noexcept;
    static std::filesystem::path socket_path(const std::filesystem::path& run_dir, const std::string& cf);

private:
    struct impl;
    std::unique_ptr<impl> _impl;
};

/// Remove the shared-memory objects in /dev/shm that CFs no longer running left, for
/// namespaces starting with @p ns_prefix (all if empty). A live CF's are never touched;
/// connectors still mapping a removed instance see it lost. Returns how many; each is
/// logged (IXL164I) on @p log.
std::size_t sweep_leftovers(const std::string& ns_prefix, std::ostream& log);

/// The exit code a reply stands for: 0 done, 8 rejected or failed (IXC341I, IEE305I,
/// an undefined name), 12 the CF cannot be reached.
int reply_code(const std::string& reply);

/// Send @p command to the CF listening in @p run_dir; the response, or a message why not.
std::string send_command(const std::filesystem::path& run_dir, const std::string& cf, const std::string& command);

}  // namespace zplex::cf
