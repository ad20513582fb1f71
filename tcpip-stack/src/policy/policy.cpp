// SPDX-License-Identifier: Apache-2.0
// Policy Agent style IPSec policy: a tokenizer, a block tree built with each block's
// own attribute keywords (several attributes may share a line, as in
// `IpService { SourcePortRange 443 Protocol tcp }`), then one reader per statement.
#include <zplex/policy/policy.hpp>
#include <zplex/sysplex/text.hpp>
#include <zplex/tcpip/profile/ipv4.hpp>

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

namespace zplex::policy {

namespace {

using sysplex::upper;

// ------------------------------------------------------------------ tokens

enum class tok_kind : std::uint8_t { word, open, close };

struct token {
    tok_kind kind = tok_kind::word;
    std::string text;
    int line = 0;
    int column = 0;
    bool line_start = false;  ///< first token on its line
};

/// Words, braces, "quoted strings"; `#` starts a comment to the end of the line.
std::vector<token> tokenize(std::string_view text, std::vector<std::pair<int, int>>& bad_quotes) {
    std::vector<token> out;
    int line = 1;
    int col = 1;
    bool first = true;
    std::size_t i = 0;
    auto advance = [&](std::size_t n) {
        for (std::size_t k = 0; k < n && i < text.size(); ++k, ++i) {
            if (text[i] == '\n') {
                ++line;
                col = 1;
                first = true;
            } else {
                ++col;
            }
        }
    };
    while (i < text.size()) {
        char c = text[i];
        if (c == '#') {
            while (i < text.size() && text[i] != '\n') {
                advance(1);
            }
            continue;
        }
        if (std::isspace(static_cast<unsigned char>(c))) {
            advance(1);
            continue;
        }
        token t;
        t.line = line;
        t.column = col;
        t.line_start = first;
        first = false;
        if (c == '{' || c == '}') {
            t.kind = c == '{' ? tok_kind::open : tok_kind::close;
            t.text = std::string(1, c);
            advance(1);
        } else if (c == '"') {
            std::size_t end = text.find('"', i + 1);
            std::size_t nl = text.find('\n', i + 1);
            if (end == std::string_view::npos || (nl != std::string_view::npos && nl < end)) {
                bad_quotes.emplace_back(line, col);
                end = nl == std::string_view::npos ? text.size() : nl;
                t.text = std::string(text.substr(i + 1, end - i - 1));
                advance(end - i);
            } else {
                t.text = std::string(text.substr(i + 1, end - i - 1));
                advance(end - i + 1);
            }
        } else {
            std::size_t j = i;
            while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j])) && text[j] != '{' &&
                   text[j] != '}' && text[j] != '#') {
                ++j;
            }
            t.text = std::string(text.substr(i, j - i));
            advance(j - i);
        }
        out.push_back(std::move(t));
    }
    return out;
}

// ------------------------------------------------------------------ schema

/// What may appear inside one kind of block: attribute keywords, and which of them
/// open a nested block of which kind.
struct block_schema {
    std::set<std::string> attributes;              ///< upper case
    std::map<std::string, std::string> nested;      ///< keyword -> schema name
    std::set<std::string> not_emulated;             ///< accepted, warned, ignored
};

const std::map<std::string, block_schema>& schemas() {
    static const std::map<std::string, block_schema> s = {
        {"TOP",
         {{},
          {{"IPFILTERPOLICY", "IPFILTERPOLICY"},
           {"KEYEXCHANGEPOLICY", "KEYEXCHANGEPOLICY"},
           {"IPFILTERRULE", "IPFILTERRULE"},
           {"IPSERVICE", "IPSERVICE"},
           {"IPGENERICFILTERACTION", "IPGENERICFILTERACTION"},
           {"IPDYNVPNACTION", "IPDYNVPNACTION"},
           {"IPDATAOFFER", "IPDATAOFFER"},
           {"KEYEXCHANGERULE", "KEYEXCHANGERULE"},
           {"KEYEXCHANGEACTION", "KEYEXCHANGEACTION"},
           {"KEYEXCHANGEOFFER", "KEYEXCHANGEOFFER"},
           {"LOCALSECURITYENDPOINT", "SECURITYENDPOINT"},
           {"REMOTESECURITYENDPOINT", "SECURITYENDPOINT"}},
          {"IPSECCONFIG", "TCPIMAGE", "IPLOCALSTARTACTION", "IPMANVPNACTION"}}},
        {"IPFILTERPOLICY",
         {{"POLICYSCOPE", "IPFILTERRULEREF", "IPFILTERLOGGING", "PREDECAP", "DVIPSEC", "ALLOWONDEMAND",
           "FILTERLOGGING", "IPFILTERGROUPREF"},
          {{"IPFILTERRULE", "IPFILTERRULE"}},
          {"IPFILTERLOGGING", "PREDECAP", "DVIPSEC", "ALLOWONDEMAND", "FILTERLOGGING", "IPFILTERGROUPREF"}}},
        {"KEYEXCHANGEPOLICY",
         {{"KEYEXCHANGERULEREF", "ALLOWNAT", "CANINITIATE", "ALLOWDOWNLEVELIKE"},
          {{"KEYEXCHANGERULE", "KEYEXCHANGERULE"}},
          {"ALLOWNAT", "CANINITIATE", "ALLOWDOWNLEVELIKE"}}},
        {"IPFILTERRULE",
         {{"IPSOURCEADDR", "IPDESTADDR", "IPSERVICEREF", "IPGENERICFILTERACTIONREF", "IPDYNVPNACTIONREF",
           "IPSOURCEADDRGROUPREF", "IPDESTADDRGROUPREF", "IPTIMECONDITIONREF", "IPLOCALSTARTACTIONREF"},
          {{"IPSERVICE", "IPSERVICE"}},
          {"IPSOURCEADDRGROUPREF", "IPDESTADDRGROUPREF", "IPTIMECONDITIONREF", "IPLOCALSTARTACTIONREF"}}},
        {"IPSERVICE",
         {{"SOURCEPORTRANGE", "DESTINATIONPORTRANGE", "PROTOCOL", "DIRECTION", "ROUTING", "SECURITYCLASS",
           "ICMPTYPE", "ICMPCODE"},
          {},
          {"SECURITYCLASS", "ICMPTYPE", "ICMPCODE"}}},
        {"IPGENERICFILTERACTION", {{"IPFILTERACTION", "IPFILTERLOGGING"}, {}, {}}},
        {"IPDYNVPNACTION",
         {{"HOWTOENCAP", "HOWTOENCRYPT", "HOWTOAUTH", "INITIATEWHEN", "PFS", "LIFESIZE", "LIFETIME",
           "IPDATAOFFERREF", "ALLOWNAT", "VPNLIFE", "RESPONDTO", "PASSTHROUGHDSCP", "USEPFS"},
          {{"IPDATAOFFER", "IPDATAOFFER"}},
          {"ALLOWNAT", "VPNLIFE", "RESPONDTO", "PASSTHROUGHDSCP"}}},
        {"IPDATAOFFER",
         {{"HOWTOENCAP", "HOWTOENCRYPT", "HOWTOAUTH", "REFRESHLIFETIMEPROPOSED", "REFRESHLIFETIMEACCEPTED",
           "REFRESHLIFESIZEPROPOSED", "REFRESHLIFESIZEACCEPTED"},
          {},
          {"REFRESHLIFETIMEACCEPTED", "REFRESHLIFESIZEPROPOSED", "REFRESHLIFESIZEACCEPTED"}}},
        {"KEYEXCHANGERULE",
         {{"LOCALSECURITYENDPOINTREF", "REMOTESECURITYENDPOINTREF", "KEYEXCHANGEACTIONREF", "SHAREDKEY",
           "SHAREDKEYREF"},
          {},
          {"SHAREDKEYREF"}}},
        {"KEYEXCHANGEACTION",
         {{"HOWTOINITIATE", "HOWTORESPOND", "HOWTOAUTHPEERS", "IKEVERSION", "KEYEXCHANGEOFFERREF",
           "EXCHANGEMODE", "REAUTHINTERVAL", "ALLOWNAT"},
          {{"KEYEXCHANGEOFFER", "KEYEXCHANGEOFFER"}},
          {"HOWTOINITIATE", "HOWTORESPOND", "EXCHANGEMODE", "REAUTHINTERVAL", "ALLOWNAT"}}},
        {"KEYEXCHANGEOFFER",
         {{"HOWTOENCRYPT", "HOWTOAUTHMSGS", "HOWTOAUTHPEERS", "PSEUDORANDOMFUNCTION", "DHGROUP",
           "REFRESHLIFETIMEPROPOSED", "REFRESHLIFETIMEACCEPTED", "REFRESHLIFESIZEPROPOSED",
           "REFRESHLIFESIZEACCEPTED"},
          {},
          {"REFRESHLIFETIMEACCEPTED", "REFRESHLIFESIZEPROPOSED", "REFRESHLIFESIZEACCEPTED"}}},
        {"SECURITYENDPOINT",
         {{"IDENTITY", "LOCATION", "CERTIFICATE", "PRIVATEKEY", "CACERTIFICATE", "CAUTHORITYREF", "CAPABILITIES"},
          {},
          {"CAUTHORITYREF", "CAPABILITIES"}}},
    };
    return s;
}

