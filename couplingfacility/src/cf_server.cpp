// SPDX-License-Identifier: Apache-2.0
// zplex-cf: one live process per CF, structure allocation, connector and partner
// monitoring, duplexing and rebuild. Displays and commands are in cf_display.cpp, the
// command socket in cf_socket.cpp.
#include "server_impl.hpp"

#include <chrono>
#include <thread>
#include <fmt/format.h>
#include <algorithm>
#include <chrono>
#include <cctype>
#include <cstring>
#include <thread>

namespace zplex::cf {

using namespace detail;

namespace {

std::string cf_of(const char (&field)[cf_name_size]) { return std::string(field, strnlen(field, cf_name_size)); }

bool in_preflist(const sysplex::structure_config& s, const std::string& cf) {
    return std::find(s.preflist.begin(), s.preflist.end(), cf) != s.preflist.end();
}

/// Unlink @p name only if it still is the instance @p id (a CF may have made a new one).
void remove_if_same(const std::string& name, std::uint64_t id) noexcept {
    if (auto in = instance::open(name); in && in->hdr().instance_id == id) {
        in.reset();
        instance::remove(name);
    }
}

}  // namespace

std::string check_name(const std::string& what, const std::string& value, std::size_t max) {
    std::string shown;
    for (char c : value.substr(0, 40)) {
        shown += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
    }
    if (value.size() > 40) {
        shown += "...";
    }
    if (value.empty() || value.size() > max) {
        return "IXL163E " + what + " '" + shown + "' IS NOT VALID: IT MUST BE 1 TO " + std::to_string(max) +
               " CHARACTERS LONG";
    }
    for (char c : value) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && std::strchr("@#$_-", c) == nullptr) {
            return "IXL163E " + what + " '" + shown + "' IS NOT VALID: ONLY A-Z, 0-9, @ # $ _ - ARE ALLOWED";
        }
    }
    return {};
}

// ---------------------------------------------------------------- look-ups

const sysplex::structure_config* cf_server::impl::policy(const std::string& name) const {
    for (const auto& s : o.structures) {
        if (s.name == name) {
            return &s;
        }
    }
    return nullptr;
}

std::vector<std::string> cf_server::impl::cfs() const {
    std::vector<std::string> out{o.cf};
    for (const auto& s : o.structures) {
        for (const auto& c : s.preflist) {
            if (std::find(out.begin(), out.end(), c) == out.end()) {
                out.push_back(c);
            }
        }
    }
    return out;
}

instance_params cf_server::impl::params(const sysplex::structure_config& s) const {
    instance_params p;
    p.structure = s.name;
    p.cf = o.cf;
    p.list_count = s.list_count;
    p.max_entries = s.max_entries;
    p.entry_size = s.entry_size;
    p.lock_entries = o.lock_entries;
    return p;
}

std::unique_ptr<instance> cf_server::impl::partner_of(instance& me) const {
    auto partner = cf_of(me.hdr().partner_cf);
    if (partner.empty()) {
        return nullptr;
    }
    return instance::open(shm(partner, me.hdr().structure));
}

bool cf_server::impl::current(instance& in) const {
    auto& h = in.hdr();
    if (h.fenced.load() || !in.owner_alive()) {
        return false;
    }
    if (static_cast<role>(h.role.load()) != role::secondary) {
        return true;
    }
    auto p = partner_of(in);
    return p && !p->hdr().fenced.load() && p->hdr().duplex_active.load() &&
           p->hdr().partner_instance.load() == h.instance_id;
}

std::unique_ptr<instance> cf_server::impl::primary_of(const sysplex::structure_config& s) const {
    for (const auto& c : s.preflist) {
        auto in = instance::open(shm(c, s.name));
        if (in && static_cast<role>(in->hdr().role.load()) != role::secondary && current(*in)) {
            return in;
        }
    }
    return nullptr;
}

// ---------------------------------------------------------------- start and end

