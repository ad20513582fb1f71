// SPDX-License-Identifier: Apache-2.0
// Network namespaces (ip netns), veth links and the two-host topology.
#include <zplex/e2e/netns.hpp>
#include <zplex/sysplex/ipv4.hpp>

#include <arpa/inet.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace zplex::e2e {

std::uint32_t parse_ipv4(const std::string& s) {
    auto a = sysplex::ipv4_address::parse(s);
    if (!a) throw std::invalid_argument("not an IPv4 address: " + s);
    return a->value;
}

std::string format_ipv4(std::uint32_t a) {
    return sysplex::ipv4_address{a}.str();
}

sockaddr_in socket_address(const std::string& addr, std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(parse_ipv4(addr));
    return a;
}

bool can_use_netns(std::string* why) {
    if (::geteuid() != 0) {
        if (why) {
            *why = "needs root (network namespaces, veth, TUN)";
        }
        return false;
    }
    if (run({"ip", "-V"}, 5s).status != 0) {
        if (why) {
            *why = "iproute2 `ip` not found (scripts/bootstrap)";
        }
        return false;
    }
    return true;
}

namespace {

std::string prefix() {
    const char* p = std::getenv("ZPLEX_E2E_PREFIX");
    return p && *p ? p : "zpxh3";
}

}  // namespace

namespace {

/// The PID in "<prefix>-<pid>-..." if that process is gone; 0 otherwise.
long dead_owner(const std::string& name, const std::string& pre) {
    if (name.rfind(pre, 0) != 0) {
        return 0;
    }
    long pid = std::strtol(name.c_str() + pre.size(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid() || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) {
        return 0;  // not ours, or its run is still going
    }
    return pid;
}

}  // namespace

int sweep_stale_netns() {
    namespace fs = std::filesystem;
    std::error_code ec;
    int removed = 0;
    std::string pre = prefix() + "-";
    for (const auto& e : fs::directory_iterator("/run/netns", ec)) {
        std::string n = e.path().filename().string();
        if (dead_owner(n, pre) != 0 && run({"ip", "netns", "del", n}, 10s).ok()) {
            ++removed;
        }
    }
    // The tests' working directories (charon configs and logs) are named like the namespaces.
    for (const auto& e : fs::directory_iterator(fs::temp_directory_path(), ec)) {
        if (e.is_directory(ec) && dead_owner(e.path().filename().string(), pre) != 0) {
            fs::remove_all(e.path(), ec);
        }
    }
    return removed;
}

netns::netns(const std::string& suffix) {
    static std::atomic<int> seq{0};
    static bool swept = false;
    if (!swept) {
        swept = true;
        sweep_stale_netns();
    }
    _name = prefix() + "-" + std::to_string(::getpid()) + "-" + std::to_string(seq++) + "-" + suffix;
    auto r = run({"ip", "netns", "add", _name}, 10s);
    if (!r.ok()) {
        throw std::runtime_error("ip netns add " + _name + ": " + r.out);
    }
    try {
        ip({"link", "set", "lo", "up"});
    } catch (...) {
        run({"ip", "netns", "del", _name}, 10s);
        throw;
    }
}

netns::~netns() {
    run({"ip", "netns", "del", _name}, 10s);
}

void netns::ip(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"ip", "-n", _name};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run(argv, 10s);
    if (!r.ok()) {
        std::string cmd;
        for (const auto& a : argv) {
            cmd += a + " ";
        }
        throw std::runtime_error(cmd + "failed: " + r.out);
    }
}

run_result netns::exec(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) const {
    return run(argv, timeout, _name);
}

void veth_link(const netns& a, const std::string& addr_a, const netns& b, const std::string& addr_b,
               const std::string& ifname) {
    // Created straight into both namespaces: the names never exist in the caller's one.
    auto r = run({"ip", "link", "add", ifname, "netns", a.name(), "type", "veth", "peer", "name", ifname, "netns",
                  b.name()},
                 10s);
    if (!r.ok()) {
        throw std::runtime_error("veth " + a.name() + "/" + b.name() + ": " + r.out);
    }
    a.ip({"addr", "add", addr_a, "dev", ifname});
    b.ip({"addr", "add", addr_b, "dev", ifname});
    a.ip({"link", "set", ifname, "up"});
    b.ip({"link", "set", ifname, "up"});
}

two_hosts::two_hosts() {
    veth_link(a, std::string(outer_a) + "/24", b, std::string(outer_b) + "/24");
    a.ip({"addr", "add", std::string(inner_a) + "/32", "dev", "lo"});
    b.ip({"addr", "add", std::string(inner_b) + "/32", "dev", "lo"});
}

}  // namespace zplex::e2e
