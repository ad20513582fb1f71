// SPDX-License-Identifier: Apache-2.0
// Members: IXCJOIN/IXCLEAVE/IXCQUERY, messages over the signalling rings, group exits.
#include "internal.hpp"

#include <openssl/crypto.h>

#include <linux/futex.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ctime>
#include <string>
#include <string_view>

namespace zplex::xcf {

using namespace detail;

namespace {

/// Waiting on a path: yield the CPU a few hundred times (the peer is usually just
/// about to publish), then sleep in short steps.
void backoff(unsigned spins) {
    if (spins < 200) {
        std::this_thread::yield();
    } else {
        std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
}

}  // namespace

member::member() : _impl(std::make_unique<impl>()) {}

result member::join(system& sys, const std::string& group, const std::string& name, std::uint64_t user_state,
                    std::unique_ptr<member>& out) {
    if (!valid_group_name(group) || !valid_member_name(name)) {
        return fail(reason::bad_name);
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
            if (st == member_state::active && sysplex::process_alive(identity(s))) {
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
    auto self = me_now();
    s.pid.store(self.pid);
    s.start_time.store(self.start_time);
    s.user_state.store(user_state);
    s.armed.store(0);
    s.bell_fd.store(0);
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

member::~member() {
    leave();
    _impl->stop_bell();
}

namespace {

long futex(std::atomic<std::uint32_t>& word, int op, std::uint32_t val, const timespec* t = nullptr) {
    static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
    return ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), op, val, t, nullptr, 0);
}

/// A copy of descriptor @p number of process @p who, or -1 (gone, another process by
/// now, no permission, or an old kernel: the caller rings the futex instead).
int copy_fd(const sysplex::process_identity& who, std::int32_t number) {
#if defined(SYS_pidfd_open) && defined(SYS_pidfd_getfd)
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, who.pid, 0));
    if (pidfd < 0) return -1;
    int fd = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, number, 0));
    ::close(pidfd);
    if (fd < 0) return -1;
    // The PID named the member when the copy was taken (it is held by the pidfd until
    // then), and what the slot named is an eventfd: nothing else is ever written to.
    char link[64] = {};
    const auto path = "/proc/self/fd/" + std::to_string(fd);
    const auto n = ::readlink(path.c_str(), link, sizeof link - 1);
    if (!sysplex::process_alive(who) || n <= 0 || std::string_view(link, static_cast<std::size_t>(n)) != "anon_inode:[eventfd]") {
        ::close(fd);
        return -1;
    }
    return fd;
#else
    (void)who;
    (void)number;
    return -1;
#endif
}

}  // namespace

void member::impl::ring(detail::member_slot& m, std::uint32_t t) {
    std::atomic_thread_fence(std::memory_order_seq_cst);  // the tail before the flag (arm() checks in the other order)
    if (m.armed.load() == 0 || m.armed.exchange(0) == 0) return;
    auto& pb = peer_bells[t];
    const auto inc = m.incarnation.load();
    const auto number = m.bell_fd.load();
    if (pb.incarnation != inc || pb.number != number) {
        if (pb.fd >= 0) ::close(pb.fd);
        pb = {inc, number, number > 0 ? copy_fd(identity(m), number) : -1};
    }
    std::uint64_t one = 1;
    if (pb.fd >= 0 && ::write(pb.fd, &one, sizeof one) == static_cast<ssize_t>(sizeof one)) {
        ++rung.eventfd;
        return;
    }
    ++rung.futex;
    m.bell.fetch_add(1);
    futex(m.bell, FUTEX_WAKE, 1);
}

void member::impl::stop_bell() {
    for (auto& pb : peer_bells) {
        if (pb.fd >= 0) ::close(pb.fd);
        pb = {};
    }
    if (bell_thread.joinable()) {
        bell_stop.store(true);
        auto& s = c().members[slot];
        if (mine_active()) s.bell_fd.store(0);
        s.bell.fetch_add(1);
        futex(s.bell, FUTEX_WAKE, 1);
        bell_thread.join();
    }
    if (bell_fd >= 0) {
        ::close(bell_fd);
        bell_fd = -1;
    }
}

int member::wakeup_fd() {
    auto& im = *_impl;
    if (im.bell_fd >= 0 || im.left) {
        return im.bell_fd;
    }
    im.bell_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (im.bell_fd < 0) {
        return -1;
    }
    auto& s = im.c().members[im.slot];
    s.bell_fd.store(im.bell_fd);  // senders in other processes copy it (ring())
    try {
        im.bell_thread = std::thread([&im, &s] {
            while (!im.bell_stop.load()) {
                auto v = s.bell.load();
                // Bounded: a slot taken over by a later incarnation, or a stop, is seen.
                timespec t{0, 100'000'000};
                futex(s.bell, FUTEX_WAIT, v, &t);
                if (s.bell.load() != v && !im.bell_stop.load()) {
                    std::uint64_t one = 1;
                    (void)!::write(im.bell_fd, &one, sizeof one);
                }
            }
        });
    } catch (...) {
        s.bell_fd.store(0);  // the number is no eventfd of ours any more
        ::close(im.bell_fd);
        im.bell_fd = -1;
    }
    return im.bell_fd;
}

