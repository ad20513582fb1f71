// SPDX-License-Identifier: Apache-2.0
// VIPADYNAMIC ... ENDVIPADYNAMIC: VIPADEFINE, VIPABACKUP, VIPADELETE, VIPADISTRIBUTE,
// VIPARANGE, VIPAROUTE. z/OS IP Config Reference, "VIPADYNAMIC statement".
#include "processor.hpp"

#include <algorithm>
#include <cctype>

namespace zplex::tcpip::profile::detail {

namespace {

constexpr std::size_t max_dvipas = 1024;  // configured + target DVIPAs per stack
constexpr std::size_t max_hotstandby_backups = 31;
constexpr std::uint8_t default_weight = 10;

bool is_dotted(const token& t) {
    return !t.quoted && ipv4_address::parse_profile(t.text).has_value();
}

}  // namespace

void processor::st_vipadynamic(cursor& c, const token& kw) {
    while (true) {
        if (c.at_end()) {
            missing_end(c, "ENDVIPADYNAMIC", kw);
            return;
        }
        if (c.looking_at("ENDVIPADynamic")) {
            c.skip();
            return;
        }
        const token* peek = c.raw();
        if (peek && !peek->seqno && !peek->quoted && !c.looking_at("PORT") && at_statement(c, context::top)) {
            // A statement that cannot be in the block: ENDVIPADYNAMIC is missing.
            // The block ends here and the statement is processed normally.
            _log.add("EZZ0318I", severity::error,
                     "'" + peek->text + "' FOUND ON LINE " + std::to_string(peek->line) + " OF " + c.dataset() +
                         " WHEN ENDVIPADYNAMIC WAS EXPECTED FOR VIPADYNAMIC ON LINE " + std::to_string(kw.line),
                     c.here());
            return;
        }
        try {
            const token& sk = c.next();
            bool handled = false;
            for (const auto& d : statement_table_vipadynamic()) {
                if (!sk.quoted && keyword_matches(sk.upper, d.first)) {
                    (this->*d.second)(c, sk);
                    handled = true;
                    break;
                }
            }
            if (!handled && !sk.quoted && keyword_matches(sk.upper, "VIPASMparms")) {
                _cfg.unemulated.push_back(unemulated_statement{"VIPASMPARMS", c.at(sk)});
                warn(c, sk, "ZPX0100I", "STATEMENT VIPASMPARMS " + line_of(c, sk) + " IS ACCEPTED BUT NOT EMULATED");
                while (more_parameters(c, context::vipadynamic)) {
                    c.skip();
                }
                handled = true;
            }
            if (!handled) {
                fail_at(c, sk, "EZZ0324I",
                        "UNRECOGNIZED STATEMENT " + echo(sk.text) + " FOUND ON LINE " + std::to_string(sk.line) +
                            " COLUMN " + std::to_string(sk.column) + " OF " + c.dataset() + " IN VIPADYNAMIC BLOCK");
            }
        } catch (const statement_error& e) {
            _log.add(e.msg);
            // z/OS: an error inside a VIPADYNAMIC block ends processing of the rest
            // of the block; statements before it stay in effect.
            _log.add("EZZ0328I", severity::error,
                     "REMAINING STATEMENTS OF VIPADYNAMIC BLOCK ON LINE " + std::to_string(kw.line) + " OF " +
                         c.dataset() + " IGNORED FROM LINE " + std::to_string(e.msg.where.line),
                     e.msg.where);
            skip_block(c, "ENDVIPADynamic", kw);
            return;
        }
    }
}

// ------------------------------------------------------------------ VIPADEFINE / VIPABACKUP

void processor::vd_define(cursor& c, const token& kw) { vd_define_or_backup(c, kw, vipa_origin::define); }
void processor::vd_backup(cursor& c, const token& kw) { vd_define_or_backup(c, kw, vipa_origin::backup); }

// VIPADEFine [TIER1|TIER2|CPCSCOPE] [MOVEable IMMEDiate|WHENIDLE] [SERVICEMGR] mask addr...
// VIPABackup [rank] [TIER1|TIER2|CPCSCOPE] addr...
// VIPABackup [rank] MOVEable IMMEDiate|WHENIDLE [SERVICEMGR] mask addr...
// The second VIPABACKUP form carries its own mask, so the backup can become owner
// without any VIPADEFINE in the sysplex.
void processor::vd_define_or_backup(cursor& c, const token& kw, vipa_origin origin) {
    const bool backup = origin == vipa_origin::backup;
    const std::string stmt = keyword_name(backup ? "VIPABackup" : "VIPADEFine");
    dvipa_config d;
    d.origin = origin;
    if (backup) {
        d.rank = 1;
        if (!c.at_end() && is_number(c.peek())) {
            d.rank = static_cast<std::uint8_t>(expect_number(c, "A BACKUP RANK", 1, 254));
        }
    }
    bool moveable_given = false;
    while (more_parameters(c, context::vipadynamic) && !is_dotted(c.peek())) {
        const token& t = c.peek();
        if (c.accept("MOVEable")) {
            moveable_given = true;
            if (c.accept("IMMEDiate")) {
                d.moveable = moveable_mode::immediate;
            } else if (c.accept("WHENIDLE")) {
                d.moveable = moveable_mode::whenidle;
            } else {
                fail_expected(c, "IMMEDIATE OR WHENIDLE AFTER MOVEABLE");
            }
        } else if (c.accept("SERVICEMGR")) {
            d.service_mgr = true;
        } else if (c.accept("TIER1") || c.accept("TIER2") || c.accept("CPCSCOPE")) {
            warn(c, t, "ZPX0102I", stmt + " OPTION " + t.upper + " " + line_of(c, t) + " IS ACCEPTED BUT NOT EMULATED");
        } else if ((!backup || moveable_given) && !is_number(t) && t.text.find(':') == std::string::npos) {
            // ... MOVEABLE IMMEDIATE intfname ipv6_addr: the IPv6 form.
            vd_dvipa6(c, t, d, stmt);
            return;
        } else {
            fail_expected(c, backup ? "A DYNAMIC VIPA ADDRESS" : "AN ADDRESS MASK");
        }
    }
    if (!backup || moveable_given) {
        d.prefix_len = expect_mask(c, "AN ADDRESS MASK");
        d.mask_given = true;
    }
    bool any = false;
    while (more_parameters(c, context::vipadynamic)) {
        const token& at = c.peek();
        if (any && !std::isdigit(static_cast<unsigned char>(at.text[0]))) {
            break;  // the address list ends; the block reports what follows
        }
        d.address = expect_ipv4(c, "A DYNAMIC VIPA ADDRESS");
        any = true;
        if (const auto* old = _cfg.find_dvipa(d.address)) {
            fail_at(c, at, "EZZ0326I",
                    stmt + " CONFLICTS WITH " + to_string(old->origin) + " VALUE " + d.address.str() + " USED ON " +
                        where_text(old->where) + " (VIPADELETE IT FIRST)");
        }
        if (_cfg.dvipas.size() >= max_dvipas) {
            fail_value(c, at, stmt, "MORE THAN 1024 DYNAMIC VIPAS");
        }
        d.where = c.at(at);
        _cfg.dvipas.push_back(d);
    }
    if (!any) {
        fail_expected(c, "A DYNAMIC VIPA ADDRESS");
    }
    (void)kw;
}

void processor::vd_delete(cursor& c, const token& kw) {
    bool any = false;
    while (more_parameters(c, context::vipadynamic)) {
        const token& at = c.peek();
        if (!is_dotted(at) && at.text.find(':') == std::string::npos) {
            // VIPADELETE intfname: the IPv6 form.
            vd_delete6(c, at);
            any = true;
            continue;
        }
        auto a = expect_ipv4(c, "A DYNAMIC VIPA ADDRESS");
        any = true;
        auto it = std::find_if(_cfg.dvipas.begin(), _cfg.dvipas.end(),
                               [&](const dvipa_config& d) { return d.address == a; });
        if (it == _cfg.dvipas.end()) {
            warn(c, at, "ZPX0103I", "VIPADELETE " + a.str() + " " + line_of(c, at) +
                                        " IGNORED: NO VIPADEFINE OR VIPABACKUP FOR IT IS ACTIVE");
            continue;
        }
        _cfg.dvipas.erase(it);
        // Deleting a DVIPA ends its distribution too.
        std::erase_if(_cfg.distributions, [&](const distribution_config& d) { return d.address == a; });
    }
    if (!any) {
        fail_expected(c, "A DYNAMIC VIPA ADDRESS");
    }
    (void)kw;
}

// ------------------------------------------------------------------ VIPADISTRIBUTE

std::vector<port_range> processor::vd_ports(cursor& c) {
    std::vector<port_range> out;
    while (!c.at_end() && !c.raw()->seqno) {
        const token& t = c.peek();
        auto dash = t.text.find('-');
        if (is_number(t)) {
            auto p = static_cast<std::uint16_t>(expect_number(c, "A PORT NUMBER", 1, 65535));
            out.push_back(port_range{p, p});
        } else if (dash != std::string::npos && dash > 0 && !t.quoted &&
                   t.text.find_first_not_of("0123456789-") == std::string::npos) {
            auto lo = std::stoul(t.text.substr(0, std::min<std::size_t>(dash, 6)));
            auto hi_text = t.text.substr(dash + 1);
            if (hi_text.empty() || hi_text.size() > 5 || hi_text.find('-') != std::string::npos) {
                fail_value(c, t, "PORT", "NOT A PORT RANGE LOW-HIGH");
            }
            auto hi = std::stoul(hi_text);
            if (dash > 5 || lo < 1 || hi > 65535 || lo > hi) {
                fail_value(c, t, "PORT", "NOT A PORT RANGE 1-65535 WITH LOW <= HIGH");
            }
            c.skip();
            out.push_back(port_range{static_cast<std::uint16_t>(lo), static_cast<std::uint16_t>(hi)});
        } else {
            break;
        }
    }
    if (out.empty()) {
        fail_expected(c, "A PORT NUMBER");
    }
    return out;
}

namespace {

// The parameters of one VIPADISTRIBUTE, as written, before they meet the model.
struct dist_request {
    bool del = false;
    std::optional<dist_method> method;
    std::vector<port_range> ports;
    bool dest_given = false;
    bool dest_all = false;
    bool sysplex_ports = false;
    std::uint32_t timed_affinity = 0;
    std::optional<std::uint8_t> optlocal;
    bool auto_switchback = true;
    bool health_switch = true;
    std::optional<token> hotstandby_only;  // first keyword valid only with HOTSTANDBY
    std::optional<token> weight_tok;
    std::optional<token> proctype_tok;
};

std::string addr_text(const ipv4_address& a) { return a.str(); }
const std::string& addr_text(const std::string& a) { return a; }

// The checks and the update shared by the IPv4 form (K, A = ipv4_address) and the
// IPv6 form (K = interface name, A = IPv6 dynamic XCF address text).
template <class K, class A>
void apply_distribution(processor& p, const cursor& c, const token& kw, const dist_request& q,
                        std::vector<basic_distribution<K, A>>& list, const K& key,
                        std::vector<basic_dist_target<A>> targets, const std::vector<token>& target_toks) {
    const std::string key_text = addr_text(key);
    const std::string dvipa_text = key_text + " " + line_of(c, kw);
    if (q.del) {
        const auto& ports = q.ports;
        bool removed = false;
        for (auto it = list.begin(); it != list.end();) {
            bool port_match = ports.empty() || std::find(ports.begin(), ports.end(), it->port) != ports.end();
            if (!(it->address == key) || !port_match) {
                ++it;
                continue;
            }
            if (!q.dest_given || q.dest_all) {
                it = list.erase(it);
                removed = true;
                continue;
            }
            auto before = it->targets.size();
            std::erase_if(it->targets, [&](const basic_dist_target<A>& d) {
                return std::any_of(targets.begin(), targets.end(),
                                   [&](const basic_dist_target<A>& x) { return x.xcf == d.xcf; });
            });
            removed = removed || it->targets.size() != before;
            if (it->targets.empty() && !it->dest_all) {
                it = list.erase(it);
            } else {
                ++it;
            }
        }
        if (!removed) {
            p.warn(c, kw, "ZPX0104I", "VIPADISTRIBUTE DELETE " + dvipa_text + " IGNORED: NO MATCHING DISTRIBUTION");
        }
        return;
    }
    if (!q.dest_given) {
        p.fail_expected(c, "DESTIP");
    }
    dist_method m = q.method.value_or(dist_method::basewlm);

    // HOTSTANDBY rules (z/OS IP Config Guide, hot-standby distribution).
    if (m != dist_method::hotstandby && q.hotstandby_only) {
        p.fail_at(c, *q.hotstandby_only, "EZZ0831I",
                  q.hotstandby_only->upper + " " + line_of(c, *q.hotstandby_only) +
                      " IS VALID ONLY WITH DISTMETHOD HOTSTANDBY");
    }
    if (m == dist_method::hotstandby) {
        if (q.dest_all) {
            p.fail_at(c, kw, "EZZ0826I", "HOTSTANDBY DISTRIBUTION FOR " + dvipa_text +
                                             " CANNOT USE DESTIP ALL: NAME ONE PREFERRED TARGET AND BACKUPS");
        }
        auto preferred = std::count_if(targets.begin(), targets.end(),
                                       [](const auto& d) { return d.role == target_role::preferred; });
        auto backups = std::count_if(targets.begin(), targets.end(),
                                     [](const auto& d) { return d.role == target_role::backup; });
        if (preferred != 1) {
            p.fail_at(c, kw, "EZZ0826I", "HOTSTANDBY DISTRIBUTION FOR " + dvipa_text + " HAS " +
                                             std::to_string(preferred) + " PREFERRED TARGETS: EXACTLY ONE IS REQUIRED");
        }
        if (backups == 0) {
            p.fail_at(c, kw, "EZZ0827I", "HOTSTANDBY DISTRIBUTION FOR " + dvipa_text + " HAS NO BACKUP TARGET");
        }
        if (static_cast<std::size_t>(backups) > max_hotstandby_backups) {
            p.fail_at(c, kw, "EZZ0829I", "HOTSTANDBY DISTRIBUTION FOR " + dvipa_text + " HAS " +
                                             std::to_string(backups) + " BACKUP TARGETS: AT MOST 31 ARE ALLOWED");
        }
        for (std::size_t i = 0; i < targets.size(); ++i) {
            if (targets[i].role == target_role::normal) {
                p.fail_at(c, target_toks[i], "EZZ0826I",
                          "HOTSTANDBY TARGET " + addr_text(targets[i].xcf) + " " + line_of(c, target_toks[i]) +
                              " IS NEITHER PREFERRED NOR BACKUP");
            }
        }
    }
    for (std::size_t i = 0; i < targets.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (targets[i].xcf == targets[j].xcf) {
                p.fail_at(c, target_toks[i], "EZZ0830I",
                          "DESTIP " + addr_text(targets[i].xcf) + " " + line_of(c, target_toks[i]) +
                              " IS LISTED MORE THAN ONCE FOR " + key_text);
            }
        }
    }
    if (q.weight_tok && m != dist_method::weightedactive) {
        p.fail_at(c, *q.weight_tok, "EZZ0319I",
                  "WEIGHT " + line_of(c, *q.weight_tok) + " IS VALID ONLY WITH DISTMETHOD WEIGHTEDACTIVE");
    }
    if (m == dist_method::weightedactive) {
        for (auto& d : targets) {
            if (d.weight == 0) {
                d.weight = default_weight;
            }
        }
    }
    if (q.proctype_tok && m != dist_method::basewlm) {
        p.fail_at(c, *q.proctype_tok, "EZZ0319I",
                  "PROCTYPE " + line_of(c, *q.proctype_tok) + " IS VALID ONLY WITH DISTMETHOD BASEWLM");
    }

