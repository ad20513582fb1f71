// SPDX-License-Identifier: Apache-2.0
// IPv6 statements processed into the model: IPCONFIG6 and the IPv6 DVIPA forms of
// VIPADEFINE, VIPABACKUP, VIPADELETE and VIPARANGE (intf_name ipv6_address). There is
// no IPv6 data path; the model lets displays and a later stack core see them.
#include "processor.hpp"

#include <zplex/sysplex/text.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace zplex::tcpip::profile::detail {

namespace {
constexpr std::size_t name_max = 16;
}

std::optional<ipv6_value> parse_ipv6(std::string_view text) {
    std::string addr(text);
    ipv6_value v;
    if (auto slash = addr.find('/'); slash != std::string::npos) {
        auto bits = addr.substr(slash + 1);
        if (bits.empty() || bits.size() > 3 || bits.find_first_not_of("0123456789") != std::string::npos) {
            return std::nullopt;
        }
        v.prefix_len = std::stoi(bits);
        if (v.prefix_len > 128) {
            return std::nullopt;
        }
        addr.resize(slash);
    }
    if (addr.size() > 45 || inet_pton(AF_INET6, addr.c_str(), v.bytes.data()) != 1) {
        return std::nullopt;
    }
    char out[INET6_ADDRSTRLEN];
    if (!inet_ntop(AF_INET6, v.bytes.data(), out, sizeof out)) {
        return std::nullopt;
    }
    v.text = sysplex::upper(out);
    if (v.prefix_len >= 0) {
        v.text += "/" + std::to_string(v.prefix_len);
    }
    return v;
}

std::optional<std::string> ipv6_text(std::string_view text) {
    auto v = parse_ipv6(text);
    if (!v) {
        return std::nullopt;
    }
    return std::move(v->text);
}

// IPCONFIG6 parameters in any order (IP Configuration Reference, IPCONFIG6 statement).
void processor::st_ipconfig6(cursor& c, const token& kw) {
    auto& ip = _cfg.ipconfig6;
    ip.present = true;
    bool any = false;
    while (more_parameters(c, context::top)) {
        const token& t = c.peek();
        any = true;
        if (c.accept("DATAGRamfwd")) {
            ip.datagram_fwd = true;
        } else if (c.accept("NODATAGRamfwd")) {
            ip.datagram_fwd = false;
        } else if (c.accept("HOPLimit")) {
            ip.hop_limit = static_cast<std::uint8_t>(expect_number(c, "A HOPLIMIT 1-255", 1, 255));
        } else if (c.accept("ICMPERRorlimit")) {
            ip.icmp_error_limit = static_cast<std::uint8_t>(expect_number(c, "AN ICMPERRORLIMIT 1-20", 1, 20));
        } else if (c.accept("IGNOREROUTERHoplimit")) {
            ip.ignore_router_hop_limit = true;
        } else if (c.accept("NOIGNOREROUTERHoplimit")) {
            ip.ignore_router_hop_limit = false;
        } else if (c.accept("IPSECURITY")) {
            set_initial_only(c, t, "IPCONFIG6", ip.ipsecurity);
            while (!c.at_end()) {
                if (c.accept("OSMSECCLASS")) {
                    ip.osm_secclass = static_cast<std::uint8_t>(expect_number(c, "AN OSMSECCLASS 1-255", 1, 255));
                } else if (!(c.accept("LOGIMPLICIT") || c.accept("NOLOGIMPLICIT"))) {
                    break;
                }
            }
        } else if (c.accept("MULTIPATH")) {
            ip.multipath = multipath_mode::perconnection;
            if (c.accept("PERPacket")) {
                ip.multipath = multipath_mode::perpacket;
            } else {
                c.accept("PERConnection");
            }
        } else if (c.accept("NOMULTIPATH")) {
            ip.multipath = multipath_mode::none;
        } else if (c.accept("SOURCEVIPA")) {
            ip.source_vipa = true;
        } else if (c.accept("NOSOURCEVIPA")) {
            ip.source_vipa = false;
        } else if (c.accept("TCPSTACKSOURCEVipa")) {
            ip.tcpstack_source_vipa = expect_name(c, "A VIRTUAL6 INTERFACE NAME", name_max);
        } else if (c.accept("NOTCPSTACKSOURCEVipa")) {
            ip.tcpstack_source_vipa.clear();
        } else if (c.accept("TEMPADDRS")) {
            ip.temp_addrs = true;
            while (!c.at_end()) {
                if (c.accept("PREFLIFETIME")) {
                    ip.pref_lifetime_hours = expect_number(c, "A PREFLIFETIME IN HOURS 1-720", 1, 720);
                } else if (c.accept("VALIDLIFETIME")) {
                    ip.valid_lifetime_hours = expect_number(c, "A VALIDLIFETIME IN HOURS 2-2160", 2, 2160);
                } else {
                    break;
                }
            }
            if (ip.valid_lifetime_hours <= ip.pref_lifetime_hours) {
                fail_value(c, t, "TEMPADDRS", "VALIDLIFETIME MUST BE GREATER THAN PREFLIFETIME");
            }
        } else if (c.accept("NOTEMPADDRS")) {
            ip.temp_addrs = false;
        } else if (c.accept("DYNAMICXCF")) {
            if (c.at_end() || c.peek().quoted || c.peek().text.find(':') == std::string::npos) {
                fail_expected(c, "AN IPV6 DYNAMIC XCF ADDRESS");
            }
            const token& at = c.peek();
            auto a = ipv6_text(at.text);
            if (!a || a->find('/') != std::string::npos) {
                fail_value(c, at, "IPCONFIG6 DYNAMICXCF", "NOT A VALID IPV6 ADDRESS");
            }
            c.skip();
            ip.dynamic_xcf = *a;
            if (c.accept("INTFID")) {
                if (c.at_end() || c.peek().upper.find(':') == std::string::npos) {
                    fail_expected(c, "AN INTERFACE ID (X:X:X:X) AFTER INTFID");
                }
                ip.dynamic_xcf_intfid = c.next().upper;
            }
        } else if (c.accept("NODYNAMICXCF")) {
            ip.dynamic_xcf.clear();
        } else {
            fail_expected(c, "AN IPCONFIG6 PARAMETER");
        }
    }
    if (!any) {
        fail_expected(c, "AN IPCONFIG6 PARAMETER");
    }
    (void)kw;
}

