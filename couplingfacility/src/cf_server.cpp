// SPDX-License-Identifier: Apache-2.0
// zplex-cf: structure allocation, connector and partner monitoring, duplexing,
// rebuild, displays, and the Unix socket operators and the other CF talk to.
#include "instance.hpp"

#include <zplex/cf/cf_server.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <poll.h>
#include <signal.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace zplex::cf {

namespace {

using namespace detail;

bool alive(std::int32_t pid) { return process_alive(pid); }

std::string upper(std::string s) {
    for (auto& c : s) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return s;
}

const char* role_name(role r) {
    switch (r) {
    case role::simplex: return "SIMPLEX";
    case role::primary: return "DUPLEXED PRIMARY";
    case role::secondary: return "DUPLEXED SECONDARY";
    }
    return "?";
}

}  // namespace

struct cf_server::impl {
    server_options o;
    std::map<std::string, std::unique_ptr<instance>> mine;  // structure -> instance held here
    std::map<std::string, std::time_t> allocated_at;

    const sysplex::structure_config* policy(const std::string& name) const {
        for (const auto& s : o.structures) {
            if (s.name == name) {
                return &s;
            }
        }
        return nullptr;
    }

    instance_params params(const sysplex::structure_config& s) const {
        instance_params p;
        p.structure = s.name;
        p.cf = o.cf;
        p.list_count = s.list_count;
        p.max_entries = s.max_entries;
        p.entry_size = s.entry_size;
        p.lock_entries = o.lock_entries;
        return p;
    }

    std::string other_cf(const sysplex::structure_config& s) const {
        for (const auto& c : s.preflist) {
            if (c != o.cf) {
                return c;
            }
        }
        return {};
    }

    /// A live instance of @p s held by another CF, in PREFLIST order.
    std::unique_ptr<instance> live_elsewhere(const sysplex::structure_config& s) const {
        for (const auto& c : s.preflist) {
            if (c == o.cf) {
                continue;
            }
            auto in = instance::open(instance::shm_name(o.sysplex, c, s.name));
            if (in && alive(in->hdr().cf_pid.load()) && !in->hdr().fenced.load() &&
                static_cast<role>(in->hdr().role.load()) != role::secondary) {
                return in;
            }
        }
        return nullptr;
    }

    /// Our instance left by a CF process that died: connectors still using it must
    /// learn the contents are gone (rule 1: their list keys cannot be trusted).
    void retire_stale(const std::string& shm) {
        auto old = instance::open(shm);
        if (old && !alive(old->hdr().cf_pid.load())) {
            old->hdr().fenced.store(1);
            if (!old->hdr().duplex_active.load()) {
                old->hdr().lost.store(1);
            }
        }
    }

    /// Make @p secondary a copy of @p primary and switch duplexing on. Order matters:
    /// duplex_active is published first, then the partner's keys are raised to the
    /// primary's, so a block taken by a connector that did not see the flag is below them.
    void establish_duplex(instance& primary, instance& secondary) {
        instance::locked lp(primary);
        instance::locked ls(secondary);
        secondary.copy_from(primary);
        std::strncpy(primary.hdr().partner_cf, secondary.hdr().cf, sizeof primary.hdr().partner_cf);
        std::strncpy(secondary.hdr().partner_cf, primary.hdr().cf, sizeof secondary.hdr().partner_cf);
        primary.hdr().role.store(static_cast<std::uint32_t>(role::primary));
        primary.hdr().duplex_active.store(1, std::memory_order_seq_cst);
        for (std::uint32_t i = 0; i < primary.list_count(); ++i) {
            secondary.advance_key(i, primary.list(i).list_key.load(std::memory_order_seq_cst));
        }
        primary.hdr().epoch.fetch_add(1);
    }

    void allocate(const sysplex::structure_config& s) {
        auto shm = instance::shm_name(o.sysplex, o.cf, s.name);
        retire_stale(shm);
        auto elsewhere = live_elsewhere(s);
        if (elsewhere && !s.duplex) {
            return;  // allocated in a CF ahead of us in the PREFLIST
        }
        if (elsewhere) {
            auto in = instance::create(shm, params(s), role::secondary);
            establish_duplex(*elsewhere, *in);
            mine[s.name] = std::move(in);
        } else {
            mine[s.name] = instance::create(shm, params(s), role::simplex);
        }
        allocated_at[s.name] = std::time(nullptr);
    }

