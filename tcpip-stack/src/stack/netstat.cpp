// SPDX-License-Identifier: Apache-2.0
// Operator commands and the NETSTAT / D TCPIP,,SYSPLEX displays in z/OS layouts
// (IP System Administrator's Commands: HOME, ROUTE, DEVLINKS, ARP, VIPADCFG, VIPADYN, CONN,
// ALLCONN).
#include "stack_impl.hpp"

#include <zplex/sysplex/text.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

namespace zplex::tcpip::stack {

namespace {

std::string pad(std::string s, std::size_t w) {
    if (s.size() < w) s.append(w - s.size(), ' ');
    else s.push_back(' ');
    return s;
}

using sysplex::upper;

std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == sep) {
            out.push_back(trim(cur));
            cur.clear();
        } else {
            cur.push_back(c);
        }
    }
    out.push_back(trim(cur));
    return out;
}

std::string clock_time(std::int64_t wall) {
    std::time_t t = static_cast<std::time_t>(wall);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{:%H:%M:%S}", tm);
}

std::string date_time(std::int64_t wall) {
    std::time_t t = static_cast<std::time_t>(wall);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{:%m/%d/%Y %H:%M:%S}", tm);
}

std::string mac_text(const mac_address& m) {
    return fmt::format("{:02X}", fmt::join(m, ""));
}

std::string counter10(std::uint64_t v) {
    return fmt::format("{:010}", v);
}

std::string rank6(unsigned r) {
    return fmt::format("{:06}", r);
}

const char* moveable_text(profile::moveable_mode m) {
    return m == profile::moveable_mode::immediate ? "Immediate" : "WhenIdle";
}

struct report {
    std::vector<std::string> lines;
    std::size_t records = 0;
    bool own_footer = false;   ///< the body already ends with its record count
};

void stats_block(std::vector<std::string>& out, const char* title, const interface_counters& s) {
    out.push_back(std::string("  ") + title);
    auto row = [&](const char* name, std::uint64_t v) { out.push_back("    " + pad(name, 34) + "= " + std::to_string(v)); };
    row("BytesIn", s.bytes_in);
    row("Inbound Packets", s.packets_in);
    row("Inbound Packets In Error", s.packets_in_error);
    row("Inbound Packets Discarded", s.packets_in_discarded);
    row("BytesOut", s.bytes_out);
    row("Outbound Packets", s.packets_out);
    row("Outbound Packets Discarded", s.packets_out_discarded);
}

}  // namespace

/// The state names of z/OS NETSTAT CONN.
const char* tcp_state_text(tcp_state s) {
    switch (s) {
    case tcp_state::established: return "Establsh";
    case tcp_state::syn_sent: return "SynSent";
    case tcp_state::syn_received: return "SynRcvd";
    case tcp_state::fin_wait1: return "FinWait1";
    case tcp_state::fin_wait2: return "FinWait2";
    case tcp_state::time_wait: return "TimeWait";
    case tcp_state::closed: return "Closed";
    case tcp_state::close_wait: return "ClosWait";
    case tcp_state::last_ack: return "LastAck";
    case tcp_state::listen: return "Listen";
    case tcp_state::closing: return "Closing";
    }
    return "Closed";
}

const char* method_text(profile::dist_method m) {
    switch (m) {
    case profile::dist_method::basewlm: return "BaseWLM";
    case profile::dist_method::roundrobin: return "RoundRobin";
    case profile::dist_method::serverwlm: return "ServerWLM";
    case profile::dist_method::weightedactive: return "WeightedActive";
    case profile::dist_method::hotstandby: return "HotStandby";
    }
    return "?";
}

