// SPDX-License-Identifier: Apache-2.0
// IF/THEN relational expressions: RC, ABEND, ¬ABEND, ABENDCC, RUN, step.RC,
// step.procstep.RC, numbers; GT GE LT LE EQ NE NG NL and > >= < <= = ¬=; NOT AND OR
// (¬ & |) and parentheses, with NOT binding tighter than AND, AND tighter than OR.
#include <zplex/jes/jcl.hpp>
#include <zplex/sysplex/text.hpp>

#include <cctype>

namespace zplex::jes {

struct expr_node {
    enum class kind { or_, and_, not_, rel } type = kind::rel;
    std::vector<std::shared_ptr<const expr_node>> kids;
    // kind::rel
    std::string keyword;  ///< RC ABEND ABENDCC RUN
    std::string step, procstep;
    std::string op;       ///< GT GE LT LE EQ NE
    int number = 0;
    bool truth = true;    ///< ABEND=TRUE / RUN=TRUE
    std::string code;     ///< ABENDCC=S806
};

namespace {

struct token {
    std::string text;
    bool word = false;
};

/// The tokens of an expression; false with @p bad on a character that is none.
bool tokenize(std::string_view s, std::vector<token>& out, std::string* bad) {
    std::size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == ' ') {
            ++i;
            continue;
        }
        if (std::isalnum(c) || c == '@' || c == '#' || c == '$' || c == '.') {
            std::size_t j = i;
            while (j < s.size()) {
                unsigned char d = static_cast<unsigned char>(s[j]);
                if (!(std::isalnum(d) || d == '@' || d == '#' || d == '$' || d == '.')) {
                    break;
                }
                ++j;
            }
            out.push_back({sysplex::upper(s.substr(i, j - i)), true});
            i = j;
            continue;
        }
        // ¬ is X'C2AC' in UTF-8; ^ and ! stand for it too.
        bool is_not = c == '^' || c == '!' || (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xAC);
        std::size_t len = (c == 0xC2) ? 2 : 1;
        if (is_not) {
            if (i + len < s.size() && s[i + len] == '=') {
                out.push_back({"NE", false});
                i += len + 1;
            } else {
                out.push_back({"NOT", false});
                i += len;
            }
            continue;
        }
        if (c == '>' || c == '<') {
            bool eq = i + 1 < s.size() && s[i + 1] == '=';
            out.push_back({c == '>' ? (eq ? "GE" : "GT") : (eq ? "LE" : "LT"), false});
            i += eq ? 2 : 1;
            continue;
        }
        if (c == '=') {
            out.push_back({"EQ", false});
            ++i;
            continue;
        }
        if (c == '&') {
            out.push_back({"AND", false});
            ++i;
            continue;
        }
        if (c == '|') {
            out.push_back({"OR", false});
            ++i;
            continue;
        }
        if (c == '(' || c == ')') {
            out.push_back({std::string(1, static_cast<char>(c)), false});
            ++i;
            continue;
        }
        if (bad) {
            *bad = std::string(1, static_cast<char>(c));
        }
        return false;
    }
    return true;
}

bool is_relop(const std::string& t) {
    return t == "GT" || t == "GE" || t == "LT" || t == "LE" || t == "EQ" || t == "NE" || t == "NG" || t == "NL";
}

std::string norm_op(const std::string& t) {
    if (t == "NG") {
        return "LE";
    }
    if (t == "NL") {
        return "GE";
    }
    return t;
}

bool all_digits(const std::string& s) {
    if (s.empty() || s.size() > 8) {
        return false;
    }
    for (char c : s) {
        if (!std::isdigit(static_cast<unsigned char>(c))) {
            return false;
        }
    }
    return true;
}

struct parser {
    explicit parser(const std::vector<token>& toks) : t(toks) {}
    const std::vector<token>& t;
    std::size_t i = 0;
    std::string bad;
    bool abend = false;
    int depth = 0;

    bool at(const char* s) const { return i < t.size() && t[i].text == s; }
    std::string peek() const { return i < t.size() ? t[i].text : std::string("THEN"); }
    std::shared_ptr<const expr_node> fail() {
        if (bad.empty()) {
            bad = peek();
        }
        return nullptr;
    }