    /// The primary's CF is gone: the secondary becomes the structure. The old
    /// primary is fenced before we take requests, so no block is handed out twice.
    void take_over(const std::string& name, instance& me) {
        char partner[9] = {};
        std::memcpy(partner, me.hdr().partner_cf, 8);
        auto shm = instance::shm_name(o.sysplex, partner, name);
        if (auto old = instance::open(shm)) {
            old->hdr().fenced.store(1, std::memory_order_seq_cst);
        }
        instance::remove(shm);
        me.hdr().duplex_active.store(0);
        std::memset(me.hdr().partner_cf, 0, sizeof me.hdr().partner_cf);
        me.hdr().role.store(static_cast<std::uint32_t>(role::simplex), std::memory_order_seq_cst);
        me.hdr().epoch.fetch_add(1);
    }

    void drop_partner(instance& me) {
        char partner[9] = {};
        std::memcpy(partner, me.hdr().partner_cf, 8);
        me.hdr().duplex_active.store(0, std::memory_order_seq_cst);
        me.hdr().role.store(static_cast<std::uint32_t>(role::simplex));
        std::memset(me.hdr().partner_cf, 0, sizeof me.hdr().partner_cf);
        instance::remove(instance::shm_name(o.sysplex, partner, me.hdr().structure));
        me.hdr().epoch.fetch_add(1);
    }

    std::unique_ptr<instance> partner_of(instance& me) const {
        char partner[9] = {};
        std::memcpy(partner, me.hdr().partner_cf, 8);
        if (!partner[0]) {
            return nullptr;
        }
        return instance::open(instance::shm_name(o.sysplex, partner, me.hdr().structure));
    }

    void poll() {
        for (auto& [name, in] : mine) {
            auto& h = in->hdr();
            // Connectors whose process died: failed-persistent, locks released.
            for (std::uint32_t i = 0; i < max_connectors; ++i) {
                auto& c = h.connectors[i];
                if (static_cast<conn_state>(c.state.load()) == conn_state::active && !alive(c.pid.load())) {
                    c.state.store(static_cast<std::uint32_t>(conn_state::failed_persistent));
                    for (std::uint32_t k = 0; k < h.lock_entries; ++k) {
                        std::uint32_t owner = i + 1;
                        in->lock_entry(k).compare_exchange_strong(owner, 0);
                    }
                }
            }
            auto r = static_cast<role>(h.role.load());
            if (r == role::simplex) {
                continue;
            }
            auto p = partner_of(*in);
            bool partner_alive = p && alive(p->hdr().cf_pid.load());
            if (!partner_alive) {
                if (r == role::secondary) {
                    take_over(name, *in);
                } else {
                    drop_partner(*in);
                }
            }
        }
    }

    // ------------------------------------------------------------ displays

    std::string display_structure(const sysplex::structure_config& s) {
        std::ostringstream out;
        out << " STRNAME: " << s.name << "\n";
        std::vector<std::unique_ptr<instance>> live;
        for (const auto& c : s.preflist) {
            auto in = instance::open(instance::shm_name(o.sysplex, c, s.name));
            if (in && alive(in->hdr().cf_pid.load()) && !in->hdr().fenced.load()) {
                live.push_back(std::move(in));
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
            out << "   CFNAME         : " << h.cf << "\n";
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
                char line[160];
                std::snprintf(line, sizeof line, "  %-16s %02u %-8d %-18s %10llu\n", name_get(c.name).c_str(), i + 1,
                              c.pid.load(), st == conn_state::active ? "ACTIVE" : "FAILED-PERSISTENT",
                              static_cast<unsigned long long>(c.requests.load()));
                out << line;
            }
        }
        return out.str();
    }

