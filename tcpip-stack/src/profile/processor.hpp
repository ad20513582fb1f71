// SPDX-License-Identifier: Apache-2.0
// The profile processor: statement dispatch, blocks, INCLUDE, and the value helpers
// the statement families (one .cpp each) share.
#pragma once

#include "lexer.hpp"

#include <zplex/tcpip/profile/parser.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace zplex::tcpip::profile::detail {

/// True if @p upper (a folded token) is an accepted spelling of @p spelled, a
/// keyword as syntax diagrams print it: the upper-case part is the minimum
/// abbreviation, the lower-case rest optional (VIPADEFine: VIPADEF..VIPADEFINE).
bool keyword_matches(std::string_view upper, std::string_view spelled) noexcept;

/// The keyword's full upper-case name (VIPADEFine -> VIPADEFINE).
std::string keyword_name(std::string_view spelled);

/// Thrown inside a statement parser; the dispatcher logs it and resynchronises.
struct statement_error {
    message msg;
};

/// Tokens of one dataset with a read position.
class cursor {
public:
    cursor(std::vector<token> tokens, std::string dataset)
        : _tokens(std::move(tokens)), _dataset(std::move(dataset)) {}

    bool at_end() const noexcept { return _pos >= _tokens.size(); }
    /// The current token. A sequence number in columns 73-80 is an error here,
    /// wherever the grammar is. Precondition: !at_end().
    const token& peek() const;
    const token& next();
    /// Consume the current token if it spells @p spelled.
    bool accept(std::string_view spelled);
    /// True if the current token spells @p spelled (no sequence-number check).
    bool looking_at(std::string_view spelled) const noexcept;
    /// The current token without the sequence-number check, or null at the end.
    const token* raw() const noexcept { return at_end() ? nullptr : &_tokens[_pos]; }
    void skip() noexcept { ++_pos; }
    /// The token just consumed, or null at the start.
    const token* raw_prev() const noexcept { return _pos ? &_tokens[_pos - 1] : nullptr; }
    /// The token just consumed. Precondition: a token was consumed.
    const token& prev() const noexcept { return _tokens[_pos - 1]; }

    const std::string& dataset() const noexcept { return _dataset; }
    /// Where the current token is (or the last token, at the end).
    source_ref here() const;
    source_ref at(const token& t) const { return source_ref{_dataset, t.line, t.column}; }
    int last_line() const noexcept { return _tokens.empty() ? 1 : _tokens.back().line; }

private:
    std::vector<token> _tokens;
    std::size_t _pos = 0;
    std::string _dataset;
};

/// Which set of statement keywords ends a parameter list.
enum class context : std::uint8_t { top, vipadynamic, ipsec, routes, autolog };

class processor {
public:
    processor(profile& cfg, const parse_options& options, message_log& log)
        : _cfg(cfg), _opts(options), _log(log) {}

    /// Open @p ref through the reader and process it; @p what is PROFILE,
    /// INCLUDE or OBEYFILE for EZZ0300I. Returns false if it could not be opened.
    bool run_dataset(std::string_view ref, std::string_view what, const source_ref* from);
    /// Process text already read.
    void run_text(std::string_view text, const std::string& name);
    /// Cross-statement checks at the end of an initial profile.
    void finish_initial();

    // ---- shared helpers (used by the statement families) ----
    [[noreturn]] void fail_expected(const cursor& c, std::string_view expected) const;
    [[noreturn]] void fail_value(const cursor& c, const token& t, std::string_view param,
                                 std::string_view reason) const;
    [[noreturn]] void fail_at(const cursor& c, const token& t, std::string id, std::string text) const;
    void warn(const cursor& c, const token& t, std::string id, std::string text);
    void note(const cursor& c, const token& t, std::string id, std::string text);
    /// IPCONFIG[6] IPSECURITY at token @p t: sets @p on in the initial profile; an
    /// OBEYFILE cannot turn it on (ZPX0107I, naming @p statement).
    void set_initial_only(const cursor& c, const token& t, std::string_view statement, bool& on);

