// SPDX-License-Identifier: Apache-2.0
// Statement dispatch, INCLUDE, error recovery, value helpers and the public entry points.
#include "processor.hpp"

#include <zplex/sysplex/text.hpp>
#include <zplex/tcpip/profile/parser.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>

#include <sys/stat.h>
#include <unistd.h>
#include <sstream>

namespace zplex::tcpip::profile::detail {

// ------------------------------------------------------------------ keywords

bool keyword_matches(std::string_view upper, std::string_view spelled) noexcept {
    // Most calls compare different words: reject on the first letter first.
    // ASCII only (profiles are), without the locale-aware <cctype> calls.
    if (upper.empty() || spelled.empty() || upper[0] != spelled[0] || upper.size() > spelled.size()) {
        return false;
    }
    std::size_t min = 0;
    while (min < spelled.size() && !(spelled[min] >= 'a' && spelled[min] <= 'z')) {
        ++min;
    }
    if (upper.size() < min) {
        return false;
    }
    for (std::size_t i = 1; i < upper.size(); ++i) {
        char s = spelled[i];
        if (s >= 'a' && s <= 'z') {
            s = static_cast<char>(s - 'a' + 'A');
        }
        if (upper[i] != s) {
            return false;
        }
    }
    return true;
}

std::string keyword_name(std::string_view spelled) { return sysplex::upper(spelled); }

std::string echo(std::string_view text, std::size_t max_len) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    std::size_t shown = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (shown >= max_len) {
            out += "...";
            break;
        }
        auto ch = static_cast<unsigned char>(text[i]);
        if (ch >= 0x20 && ch < 0x7f) {
            out += static_cast<char>(ch);
        } else {
            out += "X'";
            out += hex[ch >> 4];
            out += hex[ch & 15];
            out += '\'';
        }
        ++shown;
    }
    return out;
}

std::string where_text(const source_ref& w) {
    return "LINE " + std::to_string(w.line) + " OF " + w.dataset;
}

// ------------------------------------------------------------------ cursor

const token& cursor::peek() const {
    const token& t = _tokens[_pos];
    if (t.seqno) {
        throw statement_error{message{
            "EZZ0401I", severity::error,
            "SYNTAX ERROR IN FILE: " + _dataset + " ON LINE: " + std::to_string(t.line) + " AT: '" + echo(t.text) +
                "' - SEQUENCE NUMBER IN COLUMNS 73-80 (EDIT WITH NUMBER OFF)",
            source_ref{_dataset, t.line, t.column}}};
    }
    return t;
}

const token& cursor::next() {
    const token& t = peek();
    ++_pos;
    return t;
}

bool cursor::accept(std::string_view spelled) {
    if (!at_end() && !peek().quoted && keyword_matches(peek().upper, spelled)) {
        ++_pos;
        return true;
    }
    return false;
}

bool cursor::looking_at(std::string_view spelled) const noexcept {
    return !at_end() && !_tokens[_pos].quoted && keyword_matches(_tokens[_pos].upper, spelled);
}

source_ref cursor::here() const {
    if (_tokens.empty()) {
        return source_ref{_dataset, 1, 1};
    }
    const token& t = at_end() ? _tokens.back() : _tokens[_pos];
    return source_ref{_dataset, t.line, t.column};
}

// ------------------------------------------------------------------ statement tables


const processor::statement_list& processor::statement_table_top() {
    static const statement_list defs = {
        {"INCLUDE", &processor::st_include},
        {"VIPADynamic", &processor::st_vipadynamic},
        {"IPCONFig", &processor::st_ipconfig},
        {"IPCONFIG6", &processor::st_ipconfig6},
        {"GLOBALCONFig", &processor::st_globalconfig},
        {"TCPCONFig", &processor::st_tcpconfig},
        {"UDPCONFig", &processor::st_udpconfig},
        {"IPSEC", &processor::st_ipsec},
        {"DEVICE", &processor::st_device},
        {"LINK", &processor::st_link},
        {"INTERFACE", &processor::st_interface},
        {"HOME", &processor::st_home},
        {"BEGINRoutes", &processor::st_beginroutes},
        {"PORT", &processor::st_port},
        {"AUTOLOG", &processor::st_autolog},
        {"START", &processor::st_start_stop},
        {"STOP", &processor::st_start_stop},
    };
    return defs;
}

