// SPDX-License-Identifier: Apache-2.0
// zplex-tcpip's side of SYSPLEXPORTS (docs/distributor.md "SYSPLEXPORTS"): its connection
// to EZBEPORT, and the image kernel's ephemeral ports set from the blocks the stack holds.
#pragma once

#include <zplex/cf/connector.hpp>
#include <zplex/sysplex/catalogue.hpp>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace zplex::tcpip::daemon {

/// IXLCONN to EZBEPORT as CONNAME @p conname (the XCF member), as connect_ezbdvipa does for
/// EZBDVIPA. Null, and @p message the reason, when it is not defined or cannot be connected:
/// the ports of SYSPLEXPORTS DVIPAs are then not coordinated.
inline std::unique_ptr<cf::connector> connect_ezbeport(const sysplex::sysplex_config& cfg, const std::string& conname,
                                                       std::string& message) {
    const auto* s = cfg.find_structure("EZBEPORT");
    if (!s) {
        message = "ZPX1605I EZBEPORT IS NOT DEFINED IN SYSPLEX " + cfg.name + ": SYSPLEXPORTS IS NOT AVAILABLE";
        return nullptr;
    }
    cf::connect_options o{cfg.name, s->name, conname, s->preflist};
    std::unique_ptr<cf::connector> c;
    auto r = cf::connector::connect(o, c);
    if (!r) {
        message = "ZPX1606I EZBEPORT CANNOT BE CONNECTED AS " + conname + ": " + cf::to_string(r) +
                  ": SYSPLEXPORTS IS NOT AVAILABLE";
        return nullptr;
    }
    message = "ZPX1607I CONNECTED TO EZBEPORT AS " + conname + " IN " + c->current_cf() + ": SYSPLEXPORTS IS AVAILABLE";
    return c;
}

/// The image's kernel picks ephemeral ports (autobind, connect without bind) only from
/// @p held: net.ipv4.ip_local_port_range spans them, net.ipv4.ip_local_reserved_ports
/// takes out the gaps between them (both per network namespace; the caller is in the
/// image's). With no block held the kernel's defaults come back. Returns "" or why not.
inline std::string set_ephemeral_ports(const std::vector<std::pair<std::uint16_t, std::uint16_t>>& held) {
    std::string range = "32768 60999", reserved;
    if (!held.empty()) {
        range = std::to_string(held.front().first) + " " + std::to_string(held.back().second);
        for (std::size_t i = 1; i < held.size(); ++i) {
            if (!reserved.empty()) reserved += ",";
            reserved += std::to_string(held[i - 1].second + 1) + "-" + std::to_string(held[i].first - 1);
        }
    }
    auto put = [](const char* path, const std::string& value) -> std::string {
        std::FILE* f = std::fopen(path, "w");
        if (!f) return std::string("CANNOT OPEN ") + path;
        bool ok = std::fputs((value + "\n").c_str(), f) >= 0;
        ok = std::fclose(f) == 0 && ok;
        return ok ? "" : std::string("CANNOT WRITE ") + path;
    };
    // Reserved first: a range opened before its gaps are closed could hand out a gap port.
    std::string why = put("/proc/sys/net/ipv4/ip_local_reserved_ports", reserved);
    if (why.empty()) why = put("/proc/sys/net/ipv4/ip_local_port_range", range);
    return why;
}

}  // namespace zplex::tcpip::daemon