    bool at_statement(const cursor& c, context ctx) const;
    bool more_parameters(const cursor& c, context ctx) const { return !c.at_end() && !at_statement(c, ctx); }

    ipv4_address expect_ipv4(cursor& c, std::string_view what) const;
    std::uint8_t expect_mask(cursor& c, std::string_view what) const;
    /// addr/len or addr (then /32); used by INTERFACE IPADDR and ROUTE.
    std::pair<ipv4_address, std::uint8_t> expect_cidr(cursor& c, std::string_view what) const;
    std::uint32_t expect_number(cursor& c, std::string_view what, std::uint32_t lo, std::uint32_t hi) const;
    /// A buffer size: n, nK or nM.
    std::uint32_t expect_size(cursor& c, std::string_view what, std::uint32_t lo, std::uint32_t hi) const;
    std::string expect_name(cursor& c, std::string_view what, std::size_t max_len) const;
    bool is_number(const token& t) const;

    bool initial() const noexcept { return _opts.kind != processing_kind::obeyfile; }
    profile& cfg() noexcept { return _cfg; }

private:
    void process(cursor& c);
    void statement(cursor& c);
    void skip_statement(cursor& c, context ctx);
    void skip_block(cursor& c, std::string_view end_spelled, const token& start);

    // statement families
    void st_include(cursor& c, const token& kw);
    void st_vipadynamic(cursor& c, const token& kw);
    void st_ipconfig(cursor& c, const token& kw);
    void st_globalconfig(cursor& c, const token& kw);
    void st_tcpconfig(cursor& c, const token& kw);
    void st_udpconfig(cursor& c, const token& kw);
    void st_ipconfig6(cursor& c, const token& kw);
    // IPv6 DVIPA forms (ipv6.cpp); @p intf is the interface-name token, not yet consumed.
    void vd_dvipa6(cursor& c, const token& intf, const dvipa_config& v4, const std::string& stmt);
    void vd_delete6(cursor& c, const token& intf);
    void vd_range6(cursor& c, const token& intf, bool del, bool nondisruptive);
    void st_ipsec(cursor& c, const token& kw);
    void st_device(cursor& c, const token& kw);
    void st_link(cursor& c, const token& kw);
    // DEVICE/LINK helpers (devices.cpp)
    void device_body(cursor& c, device_config& d, const token& nt);
    void link_body(cursor& c, link_config& l, const token& nt);
    std::uint8_t expect_adapter(cursor& c, std::string_view stmt, std::uint32_t hi) const;
    std::string accept_mac(cursor& c) const;
    inbound_perf expect_inbperf(cursor& c, bool& workloadq) const;
    read_storage expect_readstorage(cursor& c) const;
    void interface_body(cursor& c, interface_config& i, const token& nt);
    std::uint8_t expect_chpid(cursor& c) const;
    /// IPv6 addresses or prefixes (addr, addr/len) while the tokens hold a colon.
    std::vector<std::string> expect_ipv6_list(cursor& c) const;
    /// A DEVICE, LINK or INTERFACE whose statement was rejected: later references say so.
    void reject_name(std::string_view kind, const std::string& name, const source_ref& where);
    /// `kind NAME IS NOT DEFINED (rule)`, or `kind NAME WAS REJECTED ON LINE n OF dsn`.
    std::string undefined_text(std::string_view kind, const std::string& name, std::string_view rule) const;
    void st_interface(cursor& c, const token& kw);
    void st_home(cursor& c, const token& kw);
    void st_beginroutes(cursor& c, const token& kw);
    void st_port(cursor& c, const token& kw);
    void st_autolog(cursor& c, const token& kw);
    void st_start_stop(cursor& c, const token& kw);
    /// A statement recognised but not emulated: warned, its own operands consumed (recognised.cpp).
    void st_recognised(cursor& c, const token& kw);

