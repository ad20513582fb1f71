// SPDX-License-Identifier: Apache-2.0
// DEVICE, LINK, INTERFACE, HOME and BEGINROUTES: the stack's own addresses and routes.
// Ordering rules: DEVICE before LINK, LINK/INTERFACE before HOME, ROUTE and START.
#include "processor.hpp"

#include <algorithm>

namespace zplex::tcpip::profile::detail {

namespace {

constexpr std::size_t name_max = 16;


}  // namespace

// A DEVICE, LINK or INTERFACE type z/OS has but zplex does not emulate (CLAW,
// ATM, HCH, CDLC, SNALINK, IPAQENET6 ...): recorded, warned, the rest skipped.
void processor::unemulated_type(cursor& c, const token& kw, std::string_view stmt) {
    const token& tt = c.next();
    _cfg.unemulated.push_back(unemulated_statement{std::string(stmt) + " " + tt.upper, c.at(kw)});
    warn(c, tt, "ZPX0100I",
         std::string(stmt) + " TYPE " + tt.upper + " " + line_of(c, tt) + " IS ACCEPTED BUT NOT EMULATED");
    skip_statement(c, context::top);
}

void processor::st_device(cursor& c, const token& kw) {
    const token& nt = c.at_end() ? kw : c.peek();
    device_config d;
    d.name = expect_name(c, "A DEVICE NAME", name_max);
    d.where = c.at(nt);
    if (_cfg.find_device(d.name)) {
        fail_at(c, nt, "EZZ0326I", "DEVICE CONFLICTS WITH DEVICE VALUE " + d.name + " USED ON " +
                                       where_text(_cfg.find_device(d.name)->where));
    }
    if (c.at_end()) {
        fail_expected(c, "A DEVICE TYPE");
    }
    const token& tt = c.peek();
    if (c.accept("VIRTUAL")) {
        d.type = device_type::virtual_device;
        expect_number(c, "0 AFTER VIRTUAL", 0, 0);
    } else if (c.accept("MPCIPA")) {
        d.type = device_type::mpcipa;
        while (c.accept("NONROUTER") || c.accept("PRIROUTER") || c.accept("SECROUTER") || c.accept("AUTORESTART") ||
               c.accept("NOAUTORESTART")) {
        }
    } else if (c.accept("MPCPTP")) {
        d.type = device_type::mpcptp;
        c.accept("AUTORESTART");
    } else if (c.accept("CTC") || c.accept("LCS")) {
        d.type = tt.upper == "CTC" ? device_type::ctc : device_type::lcs;
        if (c.at_end()) {
            fail_expected(c, "A DEVICE NUMBER");
        }
        const token& dn = c.peek();
        auto v = dn.text.find_first_not_of("0123456789ABCDEFabcdef") == std::string::npos && !dn.text.empty() &&
                         dn.text.size() <= 4
                     ? std::stoul(dn.text, nullptr, 16)
                     : 0x10000ul;
        if (v > 0xffff) {
            fail_value(c, dn, "DEVICE", "NOT A HEXADECIMAL DEVICE NUMBER");
        }
        c.skip();
        d.device_number = static_cast<std::uint16_t>(v);
        d.autorestart = c.accept("AUTORESTART");
    } else {
        // CLAW, ATM, HCH, CDLC, SNALINK, X25NPSI ...: recognised, not emulated.
        unemulated_type(c, kw, "DEVICE");
        return;
    }
    if (more_parameters(c, context::top)) {
        fail_expected(c, "A STATEMENT");
    }
    _cfg.devices.push_back(d);
}

void processor::st_link(cursor& c, const token& kw) {
    const token& nt = c.at_end() ? kw : c.peek();
    link_config l;
    l.name = expect_name(c, "A LINK NAME", name_max);
    l.where = c.at(nt);
    if (_cfg.find_link(l.name) || _cfg.find_interface(l.name)) {
        fail_at(c, nt, "EZZ0326I", "LINK CONFLICTS WITH A LINK OR INTERFACE NAMED " + l.name);
    }
    if (c.at_end()) {
        fail_expected(c, "A LINK TYPE");
    }
    auto need_device = [&](std::string_view what) {
        if (c.at_end()) {
            fail_expected(c, what);
        }
        const token& dt = c.peek();
        auto dev = expect_name(c, what, name_max);
        if (!_cfg.find_device(dev)) {
            fail_value(c, dt, "LINK", "DEVICE " + dev + " IS NOT DEFINED (DEVICE MUST COME BEFORE LINK)");
        }
        return dev;
    };
    if (c.accept("VIRTUAL")) {
        l.type = link_type::virtual_link;
        expect_number(c, "0 AFTER VIRTUAL", 0, 0);
        l.device = need_device("A DEVICE NAME");
    } else if (c.accept("IPAQENET")) {
        l.type = link_type::ipaqenet;
        l.device = need_device("AN OSA PORT (DEVICE) NAME");
        while (more_parameters(c, context::top)) {
            if (c.accept("VLANID")) {
                l.vlan_id = static_cast<std::uint16_t>(expect_number(c, "A VLAN ID", 1, 4094));
            } else if (c.accept("VMAC")) {
                if (!c.at_end() && c.peek().text.size() == 12) {
                    c.skip();
                }
                c.accept("ROUTEALL") || c.accept("ROUTELCL");
            } else if (c.accept("IPBCAST") || c.accept("NOIPBCAST")) {
            } else if (c.accept("INBPERF")) {
                if (!(c.accept("BALANCED") || c.accept("DYNAMIC") || c.accept("MINCPU") || c.accept("MINLATENCY"))) {
                    fail_expected(c, "BALANCED, DYNAMIC, MINCPU OR MINLATENCY");
                }
            } else if (c.accept("READSTORAGE")) {
                if (!(c.accept("GLOBAL") || c.accept("MAX") || c.accept("AVG") || c.accept("MIN"))) {
                    fail_expected(c, "GLOBAL, MAX, AVG OR MIN");
                }
            } else {
                fail_expected(c, "A LINK IPAQENET PARAMETER");
            }
        }
    } else if (c.accept("MPCPTP")) {
        l.type = link_type::mpcptp;
        l.device = need_device("A DEVICE NAME");
    } else if (c.accept("CTC")) {
        l.type = link_type::ctc;
        expect_number(c, "A CTC ADAPTER NUMBER 0-1", 0, 1);
        l.device = need_device("A DEVICE NAME");
    } else if (c.accept("ETHERNET") || c.accept("802.3") || c.accept("ETHEROR802.3")) {
        l.type = link_type::ethernet;
        expect_number(c, "AN LCS ADAPTER NUMBER", 0, 255);
        l.device = need_device("A DEVICE NAME");
    } else {
        unemulated_type(c, kw, "LINK");
        return;
    }
    if (more_parameters(c, context::top)) {
        fail_expected(c, "A STATEMENT");
    }
    _cfg.links.push_back(l);
}

void processor::st_interface(cursor& c, const token& kw) {
    const token& nt = c.at_end() ? kw : c.peek();
    interface_config i;
    i.name = expect_name(c, "AN INTERFACE NAME", name_max);
    i.where = c.at(nt);
    if (c.accept("DELETE")) {
        auto it = std::find_if(_cfg.interfaces.begin(), _cfg.interfaces.end(),
                               [&](const interface_config& x) { return x.name == i.name; });
        if (it == _cfg.interfaces.end()) {
            fail_value(c, nt, "INTERFACE DELETE", "INTERFACE " + i.name + " IS NOT DEFINED");
        }
        if (std::find(_cfg.started.begin(), _cfg.started.end(), i.name) != _cfg.started.end()) {
            fail_value(c, nt, "INTERFACE DELETE", "INTERFACE " + i.name + " MUST BE STOPPED FIRST");
        }
        _cfg.interfaces.erase(it);
        return;
    }
    if (c.accept("ADDADDR") || c.accept("DELADDR") || c.accept("CHANGE")) {
        warn(c, nt, "ZPX0100I", "INTERFACE " + i.name + " " + line_of(c, nt) +
                                    ": ADDADDR, DELADDR AND CHANGE ARE ACCEPTED BUT NOT EMULATED");
        skip_statement(c, context::top);
        return;
    }
    if (!c.accept("DEFINE")) {
        fail_expected(c, "DEFINE, DELETE, ADDADDR OR DELADDR");
    }
    if (_cfg.find_interface(i.name) || _cfg.find_link(i.name)) {
        fail_at(c, nt, "EZZ0326I", "INTERFACE CONFLICTS WITH A LINK OR INTERFACE NAMED " + i.name);
    }
    if (c.at_end()) {
        fail_expected(c, "AN INTERFACE TYPE");
    }
    if (c.accept("IPAQENET")) {
        i.type = interface_type::ipaqenet;
    } else if (c.accept("IPAQIDIO")) {
        i.type = interface_type::ipaqidio;
    } else if (c.accept("VIRTUAL")) {
        i.type = interface_type::virtual_interface;
    } else {
        unemulated_type(c, kw, "INTERFACE");
        return;
    }
    bool have_addr = false;
    while (more_parameters(c, context::top)) {
        const token& t = c.peek();
        if (c.accept("PORTNAME")) {
            i.port_name = expect_name(c, "AN OSA PORT NAME", 8);
        } else if (c.accept("IPADDR")) {
            auto [a, len] = expect_cidr(c, "AN IP ADDRESS/PREFIX LENGTH");
            i.address = a;
            i.prefix_len = len;
            have_addr = true;
        } else if (c.accept("MTU")) {
            i.mtu = static_cast<std::uint16_t>(expect_number(c, "AN MTU", 576, 65535));
        } else if (c.accept("VLANID")) {
            i.vlan_id = static_cast<std::uint16_t>(expect_number(c, "A VLAN ID", 1, 4094));
        } else if (c.accept("VMAC")) {
            i.vmac = true;
            if (!c.at_end() && c.peek().text.size() == 12 &&
                c.peek().upper.find_first_not_of("0123456789ABCDEF") == std::string::npos) {
                c.skip();
            }
            c.accept("ROUTEALL") || c.accept("ROUTELCL");
        } else if (c.accept("CHPIDTYPE")) {
            if (!(c.accept("OSD") || c.accept("OSX"))) {
                fail_expected(c, "OSD OR OSX");
            }
        } else if (c.accept("NONROUTER") || c.accept("PRIROUTER") || c.accept("SECROUTER") || c.accept("OLM") ||
                   c.accept("NOOLM") || c.accept("ISOLATE") || c.accept("NOISOLATE") || c.accept("OPTLAN") ||
                   c.accept("IPBCAST")) {
        } else if (c.accept("INBPERF")) {
            if (!(c.accept("BALANCED") || c.accept("DYNAMIC") || c.accept("MINCPU") || c.accept("MINLATENCY"))) {
                fail_expected(c, "BALANCED, DYNAMIC, MINCPU OR MINLATENCY");
            }
            c.accept("WORKLOADQ") || c.accept("NOWORKLOADQ");
        } else if (c.accept("READSTORAGE")) {
            if (!(c.accept("GLOBAL") || c.accept("MAX") || c.accept("AVG") || c.accept("MIN"))) {
                fail_expected(c, "GLOBAL, MAX, AVG OR MIN");
            }
        } else if (c.accept("SOURCEVIPAINTerface")) {
            auto v = expect_name(c, "A VIRTUAL INTERFACE NAME", name_max);
            if (!_cfg.find_link(v) && !_cfg.find_interface(v)) {
                fail_value(c, t, "SOURCEVIPAINTERFACE", "VIPA " + v + " IS NOT DEFINED BEFORE THIS INTERFACE");
            }
        } else {
            fail_expected(c, "AN INTERFACE PARAMETER");
        }
    }
    if (i.type != interface_type::virtual_interface && i.port_name.empty()) {
        fail_expected(c, "PORTNAME");
    }
    if (!have_addr) {
        fail_expected(c, "IPADDR");
    }
    _cfg.interfaces.push_back(i);
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
        if (!_cfg.find_link(h.link)) {
            fail_value(c, lt, "HOME",
                       _cfg.find_interface(h.link)
                           ? "INTERFACE " + h.link + " GETS ITS ADDRESS FROM IPADDR, NOT FROM HOME"
                           : "LINK " + h.link + " IS NOT DEFINED (LINK MUST COME BEFORE HOME)");
        }
        auto dup = std::find_if(_cfg.home.begin(), _cfg.home.end(),
                                [&](const home_entry& x) { return x.address == h.address; });
        if (dup != _cfg.home.end()) {
            fail_at(c, at, "EZZ0326I",
                    "HOME CONFLICTS WITH HOME VALUE " + h.address.str() + " USED ON " + where_text(dup->where));
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
                        "'" + rt.text + "' FOUND ON LINE " + std::to_string(rt.line) + " COLUMN " +
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
                } else if (!c.at_end() && ipv4_address::parse(c.peek().text) && c.raw() && !c.raw()->seqno) {
                    // ROUTE dest mask gateway link: the mask form.
                    auto save = c.peek();
                    auto m = ipv4_address::parse(save.text);
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
                fail_value(c, lt, "ROUTE",
                           "LINK OR INTERFACE " + r.link + " IS NOT DEFINED (IT MUST COME BEFORE BEGINROUTES)");
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