std::vector<std::string> stack::impl::command(std::string_view text) {
    std::string u = upper(trim(text));
    auto bad = [&](const std::string& why) {
        return std::vector<std::string>{"ZPX1030I COMMAND '" + u + "' NOT VALID: " + why};
    };
    if (u.rfind("IPSEC ", 0) == 0) {  // the z/OS UNIX ipsec command: SWSA shadows (swsa.cpp)
        auto words = split(u.substr(6), ' ');
        words.erase(std::remove(words.begin(), words.end(), std::string()), words.end());
        bool detail = false, shadows = false;
        for (std::size_t i = 2; i < words.size(); ++i) {
            if (words[i] == "-S") shadows = true;
            else if (words[i] == "-R" && i + 1 < words.size() && words[i + 1] == "DETAIL") detail = true, ++i;
            else return bad("OPERAND " + words[i] + " NOT SUPPORTED");
        }
        if (words.size() < 2 || words[0] != "-Y" || words[1] != "DISPLAY")
            return bad("ipsec -y display [-s] [-r detail] EXPECTED");
        return swsa_display(detail, shadows);
    }
    if (u.rfind("NETSTAT", 0) == 0) {
        std::vector<std::string> words;
        for (auto& w : split(u.substr(7), ' '))
            if (!w.empty()) words.push_back(w);
        if (words.empty()) return bad("NO REPORT NAMED");
        return netstat(words[0], words.size() > 1 ? words[1] : "", false);
    }
    auto sp = u.find(' ');
    if (sp == std::string::npos) return bad("UNKNOWN COMMAND");
    std::string verb = u.substr(0, sp);
    auto parts = split(u.substr(sp + 1), ',');
    if (parts.size() < 3 || parts[0] != "TCPIP") return bad("EXPECTED TCPIP,[procname],...");
    if (!parts[1].empty() && parts[1] != me.tcpname) return bad("THIS STACK IS " + me.tcpname);
    if (verb == "D" || verb == "DISPLAY") {
        if (parts[2] == "NETSTAT" && parts.size() >= 4) return netstat(parts[3], parts.size() > 4 ? parts[4] : "", true);
        if (parts[2] == "SYSPLEX" && parts.size() >= 4 && (parts[3] == "VIPADYN" || parts[3] == "VIPAD"))
            return sysplex_vipadyn();
        if (parts[2] == "SYSPLEX" && parts.size() >= 4 && parts[3] == "PORTS") return sysplex_ports();
        return bad("DISPLAY TCPIP,,NETSTAT,report OR TCPIP,,SYSPLEX,VIPADYN|PORTS EXPECTED");
    }
    if (verb == "V" || verb == "VARY") {
        if (parts[2] != "SYSPLEX" || parts.size() < 4) return bad("VARY TCPIP,,SYSPLEX,verb EXPECTED");
        std::string v = parts[3];
        if (v == "DEACT" || v == "DEACTIVATE") v = "DEACTIVATE";
        else if (v == "REACT" || v == "REACTIVATE") v = "REACTIVATE";
        else if (v.rfind("LEAVE", 0) == 0 && std::string_view("LEAVEGROUP").rfind(v, 0) == 0) v = "LEAVEGROUP";
        else if (v.rfind("JOIN", 0) == 0 && std::string_view("JOINGROUP").rfind(v, 0) == 0) v = "JOINGROUP";
        return vary_sysplex(v, parts.size() > 4 ? parts[4] : "");
    }
    return bad("UNKNOWN COMMAND");
}