    std::vector<std::optional<port_range>> entry_ports;
    if (q.ports.empty()) {
        entry_ports.push_back(std::nullopt);
    } else {
        entry_ports.assign(q.ports.begin(), q.ports.end());
    }
    // Check every port first so a conflict leaves nothing half applied.
    for (const auto& port : entry_ports) {
        for (const auto& d : list) {
            if (d.address == key && d.port == port && d.method != m) {
                p.fail_at(c, kw, "EZZ0326I",
                          std::string("VIPADISTRIBUTE DISTMETHOD ") + to_string(m) + " CONFLICTS WITH DISTMETHOD " +
                              to_string(d.method) + " VALUE " + key_text +
                              (port ? " PORT " + std::to_string(port->low) : std::string()) + " USED ON " +
                              where_text(d.where));
            }
        }
    }
    for (const auto& port : entry_ports) {
        auto it = std::find_if(list.begin(), list.end(), [&](const auto& d) { return d.address == key && d.port == port; });
        if (it == list.end()) {
            basic_distribution<K, A> d;
            d.address = key;
            d.port = port;
            d.method = m;
            d.where = c.at(kw);
            list.push_back(d);
            it = std::prev(list.end());
        }
        it->dest_all = it->dest_all || q.dest_all;
        for (const auto& t : targets) {
            auto same = std::find_if(it->targets.begin(), it->targets.end(), [&](const auto& x) { return x.xcf == t.xcf; });
            if (same == it->targets.end()) {
                it->targets.push_back(t);
            } else {
                *same = t;
            }
        }
        it->sysplex_ports = q.sysplex_ports;
        it->timed_affinity = q.timed_affinity;
        it->optlocal = q.optlocal;
        it->auto_switchback = q.auto_switchback;
        it->health_switch = q.health_switch;
    }
}

// A DESTIP entry as written; its family is checked against the DVIPA's afterwards.
struct written_target {
    token at;
    std::optional<ipv4_address> a4;
    std::string a6;
    std::uint8_t weight = 0;
    target_role role = target_role::normal;
    std::uint8_t backup_rank = 0;
};

bool is_ipv6_token(const token& t) { return !t.quoted && t.text.find(':') != std::string::npos; }

}  // namespace

