// SPDX-License-Identifier: Apache-2.0
// The operator command tokenizer and router (zplex/operating/command.hpp).
#include <zplex/operating/command.hpp>
#include <zplex/sysplex/text.hpp>

#include <algorithm>
#include <map>

namespace zplex::operating {

namespace {

using sysplex::upper;

std::string pad8(std::string s) {
    if (s.size() < 8) s.append(8 - s.size(), ' ');
    return s;
}

std::string invalid_verb(const std::string& what) { return "IEE305I " + pad8(what) + " COMMAND INVALID"; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

/// A z/OS name: 1-@p max of A-Z 0-9 @ # $, not starting with a digit.
bool valid_name(std::string_view s, std::size_t max = 8) {
    if (s.empty() || s.size() > max || (s[0] >= '0' && s[0] <= '9')) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '@' || c == '#' || c == '$';
    });
}

std::string join(const std::vector<std::string>& v, std::size_t from, char sep = ',') {
    std::string out;
    for (std::size_t i = from; i < v.size(); ++i) {
        if (i > from) out += sep;
        out += v[i];
    }
    return out;
}

routed fail(std::string message) {
    routed r;
    r.where = target::invalid;
    r.error = std::move(message);
    return r;
}

routed to(target t, std::string text) {
    routed r;
    r.where = t;
    r.text = std::move(text);
    return r;
}

/// NETSTAT report names and their z/OS abbreviations.
std::string report_name(const std::string& r) {
    static const std::map<std::string, std::string> abbrev{
        {"VCFG", "VIPADCFG"}, {"VDYN", "VIPADYN"},  {"DEV", "DEVLINKS"}, {"ALLC", "ALLCONN"},
        {"CO", "CONN"},       {"VIPADCFG", "VIPADCFG"}, {"VIPADYN", "VIPADYN"}, {"DEVLINKS", "DEVLINKS"},
        {"ALLCONN", "ALLCONN"}, {"CONN", "CONN"}, {"HOME", "HOME"}, {"ROUTE", "ROUTE"}, {"ARP", "ARP"},
        {"VDPT", "VDPT"}, {"VCRT", "VCRT"}, {"BYTEINFO", "BYTEINFO"}, {"BYTE", "BYTEINFO"},
        {"STATS", "STATS"}, {"ST", "STATS"}, {"PORTLIST", "PORTLIST"}, {"PORTL", "PORTLIST"},
        {"SOCKETS", "SOCKETS"}, {"SOCK", "SOCKETS"}, {"CONFIG", "CONFIG"}};
    auto it = abbrev.find(r);
    return it == abbrev.end() ? r : it->second;
}

routed display(const tokens& t) {
    const auto& o = t.operands;
    if (o.empty() || o[0].empty()) return fail("IEE311I D PARAMETER MISSING");
    if (o[0] == "TCPIP") {
        if (o.size() < 3 || o[2].empty())
            return fail("ZPX1803I D TCPIP NEEDS [procname],NETSTAT,report OR [procname],SYSPLEX,report");
        if (!o[1].empty() && !valid_name(o[1]))
            return fail("ZPX1803I D TCPIP: '" + o[1] + "' IS NOT A PROCEDURE NAME (1-8 OF A-Z 0-9 @ # $)");
        std::string kw = o[2];
        if (kw == "N" || kw == "NETSTAT") kw = "NETSTAT";
        else if (kw == "SYS" || kw == "SYSPLEX") kw = "SYSPLEX";
        else return fail("IEE309I D TCPIP," + o[1] + "," + kw + " UNIDENTIFIABLE KEYWORD " + kw);
        if (o.size() < 4 || o[3].empty()) return fail("IEE311I D TCPIP," + o[1] + "," + kw + " PARAMETER MISSING");
        std::vector<std::string> rest(o.begin() + 3, o.end());
        if (kw == "NETSTAT") rest[0] = report_name(rest[0]);
        if (kw == "SYSPLEX" && (rest[0] == "VIPAD" || rest[0] == "VDYN")) rest[0] = "VIPADYN";
        return to(target::stack, "D TCPIP," + o[1] + "," + kw + "," + join(rest, 0));
    }
    if (o[0] == "XCF") {
        if (o.size() >= 2 && (o[1] == "STR" || o[1] == "STRUCTURE"))
            return to(target::cf, "D XCF," + join(o, 1));
        if (o.size() >= 2 && o[1] == "CF") return to(target::cf_all, "D CF" + (o.size() > 2 ? "," + join(o, 2) : ""));
        return to(target::xcf, "D XCF" + (o.size() > 1 ? "," + join(o, 1) : ""));
    }
    if (o[0] == "CF") return to(target::cf_all, "D CF" + (o.size() > 1 ? "," + join(o, 1) : ""));
    return fail(invalid_verb(o[0]));
}

routed vary(const tokens& t) {
    const auto& o = t.operands;
    if (o.empty() || o[0].empty()) return fail("IEE311I V PARAMETER MISSING");
    if (o[0] == "TCPIP") {
        if (o.size() < 3 || o[2].empty()) return fail("IEE311I V TCPIP PARAMETER MISSING");
        if (!o[1].empty() && !valid_name(o[1]))
            return fail("ZPX1803I V TCPIP: '" + o[1] + "' IS NOT A PROCEDURE NAME (1-8 OF A-Z 0-9 @ # $)");
        std::string kw = o[2];
        if (kw == "OBEYFILE" || kw == "OBEY" || kw == "O") {
            if (o.size() < 4 || o[3].empty()) return fail("IEE311I V TCPIP," + o[1] + ",OBEYFILE PARAMETER MISSING");
            std::string dsn = o[3];
            if (dsn.rfind("DSN=", 0) == 0) dsn = dsn.substr(4);
            if (dsn.size() >= 2 && dsn.front() == '\'' && dsn.back() == '\'') dsn = dsn.substr(1, dsn.size() - 2);
            if (dsn.empty()) return fail("IEE311I V TCPIP," + o[1] + ",OBEYFILE PARAMETER MISSING");
            return to(target::stack, "V TCPIP," + o[1] + ",OBEYFILE," + dsn);
        }
        if (kw == "SYS" || kw == "SYSPLEX") {
            if (o.size() < 4 || o[3].empty()) return fail("IEE311I V TCPIP," + o[1] + ",SYSPLEX PARAMETER MISSING");
            return to(target::stack, "V TCPIP," + o[1] + ",SYSPLEX," + join(o, 3));
        }
        return fail("IEE309I V TCPIP," + o[1] + "," + kw + " UNIDENTIFIABLE KEYWORD " + kw);
    }
    if (o[0] == "XCF") {
        if (o.size() < 3 || o[1].empty() || o[2].empty()) return fail("IEE311I V XCF PARAMETER MISSING");
        if (!valid_name(o[1])) return fail("IXC302I V XCF," + o[1] + " SYSTEM NAME IS NOT VALID");
        if (o[2] != "OFFLINE" && o[2] != "OFF") return fail("IEE309I V XCF," + o[1] + " UNIDENTIFIABLE KEYWORD " + o[2]);
        routed r = to(target::vary_offline, "V XCF," + o[1] + ",OFFLINE");
        r.systems = {o[1]};
        return r;
    }
    return fail(invalid_verb(o[0]));
}

routed route_command(const tokens& t) {
    std::string_view rest = trim(t.operand_text);
    if (rest.empty()) return fail("IEE311I RO PARAMETER MISSING");
    std::vector<std::string> systems;
    std::size_t at = 0;
    if (rest[0] == '(') {
        auto close = rest.find(')');
        if (close == std::string_view::npos) return fail("IEE307I RO " + std::string(rest) + " DELIMITER ERROR: ( NOT CLOSED");
        std::string list = upper(rest.substr(1, close - 1));
        std::size_t from = 0;
        while (from <= list.size()) {
            auto comma = list.find(',', from);
            std::string name(trim(std::string_view(list).substr(from, comma == std::string::npos ? std::string::npos : comma - from)));
            systems.push_back(name);
            if (comma == std::string::npos) break;
            from = comma + 1;
        }
        at = close + 1;
        if (at >= rest.size() || rest[at] != ',') return fail("IEE311I RO " + std::string(rest) + " PARAMETER MISSING");
    } else {
        at = rest.find(',');
        if (at == std::string_view::npos) return fail("IEE311I RO " + std::string(rest) + " PARAMETER MISSING");
        systems.push_back(upper(trim(rest.substr(0, at))));
    }
    for (const auto& s : systems) {
        if (s != "*ALL" && s != "*OTHER" && !valid_name(s))
            return fail("IEE345I ROUTE COMMAND NOT EXECUTED: '" + s + "' IS NOT A SYSTEM NAME, *ALL OR *OTHER");
    }
    std::string inner(trim(rest.substr(at + 1)));
    if (inner.empty()) return fail("IEE311I RO PARAMETER MISSING: NO COMMAND TO ROUTE");
    routed check = route(inner);
    if (check.where == target::invalid) return check;
    if (check.where == target::route) return fail("IEE345I ROUTE COMMAND NOT EXECUTED: A ROUTE COMMAND CANNOT BE ROUTED");
    routed r = to(target::route, inner);
    r.systems = std::move(systems);
    return r;
}

routed start_stop(const tokens& t, bool start) {
    const auto& o = t.operands;
    const char* v = start ? "S" : "P";
    if (o.empty() || o[0].empty()) return fail(std::string("IEE311I ") + v + " PARAMETER MISSING");
    std::string job = o[0];
    std::string proc = job.substr(0, job.find('.'));
    std::string ident = job.find('.') == std::string::npos ? "" : job.substr(job.find('.') + 1);
    if (!valid_name(proc) || (job.find('.') != std::string::npos && !valid_name(ident)))
        return fail(std::string("IEE307I ") + v + " " + job + " DELIMITER ERROR: NOT A PROCEDURE NAME");
    routed r = to(start ? target::start_proc : target::stop_proc, std::string(v) + " " + join(o, 0));
    r.proc = ident.empty() ? proc : ident;  // the job is known by its identifier when given
    if (start) r.proc = proc;
    return r;
}

}  // namespace