void cf_server::impl::start() {
    auto bad = check_name("SYSPLEX NAMESPACE", o.sysplex, 32);
    if (bad.empty()) {
        bad = check_name("CF NAME", o.cf, 8);
    }
    for (const auto& s : o.structures) {
        if (bad.empty()) {
            bad = check_name("STRUCTURE NAME", s.name, name_size);
        }
    }
    if (!bad.empty()) {
        throw start_error(bad, 8);
    }
    sysplex::process_identity holder;
    lock = cf_lock::acquire(o.sysplex, o.cf, holder);
    if (!lock) {
        if (holder.pid != 0) {
            throw start_error("IXL160E CF " + o.cf + " OF SYSPLEX " + o.sysplex + " IS ALREADY ACTIVE AS PID " +
                                  std::to_string(holder.pid) + ": THIS START ENDS, NOTHING WAS CHANGED",
                              8);
        }
        throw start_error("IXL160E CF " + o.cf + " OF SYSPLEX " + o.sysplex + ": ITS LOCK " +
                              cf_lock::path(o.sysplex, o.cf) + " CANNOT BE TAKEN (NOT THE CALLER'S FILE?)",
                          12);
    }
    try {
        // The CFRM policy's serialisation: two CFs that start at once must not both find
        // a structure unallocated and both allocate it (two instances, never duplexed).
        // The lock of the pseudo-CF "cfrm" (lower case: no CF's name) is held by one
        // starting CF at a time, for its allocations only.
        std::unique_ptr<detail::cf_lock> policy;
        sysplex::process_identity other;
        for (int attempt = 0; attempt < 5000 && !policy; ++attempt) {
            policy = detail::cf_lock::acquire(o.sysplex, "cfrm", other);
            if (!policy) {
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
            }
        }
        if (!policy) {
            throw start_error("IXL160E CF " + o.cf + " OF SYSPLEX " + o.sysplex +
                                  ": THE CFRM POLICY LOCK " + detail::cf_lock::path(o.sysplex, "cfrm") +
                                  " WAS NOT FREE IN 10 S" +
                                  (other.pid ? " (HELD BY PID " + std::to_string(other.pid) + ")" : ""),
                              12);
        }
        for (const auto& s : o.structures) {
            if (in_preflist(s, o.cf)) {
                allocate(s);
            }
        }
    } catch (...) {
        rollback();
        lock.reset();
        throw;
    }
}

void cf_server::impl::rollback() noexcept { leave(); }

void cf_server::impl::leave() noexcept {
    for (auto& [name, in] : mine) {
        auto& h = in->hdr();
        auto r = static_cast<role>(h.role.load());
        auto p = partner_of(*in);
        if (r == role::primary && p && p->owner_alive() && p->hdr().instance_id == h.partner_instance.load()) {
            switch_to(*in, *p);  // a primary with a live partner hands the structure over
            say("IXC521I REBUILD FOR STRUCTURE " + name + " HAS BEEN COMPLETED: " + o.cf + " ENDS, NOW IN " +
                cf_of(p->hdr().cf));
        } else if (r == role::secondary && p && p->hdr().partner_instance.load() == h.instance_id) {
            drop_partner(*p, false);
        } else if (r != role::secondary) {
            h.lost.store(1);
        }
        h.fenced.store(1, std::memory_order_seq_cst);
        auto id = h.instance_id;
        auto name_of = in->shm();
        in.reset();
        remove_if_same(name_of, id);
    }
    mine.clear();
}

// ---------------------------------------------------------------- allocation

std::vector<std::unique_ptr<instance>> cf_server::impl::retire_stale(const sysplex::structure_config& s) {
    std::vector<std::unique_ptr<instance>> olds;
    for (const auto& c : s.preflist) {
        auto old = instance::open(shm(c, s.name));
        if (!old) {
            continue;
        }
        auto& h = old->hdr();
        if (c == o.cf && !old->owner_alive() && !h.fenced.load()) {
            // Ours, left by a CF process that died: connectors still using it must learn
            // the contents are gone (rule 1: their list keys cannot be trusted).
            h.fenced.store(1, std::memory_order_seq_cst);
            if (!h.duplex_active.load()) {
                h.lost.store(1);
                say("IXC522I STRUCTURE " + s.name + " IN " + o.cf +
                    " WAS LOST: ITS CF FAILED WITHOUT A DUPLEX COPY");
            }
        }
        if (h.fenced.load(std::memory_order_seq_cst) || !old->owner_alive()) {
            olds.push_back(std::move(old));  // kept mapped: its keys outlive its name
        }
    }
    return olds;
}