const processor::statement_list& processor::statement_table_vipadynamic() {
    static const statement_list defs = {
        {"VIPADEFine", &processor::vd_define},
        {"VIPABackup", &processor::vd_backup},
        {"VIPADELete", &processor::vd_delete},
        {"VIPADISTribute", &processor::vd_distribute},
        {"VIPARange", &processor::vd_range},
        {"VIPAROUTE", &processor::vd_route},
    };
    return defs;
}

bool processor::at_statement(const cursor& c, context ctx) const {
    const token* t = c.raw();
    if (!t || t->quoted) {
        return false;
    }
    auto any_of = [&](const statement_list& defs) {
        return std::any_of(defs.begin(), defs.end(),
                           [&](const auto& d) { return keyword_matches(t->upper, d.first); });
    };
    switch (ctx) {
    case context::top:
        return any_of(statement_table_top()) || is_recognised_statement(t->upper) ||
               removed_statement(t->upper).has_value();
    case context::vipadynamic:
        // A top-level statement also ends a parameter list (ENDVIPADYNAMIC is
        // missing); PORT is a VIPADISTRIBUTE parameter, not the PORT statement.
        return any_of(statement_table_vipadynamic()) || keyword_matches(t->upper, "VIPASMparms") ||
               keyword_matches(t->upper, "ENDVIPADynamic") || (t->upper != "PORT" && any_of(statement_table_top()));
    case context::ipsec:
        return keyword_matches(t->upper, "IPSECRule") || keyword_matches(t->upper, "IPSEC6Rule") ||
               t->upper == "ENDIPSEC" || any_of(statement_table_top());
    case context::routes:
        return t->upper == "ROUTE" || keyword_matches(t->upper, "ENDRoutes");
    case context::autolog:
        return t->upper == "ENDAUTOLOG" || at_statement(c, context::top);
    }
    return false;
}

// ------------------------------------------------------------------ messages

void processor::fail_expected(const cursor& c, std::string_view expected) const {
    if (c.at_end()) {
        auto w = c.here();
        throw statement_error{message{"EZZ0318I", severity::error,
                                      "END OF FILE FOUND ON LINE " + std::to_string(w.line) + " OF " + c.dataset() +
                                          " WHEN " + std::string(expected) + " WAS EXPECTED",
                                      w}};
    }
    const token& t = c.peek();
    throw statement_error{message{"EZZ0318I", severity::error,
                                  "'" + echo(t.text) + "' FOUND ON LINE " + std::to_string(t.line) + " COLUMN " +
                                      std::to_string(t.column) + " OF " + c.dataset() + " WHEN " +
                                      std::string(expected) + " WAS EXPECTED",
                                  c.at(t)}};
}

void processor::fail_value(const cursor& c, const token& t, std::string_view param, std::string_view reason) const {
    throw statement_error{message{"EZZ0319I", severity::error,
                                  "INCORRECT VALUE '" + echo(t.text) + "' FOR " + std::string(param) + " ON LINE " +
                                      std::to_string(t.line) + " COLUMN " + std::to_string(t.column) + " OF " +
                                      c.dataset() + ": " + std::string(reason),
                                  c.at(t)}};
}

void processor::fail_at(const cursor& c, const token& t, std::string id, std::string text) const {
    throw statement_error{message{std::move(id), severity::error, std::move(text), c.at(t)}};
}

void processor::warn(const cursor& c, const token& t, std::string id, std::string text) {
    _log.add(std::move(id), severity::warning, std::move(text), c.at(t));
}

void processor::note(const cursor& c, const token& t, std::string id, std::string text) {
    _log.add(std::move(id), severity::info, std::move(text), c.at(t));
}

void processor::set_initial_only(const cursor& c, const token& t, std::string_view statement, bool& on) {
    if (!initial() && !on) {
        warn(c, t, "ZPX0107I",
             std::string(statement) + " IPSECURITY " + line_of(c, t) + " IGNORED: IT IS VALID ONLY IN THE INITIAL PROFILE");
    } else {
        on = true;
    }
}

// ------------------------------------------------------------------ values

bool processor::is_number(const token& t) const {
    return !t.text.empty() && !t.quoted && t.text.find_first_not_of("0123456789") == std::string::npos;
}

ipv4_address processor::expect_ipv4(cursor& c, std::string_view what) const {
    if (c.at_end()) {
        fail_expected(c, what);
    }
    const token& t = c.peek();
    auto a = ipv4_address::parse_profile(t.text);
    if (!a) {
        if (t.text.find(':') != std::string::npos) {
            fail_value(c, t, what, "IPV6 ADDRESSES ARE NOT EMULATED");
        }
        if (std::isdigit(static_cast<unsigned char>(t.text[0]))) {
            fail_value(c, t, what, "NOT A VALID IPV4 ADDRESS");
        }
        fail_expected(c, what);
    }
    c.skip();
    return *a;
}

