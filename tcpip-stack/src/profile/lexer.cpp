// SPDX-License-Identifier: Apache-2.0
// Profile lexer: records to tokens, `;` comments, quotes, system symbols, columns 73-80.
#include "lexer.hpp"

#include <zplex/sysplex/text.hpp>

#include <cctype>

namespace zplex::tcpip::profile::detail {

namespace {

constexpr int sequence_column = 73;  // z/OS does not ignore columns 73-80 (APAR PI22334)

bool is_symbol_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '@' || c == '#' || c == '$' || c == '_';
}

using sysplex::upper;

// Substitute &NAME. / &NAME in one record. Symbol names are 1-8 characters;
// the period ends the name and is consumed (z/OS static symbol rules).
std::string substitute(std::string_view rec, int line, const std::string& dataset,
                       const std::map<std::string, std::string>& symbols, message_log& log) {
    std::string out;
    out.reserve(rec.size());
    for (std::size_t i = 0; i < rec.size();) {
        if (rec[i] != '&') {
            out += rec[i++];
            continue;
        }
        std::size_t j = i + 1;
        while (j < rec.size() && j - i - 1 < 9 && is_symbol_char(rec[j])) {
            ++j;
        }
        auto name = upper(rec.substr(i + 1, j - i - 1));
        bool period = j < rec.size() && rec[j] == '.';
        if (name.empty() || name.size() > 8) {
            out += rec[i++];
            continue;
        }
        auto it = symbols.find(name);
        if (it == symbols.end()) {
            log.add("ZPX0110I", severity::warning,
                    "SYMBOL &" + name + ". ON LINE " + std::to_string(line) + " COLUMN " + std::to_string(i + 1) +
                        " OF " + dataset + " IS NOT DEFINED AND WAS LEFT AS WRITTEN",
                    source_ref{dataset, line, static_cast<int>(i + 1)});
            out += rec.substr(i, j - i);
            i = j;
            continue;
        }
        out += it->second;
        i = period ? j + 1 : j;
    }
    return out;
}

}  // namespace

std::vector<token> tokenize(std::string_view text, const std::string& dataset,
                            const std::map<std::string, std::string>& symbols, message_log& log) {
    std::vector<token> out;
    out.reserve(text.size() / 8);
    int line = 0;
    std::size_t pos = 0;
    if (text.starts_with("\xEF\xBB\xBF")) {
        // Editors on workstations write one; z/OS never sees it (EBCDIC). Say so
        // instead of letting an invisible prefix spoil the first statement.
        log.add("ZPX0113I", severity::warning,
                "UTF-8 BYTE-ORDER MARK X'EFBBBF' AT THE START OF " + dataset + " IGNORED",
                source_ref{dataset, 1, 1});
        pos = 3;
    }
    while (pos <= text.size()) {
        auto eol = text.find('\n', pos);
        if (eol == std::string_view::npos) {
            if (pos == text.size()) {
                break;
            }
            eol = text.size();
        }
        std::string_view raw = text.substr(pos, eol - pos);
        pos = eol + 1;
        ++line;
        if (!raw.empty() && raw.back() == '\r') {
            raw.remove_suffix(1);
        }
        // Symbols are substituted per token below so columns stay those of the record.
        std::size_t i = 0;
        while (i < raw.size()) {
            char c = raw[i];
            if (c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\0') {
                ++i;
                continue;
            }
            if (c == ';') {
                break;  // comment to end of record
            }
            token t;
            t.line = line;
            t.column = static_cast<int>(i + 1);
            if (c == '\'' || c == '"') {
                auto close = raw.find(c, i + 1);
                t.quoted = true;
                if (close == std::string_view::npos) {
                    // An unclosed quote runs to the end of the record; the parser
                    // sees the token and reports it where it is not acceptable.
                    t.text = std::string(raw.substr(i + 1));
                    i = raw.size();
                } else {
                    t.text = std::string(raw.substr(i + 1, close - i - 1));
                    i = close + 1;
                }
            } else {
                auto start = i;
                while (i < raw.size() && raw[i] != ' ' && raw[i] != '\t') {
                    ++i;
                }
                t.text = std::string(raw.substr(start, i - start));
            }
            // ISPF NUM ON puts eight digits in columns 73-80. z/OS reads them as a
            // parameter (APAR PI22334): flag them so the error says what they are.
            t.seqno = !t.quoted && t.column == sequence_column && t.text.size() == 8 &&
                      t.text.find_first_not_of("0123456789") == std::string::npos;
            if (t.text.find('&') != std::string::npos) {
                auto sub = substitute(t.text, line, dataset, symbols, log);
                if (!t.quoted && sub.find_first_of(" \t") != std::string::npos) {
                    // A symbol may stand for several parameters.
                    std::size_t k = 0;
                    while (k < sub.size()) {
                        while (k < sub.size() && (sub[k] == ' ' || sub[k] == '\t')) {
                            ++k;
                        }
                        auto s = k;
                        while (k < sub.size() && sub[k] != ' ' && sub[k] != '\t') {
                            ++k;
                        }
                        if (k > s) {
                            token part = t;
                            part.text = sub.substr(s, k - s);
                            part.upper = upper(part.text);
                            out.push_back(std::move(part));
                        }
                    }
                    continue;
                }
                t.text = std::move(sub);
                if (t.text.empty() && !t.quoted) {
                    continue;  // a symbol that stands for nothing
                }
            }
            t.upper = upper(t.text);
            out.push_back(std::move(t));
        }
    }
    return out;
}

}  // namespace zplex::tcpip::profile::detail