bool member::arm() {
    auto& im = *_impl;
    if (im.bell_fd < 0 || !im.mine_active()) {
        return false;
    }
    auto& c = im.c();
    auto& s = c.members[im.slot];
    s.armed.store(1);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    bool waiting = !im.inbox.empty();
    for (std::uint32_t r = 0; r < max_members && !waiting; ++r) {
        auto& ring = c.rings[r][im.slot];
        waiting = ring.tail.load() != ring.head.load();
    }
    if (waiting) {
        s.armed.store(0);
        return false;
    }
    return true;
}

member::bell_counters member::bells() const { return _impl->rung; }

void member::woken() {
    auto& im = *_impl;
    if (im.bell_fd >= 0) {
        std::uint64_t n = 0;
        (void)!::read(im.bell_fd, &n, sizeof n);
        if (im.mine_active()) {
            im.c().members[im.slot].armed.store(0);
        }
    }
}

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
const std::string& member::group() const { return _impl->group; }
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
    return _impl->send(to, message, protection::sealed);
}

result member::send_integrity_only(const std::string& to, std::span<const std::uint8_t> message) {
    return _impl->send(to, message, protection::integrity_only);
}

result member::impl::send(const std::string& to, std::span<const std::uint8_t> message, protection how) {
    auto& im = *this;
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
        ctx.seq = im.next_seq++;  // one counter for both modes: one nonce per message
        ctx.mode = mode_of(how);
        if (!protect(im.sys->_impl->message_key, ctx, message, sealed)) {
            return fail(reason::bad_parameter, rc::environment);
        }
        auto& ring = c.rings[im.slot][t];
        fragment_header base{};
        base.sender = im.slot;
        base.receiver = t;
        base.sender_incarnation = im.incarnation;
        base.receiver_incarnation = ctx.receiver_incarnation;
        base.seq = ctx.seq;
        base.flags = ctx.mode;
        bool fenced = false;
        for_each_fragment(sealed, base, [&](const fragment_header& h, std::span<const std::uint8_t> payload) {
            // Wait for room; give up if the receiver went away or we were fenced.
            unsigned spins = 0;
            while (ring_bytes - (ring.tail.load() - ring.head.load(std::memory_order_acquire)) < h.frame_len) {
                if (target.incarnation.load() != ctx.receiver_incarnation ||
                    target.state.load() != static_cast<std::uint32_t>(member_state::active)) {
                    res = fail(reason::receiver_failed);
                    return false;
                }
                if (im.sys->fenced()) {
                    fenced = true;
                    return false;
                }
                im.pump();
                backoff(spins++);
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
            put(payload.data(), payload.size());
            ring.tail.store(start + h.frame_len, std::memory_order_release);
            return true;
        });
        if (fenced) {
            if (how == protection::sealed) OPENSSL_cleanse(sealed.data(), sealed.size());
            return fail(reason::fenced);
        }
        if (!res) {
            break;
        }
        ring.messages.fetch_add(1, std::memory_order_relaxed);
        im.ring(target, t);
    }
    // An integrity-only message is bytes that were public already (nothing to wipe).
    if (how == protection::sealed) OPENSSL_cleanse(sealed.data(), sealed.size());
    return res;
}

bool member::impl::from_fenced_sender(std::uint32_t s, const fragment_header& first) const {
    const auto& cd = c();
    const auto& sender = cd.members[s];
    if (sender.incarnation.load() != first.sender_incarnation) {
        return true;  // from an earlier member of that slot (or one that never was)
    }
    if (sender.state.load() == u32(member_state::failed)) {
        return true;  // failed or partitioned: what it sent has no effect
    }
    const auto& home = cd.systems[sender.system];
    if (home.state.load() == u32(sys_state::failed)) {
        return true;  // its system is fenced
    }
    return first.sender_incarnation < last_incarnation[s];  // older than one already heard from
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
            if (count_refused(partial[s].add(h, std::span(frame.data(), h.payload_len), s, slot, incarnation), drops)) {
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
            ctx.mode = first.flags;  // the mode the header says; the tag verifies only in the mode it was made in
            if (from_fenced_sender(s, first)) {
                ++drops.stale;
                continue;
            }
            std::vector<std::uint8_t> plain;
            if (count_refused(open_in_order(sys->_impl->message_key, ctx, partial[s].sealed(), last_incarnation[s],
                                            last_seq[s], plain),
                              drops)) {
                continue;
            }
            inbox.push_back({get_field(sender.name), std::move(plain), static_cast<protection>(first.flags)});
        }
    }
    rr = (rr + 1) % max_members;
}

result member::receive(std::vector<std::uint8_t>& message, std::string& from, std::chrono::milliseconds wait) {
    protection how{};
    return receive(message, from, how, wait);
}

result member::receive(std::vector<std::uint8_t>& message, std::string& from, protection& how,
                       std::chrono::milliseconds wait) {
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
            from = std::move(im.inbox.front().from);
            message = std::move(im.inbox.front().bytes);
            how = im.inbox.front().how;
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