std::uint8_t processor::expect_mask(cursor& c, std::string_view what) const {
    if (c.at_end()) {
        fail_expected(c, what);
    }
    const token& t = c.peek();
    auto a = ipv4_address::parse_profile(t.text);
    if (!a) {
        fail_expected(c, what);
    }
    auto p = mask_to_prefix(*a);
    if (!p) {
        fail_value(c, t, what, "MASK BITS ARE NOT CONTIGUOUS");
    }
    c.skip();
    return *p;
}

std::pair<ipv4_address, std::uint8_t> processor::expect_cidr(cursor& c, std::string_view what) const {
    if (c.at_end()) {
        fail_expected(c, what);
    }
    const token& t = c.peek();
    if (t.text.find('/') != std::string::npos) {
        auto r = parse_cidr_profile(t.text);
        if (!r) {
            fail_value(c, t, what, "NOT A VALID ADDRESS/PREFIX LENGTH");
        }
        c.skip();
        return *r;
    }
    return {expect_ipv4(c, what), std::uint8_t{32}};
}

std::uint32_t processor::expect_number(cursor& c, std::string_view what, std::uint32_t lo, std::uint32_t hi) const {
    if (c.at_end()) {
        fail_expected(c, what);
    }
    const token& t = c.peek();
    if (!is_number(t)) {
        fail_expected(c, what);
    }
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
    if (ec != std::errc{} || v < lo || v > hi) {
        fail_value(c, t, what, "NOT IN THE RANGE " + std::to_string(lo) + " TO " + std::to_string(hi));
    }
    c.skip();
    return static_cast<std::uint32_t>(v);
}

std::uint32_t processor::expect_size(cursor& c, std::string_view what, std::uint32_t lo, std::uint32_t hi) const {
    if (c.at_end()) {
        fail_expected(c, what);
    }
    const token& t = c.peek();
    std::string digits = t.upper;
    std::uint64_t mult = 1;
    if (!digits.empty() && (digits.back() == 'K' || digits.back() == 'M')) {
        mult = digits.back() == 'K' ? 1024 : 1024 * 1024;
        digits.pop_back();
    }
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || t.quoted) {
        fail_expected(c, what);
    }
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc{} || v > hi || v * mult < lo || v * mult > hi) {
        fail_value(c, t, what, "NOT IN THE RANGE " + std::to_string(lo) + " TO " + std::to_string(hi));
    }
    c.skip();
    return static_cast<std::uint32_t>(v * mult);
}

std::string processor::expect_name(cursor& c, std::string_view what, std::size_t max_len) const {
    if (c.at_end()) {
        fail_expected(c, what);
    }
    const token& t = c.peek();
    if (t.quoted || t.upper.empty()) {
        fail_expected(c, what);
    }
    if (t.upper.size() > max_len) {
        fail_value(c, t, what, "LONGER THAN " + std::to_string(max_len) + " CHARACTERS");
    }
    for (char ch : t.upper) {
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '@' && ch != '#' && ch != '$' && ch != '_' &&
            ch != '-' && ch != '*') {
            fail_value(c, t, what, "NOT A VALID NAME");
        }
    }
    c.skip();
    return t.upper;
}

// ------------------------------------------------------------------ dispatch

void processor::skip_statement(cursor& c, context ctx) {
    while (!c.at_end() && !at_statement(c, ctx)) {
        c.skip();
    }
}

void processor::skip_block(cursor& c, std::string_view end_spelled, const token& start) {
    while (!c.at_end()) {
        const token* t = c.raw();
        c.skip();
        if (!t->quoted && keyword_matches(t->upper, end_spelled)) {
            return;
        }
    }
    missing_end(c, keyword_name(end_spelled), start);
}

void processor::missing_end(const cursor& c, std::string_view end_name, const token& start) {
    _log.add("EZZ0318I", severity::error,
             "END OF FILE FOUND ON LINE " + std::to_string(c.last_line()) + " OF " + c.dataset() + " WHEN " +
                 std::string(end_name) + " WAS EXPECTED FOR " + start.upper + " ON LINE " + std::to_string(start.line),
             c.at(start));
}

