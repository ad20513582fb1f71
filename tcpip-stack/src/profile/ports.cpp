// SPDX-License-Identifier: Apache-2.0
// PORT reservations and AUTOLOG ... ENDAUTOLOG.
#include "processor.hpp"

#include <algorithm>

namespace zplex::tcpip::profile::detail {

void processor::st_port(cursor& c, const token& kw) {
    if (!initial()) {
        _cfg.ports.clear();  // on OBEYFILE the PORT list replaces the reservations
        _port_index.clear();
        _port_index_built = true;
    }
    if (!_port_index_built) {
        for (std::size_t i = 0; i < _cfg.ports.size(); ++i) {
            _port_index.emplace(port_key(_cfg.ports[i].port, _cfg.ports[i].protocol), i);
        }
        _port_index_built = true;
    }
    bool any = false;
    while (more_parameters(c, context::top)) {
        const token& pt = c.peek();
        port_reservation r;
        r.where = c.at(pt);
        r.port = static_cast<std::uint16_t>(expect_number(c, "A PORT NUMBER", 0, 65535));
        if (c.accept("TCP")) {
            r.protocol = transport::tcp;
        } else if (c.accept("UDP")) {
            r.protocol = transport::udp;
        } else {
            fail_expected(c, "TCP OR UDP");
        }
        r.job_name = expect_name(c, "A JOB NAME, *, OMVS OR RESERVED", 8);
        while (more_parameters(c, context::top) && !is_number(c.peek())) {
            if (c.accept("NOAUTOLOG")) {
                r.no_autolog = true;
            } else if (c.accept("SHAREPORTWLM")) {
                r.shareport_wlm = true;
            } else if (c.accept("SHAREPORT")) {
                r.shareport = true;
            } else if (c.accept("BIND")) {
                r.bind = expect_ipv4(c, "A BIND ADDRESS");
            } else if (c.accept("SAF")) {
                r.saf = expect_name(c, "A SAF RESOURCE NAME", 8);
            } else if (c.accept("DELAYACKS") || c.accept("NODELAYACKS") || c.accept("NOSMC") || c.accept("NOSMCR")) {
            } else {
                fail_expected(c, "A PORT OPTION OR THE NEXT PORT NUMBER");
            }
        }
        // Two jobs may hold one port only with SHAREPORT (or distinct BIND addresses).
        auto key = port_key(r.port, r.protocol);
        auto [first, last] = _port_index.equal_range(key);
        for (auto it = first; it != last; ++it) {
            const auto& x = _cfg.ports[it->second];
            if (!x.shareport && !r.shareport && !x.shareport_wlm && !r.shareport_wlm && x.job_name != r.job_name &&
                !x.bind && !r.bind) {
                fail_at(c, pt, "EZZ0326I",
                        "PORT CONFLICTS WITH PORT VALUE " + std::to_string(r.port) + " (" + x.job_name + ") USED ON " +
                            where_text(x.where) + ": ADD SHAREPORT TO SHARE IT");
            }
        }
        _port_index.emplace(key, _cfg.ports.size());
        _cfg.ports.push_back(std::move(r));
        any = true;
    }
    if (!any) {
        _log.add("EZZ0401I", severity::error,
                 "LIST IS EMPTY IN FILE: " + c.dataset() + " ON LINE: " + std::to_string(kw.line) + " AT: 'PORT'",
                 c.at(kw));
    }
}

void processor::st_autolog(cursor& c, const token& kw) {
    if (!c.at_end() && is_number(c.peek())) {
        expect_number(c, "AN AUTOLOG WAIT TIME", 0, 86400);
    }
    if (!initial()) {
        _cfg.autolog.clear();
    }
    while (true) {
        if (c.at_end()) {
            missing_end(c, "ENDAUTOLOG", kw);
            return;
        }
        if (c.looking_at("ENDAUTOLOG")) {
            c.skip();
            return;
        }
        if (at_statement(c, context::top)) {
            fail_expected(c, "A PROCEDURE NAME OR ENDAUTOLOG");
        }
        const token& pt = c.peek();
        autolog_entry e;
        e.where = c.at(pt);
        e.proc = expect_name(c, "A PROCEDURE NAME", 8);
        while (!c.at_end() && !c.raw()->quoted) {
            if (c.accept("JOBNAME")) {
                e.job_name = expect_name(c, "A JOB NAME", 8);
            } else if (c.accept("PARMSTRING")) {
                if (c.at_end()) {
                    fail_expected(c, "A PARMSTRING");
                }
                e.parm_string = c.next().text;  // mixed case, as written
            } else if (c.accept("DELAYSTART")) {
                while (c.accept("TCPIP") || c.accept("DVIPA") || c.accept("TTLS")) {
                }
            } else {
                break;
            }
        }
        _cfg.autolog.push_back(std::move(e));
    }
}

}  // namespace zplex::tcpip::profile::detail
