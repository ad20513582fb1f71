// SPDX-License-Identifier: Apache-2.0
// Dataset name parsing and resolution to files below a catalogue folder.
#include <zplex/sysplex/dataset.hpp>
#include <zplex/sysplex/text.hpp>

#include <cctype>

namespace zplex::sysplex {

namespace {

bool is_national(char c) { return c == '@' || c == '#' || c == '$'; }
bool is_first(char c) { return std::isupper(static_cast<unsigned char>(c)) || is_national(c); }
bool is_rest(char c) { return is_first(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '-'; }


bool fail(std::string* why, const char* text) {
    if (why) {
        *why = text;
    }
    return false;
}

// z/OS: a name is 1-8 characters, first alphabetic or national, rest also numeric
// (a hyphen is allowed in qualifiers only; members take no hyphen).
bool valid_name(std::string_view q, bool member, std::string* why) {
    if (q.empty()) {
        return fail(why, member ? "EMPTY MEMBER NAME" : "EMPTY QUALIFIER");
    }
    if (q.size() > 8) {
        return fail(why, member ? "MEMBER NAME LONGER THAN 8 CHARACTERS" : "QUALIFIER LONGER THAN 8 CHARACTERS");
    }
    if (!is_first(q[0])) {
        return fail(why, "NAME MUST START WITH A LETTER OR @ # $");
    }
    for (char c : q.substr(1)) {
        if (!is_rest(c) || (member && c == '-')) {
            return fail(why, "INVALID CHARACTER IN NAME");
        }
    }
    return true;
}

}  // namespace

std::string dataset_name::str() const {
    return member.empty() ? dsn : dsn + "(" + member + ")";
}

std::optional<dataset_name> parse_dataset_name(std::string_view text, std::string* why) {
    if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') {
        text = text.substr(1, text.size() - 2);
    }
    std::string s = upper(text);
    dataset_name out;
    if (auto open = s.find('('); open != std::string::npos) {
        if (s.back() != ')') {
            fail(why, "MEMBER NAME NOT CLOSED BY )");
            return std::nullopt;
        }
        out.member = s.substr(open + 1, s.size() - open - 2);
        s.resize(open);
        if (!valid_name(out.member, true, why)) {
            return std::nullopt;
        }
    }
    if (s.size() > 44) {
        fail(why, "DATA SET NAME LONGER THAN 44 CHARACTERS");
        return std::nullopt;
    }
    std::size_t start = 0;
    while (true) {
        auto dot = s.find('.', start);
        auto q = std::string_view(s).substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (!valid_name(q, false, why)) {
            return std::nullopt;
        }
        if (dot == std::string::npos) {
            break;
        }
        start = dot + 1;
    }
    out.dsn = std::move(s);
    return out;
}

bool looks_like_dataset_name(std::string_view text) {
    if (text.empty() || text.find('/') != std::string_view::npos) {
        return false;
    }
    if (text.front() == '\'') {
        return true;
    }
    return parse_dataset_name(text).has_value() &&
           (text.find('.') != std::string_view::npos || text.find('(') != std::string_view::npos);
}

std::filesystem::path dataset_catalogue::path_of(const dataset_name& name) const {
    auto p = _root / name.dsn;
    if (!name.member.empty()) {
        p /= name.member;
    }
    return p;
}

std::optional<std::filesystem::path> dataset_catalogue::resolve(std::string_view ref, std::string* why) const {
    std::error_code ec;
    if (looks_like_dataset_name(ref)) {
        std::string reason;
        auto name = parse_dataset_name(ref, &reason);
        if (!name) {
            if (why) {
                *why = reason;
            }
            return std::nullopt;
        }
        auto p = path_of(*name);
        if (std::filesystem::is_regular_file(p, ec)) {
            return p;
        }
        if (!name->member.empty() && !std::filesystem::is_directory(_root / name->dsn, ec)) {
            fail(why, "DATA SET NOT FOUND IN CATALOG");
        } else if (!name->member.empty()) {
            fail(why, "MEMBER NOT FOUND");
        } else if (std::filesystem::is_directory(p, ec)) {
            fail(why, "DATA SET IS PARTITIONED: A MEMBER NAME IS REQUIRED");
        } else {
            fail(why, "DATA SET NOT FOUND IN CATALOG");
        }
        return std::nullopt;
    }
    std::filesystem::path p(ref);
    if (std::filesystem::is_regular_file(p, ec)) {
        return p;
    }
    fail(why, "FILE NOT FOUND");
    return std::nullopt;
}

}  // namespace zplex::sysplex
