// SPDX-License-Identifier: Apache-2.0
// The JCL reader: records to statements, as the z/OS converter reads them
// (shared/REFERENCE.md §11.3): columns 1-71, continuation in columns 4-16, `//*`
// comments between continuation records, apostrophes broken at column 71 and resumed
// in column 16, in-stream data up to `/*`, `//` or DLM.
#include <zplex/jes/jcl.hpp>
#include <zplex/sysplex/text.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace zplex::jes {

namespace {

constexpr std::size_t statement_end = 71;  // columns 1-71 hold a statement

std::string rstrip(std::string s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) {
        s.pop_back();
    }
    return s;
}

/// The records of @p text: one a line, CR stripped, at most 80 columns kept.
std::vector<std::string> records_of(std::string_view text) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto nl = text.find('\n', pos);
        auto line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        std::string rec(line.substr(0, 80));
        for (auto& c : rec) {
            if (c == '\t') {
                c = ' ';
            }
        }
        out.push_back(std::move(rec));
        if (nl == std::string_view::npos) {
            break;
        }
        pos = nl + 1;
    }
    return out;
}

/// Columns 1-71 of a record, blank padded.
std::string stmt_columns(const std::string& rec) {
    std::string s = rec.substr(0, std::min(rec.size(), statement_end));
    s.resize(statement_end, ' ');
    return s;
}

bool is_comment(const std::string& r) { return r.rfind("//*", 0) == 0; }
bool is_jcl(const std::string& r) { return r.rfind("//", 0) == 0 && !is_comment(r); }
bool is_delim(const std::string& r) { return r.rfind("/*", 0) == 0; }

/// Read an operand segment from @p s at @p pos: up to the first blank outside
/// apostrophes. @p quoted carries an open apostrophe in and out.
std::string read_segment(const std::string& s, std::size_t pos, bool& quoted) {
    std::string out;
    for (std::size_t i = pos; i < s.size(); ++i) {
        char c = s[i];
        if (c == '\'') {
            quoted = !quoted;
        } else if (c == ' ' && !quoted) {
            break;
        }
        out += c;
    }
    if (quoted) {
        // An apostrophe open at column 71: the value runs through column 71.
        out = s.substr(pos);
    }
    return out;
}

std::size_t skip_blanks(const std::string& s, std::size_t pos) {
    while (pos < s.size() && s[pos] == ' ') {
        ++pos;
    }
    return pos;
}

/// `*`, `DATA` and DLM of a DD's operand field (as written, before substitution).
void instream_kind(const std::string& operands, bool& instream, bool& data, std::string& dlm) {
    std::vector<parameter> params;
    split_parameters(operands, params);
    for (const auto& p : params) {
        if (p.key.empty() && (p.value == "*" || sysplex::iequal(p.value, "DATA"))) {
            instream = true;
            data = p.value != "*";
        } else if (sysplex::iequal(p.key, "DLM")) {
            dlm = unquote(p.value);
        }
    }
}

bool ends_if(const std::string& operands) {
    // An IF expression ends with the word THEN.
    auto u = sysplex::upper(operands);
    auto n = u.size();
    return n >= 4 && u.compare(n - 4, 4, "THEN") == 0 && (n == 4 || u[n - 5] == ' ' || u[n - 5] == ')');
}

}  // namespace

std::string jcl_message::str() const {
    if (stmt > 0) {
        return fmt::format("{:>9} {} {}", stmt, id, text);
    }
    return fmt::format("{:>9} {} {}", "", id, text);
}

