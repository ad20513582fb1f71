// SPDX-License-Identifier: Apache-2.0
// The security policy database: ordered filter rules with permit, deny or ipsec
// actions, and dynamic filters tied to an SA (RFC 4301 §4.4.1), indexed so a lookup
// does not scan thousands of rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zplex::ipsec {

/// The IPv4 netmask of a prefix length (0: 0, 32 or more: all ones).
constexpr std::uint32_t prefix_mask(std::uint8_t len) noexcept {
    return len == 0 ? 0 : len >= 32 ? 0xffffffffu : ~0u << (32 - len);
}
/// True if @p a lies in @p net / @p len (host order).
constexpr bool in_prefix(std::uint32_t a, std::uint32_t net, std::uint8_t len) noexcept {
    return ((a ^ net) & prefix_mask(len)) == 0;
}

enum class spd_action : std::uint8_t { permit, deny, ipsec };
enum class spd_direction : std::uint8_t { inbound, outbound, both };

/// One filter rule. Addresses are host-order IPv4 with a prefix length (0 = any).
struct spd_rule {
    std::uint32_t src = 0;
    std::uint8_t src_len = 0;
    std::uint32_t dst = 0;
    std::uint8_t dst_len = 0;
    std::optional<std::uint8_t> protocol;  ///< nullopt: any
    std::uint16_t src_port_lo = 0, src_port_hi = 65535;
    std::uint16_t dst_port_lo = 0, dst_port_hi = 65535;
    spd_direction direction = spd_direction::both;
    spd_action action = spd_action::permit;
    std::string sa_name;                   ///< for ipsec: the outbound SA (or tunnel) to use
    std::string name;                      ///< for displays (e.g. the IPSECRULE's line)
};

/// What a packet looks like to the SPD.
struct spd_selector {
    std::uint32_t src = 0;
    std::uint32_t dst = 0;
    std::uint8_t protocol = 0;
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    spd_direction direction = spd_direction::outbound;
};

struct spd_match {
    spd_action action = spd_action::deny;
    const spd_rule* rule = nullptr;        ///< null: the implicit default deny
};

class spd {
public:
    /// Static rules, in order (the profile's IPSECRULEs, or policy).
    void add(spd_rule r);
    /// A dynamic filter for an SA: matched before every static rule, removed with the SA.
    void add_dynamic(spd_rule r);
    /// Remove the dynamic filters of SA @p sa_name; returns how many.
    std::size_t remove_dynamic(const std::string& sa_name);

    /// First matching rule, dynamic filters first; no match is the implicit deny
    /// (z/OS's SYSDEFAULTDENYRULE). Does not allocate.
    spd_match lookup(const spd_selector& s) const noexcept;

    std::size_t size() const noexcept { return _static.size() + _dynamic.size(); }

private:
    void reindex();
    static bool matches(const spd_rule& r, const spd_selector& s) noexcept;
    const std::vector<std::uint32_t>* bucket(int protocol, int port) const noexcept;

    void reindex_dynamic();

    std::vector<spd_rule> _dynamic;
    // Index of dynamic filters: those for one destination host, sorted by (dst, index);
    // the others (prefixes, any) by index. A lookup merges one host range with them.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> _dyn_host;
    std::vector<std::uint32_t> _dyn_wild;
    std::vector<spd_rule> _static;
    // Index of static rules: (protocol or 256 for any) x (exact dst port or 65536 for
    // any/range) -> rule indices in order. A lookup merges at most four short lists.
    struct key_bucket {
        std::uint32_t key;
        std::vector<std::uint32_t> rules;
    };
    std::vector<key_bucket> _index;   ///< sorted by key
};

}  // namespace zplex::ipsec