// VIPADISTRIBUTE [DEFINE|DELETE] [options] {ipv4_addr | ipv6_intfname} [PORT ...] DESTIP ...
// The IPv6 form names the DVIPA by the interface name of its VIPADEFINE/VIPABACKUP and
// its targets by their IPv6 dynamic XCF addresses (IPCONFIG6 DYNAMICXCF).
void processor::vd_distribute(cursor& c, const token& kw) {
    dist_request q;
    std::optional<ipv4_address> address;
    std::string intf;
    token address_tok;
    std::vector<written_target> written;

    while (more_parameters(c, context::vipadynamic)) {
        const token& t = c.peek();
        if (c.accept("DEFINE")) {
            q.del = false;
        } else if (c.accept("DELEte")) {
            q.del = true;
        } else if (c.accept("DISTMethod")) {
            if (c.accept("BASEWLM")) {
                q.method = dist_method::basewlm;
            } else if (c.accept("ROUNDROBIN")) {
                q.method = dist_method::roundrobin;
            } else if (c.accept("SERVERWLM")) {
                q.method = dist_method::serverwlm;
            } else if (c.accept("WEIGHTEDActive")) {
                q.method = dist_method::weightedactive;
            } else if (c.accept("HOTSTANDBY")) {
                q.method = dist_method::hotstandby;
            } else {
                fail_expected(c, "BASEWLM, ROUNDROBIN, SERVERWLM, WEIGHTEDACTIVE OR HOTSTANDBY");
            }
        } else if (c.accept("AUTOSWITCHBACK") || c.accept("NOAUTOSWITCHBACK")) {
            q.auto_switchback = t.upper == "AUTOSWITCHBACK";
            q.hotstandby_only = q.hotstandby_only.value_or(t);
        } else if (c.accept("HEALTHSWITCH") || c.accept("NOHEALTHSWITCH")) {
            q.health_switch = t.upper == "HEALTHSWITCH";
            q.hotstandby_only = q.hotstandby_only.value_or(t);
        } else if (c.accept("PROCXCOST")) {
            while (c.accept("ZAAP") || c.accept("ZIIP")) {
                expect_number(c, "A PROCXCOST VALUE", 1, 100);
            }
        } else if (c.accept("ILWEIGHTING")) {
            expect_number(c, "AN ILWEIGHTING VALUE", 0, 3);
        } else if (c.accept("NOOPTLOCAL")) {
            q.optlocal.reset();
        } else if (c.accept("OPTLOCAL")) {
            q.optlocal = std::uint8_t{0};
            if (!c.at_end() && is_number(c.peek())) {
                q.optlocal = static_cast<std::uint8_t>(expect_number(c, "AN OPTLOCAL VALUE", 0, 16));
            }
        } else if (c.accept("SYSPLEXPorts")) {
            q.sysplex_ports = true;
        } else if (c.accept("TIMEDAFFinity")) {
            q.timed_affinity = expect_number(c, "A TIMEDAFFINITY VALUE IN SECONDS", 0, 99999);
        } else if (c.accept("PROCTYPE")) {
            q.proctype_tok = t;
            bool any = false;
            while (c.accept("CP") || c.accept("ZAAP") || c.accept("ZIIP")) {
                expect_number(c, "A PROCTYPE WEIGHT", 0, 99);
                any = true;
            }
            if (!any) {
                fail_expected(c, "CP, ZAAP OR ZIIP");
            }
        } else if (t.upper == "PORT") {
            c.skip();
            auto p = vd_ports(c);
            q.ports.insert(q.ports.end(), p.begin(), p.end());
        } else if (c.accept("DESTIP")) {
            q.dest_given = true;
            if (c.accept("ALL")) {
                q.dest_all = true;
                continue;
            }
            std::size_t before = written.size();
            while (!c.at_end() && !c.raw()->seqno && (is_dotted(c.peek()) || is_ipv6_token(c.peek()))) {
                const token& at = c.peek();
                written_target w;
                w.at = at;
                if (is_dotted(at)) {
                    w.a4 = expect_ipv4(c, "A DYNAMIC XCF ADDRESS");
                } else {
                    auto v = parse_ipv6(at.text);
                    if (!v || v->prefix_len >= 0) {
                        fail_value(c, at, "DESTIP", "NOT A VALID IPV6 DYNAMIC XCF ADDRESS");
                    }
                    c.skip();
                    w.a6 = v->text;
                }
                if (c.accept("WEIGHT")) {
                    q.weight_tok = q.weight_tok.value_or(at);
                    w.weight = static_cast<std::uint8_t>(expect_number(c, "A WEIGHT", 1, 99));
                } else if (c.accept("PREFERRED")) {
                    w.role = target_role::preferred;
                    q.hotstandby_only = q.hotstandby_only.value_or(at);
                } else if (c.accept("BACKUP")) {
                    w.role = target_role::backup;
                    w.backup_rank = 1;
                    if (!c.at_end() && is_number(c.peek())) {
                        w.backup_rank = static_cast<std::uint8_t>(expect_number(c, "A BACKUP RANK", 1, 254));
                    }
                    q.hotstandby_only = q.hotstandby_only.value_or(at);
                }
                written.push_back(std::move(w));
            }
            if (written.size() == before) {
                fail_expected(c, "ALL OR A DYNAMIC XCF ADDRESS AFTER DESTIP");
            }
        } else if (!address && intf.empty() && is_dotted(t)) {
            address_tok = t;
            address = expect_ipv4(c, "A DYNAMIC VIPA ADDRESS");
        } else if (!address && intf.empty() && !t.quoted && t.text.find(':') == std::string::npos && !is_number(t)) {
            address_tok = t;
            intf = expect_name(c, "AN IPV6 DVIPA INTERFACE NAME", 16);
        } else if (!address && intf.empty() && is_ipv6_token(t)) {
            fail_value(c, t, "VIPADISTRIBUTE", "AN IPV6 DVIPA IS NAMED BY THE INTERFACE NAME OF ITS VIPADEFINE");
        } else {
            fail_expected(c, address || !intf.empty() ? "PORT, DESTIP OR A VIPADISTRIBUTE OPTION"
                                                     : "A DYNAMIC VIPA ADDRESS");
        }
    }
    if (!address && intf.empty()) {
        fail_expected(c, "A DYNAMIC VIPA ADDRESS");
    }
    const bool ipv6 = !intf.empty();
    std::vector<token> target_toks;
    for (const auto& w : written) {
        if (w.a4.has_value() == ipv6) {
            fail_value(c, w.at, "DESTIP",
                       ipv6 ? "AN IPV6 VIPADISTRIBUTE NEEDS IPV6 DYNAMIC XCF ADDRESSES (IPCONFIG6 DYNAMICXCF)"
                            : "AN IPV4 VIPADISTRIBUTE NEEDS IPV4 DYNAMIC XCF ADDRESSES (IPCONFIG DYNAMICXCF)");
        }
        target_toks.push_back(w.at);
    }
    if (!ipv6) {
        if (!q.del && !_cfg.find_dvipa(*address)) {
            fail_value(c, address_tok, "VIPADISTRIBUTE",
                       "NO VIPADEFINE OR VIPABACKUP FOR " + address->str() + " PRECEDES IT");
        }
        std::vector<dist_target> targets;
        for (const auto& w : written) {
            targets.push_back(dist_target{*w.a4, w.weight, w.role, w.backup_rank});
        }
        apply_distribution(*this, c, kw, q, _cfg.distributions, *address, std::move(targets), target_toks);
        return;
    }
    if (!q.del && !_cfg.find_dvipa6(intf)) {
        bool is_range = std::any_of(_cfg.vipa_ranges6.begin(), _cfg.vipa_ranges6.end(),
                                    [&](const vipa_range6_config& r) { return r.interface == intf; });
        fail_value(c, address_tok, "VIPADISTRIBUTE",
                   is_range ? intf + " IS A VIPARANGE: ONLY A DVIPA OF VIPADEFINE OR VIPABACKUP IS DISTRIBUTED"
                            : "NO IPV6 VIPADEFINE OR VIPABACKUP FOR " + intf + " PRECEDES IT");
    }
    std::vector<dist_target6> targets;
    for (const auto& w : written) {
        targets.push_back(dist_target6{w.a6, w.weight, w.role, w.backup_rank});
    }
    apply_distribution(*this, c, kw, q, _cfg.distributions6, intf, std::move(targets), target_toks);
}