void processor::statement(cursor& c) {
    const token& kw = c.next();
    for (const auto& d : statement_table_top()) {
        if (!kw.quoted && keyword_matches(kw.upper, d.first)) {
            (this->*d.second)(c, kw);
            return;
        }
    }
    if (!kw.quoted && is_recognised_statement(kw.upper)) {
        st_recognised(c, kw);
        return;
    }
    std::string hint;
    for (const auto& d : statement_table_vipadynamic()) {
        if (keyword_matches(kw.upper, d.first)) {
            hint = " (VALID ONLY BETWEEN VIPADYNAMIC AND ENDVIPADYNAMIC)";
        }
    }
    if (keyword_matches(kw.upper, "IPSECRule")) {
        hint = " (VALID ONLY BETWEEN IPSEC AND ENDIPSEC)";
    }
    if (auto why = kw.quoted ? std::nullopt : removed_statement(kw.upper)) {
        hint = " (" + std::string(*why) + ")";
    }
    fail_at(c, kw, "EZZ0324I",
            "UNRECOGNIZED STATEMENT " + echo(kw.text) + " FOUND ON LINE " + std::to_string(kw.line) + " COLUMN " +
                std::to_string(kw.column) + " OF " + c.dataset() + hint);
}

void processor::process(cursor& c) {
    while (!c.at_end()) {
        try {
            statement(c);
        } catch (const statement_error& e) {
            _log.add(e.msg);
            // Resynchronise at the next statement: the rest of this one (or of
            // its list) is ignored, as z/OS does.
            if (!c.at_end()) {
                const token* t = c.raw();
                if (t && t->seqno) {
                    c.skip();
                }
            }
            skip_statement(c, context::top);
        }
    }
}

void processor::run_text(std::string_view text, const std::string& name) {
    auto tokens = tokenize(text, name, _opts.symbols, _log);
    cursor c(std::move(tokens), name);
    process(c);
}

bool processor::run_dataset(std::string_view ref, std::string_view what, const source_ref* from) {
    std::string why;
    std::optional<std::pair<std::string, std::string>> got;
    if (_opts.reader) {
        got = _opts.reader(ref, why);
    } else {
        why = "NO DATA SET READER";
    }
    if (!got) {
        std::string at = from ? " ON LINE " + std::to_string(from->line) + " OF " + from->dataset : "";
        _log.add("EZZ0325I", severity::error,
                 "UNABLE TO OPEN " + std::string(what) + " FILE '" + echo(ref, 255) + "'" + at + ": " + why,
                 from ? *from : source_ref{});
        return false;
    }
    auto& [text, name] = *got;
    if (what == "INCLUDE") {
        _include_bytes += text.size();
        if (_include_bytes > _opts.max_include_bytes) {
            std::string at = from ? " ON LINE " + std::to_string(from->line) + " OF " + from->dataset : "";
            _log.add("ZPX0112I", severity::error,
                     "INCLUDE FILE " + name + at + " NOT PROCESSED: THE INCLUDED FILES OF THIS PROFILE EXCEED " +
                         std::to_string(_opts.max_include_bytes) + " BYTES",
                     from ? *from : source_ref{});
            return false;
        }
    }
    _log.add("EZZ0300I", severity::info, "OPENED " + std::string(what) + " FILE " + name);
    if (what != "INCLUDE") {
        _log.add("EZZ0309I", severity::info, "PROFILE PROCESSING BEGINNING FOR " + name);
    }
    run_text(text, name);
    _log.add("EZZ0316I", severity::info, "PROFILE PROCESSING COMPLETE FOR FILE " + name);
    return true;
}

void processor::st_include(cursor& c, const token& kw) {
    if (c.at_end() || at_statement(c, context::top)) {
        fail_expected(c, "A DATA SET NAME AFTER INCLUDE");
    }
    const token& ds = c.next();
    if (_depth >= _opts.max_include_depth) {
        fail_at(c, ds, "ZPX0101I",
                "INCLUDE '" + echo(ds.text, 255) + "' ON LINE " + std::to_string(ds.line) + " OF " + c.dataset() +
                    " NESTS DEEPER THAN " + std::to_string(_opts.max_include_depth) +
                    " LEVELS (AN INCLUDE LOOP?): NOT PROCESSED");
    }
    if (!c.at_end() && !at_statement(c, context::top)) {
        fail_expected(c, "A STATEMENT AFTER THE INCLUDE DATA SET NAME");
    }
    if (_includes >= _opts.max_includes) {
        fail_at(c, ds, "ZPX0111I",
                "INCLUDE '" + echo(ds.text, 255) + "' ON LINE " + std::to_string(ds.line) + " OF " + c.dataset() +
                    " NOT PROCESSED: MORE THAN " + std::to_string(_opts.max_includes) +
                    " INCLUDE STATEMENTS IN ONE PROFILE");
    }
    ++_includes;
    (void)kw;
    ++_depth;
    source_ref from = c.at(ds);
    run_dataset(ds.text, "INCLUDE", &from);
    --_depth;
}