    // VIPADYNAMIC sub-statements (vipadynamic.cpp)
    void vd_define(cursor& c, const token& kw);
    void vd_backup(cursor& c, const token& kw);
    void vd_define_or_backup(cursor& c, const token& kw, vipa_origin origin);
    /// EZZ0318I for a block whose END keyword never came.
    void missing_end(const cursor& c, std::string_view end_name, const token& start);
    void vd_delete(cursor& c, const token& kw);
    void vd_distribute(cursor& c, const token& kw);
    void vd_range(cursor& c, const token& kw);
    void vd_route(cursor& c, const token& kw);
    std::vector<port_range> vd_ports(cursor& c);

    // IPSEC block helpers (ipsec.cpp)
    ipsec_rule_config ipsec_rule(cursor& c, const token& kw);
    ipsec6_rule_config ipsec6_rule(cursor& c, const token& kw);
    void filter_options(cursor& c, const token& kw, ip_filter_options& r, bool ipv6);
    ip_filter_address filter_address(cursor& c, std::string_view what);
    ip_filter_address6 filter_address6(cursor& c, std::string_view what);
    /// IPSEC6RULEs need IPCONFIG6 IPSECURITY: without it they are dropped with ZPX0120I.
    void drop_ipsec6_without_ipsecurity(ipsec_config& s);
    std::optional<port_range> filter_ports(cursor& c, std::string_view what);

public:
    using handler = void (processor::*)(cursor&, const token&);
    using statement_list = std::vector<std::pair<std::string_view, handler>>;
    static const statement_list& statement_table_top();
    static const statement_list& statement_table_vipadynamic();

private:

    profile& _cfg;
    const parse_options& _opts;
    message_log& _log;
    int _depth = 0;
    int _includes = 0;               // INCLUDE statements processed in this run
    std::size_t _include_bytes = 0;  // bytes the INCLUDEd files of this run hold
    int _ipsec_blocks = 0;
    // PORT conflict look-up: (port, protocol) -> index into _cfg.ports.
    static std::uint32_t port_key(std::uint16_t port, transport t) noexcept {
        return (std::uint32_t{port} << 1) | (t == transport::udp ? 1u : 0u);
    }
    std::unordered_multimap<std::uint32_t, std::size_t> _port_index;
    // "DEVICE NAME", "LINK NAME", "INTERFACE NAME" -> where its rejected statement was.
    std::unordered_map<std::string, source_ref> _rejected;
    bool _port_index_built = false;
};

/// Recognised-only statements (recognised.cpp): the statement keyword, folded.
bool is_recognised_statement(std::string_view upper) noexcept;
/// Statements, DEVICE and LINK types IBM removed by V2R3: why, or nullopt.
std::optional<std::string_view> removed_statement(std::string_view upper) noexcept;
std::optional<std::string_view> removed_device_type(std::string_view upper) noexcept;
std::optional<std::string_view> removed_link_type(std::string_view upper) noexcept;

/// An IPv6 address or addr/len (0-128): its 16 bytes, the length (-1 when no /len)
/// and the canonical upper-case text (with /len when given).
struct ipv6_value {
    ip_filter_address6::bytes bytes{};
    int prefix_len = -1;
    std::string text;
};
std::optional<ipv6_value> parse_ipv6(std::string_view text);
/// parse_ipv6's text, or nullopt.
std::optional<std::string> ipv6_text(std::string_view text);

/// A token as messages echo it: at most 32 characters (then `...`), bytes
/// outside printable ASCII as X'hh', so nothing invisible or raw reaches a log.
std::string echo(std::string_view text, std::size_t max_len = 32);

/// `LINE n OF dsn`: where an earlier statement was (for conflict messages).
std::string where_text(const source_ref& w);

/// `ON LINE n OF dsn` for a token of the dataset being processed.
inline std::string line_of(const cursor& c, const token& t) {
    return "ON LINE " + std::to_string(t.line) + " OF " + c.dataset();
}

}  // namespace zplex::tcpip::profile::detail
