// SPDX-License-Identifier: Apache-2.0
// The JCL converter's value rules: names, the keywords of JOB, EXEC and DD, symbol
// substitution and COND= (declared in converter_parts.hpp).
#include "converter_parts.hpp"

#include <zplex/sysplex/text.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace zplex::jes::detail {

using sysplex::upper;

bool valid_name(std::string_view s) {
    if (s.empty() || s.size() > 8) {
        return false;
    }
    auto ok_first = [](unsigned char c) { return std::isalpha(c) || c == '@' || c == '#' || c == '$'; };
    if (!ok_first(static_cast<unsigned char>(s[0]))) {
        return false;
    }
    for (char c : s) {
        unsigned char u = static_cast<unsigned char>(c);
        if (!(std::isalnum(u) || u == '@' || u == '#' || u == '$')) {
            return false;
        }
    }
    return true;
}

std::string shown(std::string_view s) {
    std::string out;
    std::size_t k = 0;
    for (; k < s.size() && k < 32; ++k) {
        unsigned char c = static_cast<unsigned char>(s[k]);
        if (c < 0x20 || c > 0x7e) {
            out += fmt::format("X'{:02X}'", c);
        } else {
            out += static_cast<char>(c);
        }
    }
    if (k < s.size()) {
        out += "...";
    }
    return out;
}

const std::set<std::string> job_keywords = {
    "ADDRSPC", "BYTES", "CARDS", "CCSID", "CLASS", "COND", "DSENQSHR", "EMAIL", "GROUP", "JESLOG", "JOBRC",
    "LINES", "MEMLIMIT", "MSGCLASS", "MSGLEVEL", "NOTIFY", "PAGES", "PASSWORD", "PERFORM", "PRTY", "RD",
    "REGION", "REGIONX", "RESTART", "SCHENV", "SECLABEL", "SYSAFF", "SYSTEM", "TIME", "TYPRUN", "UJOBCORR",
    "USER", "SYMLIST"};
const std::set<std::string> exec_keywords = {
    "ACCT", "ADDRSPC", "CCSID", "COND", "DYNAMNBR", "MEMLIMIT", "PARM", "PARMDD", "PERFORM", "PGM", "PROC", "RD",
    "REGION", "REGIONX", "RLSTMOUT", "TIME", "TVSMSG", "TVSAMCOM"};
const std::set<std::string> dd_keywords = {
    "ACCODE", "AMP", "AVGREC", "BLKSIZE", "BLKSZLIM", "BUFNO", "BURST", "CCSID", "CHARS", "CHKPT", "CNTL",
    "COPIES", "DATACLAS", "DCB", "DDNAME", "DEST", "DISP", "DLM", "DSID", "DSN", "DSNAME", "DSNTYPE", "DSORG",
    "EATTR", "EXPDT", "FCB", "FILEDATA", "FLASH", "FREE", "FREEVOL", "GDGORDER", "HOLD", "KEYLABL1", "KEYLABL2",
    "KEYENCD1", "KEYENCD2", "KEYLEN", "KEYOFF", "LABEL", "LGSTREAM", "LIKE", "LRECL", "MAXGENS", "MGMTCLAS",
    "MODIFY", "OPTCD", "OUTLIM", "OUTPUT", "PATH", "PATHDISP", "PATHMODE", "PATHOPTS", "PROTECT", "QNAME",
    "RECFM", "RECORG", "REFDD", "RETPD", "RLS", "ROACCESS", "SECMODEL", "SEGMENT", "SPACE", "SPIN", "STORCLAS",
    "SUBSYS", "SYMBOLS", "SYMLIST", "SYSOUT", "TERM", "UCS", "UNIT", "VOL", "VOLUME", "DSKEYLBL"};
const std::set<std::string> dd_positional = {"*", "DATA", "DUMMY", "DYNAM"};

std::string substitute(const std::string& text, const std::map<std::string, std::string>& syms,
                       std::set<std::string>* used, bool& changed) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (c != '&') {
            out += c;
            ++i;
            continue;
        }
        if (i + 1 < text.size() && text[i + 1] == '&') {
            out += "&&";
            i += 2;
            while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '@' ||
                                       text[i] == '#' || text[i] == '$')) {
                out += text[i++];
            }
            continue;
        }
        std::size_t j = i + 1;
        while (j < text.size() && j - i <= 8 &&
               (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '@' || text[j] == '#' ||
                text[j] == '$')) {
            ++j;
        }
        std::string name = upper(text.substr(i + 1, j - i - 1));
        auto it = name.empty() ? syms.end() : syms.find(name);
        if (it == syms.end()) {
            out += text.substr(i, j - i);
            i = j;
            continue;
        }
        if (used) {
            used->insert(name);
        }
        out += it->second;
        changed = true;
        i = j;
        if (i < text.size() && text[i] == '.') {
            ++i;
        }
    }
    return out;
}

const parameter* find_param(const std::vector<parameter>& ps, std::string_view key) {
    for (const auto& p : ps) {
        if (p.key == key) {
            return &p;
        }
    }
    return nullptr;
}

std::optional<cond_param> parse_cond(const std::string& value, bool on_job, std::string* bad) {
    cond_param c;
    auto items = split_list(value);
    if (items.size() >= 2 && items[0].find('(') == std::string::npos && !items[0].empty() &&
        std::isdigit(static_cast<unsigned char>(items[0][0]))) {
        items = {value};  // a single test (code,op[,step])
    }
    for (const auto& it : items) {
        auto u = upper(it);
        if (u == "EVEN" || u == "ONLY") {
            if (on_job) {
                *bad = u;
                return std::nullopt;
            }
            (u == "EVEN" ? c.even : c.only) = true;
            continue;
        }
        auto t = split_list(u);
        if (t.size() < 2 || t.size() > (on_job ? 2u : 3u) || t[0].empty() || t[0].size() > 4 ||
            !std::all_of(t[0].begin(), t[0].end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); })) {
            *bad = it;
            return std::nullopt;
        }
        cond_test ct;
        ct.code = std::stoi(t[0]);
        ct.op = t[1];
        if (ct.code > 4095 || !(ct.op == "GT" || ct.op == "GE" || ct.op == "EQ" || ct.op == "NE" ||
                                ct.op == "LT" || ct.op == "LE")) {
            *bad = it;
            return std::nullopt;
        }
        if (t.size() == 3) {
            auto dot = t[2].find('.');
            ct.step = t[2].substr(0, dot);
            if (dot != std::string::npos) {
                ct.procstep = t[2].substr(dot + 1);
            }
        }
        c.tests.push_back(ct);
    }
    if (c.tests.size() > 8 || (c.even && c.only)) {
        *bad = value;
        return std::nullopt;
    }
    return c;
}

}  // namespace zplex::jes::detail
