// SPDX-License-Identifier: Apache-2.0
// zplex-tcpip's side of SWSA (docs/swsa.md "In the daemon"): its connection to the
// sysplex's EZBDVIPA structure, and the control-socket lines through which the image's
// IKE daemon installs and deletes the SAs of distributed DVIPAs this stack owns.
#pragma once

#include <zplex/cf/connector.hpp>
#include <zplex/ipsec/esp_sa_uat.hpp>
#include <zplex/ipsec/spd.hpp>
#include <zplex/policy/policy.hpp>
#include <zplex/swsa/messages.hpp>
#include <zplex/sysplex/catalogue.hpp>
#include <zplex/sysplex/ipv4.hpp>
#include <zplex/sysplex/text.hpp>
#include <zplex/tcpip/stack/stack.hpp>

#include <openssl/crypto.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace zplex::tcpip::daemon {

/// IXLCONN to EZBDVIPA as CONNAME @p conname (the stack's XCF member, so a stack that
/// starts again takes back its failed-persistent connection). Null, and @p message the
/// reason, when the catalogue has no EZBDVIPA or its CFs are not up: the stack then runs
/// without sysplex-wide SAs, as z/OS does when the structure cannot be connected.
inline std::unique_ptr<cf::connector> connect_ezbdvipa(const sysplex::sysplex_config& cfg, const std::string& conname,
                                                       std::string& message) {
    const auto* s = cfg.find_structure("EZBDVIPA");
    if (!s) {
        message = "ZPX1703I EZBDVIPA IS NOT DEFINED IN SYSPLEX " + cfg.name +
                  ": SYSPLEX-WIDE SECURITY ASSOCIATIONS ARE NOT AVAILABLE";
        return nullptr;
    }
    cf::connect_options o{cfg.name, s->name, conname, s->preflist};
    std::unique_ptr<cf::connector> c;
    auto r = cf::connector::connect(o, c);
    if (!r) {
        message = "ZPX1704I EZBDVIPA CANNOT BE CONNECTED AS " + conname + ": " + cf::to_string(r) +
                  ": SYSPLEX-WIDE SECURITY ASSOCIATIONS ARE NOT AVAILABLE";
        return nullptr;
    }
    message = "ZPX1705I CONNECTED TO EZBDVIPA AS " + conname + " IN " + c->current_cf() +
              ": SYSPLEX-WIDE SECURITY ASSOCIATIONS ARE AVAILABLE";
    return c;
}

/// The image's IPsec policy (the catalogue's SYS1.PAGENT(<system>), as zplex-iked reads
/// it): its filter rules with an IpDynVpnAction go to the stack, which asks the DVIPA's
/// owner for an SA (NEWCONN) when the image sends such traffic without one. The
/// messages to print; none when the image has no policy.
inline std::vector<std::string> load_swsa_policy(const sysplex::catalogue& cat, const std::string& system,
                                                 stack::stack& s) {
    const std::string ref = "SYS1.PAGENT(" + system + ")";
    std::string why;
    auto file = cat.datasets().resolve(ref, &why);
    if (!file || !std::filesystem::is_regular_file(*file)) return {};
    std::vector<std::string> out;
    auto pr = policy::parse_file(file->string());
    for (const auto& m : pr.messages) out.push_back(m.str());
    if (pr.return_code() >= 8) {
        out.push_back("ZPX1718I IPSEC POLICY " + ref + " HAS ERRORS: NEWCONN IS NOT AVAILABLE ON THIS STACK");
        return out;
    }
    std::vector<ipsec::spd_rule> rules;
    for (auto& r : pr.policy.spd_rules())
        if (r.action == ipsec::spd_action::ipsec) rules.push_back(std::move(r));  // under an IpDynVpnAction
    out.push_back("ZPX1717I IPSEC POLICY " + ref + ": " + std::to_string(rules.size()) +
                  " FILTER RULES PROTECTED BY DYNAMIC SAS");
    s.swsa_policy(std::move(rules));
    return out;
}

