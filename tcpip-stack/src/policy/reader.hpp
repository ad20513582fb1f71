// SPDX-License-Identifier: Apache-2.0
// The policy reader's parts: tokens, the block schemas, the statement tree and the reader
// whose work is split by job over syntax.cpp (tokens, schemas), reader.cpp (the tree and
// the value parsers), statements.cpp (one reader per statement) and policy.cpp
// (references between statements, the result).
#pragma once

#include <zplex/policy/policy.hpp>
#include <zplex/sysplex/text.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zplex::policy::detail {

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
std::vector<token> tokenize(std::string_view text, std::vector<std::pair<int, int>>& bad_quotes);

// ------------------------------------------------------------------ schema

/// What may appear inside one kind of block: attribute keywords, and which of them
/// open a nested block of which kind.
struct block_schema {
    std::set<std::string> attributes;              ///< upper case
    std::map<std::string, std::string> nested;      ///< keyword -> schema name
    std::set<std::string> not_emulated;             ///< accepted, warned, ignored
};

const std::map<std::string, block_schema>& schemas();

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

    parse_result run(std::string_view text);

private:
    // -------------------------------------------------------------- messages
    void add(const char* id, severity s, std::string text) { _r.messages.push_back(message{id, s, std::move(text)}); }
    void error(const char* id, std::string text) { add(id, severity::error, std::move(text)); }
    std::string at(int line, int col) const;
    std::string at(const token& t) const { return at(t.line, t.column); }
    std::string at(const node& n) const { return at(n.line, n.column); }
    source_ref ref(const node& n) const { return source_ref{_name, n.line, n.column}; }

    // -------------------------------------------------------------- tree
    /// Read statements up to the matching `}` (or the end at the top).
    void read_block(const std::string& schema_name, std::vector<node>& out, bool nested);

    void skip_block();

    // -------------------------------------------------------------- values
    /// The statement's single value, or an error naming @p what.
    bool one_value(const node& n, const std::string& owner, std::string& out);

    void bad_value(const node& n, const std::string& owner, const std::string& why);

    static bool number(std::string_view s, std::uint64_t& v, std::uint64_t max);

    /// Strict dotted decimal, as the profile takes it (no leading zeros).
    static bool ipv4(std::string_view s, std::uint32_t& a);

    /// `All`, `a.b.c.d`, `a.b.c.d/len`.
    bool address_value(const node& n, const std::string& owner, address& out);

    bool minutes_value(const node& n, const std::string& owner, std::chrono::minutes& out, std::uint64_t min,
                       std::uint64_t max);

    /// `Group14`, `14`, `None` (when @p allow_none).
    bool group_value(const node& n, const std::string& owner, unsigned& out, bool allow_none);

    /// `AES_CBC [KeyLength 128|256]`, `AES_GCM_16 [KeyLength ...]`, `DoNot` / `NULL` (when allowed).
    bool encryption_value(const node& n, const std::string& owner, std::string& alg, unsigned& key_len,
                          bool allow_none);

    /// HMAC_SHA2_256_128 ... (NULL: none, for AES_GCM_16).
    bool integrity_value(const token& t, unsigned& bits);

    // -------------------------------------------------------------- statements
    /// `Keyword name { ... }`: the object's name, or an error.
    bool object_name(const node& n, std::string& name);

    void not_installed(const std::string& what, const std::string& name, const node& n, const std::string& why);

    template <typename Map, typename T>
    void install(Map& m, const std::string& what, T obj, const node& n) {
        if (m.count(obj.name)) {
            error("ZPX0805E", "DUPLICATE " + what + " " + obj.name + " " + at(n) + ": THE FIRST ONE IS KEPT");
            return;
        }
        m.emplace(obj.name, std::move(obj));
    }

    void top_statement(const node& n);

    struct service {
        std::optional<std::uint8_t> protocol;
        std::uint16_t src_lo = 0, src_hi = 65535, dst_lo = 0, dst_hi = 65535;
        ipsec::spd_direction direction = ipsec::spd_direction::both;
    };

    bool port_range(const node& c, const std::string& owner, std::uint16_t& lo, std::uint16_t& hi);

    bool service_block(const node& n, const std::string& owner, service& s);

    void filter_rule_stmt(const node& n);

    static void apply(const service& s, filter_rule& r);

    void generic_action_stmt(const node& n);

    /// HowToEncap / HowToEncrypt / HowToAuth of an IpDataOffer (or the flat form).
    void data_offer_attrs(const std::vector<node>& attrs, const std::string& owner, data_offer& o, bool& any);

    void dyn_vpn_stmt(const node& n);

    void kex_offer_attrs(const std::vector<node>& attrs, const std::string& owner, ike_offer& o);

    void kex_action_stmt(const node& n);

    void endpoint_stmt(const node& n, bool local);

    void kex_rule_stmt(const node& n);

    // -------------------------------------------------------------- references
    void resolve();

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

}  // namespace zplex::policy::detail
