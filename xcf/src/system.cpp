// SPDX-License-Identifier: Apache-2.0
// Systems: joining the sysplex, status updates, failure detection and partitioning.
#include "internal.hpp"

#include <zplex/sysplex/text.hpp>

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <cstdio>
#include <utility>
#include <sys/resource.h>
#include <unistd.h>

namespace zplex::xcf {

namespace {
/// The nice value of a system's status-update thread (docs/xcf.md "Failure detection").
constexpr int status_nice = -10;
}  // namespace

using namespace detail;

std::string to_string(result r) {
    return fmt::format("RC={:02} RSN={:04X}", static_cast<unsigned>(r.code), static_cast<unsigned>(r.why));
}

bool parse_key(std::string_view hex, sysplex_key& out) { return sysplex::unhex_exact(hex, out, true); }

sysplex_options::~sysplex_options() { OPENSSL_cleanse(key.data(), key.size()); }

void system::impl::partition(std::uint32_t s, std::uint32_t inc, std::int64_t judged_at, const char* why,
                             bool owner_ended) {
    auto& sys = c().systems[s];
    std::string sname;
    {
        cds_lock l(c());
        // Judge again under the lock: if we stalled since judging, or the system came
        // back (a status update, a new incarnation), nobody is partitioned. A system
        // whose owner process ended is judged by that alone.
        auto t = now();
        std::int64_t limit = sys.interval_ms.load() * 1'000'000;
        if (sys.incarnation.load() != inc) {
            return;
        }
        if (owner_ended ? sysplex::process_alive(identity(sys))
                        : t - judged_at > o.interval.count() * 1'000'000 / 2 || t - sys.status_ns.load() <= limit) {
            return;
        }
        std::uint32_t active = u32(sys_state::active);
        if (!sys.state.compare_exchange_strong(active, u32(sys_state::failed))) {
            return;  // someone else did it
        }
        sname = get_field(sys.name);
        fail_members_of(c(), s, sname);
    }
    say("IXC101I SYSPLEX PARTITIONING IN PROGRESS FOR " + sname + " REQUESTED BY " + name + ". REASON: " + why);
    say("IXC105I SYSPLEX PARTITIONING HAS COMPLETED FOR " + sname);
}

void system::impl::fail_dead_members() {
    for (auto& m : c().members) {
        if (m.state.load() == u32(member_state::active) && !sysplex::process_alive(identity(m))) {
            cds_lock l(c());
            if (m.state.load() == u32(member_state::active)) {
                m.state.store(u32(member_state::failed));
                post_event(c(), group_event::kind::failed, m, get_field(c().systems[m.system].name));
                say("IXC464I MEMBER " + get_field(m.name) + " OF GROUP " + get_field(m.group) +
                    " FAILED: ITS PROCESS ENDED");
            }
        }
    }
}

void system::impl::attached_tick() {
    auto& me = c().systems[slot];
    auto st = me.state.load();
    if (me.incarnation.load() != incarnation || st != u32(sys_state::active)) {
        if (!fenced_flag) {
            fenced_flag = true;
            say(st == u32(sys_state::failed) && me.incarnation.load() == incarnation
                    ? "IXC102A " + name + " WAS PARTITIONED OUT OF THE SYSPLEX: ITS MEMBERS MAY NOT SEND"
                    : "IXC478I " + name + " LEFT THE SYSPLEX OR WAS RE-IPLED: ITS ATTACHED MEMBERS MAY NOT SEND");
        }
        return;
    }
    const std::int64_t t = now();
    const std::int64_t previous = std::exchange(last_pass, t);
    fail_dead_members();
    if (previous != 0 && t - previous > o.interval.count() * 1'000'000) {
        say("IXC470I " + name + " (ATTACHED) WAS STALLED FOR " + std::to_string((t - previous) / 1'000'000) +
            " MS: NO SYSTEM IS PARTITIONED ON THIS PASS");
        judge_after = t + o.interval.count() * 1'000'000;
        return;
    }
    // Our members live only as long as the system does: a silent or ended owner is
    // partitioned, and they fail with it (its silence is judged only after the grace
    // interval that follows our own stall).
    if (!sysplex::process_alive(identity(me))) {
        partition(slot, incarnation, t, "SYSTEM PROCESS ENDED", true);
    } else if (t >= judge_after && t - me.status_ns.load() > me.interval_ms.load() * 1'000'000) {
        partition(slot, incarnation, t, "STATUS UPDATE MISSING");
    }
}

system::system() : _impl(std::make_unique<impl>()) {}

result system::start_with(const sysplex_options& o, const std::string& sysname, std::unique_ptr<system>& s) {
    if (!valid_sysplex_name(o.sysplex) || !valid_system_name(sysname)) {
        return fail(reason::bad_name);
    }
    if (o.interval.count() <= 0 || o.interval > std::chrono::hours(24)) {
        return fail(reason::bad_parameter);
    }
    s.reset(new system());
    auto& im = *s->_impl;
    im.o = o;
    im.name = sysname;
    im.shm = dataset_name(o);
    return ok();
}

void system::impl::derive_message_key() {
    std::uint8_t mk[32];
    derive(o.key, "zplex xcf message key", c().salt, mk);
    message_key = secret(mk);
    OPENSSL_cleanse(mk, sizeof mk);
}

result system::join(const sysplex_options& o, const std::string& sysname, std::unique_ptr<system>& out) {
    std::unique_ptr<system> s;
    if (auto bad = start_with(o, sysname, s); !bad) {
        return bad;
    }
    auto& im = *s->_impl;
    auto self = me_now();
    auto r = open_dataset(o, im.shm, im.map, [&](cds& c) -> result {
        std::uint32_t free = max_systems;
        auto now = im.now();
        for (std::uint32_t i = 0; i < max_systems; ++i) {
            auto& sy = c.systems[i];
            auto st = static_cast<sys_state>(sy.state.load());
            if (st == sys_state::unused) {
                free = std::min(free, i);
                continue;
            }
            if (get_field(sy.name) == sysname) {
                if (st == sys_state::active && sysplex::process_alive(identity(sy)) &&
                    now - sy.status_ns.load() <= sy.interval_ms.load() * 1'000'000) {
                    return fail(reason::system_active);
                }
                free = i;  // a failed or dead system re-IPLs into its slot
                // Its earlier incarnation's members (an attached process's too) are gone.
                fail_members_of(c, i, sysname);
                break;
            }
        }
        if (free == max_systems) {
            return fail(reason::sysplex_full);
        }
        auto& sy = c.systems[free];
        set_field(sy.name, sysname);
        sy.pid.store(self.pid);
        sy.start_time.store(self.start_time);
        sy.interval_ms.store(o.interval.count());
        sy.status_ns.store(now);
        sy.incarnation.fetch_add(1);
        sy.state.store(u32(sys_state::active));
        im.slot = free;
        im.incarnation = sy.incarnation.load();
        return ok();
    });
    if (!r) {
        return r;
    }
    im.derive_message_key();
    out = std::move(s);
    if (other_dataset_in_use(o.sysplex, out->_impl->shm)) {
        out->_impl->say("IXC475W ANOTHER COUPLE DATASET OF SYSPLEX " + o.sysplex +
                        " IS IN USE UNDER A DIFFERENT SYSPLEX KEY: " + sysname + " CANNOT SIGNAL ITS SYSTEMS");
        return fail(reason::other_key, rc::warning);
    }
    return ok();
}

result system::attach(const sysplex_options& o, const std::string& sysname, std::unique_ptr<system>& out) {
    std::unique_ptr<system> s;
    if (auto bad = start_with(o, sysname, s); !bad) {
        return bad;
    }
    auto& im = *s->_impl;
    im.attached = true;
    auto r = open_dataset(
        o, im.shm, im.map,
        [&](cds& c) -> result {
            auto now = im.now();
            for (std::uint32_t i = 0; i < max_systems; ++i) {
                auto& sy = c.systems[i];
                if (sy.state.load() != u32(sys_state::active) || get_field(sy.name) != sysname) {
                    continue;
                }
                if (!sysplex::process_alive(identity(sy)) || now - sy.status_ns.load() > sy.interval_ms.load() * 1'000'000) {
                    break;  // its owner is gone or silent: not a live system
                }
                im.slot = i;
                im.incarnation = sy.incarnation.load();
                return ok();
            }
            return fail(reason::no_such_system);
        },
        false);
    if (!r) {
        return r;
    }
    im.derive_message_key();
    out = std::move(s);
    return ok();
}

system::~system() {
    stop();
    auto& im = *_impl;
    if (!im.map || !im.map->get()) {
        return;
    }
    auto& c = im.c();
    bool remove = false;
    {
        cds_lock l(c);
        auto& sy = c.systems[im.slot];
        if (im.attached) {
            // The system is its owner's; our members left when they were destroyed.
            // A member of ours still recorded (not destroyed first) leaves now.
            auto self = me_now();
            for (auto& m : c.members) {
                auto st = m.state.load();
                if (m.system == im.slot && st == u32(member_state::active) && identity(m) == self) {
                    post_event(c, group_event::kind::left, m, im.name);
                    m.state.store(u32(member_state::unused));
                }
            }
        } else if (sy.incarnation.load() == im.incarnation) {
            // Leaving normally; a partitioned system's failed records go with it (its
            // process no longer speaks for them).
            for (auto& m : c.members) {
                auto st = m.state.load();
                if (m.system == im.slot && st != u32(member_state::unused)) {
                    if (st != u32(member_state::failed)) {
                        post_event(c, group_event::kind::left, m, im.name);
                    }
                    m.state.store(u32(member_state::unused));
                }
            }
            sy.state.store(u32(sys_state::unused));
        }
        // The last one out removes the dataset (a system or member whose process is
        // gone will never come back to it). Marked retired first, under the lock, so a
        // joiner that opened it meanwhile opens the name again.
        if (c.retired.load() == 0 && !(im.attached ? anyone_alive(c) : anyone_alive(c, im.slot))) {
            c.retired.store(1);
            remove = true;
        }
    }
    if (remove) {
        ::unlink(("/dev/shm/" + im.shm).c_str());
    }
}

void system::tick() {
    auto& im = *_impl;
    if (im.attached) {
        im.attached_tick();
        return;
    }
    auto& c = im.c();
    auto& me = c.systems[im.slot];
    if (me.incarnation.load() != im.incarnation || me.state.load() != u32(sys_state::active)) {
        if (!im.fenced_flag) {
            im.fenced_flag = true;
            im.say("IXC102A " + im.name + " WAS PARTITIONED OUT OF THE SYSPLEX: ITS MEMBERS MAY NOT SEND");
        }
        return;
    }
    const std::int64_t now = im.now();
    const std::int64_t previous = me.status_ns.exchange(now);
    const std::int64_t mine = im.o.interval.count() * 1'000'000;
    // Members whose process ended fail (decided by PID and start time, not by time).
    im.fail_dead_members();
    if (now - previous > mine) {
        // We were stopped or starved: the others' status may look old only because we
        // did not look. Nobody is partitioned on this pass; the next one judges.
        im.say("IXC470I " + im.name + " WAS STALLED FOR " + std::to_string((now - previous) / 1'000'000) +
               " MS: NO SYSTEM IS PARTITIONED ON THIS PASS");
        im.judge_after = now + mine;
        return;
    }
    if (now < im.judge_after) {
        return;  // the grace interval after our stall
    }
    for (std::uint32_t i = 0; i < max_systems; ++i) {
        auto& s = c.systems[i];
        if (i == im.slot || s.state.load() != u32(sys_state::active)) {
            continue;
        }
        auto inc = s.incarnation.load();
        std::int64_t limit = s.interval_ms.load() * 1'000'000;
        if (now - s.status_ns.load() > limit) {
            im.partition(i, inc, now, "STATUS UPDATE MISSING");
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
        // The status update is what keeps the system in the sysplex: on a loaded host it
        // must not wait behind the process's busy threads (z/OS runs XCF in SYSTEM, above
        // the work it serves). Raised where the process may (root); as it is otherwise.
        (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), status_nice);
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
    return me.incarnation.load() != im.incarnation || me.state.load() != u32(sys_state::active);
}

const std::string& system::name() const { return _impl->name; }
bool system::attached() const { return _impl->attached; }

std::vector<std::string> system::take_messages() {
    std::lock_guard<std::mutex> g(_impl->msg_mutex);
    return std::exchange(_impl->messages, {});
}

}  // namespace zplex::xcf