// ------------------------------------------------------------------ start/stop

void processor::st_start_stop(cursor& c, const token& kw) {
    if (c.at_end()) {
        fail_expected(c, "A DEVICE OR INTERFACE NAME");
    }
    const token& nt = c.peek();
    auto name = expect_name(c, "A DEVICE OR INTERFACE NAME", 16);
    if (!_cfg.find_device(name) && !_cfg.find_interface(name)) {
        std::string why = _rejected.count("DEVICE " + name)      ? undefined_text("DEVICE", name, "")
                          : _rejected.count("INTERFACE " + name) ? undefined_text("INTERFACE", name, "")
                                                                 : "DEVICE OR INTERFACE " + name +
                                                                       " IS NOT DEFINED (DEVICE OR INTERFACE MUST "
                                                                       "COME BEFORE " + kw.upper + ")";
        fail_value(c, nt, kw.upper, why);
    }
    if (kw.upper == "START") {
        if (std::find(_cfg.started.begin(), _cfg.started.end(), name) == _cfg.started.end()) {
            _cfg.started.push_back(name);
        }
    } else {
        _cfg.started.erase(std::remove(_cfg.started.begin(), _cfg.started.end(), name), _cfg.started.end());
    }
    if (more_parameters(c, context::top)) {
        fail_expected(c, "A STATEMENT");
    }
}

// ------------------------------------------------------------------ end checks

void processor::finish_initial() {
    auto add = [&](std::string id, severity s, std::string text, source_ref w = {}) {
        _log.add(std::move(id), s, std::move(text), std::move(w));
    };
    if (_cfg.ipsec.present && !_cfg.ipconfig.ipsecurity) {
        add("ZPX0120I", severity::warning,
            "IPSEC STATEMENT ON " + where_text(_cfg.ipsec.where) +
                " IGNORED: IPCONFIG IPSECURITY IS NOT SPECIFIED",
            _cfg.ipsec.where);
        _cfg.ipsec = ipsec_config{};
    }
    // IPSEC6RULEs also need IPCONFIG6 IPSECURITY, wherever it is in the profile.
    drop_ipsec6_without_ipsecurity(_cfg.ipsec);
    if (!_cfg.distributions.empty() && !_cfg.ipconfig.dynamic_xcf) {
        add("ZPX0121I", severity::warning,
            "VIPADISTRIBUTE FOR " + _cfg.distributions.front().address.str() +
                " NEEDS IPCONFIG DYNAMICXCF: NO TARGET CAN BE REACHED",
            _cfg.distributions.front().where);
    }
    if (!_cfg.distributions6.empty() && _cfg.ipconfig6.dynamic_xcf.empty()) {
        add("ZPX0121I", severity::warning,
            "VIPADISTRIBUTE FOR " + _cfg.distributions6.front().address +
                " NEEDS IPCONFIG6 DYNAMICXCF: NO TARGET CAN BE REACHED",
            _cfg.distributions6.front().where);
    }
    auto wlm_check = [&](const auto& list, auto key) {
        for (const auto& d : list) {
            if ((d.method == dist_method::basewlm || d.method == dist_method::serverwlm) &&
                !_cfg.ipconfig.sysplex_routing) {
                add("ZPX0122I", severity::warning,
                    "VIPADISTRIBUTE " + std::string(to_string(d.method)) + " FOR " + key(d) + " ON " +
                        where_text(d.where) + " GETS NO WLM WEIGHTS WITHOUT IPCONFIG SYSPLEXROUTING",
                    d.where);
                return true;
            }
        }
        return false;
    };
    if (!wlm_check(_cfg.distributions, [](const distribution_config& d) { return d.address.str(); })) {
        wlm_check(_cfg.distributions6, [](const distribution6_config& d) { return d.address; });
    }
    if (_cfg.ipconfig.tcpstack_source_vipa) {
        auto a = *_cfg.ipconfig.tcpstack_source_vipa;
        if (!_cfg.ipconfig.source_vipa) {
            add("ZPX0123I", severity::warning, "TCPSTACKSOURCEVIPA " + a.str() + " HAS NO EFFECT WITHOUT SOURCEVIPA");
        }
        if (_cfg.ipsec.dvipsec && !_cfg.distributions_of(a).empty()) {
            add("ZPX0124I", severity::warning,
                "TCPSTACKSOURCEVIPA " + a.str() +
                    " IS A DISTRIBUTED DVIPA WITH DVIPSEC: NO SA CAN BE NEGOTIATED FROM THE DVIPA TO ITSELF");
        }
    }
}

}  // namespace zplex::tcpip::profile::detail

