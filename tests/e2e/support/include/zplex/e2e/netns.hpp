// SPDX-License-Identifier: Apache-2.0
// Network namespaces and veth links for the e2e tests, removed with their owner. Names are
// <prefix>-<pid>-<n>-<suffix> (prefix zpxh3 unless ZPLEX_E2E_PREFIX says otherwise), so runs
// never collide; leftovers of runs whose PID is gone are swept when a new run starts.
#pragma once

#include <zplex/e2e/process.hpp>

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <vector>

namespace zplex::e2e {

/// "198.18.10.1" -> host-order address; throws on a bad string.
std::uint32_t parse_ipv4(const std::string& s);
std::string format_ipv4(std::uint32_t a);
/// The IPv4 socket address of @p addr (dotted, as parse_ipv4) and @p port.
sockaddr_in socket_address(const std::string& addr, std::uint16_t port);

/// True if this process may create namespaces (root), with a reason when not.
bool can_use_netns(std::string* why = nullptr);

/// One network namespace with lo up; deleted (with every link in it) by the destructor.
class netns {
public:
    /// @p suffix ends the unique name, e.g. "a" -> "zpxh3-1234-0-a".
    explicit netns(const std::string& suffix);
    ~netns();
    netns(const netns&) = delete;
    netns& operator=(const netns&) = delete;

    const std::string& name() const noexcept { return _name; }
    /// `ip <args...>` inside this namespace (ip -n). Throws if it fails.
    void ip(const std::vector<std::string>& args) const;
    /// Any program inside this namespace, bounded.
    run_result exec(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = 20s) const;

private:
    std::string _name;
};

/// A veth pair, one end in each namespace, addressed (CIDR strings) and up. The names
/// are local to each namespace (default "veth0"), so they never collide across runs.
void veth_link(const netns& a, const std::string& addr_a, const netns& b, const std::string& addr_b,
               const std::string& ifname = "veth0");

/// Remove namespaces named <prefix>-<pid>-... whose PID no longer runs, and the temp
/// directories named so (a test killed by ctest's timeout leaves both). Returns how many
/// namespaces went.
int sweep_stale_netns();

/// The usual two-host topology: a (198.18.10.1/24) and b (198.18.10.2/24) on a veth, each
/// with an inner address on lo (a: 198.18.20.1, b: 198.18.21.1) that the tunnel protects.
struct two_hosts {
    two_hosts();
    netns a{"a"};
    netns b{"b"};
    static constexpr const char* outer_a = "198.18.10.1";
    static constexpr const char* outer_b = "198.18.10.2";
    static constexpr const char* inner_a = "198.18.20.1";
    static constexpr const char* inner_b = "198.18.21.1";
};

}  // namespace zplex::e2e
