// SPDX-License-Identifier: Apache-2.0
// Structure instances in shared memory: allocation, attachment, robust locking with an
// undo journal, lock-free list keys.
#include "instance.hpp"

#include <fmt/format.h>
#include <boost/interprocess/permissions.hpp>

#include <algorithm>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <random>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

namespace zplex::cf::detail {

namespace bip = boost::interprocess;

std::string instance::shm_name(const std::string& sysplex, const std::string& cf, const std::string& structure) {
    return "zplex." + sysplex + "." + cf + "." + structure;
}

instance::instance(std::string shm, bip::shared_memory_object obj, bip::mapped_region r)
    : _shm(std::move(shm)), _obj(std::move(obj)), _region(std::move(r)) {
    auto& h = hdr();
    _geo = geometry::of(h.list_count, h.max_entries, h.entry_size, h.lock_entries);
    _list_count = h.list_count;
    _max_entries = h.max_entries;
}

namespace {

std::uint64_t random_id() {
    static std::mt19937_64 rng{std::random_device{}() ^ (static_cast<std::uint64_t>(::getpid()) << 32)};
    std::uint64_t v = 0;
    while (v == 0) {
        v = rng();
    }
    return v;
}

[[noreturn]] void no_room(const instance_params& p, std::size_t need, const char* why) {
    struct statvfs v {};
    unsigned long long avail = 0;
    unsigned long long total = 0;
    if (::statvfs("/dev/shm", &v) == 0) {
        avail = static_cast<unsigned long long>(v.f_bavail) * v.f_frsize;
        total = static_cast<unsigned long long>(v.f_blocks) * v.f_frsize;
    }
    throw cf_failure(fmt::format("IXL162E STRUCTURE {} CANNOT BE ALLOCATED IN {}: IT NEEDS {} BYTES, /dev/shm HAS {} "
                                 "FREE OF {} ({})",
                                 p.structure, p.cf, need, avail, total, why),
                     12);
}

}  // namespace

std::unique_ptr<instance> instance::create(const std::string& shm, const instance_params& p, role r) {
    auto g = geometry::of(p.list_count, p.max_entries, p.entry_size, p.lock_entries);
    // Refuse what cannot fit before taking any of it (other structures share /dev/shm).
    struct statvfs v {};
    if (::statvfs("/dev/shm", &v) == 0 && g.total > static_cast<std::size_t>(v.f_bavail) * v.f_frsize) {
        no_room(p, g.total, "NOT ENOUGH FREE SPACE");
    }
    bip::shared_memory_object::remove(shm.c_str());
    bip::permissions perm(0600);
    bip::shared_memory_object obj(bip::create_only, shm.c_str(), bip::read_write, perm);
    int fd = obj.get_mapping_handle().handle;
    ::fchmod(fd, 0600);
    // Reserve every page now: a sparse object would die of SIGBUS at the first page
    // tmpfs cannot supply. posix_fallocate gives the pages back itself when it fails.
    int rc = ::posix_fallocate(fd, 0, static_cast<off_t>(g.total));
    if (rc != 0) {
        bip::shared_memory_object::remove(shm.c_str());
        no_room(p, g.total, rc == ENOSPC ? "NO SPACE" : std::strerror(rc));
    }
    bip::mapped_region region(obj, bip::read_write);  // fresh pages are zero
    auto* h = new (region.get_address()) header{};
    std::strncpy(h->structure, p.structure.c_str(), sizeof h->structure - 1);
    std::strncpy(h->cf, p.cf.c_str(), sizeof h->cf - 1);
    h->instance_id = random_id();
    h->allocated_at = static_cast<std::int64_t>(std::time(nullptr));
    h->list_count = p.list_count;
    h->max_entries = p.max_entries;
    h->entry_size = p.entry_size;
    h->lock_entries = p.lock_entries;
    h->slot_stride = g.stride;
    h->total_size = g.total;
    auto self = sysplex::self_identity();
    h->cf_pid.store(self.pid);
    h->cf_start.store(self.start_time);
    h->role.store(static_cast<std::uint32_t>(r));
    h->count.next_entry_id = 1;
    h->count.next_order = 1;
    sysplex::robust_mutex_init(h->mutex);
    auto* lists = reinterpret_cast<list_header*>(static_cast<char*>(region.get_address()) + g.lists);
    for (std::uint32_t i = 0; i < p.list_count; ++i) {
        new (&lists[i]) list_header{};
        lists[i].max_list_key.store(~std::uint64_t{0});
    }
    std::atomic_thread_fence(std::memory_order_seq_cst);
    h->magic = layout_magic;  // last: an attacher sees a complete instance or none
    return std::unique_ptr<instance>(new instance(shm, std::move(obj), std::move(region)));
}

void instance::carry_keys_from(instance& old) noexcept {
    auto n = std::min(_list_count, old._list_count);
    for (std::uint32_t i = 0; i < n; ++i) {
        advance_key(i, old.list(i).list_key.load(std::memory_order_seq_cst));
    }
}

std::unique_ptr<instance> instance::open(const std::string& shm) {
    try {
        bip::shared_memory_object obj(bip::open_only, shm.c_str(), bip::read_write);
        bip::offset_t size = 0;
        if (!obj.get_size(size) || static_cast<std::size_t>(size) < sizeof(header)) {
            return nullptr;
        }
        bip::mapped_region region(obj, bip::read_write);
        auto* h = static_cast<header*>(region.get_address());
        if (h->magic != layout_magic) {
            return nullptr;
        }
        auto g = geometry::of(h->list_count, h->max_entries, h->entry_size, h->lock_entries);
        if (g.total != h->total_size || g.total > static_cast<std::size_t>(size)) {
            return nullptr;
        }
        return std::unique_ptr<instance>(new instance(shm, std::move(obj), std::move(region)));
    } catch (const bip::interprocess_exception&) {
        return nullptr;
    }
}

void instance::remove(const std::string& shm) noexcept {
    bip::shared_memory_object::remove(shm.c_str());
}

list_header* instance::lists() noexcept {
    return reinterpret_cast<list_header*>(static_cast<char*>(_region.get_address()) + _geo.lists);
}

std::atomic<std::uint32_t>& instance::lock_entry(std::uint32_t i) noexcept {
    return reinterpret_cast<std::atomic<std::uint32_t>*>(static_cast<char*>(_region.get_address()) + _geo.locks)[i];
}

journal& instance::jr() noexcept {
    return *reinterpret_cast<journal*>(static_cast<char*>(_region.get_address()) + _geo.journal_at);
}

entry_slot& instance::slot(std::uint32_t i) noexcept {
    return *reinterpret_cast<entry_slot*>(static_cast<char*>(_region.get_address()) + _geo.slots +
                                          std::size_t{_geo.stride} * i);
}

// ---------------------------------------------------------------- list keys

bool instance::take_keys(std::uint32_t list, std::uint64_t n, std::uint64_t& first) noexcept {
    auto& lh = lists()[list];
    std::uint64_t cur = lh.list_key.load(std::memory_order_relaxed);
    while (true) {
        std::uint64_t max = lh.max_list_key.load(std::memory_order_relaxed);
        // The last number handed out is cur + n - 1; it may not pass the maximum.
        if (n == 0 || cur > max || n - 1 > max - cur) {
            return false;
        }
        if (lh.list_key.compare_exchange_weak(cur, cur + n, std::memory_order_seq_cst, std::memory_order_relaxed)) {
            first = cur;
            return true;
        }
    }
}

void instance::advance_key(std::uint32_t list, std::uint64_t v) noexcept {
    auto& k = lists()[list].list_key;
    std::uint64_t cur = k.load(std::memory_order_relaxed);
    while (cur < v && !k.compare_exchange_weak(cur, v, std::memory_order_seq_cst, std::memory_order_relaxed)) {
    }
}

// ---------------------------------------------------------------- locking and the journal

// The holder died mid-request: undo what it had started, then go on.
instance::locked::locked(instance& in) : _in(in), _lock(in.hdr().mutex, [&in] { in.recover(); }) {}

instance::locked::~locked() = default;

void instance::locked::begin(std::uint32_t slot, std::uint32_t list, std::uint32_t list2) noexcept {
    auto& j = _in.jr();
    j.slot = slot;
    j.list = list;
    j.list2 = list2;
    auto copy_list = [&](list_header& to, std::uint32_t i) {
        // The list key is lock-free and never rolled back: only the [m] fields matter.
        to.count = _in.list(i).count;
        to.limit = _in.list(i).limit;
        to.authority = _in.list(i).authority;
    };
    if (list != ~0u) {
        copy_list(j.saved_list, list);
    }
    if (list2 != ~0u) {
        copy_list(j.saved_list2, list2);
    }
    j.saved_counters = _in.hdr().count;
    if (slot != ~0u) {
        std::memcpy(reinterpret_cast<char*>(&j) + sizeof(journal), &_in.slot(slot), _in._geo.stride);
    }
    std::atomic_thread_fence(std::memory_order_seq_cst);
    j.valid = 1;
    std::atomic_thread_fence(std::memory_order_seq_cst);
}

void instance::locked::commit() noexcept {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    _in.jr().valid = 0;
    std::atomic_thread_fence(std::memory_order_seq_cst);
}

void instance::recover() noexcept {
    auto& j = jr();
    if (!j.valid) {
        return;
    }
    auto restore_list = [&](const list_header& from, std::uint32_t i) {
        list(i).count = from.count;
        list(i).limit = from.limit;
        list(i).authority = from.authority;
    };
    if (j.slot != ~0u && j.slot < _max_entries) {
        std::memcpy(&slot(j.slot), reinterpret_cast<char*>(&j) + sizeof(journal), _geo.stride);
    }
    if (j.list != ~0u && j.list < _list_count) {
        restore_list(j.saved_list, j.list);
    }
    if (j.list2 != ~0u && j.list2 < _list_count) {
        restore_list(j.saved_list2, j.list2);
    }
    hdr().count = j.saved_counters;
    std::atomic_thread_fence(std::memory_order_seq_cst);
    j.valid = 0;
}

// ---------------------------------------------------------------- duplex copies

void instance::mirror_from(instance& from, std::uint32_t s, std::uint32_t l, std::uint32_t l2) noexcept {
    if (s != ~0u) {
        std::memcpy(&slot(s), &from.slot(s), _geo.stride);
    }
    for (auto i : {l, l2}) {
        if (i != ~0u) {
            list(i).count = from.list(i).count;
            list(i).limit = from.list(i).limit;
            list(i).authority = from.list(i).authority;
            list(i).max_list_key.store(from.list(i).max_list_key.load());
            advance_key(i, from.list(i).list_key.load());
        }
    }
    hdr().count = from.hdr().count;
}

void instance::copy_from(instance& from) noexcept {
    std::memcpy(static_cast<char*>(_region.get_address()) + _geo.slots,
                static_cast<char*>(from._region.get_address()) + from._geo.slots,
                std::size_t{_geo.stride} * _max_entries);
    for (std::uint32_t i = 0; i < _list_count; ++i) {
        mirror_from(from, ~0u, i, ~0u);
        advance_key(i, from.list(i).list_key.load());
    }
    for (std::uint32_t i = 0; i < hdr().lock_entries; ++i) {
        lock_entry(i).store(from.lock_entry(i).load());
    }
    hdr().count = from.hdr().count;
}

// ---------------------------------------------------------------- look-ups

std::uint32_t instance::free_slot() noexcept {
    for (std::uint32_t i = 0; i < _max_entries; ++i) {
        if (!slot(i).in_use) {
            return i;
        }
    }
    return ~0u;
}

std::uint32_t instance::find(const locator& l) noexcept {
    std::uint32_t best = ~0u;
    for (std::uint32_t i = 0; i < _max_entries; ++i) {
        const auto& s = slot(i);
        if (!s.in_use) {
            continue;
        }
        switch (l.by) {
        case locator::kind::entry_id:
            if (s.entry_id == l.entry_id) {
                return i;
            }
            break;
        case locator::kind::entry_name:
            if (name_equals(s.name, l.name)) {
                return i;
            }
            break;
        case locator::kind::key:
        case locator::kind::head:
        case locator::kind::tail: {
            if (s.list != l.list) {
                break;
            }
            entry_key k;
            std::memcpy(k.bytes.data(), s.key, key_size);
            if (l.by == locator::kind::key) {
                bool match = l.compare == key_compare::equal            ? k == l.key
                             : l.compare == key_compare::less_or_equal ? k <= l.key
                                                                        : k >= l.key;
                if (!match) {
                    break;
                }
            }
            if (best == ~0u) {
                best = i;
                break;
            }
            entry_key bk;
            std::memcpy(bk.bytes.data(), slot(best).key, key_size);
            // Key order, FIFO within a key; LESSOREQUAL wants the highest key.
            bool want_last = l.by == locator::kind::tail ||
                             (l.by == locator::kind::key && l.compare == key_compare::less_or_equal);
            bool before = k < bk || (k == bk && s.order < slot(best).order);
            if (before != want_last) {
                best = i;
            }
            break;
        }
        }
    }
    return best;
}

bool name_equals(const char (&field)[name_size], const std::string& name) noexcept {
    if (name.empty() || name.size() > name_size) {
        return false;
    }
    return std::memcmp(field, name.data(), name.size()) == 0 && (name.size() == name_size || field[name.size()] == 0);
}

void name_set(char (&field)[name_size], const std::string& name) noexcept {
    std::memset(field, 0, name_size);
    std::memcpy(field, name.data(), std::min<std::size_t>(name.size(), name_size));
}

std::string name_get(const char (&field)[name_size]) {
    return std::string(field, strnlen(field, name_size));
}

}  // namespace zplex::cf::detail
