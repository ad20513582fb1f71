// SPDX-License-Identifier: Apache-2.0
// DEVICE, LINK, INTERFACE, HOME and BEGINROUTES: the stack's own addresses and routes.
// Ordering rules: DEVICE before LINK, LINK/INTERFACE before HOME, ROUTE and START.
#include "processor.hpp"

#include <algorithm>
#include <cctype>

namespace zplex::tcpip::profile::detail {

namespace {

constexpr std::size_t name_max = 16;

}  // namespace

void processor::st_interface(cursor& c, const token& kw) {
    const token& nt = c.at_end() ? kw : c.peek();
    interface_config i;
    i.name = expect_name(c, "AN INTERFACE NAME", name_max);
    i.where = c.at(nt);
    if (c.accept("DELETE")) {
        auto it = std::find_if(_cfg.interfaces.begin(), _cfg.interfaces.end(),
                               [&](const interface_config& x) { return x.name == i.name; });
        if (it == _cfg.interfaces.end()) {
            fail_value(c, nt, "INTERFACE DELETE", undefined_text("INTERFACE", i.name, "NOTHING TO DELETE"));
        }
        if (std::find(_cfg.started.begin(), _cfg.started.end(), i.name) != _cfg.started.end()) {
            fail_value(c, nt, "INTERFACE DELETE", "INTERFACE " + i.name + " MUST BE STOPPED FIRST");
        }
        _cfg.interfaces.erase(it);
        return;
    }
    if (c.accept("ADDADDR") || c.accept("DELADDR") || c.accept("ADDTEMPPREFIX") || c.accept("DELTEMPPREFIX")) {
        const token& op = c.prev();
        if (!_cfg.find_interface(i.name)) {
            fail_value(c, nt, "INTERFACE " + op.upper, undefined_text("INTERFACE", i.name, "DEFINE IT FIRST"));
        }
        if (c.at_end() || at_statement(c, context::top)) {
            fail_expected(c, "AN IPV6 ADDRESS OR PREFIX AFTER " + op.upper);
        }
        c.skip();
        warn(c, op, "ZPX0100I",
             "INTERFACE " + i.name + " " + op.upper + " " + line_of(c, op) + " IS ACCEPTED BUT NOT EMULATED");
        return;
    }
    if (!c.accept("DEFINE")) {
        fail_expected(c, "DEFINE, DELETE, ADDADDR OR DELADDR");
    }
    try {
        interface_body(c, i, nt);
    } catch (const statement_error&) {
        if (!_cfg.find_interface(i.name)) {
            reject_name("INTERFACE", i.name, i.where);
        }
        throw;
    }
    _rejected.erase("INTERFACE " + i.name);
    _cfg.interfaces.push_back(i);
}

void processor::interface_body(cursor& c, interface_config& i, const token& nt) {
    if (_cfg.find_interface(i.name) || _cfg.find_link(i.name)) {
        fail_at(c, nt, "EZZ0326I", "INTERFACE CONFLICTS WITH A LINK OR INTERFACE NAMED " + i.name);
    }
    if (c.at_end()) {
        fail_expected(c, "AN INTERFACE TYPE");
    }
    const token& tt = c.peek();
    if (c.accept("IPAQENET")) {
        i.type = interface_type::ipaqenet;
    } else if (c.accept("IPAQIDIO")) {
        i.type = interface_type::ipaqidio;
    } else if (c.accept("VIRTUAL")) {
        i.type = interface_type::virtual_interface;
    } else if (c.accept("IPAQENET6")) {
        i.type = interface_type::ipaqenet6;
    } else if (c.accept("IPAQIDIO6")) {
        i.type = interface_type::ipaqidio6;
    } else if (c.accept("VIRTUAL6")) {
        i.type = interface_type::virtual6;
    } else if (c.accept("MPCPTP6")) {
        i.type = interface_type::mpcptp6;
    } else {
        fail_expected(c, "AN INTERFACE TYPE (IPAQENET, IPAQENET6, IPAQIDIO, IPAQIDIO6, MPCPTP6, VIRTUAL OR "
                         "VIRTUAL6)");
    }
    const bool v6 = i.is_ipv6();
    const bool osa = i.type == interface_type::ipaqenet || i.type == interface_type::ipaqenet6;
    const bool idio = i.type == interface_type::ipaqidio || i.type == interface_type::ipaqidio6;
    const bool qdio = osa || idio;
    const bool virt = i.type == interface_type::virtual_interface || i.type == interface_type::virtual6;
    bool have_addr = false;
    while (more_parameters(c, context::top)) {
        const token& t = c.peek();
        if (osa && c.accept("PORTNAME")) {
            i.port_name = expect_name(c, "AN OSA PORT NAME", 8);
        } else if (c.accept("IPADDR")) {
            if (v6) {
                i.ipv6_addresses = expect_ipv6_list(c);
            } else {
                auto [a, len] = expect_cidr(c, "AN IP ADDRESS/PREFIX LENGTH");
                i.address = a;
                i.prefix_len = len;
            }
            have_addr = true;
        } else if (v6 && c.accept("INTFID")) {
            if (c.at_end() || at_statement(c, context::top) || c.peek().upper.find(':') == std::string::npos) {
                fail_expected(c, "AN INTERFACE ID (X:X:X:X) AFTER INTFID");
            }
            i.intfid = c.next().upper;
        } else if (i.type == interface_type::mpcptp6 && c.accept("TRLENAME")) {
            i.trle = expect_name(c, "A TRLE NAME", 8);
        } else if (!virt && c.accept("MTU")) {
            i.mtu = static_cast<std::uint16_t>(expect_number(c, "AN MTU", v6 ? 1280 : 576, 65535));
        } else if (qdio && c.accept("VLANID")) {
            i.vlan_id = static_cast<std::uint16_t>(expect_number(c, "A VLAN ID 1-4094", 1, 4094));
        } else if ((idio || osa) && c.accept("CHPID")) {
            i.chpid = expect_chpid(c);
        } else if (osa && c.accept("CHPIDTYPE")) {
            if (c.accept("OSD") || c.accept("OSX")) {
                i.chpid_type = c.prev().upper;
            } else {
                fail_expected(c, "OSD OR OSX AFTER CHPIDTYPE");
            }
        } else if (osa && c.accept("VMAC")) {
            i.vmac = true;
            i.vmac_address = accept_mac(c);
            if (c.accept("ROUTELCL")) {
                i.vmac_routeall = false;
            } else {
                c.accept("ROUTEALL");
            }
        } else if (osa && (c.accept("NONROUTER") || c.accept("PRIROUTER") || c.accept("SECROUTER"))) {
            auto w = c.prev().upper;
            i.router = w == "PRIROUTER" ? router_role::prirouter
                       : w == "SECROUTER" ? router_role::secrouter
                                          : router_role::nonrouter;
        } else if (osa && (c.accept("OLM") || c.accept("NOOLM"))) {
            i.olm = c.prev().upper == "OLM";
        } else if (osa && (c.accept("ISOLATE") || c.accept("NOISOLATE"))) {
            i.isolate = c.prev().upper == "ISOLATE";
        } else if (osa && (c.accept("DYNVLANREG") || c.accept("NODYNVLANREG"))) {
            i.dynvlanreg = c.prev().upper == "DYNVLANREG";
        } else if (osa && c.accept("OPTLAN")) {
            i.optlan = true;
        } else if (osa && !v6 && c.accept("IPBCAST")) {
            i.ipbcast = true;
        } else if (osa && c.accept("INBPERF")) {
            i.inbperf = expect_inbperf(c, i.workloadq);
        } else if (qdio && c.accept("READSTORAGE")) {
            i.readstorage = expect_readstorage(c);
        } else if (!virt && c.accept("SECCLASS")) {
            i.secclass = static_cast<std::uint8_t>(expect_number(c, "A SECCLASS VALUE 1-255", 1, 255));
        } else if (!virt && c.accept("MONSYSPLEX")) {
            i.monsysplex = true;
        } else if (!virt && c.accept("NOMONSYSPLEX")) {
            i.monsysplex = false;
        } else if (v6 && !virt && c.accept("DUPADDRDET")) {
            expect_number(c, "A DUPADDRDET COUNT 0-2", 0, 2);
        } else if (v6 && !virt && c.accept("TEMPPREFIX")) {
            if (c.accept("ALL")) {
                i.temp_prefix_all = true;
            } else if (!c.accept("NONE")) {
                expect_ipv6_list(c);
            }
        } else if (!virt && c.accept("SOURCEVIPAINTerface")) {
            auto v = expect_name(c, "A VIRTUAL INTERFACE NAME", name_max);
            const interface_config* vi = _cfg.find_interface(v);
            if (!_cfg.find_link(v) && !vi) {
                fail_value(c, t, "SOURCEVIPAINTERFACE",
                           undefined_text("INTERFACE", v, "THE VIPA MUST BE DEFINED BEFORE THIS INTERFACE"));
            }
            i.source_vipa_interface = v;
        } else {
            fail_expected(c, "AN INTERFACE " + keyword_name(tt.upper) + " PARAMETER OR A STATEMENT");
        }
    }
    auto required = [&](std::string_view param) {
        fail_at(c, nt, "EZZ0318I",
                "INTERFACE " + i.name + " ON LINE " + std::to_string(nt.line) + " COLUMN " + std::to_string(nt.column) +
                    " OF " + c.dataset() + " HAS NO " + std::string(param) + ": " + std::string(param) +
                    " IS REQUIRED FOR " + keyword_name(tt.upper));
    };
    if (osa && i.port_name.empty()) {
        required("PORTNAME");
    }
    if (idio && !i.chpid) {
        required("CHPID");
    }
    if (i.type == interface_type::mpcptp6 && i.trle.empty()) {
        required("TRLENAME");
    }
    if (!v6 && !have_addr) {
        required("IPADDR");
    }
}

std::uint8_t processor::expect_chpid(cursor& c) const {
    if (c.at_end()) {
        fail_expected(c, "A CHPID (TWO HEXADECIMAL DIGITS)");
    }
    const token& t = c.peek();
    if (t.quoted || t.upper.empty() || t.upper.size() > 2 ||
        t.upper.find_first_not_of("0123456789ABCDEF") != std::string::npos) {
        fail_value(c, t, "CHPID", "A CHPID IS TWO HEXADECIMAL DIGITS, 00 TO FF");
    }
    c.skip();
    return static_cast<std::uint8_t>(std::stoul(t.upper, nullptr, 16));
}

std::vector<std::string> processor::expect_ipv6_list(cursor& c) const {
    std::vector<std::string> out;
    while (!c.at_end() && !c.peek().quoted && c.peek().text.find(':') != std::string::npos) {
        const token& t = c.peek();
        auto a = ipv6_text(t.text);
        if (!a) {
            fail_value(c, t, "IPADDR", "NOT A VALID IPV6 ADDRESS OR PREFIX");
        }
        out.push_back(*a);
        c.skip();
    }
    if (out.empty()) {
        fail_expected(c, "AN IPV6 ADDRESS OR PREFIX/LENGTH");
    }
    return out;
}

void processor::st_home(cursor& c, const token& kw) {
    if (!initial()) {
        // On OBEYFILE the HOME list replaces the stack's whole home list.
        _cfg.home.clear();
    }
    (void)kw;
    while (more_parameters(c, context::top)) {
        const token& at = c.peek();
        home_entry h;
        h.address = expect_ipv4(c, "A HOME ADDRESS");
        h.where = c.at(at);
        const token& lt = c.at_end() ? at : c.peek();
        h.link = expect_name(c, "A LINK NAME", name_max);
        // A wrong name or a duplicate address drops that entry only; the list goes on.
        if (!_cfg.find_link(h.link)) {
            _log.add("EZZ0319I", severity::error,
                     "INCORRECT VALUE '" + h.link + "' FOR HOME ON LINE " + std::to_string(lt.line) + " COLUMN " +
                         std::to_string(lt.column) + " OF " + c.dataset() + ": " +
                         (_cfg.find_interface(h.link)
                              ? "INTERFACE " + h.link + " GETS ITS ADDRESS FROM IPADDR, NOT FROM HOME"
                              : undefined_text("LINK", h.link, "LINK MUST COME BEFORE HOME")),
                     c.at(lt));
            continue;
        }
        auto dup = std::find_if(_cfg.home.begin(), _cfg.home.end(),
                                [&](const home_entry& x) { return x.address == h.address; });
        if (dup != _cfg.home.end()) {
            _log.add("EZZ0326I", severity::error,
                     "HOME CONFLICTS WITH HOME VALUE " + h.address.str() + " USED ON " + where_text(dup->where),
                     c.at(at));
            continue;
        }
        _cfg.home.push_back(h);
    }
}

void processor::st_beginroutes(cursor& c, const token& kw) {
    if (!initial()) {
        // On OBEYFILE a BEGINROUTES block replaces every static route.
        _cfg.routes.clear();
    }
    while (true) {
        if (c.at_end()) {
            missing_end(c, "ENDROUTES", kw);
            return;
        }
        if (c.looking_at("ENDRoutes")) {
            c.skip();
            return;
        }
        try {
            const token& rt = c.next();
            if (rt.upper != "ROUTE") {
                fail_at(c, rt, "EZZ0318I",
                        "'" + echo(rt.text) + "' FOUND ON LINE " + std::to_string(rt.line) + " COLUMN " +
                            std::to_string(rt.column) + " OF " + c.dataset() + " WHEN ROUTE OR ENDROUTES WAS EXPECTED");
            }
            route_config r;
            r.where = c.at(rt);
            if (c.accept("DEFAULT")) {
                r.is_default = true;
            } else if (!c.at_end() && c.peek().text.find('/') != std::string::npos) {
                auto [a, len] = expect_cidr(c, "A DESTINATION");
                r.destination = a;
                r.prefix_len = len;
            } else {
                r.destination = expect_ipv4(c, "A DESTINATION, DESTINATION/LENGTH OR DEFAULT");
                if (c.accept("HOST")) {
                    r.prefix_len = 32;
                } else if (!c.at_end() && ipv4_address::parse_profile(c.peek().text) && c.raw() && !c.raw()->seqno) {
                    // ROUTE dest mask gateway link: the mask form.
                    auto save = c.peek();
                    auto m = ipv4_address::parse_profile(save.text);
                    auto p = mask_to_prefix(*m);
                    if (p && (m->value & 0x80000000u)) {
                        c.skip();
                        r.prefix_len = *p;
                    } else {
                        r.prefix_len = 32;
                    }
                } else {
                    r.prefix_len = 32;
                }
            }
            if (c.at_end()) {
                fail_expected(c, "A GATEWAY ADDRESS OR =");
            }
            if (c.peek().text == "=") {
                c.skip();
            } else {
                r.gateway = expect_ipv4(c, "A GATEWAY ADDRESS OR =");
            }
            const token& lt = c.at_end() ? rt : c.peek();
            r.link = expect_name(c, "A LINK OR INTERFACE NAME", name_max);
            if (!_cfg.find_link(r.link) && !_cfg.find_interface(r.link)) {
                std::string why = _rejected.count("LINK " + r.link) ? undefined_text("LINK", r.link, "")
                                  : _rejected.count("INTERFACE " + r.link)
                                      ? undefined_text("INTERFACE", r.link, "")
                                      : "LINK OR INTERFACE " + r.link +
                                            " IS NOT DEFINED (IT MUST COME BEFORE BEGINROUTES)";
                fail_value(c, lt, "ROUTE", why);
            }
            while (more_parameters(c, context::routes)) {
                if (c.accept("MTU")) {
                    if (!c.accept("DEFAULTSIZE")) {
                        r.mtu = static_cast<std::uint16_t>(expect_number(c, "AN MTU OR DEFAULTSIZE", 576, 65535));
                    }
                } else if (c.accept("REPLaceable")) {
                    r.replaceable = true;
                } else if (c.accept("NOREPLaceable")) {
                    r.replaceable = false;
                } else if (c.accept("MAXImumretransmittime") || c.accept("MINImumretransmittime") ||
                           c.accept("ROUNDTRIPGain") || c.accept("VARIANCEGain") || c.accept("VARIANCEMultiplier")) {
                    if (c.at_end()) {
                        fail_expected(c, "A VALUE");
                    }
                    c.skip();
                } else if (c.accept("DELAYAcks") || c.accept("NODELAYAcks")) {
                } else {
                    fail_expected(c, "A ROUTE PARAMETER, ROUTE OR ENDROUTES");
                }
            }
            _cfg.routes.push_back(r);
        } catch (const statement_error& e) {
            _log.add(e.msg);
            if (const token* t = c.raw(); t && t->seqno) {
                c.skip();
            }
            // The rest of that ROUTE is ignored; the next ROUTE still counts.
            while (!c.at_end() && !at_statement(c, context::routes)) {
                c.skip();
            }
        }
    }
}

}  // namespace zplex::tcpip::profile::detail
