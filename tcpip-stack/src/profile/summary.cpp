// SPDX-License-Identifier: Apache-2.0
// The configuration summary printed by `zplex profile check`.
#include <zplex/tcpip/profile/summary.hpp>

#include <fmt/format.h>

namespace zplex::tcpip::profile {

namespace {

std::string yes(bool b) { return b ? "YES" : "NO"; }

std::string ports_text(const std::optional<port_range>& p) {
    if (!p) {
        return "ALL";
    }
    return p->low == p->high ? std::to_string(p->low) : fmt::format("{}-{}", p->low, p->high);
}

std::string filter_text(const ip_filter_address& a) {
    switch (a.type) {
    case ip_filter_address::kind::any: return "*";
    case ip_filter_address::kind::single: return a.low.str();
    case ip_filter_address::kind::prefix: return fmt::format("{}/{}", a.low.str(), a.prefix_len);
    case ip_filter_address::kind::range: return a.low.str() + "-" + a.high.str();
    }
    return "?";
}

std::string protocol_text(const ip_filter_options& r, bool ipv6) {
    if (!r.protocol) {
        return "*";
    }
    std::string s;
    switch (*r.protocol) {
    case 1: s = ipv6 ? "1" : "ICMP"; break;
    case 58: s = ipv6 ? "ICMPV6" : "58"; break;
    case 6: s = "TCP"; break;
    case 17: s = "UDP"; break;
    case 89: s = "OSPF"; break;
    default: s = std::to_string(*r.protocol);
    }
    auto range = [](const port_range& p) {
        return p.low == p.high ? std::to_string(p.low) : fmt::format("{}-{}", p.low, p.high);
    };
    if (r.source_ports) {
        s += " SRCPORT " + range(*r.source_ports);
    }
    if (r.dest_ports) {
        s += " DESTPORT " + range(*r.dest_ports);
    }
    if (r.icmp_type) {
        s += fmt::format(" TYPE {}", *r.icmp_type);
    }
    if (r.icmp_code) {
        s += fmt::format(" CODE {}", *r.icmp_code);
    }
    return s;
}

std::string xcf_text(const ipv4_address& a) { return a.str(); }
const std::string& xcf_text(const std::string& a) { return a; }

// `DISTRIBUTE PORT p METHOD DESTIP ...` for an IPv4 or IPv6 distribution.
template <class D>
std::string distribution_text(const D& dist) {
    std::string targets;
    if (dist.dest_all) {
        targets = "ALL";
    }
    for (const auto& t : dist.targets) {
        targets += targets.empty() ? "" : " ";
        targets += xcf_text(t.xcf);
        if (t.role == target_role::preferred) {
            targets += "(PREFERRED)";
        } else if (t.role == target_role::backup) {
            targets += fmt::format("(BACKUP {})", t.backup_rank);
        } else if (t.weight) {
            targets += fmt::format("(WEIGHT {})", t.weight);
        }
    }
    return fmt::format("DISTRIBUTE PORT {:<6} {:<14} DESTIP {}{}{}", ports_text(dist.port), to_string(dist.method),
                       targets, dist.sysplex_ports ? "  SYSPLEXPORTS" : "",
                       dist.timed_affinity ? fmt::format("  TIMEDAFFINITY {}", dist.timed_affinity) : "");
}

}  // namespace

std::string format_summary(const profile& p, const std::string& system, const std::string& proc) {
    std::string out;
    auto line = [&](const std::string& s) { out += s + "\n"; };
    std::string who = system.empty() ? std::string() : fmt::format(" FOR {}{}", system, proc.empty() ? "" : "/" + proc);
    line(fmt::format("CONFIGURATION SUMMARY{}", who));

    const auto& ip = p.ipconfig;
    line(fmt::format("  IPCONFIG     DATAGRAMFWD {}  SYSPLEXROUTING {}  IPSECURITY {}  SOURCEVIPA {}", yes(ip.datagram_fwd),
                     yes(ip.sysplex_routing), yes(ip.ipsecurity), yes(ip.source_vipa)));
    if (ip.dynamic_xcf) {
        line(fmt::format("               DYNAMICXCF {}/{} COST {}", ip.dynamic_xcf->address.str(),
                         ip.dynamic_xcf->prefix_len, ip.dynamic_xcf->cost));
    } else {
        line("               DYNAMICXCF NO");
    }
    const auto& ip6 = p.ipconfig6;
    if (ip6.present) {
        line(fmt::format("  IPCONFIG6    DATAGRAMFWD {}  IPSECURITY {}  SOURCEVIPA {}  HOPLIMIT {}", yes(ip6.datagram_fwd),
                         yes(ip6.ipsecurity), yes(ip6.source_vipa), ip6.hop_limit));
        line("               DYNAMICXCF " + (ip6.dynamic_xcf.empty() ? std::string("NO") : ip6.dynamic_xcf));
    }
    const auto& g = p.globalconfig;
    const auto& m = g.sysplex_monitor;
    line(fmt::format("  SYSPLEX      GROUP {}  STRUCTURES {} {}", g.xcf_group(), g.structure_name("EZBDVIPA"),
                     g.structure_name("EZBEPORT")));
    line(fmt::format("               SYSPLEXMONITOR TIMERSECS {}  RECOVERY {}  DELAYJOIN {}  AUTOREJOIN {}",
                     m.timer_secs, yes(m.recovery), yes(m.delay_join), yes(m.auto_rejoin)));

    line(fmt::format("  DYNAMIC VIPAS ({})", p.dvipas.size()));
    if (!p.dvipas.empty()) {
        line(fmt::format("    {:<15} {:<15} {:<10} {:>4} {:<9}", "DVIPA", "MASK", "ORIGIN", "RANK", "MOVEABLE"));
        for (const auto& d : p.dvipas) {
            std::string mask = d.mask_given ? prefix_to_mask(d.prefix_len).str() : "(OWNER'S)";
            std::string rank = d.origin == vipa_origin::backup ? std::to_string(d.rank) : "-";
            line(fmt::format("    {:<15} {:<15} {:<10} {:>4} {:<9}", d.address.str(), mask, to_string(d.origin), rank,
                             to_string(d.moveable)));
            for (const auto* dist : p.distributions_of(d.address)) {
                line("      " + distribution_text(*dist));
            }
        }
    }
    for (const auto& r : p.vipa_ranges) {
        line(fmt::format("  VIPARANGE    {}/{} {}{}{}", r.address.str(), r.prefix_len,
                         r.nondisruptive ? "NONDISRUPTIVE" : "DISRUPTIVE",
                         r.saf_resource.empty() ? "" : " SAF " + r.saf_resource, r.zcx ? " ZCX" : ""));
    }
    for (const auto& d : p.dvipas6) {
        line(fmt::format("  DVIPA6       {:<16} {} {}{}", d.interface, d.address, to_string(d.origin),
                         d.origin == vipa_origin::backup ? fmt::format(" RANK {}", d.rank) : ""));
        for (const auto* dist : p.distributions6_of(d.interface)) {
            line("      " + distribution_text(*dist));
        }
    }
    for (const auto& r : p.vipa_ranges6) {
        line(fmt::format("  VIPARANGE6   {:<16} {} {}{}", r.interface, r.prefix,
                         r.nondisruptive ? "NONDISRUPTIVE" : "DISRUPTIVE",
                         r.saf_resource.empty() ? "" : " SAF " + r.saf_resource));
    }
    for (const auto& r : p.vipa_routes) {
        line(fmt::format("  VIPAROUTE    {} -> {}", r.xcf.str(), r.target.str()));
    }

    const auto& s = p.ipsec;
    if (s.present) {
        line(fmt::format("  IPSEC        DVIPSEC {}  DVLOCALFLTR {}  LOGENABLE {}  RULES {}{}", yes(s.dvipsec),
                         yes(s.dvlocalfltr), yes(s.log_enable), s.rules.size(),
                         s.rules6.empty() ? "" : fmt::format("  IPV6 RULES {}", s.rules6.size())));
        for (const auto& r : s.rules) {
            line(fmt::format("    IPSECRULE {} {} PROTOCOL {} {} {}", filter_text(r.source), filter_text(r.destination),
                             protocol_text(r, false), to_string(r.direction), r.log ? "LOG" : "NOLOG"));
        }
        for (const auto& r : s.rules6) {
            line(fmt::format("    IPSEC6RULE {} {} PROTOCOL {} {} {}", r.source.text, r.destination.text,
                             protocol_text(r, true), to_string(r.direction), r.log ? "LOG" : "NOLOG"));
        }
    } else {
        line("  IPSEC        NONE (ALL TRAFFIC PERMITTED WITHOUT IP FILTERING)");
    }

    for (const auto& d : p.devices) {
        static constexpr const char* types[] = {"VIRTUAL", "MPCIPA", "MPCPTP", "CTC", "LCS", "SAMEHOST"};
        auto t = static_cast<std::size_t>(d.type);
        line(fmt::format("  DEVICE       {:<16} {}{}", d.name, t < std::size(types) ? types[t] : "?",
                         d.hipersockets() ? " (HIPERSOCKETS)" : d.samehost_mpcptp() ? " (SAME HOST)" : ""));
    }
    for (const auto& l : p.links) {
        static constexpr const char* types[] = {"VIRTUAL", "IPAQENET", "MPCPTP", "CTC", "ETHERNET", "IPAQIDIO",
                                                "SAMEHOST"};
        auto t = static_cast<std::size_t>(l.type);
        line(fmt::format("  LINK         {:<16} {} {}{}", l.name, t < std::size(types) ? types[t] : "?", l.device,
                         l.vlan_id ? fmt::format(" VLANID {}", l.vlan_id) : ""));
    }
    for (const auto& i : p.interfaces) {
        std::string where = i.chpid ? fmt::format("CHPID {:02X}", *i.chpid)
                            : i.trle.empty() ? "PORTNAME " + (i.port_name.empty() ? std::string("-") : i.port_name)
                                             : "TRLENAME " + i.trle;
        std::string addr = fmt::format("{}/{}", i.address.str(), i.prefix_len);
        if (i.is_ipv6()) {
            addr.clear();
            for (const auto& a : i.ipv6_addresses) {
                addr += (addr.empty() ? "" : " ") + a;
            }
            if (addr.empty()) {
                addr = "(AUTOCONFIGURED)";
            }
        }
        line(fmt::format("  INTERFACE    {:<16} {} {} MTU {}{}", i.name, addr, where,
                         i.mtu ? std::to_string(i.mtu) : "DEFAULT",
                         i.vlan_id ? fmt::format(" VLANID {}", i.vlan_id) : ""));
    }
    for (const auto& h : p.home) {
        line(fmt::format("  HOME         {:<15} {}", h.address.str(), h.link));
    }
    for (const auto& r : p.routes) {
        std::string dest = r.is_default ? "DEFAULT" : fmt::format("{}/{}", r.destination.str(), r.prefix_len);
        line(fmt::format("  ROUTE        {:<18} {:<15} {}", dest, r.gateway ? r.gateway->str() : "=", r.link));
    }
    for (const auto& pr : p.ports) {
        line(fmt::format("  PORT         {:>5} {} {}{}", pr.port, pr.protocol == transport::tcp ? "TCP" : "UDP",
                         pr.job_name, pr.shareport ? " SHAREPORT" : ""));
    }
    if (!p.started.empty()) {
        std::string names;
        for (const auto& n : p.started) {
            names += (names.empty() ? "" : " ") + n;
        }
        line("  START        " + names);
    }
    if (!p.unemulated.empty()) {
        line(fmt::format("  NOT EMULATED {} STATEMENT(S), SEE ZPX0100I", p.unemulated.size()));
    }
    return out;
}

}  // namespace zplex::tcpip::profile
