// SPDX-License-Identifier: Apache-2.0
// The programs a step can run: IEFBR14, IEBGENER, IDCAMS (REPRO, PRINT, DELETE, SET,
// IF LASTCC/MAXCC ... THEN ... ELSE, DO ... END) and BPXBATCH (SH and PGM).
#include <zplex/jes/executor.hpp>
#include <zplex/sysplex/text.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

extern char** environ;

namespace zplex::jes {

namespace {

using sysplex::upper;

program_result iefbr14(const job_step&, step_io&) { return {}; }

// ---------------------------------------------------------------- IEBGENER

program_result iebgener(const job_step&, step_io& io) {
    if (!io.has("SYSPRINT")) {
        io.system_message("IEC130I SYSPRINT DD STATEMENT MISSING");
        return {12, {}};
    }
    std::vector<std::string> print = {"DATA SET UTILITY - GENERATE"};
    int rc = 0;
    auto sysin = io.has("SYSIN") ? io.read("SYSIN") : std::optional<std::vector<std::string>>(std::vector<std::string>{});
    for (const auto& l : sysin.value_or(std::vector<std::string>{})) {
        auto u = upper(l);
        auto first = u.find_first_not_of(' ');
        if (first == std::string::npos || u.compare(first, 2, "/*") == 0 || u[0] == '*') {
            continue;
        }
        print.push_back(" " + l);
        if (u.compare(first, 8, "GENERATE") != 0) {
            print.push_back("ZPX0521W CONTROL STATEMENT NOT EMULATED: RECORDS ARE COPIED AS THEY ARE");
            rc = std::max(rc, 4);
        }
    }
    for (const char* dd : {"SYSUT1", "SYSUT2"}) {
        if (!io.has(dd)) {
            io.system_message(fmt::format("IEC130I {} DD STATEMENT MISSING", dd));
            print.push_back(fmt::format("IEB311I CONFLICTING DCB PARAMETERS OR {} NOT OPENED", dd));
            io.write("SYSPRINT", print);
            return {12, {}};
        }
    }
    auto in = io.read("SYSUT1");
    if (!in) {
        print.push_back("IEB308I PERMANENT INPUT ERROR - FIND MACRO ON SYSUT1");
        io.write("SYSPRINT", print);
        return {12, {}};
    }
    if (!io.write("SYSUT2", *in)) {
        print.push_back("IEB309I PERMANENT OUTPUT ERROR ON SYSUT2");
        io.write("SYSPRINT", print);
        return {12, {}};
    }
    print.push_back("PROCESSING ENDED AT EOD");
    io.write("SYSPRINT", print);
    return {rc, {}};
}

// ---------------------------------------------------------------- IDCAMS

struct idc_token {
    std::string text;
    bool end = false;  ///< the end of a command
};

/// SYSIN records to tokens: columns 2-72, `/* */` comments, `-` and `+` continuation,
/// `;` and the record end closing a command.
std::vector<idc_token> idc_tokens(const std::vector<std::string>& records, std::vector<std::string>& echo) {
    std::vector<idc_token> out;
    bool in_comment = false;
    std::string cmd_echo;
    for (const auto& rec : records) {
        std::string s = rec.size() > 72 ? rec.substr(0, 72) : rec;
        if (!s.empty()) {
            s[0] = ' ';  // column 1 is not read
        }
        // Strip comments.
        std::string t;
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (in_comment) {
                if (s.compare(i, 2, "*/") == 0) {
                    in_comment = false;
                    ++i;
                }
                continue;
            }
            if (s.compare(i, 2, "/*") == 0) {
                in_comment = true;
                ++i;
                continue;
            }
            t += s[i];
        }
        while (!t.empty() && t.back() == ' ') {
            t.pop_back();
        }
        if (rec.find_first_not_of(' ') != std::string::npos) {
            echo.push_back(rec.size() > 72 ? rec.substr(0, 72) : rec);
        }
        bool cont = false;
        if (!t.empty() && (t.back() == '-' || t.back() == '+')) {
            cont = true;
            t.pop_back();
        }
        std::size_t i = 0;
        while (i < t.size()) {
            char c = t[i];
            if (c == ' ' || c == ',') {
                ++i;
                continue;
            }
            if (c == ';') {
                out.push_back({"", true});
                ++i;
                continue;
            }
            std::string w;
            if (c == '(' || c == ')' || c == '=') {
                w = c;
                ++i;
            } else if (c == '\'') {
                std::size_t j = t.find('\'', i + 1);
                j = j == std::string::npos ? t.size() : j + 1;
                w = t.substr(i, j - i);
                i = j;
            } else if (c == '>' || c == '<' || c == '^' || c == '!') {
                w = c;
                ++i;
                if (i < t.size() && t[i] == '=') {
                    w += '=';
                    ++i;
                }
            } else {
                while (i < t.size() && t[i] != ' ' && t[i] != ',' && t[i] != '(' && t[i] != ')' && t[i] != ';' &&
                       t[i] != '=' && t[i] != '>' && t[i] != '<') {
                    w += t[i++];
                }
            }
            out.push_back({upper(w), false});
        }
        if (!cont && !in_comment && !out.empty() && !out.back().end) {
            out.push_back({"", true});
        }
    }
    if (!out.empty() && !out.back().end) {
        out.push_back({"", true});
    }
    return out;
}

struct idcams {
    step_io& io;
    std::vector<std::string> print;
    std::vector<idc_token> t;
    std::size_t i = 0;
    int lastcc = 0, maxcc = 0;
    int depth = 0;

