// SPDX-License-Identifier: Apache-2.0
// What the XCF source files share: the mapped couple dataset, the robust lock, the
// state of a system and of a member in this process.
#pragma once

#include "codec.hpp"

#include <zplex/sysplex/process.hpp>
#include <zplex/sysplex/robust_mutex.hpp>
#include <zplex/xcf/xcf.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace zplex::xcf::detail {

constexpr result ok() { return {}; }
constexpr result fail(reason r, rc c = rc::error) { return {c, r}; }

/// CLOCK_MONOTONIC in nanoseconds.
std::int64_t monotonic_ns();

template <std::size_t N>
void set_field(char (&f)[N], const std::string& s) {
    std::memset(f, 0, N);
    std::memcpy(f, s.data(), std::min(N, s.size()));
}

template <std::size_t N>
std::string get_field(const char (&f)[N]) {
    return std::string(f, strnlen(f, N));
}

inline std::uint32_t u32(sys_state s) { return static_cast<std::uint32_t>(s); }
inline std::uint32_t u32(member_state s) { return static_cast<std::uint32_t>(s); }

/// The identity a slot recorded for its process.
inline sysplex::process_identity identity(const system_slot& s) { return {s.pid.load(), s.start_time.load()}; }
inline sysplex::process_identity identity(const member_slot& m) { return {m.pid.load(), m.start_time.load()}; }

/// This process's identity, read afresh (a forked child is not its parent).
inline sysplex::process_identity me_now() { return sysplex::identity_of(static_cast<std::int32_t>(::getpid())); }

/// A couple dataset mapped into this process (unmapped on destruction).
class mapping {
public:
    mapping() = default;
    mapping(cds* c, std::size_t size) : _c(c), _size(size) {}
    ~mapping();
    mapping(const mapping&) = delete;
    mapping& operator=(const mapping&) = delete;
    cds* get() const noexcept { return _c; }

private:
    cds* _c = nullptr;
    std::size_t _size = 0;
};

class cds_lock {
public:
    // Every change under this mutex is a single field store: nothing to undo.
    explicit cds_lock(cds& c) : _lock(c.mutex) {}

private:
    sysplex::robust_lock _lock;
};

void post_event(cds& c, group_event::kind k, const member_slot& m, const std::string& sysname);

/// True if a system or member process of @p c is still alive, not counting system
/// slot @p except_system and its members (call under the lock).
bool anyone_alive(const cds& c, std::uint32_t except_system = max_systems);

/// Open (creating or re-formatting as needed) the couple dataset /dev/shm/@p name for
/// a holder of @p key, and run @p join under its lock. See system::join.
/// With @p create false (attach) nothing is created or re-formatted: a missing
/// dataset, or one in which nobody lives, is RC 8 RSN 080D.
result open_dataset(const sysplex_options& o, const std::string& name, std::unique_ptr<mapping>& out,
                    const std::function<result(cds&)>& join, bool create = true);

/// Fail every member of system slot @p s that is neither unused nor failed (its
/// system was partitioned or re-IPLed), posting the group exit (call under the lock).
void fail_members_of(cds& c, std::uint32_t s, const std::string& sysname);

/// True if another couple dataset of @p sysplex than @p ours has a live process.
bool other_dataset_in_use(const std::string& sysplex, const std::string& ours);

}  // namespace zplex::xcf::detail

namespace zplex::xcf {

struct system::impl {
    sysplex_options o;
    std::string name;
    std::uint32_t slot = 0;
    std::uint32_t incarnation = 0;
    std::string shm;
    std::unique_ptr<detail::mapping> map;
    detail::secret message_key;
    std::mutex msg_mutex;
    std::vector<std::string> messages;
    std::thread thread;
    std::atomic<bool> stopping{false};
    bool fenced_flag = false;
    bool stalled_said = false;
    /// After a stalled pass, nobody is judged before this time: the others stalled with
    /// us get one whole interval to update their status again.
    std::int64_t judge_after = 0;
    bool attached = false;         ///< attach(): the slot is another process's
    std::int64_t last_pass = 0;    ///< attached: our previous tick (the slot's status is not ours)

    detail::cds& c() { return *map->get(); }
    std::int64_t now() const { return o.clock ? o.clock() : detail::monotonic_ns(); }
    void say(std::string m) {
        std::lock_guard<std::mutex> g(msg_mutex);
        if (messages.size() >= 1000) {
            messages.erase(messages.begin());  // nobody takes them: keep the latest
        }
        messages.push_back(std::move(m));
    }
    /// Partition system slot @p s out, if it is still the silent incarnation @p inc
    /// whose status we judged at @p judged_at (or, with @p owner_ended, whose owner
    /// process is gone): its members fail, survivors hear it.
    void partition(std::uint32_t s, std::uint32_t inc, std::int64_t judged_at, const char* why,
                   bool owner_ended = false);
    /// The message key of this couple dataset (after it is mapped).
    void derive_message_key();
    /// Fail the members (any system's) whose process ended.
    void fail_dead_members();
    /// An attached system's pass: fenced yet? Else judge our own system's owner.
    void attached_tick();
};

struct member::impl {
    system* sys = nullptr;
    std::string group;
    std::string name;
    std::uint32_t slot = 0;
    std::uint32_t incarnation = 0;
    std::uint64_t next_seq = 1;
    std::uint64_t event_seen = 0;
    bool left = false;
    detail::reassembler partial[detail::max_members];
    std::uint32_t last_incarnation[detail::max_members] = {};
    std::uint64_t last_seq[detail::max_members] = {};
    std::uint32_t rr = 0;
    drop_counters drops;
    /// Messages already taken off the rings (while this member waited to send):
    /// senders drain their own paths so two members sending to each other never wait
    /// on each other.
    struct received {
        std::string from;
        std::vector<std::uint8_t> bytes;
        protection how;
    };
    std::deque<received> inbox;
    /// The doorbell's end in this process (member::wakeup_fd): an eventfd a thread
    /// writes whenever the slot's bell word changes; started at the first wakeup_fd().
    int bell_fd = -1;
    /// A sender's copies of the receivers' doorbell eventfds (pidfd_getfd), by member slot:
    /// valid for the incarnation and the descriptor number they were taken for.
    struct peer_bell {
        std::uint32_t incarnation = 0;
        std::int32_t number = 0;  ///< the receiver's bell_fd this copy is of (0: not tried)
        int fd = -1;
    };
    std::array<peer_bell, detail::max_members> peer_bells{};
    member::bell_counters rung;
    /// Ring @p target (slot @p t) if it sleeps: its eventfd when a copy can be had, else the futex.
    void ring(detail::member_slot& target, std::uint32_t t);
    std::thread bell_thread;
    std::atomic<bool> bell_stop{false};
    void stop_bell();
    std::vector<std::uint8_t> frame = std::vector<std::uint8_t>(sizeof(detail::fragment_header) + detail::max_fragment + 8);

    /// member::send() (sealed) and member::send_integrity_only().
    result send(const std::string& to, std::span<const std::uint8_t> message, protection how);
    /// Move every complete message on our incoming paths into the inbox.
    void pump();
    /// A completed message from slot @p s may not be delivered: its sender failed, was
    /// partitioned, or is an older incarnation than one already heard from.
    bool from_fenced_sender(std::uint32_t s, const detail::fragment_header& first) const;

    detail::cds& c() const { return sys->_impl->c(); }
    bool mine_active() {
        auto& m = c().members[slot];
        return !left && m.incarnation.load() == incarnation && m.state.load() == detail::u32(member_state::active);
    }
};

}  // namespace zplex::xcf
