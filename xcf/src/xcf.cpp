// SPDX-License-Identifier: Apache-2.0
// Systems, members, signalling over shared-memory rings, failure detection and
// partitioning. The couple dataset is one shared-memory segment (mode 0600).
#include "codec.hpp"

#include <zplex/xcf/xcf.hpp>
#include <zplex/sysplex/process.hpp>

#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/permissions.hpp>
#include <boost/interprocess/shared_memory_object.hpp>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <mutex>
#include <signal.h>
#include <sstream>
#include <thread>
#include <unistd.h>
#include <utility>

namespace zplex::xcf {

namespace bip = boost::interprocess;
using namespace detail;

std::string to_string(result r) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "RC=%02u RSN=%04X", static_cast<unsigned>(r.code), static_cast<unsigned>(r.why));
    return buf;
}

bool parse_key(std::string_view hex, sysplex_key& out) {
    std::size_t n = 0;
    int nibble = -1;
    for (char c : hex) {
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            continue;
        }
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (v < 0 || n >= out.size()) {
            return false;
        }
        if (nibble < 0) {
            nibble = v;
        } else {
            out[n++] = static_cast<std::uint8_t>(nibble << 4 | v);
            nibble = -1;
        }
    }
    return n == out.size() && nibble < 0;
}

namespace {

constexpr result ok() { return {}; }
constexpr result fail(reason r, rc c = rc::error) { return {c, r}; }

std::int64_t now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

bool alive(std::int32_t pid) { return sysplex::process_alive(pid); }

template <std::size_t N>
void set_field(char (&f)[N], const std::string& s) {
    std::memset(f, 0, N);
    std::memcpy(f, s.data(), std::min(N, s.size()));
}

template <std::size_t N>
std::string get_field(const char (&f)[N]) {
    return std::string(f, strnlen(f, N));
}

/// Waiting on a path: yield the CPU a few hundred times (the peer is usually just
/// about to publish), then sleep in short steps.
void backoff(unsigned spins) {
    if (spins < 200) {
        std::this_thread::yield();
    } else {
        std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
}

/// The mapped couple dataset of one process.
struct mapping {
    bip::shared_memory_object obj;
    bip::mapped_region region;
    cds* c = nullptr;
};

class cds_lock {
public:
    explicit cds_lock(cds& c) : _c(c) {
        if (pthread_mutex_lock(&_c.mutex) == EOWNERDEAD) {
            // Every change under this mutex is a single field store: nothing to undo.
            pthread_mutex_consistent(&_c.mutex);
        }
    }
    ~cds_lock() { pthread_mutex_unlock(&_c.mutex); }
    cds_lock(const cds_lock&) = delete;
    cds_lock& operator=(const cds_lock&) = delete;

private:
    cds& _c;
};

void post_event(cds& c, group_event::kind k, const member_slot& m, const std::string& sysname) {
    auto seq = c.event_seq.load();
    auto& e = c.events[seq % max_events];
    e.seq = seq;
    e.kind = static_cast<std::uint32_t>(k);
    std::memcpy(e.group, m.group, sizeof e.group);
    std::memcpy(e.member, m.name, sizeof e.member);
    set_field(e.system, sysname);
    c.event_seq.store(seq + 1, std::memory_order_release);
}

}  // namespace

// ====================================================================== system

struct system::impl {
    sysplex_options o;
    std::string name;
    std::uint32_t slot = 0;
    std::uint32_t incarnation = 0;
    std::string shm;
    std::unique_ptr<mapping> map;
    secret message_key;
    std::mutex msg_mutex;
    std::vector<std::string> messages;
    std::thread thread;
    std::atomic<bool> stopping{false};
    bool fenced_flag = false;

    cds& c() { return *map->c; }
    void say(std::string m) {
        std::lock_guard<std::mutex> g(msg_mutex);
        messages.push_back(std::move(m));
    }

