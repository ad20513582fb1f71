// SPDX-License-Identifier: Apache-2.0
// What ZPXOPER, ZPXTRAF and ZPXFAULT share: SYSIN statements, the SYSPRINT report, the
// console of the run and the watch on its logs (WAIT FOR).
#include "batch.hpp"

#include <zplex/sysplex/text.hpp>

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <thread>

namespace zplex::cli::batch {

namespace fs = std::filesystem;

bool read_sysin(const std::vector<std::string>& records, std::vector<sysin_statement>& out, std::string& why) {
    std::string pending;
    int start = 0;
    auto flush = [&](int line) -> bool {
        sysin_statement st;
        st.line = start;
        st.text = pending.substr(std::min(pending.size(), pending.find_first_not_of(' ')));
        std::string word;
        bool in_word = false, quoted = false;
        for (std::size_t i = 0; i < pending.size(); ++i) {
            char ch = pending[i];
            if (ch == '\'') {
                if (!in_word) {
                    in_word = true;
                    quoted = true;
                    // a quoted word: up to the closing quote, '' is one quote
                    std::string q;
                    std::size_t j = i + 1;
                    bool closed = false;
                    for (; j < pending.size(); ++j) {
                        if (pending[j] == '\'') {
                            if (j + 1 < pending.size() && pending[j + 1] == '\'') {
                                q += '\'';
                                ++j;
                                continue;
                            }
                            closed = true;
                            break;
                        }
                        q += pending[j];
                    }
                    if (!closed) {
                        why = fmt::format("ZPX0600E SYSIN RECORD {}: A QUOTED STRING IS NOT CLOSED", line);
                        return false;
                    }
                    word += q;
                    i = j;
                    continue;
                }
            }
            if (ch == ' ' || ch == ',') {
                if (in_word) {
                    st.words.push_back(word);
                    st.quoted.push_back(quoted);
                }
                word.clear();
                in_word = quoted = false;
                continue;
            }
            if (!in_word) in_word = true;
            word += quoted ? ch : sysplex::upper(std::string_view(&ch, 1)).front();
        }
        if (in_word) {
            st.words.push_back(word);
            st.quoted.push_back(quoted);
        }
        if (!st.words.empty()) out.push_back(std::move(st));
        pending.clear();
        return true;
    };
    for (std::size_t n = 0; n < records.size(); ++n) {
        std::string r = records[n].substr(0, 71);
        if (pending.empty() && (r.rfind('*', 0) == 0 || r.rfind("/*", 0) == 0)) continue;
        while (!r.empty() && r.back() == ' ') r.pop_back();
        if (pending.empty()) start = static_cast<int>(n + 1);
        bool more = r.size() >= 2 && r.back() == '-' && r[r.size() - 2] == ' ';
        if (more) r.pop_back();
        pending += (pending.empty() ? "" : " ") + r;
        if (!more && !flush(static_cast<int>(n + 1))) return false;
    }
    if (!pending.empty()) return flush(static_cast<int>(records.size()));
    return true;
}

std::optional<std::vector<sysin_statement>> step_statements(jes::step_io& io, report& rep, const char* program) {
    auto records = io.read("SYSIN");
    if (!records) {
        io.system_message("IEC130I SYSIN DD STATEMENT MISSING");
        rep.say(fmt::format("ZPX0601E {} NEEDS SYSIN: THE STATEMENTS OF THE STEP", program));
        rep.raise(16);
        return std::nullopt;
    }
    std::vector<sysin_statement> out;
    std::string why;
    if (!read_sysin(*records, out, why)) {
        rep.say(why);
        rep.raise(12);
        return std::nullopt;
    }
    return out;
}

jes::program_result end_report(jes::step_io& io, report& rep, const char* program) {
    rep.say(fmt::format("ZPX0609I {} ENDED: {} EXPECTATION(S), {} NOT MET, RC={:02}", program, rep.expectations,
                        rep.failed, rep.rc));
    if (!io.has("SYSPRINT")) {
        io.system_message("IEC130I SYSPRINT DD STATEMENT MISSING");
        return {16, {}};
    }
    io.write("SYSPRINT", rep.lines);
    return {rep.rc, {}};
}

std::optional<console> open_console(const context& c, report& rep, const char* program) {
    answer why;
    auto con = console::open(c.run_dir, c.sysplex_dir, why);
    if (!con) {
        std::string t = why.text;
        while (!t.empty() && t.back() == '\n') t.pop_back();
        rep.say(fmt::format("ZPX0602E {} FOUND NO RUNNING SYSPLEX: {}", program, t));
        rep.raise(12);
    }
    return con;
}

bool number(const std::string& w, long lo, long hi, long& out) {
    long v = 0;
    auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
    if (ec != std::errc() || p != w.data() + w.size() || v < lo || v > hi) return false;
    out = v;
    return true;
}

// ---------------------------------------------------------------- log_watch

log_watch::log_watch(const console& c) {
    for (const auto& p : c.r.processes) {
        if (p.kind == "writer" || p.log.empty()) continue;
        source s;
        s.file = c.dir / p.log;
        std::error_code ec;
        s.offset = fs::file_size(s.file, ec);
        if (ec) s.offset = 0;
        bool dup = false;
        for (const auto& o : _sources) dup = dup || o.file == s.file;
        if (!dup) _sources.push_back(s);
    }
}

std::string log_watch::stamp_of(const std::string& line) {
    // 2026-12-03 06:49:22.123 (the log writer's, run_support.hpp)
    static constexpr std::string_view form = "dddd-dd-dd dd:dd:dd.ddd";
    if (line.size() < form.size()) return {};
    for (std::size_t i = 0; i < form.size(); ++i) {
        const bool digit = line[i] >= '0' && line[i] <= '9';
        if (form[i] == 'd' ? !digit : line[i] != form[i]) return {};
    }
    return line.substr(0, form.size());
}

void log_watch::poll() {
    for (auto& s : _sources) {
        std::ifstream in(s.file, std::ios::binary);
        if (!in) continue;
        in.seekg(static_cast<std::streamoff>(s.offset));
        std::string line;
        while (std::getline(in, line)) {
            if (in.eof()) break;  // a line still being written
            s.offset = static_cast<std::uintmax_t>(in.tellg());
            if (auto st = stamp_of(line); !st.empty()) s.stamp = st;
            _seen.push_back({s.stamp, line});
        }
    }
}

std::optional<std::string> log_watch::wait_for(const std::string& msgid, const std::string& text,
                                               std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        poll();
        seen* best = nullptr;
        for (auto& l : _seen) {
            if (l.found || (best && l.stamp >= best->stamp)) continue;
            if (l.text.find(msgid) != std::string::npos && (text.empty() || l.text.find(text) != std::string::npos))
                best = &l;
        }
        if (best) {
            best->found = true;
            return best->text;
        }
        if (std::chrono::steady_clock::now() >= until) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

}  // namespace zplex::cli::batch