std::vector<std::string> stack::impl::netstat(const std::string& name, const std::string& operand, bool operator_form) {
    report r;
    auto& out = r.lines;
    if (name == "HOME") {
        out.push_back("Home address list:");
        struct row {
            bool intf;
            std::string link;
            std::uint32_t address;
            int order;
        };
        std::vector<row> rows;
        for (const auto& i : interfaces) {
            if (i.kind == iface_kind::loopback) continue;
            if (i.kind == iface_kind::xcf && !in_group) continue;
            rows.push_back({i.kind == iface_kind::osa, i.name, i.address, i.order});
        }
        std::stable_sort(rows.begin(), rows.end(), [](const row& a, const row& b) {
            return a.order != b.order ? a.order < b.order : a.link < b.link;
        });
        for (const auto& d : dvipas)
            if (d.status == dvipa_status::active || d.status == dvipa_status::moving ||
                d.status == dvipa_status::quiescing)
                rows.push_back({false, vipa_link_name(d.address), d.address, 0});
        for (const auto& t : sd.targets)  // target DVIPAs of the Sysplex Distributor: flag Internal
            if (std::none_of(rows.begin(), rows.end(), [&](const row& x) { return !x.intf && x.address == t.address; }))
                rows.push_back({false, vipa_link_name(t.address), t.address, -1});
        rows.push_back({false, "LOOPBACK", 0x7F000001, 0});
        bool first = true;
        for (const auto& h : rows) {
            out.push_back(pad(h.intf ? "IntfName:" : "LinkName:", 12) + h.link);
            out.push_back("  Address:  " + dotted(h.address));
            out.push_back(first ? "    Flags:  Primary" : h.order == -1 ? "    Flags:  Internal" : "    Flags:");
            first = false;
            ++r.records;
        }
    } else if (name == "ROUTE") {
        out.push_back("IPv4 Destinations");
        out.push_back("Destination        Gateway         Flags    Refcnt     Interface");
        out.push_back("-----------        -------         -----    ------     ---------");
        struct row {
            std::uint32_t dest;
            std::uint8_t prefix;
            bool is_default;
            std::uint32_t gw;
            std::string flags, link;
        };
        std::vector<row> rows;
        for (const auto& e : routes) {
            std::string f = "U";
            if (e.gateway) f += "G";
            if (e.host) f += "H";
            if (e.is_static) f += "S";
            rows.push_back({e.destination, e.prefix_len, e.is_default, e.gateway, f,
                            interfaces[static_cast<std::size_t>(e.iface)].name});
        }
        for (const auto& i : interfaces)
            if (i.kind == iface_kind::osa || i.kind == iface_kind::vipa || i.kind == iface_kind::loopback)
                rows.push_back({i.kind == iface_kind::loopback ? 0x7F000001u : i.address, 32, false, 0, "UH", i.name});
        for (const auto& d : dvipas)
            if (d.status == dvipa_status::active) rows.push_back({d.address, 32, false, 0, "UH", vipa_link_name(d.address)});
        std::stable_sort(rows.begin(), rows.end(), [](const row& a, const row& b) {
            if (a.is_default != b.is_default) return a.is_default;
            if (a.dest != b.dest) return a.dest < b.dest;
            return a.prefix > b.prefix;
        });
        for (const auto& x : rows) {
            std::string dest = x.is_default ? "Default" : dotted(x.dest) + "/" + std::to_string(x.prefix);
            out.push_back(pad(dest, 19) + pad(dotted(x.gw), 16) + pad(x.flags, 9) + pad(counter10(0), 11) + x.link);
            ++r.records;
        }
    } else if (name == "DEVLINKS" || name == "DEV") {
        for (const auto& i : interfaces) {
            const char* ready = i.ready ? "Ready" : "Not Active";
            if (i.kind == iface_kind::osa) {
                out.push_back(pad("IntfName: " + i.name, 28) + pad("IntfType: IPAQENET", 22) + "IntfStatus: " + ready);
                out.push_back("    PortName: " + i.device);
                out.push_back("    MacAddress: " + mac_text(me.mac));
                out.push_back("    ActMtu: " + std::to_string(i.mtu));
                stats_block(out, "Interface Statistics:", i.stats);
            } else {
                const char* type = i.kind == iface_kind::vipa ? "VIPA" : i.kind == iface_kind::xcf ? "MPCPTP" : "LOOPBACK";
                if (i.kind == iface_kind::xcf && !(i.peer >= 0 && peers[static_cast<std::size_t>(i.peer)].present))
                    ready = "Not Active";
                out.push_back(pad("DevName: " + i.device, 28) + "DevType: " + type);
                out.push_back(std::string("  DevStatus: ") + ready);
                out.push_back(pad("  LnkName: " + i.name, 30) + pad(std::string("LnkType: ") + type, 18) +
                              "LnkStatus: " + ready);
                out.push_back("    ActMtu: " + std::to_string(i.mtu));
                if (i.kind != iface_kind::vipa) stats_block(out, "Link Statistics:", i.stats);
            }
            ++r.records;
        }
        for (const auto& d : dvipas) {
            if (d.status != dvipa_status::active && d.status != dvipa_status::moving) continue;
            out.push_back(pad("DevName: " + vipa_link_name(d.address), 28) + "DevType: VIPA");
            out.push_back("  DevStatus: Ready");
            out.push_back(pad("  LnkName: " + vipa_link_name(d.address), 30) + pad("LnkType: VIPA", 18) +
                          "LnkStatus: Ready");
            ++r.records;
        }
    } else if (name == "ARP") {
        auto want = operand.empty() || operand == "ALL" ? std::nullopt : ipv4_address::parse(operand);
        if (!operand.empty() && operand != "ALL" && !want) return {"ZPX1030I NETSTAT ARP: '" + operand + "' IS NOT AN IPV4 ADDRESS"};
        std::vector<const arp_entry*> rows;
        for (const auto& a : arp)
            if (a.used && a.valid && (!want || want->value == a.ip)) rows.push_back(&a);
        std::sort(rows.begin(), rows.end(), [](auto* x, auto* y) { return x->ip < y->ip; });
        if (want && rows.empty()) out.push_back("Querying ARP cache for address " + want->str());
        for (const auto* a : rows) {
            out.push_back("Querying ARP cache for address " + dotted(a->ip));
            out.push_back(pad("Link:   " + interfaces[static_cast<std::size_t>(osa)].name, 28) +
                          "ETHERNET: " + mac_text(a->mac));
            ++r.records;
        }
    } else if (name == "VIPADCFG" || name == "VIPADC") {
        auto section = [&](bool deactivated) {
            std::vector<std::string> lines;
            auto add = [&](const char* title, auto pred, auto body) {
                bool any = false;
                for (const auto& d : left_group ? kept_config : dvipas) {  // out of the group: as kept
                    if (!pred(d)) continue;
                    if (!any) lines.push_back(std::string("  ") + title);
                    any = true;
                    body(d);
                    ++r.records;
                }
            };
            auto is_deact = [](const dvipa_entry& d) { return d.saved.has_value(); };
            auto configured = [&](const dvipa_entry& d) { return d.config && !d.deleted && is_deact(d) == deactivated; };
            add("VIPA Backup:", [&](const dvipa_entry& d) { return configured(d) && d.origin == dvipa_origin::backup; },
                [&](const dvipa_entry& d) {
                    if (d.mask_given) {
                        lines.push_back("    IpAddr/PrefixLen: " + dotted(d.address) + "/" + std::to_string(d.prefix_len));
                        lines.push_back("      Rank: " + rank6(d.rank) + "  Moveable: " + moveable_text(d.moveable) +
                                        "  SrvMgr: No");
                    } else {
                        lines.push_back("    IpAddr/PrefixLen: " + dotted(d.address));
                        lines.push_back("      Rank: " + rank6(d.rank) + "  Moveable:           SrvMgr:");
                    }
                });
            add("VIPA Define:", [&](const dvipa_entry& d) { return configured(d) && d.origin == dvipa_origin::define; },
                [&](const dvipa_entry& d) {
                    lines.push_back("    IpAddr/PrefixLen: " + dotted(d.address) + "/" + std::to_string(d.prefix_len));
                    lines.push_back(std::string("      Moveable: ") + moveable_text(d.moveable) + "  SrvMgr: No");
                });
            return lines;
        };
        out.push_back("Dynamic VIPA Information:");
        auto active = section(false);
        out.insert(out.end(), active.begin(), active.end());
        if (!config.vipa_ranges.empty()) {
            out.push_back("  VIPA Range:");
            for (const auto& g : config.vipa_ranges) {
                out.push_back("    IpAddr/PrefixLen: " + g.address.str() + "/" + std::to_string(g.prefix_len));
                out.push_back(std::string("      Moveable: ") + (g.nondisruptive ? "NonDisr" : "Disrupt"));
                ++r.records;
            }
        }
        if (!config.distributions.empty()) {
            out.push_back("  VIPA Distribute:");
            for (const auto& x : config.distributions) {
                std::string dest = x.address.str() + ".." + (x.port ? std::to_string(x.port->low) : std::string("*"));
                auto one = [&](const std::string& xcf, const profile::dist_target* t) {
                    out.push_back("    Dest:        " + dest);
                    out.push_back("      DestXCF:   " + xcf);
                    out.push_back("        SysPt:   " + pad(x.sysplex_ports ? "Yes" : "No", 9) + "TimAff: " +
                                  pad(x.timed_affinity ? std::to_string(x.timed_affinity) : "No", 8) + "Flg: " +
                                  method_text(x.method));
                    if (x.method == profile::dist_method::hotstandby && t) {
                        std::string srv = t->role == profile::target_role::preferred ? "Preferred" : "Backup";
                        if (t->role == profile::target_role::backup) srv += "  Rank: " + std::to_string(t->backup_rank);
                        out.push_back("        DistMethod: HotStandby  SrvType: " + srv);
                        out.push_back(std::string("        AutoSwitchBack: ") + (x.auto_switchback ? "Yes" : "No") +
                                      "  HealthSwitch: " + (x.health_switch ? "Yes" : "No"));
                    }
                    if (operand == "DETAIL") {  // OptLoc; the active connection weight for WeightedActive
                        out.push_back("        OptLoc:  " + (x.optlocal ? std::to_string(*x.optlocal) : std::string("No")));
                        if (x.method == profile::dist_method::weightedactive && t)
                            out.push_back("        ActConnWeight: " + std::to_string(t->weight ? t->weight : 10));
                    }
                    ++r.records;
                };
                if (x.dest_all) one("ALL", nullptr);
                for (const auto& t : x.targets) one(t.xcf.str(), &t);
            }
        }
        auto deact = section(true);
        if (!deact.empty()) {
            out.push_back("Deactivated Dynamic VIPA Information:");
            out.insert(out.end(), deact.begin(), deact.end());
        }
    } else if (name == "VIPADYN" || name == "VIPADY") {
        out.push_back("Dynamic VIPA:");
        out.push_back("  IP Address      AddressMask     Status    Origin       DistStat");
        out.push_back("  ----------      -----------     ------    ------       --------");
        std::vector<const dvipa_entry*> rows;
        for (const auto& d : dvipas)
            if (!(d.deleted && d.status == dvipa_status::backup)) rows.push_back(&d);
        std::sort(rows.begin(), rows.end(), [](auto* a, auto* b) { return a->address < b->address; });
        for (const auto* d : rows) {
            std::string origin = d->origin == dvipa_origin::define   ? "VIPADefine"
                                 : d->origin == dvipa_origin::backup ? "VIPABackup"
                                                                     : "VIPARange    Bind";
            std::string line = "  " + pad(dotted(d->address), 16) + pad(ipv4_address{profile::prefix_to_mask(d->prefix_len)}.str(), 16) +
                               pad(to_string(d->status), 10) + origin;
            std::uint8_t role = dist_role_of(d->address);  // DistStat: Dist, Dest or Dist/Dest
            if (d->status != dvipa_status::active) role &= 2;
            if (role) line = pad(line, 57) + (role == 3 ? "Dist/Dest" : role == 1 ? "Dist" : "Dest");
            out.push_back(line);
            bool shows_time = d->status == dvipa_status::active || d->status == dvipa_status::moving ||
                              d->status == dvipa_status::quiescing;
            std::string t = "    ActTime:      " + (shows_time && d->activated ? date_time(d->activated) : std::string("n/a"));
            if (d->origin == dvipa_origin::range_bind) t = pad(t, 40) + "JobName: " + d->jobname;
            out.push_back(t);
            ++r.records;
        }
        for (const auto& t : sd.targets) {  // a target only: the DVIPA is active here internally
            if (find_dvipa(t.address)) continue;
            std::uint8_t prefix = 32;
            for (const auto& p : peers)
                for (const auto& c : p.claims)
                    if (c.address == t.address && p.present) prefix = c.prefix_len;
            out.push_back("  " + pad(dotted(t.address), 16) + pad(ipv4_address{profile::prefix_to_mask(prefix)}.str(), 16) +
                          pad("Active", 10) + pad("VIPADistribute", 13) + "Dest");
            out.push_back("    ActTime:      n/a");
            ++r.records;
        }
        out.push_back(std::to_string(r.records) + " of " + std::to_string(r.records) + " records displayed");
        r.own_footer = true;
    } else if (name == "VDPT" || name == "VCRT") {
        dist_netstat(name, operand, out, r.records);
        if (!operator_form) {
            out.push_back(name == "VDPT" ? std::to_string(r.records) + " records written"
                                         : std::to_string(r.records) + " of " + std::to_string(r.records) +
                                               " records displayed");
        }
        r.own_footer = !operator_form;
    } else if (name == "CONN" || name == "ALLCONN" || name == "ALLC") {
        // The image kernel's TCP sockets (long format). CONN leaves out what has ended
        // (TimeWait, Closed); ALLCONN shows it too.
        if (!operand.empty()) return {"ZPX1030I NETSTAT " + name + " TAKES NO OPERAND: '" + operand + "'"};
        std::vector<tcp_socket> socks;
        std::string why;
        if (io.image && !io.image->tcp_sockets(socks, why))
            return {"ZPX1034I NETSTAT " + name + ": THE IMAGE'S CONNECTIONS CANNOT BE READ: " + upper(why)};
        bool all = name != "CONN";
        std::erase_if(socks, [&](const tcp_socket& t) {
            return !all && (t.state == tcp_state::time_wait || t.state == tcp_state::closed);
        });
        std::stable_sort(socks.begin(), socks.end(), [](const tcp_socket& a, const tcp_socket& b) {
            return a.user != b.user ? a.user < b.user : a.id < b.id;
        });
        out.push_back("User Id  Conn     State");
        out.push_back("-------  ----     -----");
        for (const auto& t : socks) {
            out.push_back(pad(t.user.empty() ? "????????" : t.user, 9) + fmt::format("{:08X} ", t.id) +
                          tcp_state_text(t.state));
            out.push_back("  Local Socket:   " + dotted(t.local_ip) + ".." + std::to_string(t.local_port));
            out.push_back("  Foreign Socket: " + dotted(t.remote_ip) + ".." + std::to_string(t.remote_port));
            ++r.records;
        }
    } else if (name == "STATS") {
        // The stack's discards by reason, each counter with its severity: what z/OS
        // folds into "Packets Discarded", broken down so the operator can ask why.
        if (!operand.empty()) return {"ZPX1030I NETSTAT " + name + " TAKES NO OPERAND: '" + operand + "'"};
        out.push_back("IP Statistics (IPv4)");
        out.push_back("  Packets Discarded        = " + counter10(drops.total()));
        // Reassembly and fragmentation as MIB-II counts them (RFC 4293), as z/OS shows them.
        const auto& ra = reasm.stats();
        out.push_back("  Reassembly Timeouts      = " + counter10(ra.timeouts));
        out.push_back("  Reassembly Required      = " + counter10(ra.required));
        out.push_back("  Reassembly Successful    = " + counter10(ra.successful));
        out.push_back("  Reassembly Failures      = " + counter10(ra.failures));
        out.push_back("  Datagrams Fragmented     = " + counter10(fragmented.ok));
        out.push_back("  Fragmentation Failures   = " + counter10(fragmented.failed));
        out.push_back("  Fragments Created        = " + counter10(fragmented.created));
        out.push_back("Discards by reason:");
        out.push_back("  Reason      Count       Severity  Description");
        out.push_back("  ------      -----       --------  -----------");
        for (std::size_t i = 0; i < drop_count; ++i) {
            const auto d = static_cast<drop>(i);
            if (drops[d] == 0) continue;
            static constexpr const char* level_names[] = {"Info", "Warning", "Error"};
            out.push_back("  " + pad(drop_name(d), 12) + counter10(drops[d]) + "  " +
                          pad(level_names[static_cast<std::size_t>(drop_level(d))], 10) + drop_text(d));
            ++r.records;
        }
        out.push_back(std::to_string(r.records) + " of " + std::to_string(r.records) + " records displayed");
        r.own_footer = true;
    } else {
        return {"ZPX1030I NETSTAT REPORT '" + name +
                "' IS NOT AVAILABLE: HOME, ROUTE, DEVLINKS, ARP, VIPADCFG, VIPADYN, VDPT, VCRT, CONN, ALLCONN, STATS"};
    }
    std::vector<std::string> result;
    if (operator_form) {
        static unsigned sequence = 0;
        sequence = (sequence + 1) % 1000;
        result.push_back("EZD0101I NETSTAT CS V2R4 " + me.tcpname + " " + std::to_string(sequence));
        for (const auto& l : out) result.push_back(upper(l));
        if (!r.own_footer) result.push_back(std::to_string(r.records) + " OF " + std::to_string(r.records) + " RECORDS DISPLAYED");
        result.push_back("END OF THE REPORT");
    } else {
        result.push_back("MVS TCP/IP NETSTAT CS V2R4       TCPIP Name: " + pad(me.tcpname, 8) + "         " +
                         clock_time(io.time->wall_seconds()));
        result.insert(result.end(), out.begin(), out.end());
    }
    return result;
}