// ====================================================================== public API

namespace zplex::tcpip::profile {

dataset_reader catalogue_reader(const sysplex::dataset_catalogue& catalogue) {
    return [&catalogue](std::string_view ref, std::string& why)
               -> std::optional<std::pair<std::string, std::string>> {
        auto path = catalogue.resolve(ref, &why);
        if (!path) {
            std::error_code ec;
            if (!sysplex::looks_like_dataset_name(ref) && std::filesystem::is_directory(std::string(ref), ec)) {
                why = "IT IS A DIRECTORY, NOT A FILE";
            }
            return std::nullopt;
        }
        struct stat st {};
        if (::lstat(path->c_str(), &st) == 0 && S_ISLNK(st.st_mode) && st.st_uid != ::geteuid()) {
            why = "IT IS A SYMBOLIC LINK OWNED BY ANOTHER USER: NOT FOLLOWED";
            return std::nullopt;
        }
        std::ifstream in(*path, std::ios::binary);
        if (!in) {
            why = "CANNOT READ " + path->string();
            return std::nullopt;
        }
        std::ostringstream ss;
        ss << in.rdbuf();
        std::string name;
        if (sysplex::looks_like_dataset_name(ref)) {
            name = "'" + sysplex::parse_dataset_name(ref)->str() + "'";
        } else {
            name = path->string();
        }
        return std::make_pair(ss.str(), name);
    };
}

profile process_initial_profile(std::string_view ref, const parse_options& options, message_log& log) {
    profile p;
    parse_options o = options;
    o.kind = processing_kind::initial;
    detail::processor proc(p, o, log);
    if (proc.run_dataset(ref, "PROFILE", nullptr)) {
        proc.finish_initial();
    }
    return p;
}

profile process_initial_text(std::string_view text, std::string_view name, const parse_options& options,
                             message_log& log) {
    profile p;
    parse_options o = options;
    o.kind = processing_kind::initial;
    detail::processor proc(p, o, log);
    std::string n(name);
    log.add("EZZ0309I", severity::info, "PROFILE PROCESSING BEGINNING FOR " + n);
    proc.run_text(text, n);
    log.add("EZZ0316I", severity::info, "PROFILE PROCESSING COMPLETE FOR FILE " + n);
    proc.finish_initial();
    return p;
}

void apply_obeyfile(profile& running, std::string_view ref, const parse_options& options, message_log& log) {
    parse_options o = options;
    o.kind = processing_kind::obeyfile;
    detail::processor proc(running, o, log);
    proc.run_dataset(ref, "OBEYFILE", nullptr);
}

void apply_obeyfile_text(profile& running, std::string_view text, std::string_view name,
                         const parse_options& options, message_log& log) {
    parse_options o = options;
    o.kind = processing_kind::obeyfile;
    detail::processor proc(running, o, log);
    std::string n(name);
    log.add("EZZ0309I", severity::info, "PROFILE PROCESSING BEGINNING FOR " + n);
    proc.run_text(text, n);
    log.add("EZZ0316I", severity::info, "PROFILE PROCESSING COMPLETE FOR FILE " + n);
}

void syntax_check(std::string_view ref, const parse_options& options, message_log& log) {
    log.add("EZZ0061I", severity::info, "SYNTAXCHECK COMMAND BEGINNING FOR FILE '" + std::string(ref) + "'");
    message_log inner;
    profile scratch;
    parse_options o = options;
    o.kind = processing_kind::syntaxcheck;
    detail::processor proc(scratch, o, inner);
    proc.run_dataset(ref, "PROFILE", nullptr);
    for (const auto& m : inner.messages()) {
        log.add(m);
    }
    if (inner.count(severity::error) == 0) {
        log.add("EZZ0062I", severity::info, "SYNTAXCHECK COMMAND FOUND NO ERRORS");
    }
    log.add("EZZ0065I", severity::info, "SYNTAXCHECK COMMAND COMPLETE FOR FILE '" + std::string(ref) + "'");
}

}  // namespace zplex::tcpip::profile