std::vector<statement> read_jcl(std::string_view text, const std::string& source) {
    auto recs = records_of(text);
    std::vector<statement> out;
    std::size_t i = 0;
    auto n = recs.size();
    while (i < n) {
        const std::string& rec = recs[i];
        statement st;
        st.source = source;
        st.line = static_cast<int>(i) + 1;
        if (is_comment(rec)) {
            st.type = statement::kind::comment;
            st.records.push_back(rstrip(rec));
            out.push_back(std::move(st));
            ++i;
            continue;
        }
        if (is_delim(rec)) {
            st.type = statement::kind::delimiter;  // a stray `/*`: ignored
            st.records.push_back(rstrip(rec));
            out.push_back(std::move(st));
            ++i;
            continue;
        }
        if (!is_jcl(rec)) {
            // Data without a DD: JES generates //SYSIN DD * for it.
            st.name = "SYSIN";
            st.op = "DD";
            st.operands = "*";
            st.instream = true;
            st.records.push_back("//SYSIN DD *                 GENERATED STATEMENT");
            while (i < n && !is_jcl(recs[i]) && !is_delim(recs[i]) && !is_comment(recs[i])) {
                st.data.push_back(recs[i]);
                ++i;
            }
            if (i < n && is_delim(recs[i])) {
                ++i;
            }
            out.push_back(std::move(st));
            continue;
        }
        std::string s = stmt_columns(rec);
        if (s.find_first_not_of(' ', 2) == std::string::npos) {
            st.type = statement::kind::null;
            st.records.push_back(rstrip(rec));
            out.push_back(std::move(st));
            ++i;
            continue;
        }
        st.records.push_back(rstrip(rec));
        std::size_t pos = 2;
        if (s[2] != ' ') {
            auto e = std::min(s.find(' ', 2), s.size());
            st.name = s.substr(2, e - 2);
            pos = e;
        }
        pos = skip_blanks(s, pos);
        auto e = std::min(s.find(' ', pos), s.size());
        st.op = sysplex::upper(s.substr(pos, e - pos));
        pos = skip_blanks(s, e);
        ++i;
        const bool no_operands = st.op == "PEND" || st.op == "ENDIF" || st.op == "ELSE";
        if (st.op == "IF") {
            // IF (expression) THEN: blanks belong to the expression.
            std::string expr = rstrip(s.substr(std::min(pos, s.size())));
            while (!ends_if(expr) && i < n) {
                if (is_comment(recs[i])) {
                    st.records.push_back(rstrip(recs[i]));
                    ++i;
                    continue;
                }
                std::string t = stmt_columns(recs[i]);
                auto first = t.find_first_not_of(' ', 2);
                if (!is_jcl(recs[i]) || t[2] != ' ' || first == std::string::npos || first >= 16) {
                    break;
                }
                st.records.push_back(rstrip(recs[i]));
                expr += " " + rstrip(t.substr(first));
                ++i;
            }
            if (!ends_if(expr)) {
                st.errors.push_back({0, "IEFC013I", "ERROR IN IF STATEMENT: THEN NOT FOUND"});
            } else {
                expr = rstrip(expr.substr(0, expr.size() - 4));
            }
            st.operands = expr;
            out.push_back(std::move(st));
            continue;
        }
        if (!no_operands && pos < s.size()) {
            bool quoted = false;
            std::string field = read_segment(s, pos, quoted);
            // Continue while the field ends with a comma or an apostrophe is open.
            while ((quoted || (!field.empty() && field.back() == ',')) ) {
                std::size_t j = i;
                while (j < n && is_comment(recs[j])) {
                    ++j;
                }
                bool ok = j < n && is_jcl(recs[j]);
                std::string t = ok ? stmt_columns(recs[j]) : std::string();
                std::size_t first = ok ? t.find_first_not_of(' ', 2) : std::string::npos;
                if (ok && quoted) {
                    ok = t[2] == ' ' && first != std::string::npos && first >= 15;
                    first = 15;  // a broken apostrophe resumes in column 16
                } else if (ok) {
                    ok = t[2] == ' ' && first != std::string::npos && first <= 15;
                }
                if (!ok) {
                    st.errors.push_back({0, "IEFC621I", "EXPECTED CONTINUATION NOT RECEIVED"});
                    break;
                }
                for (std::size_t k = i; k <= j; ++k) {
                    st.records.push_back(rstrip(recs[k]));
                }
                i = j + 1;
                field += read_segment(t, first, quoted);
            }
            st.operands = field;
        }
        if (st.op == "DD") {
            bool data = false;
            std::string dlm;
            instream_kind(st.operands, st.instream, data, dlm);
            if (st.instream) {
                while (i < n) {
                    const auto& r = recs[i];
                    if (!dlm.empty()) {
                        if (r.rfind(dlm, 0) == 0) {
                            ++i;
                            break;
                        }
                        if (!data && is_jcl(r)) {
                            break;
                        }
                    } else if (is_delim(r)) {
                        ++i;
                        break;
                    } else if (!data && (is_jcl(r) || is_comment(r))) {
                        break;
                    }
                    st.data.push_back(r);
                    ++i;
                }
            }
        }
        out.push_back(std::move(st));
    }
    return out;
}