bool tokenize(std::string_view text, tokens& out, std::string& error) {
    out = tokens{};
    text = trim(text);
    if (text.empty()) {
        error = "ZPX1801E NO COMMAND: TYPE A VERB (D, V, RO, S, P, SETXCF)";
        return false;
    }
    if (text.size() > max_command) {
        error = "ZPX1801E COMMAND IS " + std::to_string(text.size()) + " CHARACTERS LONG: A CONSOLE TAKES AT MOST " +
                std::to_string(max_command);
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c > 0x7E) {
            error = "ZPX1801E COMMAND HAS A CONTROL OR NON-ASCII CHARACTER AT COLUMN " + std::to_string(i + 1);
            return false;
        }
    }
    auto sp = text.find(' ');
    std::string verb = upper(text.substr(0, sp));
    if (!std::all_of(verb.begin(), verb.end(), [](char c) {
            return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '@' || c == '#' || c == '$';
        }) || verb.size() > 8) {
        error = invalid_verb(verb.substr(0, std::min<std::size_t>(verb.size(), 8)));
        return false;
    }
    out.verb = verb;
    if (sp == std::string_view::npos) return true;
    std::string_view rest = trim(text.substr(sp));
    out.operand_text = std::string(rest);
    const std::size_t base = text.size() - rest.size();  // column offset of the operand field
    std::string cur;
    int depth = 0;
    bool quoted = false;
    std::size_t open_at = 0, quote_at = 0;
    std::size_t i = 0;
    for (; i < rest.size(); ++i) {
        char c = rest[i];
        if (quoted) {
            if (c == '\'') {
                if (i + 1 < rest.size() && rest[i + 1] == '\'') {
                    cur += "''";
                    ++i;
                    continue;
                }
                quoted = false;
            }
            cur += c;
            continue;
        }
        if (c == '\'') {
            quoted = true;
            quote_at = i;
            cur += c;
        } else if (c == '(') {
            if (depth++ == 0) open_at = i;
            cur += c;
        } else if (c == ')') {
            if (--depth < 0) {
                error = "IEE307I " + std::string(text) + " DELIMITER ERROR AT COLUMN " + std::to_string(base + i + 1) +
                        ": ) WITHOUT (";
                return false;
            }
            cur += c;
        } else if (c == ',' && depth == 0) {
            out.operands.push_back(std::move(cur));
            cur.clear();
        } else if (c == ' ' && depth == 0) {
            break;  // the operand field ends at a blank; what follows is a comment
        } else {
            cur += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
        }
    }
    if (quoted) {
        error = "IEE307I " + std::string(text) + " DELIMITER ERROR AT COLUMN " + std::to_string(base + quote_at + 1) +
                ": QUOTE NOT CLOSED";
        return false;
    }
    if (depth > 0) {
        error = "IEE307I " + std::string(text) + " DELIMITER ERROR AT COLUMN " + std::to_string(base + open_at + 1) +
                ": ( NOT CLOSED";
        return false;
    }
    out.operands.push_back(std::move(cur));
    return true;
}