void cf_server::impl::allocate(const sysplex::structure_config& s) {
    auto elsewhere = primary_of(s);
    auto olds = retire_stale(s);
    if (elsewhere && (!s.duplex || elsewhere->hdr().operator_simplex.load() || elsewhere->hdr().duplex_active.load())) {
        return;  // allocated in another CF; no copy wanted (or it has one)
    }
    if (elsewhere) {
        auto in = instance::create(shm(o.cf, s.name), params(s), role::secondary);
        establish_duplex(*elsewhere, *in);
        say("IXC570I SYSTEM-MANAGED DUPLEXING OF STRUCTURE " + s.name + " ESTABLISHED: PRIMARY IN " +
            cf_of(elsewhere->hdr().cf) + ", SECONDARY IN " + o.cf);
        mine[s.name] = std::move(in);
        return;
    }
    auto in = instance::create(shm(o.cf, s.name), params(s), role::simplex);
    // A new simplex instance starts at or above every key an old copy handed out (each
    // was fenced before its keys are read: a block taken later is thrown away by its taker).
    for (auto& old : olds) {
        in->carry_keys_from(*old);
    }
    say("IXL015I STRUCTURE " + s.name + " ALLOCATED IN " + o.cf + ", " +
        std::to_string((in->hdr().total_size + 1023) / 1024) + " K");
    mine[s.name] = std::move(in);
}

/// Make @p secondary a copy of @p primary and switch duplexing on. Order matters:
/// duplex_active is published first, then the partner's keys are raised to the
/// primary's, so a block taken by a connector that did not see the flag is below them.
void cf_server::impl::establish_duplex(instance& primary, instance& secondary) {
    instance::locked lp(primary);
    instance::locked ls(secondary);
    secondary.copy_from(primary);
    std::memcpy(primary.hdr().partner_cf, secondary.hdr().cf, cf_name_size);
    std::memcpy(secondary.hdr().partner_cf, primary.hdr().cf, cf_name_size);
    secondary.hdr().partner_instance.store(primary.hdr().instance_id);
    primary.hdr().partner_instance.store(secondary.hdr().instance_id, std::memory_order_seq_cst);
    primary.hdr().operator_simplex.store(0);
    primary.hdr().role.store(static_cast<std::uint32_t>(role::primary));
    primary.hdr().duplex_active.store(1, std::memory_order_seq_cst);
    for (std::uint32_t i = 0; i < primary.list_count(); ++i) {
        secondary.advance_key(i, primary.list(i).list_key.load(std::memory_order_seq_cst));
    }
    primary.hdr().epoch.fetch_add(1);
}

/// This CF becomes the duplex copy (or, with @p rebuild, the rebuild target) of @p name.
std::string cf_server::impl::join(const std::string& name, bool rebuild) {
    if (!lock) {
        return "IXC341I STRUCTURE " + name + " CANNOT BE ALLOCATED IN " + o.cf + ": THE CF IS NOT ACTIVE\n";
    }
    const auto* s = policy(name);
    if (!s || !in_preflist(*s, o.cf)) {
        return "IXC341I STRUCTURE " + name + " CANNOT BE ALLOCATED IN " + o.cf + ": NOT IN ITS PREFLIST\n";
    }
    if (!rebuild && !s->duplex) {
        return "IXC341I STRUCTURE " + name + " CANNOT BE DUPLEXED: DUPLEX(DISABLED) IN THE CFRM POLICY\n";
    }
    if (mine.count(name)) {
        return "IXC341I STRUCTURE " + name + " IS ALREADY ALLOCATED IN " + o.cf + "\n";
    }
    auto primary = primary_of(*s);
    if (!primary) {
        return "IXC341I STRUCTURE " + name + " HAS NO ACTIVE INSTANCE TO COPY\n";
    }
    if (primary->hdr().duplex_active.load()) {
        return "IXC341I STRUCTURE " + name + " IS ALREADY DUPLEXED\n";
    }
    std::unique_ptr<instance> in;
    try {
        in = instance::create(shm(o.cf, name), params(*s), role::secondary);
    } catch (const start_error& e) {
        return std::string("IXC341I STRUCTURE ") + name + " CANNOT BE COPIED: " + e.what() + "\n";
    }
    establish_duplex(*primary, *in);
    mine[name] = std::move(in);
    auto msg = "IXC570I SYSTEM-MANAGED DUPLEXING OF STRUCTURE " + name + " ESTABLISHED: PRIMARY IN " +
               cf_of(primary->hdr().cf) + ", SECONDARY IN " + o.cf;
    say(msg);
    return msg + "\n";
}

// ---------------------------------------------------------------- role changes

