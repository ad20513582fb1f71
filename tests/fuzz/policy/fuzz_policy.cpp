// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the Policy Agent style policy parser on arbitrary text. Any crash
// or sanitizer report is a finding; every outcome is a policy plus messages, and
// whatever was installed must be self-consistent.
#include <zplex/policy/policy.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto r = zplex::policy::parse(text, "FUZZ");
    for (const auto& rule : r.policy.key_exchange_rules) {
        // Resolution promised every reference is there.
        if (!r.policy.local_endpoints.count(rule.local_endpoint) ||
            !r.policy.remote_endpoints.count(rule.remote_endpoint) ||
            !r.policy.key_exchange_actions.count(rule.action)) {
            __builtin_trap();
        }
    }
    for (const auto& rule : r.policy.filter_rules) {
        if (!rule.dyn_vpn_action.empty() && !r.policy.dyn_vpn_actions.count(rule.dyn_vpn_action)) {
            __builtin_trap();
        }
    }
    auto spd = r.policy.spd_rules();
    if (spd.size() != r.policy.filter_rules.size()) {
        __builtin_trap();
    }
    (void)r.policy.rule_for_peer(0xc61200c8);
    (void)r.return_code();
    return 0;
}
