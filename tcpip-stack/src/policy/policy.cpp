// SPDX-License-Identifier: Apache-2.0
// Policy Agent style IPSec policy: a tokenizer, a block tree built with each block's
// own attribute keywords (several attributes may share a line, as in
// `IpService { SourcePortRange 443 Protocol tcp }`), then one reader per statement
// (reader.hpp says which file holds which part). Here: the references between
// statements, and what the parsed policy gives its users.
#include "reader.hpp"

#include <openssl/crypto.h>

#include <algorithm>

namespace zplex::policy {

namespace detail {

void reader::resolve() {
    for (auto& [name, n] : _rule_refs) {
        if (name.empty()) {
            filter_rule_stmt(n);
            continue;
        }
        auto it = _loose_rules.find(name);
        if (it == _loose_rules.end()) {
            error("ZPX0804E", "IPFILTERRULEREF " + name + " " + at(n) + " NAMES NO IPFILTERRULE: NOTHING INSTALLED FOR IT");
            continue;
        }
        filter_rule_stmt(it->second);
    }
    for (auto& [name, n] : _kex_refs) {
        if (name.empty()) {
            kex_rule_stmt(n);
            continue;
        }
        auto it = _loose_kex.find(name);
        if (it == _loose_kex.end()) {
            error("ZPX0804E",
                  "KEYEXCHANGERULEREF " + name + " " + at(n) + " NAMES NO KEYEXCHANGERULE: NOTHING INSTALLED FOR IT");
            continue;
        }
        kex_rule_stmt(it->second);
    }
    // Filter rules: actions may be defined anywhere in the file.
    static const std::map<std::string, filter_action> builtin = {
        {"PERMIT", filter_action::permit}, {"DENY", filter_action::deny}, {"IPSEC", filter_action::ipsec}};
    for (auto& [r, n] : _pending_rules) {
        filter_action act;
        auto g = _r.policy.generic_actions.find(r.generic_action);
        if (g != _r.policy.generic_actions.end()) {
            act = g->second.action;
        } else if (builtin.count(upper(r.generic_action))) {
            act = builtin.at(upper(r.generic_action));
        } else {
            not_installed("IPFILTERRULE", r.name, n, "IPGENERICFILTERACTION " + r.generic_action + " IS NOT DEFINED");
            continue;
        }
        if (!r.dyn_vpn_action.empty()) {
            if (!_r.policy.dyn_vpn_actions.count(r.dyn_vpn_action)) {
                not_installed("IPFILTERRULE", r.name, n, "IPDYNVPNACTION " + r.dyn_vpn_action + " IS NOT DEFINED");
                continue;
            }
            if (act == filter_action::deny) {
                not_installed("IPFILTERRULE", r.name, n, "A DENY RULE CANNOT NAME AN IPDYNVPNACTION");
                continue;
            }
        } else if (act == filter_action::ipsec) {
            not_installed("IPFILTERRULE", r.name, n, "AN IPSEC RULE NEEDS IPDYNVPNACTIONREF");
            continue;
        }
        _r.policy.filter_rules.push_back(std::move(r));
    }
    for (auto& pending : _pending_kex) {
        auto& r = pending.first;
        const auto& n = pending.second;
        std::string why;
        if (!_r.policy.local_endpoints.count(r.local_endpoint)) {
            why = "LOCALSECURITYENDPOINT " + r.local_endpoint + " IS NOT DEFINED";
        } else if (!_r.policy.remote_endpoints.count(r.remote_endpoint)) {
            why = "REMOTESECURITYENDPOINT " + r.remote_endpoint + " IS NOT DEFINED";
        } else if (!_r.policy.key_exchange_actions.count(r.action)) {
            why = "KEYEXCHANGEACTION " + r.action + " IS NOT DEFINED";
        } else if (_r.policy.key_exchange_actions.at(r.action).how_to_auth_peers == auth_method::preshared_key &&
                   r.shared_key.empty()) {
            why = "ITS ACTION AUTHENTICATES BY PRESHAREDKEY BUT THERE IS NO SHAREDKEY";
        } else if (std::any_of(_r.policy.key_exchange_rules.begin(), _r.policy.key_exchange_rules.end(),
                               [&](const key_exchange_rule& e) { return e.name == r.name; })) {
            error("ZPX0805E", "DUPLICATE KEYEXCHANGERULE " + r.name + " " + at(n) + ": THE FIRST ONE IS KEPT");
            OPENSSL_cleanse(r.shared_key.data(), r.shared_key.size());
            continue;
        }
        if (!why.empty()) {
            not_installed("KEYEXCHANGERULE", r.name, n, why);
            OPENSSL_cleanse(r.shared_key.data(), r.shared_key.size());
            continue;
        }
        _r.policy.key_exchange_rules.push_back(std::move(r));
    }
}

}  // namespace detail

namespace {

using sysplex::upper;

bool covers(const address& a, std::uint32_t ip) { return ipsec::in_prefix(ip, a.addr, a.prefix); }

}  // namespace

ipsec_policy::~ipsec_policy() {
    for (auto& r : key_exchange_rules) {
        OPENSSL_cleanse(r.shared_key.data(), r.shared_key.size());
    }
}

std::vector<ipsec::spd_rule> ipsec_policy::spd_rules() const {
    std::vector<ipsec::spd_rule> out;
    for (const auto& r : filter_rules) {
        ipsec::spd_rule s;
        s.src = r.src.addr;
        s.src_len = r.src.prefix;
        s.dst = r.dst.addr;
        s.dst_len = r.dst.prefix;
        s.protocol = r.protocol;
        s.src_port_lo = r.src_port_lo;
        s.src_port_hi = r.src_port_hi;
        s.dst_port_lo = r.dst_port_lo;
        s.dst_port_hi = r.dst_port_hi;
        s.direction = r.direction;
        s.name = r.name;
        if (!r.dyn_vpn_action.empty()) {
            s.action = ipsec::spd_action::ipsec;
            s.sa_name = r.dyn_vpn_action;
        } else {
            auto g = generic_actions.find(r.generic_action);
            auto a = g != generic_actions.end() ? g->second.action
                     : upper(r.generic_action) == "DENY" ? filter_action::deny
                                                         : filter_action::permit;
            s.action = a == filter_action::deny ? ipsec::spd_action::deny : ipsec::spd_action::permit;
        }
        out.push_back(std::move(s));
    }
    return out;
}

const key_exchange_rule* ipsec_policy::rule_for_peer(std::uint32_t peer) const {
    for (const auto& r : key_exchange_rules) {
        auto it = remote_endpoints.find(r.remote_endpoint);
        if (it != remote_endpoints.end() && it->second.location && covers(*it->second.location, peer)) {
            return &r;
        }
    }
    return nullptr;
}

int parse_result::return_code() const {
    int rc = 0;
    for (const auto& m : messages) {
        rc = std::max(rc, m.level == severity::error ? 8 : m.level == severity::warning ? 4 : 0);
    }
    return rc;
}

parse_result parse(std::string_view text, std::string_view name) {
    try {
        return detail::reader(name).run(text);
    } catch (const std::exception& e) {
        parse_result r;
        r.messages.push_back(message{"ZPX0800E", severity::error,
                                     "POLICY " + std::string(name) + " COULD NOT BE PROCESSED: " + e.what()});
        return r;
    }
}

const char* name_of(ike_encryption e) noexcept { return e == ike_encryption::aes_gcm_16 ? "AES_GCM_16" : "AES_CBC"; }

const char* name_of(ike_integrity i) noexcept {
    switch (i) {
    case ike_integrity::none: return "None";
    case ike_integrity::hmac_sha2_256_128: return "HMAC_SHA2_256_128";
    case ike_integrity::hmac_sha2_384_192: return "HMAC_SHA2_384_192";
    case ike_integrity::hmac_sha2_512_256: return "HMAC_SHA2_512_256";
    }
    return "?";
}

const char* name_of(ike_prf p) noexcept {
    switch (p) {
    case ike_prf::hmac_sha2_256: return "HMAC_SHA2_256";
    case ike_prf::hmac_sha2_384: return "HMAC_SHA2_384";
    case ike_prf::hmac_sha2_512: return "HMAC_SHA2_512";
    }
    return "?";
}

const char* name_of(auth_method m) noexcept {
    switch (m) {
    case auth_method::preshared_key: return "PresharedKey";
    case auth_method::rsa_signature: return "RsaSignature";
    case auth_method::ecdsa_signature: return "EcdsaSignature";
    }
    return "?";
}

const char* name_of(id_type t) noexcept {
    switch (t) {
    case id_type::ipv4_addr: return "ID_IPV4_ADDR";
    case id_type::fqdn: return "ID_FQDN";
    case id_type::user_fqdn: return "ID_RFC822_ADDR";
    case id_type::key_id: return "ID_KEY_ID";
    }
    return "?";
}

}  // namespace zplex::policy