    bool at_end() const { return i >= t.size(); }
    bool at_cmd_end() const { return at_end() || t[i].end; }
    void skip_ends() {
        while (i < t.size() && t[i].end) {
            ++i;
        }
    }
    void set_cc(int cc) {
        lastcc = cc;
        maxcc = std::max(maxcc, cc);
    }
    void bypass(const std::string& why) {
        print.push_back(why);
        print.push_back("IDC3202I ABOVE TEXT BYPASSED UNTIL NEXT COMMAND. CONDITION CODE IS 12");
        while (!at_cmd_end()) {
            ++i;
        }
        set_cc(12);
    }
    /// KEYWORD(value ...) operands of one command.
    std::vector<std::pair<std::string, std::vector<std::string>>> operands() {
        std::vector<std::pair<std::string, std::vector<std::string>>> out;
        while (!at_cmd_end()) {
            if (t[i].text == "(") {
                // A positional list: DELETE (A.B C.D)
                ++i;
                std::vector<std::string> vals;
                while (!at_cmd_end() && t[i].text != ")") {
                    vals.push_back(t[i++].text);
                }
                if (!at_cmd_end()) {
                    ++i;
                }
                out.emplace_back("", vals);
                continue;
            }
            std::string kw = t[i++].text;
            std::vector<std::string> vals;
            if (!at_cmd_end() && t[i].text == "(") {
                // KEYWORD(value ...): a nested list joins the value before it, as in
                // INDATASET(SYS1.TCPPARMS(OBEYDIST)).
                ++i;
                int d = 1;
                while (!at_cmd_end()) {
                    const auto& w = t[i++].text;
                    if (w == ")") {
                        if (--d == 0) {
                            break;
                        }
                        vals.back() += w;
                    } else if (w == "(") {
                        if (vals.empty()) {
                            vals.emplace_back();
                        }
                        vals.back() += w;
                        ++d;
                    } else if (d > 1) {
                        vals.back() += w;
                    } else {
                        vals.push_back(w);
                    }
                }
            }
            out.emplace_back(kw, vals);
        }
        return out;
    }
    static std::string dsn_of(const std::string& s) {
        return s.size() >= 2 && s.front() == '\'' ? s.substr(1, s.size() - 2) : s;
    }

    void finish(int cc) {
        set_cc(cc);
        print.push_back(fmt::format("IDC0001I FUNCTION COMPLETED, HIGHEST CONDITION CODE WAS {}", cc));
        print.push_back("");
    }