    /// Partition a system out: its members fail, survivors' group exits hear it.
    void partition(std::uint32_t s, const char* why) {
        auto& sys = c().systems[s];
        std::uint32_t active = static_cast<std::uint32_t>(sys_state::active);
        std::string sname = get_field(sys.name);
        {
            cds_lock l(c());
            if (!sys.state.compare_exchange_strong(active, static_cast<std::uint32_t>(sys_state::failed))) {
                return;  // someone else did it
            }
            for (auto& m : c().members) {
                std::uint32_t st = static_cast<std::uint32_t>(member_state::active);
                if (m.system == s && m.state.load() != static_cast<std::uint32_t>(member_state::unused) &&
                    m.state.load() != static_cast<std::uint32_t>(member_state::failed)) {
                    m.state.store(static_cast<std::uint32_t>(member_state::failed));
                    post_event(c(), group_event::kind::failed, m, sname);
                }
                (void)st;
            }
        }
        say("IXC101I SYSPLEX PARTITIONING IN PROGRESS FOR " + sname + " REQUESTED BY " + name + ". REASON: " + why);
        say("IXC105I SYSPLEX PARTITIONING HAS COMPLETED FOR " + sname);
    }
};

system::system() : _impl(std::make_unique<impl>()) {}

result system::join(const sysplex_options& o, const std::string& sysname, std::unique_ptr<system>& out) {
    if (sysname.empty() || sysname.size() > 8 || o.sysplex.empty() || o.interval.count() <= 0) {
        return fail(reason::bad_parameter);
    }
    std::unique_ptr<system> s(new system());
    auto& im = *s->_impl;
    im.o = o;
    im.name = sysname;
    im.shm = "zplex." + o.sysplex + ".XCF";
    im.map = std::make_unique<mapping>();
    std::uint8_t check[16];
    derive(o.key, "zplex xcf key check", {}, check);
    try {
        try {
            im.map->obj = bip::shared_memory_object(bip::create_only, im.shm.c_str(), bip::read_write,
                                                    bip::permissions(0600));
            im.map->obj.truncate(sizeof(cds));
            im.map->region = bip::mapped_region(im.map->obj, bip::read_write);
            std::memset(im.map->region.get_address(), 0, sizeof(cds));
            auto* c = new (im.map->region.get_address()) cds{};
            set_field(c->sysplex, o.sysplex);
            std::memcpy(c->key_check, check, sizeof check);
            RAND_bytes(c->salt, sizeof c->salt);
            c->interval_ms = o.interval.count();
            pthread_mutexattr_t a;
            pthread_mutexattr_init(&a);
            pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
            pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
            pthread_mutex_init(&c->mutex, &a);
            pthread_mutexattr_destroy(&a);
            c->next_incarnation.store(1);
            std::atomic_thread_fence(std::memory_order_seq_cst);
            c->magic = cds_magic;
            im.map->c = c;
        } catch (const bip::interprocess_exception&) {
            im.map->obj = bip::shared_memory_object(bip::open_only, im.shm.c_str(), bip::read_write);
            im.map->region = bip::mapped_region(im.map->obj, bip::read_write);
            im.map->c = static_cast<cds*>(im.map->region.get_address());
            for (int i = 0; i < 1000 && im.map->c->magic != cds_magic; ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(1));  // creator still formatting
            }
            if (im.map->c->magic != cds_magic || im.map->region.get_size() < sizeof(cds)) {
                return fail(reason::bad_parameter, rc::environment);
            }
        }
    } catch (const bip::interprocess_exception&) {
        return fail(reason::bad_parameter, rc::environment);
    }
    auto& c = im.c();
    if (CRYPTO_memcmp(c.key_check, check, sizeof check) != 0) {
        return fail(reason::bad_key);  // no key, no sysplex
    }
    std::uint8_t mk[32];
    derive(o.key, "zplex xcf message key", c.salt, mk);
    im.message_key = secret(mk);
    OPENSSL_cleanse(mk, sizeof mk);
    {
        cds_lock l(c);
        std::uint32_t free = max_systems;
        for (std::uint32_t i = 0; i < max_systems; ++i) {
            auto& sy = c.systems[i];
            auto st = static_cast<sys_state>(sy.state.load());
            if (st == sys_state::unused) {
                free = std::min(free, i);
                continue;
            }
            if (get_field(sy.name) == sysname) {
                if (st == sys_state::active && alive(sy.pid.load()) &&
                    now_ns() - sy.status_ns.load() < o.interval.count() * 1'000'000) {
                    return fail(reason::system_active);
                }
                free = i;  // a failed or dead system re-IPLs into its slot
                break;
            }
        }
        if (free == max_systems) {
            return fail(reason::sysplex_full);
        }
        auto& sy = c.systems[free];
        set_field(sy.name, sysname);
        sy.pid.store(::getpid());
        sy.status_ns.store(now_ns());
        sy.incarnation.fetch_add(1);
        sy.state.store(static_cast<std::uint32_t>(sys_state::active));
        im.slot = free;
        im.incarnation = sy.incarnation.load();
    }
    out = std::move(s);
    return ok();
}

