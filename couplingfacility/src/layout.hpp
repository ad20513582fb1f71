// SPDX-License-Identifier: Apache-2.0
// The shared-memory image of one list structure instance, as connectors and the CF see it.
//
// Why it is crash safe by construction:
//  - List keys (LISTKEYINC) are 64-bit atomics changed only by compare-and-swap: a
//    connector killed at any instruction has either taken its block (the CAS happened:
//    the numbers are lost with it, never handed out again) or not.
//  - Every other change happens under a robust process-shared mutex. Before changing
//    anything the holder copies what it will touch (one entry slot, one list header and
//    the counters) into the journal and marks it valid; it clears the mark when done.
//    If it dies holding the mutex, the next locker gets EOWNERDEAD, copies the journal
//    back (undoing the half-done request), and marks the mutex consistent.
//  - Lock entries are atomics set by CAS with the owner's connection id; the CF process
//    releases those of a connector whose process died.
//
// Lock legend:  [I] immutable after the CF allocated the instance
//               [a] atomic, lock-free
//               [m] under header::mutex
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <pthread.h>

namespace zplex::cf::detail {

inline constexpr std::uint64_t layout_magic = 0x5a504c4558434632ull;  // "ZPLEXCF2"
inline constexpr std::uint32_t max_connectors = 32;                  // CONACONID 1..32
inline constexpr std::uint32_t adjunct_size = 64;
inline constexpr std::uint32_t key_size = 16;
inline constexpr std::uint32_t name_size = 16;
inline constexpr std::uint32_t cf_name_size = 16;  // CF names are 1-8 characters: always NUL ended

enum class role : std::uint32_t { simplex = 0, primary = 1, secondary = 2 };
enum class conn_state : std::uint32_t { unused = 0, active = 1, failed_persistent = 2 };

struct alignas(64) connector_slot {  // a cache line each: no false sharing
    std::atomic<std::uint32_t> state;   // [a] conn_state
    std::atomic<std::int32_t> pid;      // [a] the connector's process
    std::atomic<std::uint64_t> start_time;  // [a] its start time: with pid, its identity
    char name[name_size];               // [m] CONNAME
    std::atomic<std::uint64_t> token;   // [a] changes on every connect (stale tokens refused)
    std::atomic<std::uint64_t> requests;  // [a] requests issued, for displays
};

struct list_header {
    std::atomic<std::uint64_t> list_key;  // [a] LISTKEYINC counter
    std::atomic<std::uint64_t> max_list_key;  // [a] maximum list key
    std::uint32_t count;                  // [m] entries on the list
    std::uint32_t limit;                  // [m] list limit (0: none)
    std::uint64_t authority;              // [m] list authority
};

struct entry_slot {
    std::uint32_t in_use;                 // [m] 0 free, 1 used
    std::uint32_t list;                   // [m]
    std::uint64_t entry_id;               // [m] CF-assigned, never reused
    std::uint64_t order;                  // [m] insertion order (FIFO within a key)
    std::uint64_t version;                // [m]
    std::uint8_t key[key_size];           // [m]
    char name[name_size];                 // [m] all zero: no name
    std::uint8_t adjunct[adjunct_size];   // [m]
    std::uint32_t data_length;            // [m]
    std::uint32_t pad;
    // followed by entry_size data bytes
};
static_assert(sizeof(entry_slot) % 8 == 0);

struct counters {
    std::uint32_t entries_in_use;         // [m]
    std::uint32_t pad;
    std::uint64_t next_entry_id;          // [m]
    std::uint64_t next_order;             // [m]
};

/// The undo journal: what one request under the mutex may change.
struct journal {
    std::uint32_t valid;                  // [m] 1 while a request is changing things
    std::uint32_t slot;                   // [m] entry slot saved (or ~0u)
    std::uint32_t list;                   // [m] list header saved (or ~0u)
    std::uint32_t list2;                  // [m] second list header saved (MOVE), or ~0u
    list_header saved_list;               // [m] non-atomic image of the list header
    list_header saved_list2;              // [m]
    counters saved_counters;              // [m]
    // followed by one saved entry slot image (slot_stride bytes)
};

struct header {
    std::uint64_t magic;                  // [I]
    char structure[name_size];            // [I]
    char cf[cf_name_size];                // [I] the CF holding this instance
    char partner_cf[cf_name_size];        // [a] duplex partner (when duplex_active)
    std::uint64_t instance_id;            // [I] random, never 0: tells two instances of one name apart
    std::int64_t allocated_at;            // [I] time_t of the allocation
    std::uint32_t list_count;             // [I]
    std::uint32_t max_entries;            // [I]
    std::uint32_t entry_size;             // [I]
    std::uint32_t lock_entries;           // [I]
    std::uint32_t slot_stride;            // [I] sizeof(entry_slot) + entry_size, 8-aligned
    std::uint32_t pad0;
    std::uint64_t total_size;             // [I]
    std::atomic<std::int32_t> cf_pid;     // [a] the zplex-cf that owns the instance
    std::atomic<std::uint64_t> cf_start;  // [a] its start time: with cf_pid, its identity
    std::atomic<std::uint64_t> partner_instance;  // [a] instance_id of the duplex partner
    std::atomic<std::uint32_t> operator_simplex;  // [a] 1: SETXCF STOP,REBUILD,DUPLEX: no automatic re-duplex
    std::atomic<std::uint32_t> role;      // [a] role
    std::atomic<std::uint32_t> fenced;    // [a] 1: moved or lost, connectors must reattach
    std::atomic<std::uint32_t> lost;      // [a] 1: contents lost (no duplex copy)
    std::atomic<std::uint32_t> duplex_active;  // [a] 1: every write also goes to partner_cf
    std::atomic<std::uint64_t> epoch;     // [a] bumped on every role change
    pthread_mutex_t mutex;                // robust, process-shared
    counters count;                       // [m]
    connector_slot connectors[max_connectors];
    // followed by: list_header[list_count], std::atomic<uint32_t> locks[lock_entries],
    // journal (+ slot image), entry slots[max_entries]
};

/// Offsets of the variable parts, computed the same way by everyone.
struct geometry {
    std::size_t lists;
    std::size_t locks;
    std::size_t journal_at;
    std::size_t slots;
    std::size_t total;
    std::uint32_t stride;

    static geometry of(std::uint32_t list_count, std::uint32_t max_entries, std::uint32_t entry_size,
                       std::uint32_t lock_entries) noexcept {
        auto align = [](std::size_t v) { return (v + 63) & ~std::size_t{63}; };
        geometry g{};
        g.stride = static_cast<std::uint32_t>((sizeof(entry_slot) + entry_size + 7) & ~std::size_t{7});
        g.lists = align(sizeof(header));
        g.locks = align(g.lists + sizeof(list_header) * list_count);
        g.journal_at = align(g.locks + sizeof(std::atomic<std::uint32_t>) * lock_entries);
        g.slots = align(g.journal_at + sizeof(journal) + g.stride);
        g.total = align(g.slots + std::size_t{g.stride} * max_entries);
        return g;
    }
};

}  // namespace zplex::cf::detail
