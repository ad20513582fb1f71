// SPDX-License-Identifier: Apache-2.0
// IPCONFIG, GLOBALCONFIG, TCPCONFIG and UDPCONFIG: keyword parameters in any order.
#include "processor.hpp"

#include <algorithm>

namespace zplex::tcpip::profile::detail {

namespace {

/// A parameter zplex accepts but does not emulate, and how many values follow it.
struct unemulated_param {
    std::string_view spelled;
    int values;
    /// Sub-options that may follow, blank-separated, each `WORD` or `WORD=n` for
    /// one taking n values (GLOBALCONFIG SMCR PFID id PORTNUM n MTU n ...).
    std::string_view options = {};
};

/// Consume the sub-options @p options allows, in any order.
void accept_options(processor& p, cursor& c, std::string_view options) {
    while (!c.at_end() && !options.empty()) {
        const token& t = c.peek();
        bool hit = false;
        std::size_t pos = 0;
        while (pos < options.size() && !hit) {
            auto end = options.find(' ', pos);
            auto item = options.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
            pos = end == std::string_view::npos ? options.size() : end + 1;
            auto eq = item.find('=');
            auto word = item.substr(0, eq);
            int values = eq == std::string_view::npos ? 0 : item[eq + 1] - '0';
            if (!t.quoted && keyword_matches(t.upper, word)) {
                hit = true;
                c.skip();
                for (int i = 0; i < values; ++i) {
                    if (c.at_end() || p.at_statement(c, context::top)) {
                        p.fail_expected(c, "A VALUE FOR " + keyword_name(word));
                    }
                    c.skip();
                }
            }
        }
        if (!hit) {
            return;
        }
    }
}


}  // namespace

/// Accept one recognised-but-not-emulated parameter from @p table; false if none matched.
static bool accept_unemulated(processor& p, cursor& c, std::string_view stmt,
                              std::initializer_list<unemulated_param> table) {
    const token& t = c.peek();
    for (const auto& u : table) {
        if (!t.quoted && keyword_matches(t.upper, u.spelled)) {
            c.skip();
            for (int i = 0; i < u.values; ++i) {
                if (c.at_end() || p.at_statement(c, context::top)) {
                    p.fail_expected(c, "A VALUE FOR " + keyword_name(u.spelled));
                }
                c.skip();
            }
            accept_options(p, c, u.options);
            p.warn(c, t, "ZPX0102I",
                   std::string(stmt) + " PARAMETER " + keyword_name(u.spelled) + " " + line_of(c, t) +
                       " IS ACCEPTED BUT NOT EMULATED");
            return true;
        }
    }
    return false;
}

// ------------------------------------------------------------------ IPCONFIG
// z/OS IP Config Reference, IPCONFIG statement: parameters in any order.

void processor::st_ipconfig(cursor& c, const token& kw) {
    auto& ip = _cfg.ipconfig;
    bool any = false;
    while (more_parameters(c, context::top)) {
        const token& t = c.peek();
        any = true;
        if (c.accept("DATAGRamfwd")) {
            ip.datagram_fwd = true;
            if (c.accept("FWDMULTipath")) {
                c.accept("PERPacket");
            } else {
                c.accept("NOFWDMULTipath");
            }
        } else if (c.accept("NODATAGRamfwd")) {
            ip.datagram_fwd = false;
        } else if (c.accept("SYSPLEXRouting")) {
            ip.sysplex_routing = true;
        } else if (c.accept("NOSYSPLEXRouting")) {
            ip.sysplex_routing = false;
        } else if (c.accept("IPSECURITY")) {
            set_initial_only(c, t, "IPCONFIG", ip.ipsecurity);
            accept_options(*this, c, "OSMSECCLASS=1 LOGIMPLICIT NOLOGIMPLICIT");
        } else if (c.accept("SOURCEVIPA")) {
            ip.source_vipa = true;
        } else if (c.accept("NOSOURCEVIPA")) {
            ip.source_vipa = false;
        } else if (c.accept("IGNORERedirect")) {
            ip.ignore_redirect = true;
        } else if (c.accept("PATHMTUDISCovery")) {
            ip.path_mtu_discovery = true;
        } else if (c.accept("NOPATHMTUDISCovery")) {
            ip.path_mtu_discovery = false;
        } else if (c.accept("MULTIPATH")) {
            ip.multipath = multipath_mode::perconnection;
            if (c.accept("PERPacket")) {
                ip.multipath = multipath_mode::perpacket;
            } else {
                c.accept("PERConnection");
            }
        } else if (c.accept("NOMULTIPATH")) {
            ip.multipath = multipath_mode::none;
        } else if (c.accept("DYNAMICXCF")) {
            dynamic_xcf_config x;
            const token& at = c.at_end() ? t : c.peek();
            if (!c.at_end() && c.peek().text.find('/') != std::string::npos) {
                auto [a, len] = expect_cidr(c, "A DYNAMIC XCF ADDRESS");
                x.address = a;
                x.prefix_len = len;
            } else {
                x.address = expect_ipv4(c, "A DYNAMIC XCF ADDRESS");
                if (!c.at_end() && c.peek().text.starts_with("/")) {
                    const token& bits = c.peek();
                    auto r = parse_cidr_profile("0.0.0.0" + bits.text);
                    if (!r) {
                        fail_value(c, bits, "DYNAMICXCF", "NOT A VALID /PREFIX LENGTH");
                    }
                    c.skip();
                    x.prefix_len = r->second;
                } else {
                    x.prefix_len = expect_mask(c, "A SUBNET MASK OR /BITS");
                }
            }
            x.cost = static_cast<std::uint8_t>(expect_number(c, "A COST METRIC", 1, 16));
            if (c.accept("SECCLASS")) {
                x.secclass = static_cast<std::uint8_t>(expect_number(c, "A SECCLASS VALUE", 1, 255));
            }
            if (!initial() && ip.dynamic_xcf && ip.dynamic_xcf->address != x.address) {
                fail_at(c, at, "EZZ0326I",
                        "DYNAMICXCF CONFLICTS WITH DYNAMICXCF VALUE " + ip.dynamic_xcf->address.str() +
                            " ALREADY ACTIVE: THE DYNAMIC XCF ADDRESS CANNOT BE CHANGED BY OBEYFILE");
            }
            ip.dynamic_xcf = x;
        } else if (c.accept("NODYNAMICXCF")) {
            ip.dynamic_xcf.reset();
        } else if (c.accept("TCPSTACKSOURCEVipa")) {
            ip.tcpstack_source_vipa = expect_ipv4(c, "A SOURCE VIPA ADDRESS");
        } else if (c.accept("NOTCPSTACKSOURCEVipa")) {
            ip.tcpstack_source_vipa.reset();
        } else if (c.accept("ARPTO")) {
            ip.arp_timeout = expect_number(c, "AN ARP TIMEOUT", 60, 86400);
        } else if (c.accept("TTL")) {
            ip.ttl = static_cast<std::uint8_t>(expect_number(c, "A TIME TO LIVE", 1, 255));
        } else if (c.accept("DEVRETRYDURation")) {
            ip.dev_retry_duration = static_cast<std::uint16_t>(expect_number(c, "A RETRY DURATION", 0, 65535));
        } else if (c.accept("FORMat")) {
            if (c.accept("LONG")) {
                ip.format_long = true;
            } else if (c.accept("SHORT")) {
                ip.format_long = false;
            } else {
                fail_expected(c, "LONG OR SHORT");
            }
        } else if (!accept_unemulated(*this, c, "IPCONFIG",
                                      {{"ACCEPTRedirect", 0}, {"CLAWUSEDoublenop", 0},
                                       {"IQDIORouting", 0, "QDIOPriority=1"},
                                       {"NOIQDIORouting", 0}, {"QDIOPriority", 1}, {"REASSEMBLYtimeout", 1},
                                       {"QDIOACCELerator", 0, "QDIOPriority=1"}, {"NOQDIOACCELerator", 0},
                                       {"IQDMULTIWRITE", 0}, {"NOIQDMULTIWRITE", 0},
                                       {"STOPONclawerror", 0}, {"VARSUBNETTING", 0}, {"NOVARSUBNETTING", 0},
                                       {"IQDMULTIWRITE", 0}, {"NOIQDMULTIWRITE", 0}, {"IQDVLANID", 1},
                                       {"SEGMENTATIONOFFLoad", 0}, {"NOSEGMENTATIONOFFLoad", 0},
                                       {"CHECKSUMOFFLOAD", 0}, {"NOCHECKSUMOFFLOAD", 0}, {"MQCONN", 0},
                                       {"FIREWALL", 0}, {"NOFWDMULTipath", 0}})) {
            fail_expected(c, "AN IPCONFIG PARAMETER");
        }
    }
    if (!any) {
        fail_expected(c, "AN IPCONFIG PARAMETER");
    }
    (void)kw;
}

// ------------------------------------------------------------------ GLOBALCONFIG

void processor::st_globalconfig(cursor& c, const token& kw) {
    auto& g = _cfg.globalconfig;
    bool any = false;
    while (more_parameters(c, context::top)) {
        const token& t = c.peek();
        any = true;
        if (c.accept("XCFGRPID")) {
            auto tt = static_cast<std::uint8_t>(expect_number(c, "AN XCF GROUP ID 2-31", 2, 31));
            std::optional<std::uint8_t> vv;
            if (c.accept("VTAMGRPID")) {
                vv = static_cast<std::uint8_t>(expect_number(c, "A VTAM GROUP ID 2-31", 2, 31));
            }
            if (!initial()) {
                warn(c, t, "ZPX0107I",
                     "GLOBALCONFIG XCFGRPID " + line_of(c, t) + " IGNORED: IT IS VALID ONLY IN THE INITIAL PROFILE");
            } else {
                g.xcf_group_id = tt;
                g.vtam_group_id = vv;
            }
        } else if (c.accept("SYSPLEXMONitor")) {
            auto& m = g.sysplex_monitor;
            while (more_parameters(c, context::top)) {
                if (c.accept("TIMERSECS")) {
                    m.timer_secs = static_cast<std::uint16_t>(expect_number(c, "A TIMERSECS VALUE 10-3600", 10, 3600));
                } else if (c.accept("RECOVERY")) {
                    m.recovery = true;
                } else if (c.accept("NORECOVERY")) {
                    m.recovery = false;
                } else if (c.accept("DELAYJOIN")) {
                    m.delay_join = true;
                } else if (c.accept("NODELAYJOIN")) {
                    m.delay_join = false;
                } else if (c.accept("AUTOREJOIN")) {
                    m.auto_rejoin = true;
                } else if (c.accept("NOAUTOREJOIN")) {
                    m.auto_rejoin = false;
                } else if (c.accept("MONINTERFACE")) {
                    m.mon_interface = true;
                } else if (c.accept("NOMONINTERFACE")) {
                    m.mon_interface = false;
                } else if (c.accept("DYNROUTE")) {
                    m.dyn_route = true;
                } else if (c.accept("NODYNROUTE")) {
                    m.dyn_route = false;
                } else if (c.accept("JOIN") || c.accept("NOJOIN")) {
                    warn(c, t, "ZPX0102I", "SYSPLEXMONITOR JOIN/NOJOIN " + line_of(c, t) + " IS ACCEPTED BUT NOT EMULATED");
                } else {
                    break;
                }
            }
        } else if (!accept_unemulated(*this, c, "GLOBALCONFIG",
                                      {{"ECSALIMIT", 1}, {"POOLLIMIT", 1}, {"TCPIPSTATistics", 0, "SERVICE=1"},
                                       {"NOTCPIPSTATistics", 0}, {"SEGMENTATIONOFFLoad", 0},
                                       {"NOSEGMENTATIONOFFLoad", 0}, {"EXPLICITBINDPORTRANGE", 2},
                                       {"IQDMULTIWRITE", 0}, {"NOIQDMULTIWRITE", 0}, {"MAXRECS", 1},
                                       {"SYSPLEXWLMPOLL", 1}, {"IQDVLANID", 1}, {"ADJUSTDVIPAMSS", 1},
                                       {"AUTOIQDX", 0, "ALLTRAFFIC NOLARGEDATA NOINBOUND"}, {"NOAUTOIQDX", 0},
                                       {"AUTOIQDC", 0, "ALLTRAFFIC NOLARGEDATA"}, {"NOAUTOIQDC", 0},
                                       {"SMCR", 0, "PFID=1 PORTNUM=1 MTU=1 FIXEDMEMORY=1 TCPKEEPMININTERVAL=1"},
                                       {"NOSMCR", 0},
                                       {"SMCD", 0, "FIXEDMEMORY=1 TCPKEEPMININTERVAL=1"}, {"NOSMCD", 0},
                                       {"SMCGLOBAL", 0, "AUTOCACHE NOAUTOCACHE AUTOSMC NOAUTOSMC SMCEID=1 "
                                                        "SMCGLOBALEID=1"},
                                       {"SMCEID", 1}, {"WLMPRIORITYQ", 0, "IOPRI1=1 IOPRI2=1 IOPRI3=1 IOPRI4=1 "
                                                                          "CONTROL NOCONTROL"},
                                       {"NOWLMPRIORITYQ", 0},
                                       {"ZIIP", 0, "IPSECURITY NOIPSECURITY IQDIOMULTIWRITE NOIQDIOMULTIWRITE"},
                                       {"DVIPSECOPTLOCAL", 0}, {"NODVIPSECOPTLOCAL", 0},
                                       {"ZERT", 0, "AGGREGATION NOAGGREGATION INTVAL=1 SYNCVAL=1"},
                                       {"NOZERT", 0}, {"NOTCPIPSTATISTICS", 0}})) {
            fail_expected(c, "A GLOBALCONFIG PARAMETER");
        }
    }
    if (!any) {
        fail_expected(c, "A GLOBALCONFIG PARAMETER");
    }
    (void)kw;
}

// ------------------------------------------------------------------ TCPCONFIG / UDPCONFIG

void processor::st_tcpconfig(cursor& c, const token& kw) {
    auto& t = _cfg.tcpconfig;
    bool any = false;
    while (more_parameters(c, context::top)) {
        any = true;
        if (c.accept("TCPSENDBfrsize")) {
            t.send_buffer = expect_size(c, "A SEND BUFFER SIZE", 256, 2 * 1024 * 1024);
        } else if (c.accept("TCPRCVBufrsize")) {
            t.recv_buffer = expect_size(c, "A RECEIVE BUFFER SIZE", 256, 2 * 1024 * 1024);
        } else if (c.accept("UNRESTRICTLowports")) {
            t.unrestrict_low_ports = true;
        } else if (c.accept("RESTRICTLowports")) {
            t.unrestrict_low_ports = false;
        } else if (c.accept("DELAYAcks")) {
            t.delay_acks = true;
        } else if (c.accept("NODELAYAcks")) {
            t.delay_acks = false;
        } else if (c.accept("NAGLE")) {
            t.nagle = true;
        } else if (c.accept("NONAGLE")) {
            t.nagle = false;
        } else if (c.accept("FINWAIT2time")) {
            t.finwait2_time = static_cast<std::uint16_t>(expect_number(c, "A FINWAIT2 TIME", 60, 3600));
        } else if (!accept_unemulated(*this, c, "TCPCONFIG",
                                      {{"TCPMAXRCVBufrsize", 1}, {"INTERVAL", 1}, {"SENDGARBAGE", 1},
                                       {"TCPMAXSENDBufrsize", 1}, {"QUEUEDRTT", 1}, {"EPHEMERALPORTS", 2},
                                       {"TCPTIMESTAMP", 0}, {"NOTCPTIMESTAMP", 0}, {"TTLS", 0}, {"NOTTLS", 0},
                                       {"KEEPALIVEPROBES", 1}, {"MAXSOCKETS", 1}, {"SOMAXCONN", 1},
                                       {"RETRANSMITATTEMPT", 1}, {"TCPQUEUEDRLIMIT", 0}, {"NOTCPQUEUEDRLIMIT", 0},
                                       {"FRRTHRESHOLD", 1}, {"CONNECTTIMEOUT", 1}, {"SELECTIVEACK", 0},
                                       {"NOSELECTIVEACK", 0}, {"AUTODELAYACKS", 0}, {"NOAUTODELAYACKS", 0}})) {
            fail_expected(c, "A TCPCONFIG PARAMETER");
        }
    }
    if (!any) {
        fail_expected(c, "A TCPCONFIG PARAMETER");
    }
    (void)kw;
}

void processor::st_udpconfig(cursor& c, const token& kw) {
    auto& u = _cfg.udpconfig;
    bool any = false;
    while (more_parameters(c, context::top)) {
        any = true;
        if (c.accept("UDPSENDBfrsize")) {
            u.send_buffer = expect_size(c, "A SEND BUFFER SIZE", 1, 65535);
        } else if (c.accept("UDPRCVBufrsize")) {
            u.recv_buffer = expect_size(c, "A RECEIVE BUFFER SIZE", 1, 2 * 1024 * 1024);
        } else if (c.accept("UDPCHKsum")) {
            u.checksum = true;
        } else if (c.accept("NOUDPCHKsum")) {
            u.checksum = false;
        } else if (c.accept("UNRESTRICTLowports")) {
            u.unrestrict_low_ports = true;
        } else if (c.accept("RESTRICTLowports")) {
            u.unrestrict_low_ports = false;
        } else if (!accept_unemulated(*this, c, "UDPCONFIG",
                                      {{"UDPQUEUELimit", 0}, {"NOUDPQUEUELimit", 0}, {"IGNORENETWORKUNREACHABLE", 0},
                                       {"NOIGNORENETWORKUNREACHABLE", 0}, {"UDPMAXRCVBufrsize", 1},
                                       {"EPHEMERALPORTS", 2}})) {
            fail_expected(c, "A UDPCONFIG PARAMETER");
        }
    }
    if (!any) {
        fail_expected(c, "A UDPCONFIG PARAMETER");
    }
    (void)kw;
}

}  // namespace zplex::tcpip::profile::detail