// ------------------------------------------------------------------ VIPARANGE / VIPAROUTE

void processor::vd_range(cursor& c, const token& kw) {
    bool del = false;
    bool nondisruptive = true;
    while (more_parameters(c, context::vipadynamic) && !is_dotted(c.peek())) {
        const token& t = c.peek();
        if (c.accept("DEFINE")) {
            del = false;
        } else if (c.accept("DELEte")) {
            del = true;
        } else if (c.accept("MOVEable")) {
            if (c.accept("NONDISRUPTive")) {
                nondisruptive = true;
            } else if (c.accept("DISRUPTive")) {
                nondisruptive = false;
            } else {
                fail_expected(c, "NONDISRUPTIVE OR DISRUPTIVE AFTER MOVEABLE");
            }
        } else if (!is_number(t) && t.text.find(':') == std::string::npos) {
            vd_range6(c, t, del, nondisruptive);
            return;
        } else {
            fail_expected(c, "AN ADDRESS MASK");
        }
    }
    auto prefix = expect_mask(c, "AN ADDRESS MASK");
    const token& at = c.at_end() ? kw : c.peek();
    auto a = expect_ipv4(c, "A VIPARANGE ADDRESS");
    std::string saf;
    bool zcx = false;
    // SAF and ZCX (V2R4: DVIPAs for z/OS Container Extensions) in either order.
    while (!c.at_end()) {
        if (saf.empty() && c.accept("SAF")) {
            saf = expect_name(c, "A SAF RESOURCE NAME", 8);
        } else if (!zcx && c.accept("ZCX")) {
            zcx = true;
        } else {
            break;
        }
    }
    vipa_range_config r;
    r.zcx = zcx;
    r.address = ipv4_address{a.value & prefix_to_mask(prefix).value};
    r.prefix_len = prefix;
    r.nondisruptive = nondisruptive;
    r.saf_resource = saf;
    r.where = c.at(at);
    auto it = std::find_if(_cfg.vipa_ranges.begin(), _cfg.vipa_ranges.end(), [&](const vipa_range_config& x) {
        return x.address == r.address && x.prefix_len == r.prefix_len;
    });
    if (del) {
        if (it == _cfg.vipa_ranges.end()) {
            warn(c, at, "ZPX0105I", "VIPARANGE DELETE " + r.address.str() + "/" + std::to_string(prefix) + " " +
                                        line_of(c, at) + " IGNORED: NO SUCH VIPARANGE");
        } else {
            _cfg.vipa_ranges.erase(it);
        }
        return;
    }
    if (it != _cfg.vipa_ranges.end()) {
        *it = r;  // redefining a range replaces its options
    } else {
        _cfg.vipa_ranges.push_back(r);
    }
}

