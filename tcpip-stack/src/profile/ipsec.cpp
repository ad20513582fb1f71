// SPDX-License-Identifier: Apache-2.0
// IPSEC ... ENDIPSEC: DVIPSEC, DVLOCALFLTR, logging, and the default IP filter rules
// (IPSECRULE for IPv4, IPSEC6RULE for IPv6).
// z/OS IP Config Reference, IPSEC statement.
#include "processor.hpp"

namespace zplex::tcpip::profile::detail {

namespace {
// A rule address is required; `*` (any address) is consumed here.
bool any_address(const processor& p, cursor& c, std::string_view what) {
    if (c.at_end()) {
        p.fail_expected(c, what);
    }
    if (c.peek().text == "*") {
        c.skip();
        return true;
    }
    return false;
}
}  // namespace

ip_filter_address processor::filter_address(cursor& c, std::string_view what) {
    ip_filter_address a;
    if (any_address(*this, c, what)) {
        return a;
    }
    const token& t = c.peek();
    if (t.text.find('/') != std::string::npos) {
        auto r = parse_cidr_profile(t.text);
        if (!r) {
            fail_value(c, t, what, "NOT A VALID ADDRESS/PREFIX LENGTH");
        }
        a.type = ip_filter_address::kind::prefix;
        a.prefix_len = r->second;
        a.low = ipv4_address{r->first.value & prefix_to_mask(r->second).value};
        a.high = ipv4_address{a.low.value | ~prefix_to_mask(r->second).value};
        if (a.low != r->first) {
            fail_value(c, t, what, "HOST BITS ARE SET BEYOND THE PREFIX LENGTH");
        }
        c.skip();
        return a;
    }
    if (auto dash = t.text.find('-'); dash != std::string::npos) {
        auto lo = ipv4_address::parse_profile(std::string_view(t.text).substr(0, dash));
        auto hi = ipv4_address::parse_profile(std::string_view(t.text).substr(dash + 1));
        if (!lo || !hi || *hi < *lo) {
            fail_value(c, t, what, "NOT A VALID ADDRESS RANGE LOW-HIGH");
        }
        a.type = ip_filter_address::kind::range;
        a.low = *lo;
        a.high = *hi;
        c.skip();
        return a;
    }
    if (t.text.find(':') != std::string::npos) {
        fail_value(c, t, what, "IPV6 ADDRESSES BELONG IN IPSEC6RULE");
    }
    auto single = expect_ipv4(c, what);
    a.type = ip_filter_address::kind::single;
    a.low = single;
    a.high = single;
    return a;
}

// IPSEC6RULE addresses: `*`, addr, addr/len or low-high, parsed by parse_ipv6.
ip_filter_address6 processor::filter_address6(cursor& c, std::string_view what) {
    ip_filter_address6 a;
    if (any_address(*this, c, what)) {
        return a;
    }
    const token& t = c.peek();
    if (t.quoted || t.text.find(':') == std::string::npos) {
        if (!t.quoted && ipv4_address::parse_profile(t.text.substr(0, t.text.find_first_of("/-"))).has_value()) {
            fail_value(c, t, what, "IPV4 ADDRESSES BELONG IN IPSECRULE");
        }
        fail_expected(c, std::string(what) + " (*, AN IPV6 ADDRESS, ADDRESS/PREFIX OR LOW-HIGH)");
    }
    if (auto dash = t.text.find('-'); dash != std::string::npos) {
        auto lo = parse_ipv6(std::string_view(t.text).substr(0, dash));
        auto hi = parse_ipv6(std::string_view(t.text).substr(dash + 1));
        if (!lo || !hi || lo->prefix_len >= 0 || hi->prefix_len >= 0 || hi->bytes < lo->bytes) {
            fail_value(c, t, what, "NOT A VALID IPV6 ADDRESS RANGE LOW-HIGH");
        }
        a.type = ip_filter_address::kind::range;
        a.low = lo->bytes;
        a.high = hi->bytes;
        a.text = lo->text + "-" + hi->text;
        c.skip();
        return a;
    }
    auto v = parse_ipv6(t.text);
    if (!v) {
        fail_value(c, t, what, "NOT A VALID IPV6 ADDRESS OR ADDRESS/PREFIX LENGTH");
    }
    a.low = v->bytes;
    a.high = v->bytes;
    a.text = v->text;
    if (v->prefix_len >= 0) {
        a.type = ip_filter_address::kind::prefix;
        a.prefix_len = static_cast<std::uint8_t>(v->prefix_len);
        for (int bit = v->prefix_len; bit < 128; ++bit) {
            auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
            if (a.low[static_cast<std::size_t>(bit / 8)] & mask) {
                fail_value(c, t, what, "HOST BITS ARE SET BEYOND THE PREFIX LENGTH");
            }
            a.high[static_cast<std::size_t>(bit / 8)] |= mask;
        }
    } else {
        a.type = ip_filter_address::kind::single;
    }
    c.skip();
    return a;
}

// SRCPORT n [m] / DESTPORT n [m]: one port or an inclusive range.
std::optional<port_range> processor::filter_ports(cursor& c, std::string_view what) {
    auto lo = static_cast<std::uint16_t>(expect_number(c, what, 0, 65535));
    auto hi = lo;
    if (!c.at_end() && is_number(c.peek())) {
        const token& t = c.peek();
        hi = static_cast<std::uint16_t>(expect_number(c, what, 0, 65535));
        if (hi < lo) {
            fail_value(c, t, what, "HIGH PORT IS BELOW LOW PORT");
        }
    }
    return port_range{lo, hi};
}

ipsec_rule_config processor::ipsec_rule(cursor& c, const token& kw) {
    ipsec_rule_config r;
    r.where = c.at(kw);
    r.source = filter_address(c, "A SOURCE ADDRESS");
    r.destination = filter_address(c, "A DESTINATION ADDRESS");
    filter_options(c, kw, r, false);
    return r;
}

// IPSEC6RULE: the IPSECRULE shape with IPv6 addresses; ICMPV6 (58) takes the place of ICMP.
ipsec6_rule_config processor::ipsec6_rule(cursor& c, const token& kw) {
    ipsec6_rule_config r;
    r.where = c.at(kw);
    r.source = filter_address6(c, "A SOURCE ADDRESS");
    r.destination = filter_address6(c, "A DESTINATION ADDRESS");
    filter_options(c, kw, r, true);
    return r;
}

// What follows the two addresses of IPSECRULE and IPSEC6RULE.
void processor::filter_options(cursor& c, const token& kw, ip_filter_options& r, bool ipv6) {
    const std::string stmt = ipv6 ? "IPSEC6RULE" : "IPSECRULE";
    const std::uint8_t icmp = ipv6 ? 58 : 1;
    const std::string icmp_name = ipv6 ? "ICMPV6" : "ICMP";
    bool protocol_seen = false;
    while (more_parameters(c, context::ipsec)) {
        const token& t = c.peek();
        if (c.accept("LOG")) {
            r.log = true;
        } else if (c.accept("NOLOG")) {
            r.log = false;
        } else if (c.accept("PROTOcol")) {
            if (protocol_seen) {
                fail_value(c, t, stmt, "PROTOCOL IS GIVEN TWICE");
            }
            protocol_seen = true;
            if (c.at_end()) {
                fail_expected(c, "A PROTOCOL");
            }
            const token& p = c.peek();
            if (p.text == "*") {
                c.skip();
                r.protocol.reset();
            } else if (c.accept("TCP")) {
                r.protocol = 6;
            } else if (c.accept("UDP")) {
                r.protocol = 17;
            } else if (!ipv6 && c.accept("ICMP")) {
                r.protocol = 1;
            } else if (ipv6 && c.accept("ICMPV6")) {
                r.protocol = 58;
            } else if (!p.quoted && (p.upper == "ICMP" || p.upper == "ICMPV6")) {
                fail_value(c, p, stmt + " PROTOCOL",
                           ipv6 ? "ICMP IS AN IPV4 PROTOCOL: AN IPSEC6RULE NAMES ICMPV6"
                                : "ICMPV6 IS VALID ONLY IN IPSEC6RULE");
            } else if (c.accept("OSPF")) {
                r.protocol = 89;
            } else if (is_number(p)) {
                r.protocol = static_cast<std::uint8_t>(expect_number(c, "A PROTOCOL NUMBER", 0, 255));
            } else {
                fail_expected(c, "*, TCP, UDP, " + icmp_name + ", OSPF OR A PROTOCOL NUMBER");
            }
        } else if (c.accept("SRCPort") || c.accept("DESTport")) {
            bool src = keyword_matches(t.upper, "SRCPort");
            if (!r.protocol || (*r.protocol != 6 && *r.protocol != 17)) {
                fail_value(c, t, stmt, t.upper + " IS VALID ONLY WITH PROTOCOL TCP OR UDP");
            }
            (src ? r.source_ports : r.dest_ports) = filter_ports(c, src ? "A SOURCE PORT" : "A DESTINATION PORT");
        } else if (c.accept("TYPE")) {
            if (!r.protocol || (*r.protocol != icmp && *r.protocol != 89)) {
                fail_value(c, t, stmt, "TYPE IS VALID ONLY WITH PROTOCOL " + icmp_name + " OR OSPF");
            }
            r.icmp_type = static_cast<std::uint8_t>(expect_number(c, "A TYPE", 0, 255));
        } else if (c.accept("CODE")) {
            if (!r.protocol || *r.protocol != icmp) {
                fail_value(c, t, stmt, "CODE IS VALID ONLY WITH PROTOCOL " + icmp_name);
            }
            r.icmp_code = static_cast<std::uint8_t>(expect_number(c, "A CODE", 0, 255));
        } else if (c.accept("ROUTING")) {
            if (c.accept("LOCAL")) {
                r.routing = filter_routing::local;
            } else if (c.accept("ROUTED")) {
                r.routing = filter_routing::routed;
            } else if (c.accept("EITHER")) {
                r.routing = filter_routing::either;
            } else {
                fail_expected(c, "LOCAL, ROUTED OR EITHER");
            }
        } else if (c.accept("FRAGMENTSonly")) {
            r.fragments_only = true;
        } else if (c.accept("SECCLASS")) {
            r.secclass = static_cast<std::uint8_t>(expect_number(c, "A SECCLASS VALUE", 0, 255));
        } else if (c.accept("DIRECtion")) {
            if (c.accept("BIDIrectional")) {
                r.direction = filter_direction::bidirectional;
            } else if (c.accept("INBConnect")) {
                r.direction = filter_direction::inbconnect;
            } else if (c.accept("OUTBConnect")) {
                r.direction = filter_direction::outbconnect;
            } else if (c.accept("INBound")) {
                r.direction = filter_direction::inbound;
            } else if (c.accept("OUTBound")) {
                r.direction = filter_direction::outbound;
            } else {
                fail_expected(c, "BIDIRECTIONAL, INBOUND, OUTBOUND, INBCONNECT OR OUTBCONNECT");
            }
        } else {
            fail_expected(c, "AN " + stmt + " PARAMETER");
        }
    }
    if ((r.direction == filter_direction::inbconnect || r.direction == filter_direction::outbconnect) &&
        (!r.protocol || *r.protocol != 6)) {
        fail_value(c, kw, stmt, "INBCONNECT AND OUTBCONNECT ARE VALID ONLY WITH PROTOCOL TCP");
    }
}

void processor::st_ipsec(cursor& c, const token& kw) {
    ++_ipsec_blocks;
    bool ignored = _ipsec_blocks > 1;
    if (ignored) {
        // z/OS processes one IPSEC block per profile; later ones are ignored.
        warn(c, kw, "ZPX0108I", "IPSEC STATEMENT " + line_of(c, kw) +
                                    " IGNORED: ONLY THE FIRST IPSEC BLOCK OF A PROFILE IS PROCESSED");
        skip_block(c, "ENDIPSEC", kw);
        return;
    }
    ipsec_config next = _cfg.ipsec;
    next.present = true;
    next.where = c.at(kw);
    next.rules.clear();
    next.rules6.clear();
    bool dvipsec_seen = false;
    while (more_parameters(c, context::ipsec)) {
        const token& t = c.peek();
        if (c.accept("DVIPsec")) {
            dvipsec_seen = true;
            if (!initial()) {
                warn(c, t, "ZPX0107I", "IPSEC DVIPSEC " + line_of(c, t) +
                                           " IGNORED: IT IS VALID ONLY IN THE INITIAL PROFILE");
                c.accept("DVLOCALFLTR");
            } else {
                next.dvipsec = true;
                next.dvlocalfltr = c.accept("DVLOCALFLTR");
            }
        } else if (c.accept("DVLOCALFLTR")) {
            fail_value(c, t, "IPSEC", "DVLOCALFLTR IS VALID ONLY AFTER DVIPSEC");
        } else if (c.accept("LOGENable")) {
            next.log_enable = true;
        } else if (c.accept("LOGDISable")) {
            next.log_enable = false;
        } else if (c.accept("LOGImplicit")) {
            next.log_implicit = true;
        } else if (c.accept("NOLOGImplicit")) {
            next.log_implicit = false;
        } else {
            fail_expected(c, "DVIPSEC, LOGENABLE, LOGDISABLE, LOGIMPLICIT, NOLOGIMPLICIT, IPSECRULE OR IPSEC6RULE");
        }
    }
    (void)dvipsec_seen;
    // Rules: an error in one rule drops that rule; the others still count.
    bool ended = false;
    while (!c.at_end()) {
        if (c.looking_at("ENDIPSEC")) {
            c.skip();
            ended = true;
            break;
        }
        if (at_statement(c, context::top)) {
            break;  // ENDIPSEC is missing: the next statement ends the block
        }
        try {
            const token& r = c.next();
            if (keyword_matches(r.upper, "IPSECRule") && !r.quoted) {
                next.rules.push_back(ipsec_rule(c, r));
            } else if (keyword_matches(r.upper, "IPSEC6Rule") && !r.quoted) {
                next.rules6.push_back(ipsec6_rule(c, r));
            } else {
                fail_at(c, r, "EZZ0318I",
                        "'" + echo(r.text) + "' FOUND ON LINE " + std::to_string(r.line) + " COLUMN " +
                            std::to_string(r.column) + " OF " + c.dataset() +
                            " WHEN IPSECRULE, IPSEC6RULE OR ENDIPSEC WAS EXPECTED");
            }
        } catch (const statement_error& e) {
            _log.add(e.msg);
            if (const token* t = c.raw(); t && t->seqno) {
                c.skip();
            }
            // Resynchronise at the next rule, ENDIPSEC or statement.
            while (!c.at_end() && !at_statement(c, context::ipsec)) {
                c.skip();
            }
        }
    }
    if (!ended) {
        _log.add("EZZ0318I", severity::error,
                 (c.at_end() ? std::string("END OF FILE") : "'" + c.raw()->text + "'") + " FOUND ON LINE " +
                     std::to_string(c.at_end() ? c.last_line() : c.raw()->line) + " OF " + c.dataset() +
                     " WHEN ENDIPSEC WAS EXPECTED FOR IPSEC ON LINE " + std::to_string(kw.line),
                 c.at(kw));
    }
    if (!initial()) {
        // An OBEYFILE's block meets the running IPCONFIG6 (IPSECURITY is initial-only).
        drop_ipsec6_without_ipsecurity(next);
    }
    _cfg.ipsec = std::move(next);
}

void processor::drop_ipsec6_without_ipsecurity(ipsec_config& s) {
    if (_cfg.ipconfig6.ipsecurity) {
        return;
    }
    for (const auto& r : s.rules6) {
        _log.add("ZPX0120I", severity::warning,
                 "IPSEC6RULE ON " + where_text(r.where) + " IGNORED: IPCONFIG6 IPSECURITY IS NOT SPECIFIED", r.where);
    }
    s.rules6.clear();
}

}  // namespace zplex::tcpip::profile::detail
