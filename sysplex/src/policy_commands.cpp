// SPDX-License-Identifier: Apache-2.0
// `zplex policy check FILE`: read an IPSec policy file as the stack's Policy Agent
// would, print its messages and a summary; exit 0, 4 or 8 like a job step.
#include "commands.hpp"

#include <zplex/policy/policy.hpp>
#include <zplex/tcpip/profile/ipv4.hpp>

#include <fmt/format.h>

#include <iostream>

namespace zplex::cli {

namespace {

using tcpip::profile::ipv4_address;


std::string addr(const policy::address& a) {
    if (a.prefix == 0) {
        return "All";
    }
    return a.prefix == 32 ? ipv4_address{a.addr}.str() : fmt::format("{}/{}", ipv4_address{a.addr}.str(), a.prefix);
}

int run_policy_check(const std::string& file, bool summary) {
    auto r = policy::parse_file(file);
    for (const auto& m : r.messages) {
        std::cout << m.str() << '\n';
    }
    const bool unread = !r.messages.empty() && r.messages.front().id == "ZPX0800E";
    if (summary && !unread) {
        const auto& p = r.policy;
        std::cout << fmt::format("{:<24} {:<18} {:<18} {:<6} {:<12} {}\n", "FilterRule", "Source", "Destination",
                                 "Proto", "Ports", "Action");
        for (const auto& f : p.filter_rules) {
            std::string ports = f.protocol && (*f.protocol == 6 || *f.protocol == 17)
                                    ? fmt::format("{}-{}>{}-{}", f.src_port_lo, f.src_port_hi, f.dst_port_lo,
                                                  f.dst_port_hi)
                                    : "-";
            std::string action = f.dyn_vpn_action.empty() ? f.generic_action : "ipsec " + f.dyn_vpn_action;
            std::cout << fmt::format("{:<24} {:<18} {:<18} {:<6} {:<12} {}\n", f.name, addr(f.src), addr(f.dst),
                                     f.protocol ? std::to_string(*f.protocol) : "all", ports, action);
        }
        for (const auto& k : p.key_exchange_rules) {
            const auto& act = p.key_exchange_actions.at(k.action);
            std::cout << fmt::format("KeyExchangeRule {}: {} <-> {}, {}, {} offer(s)\n", k.name, k.local_endpoint,
                                     k.remote_endpoint, policy::name_of(act.how_to_auth_peers), act.offers.size());
        }
    }
    return r.return_code();
}

}  // namespace

void add_policy_commands(CLI::App& app, exit_status& status) {
    auto* pol = app.add_subcommand("policy", "IPSec policy files (Policy Agent statements)");
    pol->require_subcommand(1);
    auto file = std::make_shared<std::string>();
    auto no_summary = std::make_shared<bool>(false);
    auto* check = pol->add_subcommand("check", "Read a policy file; messages, then the installed rules; exit 0/4/8");
    check->add_option("file", *file, "The policy file")->required();
    check->add_flag("--no-summary", *no_summary, "Messages only");
    check->callback([=, &status] { status.code = run_policy_check(*file, !*no_summary); });
}

}  // namespace zplex::cli
