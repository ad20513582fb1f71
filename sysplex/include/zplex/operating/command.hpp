// SPDX-License-Identifier: Apache-2.0
// Operator commands as an MCS console takes them: a tokenizer (verb, then operands
// separated by commas, parentheses and quotes kept together, blanks ending the operand
// field) and the routing of each command to the component that answers it. Pure: no I/O.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace zplex::operating {

/// The longest command a z/OS console takes.
inline constexpr std::size_t max_command = 126;

/// A command split as z/OS splits it. Verb and operands are upper case outside quotes.
struct tokens {
    std::string verb;                    ///< as typed (upper case): D, DISPLAY, V, RO ...
    std::vector<std::string> operands;   ///< comma-separated, empty ones kept (TCPIP,,SYSPLEX)
    std::string operand_text;            ///< the operand field as typed (for RO: the routed command)
};

/// Split @p text. On bad input returns false and @p error holds the z/OS message
/// (IEE305I, IEE307I DELIMITER ERROR with the column, ZPX1801E for length or characters).
bool tokenize(std::string_view text, tokens& out, std::string& error);

/// Where a command goes.
enum class target : unsigned char {
    stack,        ///< the image's TCP/IP stack control socket (D TCPIP / V TCPIP)
    xcf,          ///< the image's XCF system (D XCF, D XCF,GROUP, PATHIN, PATHOUT)
    cf,           ///< one CF's command socket (D XCF,STR; SETXCF)
    cf_all,       ///< every CF (D CF)
    route,        ///< RO: the inner command on each system named
    start_proc,   ///< S proc: an AUTOLOG procedure
    stop_proc,    ///< P proc
    vary_offline, ///< V XCF,sys,OFFLINE
    invalid,      ///< error holds the response
};

struct routed {
    target where = target::invalid;
    std::string text;                  ///< what to send, in the canonical form the component parses
    std::vector<std::string> systems;  ///< RO: the systems named (*ALL, *OTHER or names); V XCF: the system
    std::string proc;                  ///< S/P: the procedure (job) name
    std::string error;                 ///< target::invalid: the message
};

/// Parse and route one command. Abbreviations as z/OS: D, V, RO, S, P; N for NETSTAT;
/// DISPLAY/VARY/ROUTE/START/STOP spelled out.
routed route(std::string_view text);

/// The systems an RO target list names, given the sysplex's systems in order and the
/// console's own system: *ALL every one, *OTHER all but @p self, (A,B) or A a list.
/// Unknown names make @p error "IEE345I ROUTE COMMAND NOT EXECUTED ...".
std::vector<std::string> route_targets(const std::vector<std::string>& named, const std::vector<std::string>& all,
                                       const std::string& self, std::string& error);

}  // namespace zplex::operating
