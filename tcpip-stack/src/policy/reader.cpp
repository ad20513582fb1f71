// SPDX-License-Identifier: Apache-2.0
// The statement tree and the value parsers of the policy reader.
#include "reader.hpp"

#include <zplex/tcpip/profile/ipv4.hpp>

#include <charconv>

namespace zplex::policy::detail {

parse_result reader::run(std::string_view text) {
    std::vector<std::pair<int, int>> bad_quotes;
    _toks = tokenize(text, bad_quotes);
    for (auto [l, c] : bad_quotes) {
        error("ZPX0801E", "SYNTAX ERROR AT LINE " + std::to_string(l) + " COLUMN " + std::to_string(c) + " OF " +
                              _name + ": A QUOTED STRING DOES NOT END ON ITS LINE");
    }
    std::vector<node> top;
    read_block("TOP", top, false);
    // Definitions others refer to first, so a reference may come before its target.
    static const std::set<std::string> first = {"IPSERVICE", "IPDATAOFFER", "KEYEXCHANGEOFFER", "IPFILTERRULE",
                                                "KEYEXCHANGERULE"};
    for (auto& n : top) {
        if (first.count(n.keyword)) {
            top_statement(n);
        }
    }
    for (auto& n : top) {
        if (!first.count(n.keyword)) {
            top_statement(n);
        }
    }
    resolve();
    int filters = static_cast<int>(_r.policy.filter_rules.size());
    int kex = static_cast<int>(_r.policy.key_exchange_rules.size());
    add("ZPX0808I", severity::info,
        "POLICY " + _name + " PROCESSED: " + std::to_string(filters) + " FILTER RULE" + (filters == 1 ? "" : "S") +
            " AND " + std::to_string(kex) + " KEY EXCHANGE RULE" + (kex == 1 ? "" : "S") + " INSTALLED");
    return std::move(_r);
}

std::string reader::at(int line, int col) const {
    return "AT LINE " + std::to_string(line) + " COLUMN " + std::to_string(col) + " OF " + _name;
}

void reader::read_block(const std::string& schema_name, std::vector<node>& out, bool nested) {
    const auto& schema = schemas().at(schema_name);
    // Attributes seen in this block: one of each, except nested blocks and lists of
    // references (z/OS Policy Agent: "may be specified once").
    static const std::set<std::string> repeatable = {"IPFILTERRULEREF", "KEYEXCHANGERULEREF", "IPSERVICEREF",
                                                     "IPDATAOFFERREF", "KEYEXCHANGEOFFERREF"};
    std::map<std::string, int> seen;
    while (_pos < _toks.size()) {
        const token& t = _toks[_pos];
        if (t.kind == tok_kind::close) {
            ++_pos;
            if (nested) {
                return;
            }
            error("ZPX0801E", "SYNTAX ERROR " + at(t) + ": } WITHOUT A MATCHING {");
            continue;
        }
        if (t.kind == tok_kind::open) {
            error("ZPX0801E", "SYNTAX ERROR " + at(t) + ": { WITHOUT A STATEMENT");
            ++_pos;
            skip_block();
            continue;
        }
        node n;
        n.spelled = t.text;
        n.keyword = upper(t.text);
        n.line = t.line;
        n.column = t.column;
        ++_pos;
        bool known = schema.attributes.count(n.keyword) || schema.nested.count(n.keyword);
        // Values: to the end of the line, a brace, or the next keyword of this block.
        while (_pos < _toks.size() && _toks[_pos].kind == tok_kind::word && !_toks[_pos].line_start) {
            auto k = upper(_toks[_pos].text);
            if (schema.attributes.count(k) || schema.nested.count(k)) {
                break;
            }
            n.values.push_back(_toks[_pos++]);
        }
        bool opens = _pos < _toks.size() && _toks[_pos].kind == tok_kind::open;
        if (!known) {
            if (schema_name == "TOP") {
                error("ZPX0807E", "UNKNOWN STATEMENT " + n.keyword + " " + at(n) + " IS IGNORED");
            } else {
                error("ZPX0802E", "UNKNOWN ATTRIBUTE " + n.keyword + " " + at(n) + " IS IGNORED");
                _bad_attr = true;
            }
            if (opens) {
                ++_pos;
                skip_block();
            }
            continue;
        }
        auto nest = schema.nested.find(n.keyword);
        if (opens) {
            ++_pos;
            if (nest == schema.nested.end()) {
                error("ZPX0801E", "SYNTAX ERROR " + at(n) + ": " + n.keyword + " TAKES NO { } BLOCK");
                skip_block();
                continue;
            }
            n.has_block = true;
            n.schema = nest->second;
            read_block(nest->second, n.children, true);
        }
        if (schema.not_emulated.count(n.keyword)) {
            add("ZPX0806I", severity::warning,
                n.keyword + " " + at(n) + " IS ACCEPTED BUT NOT EMULATED");
            continue;
        }
        if (!schema.nested.count(n.keyword) && !repeatable.count(n.keyword)) {
            auto [first, fresh] = seen.emplace(n.keyword, n.line);
            if (!fresh) {
                error("ZPX0809E", "REPEATED ATTRIBUTE " + n.keyword + " " + at(n) + ": IT WAS GIVEN AT LINE " +
                                      std::to_string(first->second) + "; ONLY THE FIRST ONE IS KEPT");
                continue;
            }
        }
        out.push_back(std::move(n));
    }
    if (nested) {
        error("ZPX0801E", "SYNTAX ERROR AT THE END OF " + _name + ": A { BLOCK IS NOT CLOSED");
    }
}

void reader::skip_block() {
    int depth = 1;
    while (_pos < _toks.size() && depth > 0) {
        if (_toks[_pos].kind == tok_kind::open) {
            ++depth;
        } else if (_toks[_pos].kind == tok_kind::close) {
            --depth;
        }
        ++_pos;
    }
}

bool reader::one_value(const node& n, const std::string& owner, std::string& out) {
    if (n.values.size() != 1) {
        bad_value(n, owner, n.values.empty() ? "A VALUE IS MISSING" : "ONE VALUE IS EXPECTED");
        return false;
    }
    out = n.values[0].text;
    return true;
}

void reader::bad_value(const node& n, const std::string& owner, const std::string& why) {
    std::string v;
    for (const auto& t : n.values) {
        v += (v.empty() ? "" : " ") + t.text;
    }
    error("ZPX0803E", "INCORRECT VALUE '" + v + "' FOR " + n.keyword + " IN " + owner + " " + at(n) + ": " + why);
    _bad_attr = true;
}

bool reader::number(std::string_view s, std::uint64_t& v, std::uint64_t max) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size() && v <= max;
}