system::~system() {
    stop();
    auto& im = *_impl;
    if (!im.map) {
        return;
    }
    auto& c = im.c();
    cds_lock l(c);
    auto& sy = c.systems[im.slot];
    if (sy.incarnation.load() == im.incarnation && sy.state.load() == static_cast<std::uint32_t>(sys_state::active)) {
        for (auto& m : c.members) {
            if (m.system == im.slot && m.state.load() != static_cast<std::uint32_t>(member_state::unused) &&
                m.state.load() != static_cast<std::uint32_t>(member_state::failed)) {
                m.state.store(static_cast<std::uint32_t>(member_state::unused));
                post_event(c, group_event::kind::left, m, im.name);
            }
        }
        sy.state.store(static_cast<std::uint32_t>(sys_state::unused));
    }
    bool anyone = false;
    for (auto& s : c.systems) {
        // A system whose process is gone will never heartbeat again: it does not count.
        anyone = anyone || (s.state.load() == static_cast<std::uint32_t>(sys_state::active) && alive(s.pid.load()));
    }
    if (!anyone) {
        bip::shared_memory_object::remove(im.shm.c_str());  // the last system out removes the dataset
    }
}

void system::tick() {
    auto& im = *_impl;
    auto& c = im.c();
    auto& me = c.systems[im.slot];
    if (me.incarnation.load() != im.incarnation || me.state.load() != static_cast<std::uint32_t>(sys_state::active)) {
        if (!im.fenced_flag) {
            im.fenced_flag = true;
            im.say("IXC102A " + im.name + " WAS PARTITIONED OUT OF THE SYSPLEX: ITS MEMBERS MAY NOT SEND");
        }
        return;
    }
    me.status_ns.store(now_ns());
    me.pid.store(::getpid());
    std::int64_t limit = im.o.interval.count() * 1'000'000;
    for (std::uint32_t i = 0; i < max_systems; ++i) {
        if (i == im.slot) {
            continue;
        }
        auto& s = c.systems[i];
        if (s.state.load() != static_cast<std::uint32_t>(sys_state::active)) {
            continue;
        }
        auto age = now_ns() - s.status_ns.load();
        if (age > limit) {
            im.partition(i, "STATUS UPDATE MISSING");
        }
    }
    // Members whose process died fail within the same bound.
    for (auto& m : c.members) {
        if (m.state.load() == static_cast<std::uint32_t>(member_state::active) && !alive(m.pid.load())) {
            cds_lock l(c);
            if (m.state.load() == static_cast<std::uint32_t>(member_state::active)) {
                m.state.store(static_cast<std::uint32_t>(member_state::failed));
                post_event(c, group_event::kind::failed, m, get_field(c.systems[m.system].name));
                im.say("IXC464I MEMBER " + get_field(m.name) + " OF GROUP " + get_field(m.group) +
                       " FAILED: ITS PROCESS ENDED");
            }
        }
    }
}

void system::start() {
    auto& im = *_impl;
    if (im.thread.joinable()) {
        return;
    }
    im.stopping = false;
    im.thread = std::thread([this] {
        auto step = std::max<std::int64_t>(1, _impl->o.interval.count() / 4);
        while (!_impl->stopping.load()) {
            tick();
            std::this_thread::sleep_for(std::chrono::milliseconds(step));
        }
    });
}

void system::stop() {
    auto& im = *_impl;
    im.stopping = true;
    if (im.thread.joinable()) {
        im.thread.join();
    }
}

bool system::fenced() const {
    auto& im = *_impl;
    auto& me = im.c().systems[im.slot];
    return me.incarnation.load() != im.incarnation || me.state.load() != static_cast<std::uint32_t>(sys_state::active);
}

const std::string& system::name() const { return _impl->name; }

