// SPDX-License-Identifier: Apache-2.0
// IXLCONN/IXLDISC and the list requests, done by the connector directly in the
// structure's shared memory (a CF sync request without the link).
#include "instance.hpp"

#include <zplex/cf/connector.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>
#include <signal.h>
#include <thread>
#include <unistd.h>

namespace zplex::cf {

void (*detail::mid_request_hook)() = nullptr;

entry_key entry_key::of(std::uint64_t v) noexcept {
    entry_key k;
    for (int i = 0; i < 8; ++i) {
        k.bytes[15 - i] = static_cast<std::uint8_t>(v >> (8 * i));
    }
    return k;
}

std::uint64_t entry_key::low() const noexcept {
    std::uint64_t v = 0;
    for (int i = 8; i < 16; ++i) {
        v = (v << 8) | bytes[i];
    }
    return v;
}

namespace {

using namespace detail;

constexpr int max_reattach = 200;   // x 5 ms: how long a request waits for a duplex switch

std::uint64_t fresh_token() {
    static thread_local std::mt19937_64 rng{std::random_device{}() ^ static_cast<std::uint64_t>(::getpid())};
    std::uint64_t t = 0;
    while (t == 0) {
        t = rng();
    }
    return t;
}

/// ASSIGNLISTKEY: the entry's key is the list key; with LISTKEYINC the list key
/// moves on by that much in the same atomic step, without it the key stays.
bool assign_key(instance& in, std::uint32_t list, std::uint64_t inc, std::uint64_t& first) noexcept {
    if (inc != 0) {
        return in.take_keys(list, inc, first);
    }
    first = in.list(list).list_key.load();
    return first <= in.list(list).max_list_key.load();
}

/// What a request changed, for the duplex mirror.
struct touched {
    std::uint32_t slot = ~0u;
    std::uint32_t list = ~0u;
    std::uint32_t list2 = ~0u;
    bool locks = false;
};

class connector_impl final : public connector {
public:
    explicit connector_impl(connect_options o) : _o(std::move(o)) {}
    ~connector_impl() override {
        if (!_disconnected) {
            disconnect();
        }
    }

    result attach(bool first);
    /// True if some instance exists that is not usable yet (a switch in progress): a
    /// fenced one or a copy, or a duplexed primary whose CF died before its copy noticed.
    bool switching() const {
        for (const auto& cf : _o.cfs) {
            if (auto in = instance::open(instance::shm_name(_o.sysplex, cf, _o.structure))) {
                auto& h = in->hdr();
                if (!h.lost.load() &&
                    (h.fenced.load() || static_cast<role>(h.role.load()) == role::secondary ||
                     (h.duplex_active.load() && !in->owner_alive()))) {
                    return true;
                }
            }
        }
        return false;
    }

    result disconnect() override;
    result take_list_keys(std::uint32_t list, std::uint64_t n, std::uint64_t& first) override;
    result write(const write_request& request, answer* ans) override;
    result read(const locator& where, entry& out, const conditions& when) override;
    result remove(const locator& where, const conditions& when, entry* out) override;
    result move(const locator& where, std::uint32_t to_list, std::optional<entry_key> to_key,
                const conditions& when, answer* ans, bool assign_list_key, std::uint64_t inc) override;
    result read_list(std::uint32_t list, std::vector<entry>& out) override;
    result delete_list(std::uint32_t list, std::uint32_t& deleted) override;
    result read_list_controls(std::uint32_t list, list_controls& out) override;
    result write_list_controls(std::uint32_t list, const list_controls& in) override;
    result lock(std::uint32_t index, lock_oper op) override;
    result probe() override;
    /// The current instance's CF is gone: fenced, and lost when it had no copy.
    void fence_dead_cf() noexcept;
    result reconnect() override;
    std::uint32_t generation() const noexcept override { return _generation; }
    bool lost() const noexcept override { return _lost; }
    std::uint32_t connection_id() const noexcept override { return _conid; }
    std::string current_cf() const override { return _p ? std::string(_p->hdr().cf) : std::string(); }

private:
    result register_in(instance& in, bool first);
    result usable();
    result reattach();
    bool check_secondary();
    /// False if the primary says it is duplexed but its copy cannot be opened.
    bool secondary_reachable() {
        auto& h = _p->hdr();
        return !h.duplex_active.load(std::memory_order_seq_cst) || check_secondary() ||
               !h.duplex_active.load(std::memory_order_seq_cst);
    }
    /// Run @p f under the structure mutex (and the partner's, when duplexed),
    /// mirroring what it changed to the partner.
    template <class F>
    result locked_request(bool changes, F&& f);
    result check_conditions(instance& in, const conditions& c);
    /// Find the entry and check VERSCOMP and the lock conditions.
    result locate(instance& in, const locator& where, const conditions& when, std::uint32_t& s);
    static void fill_entry(instance& in, std::uint32_t s, entry& e);

