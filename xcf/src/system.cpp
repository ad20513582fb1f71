// SPDX-License-Identifier: Apache-2.0
// Systems: joining the sysplex, status updates, failure detection and partitioning.
#include "internal.hpp"

#include <zplex/sysplex/text.hpp>

#include <openssl/crypto.h>

#include <cstdio>
#include <utility>
#include <unistd.h>

namespace zplex::xcf {

using namespace detail;

std::string to_string(result r) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "RC=%02u RSN=%04X", static_cast<unsigned>(r.code), static_cast<unsigned>(r.why));
    return buf;
}

bool parse_key(std::string_view hex, sysplex_key& out) { return sysplex::unhex_exact(hex, out, true); }

sysplex_options::~sysplex_options() { OPENSSL_cleanse(key.data(), key.size()); }

void system::impl::partition(std::uint32_t s, std::uint32_t inc, std::int64_t judged_at, const char* why) {
    auto& sys = c().systems[s];
    std::string sname;
    {
        cds_lock l(c());
        // Judge again under the lock: if we stalled since judging, or the system came
        // back (a status update, a new incarnation), nobody is partitioned.
        auto t = now();
        std::int64_t limit = sys.interval_ms.load() * 1'000'000;
        if (t - judged_at > o.interval.count() * 1'000'000 / 2 || sys.incarnation.load() != inc ||
            t - sys.status_ns.load() <= limit) {
            return;
        }
        std::uint32_t active = u32(sys_state::active);
        if (!sys.state.compare_exchange_strong(active, u32(sys_state::failed))) {
            return;  // someone else did it
        }
        sname = get_field(sys.name);
        for (auto& m : c().members) {
            auto st = m.state.load();
            if (m.system == s && st != u32(member_state::unused) && st != u32(member_state::failed)) {
                m.state.store(u32(member_state::failed));
                post_event(c(), group_event::kind::failed, m, sname);
            }
        }
    }
    say("IXC101I SYSPLEX PARTITIONING IN PROGRESS FOR " + sname + " REQUESTED BY " + name + ". REASON: " + why);
    say("IXC105I SYSPLEX PARTITIONING HAS COMPLETED FOR " + sname);
}

system::system() : _impl(std::make_unique<impl>()) {}

result system::join(const sysplex_options& o, const std::string& sysname, std::unique_ptr<system>& out) {
    if (!valid_sysplex_name(o.sysplex) || !valid_system_name(sysname)) {
        return fail(reason::bad_name);
    }
    if (o.interval.count() <= 0 || o.interval > std::chrono::hours(24)) {
        return fail(reason::bad_parameter);
    }
    std::unique_ptr<system> s(new system());
    auto& im = *s->_impl;
    im.o = o;
    im.name = sysname;
    im.shm = dataset_name(o);
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
    std::uint8_t mk[32];
    derive(o.key, "zplex xcf message key", im.c().salt, mk);
    im.message_key = secret(mk);
    OPENSSL_cleanse(mk, sizeof mk);
    out = std::move(s);
    if (other_dataset_in_use(o.sysplex, out->_impl->shm)) {
        out->_impl->say("IXC475W ANOTHER COUPLE DATASET OF SYSPLEX " + o.sysplex +
                        " IS IN USE UNDER A DIFFERENT SYSPLEX KEY: " + sysname + " CANNOT SIGNAL ITS SYSTEMS");
        return fail(reason::other_key, rc::warning);
    }
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
        if (sy.incarnation.load() == im.incarnation) {
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
        if (c.retired.load() == 0 && !anyone_alive(c, im.slot)) {
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
    for (auto& m : c.members) {
        if (m.state.load() == u32(member_state::active) && !sysplex::process_alive(identity(m))) {
            cds_lock l(c);
            if (m.state.load() == u32(member_state::active)) {
                m.state.store(u32(member_state::failed));
                post_event(c, group_event::kind::failed, m, get_field(c.systems[m.system].name));
                im.say("IXC464I MEMBER " + get_field(m.name) + " OF GROUP " + get_field(m.group) +
                       " FAILED: ITS PROCESS ENDED");
            }
        }
    }
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

std::vector<std::string> system::take_messages() {
    std::lock_guard<std::mutex> g(_impl->msg_mutex);
    return std::exchange(_impl->messages, {});
}

}  // namespace zplex::xcf