    void cmd_delete() {
        auto ops = operands();
        std::vector<std::string> names;
        static const std::set<std::string> accepted = {"NONVSAM", "PURGE", "NOPURGE", "CLUSTER", "SCRATCH", "NOSCRATCH",
                                                       "ERASE", "NOERASE", "FILE", "CATALOG", "MASK", "NVR",
                                                       "GENERATIONDATAGROUP", "GDG", "FORCE", "ALIAS", "USERCATALOG"};
        for (const auto& [kw, vals] : ops) {
            if (kw.empty()) {
                names.insert(names.end(), vals.begin(), vals.end());
            } else if (names.empty() && vals.empty() && kw.find('.') != std::string::npos) {
                names.push_back(kw);
            } else if (names.empty() && vals.empty() && !accepted.count(kw)) {
                names.push_back(kw);
            } else if (!accepted.count(kw)) {
                print.push_back(fmt::format("IDC3211I KEYWORD '{}' IS IMPROPER", kw));
                print.push_back("IDC3202I ABOVE TEXT BYPASSED UNTIL NEXT COMMAND. CONDITION CODE IS 12");
                set_cc(12);
                return;
            }
        }
        int cc = 0;
        for (const auto& n : names) {
            std::string dsn = dsn_of(n);
            if (io.delete_dsn(dsn) == 0) {
                print.push_back(fmt::format("IDC0550I ENTRY (A) {} DELETED", dsn));
            } else {
                print.push_back(fmt::format("IDC3012I ENTRY {} NOT FOUND", dsn));
                print.push_back("IDC3009I ** VSAM CATALOG RETURN CODE IS 8 - REASON CODE IS IGG0CLKT-42");
                print.push_back(fmt::format("IDC0551I ** ENTRY {} NOT DELETED", dsn));
                cc = 8;
            }
        }
        finish(cc);
    }

    /// The input of REPRO/PRINT: INFILE(dd) or INDATASET(dsn).
    std::optional<std::vector<std::string>> input(const std::vector<std::pair<std::string, std::vector<std::string>>>& ops,
                                                  std::string& name) {
        for (const auto& [kw, vals] : ops) {
            if ((kw == "INFILE" || kw == "IFILE") && !vals.empty()) {
                name = vals[0];
                if (!io.has(vals[0])) {
                    print.push_back(fmt::format("IDC3300I ERROR OPENING {}", vals[0]));
                    print.push_back("IDC3321I ** OPEN/CLOSE/EOV ABEND EXIT TAKEN");
                    return std::nullopt;
                }
                auto r = io.read(vals[0]);
                if (!r) {
                    print.push_back(fmt::format("IDC3300I ERROR OPENING {}", vals[0]));
                }
                return r;
            }
            if ((kw == "INDATASET" || kw == "IDS") && !vals.empty()) {
                name = dsn_of(vals[0]);
                auto r = io.read_dsn(name);
                if (!r) {
                    print.push_back(fmt::format("IDC3012I ENTRY {} NOT FOUND", name));
                    print.push_back(fmt::format("IDC3300I ERROR OPENING {}", name));
                }
                return r;
            }
        }
        print.push_back("IDC3203I ITEM 'INFILE OR INDATASET' DOES NOT ADHERE TO RESTRICTIONS");
        return std::nullopt;
    }

