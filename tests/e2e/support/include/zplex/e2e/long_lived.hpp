// SPDX-License-Identifier: Apache-2.0
// Long-lived TCP connections that keep sending and checking their echo, for the survival
// tests (a DVIPA's owner killed or its CPU stopped, then its return). One child process per
// client namespace holds its connections; each sends pseudo-random bytes at a pace and
// hashes what it sent and what came back (SHA-256). The test moves a mark and waits until
// every connection expected to live has advanced since it, then stops them and reads one
// line per connection: which server took it (zplex-app's greeting, "-" for a plain echo),
// both digests, and how it ended.
#pragma once

#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace zplex::e2e {

/// One connection's line of the final report.
struct long_lived_result {
    std::string client;    ///< the group (client) it belongs to
    std::string server;    ///< "MVS2" when zplex-app of MVS2 greeted it, "-" for a server that only echoes
    std::string greeting;  ///< zplex-app's whole first line, or "-"
    std::string result;    ///< OK, RESET, ECHO DIFFERS, CLOSED BY THE SERVER, ...
};

class long_lived_clients {
public:
    /// Connections to @p address:@p port; reports and flags live in @p dir.
    long_lived_clients(const std::filesystem::path& dir, std::string address, std::uint16_t port);

    /// Start @p count connections from namespace @p ns under the name @p name.
    void add(const std::string& name, const netns& ns, int count);

    /// The connections of @p name that are expected to have failed (and count as reset).
    void expect_lost(const std::string& name, int lost);

    /// Move the mark: from now on each connection must have 4 KiB more echoed.
    void mark(int m);

    /// True once, in every group, every connection not expected lost has advanced since
    /// the mark @p m and exactly the lost ones have reset; false when @p bound passes or a
    /// group's process ended.
    bool all_advanced(int m, std::chrono::milliseconds bound = 30s);

    /// Every group's progress line and report so far (for failure messages).
    std::string progress() const;

    /// Stop: each connection closes its side, reads the rest of its echo and reports.
    /// @p ok is false when a group's process did not end well.
    std::vector<long_lived_result> finish(bool& ok, std::chrono::milliseconds bound = 60s);

    /// The reports of finish(), as text.
    std::string report() const;

    /// How many results have this server and result ("MVS2 OK", "- OK", "MVS1 RESET").
    static std::map<std::string, int> tally(const std::vector<long_lived_result>& rs);

private:
    struct group {
        std::string name;
        int count = 0;
        int lost = 0;
        child_process child;
    };
    std::filesystem::path _dir;
    std::string _address;
    std::uint16_t _port;
    std::vector<group> _groups;
};

/// The body of one group's child: @p count connections to @p dst:@p port, reporting to
/// @p dir (progress-<name>), stopping when dir/stop appears. 0 when all connected.
int long_lived_echo(const char* dst, int port, int count, const std::filesystem::path& dir, const std::string& name);

/// In a client namespace, from @p start_ns (CLOCK_MONOTONIC): connect to addr:port until
/// one connection is served (the probe line comes back), each attempt bounded by 20 ms
/// so that SYNs lost to a dead holder's MAC do not wait for TCP's retransmission.
/// Prints "SERVED <ms since start> BY <image or ->"; 0 when served.
int first_served(const char* addr, int port, std::int64_t start_ns);

/// From a distributor's NETSTAT VCRT: for each client address, how many of its
/// connections go to the target @p dest_xcf (the ones lost when that target's image is).
std::map<std::string, int> vcrt_sources_to(const std::string& vcrt, const std::string& dest_xcf);

/// How often @p what occurs in @p text.
int count_of(const std::string& text, const std::string& what);

}  // namespace zplex::e2e
