// SPDX-License-Identifier: Apache-2.0
// Statements zplex recognises but does not act on, and statements IBM removed.
// A recognised statement consumes exactly the operands its syntax diagram allows,
// so the next statement is found where z/OS finds it: a word that is not one of its
// operands ends it and is then processed (or rejected) as a statement of its own.
#include "processor.hpp"

#include <algorithm>
#include <cctype>

namespace zplex::tcpip::profile::detail {

namespace {

/// One operand keyword of a recognised statement and the values that follow it.
struct operand {
    std::string_view spelled;
    std::uint8_t values = 0;
    bool numeric = false;  ///< the values are decimal numbers
};

/// The folded token without surrounding parentheses: SMFCONFIG TYPE119(TCPINIT ...).
std::string_view bare(const token& t) noexcept {
    std::string_view s = t.upper;
    while (!s.empty() && s.front() == '(') {
        s.remove_prefix(1);
    }
    while (!s.empty() && s.back() == ')') {
        s.remove_suffix(1);
    }
    return s;
}

bool digits(std::string_view s) noexcept {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

bool dotted_or_colon(std::string_view s) noexcept {
    return !s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s.find(':') != std::string_view::npos);
}

constexpr std::string_view block_statements[][2] = {
    {"ASSORTEDPARMS", "ENDASSORTEDPARMS"},     {"BSDROUTINGPARMS", "ENDBSDROUTINGPARMS"},
    {"DEFADDRTABLE", "ENDDEFADDRTABLE"},       {"KEEPALIVEOPTIONS", "ENDKEEPALIVEOPTIONS"},
    {"NETACCESS", "ENDNETACCESS"},             {"SRCIP", "ENDSRCIP"},
};

constexpr std::string_view plain_statements[] = {
    "ARPAGE",   "DATATRACE", "DELETE",    "ITRACE",   "NETMONITOR", "PKTTRACE", "PORTRANGE",
    "PRIMARYINTERFACE", "SACONFIG", "SMFCONFIG", "SMFPARMS", "SOMAXCONN", "TRANSLATE",
};

/// Removed from z/OS Communications Server by V2R2/V2R3: V2R5 rejects them.
struct removed_def {
    std::string_view name;
    std::string_view why;
};
constexpr removed_def removed_statements[] = {
    {"GATEWAY", "GATEWAY WAS REMOVED IN V2R2: CODE THE ROUTES IN BEGINROUTES"},
    {"DEFAULTNET", "DEFAULTNET WAS REMOVED IN V2R2 WITH GATEWAY: CODE ROUTE DEFAULT IN BEGINROUTES"},
    {"ATMARPSV", "ATM SUPPORT WAS REMOVED IN V2R3"},
    {"ATMLIS", "ATM SUPPORT WAS REMOVED IN V2R3"},
    {"ATMPVC", "ATM SUPPORT WAS REMOVED IN V2R3"},
};

constexpr removed_def removed_device_types[] = {
    {"ATM", "ATM SUPPORT WAS REMOVED IN V2R3"},
    {"CLAW", "CLAW SUPPORT WAS REMOVED IN V2R3"},
    {"MPCOSA", "MPCOSA (OSA-2) SUPPORT WAS REMOVED IN V2R2: USE MPCIPA OR INTERFACE IPAQENET"},
    {"CDLC", "CDLC SUPPORT WAS REMOVED IN V2R3"},
    {"HCH", "HYPERCHANNEL SUPPORT WAS REMOVED IN V2R3"},
    {"SNAIUCV", "SNALINK SUPPORT WAS REMOVED IN V2R3"},
    {"SNALU62", "SNALINK SUPPORT WAS REMOVED IN V2R3"},
    {"X25NPSI", "X.25 NPSI SUPPORT WAS REMOVED IN V2R3"},
};

constexpr removed_def removed_link_types[] = {
    {"ATM", "ATM SUPPORT WAS REMOVED IN V2R3"},
    {"IP", "CLAW SUPPORT (LINK TYPE IP) WAS REMOVED IN V2R3"},
    {"OSAENET", "MPCOSA (OSA-2) SUPPORT WAS REMOVED IN V2R2: USE IPAQENET"},
    {"OSAFDDI", "MPCOSA (OSA-2) SUPPORT WAS REMOVED IN V2R2"},
    {"IBMTR", "TOKEN-RING LINKS WERE REMOVED IN V2R3: LCS SUPPORTS ETHERNET ONLY"},
    {"FDDI", "FDDI LINKS WERE REMOVED IN V2R3: LCS SUPPORTS ETHERNET ONLY"},
    {"ETHERORFDDI", "FDDI LINKS WERE REMOVED IN V2R3: LCS SUPPORTS ETHERNET ONLY"},
    {"CDLC", "CDLC SUPPORT WAS REMOVED IN V2R3"},
    {"HCH", "HYPERCHANNEL SUPPORT WAS REMOVED IN V2R3"},
    {"X25NPSI", "X.25 NPSI SUPPORT WAS REMOVED IN V2R3"},
};

const removed_def* find_removed(const removed_def* begin, const removed_def* end, std::string_view upper) {
    auto it = std::find_if(begin, end, [&](const removed_def& d) { return d.name == upper; });
    return it == end ? nullptr : it;
}

}  // namespace

bool is_recognised_statement(std::string_view upper) noexcept {
    for (const auto& b : block_statements) {
        if (upper == b[0]) {
            return true;
        }
    }
    return std::find(std::begin(plain_statements), std::end(plain_statements), upper) != std::end(plain_statements);
}

std::optional<std::string_view> removed_statement(std::string_view upper) noexcept {
    if (auto* d = find_removed(std::begin(removed_statements), std::end(removed_statements), upper)) {
        return d->why;
    }
    return std::nullopt;
}

std::optional<std::string_view> removed_device_type(std::string_view upper) noexcept {
    if (auto* d = find_removed(std::begin(removed_device_types), std::end(removed_device_types), upper)) {
        return d->why;
    }
    return std::nullopt;
}

std::optional<std::string_view> removed_link_type(std::string_view upper) noexcept {
    if (auto* d = find_removed(std::begin(removed_link_types), std::end(removed_link_types), upper)) {
        return d->why;
    }
    return std::nullopt;
}

/// Consume operand keywords of @p table (and their values) while the current
/// token is one; returns how many were consumed.
static int consume_operands(processor& p, cursor& c, std::initializer_list<operand> table,
                            std::string_view stmt) {
    int n = 0;
    while (!c.at_end()) {
        const token& t = c.peek();
        if (t.quoted) {
            break;
        }
        auto word = bare(t);
        // KEY=value forms (PKTTRACE IP=9.1.1.1): match the key.
        auto eq = word.find('=');
        bool keyed = eq != std::string_view::npos;
        auto key = keyed ? word.substr(0, eq + 1) : word;
        const operand* hit = nullptr;
        for (const auto& o : table) {
            bool wants_eq = o.spelled.ends_with('=');
            if (wants_eq != keyed) {
                continue;
            }
            if (wants_eq ? keyword_name(o.spelled) == key : keyword_matches(key, o.spelled)) {
                hit = &o;
                break;
            }
        }
        if (!hit) {
            break;
        }
        c.skip();
        ++n;
        for (int i = 0; i < hit->values; ++i) {
            if (c.at_end() || p.at_statement(c, context::top) ||
                (hit->numeric && !digits(bare(c.peek())))) {
                p.fail_expected(c, "A VALUE FOR " + std::string(stmt) + " " + keyword_name(hit->spelled));
            }
            c.skip();
        }
    }
    return n;
}

void processor::st_recognised(cursor& c, const token& kw) {
    _cfg.unemulated.push_back(unemulated_statement{kw.upper, c.at(kw)});
    warn(c, kw, "ZPX0100I",
         "STATEMENT " + kw.upper + " ON LINE " + std::to_string(kw.line) + " OF " + c.dataset() +
             " IS ACCEPTED BUT NOT EMULATED");
    for (const auto& b : block_statements) {
        if (kw.upper == b[0]) {
            skip_block(c, b[1], kw);
            return;
        }
    }
    const std::string& s = kw.upper;
    auto number = [&](std::string_view what) { expect_number(c, what, 0, 0x7fffffffu); };
    if (s == "ARPAGE") {
        number("AN ARPAGE VALUE IN MINUTES");
    } else if (s == "SOMAXCONN") {
        number("A SOMAXCONN VALUE");
    } else if (s == "PRIMARYINTERFACE") {
        expect_name(c, "A LINK OR INTERFACE NAME", 16);
    } else if (s == "SMFPARMS") {
        for (int i = 0; i < 3 && !c.at_end() && is_number(c.peek()); ++i) {
            c.skip();
        }
    } else if (s == "ITRACE") {
        if (!(c.accept("ON") || c.accept("OFF"))) {
            fail_expected(c, "ON OR OFF AFTER ITRACE");
        }
        consume_operands(*this, c,
                         {{"CONFIG"}, {"PARSE"}, {"SUBAGENT"}, {"COMMAND"}, {"AUTODAEMON"}, {"AUTOLOG"}}, s);
        if (!c.at_end() && is_number(c.peek())) {
            c.skip();
        }
    } else if (s == "PKTTRACE" || s == "DATATRACE") {
        consume_operands(*this, c,
                         {{"ON"}, {"OFF"}, {"CLEAR"}, {"RESET"}, {"FULL"}, {"ABBREV"}, {"IP="}, {"PROT="}, {"SRCPORT="},
                          {"DESTPORT="}, {"LINKNAME="}, {"SUBNET="}, {"DISCARD="}, {"JOBNAME="}, {"ASID="},
                          {"PORTNUM="}, {"INTFNAME="}},
                         s);
        if (!c.at_end() && is_number(c.peek())) {
            c.skip();  // ABBREV length
        }
    } else if (s == "NETMONITOR") {
        consume_operands(*this, c,
                         {{"SMFSERVICE"}, {"NOSMFSERVICE"}, {"NTASERVICE"}, {"NONTASERVICE"}, {"TCPCONNSERVICE"},
                          {"NOTCPCONNSERVICE"}, {"MINLIFETIME", 1, true}, {"PROFILE"}, {"NOPROFILE"}, {"CSSMTP"},
                          {"NOCSSMTP"}, {"CSMAIL"}, {"NOCSMAIL"}, {"DVIPA"}, {"NODVIPA"}, {"SYSTCPDA"},
                          {"NOSYSTCPDA"}, {"SYSTCPCN"}, {"NOSYSTCPCN"}, {"SYSTCPSM"}, {"NOSYSTCPSM"},
                          {"SYSTCPOT"}, {"NOSYSTCPOT"}},
                         s);
    } else if (s == "SACONFIG") {
        consume_operands(*this, c,
                         {{"ENABLED"}, {"DISABLED"}, {"COMMUNITY", 1}, {"AGENT", 1, true}, {"SETSENABLED"},
                          {"SETSDISABLED"}, {"OSASF", 1, true}, {"NOOSASF"}},
                         s);
    } else if (s == "SMFCONFIG") {
        consume_operands(*this, c,
                         {{"TYPE118"}, {"TYPE119"}, {"TCPINIT"}, {"NOTCPINIT"}, {"TCPTERM"}, {"NOTCPTERM"},
                          {"FTPCLIENT"}, {"NOFTPCLIENT"}, {"TN3270CLIENT"}, {"NOTN3270CLIENT"},
                          {"TCPIPSTATISTICS"}, {"NOTCPIPSTATISTICS"}, {"IFSTATISTICS"}, {"NOIFSTATISTICS"},
                          {"PORTSTATISTICS"}, {"NOPORTSTATISTICS"}, {"TCPSTACK"}, {"NOTCPSTACK"}, {"UDPTERM"},
                          {"NOUDPTERM"}, {"DVIPA"}, {"NODVIPA"}, {"IPSECURITY"}, {"NOIPSECURITY"}, {"PROFILE"},
                          {"NOPROFILE"}, {"SMCRGROUPSTATISTICS"}, {"NOSMCRGROUPSTATISTICS"}, {"SMCRLINKEVENT"},
                          {"NOSMCRLINKEVENT"}, {"SMCDLINKSTATISTICS"}, {"NOSMCDLINKSTATISTICS"},
                          {"SMCDLINKEVENT"}, {"NOSMCDLINKEVENT"}, {"ZERT"}, {"NOZERT"}, {"DETAIL"},
                          {"NODETAIL"}, {"SUMMARY"}, {"NOSUMMARY"}},
                         s);
    } else if (s == "DELETE") {
        if (c.accept("DEVICE") || c.accept("LINK")) {
            expect_name(c, "A DEVICE OR LINK NAME", 16);
        } else if (c.accept("PORT")) {
            expect_number(c, "A PORT NUMBER", 0, 65535);
            if (!(c.accept("TCP") || c.accept("UDP"))) {
                fail_expected(c, "TCP OR UDP");
            }
            if (more_parameters(c, context::top)) {
                expect_name(c, "A JOB NAME", 8);
            }
        } else if (c.accept("PORTRANGE")) {
            expect_number(c, "A PORT NUMBER", 1, 65535);
            expect_number(c, "A PORT COUNT", 1, 65535);
            if (!(c.accept("TCP") || c.accept("UDP"))) {
                fail_expected(c, "TCP OR UDP");
            }
            if (more_parameters(c, context::top)) {
                expect_name(c, "A JOB NAME", 8);
            }
        } else {
            fail_expected(c, "DEVICE, LINK, PORT OR PORTRANGE AFTER DELETE");
        }
    } else if (s == "PORTRANGE") {
        // PORTRANGE entries: low count TCP|UDP jobname [options] ...
        bool any = false;
        while (!c.at_end() && is_number(c.peek())) {
            any = true;
            expect_number(c, "A PORT NUMBER", 1, 65535);
            expect_number(c, "A PORT COUNT", 1, 65535);
            if (!(c.accept("TCP") || c.accept("UDP"))) {
                fail_expected(c, "TCP OR UDP");
            }
            expect_name(c, "A JOB NAME, *, OMVS OR RESERVED", 8);
            consume_operands(*this, c,
                             {{"NOAUTOLOG"}, {"SHAREPORT"}, {"SHAREPORTWLM"}, {"BIND", 1}, {"SAF", 1},
                              {"DELAYACKS"}, {"NODELAYACKS"}, {"NOSMC"}},
                             s);
        }
        if (!any) {
            fail_expected(c, "A PORT NUMBER AFTER PORTRANGE");
        }
    } else if (s == "TRANSLATE") {
        // TRANSLATE entries: address type hardware_address link_name.
        bool any = false;
        while (!c.at_end() && !c.peek().quoted && dotted_or_colon(c.peek().upper)) {
            any = true;
            c.skip();
            if (!(c.accept("ETHERNET") || c.accept("802.3") || c.accept("ETHEROR802.3") || c.accept("NSAP"))) {
                fail_expected(c, "ETHERNET, 802.3, ETHEROR802.3 OR NSAP");
            }
            if (c.at_end() || at_statement(c, context::top)) {
                fail_expected(c, "A HARDWARE ADDRESS");
            }
            c.skip();
            expect_name(c, "A LINK NAME", 16);
        }
        if (!any) {
            fail_expected(c, "AN IP ADDRESS AFTER TRANSLATE");
        }
    }
}

}  // namespace zplex::tcpip::profile::detail