    static std::size_t number(const std::vector<std::pair<std::string, std::vector<std::string>>>& ops,
                              const std::string& kw, std::size_t dflt) {
        for (const auto& [k, v] : ops) {
            if (k == kw && !v.empty() && !v[0].empty() && v[0].size() < 10 &&
                std::all_of(v[0].begin(), v[0].end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
                return static_cast<std::size_t>(std::stoul(v[0]));
            }
        }
        return dflt;
    }

    void cmd_repro() {
        auto ops = operands();
        std::string inname;
        auto in = input(ops, inname);
        if (!in) {
            finish(12);
            return;
        }
        std::size_t skip = number(ops, "SKIP", 0), count = number(ops, "COUNT", SIZE_MAX);
        std::vector<std::string> recs;
        for (std::size_t k = skip; k < in->size() && recs.size() < count; ++k) {
            recs.push_back((*in)[k]);
        }
        bool written = false, named = false;
        for (const auto& [kw, vals] : ops) {
            if ((kw == "OUTFILE" || kw == "OFILE") && !vals.empty()) {
                named = true;
                if (!io.has(vals[0])) {
                    print.push_back(fmt::format("IDC3300I ERROR OPENING {}", vals[0]));
                } else {
                    written = io.write(vals[0], recs);
                }
            } else if ((kw == "OUTDATASET" || kw == "ODS") && !vals.empty()) {
                named = true;
                written = io.write_dsn(dsn_of(vals[0]), recs, true);
                if (!written) {
                    print.push_back(fmt::format("IDC3300I ERROR OPENING {}", dsn_of(vals[0])));
                }
            }
        }
        if (!named) {
            print.push_back("IDC3203I ITEM 'OUTFILE OR OUTDATASET' DOES NOT ADHERE TO RESTRICTIONS");
        }
        if (!written) {
            finish(12);
            return;
        }
        print.push_back(fmt::format("IDC0005I NUMBER OF RECORDS PROCESSED WAS {}", recs.size()));
        finish(0);
    }

    void cmd_print() {
        auto ops = operands();
        std::string inname;
        auto in = input(ops, inname);
        if (!in) {
            finish(12);
            return;
        }
        bool character = false, hex = false;
        for (const auto& [kw, vals] : ops) {
            character = character || kw == "CHARACTER" || kw == "CHAR";
            hex = hex || kw == "HEX";
        }
        bool dump = !character && !hex;
        std::size_t skip = number(ops, "SKIP", 0), count = number(ops, "COUNT", SIZE_MAX);
        print.push_back(fmt::format("LISTING OF DATA SET -{}", inname));
        std::size_t n = 0;
        for (std::size_t k = skip; k < in->size() && n < count; ++k, ++n) {
            const auto& r = (*in)[k];
            print.push_back(fmt::format("RECORD SEQUENCE NUMBER - {}", k + 1));
            if (character || dump) {
                print.push_back(r);
            }
            if (hex || dump) {
                std::string h;
                for (unsigned char c : r) {
                    h += fmt::format("{:02X}", c);
                }
                print.push_back(h);
            }
        }
        print.push_back(fmt::format("IDC0005I NUMBER OF RECORDS PROCESSED WAS {}", n));
        finish(0);
    }

    void cmd_set() {
        // SET MAXCC|LASTCC = n
        if (at_cmd_end()) {
            bypass("IDC3211I KEYWORD 'SET' IS IMPROPER");
            return;
        }
        std::string which = t[i++].text;
        if (!at_cmd_end() && t[i].text == "=") {
            ++i;
        }
        if ((which != "MAXCC" && which != "LASTCC") || at_cmd_end() || t[i].text.size() > 2 ||
            !std::all_of(t[i].text.begin(), t[i].text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
            t[i].text.empty()) {
            bypass(fmt::format("IDC3211I KEYWORD '{}' IS IMPROPER", which));
            return;
        }
        int v = std::stoi(t[i++].text);
        if (v > 16) {
            bypass(fmt::format("IDC3203I ITEM '{}' DOES NOT ADHERE TO RESTRICTIONS", v));
            return;
        }
        if (which == "MAXCC") {
            maxcc = v;
        } else {
            lastcc = v;
            maxcc = std::max(maxcc, v);
        }
    }

    bool condition(bool& ok) {
        ok = false;
        if (at_cmd_end()) {
            return false;
        }
        std::string which = t[i++].text;
        if (which != "LASTCC" && which != "MAXCC") {
            return false;
        }
        if (at_cmd_end()) {
            return false;
        }
        std::string op = t[i++].text;
        static const std::map<std::string, std::string> ops = {{"=", "EQ"}, {"EQ", "EQ"}, {"^=", "NE"}, {"!=", "NE"},
                                                               {"NE", "NE"}, {">", "GT"}, {"GT", "GT"}, {"<", "LT"},
                                                               {"LT", "LT"}, {">=", "GE"}, {"GE", "GE"}, {"<=", "LE"},
                                                               {"LE", "LE"}};
        auto it = ops.find(op);
        if (it == ops.end() || at_cmd_end() || t[i].text.empty() || t[i].text.size() > 2 ||
            !std::all_of(t[i].text.begin(), t[i].text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
            return false;
        }
        int v = std::stoi(t[i++].text);
        int cc = which == "LASTCC" ? lastcc : maxcc;
        ok = true;
        const auto& o = it->second;
        return o == "EQ" ? cc == v : o == "NE" ? cc != v : o == "GT" ? cc > v : o == "LT" ? cc < v : o == "GE" ? cc >= v : cc <= v;
    }

    /// THEN/ELSE clause: one command, a DO ... END group, or nothing.
    void clause(bool run) {
        if (at_cmd_end()) {
            // THEN at the end of a record: the command is on the next record, or null.
            if (i < t.size()) {
                ++i;
            }
            if (at_end() || t[i].text == "ELSE") {
                return;
            }
        }
        if (t[i].text == "DO") {
            ++i;
            skip_ends();
            while (!at_end() && t[i].text != "END") {
                command(run);
                skip_ends();
            }
            if (!at_end()) {
                ++i;
            }
            return;
        }
        command(run);
    }

    void cmd_if(bool run) {
        bool ok = false;
        bool value = condition(ok);
        if (!ok || at_cmd_end() || t[i].text != "THEN") {
            if (run) {
                bypass("IDC3205I DELIMITER 'IF' IS IMPROPER");
            } else {
                while (!at_cmd_end()) {
                    ++i;
                }
            }
            return;
        }
        ++i;
        clause(run && value);
        // ELSE on the next command
        std::size_t save = i;
        skip_ends();
        if (!at_end() && t[i].text == "ELSE") {
            ++i;
            clause(run && !value);
        } else {
            i = save;
        }
    }

    void command(bool run) {
        skip_ends();
        if (at_end()) {
            return;
        }
        if (++depth > 64) {
            bypass("IDC3211I KEYWORD 'IF' IS IMPROPER");
            --depth;
            return;
        }
        std::string verb = t[i++].text;
        if (verb == "IF") {
            cmd_if(run);
        } else if (!run) {
            while (!at_cmd_end()) {
                ++i;
            }
        } else if (verb == "DELETE" || verb == "DEL") {
            cmd_delete();
        } else if (verb == "REPRO") {
            cmd_repro();
        } else if (verb == "PRINT") {
            cmd_print();
        } else if (verb == "SET") {
            cmd_set();
        } else if (verb == "PARM") {
            while (!at_cmd_end()) {
                ++i;
            }
        } else {
            bypass(fmt::format("IDC3211I KEYWORD '{}' IS IMPROPER", verb.substr(0, 32)));
        }
        --depth;
    }
};

program_result idcams_program(const job_step&, step_io& io) {
    if (!io.has("SYSPRINT")) {
        io.system_message("IEC130I SYSPRINT DD STATEMENT MISSING");
        return {16, {}};
    }
    auto sysin = io.read("SYSIN");
    if (!sysin) {
        io.system_message("IEC130I SYSIN DD STATEMENT MISSING");
        io.write("SYSPRINT", {"IDC3003I FUNCTION TERMINATED. CONDITION CODE IS 16"});
        return {16, {}};
    }
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    idcams a{io, {}, {}, 0, 0, 0, 0};
    a.print.push_back(fmt::format("IDCAMS  SYSTEM SERVICES                                           TIME: {:02}:{:02}:{:02}",
                                  tm.tm_hour, tm.tm_min, tm.tm_sec));
    a.print.push_back("");
    std::vector<std::string> echo;
    a.t = idc_tokens(*sysin, echo);
    // Echo each command before its messages: commands are printed as read.
    for (const auto& e : echo) {
        a.print.push_back(e);
    }
    a.print.push_back("");
    while (!a.at_end()) {
        a.command(true);
        a.skip_ends();
    }
    a.print.push_back(fmt::format("IDC0002I IDCAMS PROCESSING COMPLETE. MAXIMUM CONDITION CODE WAS {}", a.maxcc));
    io.write("SYSPRINT", a.print);
    return {a.maxcc, {}};
}

// ---------------------------------------------------------------- BPXBATCH

std::vector<std::string> split_lines(const std::string& s) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < s.size()) {
        auto nl = s.find('\n', pos);
        if (nl == std::string::npos) {
            out.push_back(s.substr(pos));
            break;
        }
        out.push_back(s.substr(pos, nl - pos));
        pos = nl + 1;
    }
    return out;
}

program_result bpxbatch(const job_step& step, step_io& io) {
    std::string parm = step.parm;
    if (io.has("STDPARM")) {
        auto p = io.read("STDPARM");
        parm.clear();
        for (const auto& l : p.value_or(std::vector<std::string>{})) {
            std::string r = l;
            while (!r.empty() && r.back() == ' ') {
                r.pop_back();
            }
            parm += (parm.empty() ? "" : " ") + r;
        }
    }
    // PARM: SH [command] | PGM path [args]; nothing is SH.
    std::size_t lead = parm.find_first_not_of(' ');
    std::string p = lead == std::string::npos ? std::string() : parm.substr(lead);
    std::string kind = upper(p.substr(0, p.find(' ')));
    std::string rest = p.find(' ') == std::string::npos ? std::string() : p.substr(p.find(' ') + 1);
    if (kind.empty()) {
        kind = "SH";
    }
    if (kind != "SH" && kind != "PGM") {
        io.system_message(fmt::format("BPXM047I BPXBATCH FAILED BECAUSE AN INVALID PARAMETER WAS SPECIFIED: {}", kind.substr(0, 16)));
        return {254, {}};
    }
    std::vector<std::string> argv;
    if (kind == "SH") {
        argv = {"/bin/sh"};
        if (rest.find_first_not_of(' ') != std::string::npos) {
            argv.push_back("-c");
            argv.push_back(rest);
        }
    } else {
        std::size_t i = 0;
        while (i < rest.size()) {
            while (i < rest.size() && rest[i] == ' ') {
                ++i;
            }
            std::size_t j = rest.find(' ', i);
            if (i < rest.size()) {
                argv.push_back(rest.substr(i, j == std::string::npos ? std::string::npos : j - i));
            }
            i = j == std::string::npos ? rest.size() : j;
        }
        if (argv.empty()) {
            io.system_message("BPXM047I BPXBATCH FAILED BECAUSE AN INVALID PARAMETER WAS SPECIFIED: PGM");
            return {254, {}};
        }
    }
    // STDIN: a file (PATH or data set) or records written to an unnamed file.
    int in_fd = -1;
    std::FILE* tmp = nullptr;
    if (auto f = io.file_of("STDIN")) {
        in_fd = ::open(f->c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    } else if (io.has("STDIN")) {
        tmp = std::tmpfile();
        for (const auto& l : io.read("STDIN").value_or(std::vector<std::string>{})) {
            std::fputs((l + "\n").c_str(), tmp);
        }
        std::fflush(tmp);
        std::rewind(tmp);
        in_fd = ::dup(fileno(tmp));
        std::fclose(tmp);
    }
    if (in_fd < 0) {
        in_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    std::vector<std::string> env;
    for (const auto& l : io.read("STDENV").value_or(std::vector<std::string>{})) {
        std::string r = l;
        while (!r.empty() && r.back() == ' ') {
            r.pop_back();
        }
        if (r.find('=') != std::string::npos && r[0] != '#') {
            env.push_back(r);
        }
    }
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
        ::close(in_fd);
        io.system_message(fmt::format("BPXM036I BPXBATCH FAILED BECAUSE PIPE FAILED: {}", std::strerror(errno)));
        return {254, {}};
    }
    std::vector<char*> cargv;
    for (auto& a : argv) {
        cargv.push_back(a.data());
    }
    cargv.push_back(nullptr);
    std::vector<std::string> envs;
    for (char** e = environ; e && *e; ++e) {
        envs.emplace_back(*e);
    }
    envs.insert(envs.end(), env.begin(), env.end());
    std::vector<char*> cenv;
    for (auto& e : envs) {
        cenv.push_back(e.data());
    }
    cenv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) {
        ::close(in_fd);
        for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
            ::close(fd);
        }
        io.system_message(fmt::format("BPXM036I BPXBATCH FAILED BECAUSE FORK FAILED: {}", std::strerror(errno)));
        return {254, {}};
    }
    if (pid == 0) {
        ::dup2(in_fd, 0);
        ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        ::signal(SIGPIPE, SIG_DFL);
        ::execve(cargv[0], cargv.data(), cenv.data());
        const char* msg = "BPXBATCH: cannot run the program\n";
        (void)!::write(2, msg, std::strlen(msg));
        ::_exit(127);
    }
    ::close(in_fd);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    std::string out, err;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    int open_fds = 2;
    char buf[65536];
    while (open_fds > 0) {
        int n = ::poll(fds, 2, -1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            break;
        }
        for (int k = 0; k < 2; ++k) {
            if (fds[k].fd >= 0 && (fds[k].revents & (POLLIN | POLLHUP | POLLERR))) {
                ssize_t r = ::read(fds[k].fd, buf, sizeof buf);
                if (r > 0) {
                    (k == 0 ? out : err).append(buf, static_cast<std::size_t>(r));
                } else if (r == 0 || errno != EINTR) {
                    ::close(fds[k].fd);
                    fds[k].fd = -1;
                    --open_fds;
                }
            }
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    io.write("STDOUT", split_lines(out));
    io.write("STDERR", split_lines(err));
    if (WIFEXITED(status)) {
        return {WEXITSTATUS(status), {}};
    }
    if (WIFSIGNALED(status)) {
        return {128 + WTERMSIG(status), {}};
    }
    return {4095, {}};
}

}  // namespace

std::map<std::string, program> builtin_programs() {
    return {{"IEFBR14", iefbr14}, {"IEBGENER", iebgener}, {"ICEGENER", iebgener},
            {"IDCAMS", idcams_program}, {"BPXBATCH", bpxbatch}, {"BPXBATSL", bpxbatch}};
}

}  // namespace zplex::jes