/// The primary's CF is gone: the secondary becomes the structure. The old primary is
/// fenced before we take requests, so no block is handed out twice.
void cf_server::impl::take_over(const std::string& name, instance& me) {
    auto partner = cf_of(me.hdr().partner_cf);
    if (auto old = partner_of(me); old && old->hdr().instance_id == me.hdr().partner_instance.load()) {
        old->hdr().fenced.store(1, std::memory_order_seq_cst);
        auto id = old->hdr().instance_id;
        old.reset();
        remove_if_same(shm(partner, name), id);
    }
    me.hdr().duplex_active.store(0);
    std::memset(me.hdr().partner_cf, 0, cf_name_size);
    me.hdr().partner_instance.store(0);
    me.hdr().role.store(static_cast<std::uint32_t>(role::simplex), std::memory_order_seq_cst);
    me.hdr().epoch.fetch_add(1);
    say("IXC573I CF " + partner + " HOLDING THE PRIMARY OF STRUCTURE " + name + " FAILED: THE DUPLEX COPY IN " +
        o.cf + " IS NOW THE STRUCTURE (SIMPLEX)");
}

/// Duplexing of @p me (the primary) ends; its partner is fenced and removed.
void cf_server::impl::drop_partner(instance& me, bool by_operator) {
    auto p = partner_of(me);
    auto pid = me.hdr().partner_instance.load();
    me.hdr().duplex_active.store(0, std::memory_order_seq_cst);
    me.hdr().role.store(static_cast<std::uint32_t>(role::simplex));
    std::memset(me.hdr().partner_cf, 0, cf_name_size);
    me.hdr().partner_instance.store(0);
    if (by_operator) {
        me.hdr().operator_simplex.store(1);
    }
    me.hdr().epoch.fetch_add(1);
    if (p && p->hdr().instance_id == pid) {
        p->hdr().fenced.store(1, std::memory_order_seq_cst);
        auto name = p->shm();
        p.reset();
        remove_if_same(name, pid);
    }
}

/// The copy becomes the structure: the old primary is fenced first.
void cf_server::impl::switch_to(instance& old_primary, instance& copy) {
    old_primary.hdr().fenced.store(1, std::memory_order_seq_cst);
    copy.hdr().duplex_active.store(0);
    std::memset(copy.hdr().partner_cf, 0, cf_name_size);
    copy.hdr().partner_instance.store(0);
    copy.hdr().role.store(static_cast<std::uint32_t>(role::simplex), std::memory_order_seq_cst);
    copy.hdr().epoch.fetch_add(1);
}

void cf_server::impl::forget(const std::string& name) noexcept {
    auto it = mine.find(name);
    if (it == mine.end()) {
        return;
    }
    auto id = it->second->hdr().instance_id;
    auto shm_name = it->second->shm();
    mine.erase(it);
    remove_if_same(shm_name, id);
}

// ---------------------------------------------------------------- the monitor