std::vector<std::string> system::take_messages() {
    std::lock_guard<std::mutex> g(_impl->msg_mutex);
    return std::exchange(_impl->messages, {});
}

std::string system::display(const std::string& command) {
    auto& c = _impl->c();
    std::string u;
    for (char ch : command) {
        u += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    std::ostringstream out;
    auto state_name = [](std::uint32_t s) {
        switch (static_cast<member_state>(s)) {
        case member_state::active: return "ACTIVE";
        case member_state::quiesced: return "QUIESCED";
        case member_state::failed: return "FAILED";
        case member_state::unused: break;
        }
        return "UNUSED";
    };
    if (u == "D XCF" || u == "DISPLAY XCF") {
        out << "IXC334I  " << sysplex::console_time() << "  DISPLAY XCF\n SYSPLEX " << get_field(c.sysplex) << ":";
        for (auto& s : c.systems) {
            if (s.state.load() == static_cast<std::uint32_t>(sys_state::active)) {
                out << "  " << get_field(s.name);
            }
        }
        out << "\n";
        return out.str();
    }
    if (u == "D XCF,GROUP" || u == "D XCF,GRP") {
        out << "IXC331I  " << sysplex::console_time() << "  DISPLAY XCF\n GROUPS(SIZE):";
        std::vector<std::pair<std::string, int>> groups;
        for (auto& m : c.members) {
            if (m.state.load() == static_cast<std::uint32_t>(member_state::unused)) {
                continue;
            }
            auto g = get_field(m.group);
            auto it = std::find_if(groups.begin(), groups.end(), [&](auto& p) { return p.first == g; });
            if (it == groups.end()) {
                groups.emplace_back(g, 1);
            } else {
                ++it->second;
            }
        }
        for (auto& [g, n] : groups) {
            out << "  " << g << "(" << n << ")";
        }
        out << "\n";
        return out.str();
    }
    if (u.rfind("D XCF,GROUP,", 0) == 0) {
        auto rest = u.substr(12);
        auto comma = rest.find(',');
        auto group = rest.substr(0, comma);
        out << "IXC333I  " << sysplex::console_time() << "  DISPLAY XCF\n INFORMATION FOR GROUP " << group << "\n";
        out << "   MEMBER NAME:      SYSTEM:  PID:     STATE:    USER STATE:\n";
        int n = 0;
        for (auto& m : c.members) {
            if (m.state.load() == static_cast<std::uint32_t>(member_state::unused) || get_field(m.group) != group) {
                continue;
            }
            char line[128];
            std::snprintf(line, sizeof line, "   %-17s %-8s %-8d %-9s %016llX\n", get_field(m.name).c_str(),
                          get_field(c.systems[m.system].name).c_str(), m.pid.load(), state_name(m.state.load()),
                          static_cast<unsigned long long>(m.user_state.load()));
            out << line;
            ++n;
        }
        if (n == 0) {
            out << "   GROUP " << group << " HAS NO MEMBERS\n";
        }
        return out.str();
    }
    if (u == "D XCF,PATHIN" || u == "D XCF,PATHOUT" || u == "D XCF,PI" || u == "D XCF,PO") {
        bool in = u.find("PATHIN") != std::string::npos || u.ends_with(",PI");
        out << (in ? "IXC355I  " : "IXC356I  ") << sysplex::console_time() << "  DISPLAY XCF\n";
        out << (in ? " PATHIN FROM SYSTEM(MEMBER)       TO MEMBER         MESSAGES  PENDING BYTES\n"
                   : " PATHOUT FROM MEMBER   TO SYSTEM(MEMBER)            MESSAGES  PENDING BYTES\n");
        for (std::uint32_t s = 0; s < max_members; ++s) {
            for (std::uint32_t r = 0; r < max_members; ++r) {
                auto& ring = c.rings[s][r];
                auto msgs = ring.messages.load();
                if (msgs == 0) {
                    continue;
                }
                auto& ms = c.members[s];
                auto& mr = c.members[r];
                char line[160];
                std::snprintf(line, sizeof line, " %-8s(%-16s) -> %-16s %10llu %10llu\n",
                              get_field(c.systems[ms.system].name).c_str(), get_field(ms.name).c_str(),
                              get_field(mr.name).c_str(), static_cast<unsigned long long>(msgs),
                              static_cast<unsigned long long>(ring.tail.load() - ring.head.load()));
                out << line;
            }
        }
        return out.str();
    }
    return "IEE305I " + command.substr(0, 40) + " COMMAND INVALID\n";
}

// ====================================================================== member

struct member::impl {
    system* sys = nullptr;
    std::string group;
    std::string name;
    std::uint32_t slot = 0;
    std::uint32_t incarnation = 0;
    std::uint64_t next_seq = 1;
    std::uint64_t event_seen = 0;
    bool left = false;
    reassembler partial[max_members];
    std::uint32_t last_incarnation[max_members] = {};
    std::uint64_t last_seq[max_members] = {};
    std::uint32_t rr = 0;
    drop_counters drops;
    /// Messages already taken off the rings (while this member waited to send):
    /// senders drain their own paths so two members sending to each other never wait
    /// on each other.
    std::deque<std::pair<std::string, std::vector<std::uint8_t>>> inbox;
    std::vector<std::uint8_t> frame = std::vector<std::uint8_t>(sizeof(fragment_header) + max_fragment + 8);

    /// Move every complete message on our incoming paths into the inbox.
    void pump();

    cds& c() { return sys->_impl->c(); }
    bool mine_active() {
        auto& m = c().members[slot];
        return !left && m.incarnation.load() == incarnation &&
               m.state.load() == static_cast<std::uint32_t>(member_state::active);
    }
};

member::member() : _impl(std::make_unique<impl>()) {}

result member::join(system& sys, const std::string& group, const std::string& name, std::uint64_t user_state,
                    std::unique_ptr<member>& out) {
    if (group.empty() || group.size() > 8 || name.empty() || name.size() > 16) {
        return fail(reason::bad_parameter);
    }
    if (sys.fenced()) {
        return fail(reason::fenced);
    }
    std::unique_ptr<member> m(new member());
    auto& im = *m->_impl;
    im.sys = &sys;
    im.group = group;
    im.name = name;
    auto& c = im.c();
    cds_lock l(c);
    std::uint32_t free = max_members;
    for (std::uint32_t i = 0; i < max_members; ++i) {
        auto& s = c.members[i];
        auto st = static_cast<member_state>(s.state.load());
        if (st == member_state::unused) {
            free = std::min(free, i);
            continue;
        }
        if (get_field(s.group) == group && get_field(s.name) == name) {
            if (st == member_state::active && alive(s.pid.load())) {
                return fail(reason::member_active);
            }
            free = i;  // a failed member rejoins in its slot
            break;
        }
    }
    if (free == max_members) {
        return fail(reason::group_full);
    }
    auto& s = c.members[free];
    set_field(s.group, group);
    set_field(s.name, name);
    s.system = sys._impl->slot;
    s.pid.store(::getpid());
    s.user_state.store(user_state);
    s.incarnation.store(c.next_incarnation.fetch_add(1));
    im.slot = free;
    im.incarnation = s.incarnation.load();
    // Start reading where the rings are now: nothing older is for us.
    for (std::uint32_t r = 0; r < max_members; ++r) {
        auto& ring = c.rings[r][free];
        ring.head.store(ring.tail.load());
    }
    im.event_seen = c.event_seq.load();
    s.state.store(static_cast<std::uint32_t>(member_state::active));
    post_event(c, group_event::kind::joined, s, sys.name());
    out = std::move(m);
    return ok();
}

member::~member() { leave(); }

result member::leave() {
    auto& im = *_impl;
    if (im.left) {
        return fail(reason::not_joined);
    }
    im.left = true;
    auto& c = im.c();
    cds_lock l(c);
    auto& s = c.members[im.slot];
    if (s.incarnation.load() == im.incarnation && s.state.load() == static_cast<std::uint32_t>(member_state::active)) {
        s.state.store(static_cast<std::uint32_t>(member_state::unused));
        post_event(c, group_event::kind::left, s, im.sys->name());
    }
    return ok();
}

const std::string& member::name() const { return _impl->name; }
drop_counters member::drops() const { return _impl->drops; }

std::vector<member_info> member::query() const {
    auto& im = *_impl;
    auto& c = im.c();
    std::vector<member_info> v;
    for (auto& m : c.members) {
        if (m.state.load() == static_cast<std::uint32_t>(member_state::unused) || get_field(m.group) != im.group) {
            continue;
        }
        v.push_back({get_field(m.group), get_field(m.name), get_field(c.systems[m.system].name),
                     static_cast<member_state>(m.state.load()), m.user_state.load(), m.pid.load()});
    }
    return v;
}

std::vector<group_event> member::events() {
    auto& im = *_impl;
    auto& c = im.c();
    std::vector<group_event> v;
    auto end = c.event_seq.load(std::memory_order_acquire);
    if (end - im.event_seen > max_events) {
        im.event_seen = end - max_events;  // older events were overwritten
    }
    for (; im.event_seen < end; ++im.event_seen) {
        const auto& e = c.events[im.event_seen % max_events];
        if (get_field(e.group) != im.group || (get_field(e.member) == im.name && e.kind == 0)) {
            continue;
        }
        v.push_back({static_cast<group_event::kind>(e.kind), get_field(e.group), get_field(e.member),
                     get_field(e.system)});
    }
    return v;
}

result member::send(const std::string& to, std::span<const std::uint8_t> message) {
    auto& im = *_impl;
    if (message.size() > max_message) {
        return fail(reason::message_too_long);
    }
    if (!im.mine_active()) {
        return fail(reason::not_joined);
    }
    if (im.sys->fenced()) {
        return fail(reason::fenced);  // partitioned: a fenced member never sends again
    }
    auto& c = im.c();
    std::vector<std::uint32_t> targets;
    for (std::uint32_t i = 0; i < max_members; ++i) {
        auto& m = c.members[i];
        if (i == im.slot || m.state.load() != static_cast<std::uint32_t>(member_state::active) ||
            get_field(m.group) != im.group) {
            continue;
        }
        if (to.empty() || get_field(m.name) == to) {
            targets.push_back(i);
        }
    }
    if (targets.empty()) {
        return fail(to.empty() ? reason::none : reason::no_such_member, to.empty() ? rc::warning : rc::error);
    }
    std::vector<std::uint8_t> sealed;
    result res = ok();
    for (auto t : targets) {
        auto& target = c.members[t];
        message_context ctx{};
        std::memcpy(ctx.group, target.group, sizeof ctx.group);
        ctx.sender = im.slot;
        ctx.receiver = t;
        ctx.sender_incarnation = im.incarnation;
        ctx.receiver_incarnation = target.incarnation.load();
        ctx.seq = im.next_seq++;
        if (!seal(im.sys->_impl->message_key, ctx, message, sealed)) {
            return fail(reason::bad_parameter, rc::environment);
        }
        auto& ring = c.rings[im.slot][t];
        std::uint32_t count = static_cast<std::uint32_t>((sealed.size() + max_fragment - 1) / max_fragment);
        for (std::uint32_t f = 0; f < count; ++f) {
            fragment_header h{};
            h.magic = fragment_magic;
            h.sender = im.slot;
            h.receiver = t;
            h.sender_incarnation = im.incarnation;
            h.receiver_incarnation = ctx.receiver_incarnation;
            h.frag_index = f;
            h.frag_count = count;
            h.ct_len = static_cast<std::uint32_t>(sealed.size());
            h.payload_len = std::min<std::uint32_t>(max_fragment, h.ct_len - f * max_fragment);
            h.frame_len = (static_cast<std::uint32_t>(sizeof h) + h.payload_len + 7) & ~7u;
            h.seq = ctx.seq;
            // Wait for room; give up if the receiver went away or we were fenced.
            unsigned spins = 0;
            while (ring_bytes - (ring.tail.load() - ring.head.load(std::memory_order_acquire)) < h.frame_len) {
                if (target.incarnation.load() != ctx.receiver_incarnation ||
                    target.state.load() != static_cast<std::uint32_t>(member_state::active)) {
                    res = fail(reason::receiver_failed);
                    break;
                }
                if (im.sys->fenced()) {
                    return fail(reason::fenced);
                }
                im.pump();
                backoff(spins++);
            }
            if (!res) {
                break;
            }
            auto tail = ring.tail.load();
            auto put = [&](const std::uint8_t* p, std::size_t n) {
                for (std::size_t i = 0; i < n;) {
                    auto off = (tail + i) % ring_bytes;
                    auto chunk = std::min<std::size_t>(n - i, ring_bytes - off);
                    std::memcpy(ring.data + off, p + i, chunk);
                    i += chunk;
                }
                tail += n;
            };
            auto start = tail;
            put(reinterpret_cast<const std::uint8_t*>(&h), sizeof h);
            put(sealed.data() + std::size_t{f} * max_fragment, h.payload_len);
            ring.tail.store(start + h.frame_len, std::memory_order_release);
        }
        ring.messages.fetch_add(1, std::memory_order_relaxed);
    }
    OPENSSL_cleanse(sealed.data(), sealed.size());
    return res;
}

void member::impl::pump() {
    auto& cd = c();
    for (std::uint32_t k = 0; k < max_members; ++k) {
        std::uint32_t s = (rr + k) % max_members;
        auto& ring = cd.rings[s][slot];
        while (true) {
            auto head = ring.head.load();
            auto avail = ring.tail.load(std::memory_order_acquire) - head;
            if (avail == 0) {
                break;
            }
            auto get = [&](std::uint8_t* p, std::size_t n, std::uint64_t at) {
                for (std::size_t i = 0; i < n;) {
                    auto off = (at + i) % ring_bytes;
                    auto chunk = std::min<std::size_t>(n - i, ring_bytes - off);
                    std::memcpy(p + i, ring.data + off, chunk);
                    i += chunk;
                }
            };
            fragment_header h{};
            if (avail < sizeof h || avail > ring_bytes) {
                ring.head.store(ring.tail.load());  // the path is damaged: drop what is on it
                ++drops.malformed;
                partial[s].reset();
                break;
            }
            get(reinterpret_cast<std::uint8_t*>(&h), sizeof h, head);
            if (!header_valid(h, avail)) {
                ring.head.store(ring.tail.load());
                ++drops.malformed;
                partial[s].reset();
                break;
            }
            get(frame.data(), h.payload_len, head + sizeof h);
            ring.head.store(head + h.frame_len, std::memory_order_release);
            auto st = partial[s].add(h, std::span(frame.data(), h.payload_len), s, slot, incarnation);
            if (st == reassembler::status::malformed) {
                ++drops.malformed;
                continue;
            }
            if (st == reassembler::status::stale) {
                ++drops.stale;
                continue;
            }
            if (st == reassembler::status::need_more) {
                continue;
            }
            const auto& first = partial[s].first();
            auto& sender = cd.members[s];
            message_context ctx{};
            std::memcpy(ctx.group, cd.members[slot].group, sizeof ctx.group);
            ctx.sender = s;
            ctx.receiver = slot;
            ctx.sender_incarnation = first.sender_incarnation;
            ctx.receiver_incarnation = incarnation;
            ctx.seq = first.seq;
            if (sender.incarnation.load() != first.sender_incarnation &&
                sender.state.load() == static_cast<std::uint32_t>(member_state::active)) {
                ++drops.stale;  // from an earlier member of that slot
                continue;
            }
            std::vector<std::uint8_t> plain;
            switch (open_in_order(sys->_impl->message_key, ctx, partial[s].sealed(), last_incarnation[s], last_seq[s],
                                  plain)) {
            case verdict::integrity:
                ++drops.integrity;
                continue;
            case verdict::replay:
                ++drops.replay;
                continue;
            case verdict::delivered:
                break;
            }
            inbox.emplace_back(get_field(sender.name), std::move(plain));
        }
    }
    rr = (rr + 1) % max_members;
}

result member::receive(std::vector<std::uint8_t>& message, std::string& from, std::chrono::milliseconds wait) {
    auto& im = *_impl;
    if (!im.mine_active()) {
        return fail(reason::not_joined);
    }
    auto until = std::chrono::steady_clock::now() + wait;
    unsigned spins = 0;
    while (true) {
        if (im.inbox.empty()) {
            im.pump();
        }
        if (!im.inbox.empty()) {
            from = std::move(im.inbox.front().first);
            message = std::move(im.inbox.front().second);
            im.inbox.pop_front();
            return ok();
        }
        if (std::chrono::steady_clock::now() >= until) {
            return fail(reason::no_message);
        }
        backoff(spins++);
    }
}

}  // namespace zplex::xcf