// VIPADEFINE [MOVEABLE ...] [SERVICEMGR] intf_name ipv6_address
// VIPABACKUP [rank] [MOVEABLE ...] intf_name ipv6_address
void processor::vd_dvipa6(cursor& c, const token& intf, const dvipa_config& v4, const std::string& stmt) {
    dvipa6_config d;
    d.origin = v4.origin;
    d.moveable = v4.moveable;
    d.rank = v4.rank;
    d.service_mgr = v4.service_mgr;
    d.interface = expect_name(c, "AN IPV6 DVIPA INTERFACE NAME", name_max);
    d.where = c.at(intf);
    if (c.at_end() || c.peek().quoted || c.peek().text.find(':') == std::string::npos) {
        fail_expected(c, "AN IPV6 DYNAMIC VIPA ADDRESS AFTER " + d.interface);
    }
    const token& at = c.peek();
    auto a = ipv6_text(at.text);
    if (!a || a->find('/') != std::string::npos) {
        fail_value(c, at, stmt, "NOT A VALID IPV6 ADDRESS");
    }
    c.skip();
    d.address = *a;
    for (const auto& old : _cfg.dvipas6) {
        if (old.interface == d.interface || old.address == d.address) {
            fail_at(c, intf, "EZZ0326I",
                    stmt + " CONFLICTS WITH " + to_string(old.origin) + " VALUE " + old.interface + " " +
                        old.address + " USED ON " + where_text(old.where) + " (VIPADELETE IT FIRST)");
        }
    }
    if (_cfg.dvipas.size() + _cfg.dvipas6.size() >= 1024) {
        fail_value(c, at, stmt, "MORE THAN 1024 DYNAMIC VIPAS");
    }
    _cfg.dvipas6.push_back(d);
}

// VIPADELETE intf_name
void processor::vd_delete6(cursor& c, const token& intf) {
    auto name = expect_name(c, "AN IPV6 DVIPA INTERFACE NAME", name_max);
    auto it = std::find_if(_cfg.dvipas6.begin(), _cfg.dvipas6.end(),
                           [&](const dvipa6_config& d) { return d.interface == name; });
    if (it == _cfg.dvipas6.end()) {
        warn(c, intf, "ZPX0103I", "VIPADELETE " + name + " " + line_of(c, intf) +
                                      " IGNORED: NO IPV6 VIPADEFINE OR VIPABACKUP FOR IT IS ACTIVE");
        return;
    }
    _cfg.dvipas6.erase(it);
    // Deleting a DVIPA ends its distribution too.
    std::erase_if(_cfg.distributions6, [&](const distribution6_config& d) { return d.address == name; });
}

// VIPARANGE [DEFINE|DELETE] [MOVEABLE ...] intf_name ipv6_prefix/len [SAF name]
void processor::vd_range6(cursor& c, const token& intf, bool del, bool nondisruptive) {
    vipa_range6_config r;
    r.interface = expect_name(c, "AN IPV6 VIPARANGE INTERFACE NAME", name_max);
    r.nondisruptive = nondisruptive;
    r.where = c.at(intf);
    if (c.at_end() || c.peek().quoted || c.peek().text.find(':') == std::string::npos) {
        fail_expected(c, "AN IPV6 PREFIX/LENGTH AFTER " + r.interface);
    }
    const token& at = c.peek();
    auto a = ipv6_text(at.text);
    if (!a || a->find('/') == std::string::npos) {
        fail_value(c, at, "VIPARANGE", "NOT A VALID IPV6 PREFIX/LENGTH");
    }
    c.skip();
    r.prefix = *a;
    if (c.accept("SAF")) {
        r.saf_resource = expect_name(c, "A SAF RESOURCE NAME", 8);
    }
    auto it = std::find_if(_cfg.vipa_ranges6.begin(), _cfg.vipa_ranges6.end(),
                           [&](const vipa_range6_config& x) { return x.prefix == r.prefix; });
    if (del) {
        if (it == _cfg.vipa_ranges6.end()) {
            warn(c, intf, "ZPX0105I",
                 "VIPARANGE DELETE " + r.prefix + " " + line_of(c, intf) + " IGNORED: NO SUCH VIPARANGE");
        } else {
            _cfg.vipa_ranges6.erase(it);
        }
        return;
    }
    if (it != _cfg.vipa_ranges6.end()) {
        *it = r;
    } else {
        _cfg.vipa_ranges6.push_back(r);
    }
}

}  // namespace zplex::tcpip::profile::detail