void cf_server::impl::poll() {
    for (auto it = mine.begin(); it != mine.end();) {
        const std::string name = it->first;
        auto& in = *it->second;
        auto& h = in.hdr();
        ++it;
        // Connectors whose process ended (PID and start time): failed-persistent, locks released.
        for (std::uint32_t i = 0; i < max_connectors; ++i) {
            auto& c = h.connectors[i];
            if (static_cast<conn_state>(c.state.load()) != conn_state::active ||
                process_alive(sysplex::process_identity{c.pid.load(), c.start_time.load()})) {
                continue;
            }
            c.state.store(static_cast<std::uint32_t>(conn_state::failed_persistent));
            unsigned released = 0;
            for (std::uint32_t k = 0; k < h.lock_entries; ++k) {
                std::uint32_t owner = i + 1;
                released += in.lock_entry(k).compare_exchange_strong(owner, 0) ? 1 : 0;
            }
            say(fmt::format("IXL020I CONNECTOR {} (CONID {:02}, PID {}) OF STRUCTURE {} FAILED: FAILED-PERSISTENT, {} "
                            "LOCK(S) RELEASED",
                            name_get(c.name), i + 1, c.pid.load(), name, released));
        }
        auto r = static_cast<role>(h.role.load());
        if (h.fenced.load()) {
            // Switched away from us, or a copy whose duplexing was stopped.
            say("IXC574I " + std::string(r == role::secondary ? "DUPLEX COPY" : "INSTANCE") + " OF STRUCTURE " +
                name + " IN " + o.cf + " DELETED");
            forget(name);
            continue;
        }
        if (r == role::simplex) {
            continue;
        }
        auto p = partner_of(in);
        if (r == role::secondary) {
            // Take over only from a primary that is really gone: an instance that cannot
            // be opened while its CF still runs is no reason for a second primary.
            bool gone = p ? !p->owner_alive() : cf_lock::holder(o.sysplex, cf_of(h.partner_cf)).pid == 0;
            if (gone) {
                take_over(name, in);
            } else if (!p->hdr().fenced.load() &&
                       (!p->hdr().duplex_active.load() || p->hdr().partner_instance.load() != h.instance_id)) {
                say("IXC574I DUPLEX COPY OF STRUCTURE " + name + " IN " + o.cf + " DELETED: NO LONGER ITS COPY");
                forget(name);
            }
            continue;
        }
        if (!p || !p->owner_alive() || p->hdr().fenced.load() || p->hdr().instance_id != h.partner_instance.load()) {
            auto partner = cf_of(h.partner_cf);
            drop_partner(in, false);
            say("IXC572I DUPLEX PARTNER " + partner + " OF STRUCTURE " + name + " FAILED: DUPLEXING ENDED, " + name +
                " IS SIMPLEX IN " + o.cf);
        }
    }
    // DUPLEX(ENABLED): after a failure the structure is duplexed again as soon as a
    // second CF can hold the copy, unless an operator stopped duplexing.
    for (const auto& s : o.structures) {
        if (!s.duplex || !in_preflist(s, o.cf) || mine.count(s.name)) {
            continue;
        }
        auto primary = primary_of(s);
        if (primary && !primary->hdr().duplex_active.load() && !primary->hdr().operator_simplex.load()) {
            primary.reset();
            join(s.name, false);
        }
    }
    reallocate_lost();
}

/// A structure whose CF failed without a duplex copy is allocated anew, empty, by a CF
/// of its preflist that is up (as XES allocates a structure at the next IXLCONN): its
/// connectors learn of the loss, connect again and put back what they own (docs/cf.md).
/// The CFRM policy lock makes one CF do it; another then duplexes it (DUPLEX(ENABLED)).
void cf_server::impl::reallocate_lost() {
    for (const auto& s : o.structures) {
        if (!in_preflist(s, o.cf) || mine.count(s.name) || primary_of(s)) {
            continue;
        }
        bool failed = false;  // an instance of a CF that is no more
        for (const auto& c : s.preflist) {
            auto in = c == o.cf ? nullptr : instance::open(shm(c, s.name));
            failed = failed || (in && !in->owner_alive() && cf_lock::holder(o.sysplex, c).pid == 0);
        }
        if (!failed) {
            continue;
        }
        sysplex::process_identity other;
        auto policy = cf_lock::acquire(o.sysplex, "cfrm", other);
        if (!policy || primary_of(s)) {
            continue;  // another CF is at it: its instance is seen at the next poll
        }
        for (const auto& c : s.preflist) {
            auto in = c == o.cf ? nullptr : instance::open(shm(c, s.name));
            if (!in || in->owner_alive() || in->hdr().fenced.load()) {
                continue;
            }
            // Connectors still mapping it must learn the contents are gone.
            in->hdr().fenced.store(1, std::memory_order_seq_cst);
            if (!in->hdr().duplex_active.load()) {
                in->hdr().lost.store(1);
                say("IXC522I STRUCTURE " + s.name + " IN " + c + " WAS LOST: ITS CF FAILED WITHOUT A DUPLEX COPY");
            }
        }
        try {
            allocate(s);
        } catch (const start_error& e) {
            say("IXC341I STRUCTURE " + s.name + " CANNOT BE ALLOCATED IN " + o.cf + ": " + e.what());
        }
    }
}

// ---------------------------------------------------------------- the public face

cf_server::cf_server(server_options o) : _impl(std::make_unique<impl>()) { _impl->o = std::move(o); }

cf_server::~cf_server() {
    std::lock_guard<std::mutex> g(_impl->m);
    _impl->leave();
    _impl->lock.reset();
}

void cf_server::start() {
    std::lock_guard<std::mutex> g(_impl->m);
    _impl->start();
}

void cf_server::poll() {
    std::lock_guard<std::mutex> g(_impl->m);
    if (_impl->lock) {
        _impl->poll();
    }
}

std::string cf_server::command(const std::string& text) { return _impl->command(text); }
const std::string& cf_server::name() const noexcept { return _impl->o.cf; }

}  // namespace zplex::cf