void processor::vd_route(cursor& c, const token& kw) {
    bool del = false;
    if (c.accept("DEFINE")) {
        del = false;
    } else if (c.accept("DELEte")) {
        del = true;
    }
    const token& at = c.at_end() ? kw : c.peek();
    auto xcf = expect_ipv4(c, "THE TARGET'S DYNAMIC XCF ADDRESS");
    auto it = std::find_if(_cfg.vipa_routes.begin(), _cfg.vipa_routes.end(),
                           [&](const vipa_route_config& r) { return r.xcf == xcf; });
    if (del) {
        if (!c.at_end() && is_dotted(c.peek())) {
            c.skip();
        }
        if (it == _cfg.vipa_routes.end()) {
            warn(c, at, "ZPX0106I", "VIPAROUTE DELETE " + xcf.str() + " " + line_of(c, at) + " IGNORED: NO SUCH VIPAROUTE");
        } else {
            _cfg.vipa_routes.erase(it);
        }
        return;
    }
    auto target = expect_ipv4(c, "THE TARGET IP ADDRESS");
    if (it != _cfg.vipa_routes.end()) {
        fail_at(c, at, "EZZ0326I",
                "VIPAROUTE CONFLICTS WITH VIPAROUTE VALUE " + xcf.str() + " USED ON " + where_text(it->where));
    }
    _cfg.vipa_routes.push_back(vipa_route_config{xcf, target, c.at(at)});
}

}  // namespace zplex::tcpip::profile::detail
