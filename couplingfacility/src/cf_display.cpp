// SPDX-License-Identifier: Apache-2.0
// Operator commands of a CF: D CF[,CFNAME=], D XCF,STR[,STRNAME=], and the
// sysplex-wide SETXCF START|STOP,REBUILD[,DUPLEX]. Every display is read from the
// structures' shared-memory headers, so every CF shows the same truth.
#include "server_impl.hpp"

#include <zplex/sysplex/text.hpp>

#include <fmt/format.h>
#include <cctype>
#include <cstring>
#include <ctime>
#include <sstream>

namespace zplex::cf {

using namespace detail;

namespace {

using sysplex::upper;

const char* role_name(role r) {
    switch (r) {
    case role::simplex: return "SIMPLEX";
    case role::primary: return "DUPLEXED PRIMARY";
    case role::secondary: return "DUPLEXED SECONDARY";
    }
    return "?";
}

std::string cf_of(const char (&field)[cf_name_size]) { return std::string(field, strnlen(field, cf_name_size)); }

std::string when(std::int64_t t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    ::localtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%m/%d/%Y %H:%M:%S", &tm);
    return buf;
}

/// KEYWORD=value of a command (upper case), empty if absent.
std::string keyword(const std::string& u, const std::string& key) {
    auto p = u.find("," + key + "=");
    if (p == std::string::npos) {
        return {};
    }
    p += key.size() + 2;
    auto e = u.find(',', p);
    return u.substr(p, e == std::string::npos ? std::string::npos : e - p);
}

}  // namespace

std::string cf_server::impl::display_cf(const std::string& cf) {
    std::ostringstream out;
    out << "IXL150I  " << sysplex::console_time() << "  DISPLAY CF\n";
    auto holder = cf == o.cf && lock ? sysplex::self_identity() : cf_lock::holder(o.sysplex, cf);
    out << " COUPLING FACILITY " << cf;
    if (holder.pid != 0) {
        out << " (ZPLEX EMULATED, PID " << holder.pid << ")\n";
    } else {
        out << " (ZPLEX EMULATED): NOT ACTIVE\n";
    }
    out << " STRUCTURES:\n";
    bool any = false;
    for (const auto& s : o.structures) {
        auto in = instance::open(shm(cf, s.name));
        if (!in || !current(*in)) {
            continue;
        }
        auto& h = in->hdr();
        out << fmt::format("   {:<16} {:<20} {:>8} K  ENTRIES {}/{}\n", s.name, role_name(static_cast<role>(h.role.load())),
                           (h.total_size + 1023) / 1024, h.count.entries_in_use, h.max_entries);
        any = true;
    }
    if (!any) {
        out << "   NONE\n";
    }
    return out.str();
}

std::string cf_server::impl::display_summary() {
    std::ostringstream out;
    out << "IXC359I  " << sysplex::console_time() << "  DISPLAY XCF\n";
    out << " STRNAME          ALLOCATION TIME     STATUS\n";
    for (const auto& s : o.structures) {
        std::string status = "NOT ALLOCATED";
        std::string at = "--";
        if (auto p = primary_of(s)) {
            at = when(p->hdr().allocated_at);
            auto copy = p->hdr().duplex_active.load() ? partner_of(*p) : nullptr;
            if (copy && current(*copy)) {
                status = "DUPLEXING REBUILD: PRIMARY IN " + cf_of(p->hdr().cf) + ", SECONDARY IN " + cf_of(copy->hdr().cf);
            } else {
                status = "ALLOCATED IN " + cf_of(p->hdr().cf);
            }
        }
        out << fmt::format(" {:<16} {:<19} {}\n", s.name, at, status);
    }
    return out.str();
}

std::string cf_server::impl::display_structure(const sysplex::structure_config& s) {
    std::ostringstream out;
    out << " STRNAME: " << s.name << "\n";
    std::vector<std::unique_ptr<instance>> live;
    if (auto p = primary_of(s)) {
        auto copy = p->hdr().duplex_active.load() ? partner_of(*p) : nullptr;
        live.push_back(std::move(p));
        if (copy && current(*copy)) {
            live.push_back(std::move(copy));
        }
    }
    out << "  STATUS: " << (live.empty() ? "NOT ALLOCATED" : live.size() > 1 ? "DUPLEXING ESTABLISHED" : "ALLOCATED")
        << "\n";
    out << "  POLICY INFORMATION:\n";
    out << "   POLICY SIZE    : " << s.size_kb << " K\n";
    out << "   POLICY INITSIZE: " << (s.initsize_kb ? s.initsize_kb : s.size_kb) << " K\n";
    out << "   PREFERENCE LIST:";
    for (const auto& c : s.preflist) {
        out << " " << c;
    }
    out << "\n   DUPLEX         : " << (s.duplex ? "ENABLED" : "DISABLED") << "\n";
    for (auto& in : live) {
        auto& h = in->hdr();
        out << "  " << role_name(static_cast<role>(h.role.load())) << " STRUCTURE\n";
        out << "   ALLOCATION TIME: " << when(h.allocated_at) << "\n";
        out << "   CFNAME         : " << cf_of(h.cf) << "\n";
        out << "   ACTUAL SIZE    : " << (h.total_size + 1023) / 1024 << " K\n";
        out << "   ENTRIES        : IN-USE: " << h.count.entries_in_use << "  TOTAL: " << h.max_entries << "\n";
        out << "   LIST HEADERS   : " << h.list_count << "  LOCK ENTRIES: " << h.lock_entries << "\n";
        std::uint64_t requests = 0;
        for (const auto& c : h.connectors) {
            requests += c.requests.load();
        }
        out << "   REQUESTS       : " << requests << "\n";
        out << "  CONNECTION NAME  ID PID      STATE              REQUESTS\n";
        out << "  ---------------- -- -------- ------------------ ----------\n";
        for (std::uint32_t i = 0; i < max_connectors; ++i) {
            auto& c = h.connectors[i];
            auto st = static_cast<conn_state>(c.state.load());
            if (st == conn_state::unused) {
                continue;
            }
            bool up = st == conn_state::active &&
                      process_alive(sysplex::process_identity{c.pid.load(), c.start_time.load()});
            out << fmt::format("  {:<16} {:02} {:<8} {:<18} {:>10}\n", name_get(c.name), i + 1, c.pid.load(),
                               up ? "ACTIVE" : "FAILED-PERSISTENT", c.requests.load());
        }
    }
    return out.str();
}

std::string cf_server::impl::display_str(const std::string& strname) {
    std::ostringstream out;
    out << "IXC360I  " << sysplex::console_time() << "  DISPLAY XCF\n";
    bool any = false;
    for (const auto& s : o.structures) {
        bool match = s.name == strname ||
                     (strname.back() == '*' && s.name.rfind(strname.substr(0, strname.size() - 1), 0) == 0);
        if (match) {
            out << display_structure(s);
            any = true;
        }
    }
    if (!any) {
        out << " STRNAME " << strname << " NOT DEFINED IN THE CFRM POLICY\n";
    }
    return out.str();
}

// ---------------------------------------------------------------- SETXCF (sysplex-wide)

std::string cf_server::impl::rebuild(const std::string& name, bool duplex) {
    const std::string what = duplex ? "SETXCF START,REBUILD,DUPLEX" : "SETXCF START,REBUILD";
    std::unique_lock<std::mutex> l(m);
    poll();
    const auto* s = policy(name);
    if (!s) {
        return "IXC341I " + what + " REJECTED: STRUCTURE " + name + " IS NOT DEFINED IN THE CFRM POLICY\n";
    }
    if (duplex && !s->duplex) {
        return "IXC341I " + what + " REJECTED: STRUCTURE " + name + " HAS DUPLEX(DISABLED) IN THE CFRM POLICY\n";
    }
    auto primary = primary_of(*s);
    if (!primary) {
        return "IXC341I " + what + " REJECTED: STRUCTURE " + name + " IS NOT ALLOCATED\n";
    }
    const std::string from = cf_of(primary->hdr().cf);
    if (duplex && primary->hdr().duplex_active.load()) {
        return "IXC341I " + what + " REJECTED: STRUCTURE " + name + " IS ALREADY DUPLEXED\n";
    }
    std::string target;
    if (primary->hdr().duplex_active.load()) {
        target = cf_of(primary->hdr().partner_cf);
    } else {
        for (const auto& c : s->preflist) {
            if (c != from) {
                target = c;
                break;
            }
        }
        if (target.empty()) {
            return "IXC341I " + what + " REJECTED: STRUCTURE " + name + " HAS NO OTHER CF IN ITS PREFLIST\n";
        }
        primary.reset();
        std::string reply;
        if (target == o.cf) {
            reply = join(name, !duplex);
        } else {
            // The target CF makes the copy itself; we wait without holding anything the
            // monitor needs.
            l.unlock();
            reply = send_command(o.run_dir, target, "JOIN " + name + (duplex ? "" : ",REBUILD"));
            l.lock();
        }
        if (reply.rfind("IXC570I", 0) != 0) {
            return "IXC341I " + what + " FOR " + name + " FAILED: " + reply;
        }
    }
    if (duplex) {
        return "IXC570I SYSTEM-MANAGED DUPLEXING REBUILD FOR " + name + " COMPLETE: PRIMARY IN " + from +
               ", SECONDARY IN " + target + "\n";
    }
    // The move: the copy becomes the structure, the old primary is fenced.
    primary = primary_of(*s);
    auto copy = primary && primary->hdr().duplex_active.load() ? partner_of(*primary) : nullptr;
    if (!copy || !current(*copy)) {
        return "IXC341I " + what + " FOR " + name + " FAILED: THE COPY IN " + target + " IS GONE\n";
    }
    switch_to(*primary, *copy);
    if (mine.count(name) && mine[name]->hdr().instance_id == primary->hdr().instance_id) {
        forget(name);
    }
    auto msg = "IXC521I REBUILD FOR STRUCTURE " + name + " HAS BEEN COMPLETED: NOW IN " + target;
    say(msg);
    return "IXC367I SETXCF START REBUILD FOR " + name + " COMPLETE: NOW IN " + target + "\n";
}

std::string cf_server::impl::stop_duplex(const std::string& name, bool keep_new) {
    const std::string what = "SETXCF STOP,REBUILD,DUPLEX";
    std::lock_guard<std::mutex> l(m);
    poll();
    const auto* s = policy(name);
    if (!s) {
        return "IXC341I " + what + " REJECTED: STRUCTURE " + name + " IS NOT DEFINED IN THE CFRM POLICY\n";
    }
    auto primary = primary_of(*s);
    auto copy = primary && primary->hdr().duplex_active.load() ? partner_of(*primary) : nullptr;
    if (!copy || !current(*copy)) {
        return "IXC341I " + what + " REJECTED: STRUCTURE " + name + " IS NOT DUPLEXED\n";
    }
    std::string kept;
    if (keep_new) {
        switch_to(*primary, *copy);
        copy->hdr().operator_simplex.store(1);
        kept = cf_of(copy->hdr().cf);
    } else {
        drop_partner(*primary, true);
        kept = cf_of(primary->hdr().cf);
    }
    poll();  // our own handle on what was dropped goes at once
    auto msg = "IXC571I DUPLEXING FOR STRUCTURE " + name + " STOPPED: KEEPING " + kept;
    say(msg);
    return msg + "\n";
}

std::string cf_server::impl::command(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
        text.pop_back();
    }
    std::string u = upper(text);
    if (u == "D CF" || u == "DISPLAY CF" || u.rfind("D CF,", 0) == 0 || u.rfind("DISPLAY CF,", 0) == 0) {
        auto cf = keyword(u, "CFNAME");
        if (cf.empty() && u.find(',') != std::string::npos) {
            return "IEE305I " + text.substr(0, 40) + " COMMAND INVALID\n";
        }
        std::lock_guard<std::mutex> l(m);
        if (cf.empty()) {
            return display_cf(o.cf);
        }
        auto all = cfs();
        if (std::find(all.begin(), all.end(), cf) == all.end()) {
            return "IXL158I CF " + cf.substr(0, 16) + " IS NOT DEFINED IN THE CFRM POLICY\n";
        }
        return display_cf(cf);
    }
    if (u == "D XCF,STR" || u == "DISPLAY XCF,STR" || u == "D XCF,STRUCTURE" || u == "DISPLAY XCF,STRUCTURE") {
        std::lock_guard<std::mutex> l(m);
        return display_summary();
    }
    if (u.rfind("D XCF,STR,", 0) == 0 || u.rfind("DISPLAY XCF,STR,", 0) == 0 ||
        u.rfind("D XCF,STRUCTURE,", 0) == 0 || u.rfind("DISPLAY XCF,STRUCTURE,", 0) == 0) {
        auto n = keyword(u, "STRNAME");
        if (n.empty()) {
            return "IEE305I " + text.substr(0, 40) + " COMMAND INVALID\n";
        }
        std::lock_guard<std::mutex> l(m);
        return display_str(n);
    }
    if (u.rfind("SETXCF START,REBUILD", 0) == 0) {
        auto n = keyword(u, "STRNAME");
        if (n.empty()) {
            return "IXC341I SETXCF START,REBUILD NEEDS STRNAME=\n";
        }
        return rebuild(n, u.rfind("SETXCF START,REBUILD,DUPLEX", 0) == 0);
    }
    if (u.rfind("SETXCF STOP,REBUILD,DUPLEX", 0) == 0) {
        auto n = keyword(u, "STRNAME");
        auto keep = keyword(u, "KEEP");
        if (n.empty() || (!keep.empty() && keep != "OLD" && keep != "NEW")) {
            return "IXC341I SETXCF STOP,REBUILD,DUPLEX NEEDS STRNAME= (AND KEEP=OLD OR KEEP=NEW)\n";
        }
        return stop_duplex(n, keep == "NEW");
    }
    if (u.rfind("JOIN ", 0) == 0) {
        auto n = u.substr(5);
        bool as_rebuild = false;
        if (auto c = n.find(",REBUILD"); c != std::string::npos && c + 8 == n.size()) {
            n.resize(c);
            as_rebuild = true;
        }
        std::lock_guard<std::mutex> l(m);
        poll();
        return join(n, as_rebuild);
    }
    return "IEE305I " + text.substr(0, 40) + " COMMAND INVALID\n";
}

}  // namespace zplex::cf