routed route(std::string_view text) {
    tokens t;
    std::string error;
    if (!tokenize(text, t, error)) {
        // RO's operand field holds a whole command, blanks and all: only its verb must parse.
        auto verb = upper(trim(text).substr(0, trim(text).find(' ')));
        if ((verb != "RO" && verb != "ROUTE") || error.rfind("IEE307I", 0) != 0) return fail(error);
        t.verb = verb;
        t.operand_text = std::string(trim(trim(text).substr(verb.size())));
    }
    const std::string& v = t.verb;
    if (v == "D" || v == "DISPLAY") return display(t);
    if (v == "V" || v == "VARY") return vary(t);
    if (v == "RO" || v == "ROUTE") return route_command(t);
    if (v == "S" || v == "START") return start_stop(t, true);
    if (v == "P" || v == "STOP") return start_stop(t, false);
    if (v == "SETXCF") {
        if (t.operands.empty() || t.operands[0].empty()) return fail("IEE311I SETXCF PARAMETER MISSING");
        std::string kw = t.operands[0];
        if (kw == "STA") kw = "START";
        if (kw == "STO" || kw == "STOP") kw = "STOP";
        if (kw != "START" && kw != "STOP") return fail("IEE309I SETXCF UNIDENTIFIABLE KEYWORD " + kw);
        std::vector<std::string> o = t.operands;
        o[0] = kw;
        if (o.size() > 1 && o[1] == "RB") o[1] = "REBUILD";
        return to(target::cf, "SETXCF " + join(o, 0));
    }
    return fail(invalid_verb(v));
}

std::vector<std::string> route_targets(const std::vector<std::string>& named, const std::vector<std::string>& all,
                                       const std::string& self, std::string& error) {
    std::vector<std::string> out;
    auto add = [&](const std::string& s) {
        if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    };
    for (const auto& n : named) {
        if (n == "*ALL") {
            for (const auto& s : all) add(s);
        } else if (n == "*OTHER") {
            for (const auto& s : all)
                if (!sysplex::iequal(s, self)) add(s);
        } else {
            auto it = std::find_if(all.begin(), all.end(), [&](const std::string& s) { return sysplex::iequal(s, n); });
            if (it == all.end()) {
                error = "IEE345I ROUTE COMMAND NOT EXECUTED: SYSTEM " + n + " IS NOT IN THE SYSPLEX";
                return {};
            }
            add(*it);
        }
    }
    return out;
}

}  // namespace zplex::operating