    std::string display_str(const std::string& strname) {
        std::ostringstream out;
        out << "IXC360I  " << sysplex::console_time() << "  DISPLAY XCF\n";
        bool any = false;
        for (const auto& s : o.structures) {
            bool match = strname.empty() || s.name == strname ||
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

    std::string display_cf() {
        std::ostringstream out;
        out << "IXL150I  " << sysplex::console_time() << "  DISPLAY CF\n";
        out << " COUPLING FACILITY " << o.cf << " (ZPLEX EMULATED, PID " << ::getpid() << ")\n";
        out << " STRUCTURES:\n";
        for (const auto& [name, in] : mine) {
            auto& h = in->hdr();
            char line[128];
            std::snprintf(line, sizeof line, "   %-16s %-20s %8llu K  ENTRIES %u/%u\n", name.c_str(),
                          role_name(static_cast<role>(h.role.load())),
                          static_cast<unsigned long long>((h.total_size + 1023) / 1024), h.count.entries_in_use,
                          h.max_entries);
            out << line;
        }
        if (mine.empty()) {
            out << "   NONE\n";
        }
        return out.str();
    }

    // ------------------------------------------------------------ rebuild and duplexing

    /// Another CF asks us to hold a duplex copy (or rebuild target) of @p name.
    std::string join(const std::string& name) {
        const auto* s = policy(name);
        if (!s || std::find(s->preflist.begin(), s->preflist.end(), o.cf) == s->preflist.end()) {
            return "IXC367I STRUCTURE " + name + " CANNOT BE ALLOCATED IN " + o.cf + ": NOT IN ITS PREFLIST\n";
        }
        if (mine.count(name)) {
            return "IXC367I STRUCTURE " + name + " IS ALREADY ALLOCATED IN " + o.cf + "\n";
        }
        auto elsewhere = live_elsewhere(*s);
        if (!elsewhere) {
            return "IXC367I STRUCTURE " + name + " HAS NO ACTIVE INSTANCE TO COPY\n";
        }
        auto in = instance::create(instance::shm_name(o.sysplex, o.cf, name), params(*s), role::secondary);
        establish_duplex(*elsewhere, *in);
        mine[name] = std::move(in);
        allocated_at[name] = std::time(nullptr);
        return "IXC570I SYSTEM-MANAGED DUPLEXING COPY OF " + name + " ESTABLISHED IN " + o.cf + "\n";
    }

    std::string rebuild(const std::string& name, bool duplex_only) {
        const auto* s = policy(name);
        if (!s) {
            return "IXC341I STRUCTURE " + name + " IS NOT DEFINED IN THE CFRM POLICY\n";
        }
        auto it = mine.find(name);
        if (it == mine.end() || static_cast<role>(it->second->hdr().role.load()) == role::secondary) {
            return "IXC341I STRUCTURE " + name + " IS NOT ALLOCATED AS PRIMARY IN " + o.cf + "\n";
        }
        auto& me = *it->second;
        auto target = other_cf(*s);
        if (target.empty()) {
            return "IXC341I STRUCTURE " + name + " HAS NO OTHER CF IN ITS PREFLIST\n";
        }
        if (!me.hdr().duplex_active.load()) {
            auto reply = send_command(o.run_dir, target, "JOIN " + name);
            if (reply.rfind("IXC570I", 0) != 0) {
                return "IXC341I REBUILD OF " + name + " FAILED: " + reply;
            }
        }
        if (duplex_only) {
            return "IXC570I SYSTEM-MANAGED DUPLEXING REBUILD FOR " + name + " COMPLETE: " + o.cf + " AND " + target + "\n";
        }
        // Switch: fence ourselves first, then the copy becomes the structure.
        auto partner = partner_of(me);
        me.hdr().fenced.store(1, std::memory_order_seq_cst);
        if (partner) {
            partner->hdr().duplex_active.store(0);
            std::memset(partner->hdr().partner_cf, 0, sizeof partner->hdr().partner_cf);
            partner->hdr().role.store(static_cast<std::uint32_t>(role::simplex), std::memory_order_seq_cst);
            partner->hdr().epoch.fetch_add(1);
        }
        auto shm = me.shm();
        mine.erase(it);
        instance::remove(shm);
        return "IXC367I SETXCF START REBUILD FOR " + name + " COMPLETE: NOW IN " + target + "\n";
    }

    std::string stop_duplex(const std::string& name) {
        auto it = mine.find(name);
        if (it == mine.end() || static_cast<role>(it->second->hdr().role.load()) != role::primary) {
            return "IXC341I STRUCTURE " + name + " IS NOT DUPLEXED WITH ITS PRIMARY IN " + o.cf + "\n";
        }
        auto partner = partner_of(*it->second);
        drop_partner(*it->second);
        if (partner) {
            partner->hdr().fenced.store(1);
        }
        return "IXC571I DUPLEXING FOR " + name + " STOPPED: KEEPING " + o.cf + "\n";
    }

    std::string command(std::string text) {
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
            text.pop_back();
        }
        std::string u = upper(text);
        auto strname_of = [&](const std::string& t) -> std::string {
            auto p = t.find("STRNAME=");
            if (p == std::string::npos) {
                return {};
            }
            auto e = t.find(',', p);
            return t.substr(p + 8, e == std::string::npos ? std::string::npos : e - p - 8);
        };
        if (u == "D CF" || u == "DISPLAY CF") {
            return display_cf();
        }
        if (u.rfind("D XCF,STR", 0) == 0 || u.rfind("DISPLAY XCF,STR", 0) == 0) {
            return display_str(strname_of(u));
        }
        if (u.rfind("SETXCF START,REBUILD", 0) == 0) {
            auto n = strname_of(u);
            if (n.empty()) {
                return "IXC341I SETXCF START,REBUILD NEEDS STRNAME=\n";
            }
            return rebuild(n, u.find(",DUPLEX") != std::string::npos);
        }
        if (u.rfind("SETXCF STOP,REBUILD,DUPLEX", 0) == 0) {
            auto n = strname_of(u);
            return n.empty() ? "IXC341I SETXCF STOP,REBUILD,DUPLEX NEEDS STRNAME=\n" : stop_duplex(n);
        }
        if (u.rfind("JOIN ", 0) == 0) {
            return join(u.substr(5));
        }
        return "IEE305I " + text.substr(0, 40) + " COMMAND INVALID\n";
    }
};

cf_server::cf_server(server_options o) : _impl(std::make_unique<impl>()) { _impl->o = std::move(o); }

cf_server::~cf_server() {
    for (auto& [name, in] : _impl->mine) {
        // A CF that shuts down drops its copy; a primary with a live partner
        // hands the structure over first.
        auto shm = in->shm();
        in->hdr().fenced.store(1, std::memory_order_seq_cst);
        if (static_cast<role>(in->hdr().role.load()) == role::primary) {
            if (auto p = _impl->partner_of(*in)) {
                p->hdr().duplex_active.store(0);
                p->hdr().role.store(static_cast<std::uint32_t>(role::simplex), std::memory_order_seq_cst);
            }
        } else if (static_cast<role>(in->hdr().role.load()) == role::secondary) {
            if (auto p = _impl->partner_of(*in)) {
                p->hdr().duplex_active.store(0);
                p->hdr().role.store(static_cast<std::uint32_t>(role::simplex));
            }
        } else {
            in->hdr().lost.store(1);
        }
        in.reset();
        instance::remove(shm);
    }
}

void cf_server::start() {
    for (const auto& s : _impl->o.structures) {
        if (std::find(s.preflist.begin(), s.preflist.end(), _impl->o.cf) != s.preflist.end()) {
            _impl->allocate(s);
        }
    }
}

void cf_server::poll() { _impl->poll(); }
std::string cf_server::command(const std::string& text) { return _impl->command(text); }
const std::string& cf_server::name() const noexcept { return _impl->o.cf; }

std::filesystem::path cf_server::socket_path(const std::filesystem::path& run_dir, const std::string& cf) {
    return run_dir / (cf + ".sock");
}

int cf_server::run(const std::atomic<bool>& stop) {
    auto path = socket_path(_impl->o.run_dir, _impl->o.cf);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (fd < 0 || path.string().size() >= sizeof addr.sun_path) {
        return 8;
    }
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    ::unlink(path.c_str());
    mode_t old = ::umask(0077);  // the socket is the owner's only
    int b = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::umask(old);
    if (b != 0 || ::listen(fd, 16) != 0) {
        ::close(fd);
        return 8;
    }
    ::chmod(path.c_str(), 0600);
    while (!stop.load()) {
        pollfd p{fd, POLLIN, 0};
        int n = ::poll(&p, 1, static_cast<int>(_impl->o.interval.count()));
        _impl->poll();
        if (n <= 0) {
            continue;
        }
        int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) {
            continue;
        }
        timeval tv{2, 0};
        ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        std::string req;
        char buf[512];
        while (req.find('\n') == std::string::npos && req.size() < 1024) {
            auto r = ::read(c, buf, sizeof buf);
            if (r <= 0) {
                break;
            }
            req.append(buf, static_cast<std::size_t>(r));
        }
        std::string reply;
        if (req.size() >= 1024) {
            reply = "IEE305I COMMAND TOO LONG\n";
        } else {
            reply = command(req.substr(0, req.find('\n')));
        }
        std::size_t off = 0;
        while (off < reply.size()) {
            auto w = ::write(c, reply.data() + off, reply.size() - off);
            if (w <= 0) {
                break;
            }
            off += static_cast<std::size_t>(w);
        }
        ::close(c);
    }
    ::close(fd);
    ::unlink(path.c_str());
    return 0;
}

std::string send_command(const std::filesystem::path& run_dir, const std::string& cf, const std::string& command) {
    auto path = cf_server::socket_path(run_dir, cf);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (fd < 0 || path.string().size() >= sizeof addr.sun_path) {
        if (fd >= 0) {
            ::close(fd);
        }
        return "IXL158I CF " + cf + " CANNOT BE REACHED\n";
    }
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return "IXL158I CF " + cf + " CANNOT BE REACHED\n";
    }
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string line = command + "\n";
    if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
        ::close(fd);
        return "IXL158I CF " + cf + " CANNOT BE REACHED\n";
    }
    std::string reply;
    char buf[4096];
    ssize_t r;
    while ((r = ::read(fd, buf, sizeof buf)) > 0) {
        reply.append(buf, static_cast<std::size_t>(r));
    }
    ::close(fd);
    return reply;
}

}  // namespace zplex::cf
