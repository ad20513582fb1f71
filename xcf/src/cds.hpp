// SPDX-License-Identifier: Apache-2.0
// The sysplex couple dataset and the signalling rings, in one shared-memory segment.
//
// Lock legend:  [I] immutable after creation   [a] atomic   [m] under cds::mutex
//               [p] written by the ring's producer only, [c] by its consumer only
#pragma once

#include <atomic>
#include <cstdint>
#include <pthread.h>

namespace zplex::xcf::detail {

inline constexpr std::uint64_t cds_magic = 0x5a504c5843445335ull;  // "ZPLXCDS5"
inline constexpr std::uint32_t max_systems = 8;
inline constexpr std::uint32_t max_members = 16;
inline constexpr std::uint32_t max_events = 256;
inline constexpr std::uint32_t ring_bytes = 256 * 1024;  // a 64 KiB message fits twice
inline constexpr std::uint32_t max_fragment = 8 * 1024;

enum class sys_state : std::uint32_t { unused = 0, active = 1, failed = 2 };

struct system_slot {
    std::atomic<std::uint32_t> state;       // [a] sys_state
    char name[8];                           // [m]
    std::atomic<std::int64_t> status_ns;    // [a] last status update, CLOCK_MONOTONIC
    std::atomic<std::int32_t> pid;          // [a] the heartbeating process
    std::atomic<std::uint32_t> incarnation; // [a]
    std::atomic<std::uint64_t> start_time;  // [a] of pid (clock ticks since boot): PID + start time = identity
    std::atomic<std::int64_t> interval_ms;  // [a] its INTERVAL: the others judge its status by it
};

struct member_slot {
    std::atomic<std::uint32_t> state;       // [a] member_state
    char group[8];                          // [m]
    char name[16];                          // [m]
    std::uint32_t system;                   // [m] system slot
    std::atomic<std::int32_t> pid;          // [a]
    std::atomic<std::uint64_t> user_state;  // [a]
    std::atomic<std::uint32_t> incarnation; // [a] unique per join in this couple dataset
    std::atomic<std::uint64_t> start_time;  // [a] of pid
    // The doorbell (member::arm): the member set armed before it sleeps; a sender that
    // publishes a message and finds it set clears it and rings (bell += 1, FUTEX_WAKE).
    std::atomic<std::uint32_t> armed;       // [a]
    std::atomic<std::uint32_t> bell;        // [a] a futex word
    // The member's doorbell eventfd, its number in the member's process (0: none yet): a
    // sender takes a copy (pidfd_getfd) and writes it itself, so the member's epoll wakes
    // without the hop through its bell thread. The futex stays for a sender that cannot.
    std::atomic<std::int32_t> bell_fd;      // [a]
};

struct event_record {
    std::uint64_t seq;                      // [m]
    std::uint32_t kind;                     // [m] group_event::kind
    char group[8];                          // [m]
    char member[16];                        // [m]
    char system[8];                         // [m]
};

struct alignas(64) ring {
    std::atomic<std::uint64_t> head;        // [c] bytes consumed
    char pad0[56];
    std::atomic<std::uint64_t> tail;        // [p] bytes published
    std::atomic<std::uint64_t> messages;    // [p] messages sent on this path
    char pad1[48];
    std::uint8_t data[ring_bytes];          // [p] written before tail moves
};

struct cds {
    std::uint64_t magic;                    // [I]
    char sysplex[16];                       // [I]
    std::uint8_t key_check[16];             // [I] proves the creator's sysplex key
    std::uint8_t salt[16];                  // [I] message keys are fresh per couple dataset
    std::int64_t interval_ms;               // [I]
    pthread_mutex_t mutex;                  // robust: joins, leaves, state changes, events
    std::atomic<std::uint32_t> retired;     // [m] re-formatted: the name now holds a new dataset
    std::atomic<std::uint32_t> next_incarnation;  // [a]
    std::atomic<std::uint64_t> event_seq;   // [a] events posted (the next seq)
    event_record events[max_events];        // [m] event_seq % max_events
    system_slot systems[max_systems];
    member_slot members[max_members];
    ring rings[max_members][max_members];   // [sender][receiver]
};

/// The head of every fragment on a ring; the rest is the protected message's share.
struct fragment_header {
    std::uint32_t magic;                    // 'XCF2'
    std::uint32_t frame_len;                // header + payload, 8-aligned on the ring
    std::uint32_t sender;                   // member slot
    std::uint32_t receiver;                 // member slot
    std::uint32_t sender_incarnation;
    std::uint32_t receiver_incarnation;
    std::uint32_t frag_index;
    std::uint32_t frag_count;
    std::uint32_t ct_len;                   // whole message: ciphertext (or message) + 16-byte tag
    std::uint32_t payload_len;              // this fragment's share
    std::uint64_t seq;                      // per sender incarnation, from 1
    std::uint32_t flags;                    // mode: 0 sealed, 1 integrity only (authenticated)
    std::uint32_t reserved;                 // zero
};
static_assert(sizeof(fragment_header) == 56);
inline constexpr std::uint32_t fragment_magic = 0x58434632;

}  // namespace zplex::xcf::detail