bool split_parameters(std::string_view operands, std::vector<parameter>& out, std::string* why) {
    out.clear();
    int depth = 0;
    bool quoted = false;
    std::string cur;
    auto flush = [&] {
        parameter p;
        auto eq = std::string::npos;
        // KEY=value: the first '=' outside apostrophes and parentheses, after a name.
        int d = 0;
        bool q = false;
        for (std::size_t k = 0; k < cur.size(); ++k) {
            char c = cur[k];
            if (c == '\'') {
                q = !q;
            } else if (!q && c == '(') {
                ++d;
            } else if (!q && c == ')') {
                --d;
            } else if (!q && d == 0 && c == '=') {
                eq = k;
                break;
            }
        }
        if (eq != std::string::npos && eq > 0 && cur[0] != '\'' && cur[0] != '(') {
            p.key = sysplex::upper(cur.substr(0, eq));
            p.value = cur.substr(eq + 1);
        } else {
            p.value = cur;
        }
        out.push_back(std::move(p));
        cur.clear();
    };
    for (char c : operands) {
        if (c == '\'') {
            quoted = !quoted;
        } else if (!quoted && c == '(') {
            ++depth;
        } else if (!quoted && c == ')') {
            if (--depth < 0) {
                if (why) {
                    *why = "UNBALANCED PARENTHESIS";
                }
                return false;
            }
        } else if (!quoted && depth == 0 && c == ',') {
            flush();
            continue;
        }
        cur += c;
    }
    if (quoted) {
        if (why) {
            *why = "APOSTROPHE";
        }
        return false;
    }
    if (depth != 0) {
        if (why) {
            *why = "UNBALANCED PARENTHESIS";
        }
        return false;
    }
    if (!cur.empty() || !out.empty()) {
        flush();
    }
    return true;
}

std::vector<std::string> split_list(std::string_view value) {
    if (value.size() < 2 || value.front() != '(' || value.back() != ')') {
        return {std::string(value)};
    }
    std::vector<std::string> out;
    std::string cur;
    int depth = 0;
    bool quoted = false;
    for (char c : value.substr(1, value.size() - 2)) {
        if (c == '\'') {
            quoted = !quoted;
        } else if (!quoted && c == '(') {
            ++depth;
        } else if (!quoted && c == ')') {
            --depth;
        } else if (!quoted && depth == 0 && c == ',') {
            out.push_back(std::move(cur));
            cur.clear();
            continue;
        }
        cur += c;
    }
    out.push_back(std::move(cur));
    return out;
}

std::string unquote(std::string_view value) {
    if (value.size() < 2 || value.front() != '\'' || value.back() != '\'') {
        return std::string(value);
    }
    std::string out;
    auto inner = value.substr(1, value.size() - 2);
    for (std::size_t k = 0; k < inner.size(); ++k) {
        out += inner[k];
        if (inner[k] == '\'' && k + 1 < inner.size() && inner[k + 1] == '\'') {
            ++k;
        }
    }
    return out;
}

}  // namespace zplex::jes
