// SPDX-License-Identifier: Apache-2.0
// One structure instance in shared memory: creation by the CF, attachment by
// connectors, the robust mutex with its undo journal, and the request primitives.
#pragma once

#include "layout.hpp"

#include <zplex/cf/cf_server.hpp>
#include <zplex/cf/connector.hpp>
#include <zplex/sysplex/process.hpp>
#include <zplex/sysplex/robust_mutex.hpp>

#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>

#include <memory>
#include <stdexcept>
#include <string>

namespace zplex::cf::detail {

struct instance_params {
    std::string structure;
    std::string cf;
    std::uint32_t list_count = 1;
    std::uint32_t max_entries = 1;
    std::uint32_t entry_size = 0;
    std::uint32_t lock_entries = 0;
};

using cf_failure = start_error;

class instance {
public:
    /// `zplex.<sysplex>.<cf>.<structure>`: the shared-memory object of an instance.
    static std::string shm_name(const std::string& sysplex, const std::string& cf, const std::string& structure);

    /// The CF allocates an instance (mode 0600, all lists empty). Replaces a stale one.
    /// The whole size is reserved up front (no SIGBUS later); if /dev/shm cannot hold it,
    /// throws cf_failure (IXL162E, code 12) and leaves nothing behind.
    static std::unique_ptr<instance> create(const std::string& shm, const instance_params& p, role r);
    /// A connector attaches; nullptr if there is none (or it is not a zplex structure).
    static std::unique_ptr<instance> open(const std::string& shm);
    static void remove(const std::string& shm) noexcept;

    header& hdr() noexcept { return *static_cast<header*>(_region.get_address()); }
    list_header& list(std::uint32_t i) noexcept { return lists()[i]; }
    std::atomic<std::uint32_t>& lock_entry(std::uint32_t i) noexcept;
    entry_slot& slot(std::uint32_t i) noexcept;
    std::uint8_t* slot_data(std::uint32_t i) noexcept { return reinterpret_cast<std::uint8_t*>(&slot(i)) + sizeof(entry_slot); }
    const std::string& shm() const noexcept { return _shm; }
    std::uint32_t list_count() const noexcept { return _list_count; }
    std::uint32_t max_entries() const noexcept { return _max_entries; }

    /// The process that owns the instance (its zplex-cf), and whether it still runs.
    sysplex::process_identity owner() noexcept { return {hdr().cf_pid.load(), hdr().cf_start.load()}; }
    bool owner_alive() noexcept { return sysplex::process_alive(owner()); }
    /// Raise every list key to at least the one @p old had (keys never move back).
    void carry_keys_from(instance& old) noexcept;

    /// Lock-free LISTKEYINC: take [first, first+n) or fail if it would pass the max.
    bool take_keys(std::uint32_t list, std::uint64_t n, std::uint64_t& first) noexcept;
    /// list key = max(list key, v): keeps a duplex partner at or above every block handed out.
    void advance_key(std::uint32_t list, std::uint64_t v) noexcept;

    /// Holds the structure mutex; repairs a request left half done by a dead holder.
    class locked {
    public:
        explicit locked(instance& in);
        ~locked();
        locked(const locked&) = delete;
        locked& operator=(const locked&) = delete;
        /// Save what the request will change (slot and up to two lists; ~0u for none).
        void begin(std::uint32_t slot, std::uint32_t list, std::uint32_t list2 = ~0u) noexcept;
        /// The request is complete.
        void commit() noexcept;

    private:
        instance& _in;
        sysplex::robust_lock _lock;
    };

    /// Copy one slot, its list header(s) and the counters from @p from (duplex writes).
    void mirror_from(instance& from, std::uint32_t slot, std::uint32_t list, std::uint32_t list2) noexcept;
    /// Copy everything (duplex establishment, rebuild). Both mutexes held by the caller.
    void copy_from(instance& from) noexcept;

    // Look-ups (mutex held). Return ~0u when not found.
    std::uint32_t find(const locator& l) noexcept;
    std::uint32_t free_slot() noexcept;

private:
    instance(std::string shm, boost::interprocess::shared_memory_object obj, boost::interprocess::mapped_region r);
    list_header* lists() noexcept;
    journal& jr() noexcept;
    void recover() noexcept;

    std::string _shm;
    boost::interprocess::shared_memory_object _obj;
    boost::interprocess::mapped_region _region;
    geometry _geo{};
    std::uint32_t _list_count = 0;
    std::uint32_t _max_entries = 0;
};

using sysplex::process_alive;

/// Test hook: called by WRITE and DELETE halfway through changing an entry, under the
/// mutex (nullptr outside tests). A crash test stops a real connector there and kills it.
extern void (*mid_request_hook)();

/// The lock that makes one process the CF @p cf of namespace @p ns (a 0600 file in
/// /dev/shm, flock'ed, holding the owner's PID and start time). Released (and the file
/// removed) on destruction; the kernel drops it when the process dies.
class cf_lock {
public:
    /// Take it; nullptr if a live process holds it (then @p holder says which).
    static std::unique_ptr<cf_lock> acquire(const std::string& ns, const std::string& cf,
                                            sysplex::process_identity& holder);
    /// The live process holding the lock of @p cf, or {0, 0}.
    static sysplex::process_identity holder(const std::string& ns, const std::string& cf);
    static std::string path(const std::string& ns, const std::string& cf);
    ~cf_lock();
    cf_lock(const cf_lock&) = delete;
    cf_lock& operator=(const cf_lock&) = delete;

private:
    cf_lock(std::string path, int fd) : _path(std::move(path)), _fd(fd) {}
    std::string _path;
    int _fd;
};

/// Name field helpers (16 bytes, zero padded; upper case is the caller's business).
bool name_equals(const char (&field)[name_size], const std::string& name) noexcept;
void name_set(char (&field)[name_size], const std::string& name) noexcept;
std::string name_get(const char (&field)[name_size]);

}  // namespace zplex::cf::detail