    std::shared_ptr<const expr_node> parse_or() {
        auto left = parse_and();
        while (left && at("OR")) {
            ++i;
            auto right = parse_and();
            if (!right) {
                return nullptr;
            }
            auto n = std::make_shared<expr_node>();
            n->type = expr_node::kind::or_;
            n->kids = {left, right};
            left = n;
        }
        return left;
    }
    std::shared_ptr<const expr_node> parse_and() {
        auto left = parse_not();
        while (left && at("AND")) {
            ++i;
            auto right = parse_not();
            if (!right) {
                return nullptr;
            }
            auto n = std::make_shared<expr_node>();
            n->type = expr_node::kind::and_;
            n->kids = {left, right};
            left = n;
        }
        return left;
    }
    std::shared_ptr<const expr_node> parse_not() {
        if (at("NOT")) {
            ++i;
            // ¬ABEND is a keyword of its own: it runs steps after an abend too.
            if (++depth > 64) {
                return fail();
            }
            auto k = parse_not();
            --depth;
            if (!k) {
                return nullptr;
            }
            auto n = std::make_shared<expr_node>();
            n->type = expr_node::kind::not_;
            n->kids = {k};
            return n;
        }
        return parse_primary();
    }
    std::shared_ptr<const expr_node> parse_primary() {
        if (at("(")) {
            ++i;
            if (++depth > 64) {
                return fail();
            }
            auto e = parse_or();
            --depth;
            if (!e) {
                return nullptr;
            }
            if (!at(")")) {
                return fail();
            }
            ++i;
            return e;
        }
        if (i >= t.size() || !t[i].word) {
            return fail();
        }
        auto n = std::make_shared<expr_node>();
        std::string w = t[i].text;
        // step.procstep.KEYWORD or KEYWORD
        std::vector<std::string> parts;
        std::size_t p = 0;
        while (true) {
            auto d = w.find('.', p);
            parts.push_back(w.substr(p, d == std::string::npos ? std::string::npos : d - p));
            if (d == std::string::npos) {
                break;
            }
            p = d + 1;
        }
        if (parts.size() > 3) {
            return fail();
        }
        for (const auto& part : parts) {
            if (part.empty() || part.size() > 8) {
                return fail();
            }
        }
        n->keyword = parts.back();
        if (parts.size() >= 2) {
            n->step = parts[0];
        }
        if (parts.size() == 3) {
            n->procstep = parts[1];
        }
        if (n->keyword != "RC" && n->keyword != "ABEND" && n->keyword != "ABENDCC" && n->keyword != "RUN") {
            return fail();
        }
        if (n->keyword == "RUN" && n->step.empty()) {
            return fail();  // RUN needs a step
        }
        ++i;
        if (n->keyword == "ABEND" || n->keyword == "ABENDCC") {
            abend = true;
        }
        if (n->keyword == "ABEND" || n->keyword == "RUN") {
            if (i < t.size() && (t[i].text == "EQ" || t[i].text == "NE")) {
                bool ne = t[i].text == "NE";
                ++i;
                if (at("TRUE")) {
                    n->truth = !ne;
                } else if (at("FALSE")) {
                    n->truth = ne;
                } else {
                    return fail();
                }
                ++i;
            }
            n->op = "EQ";
            return n;
        }
        if (i >= t.size() || !is_relop(t[i].text)) {
            return fail();
        }
        n->op = norm_op(t[i].text);
        if (t[i].text == "NG" || t[i].text == "NL") {
            // NG is LE, NL is GE.
        }
        ++i;
        if (i >= t.size() || !t[i].word) {
            return fail();
        }
        if (n->keyword == "ABENDCC") {
            const auto& c = t[i].text;
            if (n->op != "EQ" && n->op != "NE") {
                return fail();
            }
            if (c.size() < 2 || (c[0] != 'S' && c[0] != 'U')) {
                return fail();
            }
            n->code = c;
            ++i;
            return n;
        }
        if (!all_digits(t[i].text)) {
            return fail();
        }
        n->number = std::stoi(t[i].text);
        if (n->number > 4095) {
            return fail();
        }
        ++i;
        return n;
    }
};

bool compare(int a, const std::string& op, int b) {
    if (op == "GT") return a > b;
    if (op == "GE") return a >= b;
    if (op == "LT") return a < b;
    if (op == "LE") return a <= b;
    if (op == "EQ") return a == b;
    return a != b;
}

bool eval(const expr_node& n, const step_result_view& v) {
    switch (n.type) {
    case expr_node::kind::or_:
        return eval(*n.kids[0], v) || eval(*n.kids[1], v);
    case expr_node::kind::and_:
        return eval(*n.kids[0], v) && eval(*n.kids[1], v);
    case expr_node::kind::not_:
        return !eval(*n.kids[0], v);
    case expr_node::kind::rel:
        break;
    }
    if (n.keyword == "RC") {
        auto rc = v.rc(n.step, n.procstep);
        return rc && compare(*rc, n.op, n.number);
    }
    if (n.keyword == "ABEND") {
        return v.abended(n.step, n.procstep) == n.truth;
    }
    if (n.keyword == "RUN") {
        return v.ran(n.step, n.procstep) == n.truth;
    }
    auto cc = v.abendcc(n.step, n.procstep);
    bool eq = cc && sysplex::iequal(*cc, n.code);
    return n.op == "EQ" ? eq : !eq;
}

}  // namespace

bool condition::evaluate(const step_result_view& v) const {
    return root ? eval(*root, v) : true;
}

std::optional<condition> parse_condition(std::string_view text, std::string* bad) {
    std::vector<token> toks;
    std::string b;
    if (!tokenize(text, toks, &b)) {
        if (bad) {
            *bad = b;
        }
        return std::nullopt;
    }
    if (toks.empty()) {
        if (bad) {
            *bad = "THEN";
        }
        return std::nullopt;
    }
    parser p(toks);
    auto root = p.parse_or();
    if (root && p.i != toks.size()) {
        root = p.fail();
    }
    if (!root) {
        if (bad) {
            *bad = p.bad;
        }
        return std::nullopt;
    }
    condition c;
    c.root = root;
    c.mentions_abend = p.abend;
    return c;
}

}  // namespace zplex::jes
