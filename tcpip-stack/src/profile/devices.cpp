// SPDX-License-Identifier: Apache-2.0
// DEVICE and LINK: the V2R5 family (VIRTUAL, MPCIPA for OSA-Express QDIO and
// HiperSockets, MPCPTP including IUTSAMEH, CTC, LCS with ETHERNET, SAMEHOST) with
// their documented parameters. Types IBM removed (CLAW, ATM, MPCOSA ...) are rejected.
#include "processor.hpp"

#include <algorithm>
#include <charconv>

namespace zplex::tcpip::profile::detail {

namespace {

constexpr std::size_t name_max = 16;

const char* device_type_name(device_type t) {
    switch (t) {
    case device_type::virtual_device: return "VIRTUAL";
    case device_type::mpcipa: return "MPCIPA";
    case device_type::mpcptp: return "MPCPTP";
    case device_type::ctc: return "CTC";
    case device_type::lcs: return "LCS";
    case device_type::samehost: return "SAMEHOST";
    }
    return "?";
}

}  // namespace

void processor::reject_name(std::string_view kind, const std::string& name, const source_ref& where) {
    _rejected[std::string(kind) + " " + name] = where;
}

std::string processor::undefined_text(std::string_view kind, const std::string& name, std::string_view rule) const {
    auto it = _rejected.find(std::string(kind) + " " + name);
    if (it != _rejected.end()) {
        return std::string(kind) + " " + name + " WAS REJECTED ON " + where_text(it->second);
    }
    return std::string(kind) + " " + name + " IS NOT DEFINED (" + std::string(rule) + ")";
}

std::uint8_t processor::expect_adapter(cursor& c, std::string_view stmt, std::uint32_t hi) const {
    if (c.at_end() || !is_number(c.peek())) {
        fail_expected(c, "AN ADAPTER NUMBER AFTER " + std::string(stmt));
    }
    const token& t = c.peek();
    std::uint32_t v = 0;
    auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
    if (ec != std::errc{} || v > hi) {
        fail_value(c, t, stmt,
                   hi == 0 ? "THE ADAPTER NUMBER OF A " + std::string(stmt) + " IS ALWAYS 0"
                           : "THE ADAPTER NUMBER MUST BE 0 TO " + std::to_string(hi));
    }
    c.skip();
    return static_cast<std::uint8_t>(v);
}

void processor::st_device(cursor& c, const token& kw) {
    const token& nt = c.at_end() ? kw : c.peek();
    device_config d;
    d.name = expect_name(c, "A DEVICE NAME", name_max);
    d.where = c.at(nt);
    try {
        device_body(c, d, nt);
    } catch (const statement_error&) {
        if (!_cfg.find_device(d.name)) {
            reject_name("DEVICE", d.name, d.where);
        }
        throw;
    }
    _rejected.erase("DEVICE " + d.name);
    _cfg.devices.push_back(d);
}

void processor::device_body(cursor& c, device_config& d, const token& nt) {
    if (const auto* old = _cfg.find_device(d.name)) {
        fail_at(c, nt, "EZZ0326I",
                "DEVICE CONFLICTS WITH DEVICE VALUE " + d.name + " USED ON " + where_text(old->where));
    }
    if (c.at_end()) {
        fail_expected(c, "A DEVICE TYPE");
    }
    const token& tt = c.peek();
    auto restart = [&] {
        if (c.accept("AUTORESTART")) {
            d.autorestart = true;
            return true;
        }
        if (c.accept("NOAUTORESTART")) {
            d.autorestart = false;
            return true;
        }
        return false;
    };
    if (c.accept("VIRTUAL")) {
        d.type = device_type::virtual_device;
        expect_adapter(c, "VIRTUAL", 0);
    } else if (c.accept("MPCIPA")) {
        d.type = device_type::mpcipa;
        while (!c.at_end()) {
            if (c.accept("NONROUTER")) {
                d.router = router_role::nonrouter;
            } else if (c.accept("PRIROUTER")) {
                d.router = router_role::prirouter;
            } else if (c.accept("SECROUTER")) {
                d.router = router_role::secrouter;
            } else if (!restart()) {
                break;
            }
        }
    } else if (c.accept("MPCPTP") || c.accept("SAMEHOST")) {
        d.type = tt.upper == "MPCPTP" ? device_type::mpcptp : device_type::samehost;
        restart();
    } else if (c.accept("CTC") || c.accept("LCS")) {
        d.type = tt.upper == "CTC" ? device_type::ctc : device_type::lcs;
        if (c.at_end()) {
            fail_expected(c, "A DEVICE NUMBER");
        }
        const token& dn = c.peek();
        unsigned long v = 0x10000ul;
        if (!dn.quoted && !dn.text.empty() && dn.text.size() <= 4 &&
            dn.text.find_first_not_of("0123456789ABCDEFabcdef") == std::string::npos) {
            v = std::stoul(dn.text, nullptr, 16);
        }
        if (v > 0xffff) {
            fail_value(c, dn, std::string("DEVICE ") + device_type_name(d.type), "NOT A HEXADECIMAL DEVICE NUMBER");
        }
        c.skip();
        d.device_number = static_cast<std::uint16_t>(v);
        while (!c.at_end()) {
            if (d.type == device_type::ctc && c.accept("IOBUFFERSIZE")) {
                d.iobuffer_size = expect_number(c, "AN IOBUFFERSIZE 32768-65535", 32768, 65535);
            } else if (!restart()) {
                break;
            }
        }
    } else if (auto why = tt.quoted ? std::nullopt : removed_device_type(tt.upper)) {
        fail_at(c, tt, "EZZ0318I",
                "'" + echo(tt.text) + "' FOUND ON LINE " + std::to_string(tt.line) + " COLUMN " +
                    std::to_string(tt.column) + " OF " + c.dataset() + " WHEN A DEVICE TYPE WAS EXPECTED (" +
                    std::string(*why) + ")");
    } else {
        fail_expected(c, "A DEVICE TYPE (MPCIPA, MPCPTP, CTC, LCS, SAMEHOST OR VIRTUAL)");
    }
    if (more_parameters(c, context::top)) {
        fail_expected(c, std::string("A DEVICE ") + device_type_name(d.type) + " PARAMETER OR A STATEMENT");
    }
}

void processor::st_link(cursor& c, const token& kw) {
    const token& nt = c.at_end() ? kw : c.peek();
    link_config l;
    l.name = expect_name(c, "A LINK NAME", name_max);
    l.where = c.at(nt);
    try {
        link_body(c, l, nt);
    } catch (const statement_error&) {
        if (!_cfg.find_link(l.name)) {
            reject_name("LINK", l.name, l.where);
        }
        throw;
    }
    _rejected.erase("LINK " + l.name);
    _cfg.links.push_back(l);
}

void processor::link_body(cursor& c, link_config& l, const token& nt) {
    if (_cfg.find_link(l.name) || _cfg.find_interface(l.name)) {
        fail_at(c, nt, "EZZ0326I", "LINK CONFLICTS WITH A LINK OR INTERFACE NAMED " + l.name);
    }
    if (c.at_end()) {
        fail_expected(c, "A LINK TYPE");
    }
    const token& tt = c.peek();
    auto need_device = [&](std::string_view what, device_type want, std::string_view link_kind) {
        if (c.at_end()) {
            fail_expected(c, what);
        }
        const token& dt = c.peek();
        auto dev = expect_name(c, what, name_max);
        const device_config* d = _cfg.find_device(dev);
        if (!d) {
            fail_value(c, dt, "LINK", undefined_text("DEVICE", dev, "DEVICE MUST COME BEFORE LINK"));
        }
        if (d->type != want) {
            fail_value(c, dt, "LINK",
                       "DEVICE " + dev + " IS A " + device_type_name(d->type) + " DEVICE: LINK " +
                           std::string(link_kind) + " NEEDS A " + device_type_name(want) + " DEVICE");
        }
        return dev;
    };
    if (c.accept("VIRTUAL")) {
        l.type = link_type::virtual_link;
        expect_adapter(c, "VIRTUAL", 0);
        l.device = need_device("A DEVICE NAME", device_type::virtual_device, "VIRTUAL");
    } else if (c.accept("IPAQENET")) {
        l.type = link_type::ipaqenet;
        l.device = need_device("AN OSA PORT (DEVICE) NAME", device_type::mpcipa, "IPAQENET");
    } else if (c.accept("IPAQIDIO")) {
        l.type = link_type::ipaqidio;
        l.device = need_device("A HIPERSOCKETS (IUTIQDXX) DEVICE NAME", device_type::mpcipa, "IPAQIDIO");
    } else if (c.accept("MPCPTP")) {
        l.type = link_type::mpcptp;
        l.device = need_device("A DEVICE NAME", device_type::mpcptp, "MPCPTP");
    } else if (c.accept("CTC")) {
        l.type = link_type::ctc;
        l.adapter = expect_adapter(c, "CTC", 1);
        l.device = need_device("A DEVICE NAME", device_type::ctc, "CTC");
    } else if (c.accept("ETHERNET") || c.accept("802.3") || c.accept("ETHEROR802.3")) {
        l.type = link_type::ethernet;
        l.adapter = expect_adapter(c, tt.upper, 255);
        l.device = need_device("A DEVICE NAME", device_type::lcs, tt.upper);
    } else if (c.accept("SAMEHOST")) {
        l.type = link_type::samehost;
        expect_adapter(c, "SAMEHOST", 0);
        l.device = need_device("A DEVICE NAME", device_type::samehost, "SAMEHOST");
    } else if (auto why = tt.quoted ? std::nullopt : removed_link_type(tt.upper)) {
        fail_at(c, tt, "EZZ0318I",
                "'" + echo(tt.text) + "' FOUND ON LINE " + std::to_string(tt.line) + " COLUMN " +
                    std::to_string(tt.column) + " OF " + c.dataset() + " WHEN A LINK TYPE WAS EXPECTED (" +
                    std::string(*why) + ")");
    } else {
        fail_expected(c, "A LINK TYPE (IPAQENET, IPAQIDIO, MPCPTP, CTC, ETHERNET, 802.3, ETHEROR802.3, SAMEHOST "
                         "OR VIRTUAL)");
    }
    bool qdio = l.type == link_type::ipaqenet || l.type == link_type::ipaqidio;
    bool osa = l.type == link_type::ipaqenet;
    while (more_parameters(c, context::top)) {
        if (c.accept("IFSPEED")) {
            l.ifspeed = expect_number(c, "AN IFSPEED IN BITS PER SECOND", 0, 0xffffffffu);
        } else if (c.accept("IFHSPEED")) {
            l.ifhspeed = expect_number(c, "AN IFHSPEED IN MBIT/S", 0, 0xffffffffu);
        } else if (c.accept("SECCLASS")) {
            l.secclass = static_cast<std::uint8_t>(expect_number(c, "A SECCLASS VALUE 1-255", 1, 255));
        } else if (c.accept("MONSYSPLEX")) {
            l.monsysplex = true;
        } else if (c.accept("NOMONSYSPLEX")) {
            l.monsysplex = false;
        } else if (!qdio && c.accept("CHECKSUM")) {
            l.checksum = true;
        } else if (!qdio && c.accept("NOCHECKSUM")) {
            l.checksum = false;
        } else if ((osa || l.type == link_type::ethernet) && c.accept("IPBCAST")) {
            l.ipbcast = true;
        } else if (qdio && c.accept("VLANID")) {
            l.vlan_id = static_cast<std::uint16_t>(expect_number(c, "A VLAN ID 1-4094", 1, 4094));
        } else if (qdio && c.accept("READSTORAGE")) {
            l.readstorage = expect_readstorage(c);
        } else if (osa && c.accept("VMAC")) {
            l.vmac = true;
            l.vmac_address = accept_mac(c);
            if (c.accept("ROUTELCL")) {
                l.vmac_routeall = false;
            } else {
                c.accept("ROUTEALL");
            }
        } else if (osa && c.accept("INBPERF")) {
            l.inbperf = expect_inbperf(c, l.workloadq);
        } else if (osa && (c.accept("ISOLATE") || c.accept("NOISOLATE"))) {
            l.isolate = c.prev().upper == "ISOLATE";
        } else if (osa && (c.accept("OLM") || c.accept("NOOLM"))) {
            l.olm = c.prev().upper == "OLM";
        } else if (osa && (c.accept("DYNVLANREG") || c.accept("NODYNVLANREG"))) {
            l.dynvlanreg = c.prev().upper == "DYNVLANREG";
        } else {
            fail_expected(c, "A LINK " + keyword_name(tt.upper) + " PARAMETER OR A STATEMENT");
        }
    }
}

std::string processor::accept_mac(cursor& c) const {
    if (!c.at_end() && !c.peek().quoted && c.peek().upper.size() == 12 &&
        c.peek().upper.find_first_not_of("0123456789ABCDEF") == std::string::npos) {
        std::string mac = c.peek().upper;
        c.skip();
        return mac;
    }
    return {};
}

inbound_perf processor::expect_inbperf(cursor& c, bool& workloadq) const {
    inbound_perf r = inbound_perf::balanced;
    if (c.accept("BALANCED")) {
        r = inbound_perf::balanced;
    } else if (c.accept("DYNAMIC")) {
        r = inbound_perf::dynamic;
        if (c.accept("WORKLOADQ")) {
            workloadq = true;
        } else if (c.accept("NOWORKLOADQ")) {
            workloadq = false;
        }
    } else if (c.accept("MINCPU")) {
        r = inbound_perf::mincpu;
    } else if (c.accept("MINLATENCY")) {
        r = inbound_perf::minlatency;
    } else {
        fail_expected(c, "BALANCED, DYNAMIC, MINCPU OR MINLATENCY AFTER INBPERF");
    }
    return r;
}

read_storage processor::expect_readstorage(cursor& c) const {
    if (c.accept("GLOBAL")) {
        return read_storage::global;
    }
    if (c.accept("MAX")) {
        return read_storage::max;
    }
    if (c.accept("AVG")) {
        return read_storage::avg;
    }
    if (c.accept("MIN")) {
        return read_storage::min;
    }
    fail_expected(c, "GLOBAL, MAX, AVG OR MIN AFTER READSTORAGE");
}

}  // namespace zplex::tcpip::profile::detail