    connect_options _o;
    std::unique_ptr<instance> _p;  ///< primary (or simplex) instance
    std::unique_ptr<instance> _s;  ///< duplex secondary, when the primary says so
    std::uint32_t _conid = 0;
    std::uint64_t _token = 0;
    std::uint64_t _requests = 0;
    std::uint32_t _generation = 0;
    bool _disconnected = false;
    bool _lost = false;
};

// ---------------------------------------------------------------- connect

result connector_impl::attach(bool first) {
    std::unique_ptr<instance> primary;
    for (const auto& cf : _o.cfs) {
        auto in = instance::open(instance::shm_name(_o.sysplex, cf, _o.structure));
        if (!in) {
            continue;
        }
        auto& h = in->hdr();
        if (h.fenced.load() || h.lost.load() || static_cast<role>(h.role.load()) == role::secondary ||
            !in->owner_alive()) {
            continue;
        }
        primary = std::move(in);
        break;
    }
    if (!primary) {
        return fail(reason::structure_not_allocated);
    }
    _p = std::move(primary);
    _s.reset();
    auto r = register_in(*_p, first);
    if (!r) {
        return r;
    }
    check_secondary();
    return r;
}

result connector_impl::register_in(instance& in, bool first) {
    auto& h = in.hdr();
    instance::locked l(in);
    auto self = sysplex::self_identity();
    std::int32_t me = self.pid;
    std::uint32_t free = max_connectors;
    for (std::uint32_t i = 0; i < max_connectors; ++i) {
        auto& c = h.connectors[i];
        auto st = static_cast<conn_state>(c.state.load());
        if (st == conn_state::unused) {
            free = std::min(free, i);
            continue;
        }
        if (!name_equals(c.name, _o.conname)) {
            continue;
        }
        bool reconnect = st == conn_state::failed_persistent ||
                         (st == conn_state::active &&
                          !process_alive(sysplex::process_identity{c.pid.load(), c.start_time.load()})) ||
                         (!first && c.token.load() == _token);
        if (st == conn_state::active && !reconnect && c.pid.load() != me) {
            return fail(reason::duplicate_connector);
        }
        if (st == conn_state::active && !reconnect) {
            return fail(reason::duplicate_connector);
        }
        _conid = i + 1;
        if (first) {
            _token = fresh_token();
        }
        c.pid.store(me);
        c.start_time.store(self.start_time);
        c.token.store(_token);
        c.state.store(static_cast<std::uint32_t>(conn_state::active));
        if (first && st == conn_state::failed_persistent) {
            return result{rc::warning, reason::reconnected_failed_persistent};
        }
        return ok();
    }
    if (free == max_connectors) {
        return fail(reason::connector_table_full);
    }
    auto& c = h.connectors[free];
    name_set(c.name, _o.conname);
    c.pid.store(me);
    c.start_time.store(self.start_time);
    if (first) {
        _token = fresh_token();
    }
    c.token.store(_token);
    c.requests.store(0);
    c.state.store(static_cast<std::uint32_t>(conn_state::active));
    _conid = free + 1;
    return ok();
}

bool connector_impl::check_secondary() {
    auto& h = _p->hdr();
    if (!h.duplex_active.load()) {
        _s.reset();
        return false;
    }
    // The copy is the instance the primary names by id: a stale handle on an earlier
    // copy of the same CF (duplexing stopped and started again) is not it.
    auto want = h.partner_instance.load(std::memory_order_seq_cst);
    if (_s && want != 0 && _s->hdr().instance_id == want) {
        return true;
    }
    char partner[sizeof h.partner_cf + 1] = {};
    std::memcpy(partner, h.partner_cf, sizeof h.partner_cf);
    _s = instance::open(instance::shm_name(_o.sysplex, partner, _o.structure));
    if (_s && (want == 0 || _s->hdr().instance_id != want)) {
        _s.reset();
    }
    return _s != nullptr;
}

result connector_impl::reattach() {
    if (_p && _p->hdr().lost.load() && !_p->hdr().duplex_active.load()) {
        _lost = true;
        return fail(reason::structure_lost, rc::environment);
    }
    for (int i = 0; i < max_reattach; ++i) {
        auto r = attach(false);
        if (r) {
            return result{rc::warning, reason::structure_rebuilt};
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    _lost = true;
    return fail(reason::structure_lost, rc::environment);
}

result connector_impl::usable() {
    if (_disconnected || !_p) {
        return fail(reason::bad_connect_token);
    }
    if (_lost) {
        return fail(reason::structure_lost, rc::environment);
    }
    auto& c = _p->hdr().connectors[_conid - 1];
    if (c.token.load(std::memory_order_relaxed) != _token) {
        return fail(reason::bad_connect_token);
    }
    // A CF that died without telling anyone: noticed every 4096 requests.
    if ((++_requests & 4095) == 0 && !_p->owner_alive()) {
        fence_dead_cf();
    }
    return ok();
}

void connector_impl::fence_dead_cf() noexcept {
    auto& h = _p->hdr();
    h.fenced.store(1, std::memory_order_seq_cst);
    if (!h.duplex_active.load()) {
        h.lost.store(1);
    }
}

result connector_impl::probe() {
    auto u = usable();
    if (!u) {
        return u;
    }
    auto& h = _p->hdr();
    if (!h.fenced.load() && _p->owner_alive()) {
        return ok();
    }
    if (!h.fenced.load()) {  // its CF died: fenced as the 4096th request would
        fence_dead_cf();
    }
    return reattach();  // to the copy, or structure_lost
}

result connector_impl::reconnect() {
    if (_disconnected) {
        return fail(reason::bad_connect_token);
    }
    if (!_lost) {
        return ok();
    }
    // A structure that is really new: attach() takes no fenced or lost instance.
    auto r = attach(true);
    if (!r) {
        return r;  // still lost: every request says structure_lost
    }
    _lost = false;
    _requests = 0;
    ++_generation;
    return r;
}

result connector_impl::disconnect() {
    if (_disconnected) {
        return fail(reason::bad_connect_token);
    }
    _disconnected = true;
    for (auto* in : {_p.get(), _s.get()}) {
        if (!in || _conid == 0) {
            continue;
        }
        auto& h = in->hdr();
        for (std::uint32_t i = 0; i < h.lock_entries; ++i) {
            std::uint32_t mine = _conid;
            in->lock_entry(i).compare_exchange_strong(mine, 0);
        }
        auto& c = h.connectors[_conid - 1];
        if (c.token.load() == _token) {
            c.state.store(static_cast<std::uint32_t>(conn_state::unused));
            c.token.store(0);
        }
    }
    return ok();
}

// ---------------------------------------------------------------- LISTKEYINC

result connector_impl::take_list_keys(std::uint32_t list, std::uint64_t n, std::uint64_t& first) {
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto u = usable();
        if (!u) {
            return u;
        }
        if (list >= _p->list_count()) {
            return fail(reason::bad_list_number);
        }
        auto& h = _p->hdr();
        // Counted in the connector's own cache line only: the hot path shares nothing
        // but the list key.
        h.connectors[_conid - 1].requests.fetch_add(1, std::memory_order_relaxed);
        std::uint64_t f = 0;
        if (!secondary_reachable()) {
            return fail(reason::duplex_copy_unavailable, rc::environment);  // nothing taken
        }
        if (!_p->take_keys(list, n, f)) {
            if (!h.fenced.load()) {
                return fail(n == 0 ? reason::bad_parameter : reason::list_key_exceeds_max);
            }
        } else {
            // Duplexed: the partner's list key is pushed past the block before the
            // block is used, so either instance alone never hands it out again. A block
            // the copy cannot be moved past is never used (fail closed): it is lost.
            if (h.duplex_active.load(std::memory_order_seq_cst)) {
                if (!check_secondary()) {
                    if (h.duplex_active.load(std::memory_order_seq_cst) && !h.fenced.load()) {
                        return fail(reason::duplex_copy_unavailable, rc::environment);
                    }
                } else {
                    _s->advance_key(list, f + n);
                }
            }
            // A fence after the take means the block may also come from the new
            // instance: throw it away (lost numbers are fine, reused ones never).
            if (!h.fenced.load(std::memory_order_seq_cst)) {
                first = f;
                return ok();
            }
        }
        auto r = reattach();
        if (!r) {
            return r;
        }
    }
    return fail(reason::structure_lost, rc::environment);
}

// ---------------------------------------------------------------- requests under the mutex

template <class F>
result connector_impl::locked_request(bool changes, F&& f) {
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto u = usable();
        if (!u) {
            return u;
        }
        auto& h = _p->hdr();
        h.connectors[_conid - 1].requests.fetch_add(1, std::memory_order_relaxed);
        {
            instance::locked lp(*_p);
            if (changes && !secondary_reachable()) {
                return fail(reason::duplex_copy_unavailable, rc::environment);  // nothing changed
            }
            if (!h.fenced.load()) {
                touched t;
                auto r = f(*_p, lp, t);
                if (changes && r && h.duplex_active.load() && check_secondary()) {
                    instance::locked ls(*_s);
                    ls.begin(t.slot, t.list, t.list2);
                    _s->mirror_from(*_p, t.slot, t.list, t.list2);
                    if (t.locks) {
                        for (std::uint32_t i = 0; i < h.lock_entries; ++i) {
                            _s->lock_entry(i).store(_p->lock_entry(i).load());
                        }
                    }
                    ls.commit();
                }
                return r;
            }
        }
        auto r = reattach();
        if (!r) {
            return r;
        }
    }
    return fail(reason::structure_lost, rc::environment);
}

result connector_impl::check_conditions(instance& in, const conditions& c) {
    if (c.lock == lock_oper::none) {
        return ok();
    }
    if (!c.lock_index || *c.lock_index >= in.hdr().lock_entries) {
        return fail(reason::bad_lock_index);
    }
    auto& e = in.lock_entry(*c.lock_index);
    std::uint32_t owner = e.load();
    switch (c.lock) {
    case lock_oper::held:
        return owner == _conid ? ok() : fail(reason::lock_not_held);
    case lock_oper::not_held:
        return owner == 0 || owner == _conid ? ok() : fail(reason::lock_held);
    case lock_oper::set: {
        std::uint32_t expected = 0;
        if (owner == _conid || e.compare_exchange_strong(expected, _conid)) {
            return ok();
        }
        return fail(reason::lock_held);
    }
    case lock_oper::reset: {
        std::uint32_t expected = _conid;
        return e.compare_exchange_strong(expected, 0) ? ok() : fail(reason::lock_not_held);
    }
    case lock_oper::none:
        break;
    }
    return ok();
}

void connector_impl::fill_entry(instance& in, std::uint32_t s, entry& e) {
    const auto& sl = in.slot(s);
    e.entry_id = sl.entry_id;
    e.list = sl.list;
    std::memcpy(e.key.bytes.data(), sl.key, key_size);
    e.name = name_get(sl.name);
    e.version = sl.version;
    std::memcpy(e.adjunct.data(), sl.adjunct, adjunct_size);
    e.data.assign(in.slot_data(s), in.slot_data(s) + sl.data_length);
}

result connector_impl::write(const write_request& q, answer* ans) {
    if (q.name.size() > name_size) {
        return fail(reason::bad_parameter);
    }
    return locked_request(true, [&](instance& in, instance::locked& l, touched& t) -> result {
        auto& h = in.hdr();
        if (q.data.size() > h.entry_size) {
            return fail(reason::data_too_long);
        }
        std::uint32_t s = ~0u;
        if (q.type != entry_type::new_entry) {
            s = in.find(q.where);
            if (s == ~0u && q.type == entry_type::old_entry) {
                return fail(reason::no_entry);
            }
        }
        if (s == ~0u && !q.name.empty()) {
            // A new entry's name must be unique in the structure.
            if (in.find(locator::by_name(q.name)) != ~0u) {
                return fail(reason::entry_exists);
            }
        }
        bool create = s == ~0u;
        std::uint32_t list = create ? q.list : in.slot(s).list;
        if (list >= in.list_count()) {
            return fail(reason::bad_list_number);
        }
        if (!create && q.when.version_compare && *q.when.version_compare != in.slot(s).version) {
            return fail(reason::version_mismatch);
        }
        if (create) {
            s = in.free_slot();
            if (s == ~0u) {
                return fail(reason::structure_full);
            }
            auto& lh = in.list(list);
            if (lh.limit != 0 && lh.count >= lh.limit) {
                return fail(reason::list_full);
            }
        }
        auto c = check_conditions(in, q.when);
        if (!c) {
            return c;
        }
        t.locks = q.when.lock == lock_oper::set || q.when.lock == lock_oper::reset;
        // The list key is taken last: nothing after it can fail.
        entry_key key = q.key;
        std::uint64_t first = 0;
        if (q.assign_list_key) {
            if (!assign_key(in, list, q.list_key_increment, first)) {
                return fail(reason::list_key_exceeds_max);
            }
            key = entry_key::of(first);
        }
        l.begin(s, list);
        auto& sl = in.slot(s);
        if (create) {
            sl.entry_id = h.count.next_entry_id++;
            sl.order = h.count.next_order++;
            sl.list = list;
            sl.version = 0;
            std::memset(sl.adjunct, 0, adjunct_size);
            name_set(sl.name, q.name);
            in.list(list).count++;
            h.count.entries_in_use++;
        }
        if (mid_request_hook) {
            mid_request_hook();  // half done: counted, no data, not in use
        }
        if (create || q.assign_list_key || q.key != entry_key{}) {
            std::memcpy(sl.key, key.bytes.data(), key_size);
        }
        if (q.version_update) {
            sl.version = *q.version_update;
        }
        if (q.adjunct) {
            std::memcpy(sl.adjunct, q.adjunct->data(), adjunct_size);
        }
        if (!q.data.empty()) std::memcpy(in.slot_data(s), q.data.data(), q.data.size());  // an entry may have no data
        sl.data_length = static_cast<std::uint32_t>(q.data.size());
        sl.in_use = 1;
        l.commit();
        t.slot = s;
        t.list = list;
        if (ans) {
            ans->entry_id = sl.entry_id;
            std::memcpy(ans->key.bytes.data(), sl.key, key_size);
            ans->version = sl.version;
            ans->list_key = first;
        }
        return ok();
    });
}

result connector_impl::locate(instance& in, const locator& where, const conditions& when, std::uint32_t& s) {
    if ((where.by == locator::kind::key || where.by == locator::kind::head || where.by == locator::kind::tail) &&
        where.list >= in.list_count()) {
        return fail(reason::bad_list_number);
    }
    s = in.find(where);
    if (s == ~0u) {
        return fail(reason::no_entry);
    }
    if (when.version_compare && *when.version_compare != in.slot(s).version) {
        return fail(reason::version_mismatch);
    }
    return check_conditions(in, when);
}

result connector_impl::read(const locator& where, entry& out, const conditions& when) {
    return locked_request(false, [&](instance& in, instance::locked&, touched&) -> result {
        std::uint32_t s = ~0u;
        auto c = locate(in, where, when, s);
        if (!c) {
            return c;
        }
        fill_entry(in, s, out);
        return ok();
    });
}

result connector_impl::remove(const locator& where, const conditions& when, entry* out) {
    return locked_request(true, [&](instance& in, instance::locked& l, touched& t) -> result {
        std::uint32_t s = ~0u;
        auto c = locate(in, where, when, s);
        if (!c) {
            return c;
        }
        t.locks = when.lock == lock_oper::set || when.lock == lock_oper::reset;
        if (out) {
            fill_entry(in, s, *out);
        }
        auto list = in.slot(s).list;
        l.begin(s, list);
        in.slot(s).in_use = 0;
        if (mid_request_hook) {
            mid_request_hook();  // half done: freed, still counted
        }
        in.list(list).count--;
        in.hdr().count.entries_in_use--;
        l.commit();
        t.slot = s;
        t.list = list;
        return ok();
    });
}

result connector_impl::move(const locator& where, std::uint32_t to_list, std::optional<entry_key> to_key,
                            const conditions& when, answer* ans, bool assign_list_key, std::uint64_t inc) {
    return locked_request(true, [&](instance& in, instance::locked& l, touched& t) -> result {
        if (to_list >= in.list_count()) {
            return fail(reason::bad_list_number);
        }
        auto s = in.find(where);
        if (s == ~0u) {
            return fail(reason::no_entry);
        }
        if (when.version_compare && *when.version_compare != in.slot(s).version) {
            return fail(reason::version_mismatch);
        }
        auto& lh = in.list(to_list);
        auto from = in.slot(s).list;
        if (from != to_list && lh.limit != 0 && lh.count >= lh.limit) {
            return fail(reason::list_full);
        }
        auto c = check_conditions(in, when);
        if (!c) {
            return c;
        }
        t.locks = when.lock == lock_oper::set || when.lock == lock_oper::reset;
        std::uint64_t first = 0;
        if (assign_list_key && !assign_key(in, to_list, inc, first)) {
            return fail(reason::list_key_exceeds_max);
        }
        l.begin(s, from, to_list);
        auto& sl = in.slot(s);
        in.list(from).count--;
        lh.count++;
        sl.list = to_list;
        sl.order = in.hdr().count.next_order++;
        if (assign_list_key) {
            auto k = entry_key::of(first);
            std::memcpy(sl.key, k.bytes.data(), key_size);
        } else if (to_key) {
            std::memcpy(sl.key, to_key->bytes.data(), key_size);
        }
        l.commit();
        t.slot = s;
        t.list = from;
        t.list2 = to_list;
        if (ans) {
            ans->entry_id = sl.entry_id;
            std::memcpy(ans->key.bytes.data(), sl.key, key_size);
            ans->version = sl.version;
            ans->list_key = first;
        }
        return ok();
    });
}

result connector_impl::read_list(std::uint32_t list, std::vector<entry>& out) {
    return locked_request(false, [&](instance& in, instance::locked&, touched&) -> result {
        if (list >= in.list_count()) {
            return fail(reason::bad_list_number);
        }
        out.clear();
        std::vector<std::uint32_t> slots;
        for (std::uint32_t i = 0; i < in.max_entries(); ++i) {
            if (in.slot(i).in_use && in.slot(i).list == list) {
                slots.push_back(i);
            }
        }
        std::sort(slots.begin(), slots.end(), [&](std::uint32_t a, std::uint32_t b) {
            int k = std::memcmp(in.slot(a).key, in.slot(b).key, key_size);
            return k < 0 || (k == 0 && in.slot(a).order < in.slot(b).order);
        });
        for (auto s : slots) {
            out.emplace_back();
            fill_entry(in, s, out.back());
        }
        return ok();
    });
}

result connector_impl::delete_list(std::uint32_t list, std::uint32_t& deleted) {
    deleted = 0;
    // One entry a request: each is crash-atomic on its own, as IXLLSTM processes entries.
    while (true) {
        auto r = remove(locator::head(list), conditions{}, nullptr);
        if (!r) {
            return r.why == reason::no_entry ? ok() : r;
        }
        ++deleted;
    }
}

result connector_impl::read_list_controls(std::uint32_t list, list_controls& out) {
    return locked_request(false, [&](instance& in, instance::locked&, touched&) -> result {
        if (list >= in.list_count()) {
            return fail(reason::bad_list_number);
        }
        auto& lh = in.list(list);
        out.list_key = lh.list_key.load();
        out.max_list_key = lh.max_list_key.load();
        out.limit = lh.limit;
        out.count = lh.count;
        out.authority = lh.authority;
        return ok();
    });
}

result connector_impl::write_list_controls(std::uint32_t list, const list_controls& in_c) {
    auto r = locked_request(true, [&](instance& in, instance::locked& l, touched& t) -> result {
        if (list >= in.list_count()) {
            return fail(reason::bad_list_number);
        }
        l.begin(~0u, list);
        auto& lh = in.list(list);
        lh.limit = in_c.limit;
        lh.authority = in_c.authority;
        lh.max_list_key.store(in_c.max_list_key);
        // Setting the list key may only move it forward: a lower value would hand
        // out numbers again (rule 1). Going back needs a new list.
        in.advance_key(list, in_c.list_key);
        l.commit();
        t.list = list;
        return ok();
    });
    if (r && _s) {
        _s->advance_key(list, in_c.list_key);
    }
    return r;
}

result connector_impl::lock(std::uint32_t index, lock_oper op) {
    conditions c;
    c.lock_index = index;
    c.lock = op;
    return locked_request(true, [&](instance& in, instance::locked&, touched& t) -> result {
        t.locks = true;
        return check_conditions(in, c);
    });
}

}  // namespace

result connector::connect(const connect_options& options, std::unique_ptr<connector>& out) {
    if (options.conname.empty() || options.conname.size() > name_size || options.structure.empty() ||
        options.cfs.empty()) {
        return fail(reason::bad_parameter);
    }
    auto c = std::make_unique<connector_impl>(options);
    auto r = c->attach(true);
    // While a duplex switch or a rebuild is under way only a secondary or a fenced
    // instance exists for a moment: wait for the new primary (bounded), as XES
    // holds a connect during a rebuild.
    for (int i = 0; !r && r.why == reason::structure_not_allocated && i < max_reattach && c->switching(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        r = c->attach(true);
    }
    if (!r) {
        return r;
    }
    out = std::move(c);
    return r;
}

}  // namespace zplex::cf