std::vector<std::string> stack::impl::sysplex_vipadyn() {
    if (!in_group) return {"EZZ8269I " + me.tcpname + " " + me.sysname + " IS NOT A MEMBER OF A SYSPLEX GROUP"};
    struct line {
        std::string tcp, sys;
        std::uint8_t status, rank, origin;
        std::uint8_t dist = 0;  ///< Sysplex Distributor role: 1 DIST, 2 DEST, 3 BOTH
    };
    std::map<std::uint32_t, std::vector<line>> by_address;
    auto role_in = [](const std::vector<control::dist_role>& roles, std::uint32_t a, std::uint8_t status) {
        for (const auto& r : roles)
            if (r.address == a) return static_cast<std::uint8_t>(status == 0 ? r.role : r.role & 2);
        return std::uint8_t{0};
    };
    auto my_roles = dist_roles();
    std::map<std::pair<std::uint32_t, std::string>, std::uint8_t> targets_of_mine;  // exact on the distributor
    for (const auto& sv : sd.services)
        for (const auto& r : sv.rows)
            if (r.peer >= 0) targets_of_mine[{sv.address, peers[static_cast<std::size_t>(r.peer)].member}] = 2;
    for (const auto& d : dvipas) {
        if (d.deleted && d.status == dvipa_status::backup) continue;
        by_address[d.address].push_back({me.tcpname, me.sysname, static_cast<std::uint8_t>(d.status), d.rank,
                                         static_cast<std::uint8_t>(d.origin),
                                         role_in(my_roles, d.address, static_cast<std::uint8_t>(d.status))});
    }
    for (const auto& p : peers) {
        if (!p.present) continue;
        for (const auto& c : p.claims)
            by_address[c.address].push_back({p.tcpname, p.sysname, c.status, c.rank, c.origin,
                                             static_cast<std::uint8_t>(role_in(p.roles, c.address, c.status) |
                                                                       targets_of_mine[{c.address, p.member}])});
    }
    // Targets with no DVIPA statement of their own: ACTIVE, DEST.
    auto add_targets = [&](const std::vector<control::dist_role>& roles, const std::string& tcp, const std::string& sys) {
        for (const auto& r : roles) {
            auto it = by_address.find(r.address);
            if (it == by_address.end()) continue;
            bool listed = std::any_of(it->second.begin(), it->second.end(), [&](const line& l) { return l.sys == sys; });
            if (!listed) it->second.push_back({tcp, sys, 0, 0, it->second.front().origin, 2});
        }
    };
    add_targets(my_roles, me.tcpname, me.sysname);
    for (const auto& p : peers) {
        if (!p.present) continue;
        auto roles = p.roles;
        for (const auto& [key, role] : targets_of_mine)
            if (key.second == p.member) roles.push_back({key.first, role});
        add_targets(roles, p.tcpname, p.sysname);
    }
    std::vector<std::string> out;
    out.push_back("EZZ8260I SYSPLEX CS V2R4");
    out.push_back("VIPA DYNAMIC DISPLAY FROM " + pad(me.tcpname, 8) + " AT " + me.sysname);
    const char* status_names[] = {"ACTIVE", "BACKUP", "MOVING", "QUIESC", "DEACT"};
    const char* origin_names[] = {"VIPADEFINE", "VIPABACKUP", "VIPARANGE BIND"};
    for (auto& [addr, lines] : by_address) {
        std::stable_sort(lines.begin(), lines.end(), [](const line& a, const line& b) {
            auto key = [](const line& l) { return l.status == 0 ? 0 : l.status == 2 || l.status == 3 ? 1 : l.status == 1 ? 2 : 3; };
            if (key(a) != key(b)) return key(a) < key(b);
            return a.rank > b.rank;
        });
        out.push_back("IPADDR: " + dotted(addr) + "  LINKNAME: " + vipa_link_name(addr));
        std::uint8_t origin = lines.front().origin;
        out.push_back(std::string("  ORIGIN: ") + origin_names[origin < 3 ? origin : 0]);
        out.push_back("  TCPNAME  MVSNAME  STATUS RANK DIST");
        out.push_back("  -------- -------- ------ ---- ----");
        for (const auto& l : lines) {
            std::string rank = l.status != 0 ? fmt::format("{:03}", l.rank) : "";
            const char* dist = l.dist == 3 ? "BOTH" : l.dist == 1 ? "DIST" : l.dist == 2 ? "DEST" : "";
            std::string s = "  " + pad(l.tcp, 9) + pad(l.sys, 9) + pad(status_names[l.status < 5 ? l.status : 1], 7) +
                            pad(rank, 5) + dist;
            while (!s.empty() && s.back() == ' ') s.pop_back();
            out.push_back(s);
        }
    }
    out.push_back(std::to_string(by_address.size()) + " OF " + std::to_string(by_address.size()) + " RECORDS DISPLAYED");
    return out;
}

}  // namespace zplex::tcpip::stack