bool reader::ipv4(std::string_view s, std::uint32_t& a) {
    auto v = tcpip::profile::ipv4_address::parse(s);
    if (v) {
        a = v->value;
    }
    return v.has_value();
}

bool reader::address_value(const node& n, const std::string& owner, address& out) {
    std::string v;
    if (!one_value(n, owner, v)) {
        return false;
    }
    if (upper(v) == "ALL") {
        out = address{0, 0};
        return true;
    }
    auto slash = v.find('/');
    std::uint64_t len = 32;
    std::uint32_t a = 0;
    if (!ipv4(std::string_view(v).substr(0, slash), a) ||
        (slash != std::string::npos && !number(std::string_view(v).substr(slash + 1), len, 32))) {
        bad_value(n, owner, "AN IPV4 ADDRESS, ADDRESS/PREFIX OR ALL IS EXPECTED");
        return false;
    }
    if ((a & ~ipsec::prefix_mask(static_cast<std::uint8_t>(len))) != 0) {
        bad_value(n, owner, "THE ADDRESS HAS BITS SET BEYOND ITS PREFIX");
        return false;
    }
    out = address{a, static_cast<std::uint8_t>(len)};
    return true;
}

bool reader::minutes_value(const node& n, const std::string& owner, std::chrono::minutes& out, std::uint64_t min,
                   std::uint64_t max) {
    std::string v;
    std::uint64_t m = 0;
    if (!one_value(n, owner, v)) {
        return false;
    }
    if (!number(v, m, max) || m < min) {
        bad_value(n, owner, "MINUTES FROM " + std::to_string(min) + " TO " + std::to_string(max) + " ARE EXPECTED");
        return false;
    }
    out = std::chrono::minutes(m);
    return true;
}

bool reader::group_value(const node& n, const std::string& owner, unsigned& out, bool allow_none) {
    std::string v;
    if (!one_value(n, owner, v)) {
        return false;
    }
    auto u = upper(v);
    if (allow_none && u == "NONE") {
        out = 0;
        return true;
    }
    if (u.rfind("GROUP", 0) == 0) {
        u = u.substr(5);
    }
    std::uint64_t g = 0;
    if (!number(u, g, 1000) || (g != 14 && g != 19 && g != 20 && g != 31)) {
        bad_value(n, owner, std::string("GROUP14, GROUP19, GROUP20 OR GROUP31") + (allow_none ? " OR NONE" : "") +
                                " IS EXPECTED");
        return false;
    }
    out = static_cast<unsigned>(g);
    return true;
}

bool reader::encryption_value(const node& n, const std::string& owner, std::string& alg, unsigned& key_len,
                      bool allow_none) {
    if (n.values.empty()) {
        bad_value(n, owner, "A VALUE IS MISSING");
        return false;
    }
    alg = upper(n.values[0].text);
    key_len = 128;
    bool ok = alg == "AES_CBC" || alg == "AES_GCM_16" || (allow_none && (alg == "DONOT" || alg == "NULL"));
    if (!ok) {
        bad_value(n, owner,
                  std::string("AES_CBC OR AES_GCM_16") + (allow_none ? " OR DONOT" : "") + " IS EXPECTED");
        return false;
    }
    if (alg == "NULL") {
        alg = "DONOT";
    }
    if (n.values.size() == 1) {
        return true;
    }
    std::uint64_t k = 0;
    if (n.values.size() != 3 || upper(n.values[1].text) != "KEYLENGTH" || !number(n.values[2].text, k, 256) ||
        (k != 128 && k != 256) || alg == "DONOT") {
        bad_value(n, owner, "KEYLENGTH 128 OR KEYLENGTH 256 IS EXPECTED AFTER THE ALGORITHM");
        return false;
    }
    key_len = static_cast<unsigned>(k);
    return true;
}

bool reader::integrity_value(const token& t, unsigned& bits) {
    auto u = upper(t.text);
    if (u == "HMAC_SHA2_256_128" || u == "HMAC_SHA2_256") {
        bits = 256;
    } else if (u == "HMAC_SHA2_384_192" || u == "HMAC_SHA2_384") {
        bits = 384;
    } else if (u == "HMAC_SHA2_512_256" || u == "HMAC_SHA2_512") {
        bits = 512;
    } else if (u == "NULL") {
        bits = 0;
    } else {
        return false;
    }
    return true;
}

}  // namespace zplex::policy::detail