/// A statement: its keyword, the values on its line, and a block if it has one.
struct node {
    std::string keyword;  ///< upper case
    std::string spelled;  ///< as written
    std::vector<token> values;
    std::vector<node> children;
    bool has_block = false;
    std::string schema;   ///< the schema of its block
    int line = 0;
    int column = 0;
};

class reader {
public:
    reader(std::string_view name) : _name(name) {}

    parse_result run(std::string_view text) {
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

private:
    // -------------------------------------------------------------- messages
    void add(const char* id, severity s, std::string text) { _r.messages.push_back(message{id, s, std::move(text)}); }
    void error(const char* id, std::string text) { add(id, severity::error, std::move(text)); }
    std::string at(int line, int col) const {
        return "AT LINE " + std::to_string(line) + " COLUMN " + std::to_string(col) + " OF " + _name;
    }
    std::string at(const token& t) const { return at(t.line, t.column); }
    std::string at(const node& n) const { return at(n.line, n.column); }
    source_ref ref(const node& n) const { return source_ref{_name, n.line, n.column}; }

    // -------------------------------------------------------------- tree
    /// Read statements up to the matching `}` (or the end at the top).
    void read_block(const std::string& schema_name, std::vector<node>& out, bool nested) {
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

    void skip_block() {
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

    // -------------------------------------------------------------- values
    /// The statement's single value, or an error naming @p what.
    bool one_value(const node& n, const std::string& owner, std::string& out) {
        if (n.values.size() != 1) {
            bad_value(n, owner, n.values.empty() ? "A VALUE IS MISSING" : "ONE VALUE IS EXPECTED");
            return false;
        }
        out = n.values[0].text;
        return true;
    }

    void bad_value(const node& n, const std::string& owner, const std::string& why) {
        std::string v;
        for (const auto& t : n.values) {
            v += (v.empty() ? "" : " ") + t.text;
        }
        error("ZPX0803E", "INCORRECT VALUE '" + v + "' FOR " + n.keyword + " IN " + owner + " " + at(n) + ": " + why);
        _bad_attr = true;
    }

    static bool number(std::string_view s, std::uint64_t& v, std::uint64_t max) {
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        return ec == std::errc() && p == s.data() + s.size() && v <= max;
    }

    /// Strict dotted decimal, as the profile takes it (no leading zeros).
    static bool ipv4(std::string_view s, std::uint32_t& a) {
        auto v = tcpip::profile::ipv4_address::parse(s);
        if (v) {
            a = v->value;
        }
        return v.has_value();
    }

    /// `All`, `a.b.c.d`, `a.b.c.d/len`.
    bool address_value(const node& n, const std::string& owner, address& out) {
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

    bool minutes_value(const node& n, const std::string& owner, std::chrono::minutes& out, std::uint64_t min,
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

    /// `Group14`, `14`, `None` (when @p allow_none).
    bool group_value(const node& n, const std::string& owner, unsigned& out, bool allow_none) {
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

    /// `AES_CBC [KeyLength 128|256]`, `AES_GCM_16 [KeyLength ...]`, `DoNot` / `NULL` (when allowed).
    bool encryption_value(const node& n, const std::string& owner, std::string& alg, unsigned& key_len,
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

    /// HMAC_SHA2_256_128 ... (NULL: none, for AES_GCM_16).
    bool integrity_value(const token& t, unsigned& bits) {
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

    // -------------------------------------------------------------- statements
    /// `Keyword name { ... }`: the object's name, or an error.
    bool object_name(const node& n, std::string& name) {
        if (n.values.size() != 1) {
            error("ZPX0801E", "SYNTAX ERROR " + at(n) + ": " + n.keyword + " NEEDS ONE NAME BEFORE ITS { } BLOCK");
            return false;
        }
        if (!n.has_block) {
            error("ZPX0801E", "SYNTAX ERROR " + at(n) + ": " + n.keyword + " " + n.values[0].text + " HAS NO { } BLOCK");
            return false;
        }
        name = n.values[0].text;
        return true;
    }

    void not_installed(const std::string& what, const std::string& name, const node& n, const std::string& why) {
        error("ZPX0804E", what + " " + name + " " + at(n) + " IS NOT INSTALLED: " + why);
    }

    template <typename Map, typename T>
    void install(Map& m, const std::string& what, T obj, const node& n) {
        if (m.count(obj.name)) {
            error("ZPX0805E", "DUPLICATE " + what + " " + obj.name + " " + at(n) + ": THE FIRST ONE IS KEPT");
            return;
        }
        m.emplace(obj.name, std::move(obj));
    }

    void top_statement(const node& n) {
        const auto& k = n.keyword;
        if (k == "IPFILTERPOLICY" || k == "KEYEXCHANGEPOLICY") {
            if (!n.has_block || !n.values.empty()) {
                error("ZPX0801E", "SYNTAX ERROR " + at(n) + ": " + k + " TAKES NO NAME, ONLY A { } BLOCK");
                return;
            }
            // Rules, inline or by reference, keep the order they are listed in.
            for (const auto& c : n.children) {
                if (c.keyword == "IPFILTERRULE") {
                    _rule_refs.push_back({"", c});
                } else if (c.keyword == "KEYEXCHANGERULE") {
                    _kex_refs.push_back({"", c});
                } else if (c.keyword == "IPFILTERRULEREF") {
                    std::string v;
                    if (one_value(c, k, v)) {
                        _rule_refs.push_back({v, c});
                    }
                } else if (c.keyword == "KEYEXCHANGERULEREF") {
                    std::string v;
                    if (one_value(c, k, v)) {
                        _kex_refs.push_back({v, c});
                    }
                } else if (c.keyword == "POLICYSCOPE") {
                    std::string v;
                    if (one_value(c, k, v) && upper(v) != "BOTH" && upper(v) != "LOCAL" && upper(v) != "DESTINATION") {
                        bad_value(c, k, "BOTH, LOCAL OR DESTINATION IS EXPECTED");
                    }
                }
            }
            return;
        }
        if (k == "IPFILTERRULE") {
            // A rule outside IpFilterPolicy is a definition referenced by IpFilterRuleRef.
            std::string name;
            if (object_name(n, name) && !_loose_rules.emplace(name, n).second) {
                error("ZPX0805E", "DUPLICATE IPFILTERRULE " + name + " " + at(n) + ": THE FIRST ONE IS KEPT");
            }
        } else if (k == "KEYEXCHANGERULE") {
            std::string name;
            if (object_name(n, name) && !_loose_kex.emplace(name, n).second) {
                error("ZPX0805E", "DUPLICATE KEYEXCHANGERULE " + name + " " + at(n) + ": THE FIRST ONE IS KEPT");
            }
        } else if (k == "IPSERVICE") {
            service s;
            std::string name;
            if (object_name(n, name) && service_block(n, "IPSERVICE " + name, s) && !_services.emplace(name, s).second) {
                error("ZPX0805E", "DUPLICATE IPSERVICE " + name + " " + at(n) + ": THE FIRST ONE IS KEPT");
            }
        } else if (k == "IPGENERICFILTERACTION") {
            generic_action_stmt(n);
        } else if (k == "IPDYNVPNACTION") {
            dyn_vpn_stmt(n);
        } else if (k == "IPDATAOFFER") {
            std::string name;
            data_offer o;
            _bad_attr = false;
            if (object_name(n, name)) {
                bool have_encrypt = false;
                data_offer_attrs(n.children, "IPDATAOFFER " + name, o, have_encrypt);
                if (_bad_attr) {
                    not_installed("IPDATAOFFER", name, n, "IT HAS INCORRECT ATTRIBUTES");
                } else {
                    o.where = ref(n);
                    _offers.emplace(name, o);
                }
            }
        } else if (k == "KEYEXCHANGEACTION") {
            kex_action_stmt(n);
        } else if (k == "KEYEXCHANGEOFFER") {
            std::string name;
            ike_offer o;
            _bad_attr = false;
            if (object_name(n, name)) {
                kex_offer_attrs(n.children, "KEYEXCHANGEOFFER " + name, o);
                if (_bad_attr) {
                    not_installed("KEYEXCHANGEOFFER", name, n, "IT HAS INCORRECT ATTRIBUTES");
                } else {
                    o.where = ref(n);
                    _kex_offers.emplace(name, o);
                }
            }
        } else if (k == "LOCALSECURITYENDPOINT" || k == "REMOTESECURITYENDPOINT") {
            endpoint_stmt(n, k == "LOCALSECURITYENDPOINT");
        }
    }

    struct service {
        std::optional<std::uint8_t> protocol;
        std::uint16_t src_lo = 0, src_hi = 65535, dst_lo = 0, dst_hi = 65535;
        ipsec::spd_direction direction = ipsec::spd_direction::both;
    };

    bool port_range(const node& c, const std::string& owner, std::uint16_t& lo, std::uint16_t& hi) {
        std::uint64_t a = 0, b = 0;
        if (c.values.empty() || c.values.size() > 2 || !number(c.values[0].text, a, 65535) ||
            (c.values.size() == 2 && !number(c.values[1].text, b, 65535))) {
            bad_value(c, owner, "ONE OR TWO PORT NUMBERS 0-65535 ARE EXPECTED");
            return false;
        }
        if (c.values.size() == 1) {
            b = a;
        }
        if (b < a) {
            bad_value(c, owner, "THE RANGE ENDS BELOW ITS START");
            return false;
        }
        if (a == 0 && b == 0) {
            b = 65535;  // 0: every port
        }
        lo = static_cast<std::uint16_t>(a);
        hi = static_cast<std::uint16_t>(b);
        return true;
    }

    bool service_block(const node& n, const std::string& owner, service& s) {
        bool ok = true;
        for (const auto& c : n.children) {
            std::string v;
            if (c.keyword == "SOURCEPORTRANGE") {
                ok &= port_range(c, owner, s.src_lo, s.src_hi);
            } else if (c.keyword == "DESTINATIONPORTRANGE") {
                ok &= port_range(c, owner, s.dst_lo, s.dst_hi);
            } else if (c.keyword == "PROTOCOL") {
                if (!one_value(c, owner, v)) {
                    ok = false;
                    continue;
                }
                auto u = upper(v);
                std::uint64_t p = 0;
                if (u == "TCP") {
                    s.protocol = 6;
                } else if (u == "UDP") {
                    s.protocol = 17;
                } else if (u == "ICMP") {
                    s.protocol = 1;
                } else if (u == "ALL") {
                    s.protocol.reset();
                } else if (number(u, p, 255)) {
                    s.protocol = static_cast<std::uint8_t>(p);
                } else {
                    bad_value(c, owner, "TCP, UDP, ICMP, ALL OR A NUMBER 0-255 IS EXPECTED");
                    ok = false;
                }
            } else if (c.keyword == "DIRECTION") {
                if (!one_value(c, owner, v)) {
                    ok = false;
                    continue;
                }
                auto u = upper(v);
                if (u == "BIDIRECTIONAL") {
                    s.direction = ipsec::spd_direction::both;
                } else if (u == "INBOUND") {
                    s.direction = ipsec::spd_direction::inbound;
                } else if (u == "OUTBOUND") {
                    s.direction = ipsec::spd_direction::outbound;
                } else {
                    bad_value(c, owner, "BIDIRECTIONAL, INBOUND OR OUTBOUND IS EXPECTED");
                    ok = false;
                }
            } else if (c.keyword == "ROUTING") {
                if (!one_value(c, owner, v)) {
                    ok = false;
                    continue;
                }
                auto u = upper(v);
                if (u == "ROUTED" || u == "EITHER") {
                    add("ZPX0806I", severity::warning, "ROUTING " + u + " " + at(c) + " IS ACCEPTED BUT NOT EMULATED");
                } else if (u != "LOCAL") {
                    bad_value(c, owner, "LOCAL, ROUTED OR EITHER IS EXPECTED");
                    ok = false;
                }
            }
        }
        if (s.protocol && *s.protocol != 6 && *s.protocol != 17 &&
            (s.src_lo != 0 || s.src_hi != 65535 || s.dst_lo != 0 || s.dst_hi != 65535)) {
            error("ZPX0803E", "PORTS IN " + owner + " " + at(n) + " NEED PROTOCOL TCP OR UDP");
            _bad_attr = true;
            ok = false;
        }
        return ok;
    }

    void filter_rule_stmt(const node& n) {
        std::string name;
        if (!object_name(n, name)) {
            return;
        }
        _bad_attr = false;
        std::string owner = "IPFILTERRULE " + name;
        filter_rule r;
        r.name = name;
        r.where = ref(n);
        bool have_src = false, have_dst = false, have_service = false;
        for (const auto& c : n.children) {
            std::string v;
            if (c.keyword == "IPSOURCEADDR") {
                have_src = address_value(c, owner, r.src);
            } else if (c.keyword == "IPDESTADDR") {
                have_dst = address_value(c, owner, r.dst);
            } else if (c.keyword == "IPSERVICE") {
                service s;
                if (service_block(c, owner, s)) {
                    apply(s, r);
                    have_service = true;
                }
            } else if (c.keyword == "IPSERVICEREF") {
                if (one_value(c, owner, v)) {
                    auto it = _services.find(v);
                    if (it == _services.end()) {
                        not_installed("IPFILTERRULE", name, n, "IPSERVICE " + v + " IS NOT DEFINED");
                        return;
                    }
                    apply(it->second, r);
                    have_service = true;
                }
            } else if (c.keyword == "IPGENERICFILTERACTIONREF") {
                one_value(c, owner, r.generic_action);
            } else if (c.keyword == "IPDYNVPNACTIONREF") {
                one_value(c, owner, r.dyn_vpn_action);
            }
        }
        (void)have_service;
        if (_bad_attr) {
            not_installed("IPFILTERRULE", name, n, "IT HAS INCORRECT ATTRIBUTES");
            return;
        }
        if (!have_src || !have_dst || r.generic_action.empty()) {
            not_installed("IPFILTERRULE", name, n, "IPSOURCEADDR, IPDESTADDR AND IPGENERICFILTERACTIONREF ARE REQUIRED");
            return;
        }
        for (const auto& e : _r.policy.filter_rules) {
            if (e.name == name) {
                error("ZPX0805E", "DUPLICATE IPFILTERRULE " + name + " " + at(n) + ": THE FIRST ONE IS KEPT");
                return;
            }
        }
        _pending_rules.push_back({std::move(r), n});
    }

    static void apply(const service& s, filter_rule& r) {
        r.protocol = s.protocol;
        r.src_port_lo = s.src_lo;
        r.src_port_hi = s.src_hi;
        r.dst_port_lo = s.dst_lo;
        r.dst_port_hi = s.dst_hi;
        r.direction = s.direction;
    }

    void generic_action_stmt(const node& n) {
        std::string name;
        if (!object_name(n, name)) {
            return;
        }
        // The built-in actions keep their meaning: `IpGenericFilterAction deny
        // { IpFilterAction permit }` would make every rule that says deny permit.
        if (auto u = upper(name); u == "PERMIT" || u == "DENY" || u == "IPSEC") {
            not_installed("IPGENERICFILTERACTION", name, n,
                          "PERMIT, DENY AND IPSEC ARE RESERVED ACTION NAMES; CHOOSE ANOTHER NAME");
            return;
        }
        _bad_attr = false;
        generic_filter_action a;
        a.name = name;
        a.where = ref(n);
        bool have = false;
        for (const auto& c : n.children) {
            std::string v;
            if (!one_value(c, "IPGENERICFILTERACTION " + name, v)) {
                continue;
            }
            auto u = upper(v);
            if (c.keyword == "IPFILTERACTION") {
                have = true;
                if (u == "PERMIT") {
                    a.action = filter_action::permit;
                } else if (u == "DENY") {
                    a.action = filter_action::deny;
                } else if (u == "IPSEC") {
                    a.action = filter_action::ipsec;
                } else {
                    bad_value(c, "IPGENERICFILTERACTION " + name, "PERMIT, DENY OR IPSEC IS EXPECTED");
                }
            } else if (c.keyword == "IPFILTERLOGGING") {
                if (u != "YES" && u != "NO") {
                    bad_value(c, "IPGENERICFILTERACTION " + name, "YES OR NO IS EXPECTED");
                }
                a.logging = u == "YES";
            }
        }
        if (_bad_attr || !have) {
            not_installed("IPGENERICFILTERACTION", name, n,
                          have ? "IT HAS INCORRECT ATTRIBUTES" : "IPFILTERACTION IS REQUIRED");
            return;
        }
        install(_r.policy.generic_actions, "IPGENERICFILTERACTION", std::move(a), n);
    }

    /// HowToEncap / HowToEncrypt / HowToAuth of an IpDataOffer (or the flat form).
    void data_offer_attrs(const std::vector<node>& attrs, const std::string& owner, data_offer& o, bool& any) {
        std::string enc = "AES_GCM_16";
        unsigned key_len = 128;
        unsigned auth_bits = 0;
        bool have_auth = false;
        for (const auto& c : attrs) {
            std::string v;
            if (c.keyword == "HOWTOENCAP") {
                any = true;
                if (!one_value(c, owner, v)) {
                    continue;
                }
                auto u = upper(v);
                if (u == "TRANSPORT") {
                    o.encap = encap_mode::transport;
                } else if (u == "TUNNEL") {
                    o.encap = encap_mode::tunnel;
                } else {
                    bad_value(c, owner, "TRANSPORT OR TUNNEL IS EXPECTED");
                }
            } else if (c.keyword == "HOWTOENCRYPT") {
                any = true;
                encryption_value(c, owner, enc, key_len, true);
            } else if (c.keyword == "HOWTOAUTH") {
                any = true;
                have_auth = true;
                if (c.values.empty() || c.values.size() > 2) {
                    bad_value(c, owner, "ESP OR AH AND AN ALGORITHM ARE EXPECTED");
                    continue;
                }
                auto p = upper(c.values[0].text);
                if (p != "ESP" && p != "AH") {
                    bad_value(c, owner, "ESP OR AH IS EXPECTED FIRST");
                    continue;
                }
                o.protocol = p == "AH" ? auth_protocol::ah : auth_protocol::esp;
                if (c.values.size() == 2 && !integrity_value(c.values[1], auth_bits)) {
                    bad_value(c, owner,
                              "HMAC_SHA2_256_128, HMAC_SHA2_384_192, HMAC_SHA2_512_256 OR NULL IS EXPECTED (HMAC_SHA1 "
                              "AND HMAC_MD5 ARE NOT SUPPORTED)");
                }
            } else if (c.keyword == "REFRESHLIFETIMEPROPOSED") {
                // accepted: the IpDynVpnAction's Lifetime is what zplex proposes
            }
        }
        if (o.protocol == auth_protocol::ah) {
            if (auth_bits == 0) {
                auth_bits = 256;
            }
            o.ah_hmac_bits = auth_bits;
            return;
        }
        if (!have_auth && enc != "AES_GCM_16") {
            auth_bits = 256;
        }
        using ipsec::algorithm;
        if (enc == "AES_GCM_16") {
            if (auth_bits != 0) {
                error("ZPX0803E", "HOWTOAUTH ESP WITH AN HMAC IN " + owner +
                                      " DOES NOT GO WITH AES_GCM_16, WHICH AUTHENTICATES ITSELF: USE ESP NULL");
                _bad_attr = true;
                return;
            }
            o.alg = key_len == 256 ? algorithm::aes_gcm_256 : algorithm::aes_gcm_128;
            return;
        }
        if (auth_bits == 0) {
            error("ZPX0803E", "ESP IN " + owner + " NEEDS AN INTEGRITY ALGORITHM WITH " + enc);
            _bad_attr = true;
            return;
        }
        bool k256 = key_len == 256;
        if (enc == "DONOT") {
            o.alg = auth_bits == 256 ? algorithm::null_hmac_sha256
                    : auth_bits == 384 ? algorithm::null_hmac_sha384
                                       : algorithm::null_hmac_sha512;
        } else if (auth_bits == 256) {
            o.alg = k256 ? algorithm::aes_cbc_256_hmac_sha256 : algorithm::aes_cbc_128_hmac_sha256;
        } else if (auth_bits == 384) {
            o.alg = k256 ? algorithm::aes_cbc_256_hmac_sha384 : algorithm::aes_cbc_128_hmac_sha384;
        } else {
            o.alg = k256 ? algorithm::aes_cbc_256_hmac_sha512 : algorithm::aes_cbc_128_hmac_sha512;
        }
    }

    void dyn_vpn_stmt(const node& n) {
        std::string name;
        if (!object_name(n, name)) {
            return;
        }
        _bad_attr = false;
        std::string owner = "IPDYNVPNACTION " + name;
        dyn_vpn_action a;
        a.name = name;
        a.where = ref(n);
        std::vector<node> flat;
        for (const auto& c : n.children) {
            std::string v;
            std::uint64_t num = 0;
            if (c.keyword == "IPDATAOFFER") {
                data_offer o;
                bool any = false;
                data_offer_attrs(c.children, owner, o, any);
                o.where = ref(c);
                a.offers.push_back(o);
            } else if (c.keyword == "IPDATAOFFERREF") {
                if (one_value(c, owner, v)) {
                    auto it = _offers.find(v);
                    if (it == _offers.end()) {
                        not_installed("IPDYNVPNACTION", name, n, "IPDATAOFFER " + v + " IS NOT DEFINED");
                        return;
                    }
                    a.offers.push_back(it->second);
                }
            } else if (c.keyword == "HOWTOENCAP" || c.keyword == "HOWTOENCRYPT" || c.keyword == "HOWTOAUTH") {
                flat.push_back(c);
            } else if (c.keyword == "INITIATEWHEN") {
                if (one_value(c, owner, v)) {
                    auto u = upper(v);
                    if (u != "ONDEMAND" && u != "ATSTART" && u != "ACTIVATE") {
                        bad_value(c, owner, "ONDEMAND OR ATSTART IS EXPECTED");
                    }
                    a.initiate_on_demand = u == "ONDEMAND";
                }
            } else if (c.keyword == "PFS" || c.keyword == "USEPFS") {
                group_value(c, owner, a.pfs_group, true);
            } else if (c.keyword == "LIFESIZE") {
                if (one_value(c, owner, v) && !number(v, num, 1ull << 40)) {
                    bad_value(c, owner, "KILOBYTES (0: NO LIFESIZE) ARE EXPECTED");
                }
                a.lifesize_kb = num;
            } else if (c.keyword == "LIFETIME") {
                minutes_value(c, owner, a.lifetime, 1, 2880);
            }
        }
        if (!flat.empty()) {
            data_offer o;
            bool any = false;
            data_offer_attrs(flat, owner, o, any);
            o.where = ref(n);
            a.offers.insert(a.offers.begin(), o);
        }
        if (a.offers.empty()) {
            not_installed("IPDYNVPNACTION", name, n, "IT OFFERS NOTHING: HOWTOENCRYPT/HOWTOAUTH OR IPDATAOFFER IS REQUIRED");
            return;
        }
        if (_bad_attr) {
            not_installed("IPDYNVPNACTION", name, n, "IT HAS INCORRECT ATTRIBUTES");
            return;
        }
        install(_r.policy.dyn_vpn_actions, "IPDYNVPNACTION", std::move(a), n);
    }

    void kex_offer_attrs(const std::vector<node>& attrs, const std::string& owner, ike_offer& o) {
        std::string enc = "AES_CBC";
        unsigned key_len = 128;
        bool have_auth = false;
        unsigned auth_bits = 256;
        for (const auto& c : attrs) {
            std::string v;
            if (c.keyword == "HOWTOENCRYPT") {
                encryption_value(c, owner, enc, key_len, false);
            } else if (c.keyword == "HOWTOAUTHMSGS") {
                have_auth = true;
                if (c.values.size() != 1 || !integrity_value(c.values[0], auth_bits)) {
                    bad_value(c, owner, "HMAC_SHA2_256_128, HMAC_SHA2_384_192, HMAC_SHA2_512_256 OR NULL IS EXPECTED");
                }
            } else if (c.keyword == "PSEUDORANDOMFUNCTION") {
                if (!one_value(c, owner, v)) {
                    continue;
                }
                auto u = upper(v);
                if (u == "HMAC_SHA2_256") {
                    o.prf = ike_prf::hmac_sha2_256;
                } else if (u == "HMAC_SHA2_384") {
                    o.prf = ike_prf::hmac_sha2_384;
                } else if (u == "HMAC_SHA2_512") {
                    o.prf = ike_prf::hmac_sha2_512;
                } else {
                    bad_value(c, owner, "HMAC_SHA2_256, HMAC_SHA2_384 OR HMAC_SHA2_512 IS EXPECTED");
                }
            } else if (c.keyword == "DHGROUP") {
                group_value(c, owner, o.dh_group, false);
            } else if (c.keyword == "REFRESHLIFETIMEPROPOSED") {
                minutes_value(c, owner, o.lifetime, 1, 65535);
            } else if (c.keyword == "HOWTOAUTHPEERS") {
                // allowed here too (IKEv1 style); the action's value wins
            }
        }
        o.encryption = enc == "AES_GCM_16" ? ike_encryption::aes_gcm_16 : ike_encryption::aes_cbc;
        o.key_length = key_len;
        if (o.encryption == ike_encryption::aes_gcm_16) {
            if (have_auth && auth_bits != 0) {
                error("ZPX0803E", "HOWTOAUTHMSGS IN " + owner + " DOES NOT GO WITH AES_GCM_16: USE NULL OR LEAVE IT OUT");
                _bad_attr = true;
            }
            o.integrity = ike_integrity::none;
        } else if (auth_bits == 0) {
            error("ZPX0803E", "AES_CBC IN " + owner + " NEEDS HOWTOAUTHMSGS WITH AN HMAC");
            _bad_attr = true;
        } else {
            o.integrity = auth_bits == 256   ? ike_integrity::hmac_sha2_256_128
                          : auth_bits == 384 ? ike_integrity::hmac_sha2_384_192
                                             : ike_integrity::hmac_sha2_512_256;
        }
    }

    void kex_action_stmt(const node& n) {
        std::string name;
        if (!object_name(n, name)) {
            return;
        }
        _bad_attr = false;
        std::string owner = "KEYEXCHANGEACTION " + name;
        key_exchange_action a;
        a.name = name;
        a.where = ref(n);
        for (const auto& c : n.children) {
            std::string v;
            if (c.keyword == "KEYEXCHANGEOFFER") {
                ike_offer o;
                kex_offer_attrs(c.children, owner, o);
                o.where = ref(c);
                a.offers.push_back(o);
            } else if (c.keyword == "KEYEXCHANGEOFFERREF") {
                if (one_value(c, owner, v)) {
                    auto it = _kex_offers.find(v);
                    if (it == _kex_offers.end()) {
                        not_installed("KEYEXCHANGEACTION", name, n, "KEYEXCHANGEOFFER " + v + " IS NOT DEFINED");
                        return;
                    }
                    a.offers.push_back(it->second);
                }
            } else if (c.keyword == "HOWTOAUTHPEERS") {
                if (!one_value(c, owner, v)) {
                    continue;
                }
                auto u = upper(v);
                if (u == "PRESHAREDKEY") {
                    a.how_to_auth_peers = auth_method::preshared_key;
                } else if (u == "RSASIGNATURE") {
                    a.how_to_auth_peers = auth_method::rsa_signature;
                } else if (u == "ECDSASIGNATURE" || u == "ECDSA_256" || u == "ECDSA_384") {
                    a.how_to_auth_peers = auth_method::ecdsa_signature;
                } else {
                    bad_value(c, owner, "PRESHAREDKEY, RSASIGNATURE OR ECDSASIGNATURE IS EXPECTED");
                }
            } else if (c.keyword == "IKEVERSION") {
                std::uint64_t ver = 0;
                if (one_value(c, owner, v) && (!number(v, ver, 9) || ver != 2)) {
                    bad_value(c, owner, "2 IS EXPECTED: ZPLEX SPEAKS IKEV2 ONLY");
                }
            }
        }
        if (a.offers.empty()) {
            a.offers.push_back(ike_offer{});  // the default offer: AES_CBC 128, HMAC_SHA2_256_128, group 14
            a.offers.back().where = ref(n);
        }
        if (_bad_attr) {
            not_installed("KEYEXCHANGEACTION", name, n, "IT HAS INCORRECT ATTRIBUTES");
            return;
        }
        install(_r.policy.key_exchange_actions, "KEYEXCHANGEACTION", std::move(a), n);
    }

    void endpoint_stmt(const node& n, bool local) {
        std::string name;
        if (!object_name(n, name)) {
            return;
        }
        _bad_attr = false;
        std::string what = local ? "LOCALSECURITYENDPOINT" : "REMOTESECURITYENDPOINT";
        std::string owner = what + " " + name;
        security_endpoint e;
        e.name = name;
        e.local = local;
        e.where = ref(n);
        for (const auto& c : n.children) {
            std::string v;
            if (c.keyword == "IDENTITY") {
                if (c.values.size() != 2) {
                    bad_value(c, owner, "A TYPE (IPADDR, FQDN, USERFQDN, KEYID) AND A VALUE ARE EXPECTED");
                    continue;
                }
                auto t = upper(c.values[0].text);
                identity id;
                id.value = c.values[1].text;
                std::uint32_t a = 0;
                if (t == "IPADDR" || t == "IPV4ADDR") {
                    id.type = id_type::ipv4_addr;
                    if (!ipv4(id.value, a)) {
                        bad_value(c, owner, "IPADDR NEEDS AN IPV4 ADDRESS");
                        continue;
                    }
                } else if (t == "FQDN") {
                    id.type = id_type::fqdn;
                } else if (t == "USERFQDN") {
                    id.type = id_type::user_fqdn;
                } else if (t == "KEYID") {
                    id.type = id_type::key_id;
                } else {
                    bad_value(c, owner, "IPADDR, FQDN, USERFQDN OR KEYID IS EXPECTED");
                    continue;
                }
                e.id = id;
            } else if (c.keyword == "LOCATION") {
                address a;
                if (address_value(c, owner, a)) {
                    if (local && a.prefix != 32) {
                        bad_value(c, owner, "A LOCAL ENDPOINT IS ONE ADDRESS");
                        continue;
                    }
                    e.location = a;
                }
            } else if (c.keyword == "CERTIFICATE" || c.keyword == "PRIVATEKEY" || c.keyword == "CACERTIFICATE") {
                if (!one_value(c, owner, v)) {
                    continue;
                }
                if ((c.keyword == "CACERTIFICATE") == local) {
                    bad_value(c, owner, local ? "CACERTIFICATE BELONGS TO A REMOTE ENDPOINT"
                                              : "CERTIFICATE AND PRIVATEKEY BELONG TO A LOCAL ENDPOINT");
                    continue;
                }
                (c.keyword == "CERTIFICATE" ? e.certificate : c.keyword == "PRIVATEKEY" ? e.private_key
                                                                                        : e.ca_certificate) = v;
            }
        }
        if (!e.location) {
            not_installed(what, name, n, "LOCATION IS REQUIRED");
            return;
        }
        if (!e.id) {  // the default identity: the endpoint's address
            if (e.location->prefix == 32) {
                e.id = identity{id_type::ipv4_addr, tcpip::profile::ipv4_address{e.location->addr}.str()};
            }
        }
        if (_bad_attr) {
            not_installed(what, name, n, "IT HAS INCORRECT ATTRIBUTES");
            return;
        }
        install(local ? _r.policy.local_endpoints : _r.policy.remote_endpoints, what, std::move(e), n);
    }

    void kex_rule_stmt(const node& n) {
        std::string name;
        if (!object_name(n, name)) {
            return;
        }
        _bad_attr = false;
        std::string owner = "KEYEXCHANGERULE " + name;
        key_exchange_rule r;
        r.name = name;
        r.where = ref(n);
        for (const auto& c : n.children) {
            if (c.keyword == "LOCALSECURITYENDPOINTREF") {
                one_value(c, owner, r.local_endpoint);
            } else if (c.keyword == "REMOTESECURITYENDPOINTREF") {
                one_value(c, owner, r.remote_endpoint);
            } else if (c.keyword == "KEYEXCHANGEACTIONREF") {
                one_value(c, owner, r.action);
            } else if (c.keyword == "SHAREDKEY") {
                // The key is never echoed in a message.
                if (c.values.size() != 2) {
                    error("ZPX0803E", "SHAREDKEY IN " + owner + " " + at(c) + " NEEDS ASCII OR HEX AND THE KEY");
                    _bad_attr = true;
                    continue;
                }
                auto form = upper(c.values[0].text);
                const auto& k = c.values[1].text;
                OPENSSL_cleanse(r.shared_key.data(), r.shared_key.size());
                r.shared_key.clear();
                if (form == "ASCII") {
                    r.shared_key.assign(k.begin(), k.end());
                } else if (form == "HEX") {
                    if (!sysplex::unhex(k, r.shared_key)) {
                        error("ZPX0803E", "SHAREDKEY HEX IN " + owner + " " + at(c) + " IS NOT AN EVEN NUMBER OF HEX DIGITS");
                        _bad_attr = true;
                    }
                } else {
                    error("ZPX0803E", "SHAREDKEY IN " + owner + " " + at(c) + " NEEDS ASCII OR HEX FIRST");
                    _bad_attr = true;
                }
            }
        }
        if (_bad_attr || r.local_endpoint.empty() || r.remote_endpoint.empty() || r.action.empty()) {
            not_installed("KEYEXCHANGERULE", name, n,
                          _bad_attr ? "IT HAS INCORRECT ATTRIBUTES"
                                    : "LOCALSECURITYENDPOINTREF, REMOTESECURITYENDPOINTREF AND KEYEXCHANGEACTIONREF "
                                      "ARE REQUIRED");
            OPENSSL_cleanse(r.shared_key.data(), r.shared_key.size());
            return;
        }
        _pending_kex.push_back({std::move(r), n});
    }

    // -------------------------------------------------------------- references
    void resolve() {
        for (auto& [name, n] : _rule_refs) {
            if (name.empty()) {
                filter_rule_stmt(n);
                continue;
            }
            auto it = _loose_rules.find(name);
            if (it == _loose_rules.end()) {
                error("ZPX0804E", "IPFILTERRULEREF " + name + " " + at(n) + " NAMES NO IPFILTERRULE: NOTHING INSTALLED FOR IT");
                continue;
            }
            filter_rule_stmt(it->second);
        }
        for (auto& [name, n] : _kex_refs) {
            if (name.empty()) {
                kex_rule_stmt(n);
                continue;
            }
            auto it = _loose_kex.find(name);
            if (it == _loose_kex.end()) {
                error("ZPX0804E",
                      "KEYEXCHANGERULEREF " + name + " " + at(n) + " NAMES NO KEYEXCHANGERULE: NOTHING INSTALLED FOR IT");
                continue;
            }
            kex_rule_stmt(it->second);
        }
        // Filter rules: actions may be defined anywhere in the file.
        static const std::map<std::string, filter_action> builtin = {
            {"PERMIT", filter_action::permit}, {"DENY", filter_action::deny}, {"IPSEC", filter_action::ipsec}};
        for (auto& [r, n] : _pending_rules) {
            filter_action act;
            auto g = _r.policy.generic_actions.find(r.generic_action);
            if (g != _r.policy.generic_actions.end()) {
                act = g->second.action;
            } else if (builtin.count(upper(r.generic_action))) {
                act = builtin.at(upper(r.generic_action));
            } else {
                not_installed("IPFILTERRULE", r.name, n, "IPGENERICFILTERACTION " + r.generic_action + " IS NOT DEFINED");
                continue;
            }
            if (!r.dyn_vpn_action.empty()) {
                if (!_r.policy.dyn_vpn_actions.count(r.dyn_vpn_action)) {
                    not_installed("IPFILTERRULE", r.name, n, "IPDYNVPNACTION " + r.dyn_vpn_action + " IS NOT DEFINED");
                    continue;
                }
                if (act == filter_action::deny) {
                    not_installed("IPFILTERRULE", r.name, n, "A DENY RULE CANNOT NAME AN IPDYNVPNACTION");
                    continue;
                }
            } else if (act == filter_action::ipsec) {
                not_installed("IPFILTERRULE", r.name, n, "AN IPSEC RULE NEEDS IPDYNVPNACTIONREF");
                continue;
            }
            _r.policy.filter_rules.push_back(std::move(r));
        }
        for (auto& pending : _pending_kex) {
            auto& r = pending.first;
            const auto& n = pending.second;
            std::string why;
            if (!_r.policy.local_endpoints.count(r.local_endpoint)) {
                why = "LOCALSECURITYENDPOINT " + r.local_endpoint + " IS NOT DEFINED";
            } else if (!_r.policy.remote_endpoints.count(r.remote_endpoint)) {
                why = "REMOTESECURITYENDPOINT " + r.remote_endpoint + " IS NOT DEFINED";
            } else if (!_r.policy.key_exchange_actions.count(r.action)) {
                why = "KEYEXCHANGEACTION " + r.action + " IS NOT DEFINED";
            } else if (_r.policy.key_exchange_actions.at(r.action).how_to_auth_peers == auth_method::preshared_key &&
                       r.shared_key.empty()) {
                why = "ITS ACTION AUTHENTICATES BY PRESHAREDKEY BUT THERE IS NO SHAREDKEY";
            } else if (std::any_of(_r.policy.key_exchange_rules.begin(), _r.policy.key_exchange_rules.end(),
                                   [&](const key_exchange_rule& e) { return e.name == r.name; })) {
                error("ZPX0805E", "DUPLICATE KEYEXCHANGERULE " + r.name + " " + at(n) + ": THE FIRST ONE IS KEPT");
                OPENSSL_cleanse(r.shared_key.data(), r.shared_key.size());
                continue;
            }
            if (!why.empty()) {
                not_installed("KEYEXCHANGERULE", r.name, n, why);
                OPENSSL_cleanse(r.shared_key.data(), r.shared_key.size());
                continue;
            }
            _r.policy.key_exchange_rules.push_back(std::move(r));
        }
    }

    std::string _name;
    std::vector<token> _toks;
    std::size_t _pos = 0;
    bool _bad_attr = false;
    parse_result _r;
    std::map<std::string, service> _services;
    std::map<std::string, data_offer> _offers;
    std::map<std::string, ike_offer> _kex_offers;
    std::map<std::string, node> _loose_rules;
    std::map<std::string, node> _loose_kex;
    std::vector<std::pair<std::string, node>> _rule_refs;
    std::vector<std::pair<std::string, node>> _kex_refs;
    std::vector<std::pair<filter_rule, node>> _pending_rules;
    std::vector<std::pair<key_exchange_rule, node>> _pending_kex;
};

bool covers(const address& a, std::uint32_t ip) { return ipsec::in_prefix(ip, a.addr, a.prefix); }

}  // namespace

ipsec_policy::~ipsec_policy() {
    for (auto& r : key_exchange_rules) {
        OPENSSL_cleanse(r.shared_key.data(), r.shared_key.size());
    }
}

std::vector<ipsec::spd_rule> ipsec_policy::spd_rules() const {
    std::vector<ipsec::spd_rule> out;
    for (const auto& r : filter_rules) {
        ipsec::spd_rule s;
        s.src = r.src.addr;
        s.src_len = r.src.prefix;
        s.dst = r.dst.addr;
        s.dst_len = r.dst.prefix;
        s.protocol = r.protocol;
        s.src_port_lo = r.src_port_lo;
        s.src_port_hi = r.src_port_hi;
        s.dst_port_lo = r.dst_port_lo;
        s.dst_port_hi = r.dst_port_hi;
        s.direction = r.direction;
        s.name = r.name;
        if (!r.dyn_vpn_action.empty()) {
            s.action = ipsec::spd_action::ipsec;
            s.sa_name = r.dyn_vpn_action;
        } else {
            auto g = generic_actions.find(r.generic_action);
            auto a = g != generic_actions.end() ? g->second.action
                     : upper(r.generic_action) == "DENY" ? filter_action::deny
                                                         : filter_action::permit;
            s.action = a == filter_action::deny ? ipsec::spd_action::deny : ipsec::spd_action::permit;
        }
        out.push_back(std::move(s));
    }
    return out;
}

const key_exchange_rule* ipsec_policy::rule_for_peer(std::uint32_t peer) const {
    for (const auto& r : key_exchange_rules) {
        auto it = remote_endpoints.find(r.remote_endpoint);
        if (it != remote_endpoints.end() && it->second.location && covers(*it->second.location, peer)) {
            return &r;
        }
    }
    return nullptr;
}

int parse_result::return_code() const {
    int rc = 0;
    for (const auto& m : messages) {
        rc = std::max(rc, m.level == severity::error ? 8 : m.level == severity::warning ? 4 : 0);
    }
    return rc;
}

parse_result parse(std::string_view text, std::string_view name) {
    try {
        return reader(name).run(text);
    } catch (const std::exception& e) {
        parse_result r;
        r.messages.push_back(message{"ZPX0800E", severity::error,
                                     "POLICY " + std::string(name) + " COULD NOT BE PROCESSED: " + e.what()});
        return r;
    }
}

const char* name_of(ike_encryption e) noexcept { return e == ike_encryption::aes_gcm_16 ? "AES_GCM_16" : "AES_CBC"; }

const char* name_of(ike_integrity i) noexcept {
    switch (i) {
    case ike_integrity::none: return "None";
    case ike_integrity::hmac_sha2_256_128: return "HMAC_SHA2_256_128";
    case ike_integrity::hmac_sha2_384_192: return "HMAC_SHA2_384_192";
    case ike_integrity::hmac_sha2_512_256: return "HMAC_SHA2_512_256";
    }
    return "?";
}

const char* name_of(ike_prf p) noexcept {
    switch (p) {
    case ike_prf::hmac_sha2_256: return "HMAC_SHA2_256";
    case ike_prf::hmac_sha2_384: return "HMAC_SHA2_384";
    case ike_prf::hmac_sha2_512: return "HMAC_SHA2_512";
    }
    return "?";
}

const char* name_of(auth_method m) noexcept {
    switch (m) {
    case auth_method::preshared_key: return "PresharedKey";
    case auth_method::rsa_signature: return "RsaSignature";
    case auth_method::ecdsa_signature: return "EcdsaSignature";
    }
    return "?";
}

const char* name_of(id_type t) noexcept {
    switch (t) {
    case id_type::ipv4_addr: return "ID_IPV4_ADDR";
    case id_type::fqdn: return "ID_FQDN";
    case id_type::user_fqdn: return "ID_RFC822_ADDR";
    case id_type::key_id: return "ID_KEY_ID";
    }
    return "?";
}

}  // namespace zplex::policy
