// SPDX-License-Identifier: Apache-2.0
// Policy Agent policy -> IKE engine configuration (iked_config_from_policy).
#include <zplex/host/iked.hpp>
#include <zplex/tcpip/profile/ipv4.hpp>
#include <zplex/sysplex/ipv4.hpp>

#include <arpa/inet.h>

#include <algorithm>

namespace zplex::host {

namespace {

using policy::message;
using policy::severity;
using tcpip::profile::ipv4_address;



bool overlaps(const policy::address& a, const policy::address& b) {
    std::uint8_t p = std::min(a.prefix, b.prefix);
    return ((a.addr ^ b.addr) & ipsec::prefix_mask(p)) == 0;
}

ike::traffic_selector selector(const policy::address& a, std::optional<std::uint8_t> proto, std::uint16_t lo,
                               std::uint16_t hi) {
    ike::traffic_selector ts;
    std::uint32_t m = ipsec::prefix_mask(a.prefix);
    ts.start_addr = a.addr & m;
    ts.end_addr = ts.start_addr | ~m;
    ts.ip_protocol = proto.value_or(0);
    ts.start_port = lo;
    ts.end_port = hi;
    return ts;
}

void add(std::vector<message>& out, const char* id, severity s, std::string text) {
    out.push_back(message{id, s, std::move(text)});
}

std::string where(const policy::source_ref& r) {
    return r.file.empty() ? std::string() : " AT LINE " + std::to_string(r.line) + " OF " + r.file;
}

std::optional<ike::identity> to_identity(const policy::identity& id, std::string& type_name) {
    type_name = policy::name_of(id.type);
    switch (id.type) {
    case policy::id_type::ipv4_addr: {
        auto a = sysplex::ipv4_address::parse(id.value);
        if (!a) return std::nullopt;
        return ike::identity::ipv4(a->value);
    }
    case policy::id_type::fqdn:
        return ike::identity::fqdn(id.value);
    case policy::id_type::key_id:
        return ike::identity::key_id(id.value);
    case policy::id_type::user_fqdn: {
        ike::identity i;
        i.type = ike::id_type::rfc822_addr;
        i.data.assign(id.value.begin(), id.value.end());
        return i;
    }
    }
    return std::nullopt;
}

/// The ESP transforms of a data-plane algorithm: (encr id, bits, integ id).
struct esp_algo {
    std::uint16_t encr, bits, integ;
};
std::optional<esp_algo> esp_of(ipsec::algorithm a) {
    using ipsec::algorithm;
    switch (a) {
    case algorithm::aes_gcm_128: return esp_algo{ike::encr_id::aes_gcm_16, 128, ike::integ_id::none};
    case algorithm::aes_gcm_256: return esp_algo{ike::encr_id::aes_gcm_16, 256, ike::integ_id::none};
    case algorithm::aes_cbc_128_hmac_sha256: return esp_algo{ike::encr_id::aes_cbc, 128, ike::integ_id::hmac_sha2_256_128};
    case algorithm::aes_cbc_256_hmac_sha256: return esp_algo{ike::encr_id::aes_cbc, 256, ike::integ_id::hmac_sha2_256_128};
    case algorithm::aes_cbc_128_hmac_sha384: return esp_algo{ike::encr_id::aes_cbc, 128, ike::integ_id::hmac_sha2_384_192};
    case algorithm::aes_cbc_256_hmac_sha384: return esp_algo{ike::encr_id::aes_cbc, 256, ike::integ_id::hmac_sha2_384_192};
    case algorithm::aes_cbc_128_hmac_sha512: return esp_algo{ike::encr_id::aes_cbc, 128, ike::integ_id::hmac_sha2_512_256};
    case algorithm::aes_cbc_256_hmac_sha512: return esp_algo{ike::encr_id::aes_cbc, 256, ike::integ_id::hmac_sha2_512_256};
    default: return std::nullopt;  // ENCR_NULL: not negotiated by zplex IKE
    }
}

ike::ike_proposal to_ike_proposal(const policy::ike_offer& o) {
    ike::ike_proposal p;
    std::uint16_t bits = static_cast<std::uint16_t>(o.key_length);
    if (o.encryption == policy::ike_encryption::aes_gcm_16) {
        p.encr = {{ike::encr_id::aes_gcm_16, bits}};
        p.integ.clear();
    } else {
        p.encr = {{ike::encr_id::aes_cbc, bits}};
        switch (o.integrity) {
        case policy::ike_integrity::hmac_sha2_384_192: p.integ = {ike::integ_id::hmac_sha2_384_192}; break;
        case policy::ike_integrity::hmac_sha2_512_256: p.integ = {ike::integ_id::hmac_sha2_512_256}; break;
        default: p.integ = {ike::integ_id::hmac_sha2_256_128}; break;
        }
    }
    switch (o.prf) {
    case policy::ike_prf::hmac_sha2_384: p.prf = {ike::prf_id::hmac_sha2_384}; break;
    case policy::ike_prf::hmac_sha2_512: p.prf = {ike::prf_id::hmac_sha2_512}; break;
    default: p.prf = {ike::prf_id::hmac_sha2_256}; break;
    }
    p.dh = {static_cast<std::uint16_t>(o.dh_group)};
    return p;
}

}  // namespace

bool iked_config::has_errors() const {
    return std::any_of(messages.begin(), messages.end(), [](const message& m) { return m.level == severity::error; });
}

std::optional<traffic_selector> to_host_selector(const ike::traffic_selector& ts) {
    if (ts.end_addr < ts.start_addr) {
        return std::nullopt;
    }
    std::uint32_t span = ts.end_addr - ts.start_addr;
    std::uint8_t prefix = 32;
    while (prefix > 0 && (span >> (32 - prefix)) != 0) {
        --prefix;
    }
    if (span != ~ipsec::prefix_mask(prefix) || (ts.start_addr & ~ipsec::prefix_mask(prefix)) != 0) {
        return std::nullopt;
    }
    traffic_selector h;
    h.addr = ts.start_addr;
    h.prefix_len = prefix;
    if (ts.ip_protocol != 0) {
        h.protocol = ts.ip_protocol;
    }
    h.port_lo = ts.start_port;
    h.port_hi = ts.end_port;
    return h;
}

iked_config iked_config_from_policy(const policy::ipsec_policy& p, bool host_mode) {
    iked_config out;
    auto& msgs = out.messages;
    for (const auto& rule : p.key_exchange_rules) {
        auto le = p.local_endpoints.find(rule.local_endpoint);
        auto re = p.remote_endpoints.find(rule.remote_endpoint);
        auto act = p.key_exchange_actions.find(rule.action);
        if (le == p.local_endpoints.end() || re == p.remote_endpoints.end() || act == p.key_exchange_actions.end()) {
            add(msgs, "ZPX0907E", severity::error,
                "KEY EXCHANGE RULE " + rule.name + " NOT USED: AN ENDPOINT OR ITS ACTION IS MISSING" + where(rule.where));
            continue;
        }
        if (!le->second.location || le->second.location->prefix != 32) {
            add(msgs, "ZPX0907E", severity::error,
                "KEY EXCHANGE RULE " + rule.name + " NOT USED: LOCAL ENDPOINT " + le->first +
                    " NEEDS A Location WITH ONE ADDRESS" + where(le->second.where));
            continue;
        }
        ike::connection_config c;
        iked_connection_policy cp;
        c.name = cp.name = rule.name;
        cp.action = rule.action;
        cp.local_endpoint = rule.local_endpoint;
        cp.remote_endpoint = rule.remote_endpoint;
        c.local_addr = le->second.location->addr;
        std::optional<policy::address> rloc = re->second.location;
        // A remote range stays a range: only peers in it match, and only respond.
        c.remote_prefix = rloc ? rloc->prefix : 0;
        c.remote_addr = rloc ? rloc->addr & ipsec::prefix_mask(rloc->prefix) : 0;
        bool ok = true;
        if (le->second.id) {
            auto id = to_identity(*le->second.id, cp.local_id_type);
            if (!id) {
                ok = false;
            } else {
                c.local_id = *id;
                cp.local_id = le->second.id->value;
            }
        } else {
            c.local_id = ike::identity::ipv4(c.local_addr);
            cp.local_id = ipv4_address{c.local_addr}.str();
        }
        if (re->second.id) {
            auto id = to_identity(*re->second.id, cp.remote_id_type);
            if (!id) {
                ok = false;
            } else {
                c.remote_id = *id;
                cp.remote_id = re->second.id->value;
            }
        } else if (c.remote_prefix == 32) {
            c.remote_id = ike::identity::ipv4(c.remote_addr);
            cp.remote_id = ipv4_address{c.remote_addr}.str();
        } else {
            // No Identity: the peer identifies itself by its address, inside the range.
            c.remote_id = ike::identity{};
            c.remote_id_in_range = true;
            cp.remote_id = ipv4_address{c.remote_addr}.str() + "/" + std::to_string(c.remote_prefix);
        }
        if (!ok) {
            add(msgs, "ZPX0907E", severity::error,
                "KEY EXCHANGE RULE " + rule.name + " NOT USED: AN IDENTITY IS NOT VALID" + where(rule.where));
            continue;
        }
        const auto& a = act->second;
        cp.auth = policy::name_of(a.how_to_auth_peers);
        if (a.how_to_auth_peers == policy::auth_method::preshared_key) {
            if (rule.shared_key.empty()) {
                add(msgs, "ZPX0907E", severity::error,
                    "KEY EXCHANGE RULE " + rule.name + " NOT USED: PresharedKey WITHOUT SharedKey" + where(rule.where));
                continue;
            }
            c.auth = ike::auth_kind::psk;
            c.psk = ike::secret(rule.shared_key.data(), rule.shared_key.size());
        } else {
            c.auth = ike::auth_kind::cert;
            c.cert_file = le->second.certificate;
            c.key_file = le->second.private_key;
            c.ca_file = re->second.ca_certificate;
        }
        c.proposals.clear();
        if (a.offers.empty()) {
            c.proposals.push_back(to_ike_proposal(policy::ike_offer{}));
        } else {
            cp.ike_lifetime = a.offers.front().lifetime;
        }
        for (const auto& o : a.offers) {
            c.proposals.push_back(to_ike_proposal(o));
            cp.ike_lifetime = std::min(cp.ike_lifetime, o.lifetime);
        }
        out.peer.connections.push_back(std::move(c));
        out.connections.push_back(std::move(cp));
    }
    if (out.peer.connections.empty()) {
        add(msgs, "ZPX0907E", severity::error, "NO KEY EXCHANGE RULE IS USABLE");
        return out;
    }
    // Filter rules protected by an IpDynVpnAction become children.
    for (const auto& f : p.filter_rules) {
        if (f.dyn_vpn_action.empty()) {
            continue;
        }
        auto va = p.dyn_vpn_actions.find(f.dyn_vpn_action);
        if (va == p.dyn_vpn_actions.end()) {
            continue;
        }
        std::size_t owner = 0;
        for (std::size_t i = 0; i < p.key_exchange_rules.size(); ++i) {
            const auto& kr = p.key_exchange_rules[i];
            auto re = p.remote_endpoints.find(kr.remote_endpoint);
            if (re != p.remote_endpoints.end() && re->second.location && overlaps(*re->second.location, f.dst)) {
                auto ci = std::find_if(out.peer.connections.begin(), out.peer.connections.end(),
                                       [&](const ike::connection_config& c) { return c.name == kr.name; });
                if (ci != out.peer.connections.end()) {
                    owner = static_cast<std::size_t>(ci - out.peer.connections.begin());
                    break;
                }
            }
        }
        ike::child_config ch;
        ch.name = f.name;
        ch.local_ts = {selector(f.src, f.protocol, f.src_port_lo, f.src_port_hi)};
        ch.remote_ts = {selector(f.dst, f.protocol, f.dst_port_lo, f.dst_port_hi)};
        ch.proposals.clear();
        bool tunnel = false;
        for (const auto& o : va->second.offers) {
            if (o.protocol != policy::auth_protocol::esp) {
                add(msgs, "ZPX0908I", severity::warning,
                    "IpDynVpnAction " + va->first + ": AH OFFER SKIPPED, IKE NEGOTIATES ESP ONLY" + where(o.where));
                continue;
            }
            auto e = esp_of(o.alg);
            if (!e) {
                add(msgs, "ZPX0908I", severity::warning,
                    "IpDynVpnAction " + va->first + ": OFFER WITHOUT ENCRYPTION SKIPPED" + where(o.where));
                continue;
            }
            ike::esp_proposal ep;
            ep.encr = {{e->encr, e->bits}};
            ep.integ.clear();
            if (e->integ != ike::integ_id::none) {
                ep.integ = {e->integ};
            }
            if (va->second.pfs_group != 0) {
                ep.dh = {static_cast<std::uint16_t>(va->second.pfs_group)};
            }
            ch.proposals.push_back(std::move(ep));
            tunnel = tunnel || o.encap == policy::encap_mode::tunnel;
        }
        if (ch.proposals.empty()) {
            add(msgs, "ZPX0907E", severity::error,
                "FILTER RULE " + f.name + " NOT USED: IpDynVpnAction " + va->first + " HAS NO ESP OFFER" +
                    where(f.where));
            continue;
        }
        ch.mode = tunnel ? ipsec::sa_mode::tunnel : ipsec::sa_mode::transport;
        if (host_mode && !tunnel) {
            ch.mode = ipsec::sa_mode::tunnel;
            add(msgs, "ZPX0908I", severity::info,
                "IpDynVpnAction " + va->first + ": HowToEncap Transport NEGOTIATED AS Tunnel IN HOST MODE" +
                    where(va->second.where));
        }
        iked_child_policy chp;
        chp.connection = out.peer.connections[owner].name;
        chp.child = f.name;
        chp.vpn_action = va->first;
        chp.lifetime = va->second.lifetime;
        chp.lifesize_kb = va->second.lifesize_kb;
        chp.on_demand = va->second.initiate_on_demand;
        out.children.push_back(chp);
        out.peer.connections[owner].children.push_back(std::move(ch));
    }
    for (const auto& c : out.peer.connections) {
        if (c.children.empty()) {
            add(msgs, "ZPX0908I", severity::warning,
                "KEY EXCHANGE RULE " + c.name + " HAS NO IpFilterRule WITH AN IpDynVpnActionRef: IKE SA ONLY");
        }
    }
    return out;
}

}  // namespace zplex::host