/// The IKE daemon's lines (one per connection on the 0600 control socket, like every
/// command; docs/swsa.md gives the protocol):
///   SWSA INSTALL <hex of an SA distribution message>   -> ZPX1706I ... LIST n BASE b | ZPX1707I ... why
///   SWSA DELETE <tunnel> [REKEYED|EXPIRED]             -> ZPX1708I | ZPX1707I
///   SWSA RECORDS                                       -> ZPX1710I per record, ZPX1711I count | ZPX1707I
///   SWSA USAGE                                         -> ZPX1713I per owned SA (REKEY at the end:
///                                                         its counter is gone), ZPX1714I count
///   SWSA NEWCONNS                                      -> ZPX1715I per request (taken), ZPX1716I count
///   SWSA KEYS                                          -> esp_sa lines, ZPX1761I count (swsa_keys_reply)
/// Empty when the line is not a SWSA line. The line (keys) is wiped by the caller.
inline std::optional<std::vector<std::string>> swsa_line(const std::string& line, stack::stack& s) {
    std::string head = sysplex::upper(line.substr(0, 13));
    if (head.rfind("SWSA NEWCONNS", 0) == 0 && line.find_first_not_of(" \r", 13) == std::string::npos) {
        // What targets (and this stack's image) asked for since the IKE daemon last asked.
        std::vector<std::string> out;
        auto a = [](std::uint32_t v) { return sysplex::ipv4_address{v}.str(); };
        for (const auto& m : s.swsa_take_newconns())
            out.push_back("ZPX1715I SWSA NEWCONN FROM " + m.system + " " + m.stack + " DVIPA " + a(m.dvipa) +
                          " PROTOCOL " + std::to_string(m.protocol) + " PORT " + std::to_string(m.local_port) + " TO " +
                          a(m.remote) + " PORT " + std::to_string(m.remote_port));
        out.push_back("ZPX1716I " + std::to_string(out.size()) + " NEWCONN REQUESTS");
        return out;
    }
    if (head.rfind("SWSA USAGE", 0) == 0 && line.find_first_not_of(" \r", 10) == std::string::npos) {
        // The lifesize the owner's IKE rekeys on: own bytes and the targets' reports per master.
        std::vector<std::string> out;
        for (const auto& u : s.swsa_usage())
            out.push_back("ZPX1713I SWSA USAGE " + u.tunnel + " SPI IN " + sysplex::hex32(u.spi_in) + " BYTES " +
                          std::to_string(u.own_bytes + u.target_bytes) + " OWN " + std::to_string(u.own_bytes) +
                          " TARGETS " + std::to_string(u.target_bytes) + " IN " + std::to_string(u.reports) +
                          " REPORTS LIFESIZE " + std::to_string(u.lifesize) + (u.rekey ? " REKEY" : ""));
        out.push_back("ZPX1714I " + std::to_string(out.size()) + " SWSA SAS OWNED BY THIS STACK");
        return out;
    }
    if (head.rfind("SWSA RECORDS", 0) == 0 && line.find_first_not_of(" \r", 12) == std::string::npos) {
        // What a new owner's IKE renegotiates (docs/swsa.md "Takeover"): no keys in it.
        std::string why;
        auto rs = s.swsa_records(why);
        if (!why.empty()) return std::vector<std::string>{"ZPX1707I SWSA RECORDS NOT READ: " + why};
        std::vector<std::string> out;
        auto a = [](std::uint32_t v) { return sysplex::ipv4_address{v}.str(); };
        for (const auto& r : rs) {
            out.push_back("ZPX1710I SWSA RECORD " + r.tunnel + " OWNER " + r.owner_system + " " + r.owner_stack +
                          " DVIPA " + a(r.dvipa) + " PEER " + a(r.peer) + (r.esp ? " ESP" : "") + (r.ah ? " AH" : "") +
                          " SPI IN " + sysplex::hex32(r.esp ? r.esp_spi_in : r.ah_spi_in) + " OUT " +
                          sysplex::hex32(r.esp ? r.esp_spi_out : r.ah_spi_out) +
                          (r.mode == 1 ? " TUNNEL" : " TRANSPORT") + " LIST " + std::to_string(r.counter_list) +
                          " VPNACTION " + (r.vpn_action.empty() ? "-" : r.vpn_action));
        }
        out.push_back("ZPX1711I " + std::to_string(rs.size()) + " SWSA RECORDS IN EZBDVIPA");
        return out;
    }
    if (head.rfind("SWSA INSTALL ", 0) == 0) {
        std::vector<std::uint8_t> raw;
        swsa::sa_distribute_message m;
        std::string why;
        bool ok = sysplex::unhex(std::string_view(line).substr(13), raw) && swsa::decode(raw, m, &why);
        if (!raw.empty()) OPENSSL_cleanse(raw.data(), raw.size());
        if (!ok) return std::vector<std::string>{"ZPX1707I SWSA INSTALL NOT VALID: " +
                                                 (why.empty() ? std::string("HEX DIGITS EXPECTED") : why)};
        std::string tunnel = m.tunnel;
        why = s.swsa_install(std::move(m));
        if (!why.empty()) return std::vector<std::string>{"ZPX1707I SWSA SA " + tunnel + " NOT INSTALLED: " + why};
        return std::vector<std::string>{"ZPX1706I SWSA SA " + tunnel + " INSTALLED AND DISTRIBUTED"};
    }
    if (head.rfind("SWSA DELETE ", 0) == 0) {
        std::string rest = line.substr(12), tunnel, reason;
        auto sp = rest.find(' ');
        tunnel = rest.substr(0, sp);
        if (sp != std::string::npos) reason = sysplex::upper(rest.substr(sp + 1));
        while (!reason.empty() && (reason.back() == ' ' || reason.back() == '\r')) reason.pop_back();
        while (!tunnel.empty() && tunnel.back() == '\r') tunnel.pop_back();
        auto why = swsa::delete_reason::deleted;
        if (reason == "REKEYED") why = swsa::delete_reason::rekeyed;
        else if (reason == "EXPIRED") why = swsa::delete_reason::expired;
        else if (!reason.empty()) return std::vector<std::string>{"ZPX1707I SWSA DELETE " + tunnel + " NOT VALID: REASON " +
                                                                  reason + " IS NOT REKEYED OR EXPIRED"};
        auto err = s.swsa_delete(tunnel, why);
        if (!err.empty()) return std::vector<std::string>{"ZPX1707I SWSA SA " + tunnel + " NOT DELETED: " + err};
        return std::vector<std::string>{"ZPX1708I SWSA SA " + tunnel + " DELETED ON THIS STACK AND ITS TARGETS"};
    }
    return std::nullopt;
}

/// `SWSA KEYS` (`zplex trace`, docs/swsa.md "Tracing"): Wireshark's esp_sa lines of every
/// ESP SA this stack holds, then `ZPX1761I n ESP SAS IN esp_sa FORM`. The reply is built in
/// one string that never reallocates unwiped; the control socket (secret) wipes it once
/// written. False, @p out untouched, when the line is not this one.
inline bool swsa_keys_reply(const std::string& line, stack::stack& s, std::string& out) {
    std::string head = sysplex::upper(line.substr(0, 9));
    if (head != "SWSA KEYS" || line.find_first_not_of(" \r", 9) != std::string::npos) return false;
    std::string reply;
    reply.reserve(4096);
    std::size_t n = s.swsa_keys(reply);
    std::string count = "ZPX1761I " + std::to_string(n) + " ESP SAS IN esp_sa FORM\n";
    if (reply.size() + count.size() > reply.capacity()) {
        std::string bigger;
        bigger.reserve(reply.size() + count.size());
        bigger.append(reply);
        ipsec::wipe(reply);
        reply.swap(bigger);
    }
    reply += count;
    ipsec::wipe(out);
    out.swap(reply);
    return true;
}

}  // namespace zplex::tcpip::daemon
