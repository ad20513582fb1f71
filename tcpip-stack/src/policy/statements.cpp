// SPDX-License-Identifier: Apache-2.0
// One reader per Policy Agent statement.
#include "reader.hpp"

#include <zplex/tcpip/profile/ipv4.hpp>

#include <openssl/crypto.h>

#include <algorithm>
#include <functional>

namespace zplex::policy::detail {

bool reader::object_name(const node& n, std::string& name) {
    if (n.values.size() != 1) {
        error("ZPX0801E", "SYNTAX ERROR " + at(n) + ": " + n.keyword + " NEEDS ONE NAME BEFORE ITS { } BLOCK");
        return false;
    }
    if (!n.has_block) {
        error("ZPX0801E", "SYNTAX ERROR " + at(n) + ": " + n.keyword + " " + n.values[0].text + " HAS NO { } BLOCK");
        return false;
    }
    name = n.values[0].text;
    return true;
}

void reader::not_installed(const std::string& what, const std::string& name, const node& n, const std::string& why) {
    error("ZPX0804E", what + " " + name + " " + at(n) + " IS NOT INSTALLED: " + why);
}

void reader::top_statement(const node& n) {
    const auto& k = n.keyword;
    if (k == "IPFILTERPOLICY" || k == "KEYEXCHANGEPOLICY") {
        if (!n.has_block || !n.values.empty()) {
            error("ZPX0801E", "SYNTAX ERROR " + at(n) + ": " + k + " TAKES NO NAME, ONLY A { } BLOCK");
            return;
        }
        // Rules, inline or by reference, keep the order they are listed in.
        for (const auto& c : n.children) {
            if (c.keyword == "IPFILTERRULE") {
                _rule_refs.push_back({"", c});
            } else if (c.keyword == "KEYEXCHANGERULE") {
                _kex_refs.push_back({"", c});
            } else if (c.keyword == "IPFILTERRULEREF") {
                std::string v;
                if (one_value(c, k, v)) {
                    _rule_refs.push_back({v, c});
                }
            } else if (c.keyword == "KEYEXCHANGERULEREF") {
                std::string v;
                if (one_value(c, k, v)) {
                    _kex_refs.push_back({v, c});
                }
            } else if (c.keyword == "POLICYSCOPE") {
                std::string v;
                if (one_value(c, k, v) && upper(v) != "BOTH" && upper(v) != "LOCAL" && upper(v) != "DESTINATION") {
                    bad_value(c, k, "BOTH, LOCAL OR DESTINATION IS EXPECTED");
                }
            }
        }
        return;
    }
    if (k == "IPFILTERRULE") {
        // A rule outside IpFilterPolicy is a definition referenced by IpFilterRuleRef.
        std::string name;
        if (object_name(n, name) && !_loose_rules.emplace(name, n).second) {
            error("ZPX0805E", "DUPLICATE IPFILTERRULE " + name + " " + at(n) + ": THE FIRST ONE IS KEPT");
        }
    } else if (k == "KEYEXCHANGERULE") {
        std::string name;
        if (object_name(n, name) && !_loose_kex.emplace(name, n).second) {
            error("ZPX0805E", "DUPLICATE KEYEXCHANGERULE " + name + " " + at(n) + ": THE FIRST ONE IS KEPT");
        }
    } else if (k == "IPSERVICE") {
        service s;
        std::string name;
        if (object_name(n, name) && service_block(n, "IPSERVICE " + name, s) && !_services.emplace(name, s).second) {
            error("ZPX0805E", "DUPLICATE IPSERVICE " + name + " " + at(n) + ": THE FIRST ONE IS KEPT");
        }
    } else if (k == "IPGENERICFILTERACTION") {
        generic_action_stmt(n);
    } else if (k == "IPDYNVPNACTION") {
        dyn_vpn_stmt(n);
    } else if (k == "IPDATAOFFER") {
        std::string name;
        data_offer o;
        _bad_attr = false;
        if (object_name(n, name)) {
            bool have_encrypt = false;
            data_offer_attrs(n.children, "IPDATAOFFER " + name, o, have_encrypt);
            if (_bad_attr) {
                not_installed("IPDATAOFFER", name, n, "IT HAS INCORRECT ATTRIBUTES");
            } else {
                o.where = ref(n);
                _offers.emplace(name, o);
            }
        }
    } else if (k == "KEYEXCHANGEACTION") {
        kex_action_stmt(n);
    } else if (k == "KEYEXCHANGEOFFER") {
        std::string name;
        ike_offer o;
        _bad_attr = false;
        if (object_name(n, name)) {
            kex_offer_attrs(n.children, "KEYEXCHANGEOFFER " + name, o);
            if (_bad_attr) {
                not_installed("KEYEXCHANGEOFFER", name, n, "IT HAS INCORRECT ATTRIBUTES");
            } else {
                o.where = ref(n);
                _kex_offers.emplace(name, o);
            }
        }
    } else if (k == "LOCALSECURITYENDPOINT" || k == "REMOTESECURITYENDPOINT") {
        endpoint_stmt(n, k == "LOCALSECURITYENDPOINT");
    }
}

bool reader::port_range(const node& c, const std::string& owner, std::uint16_t& lo, std::uint16_t& hi) {
    std::uint64_t a = 0, b = 0;
    if (c.values.empty() || c.values.size() > 2 || !number(c.values[0].text, a, 65535) ||
        (c.values.size() == 2 && !number(c.values[1].text, b, 65535))) {
        bad_value(c, owner, "ONE OR TWO PORT NUMBERS 0-65535 ARE EXPECTED");
        return false;
    }
    if (c.values.size() == 1) {
        b = a;
    }
    if (b < a) {
        bad_value(c, owner, "THE RANGE ENDS BELOW ITS START");
        return false;
    }
    if (a == 0 && b == 0) {
        b = 65535;  // 0: every port
    }
    lo = static_cast<std::uint16_t>(a);
    hi = static_cast<std::uint16_t>(b);
    return true;
}

bool reader::service_block(const node& n, const std::string& owner, service& s) {
    bool ok = true;
    for (const auto& c : n.children) {
        std::string v;
        if (c.keyword == "SOURCEPORTRANGE") {
            ok &= port_range(c, owner, s.src_lo, s.src_hi);
        } else if (c.keyword == "DESTINATIONPORTRANGE") {
            ok &= port_range(c, owner, s.dst_lo, s.dst_hi);
        } else if (c.keyword == "PROTOCOL") {
            if (!one_value(c, owner, v)) {
                ok = false;
                continue;
            }
            auto u = upper(v);
            std::uint64_t p = 0;
            if (u == "TCP") {
                s.protocol = 6;
            } else if (u == "UDP") {
                s.protocol = 17;
            } else if (u == "ICMP") {
                s.protocol = 1;
            } else if (u == "ALL") {
                s.protocol.reset();
            } else if (number(u, p, 255)) {
                s.protocol = static_cast<std::uint8_t>(p);
            } else {
                bad_value(c, owner, "TCP, UDP, ICMP, ALL OR A NUMBER 0-255 IS EXPECTED");
                ok = false;
            }
        } else if (c.keyword == "DIRECTION") {
            if (!one_value(c, owner, v)) {
                ok = false;
                continue;
            }
            auto u = upper(v);
            if (u == "BIDIRECTIONAL") {
                s.direction = ipsec::spd_direction::both;
            } else if (u == "INBOUND") {
                s.direction = ipsec::spd_direction::inbound;
            } else if (u == "OUTBOUND") {
                s.direction = ipsec::spd_direction::outbound;
            } else {
                bad_value(c, owner, "BIDIRECTIONAL, INBOUND OR OUTBOUND IS EXPECTED");
                ok = false;
            }
        } else if (c.keyword == "ROUTING") {
            if (!one_value(c, owner, v)) {
                ok = false;
                continue;
            }
            auto u = upper(v);
            if (u == "ROUTED" || u == "EITHER") {
                add("ZPX0806I", severity::warning, "ROUTING " + u + " " + at(c) + " IS ACCEPTED BUT NOT EMULATED");
            } else if (u != "LOCAL") {
                bad_value(c, owner, "LOCAL, ROUTED OR EITHER IS EXPECTED");
                ok = false;
            }
        }
    }
    if (s.protocol && *s.protocol != 6 && *s.protocol != 17 &&
        (s.src_lo != 0 || s.src_hi != 65535 || s.dst_lo != 0 || s.dst_hi != 65535)) {
        error("ZPX0803E", "PORTS IN " + owner + " " + at(n) + " NEED PROTOCOL TCP OR UDP");
        _bad_attr = true;
        ok = false;
    }
    return ok;
}

void reader::filter_rule_stmt(const node& n) {
    std::string name;
    if (!object_name(n, name)) {
        return;
    }
    _bad_attr = false;
    std::string owner = "IPFILTERRULE " + name;
    filter_rule r;
    r.name = name;
    r.where = ref(n);
    bool have_src = false, have_dst = false, have_service = false;
    for (const auto& c : n.children) {
        std::string v;
        if (c.keyword == "IPSOURCEADDR") {
            have_src = address_value(c, owner, r.src);
        } else if (c.keyword == "IPDESTADDR") {
            have_dst = address_value(c, owner, r.dst);
        } else if (c.keyword == "IPSERVICE") {
            service s;
            if (service_block(c, owner, s)) {
                apply(s, r);
                have_service = true;
            }
        } else if (c.keyword == "IPSERVICEREF") {
            if (one_value(c, owner, v)) {
                auto it = _services.find(v);
                if (it == _services.end()) {
                    not_installed("IPFILTERRULE", name, n, "IPSERVICE " + v + " IS NOT DEFINED");
                    return;
                }
                apply(it->second, r);
                have_service = true;
            }
        } else if (c.keyword == "IPGENERICFILTERACTIONREF") {
            one_value(c, owner, r.generic_action);
        } else if (c.keyword == "IPDYNVPNACTIONREF") {
            one_value(c, owner, r.dyn_vpn_action);
        }
    }
    (void)have_service;
    if (_bad_attr) {
        not_installed("IPFILTERRULE", name, n, "IT HAS INCORRECT ATTRIBUTES");
        return;
    }
    if (!have_src || !have_dst || r.generic_action.empty()) {
        not_installed("IPFILTERRULE", name, n, "IPSOURCEADDR, IPDESTADDR AND IPGENERICFILTERACTIONREF ARE REQUIRED");
        return;
    }
    for (const auto& e : _r.policy.filter_rules) {
        if (e.name == name) {
            error("ZPX0805E", "DUPLICATE IPFILTERRULE " + name + " " + at(n) + ": THE FIRST ONE IS KEPT");
            return;
        }
    }
    _pending_rules.push_back({std::move(r), n});
}

void reader::apply(const service& s, filter_rule& r) {
    r.protocol = s.protocol;
    r.src_port_lo = s.src_lo;
    r.src_port_hi = s.src_hi;
    r.dst_port_lo = s.dst_lo;
    r.dst_port_hi = s.dst_hi;
    r.direction = s.direction;
}

void reader::generic_action_stmt(const node& n) {
    std::string name;
    if (!object_name(n, name)) {
        return;
    }
    // The built-in actions keep their meaning: `IpGenericFilterAction deny
    // { IpFilterAction permit }` would make every rule that says deny permit.
    if (auto u = upper(name); u == "PERMIT" || u == "DENY" || u == "IPSEC") {
        not_installed("IPGENERICFILTERACTION", name, n,
                      "PERMIT, DENY AND IPSEC ARE RESERVED ACTION NAMES; CHOOSE ANOTHER NAME");
        return;
    }
    _bad_attr = false;
    generic_filter_action a;
    a.name = name;
    a.where = ref(n);
    bool have = false;
    for (const auto& c : n.children) {
        std::string v;
        if (!one_value(c, "IPGENERICFILTERACTION " + name, v)) {
            continue;
        }
        auto u = upper(v);
        if (c.keyword == "IPFILTERACTION") {
            have = true;
            if (u == "PERMIT") {
                a.action = filter_action::permit;
            } else if (u == "DENY") {
                a.action = filter_action::deny;
            } else if (u == "IPSEC") {
                a.action = filter_action::ipsec;
            } else {
                bad_value(c, "IPGENERICFILTERACTION " + name, "PERMIT, DENY OR IPSEC IS EXPECTED");
            }
        } else if (c.keyword == "IPFILTERLOGGING") {
            if (u != "YES" && u != "NO") {
                bad_value(c, "IPGENERICFILTERACTION " + name, "YES OR NO IS EXPECTED");
            }
            a.logging = u == "YES";
        }
    }
    if (_bad_attr || !have) {
        not_installed("IPGENERICFILTERACTION", name, n,
                      have ? "IT HAS INCORRECT ATTRIBUTES" : "IPFILTERACTION IS REQUIRED");
        return;
    }
    install(_r.policy.generic_actions, "IPGENERICFILTERACTION", std::move(a), n);
}

void reader::data_offer_attrs(const std::vector<node>& attrs, const std::string& owner, data_offer& o, bool& any) {
    std::string enc = "AES_GCM_16";
    unsigned key_len = 128;
    unsigned auth_bits = 0;
    bool have_auth = false;
    for (const auto& c : attrs) {
        std::string v;
        if (c.keyword == "HOWTOENCAP") {
            any = true;
            if (!one_value(c, owner, v)) {
                continue;
            }
            auto u = upper(v);
            if (u == "TRANSPORT") {
                o.encap = encap_mode::transport;
            } else if (u == "TUNNEL") {
                o.encap = encap_mode::tunnel;
            } else {
                bad_value(c, owner, "TRANSPORT OR TUNNEL IS EXPECTED");
            }
        } else if (c.keyword == "HOWTOENCRYPT") {
            any = true;
            encryption_value(c, owner, enc, key_len, true);
        } else if (c.keyword == "HOWTOAUTH") {
            any = true;
            have_auth = true;
            if (c.values.empty() || c.values.size() > 2) {
                bad_value(c, owner, "ESP OR AH AND AN ALGORITHM ARE EXPECTED");
                continue;
            }
            auto p = upper(c.values[0].text);
            if (p != "ESP" && p != "AH") {
                bad_value(c, owner, "ESP OR AH IS EXPECTED FIRST");
                continue;
            }
            o.protocol = p == "AH" ? auth_protocol::ah : auth_protocol::esp;
            if (c.values.size() == 2 && !integrity_value(c.values[1], auth_bits)) {
                bad_value(c, owner,
                          "HMAC_SHA2_256_128, HMAC_SHA2_384_192, HMAC_SHA2_512_256 OR NULL IS EXPECTED (HMAC_SHA1 "
                          "AND HMAC_MD5 ARE NOT SUPPORTED)");
            }
        } else if (c.keyword == "REFRESHLIFETIMEPROPOSED") {
            // accepted: the IpDynVpnAction's Lifetime is what zplex proposes
        }
    }
    if (o.protocol == auth_protocol::ah) {
        if (auth_bits == 0) {
            auth_bits = 256;
        }
        o.ah_hmac_bits = auth_bits;
        return;
    }
    if (!have_auth && enc != "AES_GCM_16") {
        auth_bits = 256;
    }
    using ipsec::algorithm;
    if (enc == "AES_GCM_16") {
        if (auth_bits != 0) {
            error("ZPX0803E", "HOWTOAUTH ESP WITH AN HMAC IN " + owner +
                                  " DOES NOT GO WITH AES_GCM_16, WHICH AUTHENTICATES ITSELF: USE ESP NULL");
            _bad_attr = true;
            return;
        }
        o.alg = key_len == 256 ? algorithm::aes_gcm_256 : algorithm::aes_gcm_128;
        return;
    }
    if (auth_bits == 0) {
        error("ZPX0803E", "ESP IN " + owner + " NEEDS AN INTEGRITY ALGORITHM WITH " + enc);
        _bad_attr = true;
        return;
    }
    bool k256 = key_len == 256;
    if (enc == "DONOT") {
        o.alg = auth_bits == 256 ? algorithm::null_hmac_sha256
                : auth_bits == 384 ? algorithm::null_hmac_sha384
                                   : algorithm::null_hmac_sha512;
    } else if (auth_bits == 256) {
        o.alg = k256 ? algorithm::aes_cbc_256_hmac_sha256 : algorithm::aes_cbc_128_hmac_sha256;
    } else if (auth_bits == 384) {
        o.alg = k256 ? algorithm::aes_cbc_256_hmac_sha384 : algorithm::aes_cbc_128_hmac_sha384;
    } else {
        o.alg = k256 ? algorithm::aes_cbc_256_hmac_sha512 : algorithm::aes_cbc_128_hmac_sha512;
    }
}

void reader::dyn_vpn_stmt(const node& n) {
    std::string name;
    if (!object_name(n, name)) {
        return;
    }
    _bad_attr = false;
    std::string owner = "IPDYNVPNACTION " + name;
    dyn_vpn_action a;
    a.name = name;
    a.where = ref(n);
    std::vector<node> flat;
    for (const auto& c : n.children) {
        std::string v;
        std::uint64_t num = 0;
        if (c.keyword == "IPDATAOFFER") {
            data_offer o;
            bool any = false;
            data_offer_attrs(c.children, owner, o, any);
            o.where = ref(c);
            a.offers.push_back(o);
        } else if (c.keyword == "IPDATAOFFERREF") {
            if (one_value(c, owner, v)) {
                auto it = _offers.find(v);
                if (it == _offers.end()) {
                    not_installed("IPDYNVPNACTION", name, n, "IPDATAOFFER " + v + " IS NOT DEFINED");
                    return;
                }
                a.offers.push_back(it->second);
            }
        } else if (c.keyword == "HOWTOENCAP" || c.keyword == "HOWTOENCRYPT" || c.keyword == "HOWTOAUTH") {
            flat.push_back(c);
        } else if (c.keyword == "INITIATEWHEN") {
            if (one_value(c, owner, v)) {
                auto u = upper(v);
                if (u != "ONDEMAND" && u != "ATSTART" && u != "ACTIVATE") {
                    bad_value(c, owner, "ONDEMAND OR ATSTART IS EXPECTED");
                }
                a.initiate_on_demand = u == "ONDEMAND";
            }
        } else if (c.keyword == "PFS" || c.keyword == "USEPFS") {
            group_value(c, owner, a.pfs_group, true);
        } else if (c.keyword == "LIFESIZE") {
            if (one_value(c, owner, v) && !number(v, num, 1ull << 40)) {
                bad_value(c, owner, "KILOBYTES (0: NO LIFESIZE) ARE EXPECTED");
            }
            a.lifesize_kb = num;
        } else if (c.keyword == "LIFETIME") {
            minutes_value(c, owner, a.lifetime, 1, 2880);
        }
    }
    if (!flat.empty()) {
        data_offer o;
        bool any = false;
        data_offer_attrs(flat, owner, o, any);
        o.where = ref(n);
        a.offers.insert(a.offers.begin(), o);
    }
    if (a.offers.empty()) {
        not_installed("IPDYNVPNACTION", name, n, "IT OFFERS NOTHING: HOWTOENCRYPT/HOWTOAUTH OR IPDATAOFFER IS REQUIRED");
        return;
    }
    if (_bad_attr) {
        not_installed("IPDYNVPNACTION", name, n, "IT HAS INCORRECT ATTRIBUTES");
        return;
    }
    install(_r.policy.dyn_vpn_actions, "IPDYNVPNACTION", std::move(a), n);
}

void reader::kex_offer_attrs(const std::vector<node>& attrs, const std::string& owner, ike_offer& o) {
    std::string enc = "AES_CBC";
    unsigned key_len = 128;
    bool have_auth = false;
    unsigned auth_bits = 256;
    for (const auto& c : attrs) {
        std::string v;
        if (c.keyword == "HOWTOENCRYPT") {
            encryption_value(c, owner, enc, key_len, false);
        } else if (c.keyword == "HOWTOAUTHMSGS") {
            have_auth = true;
            if (c.values.size() != 1 || !integrity_value(c.values[0], auth_bits)) {
                bad_value(c, owner, "HMAC_SHA2_256_128, HMAC_SHA2_384_192, HMAC_SHA2_512_256 OR NULL IS EXPECTED");
            }
        } else if (c.keyword == "PSEUDORANDOMFUNCTION") {
            if (!one_value(c, owner, v)) {
                continue;
            }
            auto u = upper(v);
            if (u == "HMAC_SHA2_256") {
                o.prf = ike_prf::hmac_sha2_256;
            } else if (u == "HMAC_SHA2_384") {
                o.prf = ike_prf::hmac_sha2_384;
            } else if (u == "HMAC_SHA2_512") {
                o.prf = ike_prf::hmac_sha2_512;
            } else {
                bad_value(c, owner, "HMAC_SHA2_256, HMAC_SHA2_384 OR HMAC_SHA2_512 IS EXPECTED");
            }
        } else if (c.keyword == "DHGROUP") {
            group_value(c, owner, o.dh_group, false);
        } else if (c.keyword == "REFRESHLIFETIMEPROPOSED") {
            minutes_value(c, owner, o.lifetime, 1, 65535);
        } else if (c.keyword == "HOWTOAUTHPEERS") {
            // allowed here too (IKEv1 style); the action's value wins
        }
    }
    o.encryption = enc == "AES_GCM_16" ? ike_encryption::aes_gcm_16 : ike_encryption::aes_cbc;
    o.key_length = key_len;
    if (o.encryption == ike_encryption::aes_gcm_16) {
        if (have_auth && auth_bits != 0) {
            error("ZPX0803E", "HOWTOAUTHMSGS IN " + owner + " DOES NOT GO WITH AES_GCM_16: USE NULL OR LEAVE IT OUT");
            _bad_attr = true;
        }
        o.integrity = ike_integrity::none;
    } else if (auth_bits == 0) {
        error("ZPX0803E", "AES_CBC IN " + owner + " NEEDS HOWTOAUTHMSGS WITH AN HMAC");
        _bad_attr = true;
    } else {
        o.integrity = auth_bits == 256   ? ike_integrity::hmac_sha2_256_128
                      : auth_bits == 384 ? ike_integrity::hmac_sha2_384_192
                                         : ike_integrity::hmac_sha2_512_256;
    }
}

void reader::kex_action_stmt(const node& n) {
    std::string name;
    if (!object_name(n, name)) {
        return;
    }
    _bad_attr = false;
    std::string owner = "KEYEXCHANGEACTION " + name;
    key_exchange_action a;
    a.name = name;
    a.where = ref(n);
    for (const auto& c : n.children) {
        std::string v;
        if (c.keyword == "KEYEXCHANGEOFFER") {
            ike_offer o;
            kex_offer_attrs(c.children, owner, o);
            o.where = ref(c);
            a.offers.push_back(o);
        } else if (c.keyword == "KEYEXCHANGEOFFERREF") {
            if (one_value(c, owner, v)) {
                auto it = _kex_offers.find(v);
                if (it == _kex_offers.end()) {
                    not_installed("KEYEXCHANGEACTION", name, n, "KEYEXCHANGEOFFER " + v + " IS NOT DEFINED");
                    return;
                }
                a.offers.push_back(it->second);
            }
        } else if (c.keyword == "HOWTOAUTHPEERS") {
            if (!one_value(c, owner, v)) {
                continue;
            }
            auto u = upper(v);
            if (u == "PRESHAREDKEY") {
                a.how_to_auth_peers = auth_method::preshared_key;
            } else if (u == "RSASIGNATURE") {
                a.how_to_auth_peers = auth_method::rsa_signature;
            } else if (u == "ECDSASIGNATURE" || u == "ECDSA_256" || u == "ECDSA_384") {
                a.how_to_auth_peers = auth_method::ecdsa_signature;
            } else {
                bad_value(c, owner, "PRESHAREDKEY, RSASIGNATURE OR ECDSASIGNATURE IS EXPECTED");
            }
        } else if (c.keyword == "IKEVERSION") {
            std::uint64_t ver = 0;
            if (one_value(c, owner, v) && (!number(v, ver, 9) || ver != 2)) {
                bad_value(c, owner, "2 IS EXPECTED: ZPLEX SPEAKS IKEV2 ONLY");
            }
        }
    }
    if (a.offers.empty()) {
        a.offers.push_back(ike_offer{});  // the default offer: AES_CBC 128, HMAC_SHA2_256_128, group 14
        a.offers.back().where = ref(n);
    }
    if (_bad_attr) {
        not_installed("KEYEXCHANGEACTION", name, n, "IT HAS INCORRECT ATTRIBUTES");
        return;
    }
    install(_r.policy.key_exchange_actions, "KEYEXCHANGEACTION", std::move(a), n);
}

void reader::endpoint_stmt(const node& n, bool local) {
    std::string name;
    if (!object_name(n, name)) {
        return;
    }
    _bad_attr = false;
    std::string what = local ? "LOCALSECURITYENDPOINT" : "REMOTESECURITYENDPOINT";
    std::string owner = what + " " + name;
    security_endpoint e;
    e.name = name;
    e.local = local;
    e.where = ref(n);
    for (const auto& c : n.children) {
        std::string v;
        if (c.keyword == "IDENTITY") {
            if (c.values.size() != 2) {
                bad_value(c, owner, "A TYPE (IPADDR, FQDN, USERFQDN, KEYID) AND A VALUE ARE EXPECTED");
                continue;
            }
            auto t = upper(c.values[0].text);
            identity id;
            id.value = c.values[1].text;
            std::uint32_t a = 0;
            if (t == "IPADDR" || t == "IPV4ADDR") {
                id.type = id_type::ipv4_addr;
                if (!ipv4(id.value, a)) {
                    bad_value(c, owner, "IPADDR NEEDS AN IPV4 ADDRESS");
                    continue;
                }
            } else if (t == "FQDN") {
                id.type = id_type::fqdn;
            } else if (t == "USERFQDN") {
                id.type = id_type::user_fqdn;
            } else if (t == "KEYID") {
                id.type = id_type::key_id;
            } else {
                bad_value(c, owner, "IPADDR, FQDN, USERFQDN OR KEYID IS EXPECTED");
                continue;
            }
            e.id = id;
        } else if (c.keyword == "LOCATION") {
            address a;
            if (address_value(c, owner, a)) {
                if (local && a.prefix != 32) {
                    bad_value(c, owner, "A LOCAL ENDPOINT IS ONE ADDRESS");
                    continue;
                }
                e.location = a;
            }
        } else if (c.keyword == "CERTIFICATE" || c.keyword == "PRIVATEKEY" || c.keyword == "CACERTIFICATE") {
            if (!one_value(c, owner, v)) {
                continue;
            }
            if ((c.keyword == "CACERTIFICATE") == local) {
                bad_value(c, owner, local ? "CACERTIFICATE BELONGS TO A REMOTE ENDPOINT"
                                          : "CERTIFICATE AND PRIVATEKEY BELONG TO A LOCAL ENDPOINT");
                continue;
            }
            (c.keyword == "CERTIFICATE" ? e.certificate : c.keyword == "PRIVATEKEY" ? e.private_key
                                                                                    : e.ca_certificate) = v;
        }
    }
    if (!e.location) {
        not_installed(what, name, n, "LOCATION IS REQUIRED");
        return;
    }
    if (!e.id) {  // the default identity: the endpoint's address
        if (e.location->prefix == 32) {
            e.id = identity{id_type::ipv4_addr, tcpip::profile::ipv4_address{e.location->addr}.str()};
        }
    }
    if (_bad_attr) {
        not_installed(what, name, n, "IT HAS INCORRECT ATTRIBUTES");
        return;
    }
    install(local ? _r.policy.local_endpoints : _r.policy.remote_endpoints, what, std::move(e), n);
}

void reader::kex_rule_stmt(const node& n) {
    std::string name;
    if (!object_name(n, name)) {
        return;
    }
    _bad_attr = false;
    std::string owner = "KEYEXCHANGERULE " + name;
    key_exchange_rule r;
    r.name = name;
    r.where = ref(n);
    for (const auto& c : n.children) {
        if (c.keyword == "LOCALSECURITYENDPOINTREF") {
            one_value(c, owner, r.local_endpoint);
        } else if (c.keyword == "REMOTESECURITYENDPOINTREF") {
            one_value(c, owner, r.remote_endpoint);
        } else if (c.keyword == "KEYEXCHANGEACTIONREF") {
            one_value(c, owner, r.action);
        } else if (c.keyword == "SHAREDKEY") {
            // The key is never echoed in a message.
            if (c.values.size() != 2) {
                error("ZPX0803E", "SHAREDKEY IN " + owner + " " + at(c) + " NEEDS ASCII OR HEX AND THE KEY");
                _bad_attr = true;
                continue;
            }
            auto form = upper(c.values[0].text);
            const auto& k = c.values[1].text;
            OPENSSL_cleanse(r.shared_key.data(), r.shared_key.size());
            r.shared_key.clear();
            if (form == "ASCII") {
                r.shared_key.assign(k.begin(), k.end());
            } else if (form == "HEX") {
                if (!sysplex::unhex(k, r.shared_key)) {
                    error("ZPX0803E", "SHAREDKEY HEX IN " + owner + " " + at(c) + " IS NOT AN EVEN NUMBER OF HEX DIGITS");
                    _bad_attr = true;
                }
            } else {
                error("ZPX0803E", "SHAREDKEY IN " + owner + " " + at(c) + " NEEDS ASCII OR HEX FIRST");
                _bad_attr = true;
            }
        }
    }
    if (_bad_attr || r.local_endpoint.empty() || r.remote_endpoint.empty() || r.action.empty()) {
        not_installed("KEYEXCHANGERULE", name, n,
                      _bad_attr ? "IT HAS INCORRECT ATTRIBUTES"
                                : "LOCALSECURITYENDPOINTREF, REMOTESECURITYENDPOINTREF AND KEYEXCHANGEACTIONREF "
                                  "ARE REQUIRED");
        OPENSSL_cleanse(r.shared_key.data(), r.shared_key.size());
        return;
    }
    _pending_kex.push_back({std::move(r), n});
}

}  // namespace zplex::policy::detail
