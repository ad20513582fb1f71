// SPDX-License-Identifier: Apache-2.0
// XCF: joins and leaves with group exit events, messages of every size in order,
// security (no key, forged and replayed signals), failure detection and partitioning.
#include "cds.hpp"
#include "codec.hpp"

#include <zplex/xcf/xcf.hpp>

#include "forked_child.hpp"
#include "xcf_support.hpp"

#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <cstring>
#include <numeric>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace zplex::xcf {
namespace {

using test::fake_clock;
using test::join_system;

sysplex_options plex_options(std::chrono::milliseconds interval = std::chrono::milliseconds(300)) {
    return test::plex_options("X", interval);
}

std::unique_ptr<member> join_member(system& s, const std::string& group, const std::string& name) {
    return test::join_member(s, group, name, 0x1234);
}

std::vector<std::uint8_t> bytes(std::size_t n, std::uint8_t seed) {
    std::vector<std::uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i) {
        v[i] = static_cast<std::uint8_t>(seed + i * 7);
    }
    return v;
}

TEST(xcf_key, parse) {
    sysplex_key k;
    EXPECT_TRUE(parse_key(std::string(64, 'a') + "\n", k));
    EXPECT_FALSE(parse_key(std::string(63, 'a'), k));
    EXPECT_FALSE(parse_key(std::string(64, 'g'), k));
}

TEST(xcf_members, join_leave_query_and_group_exit_events) {
    auto o = plex_options();
    auto mvs1 = join_system(o, "MVS1");
    auto mvs2 = join_system(o, "MVS2");
    auto a = join_member(*mvs1, "EZBTCPCS", "MVS1TCPIPA");
    auto b = join_member(*mvs2, "EZBTCPCS", "MVS2TCPIPA");
    auto other = join_member(*mvs2, "OTHERGRP", "X");
    auto ev = a->events();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].what, group_event::kind::joined);
    EXPECT_EQ(ev[0].member, "MVS2TCPIPA");
    EXPECT_EQ(ev[0].system, "MVS2");
    auto q = a->query();
    ASSERT_EQ(q.size(), 2u);
    EXPECT_EQ(q[1].system, "MVS2");
    EXPECT_EQ(q[1].user_state, 0x1234u);
    std::unique_ptr<member> dup;
    EXPECT_EQ(member::join(*mvs1, "EZBTCPCS", "MVS1TCPIPA", 0, dup).why, reason::member_active);
    EXPECT_EQ(member::join(*mvs1, "TOOLONGGROUP", "X", 0, dup).why, reason::bad_name);
    ASSERT_TRUE(b->leave());
    EXPECT_EQ(b->leave().why, reason::not_joined);
    ev = a->events();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].what, group_event::kind::left);
    std::unique_ptr<system> dupsys;
    EXPECT_EQ(system::join(o, "MVS1", dupsys).why, reason::system_active);
    auto d = mvs1->display("D XCF");
    EXPECT_NE(d.find("IXC334I"), std::string::npos);
    EXPECT_NE(d.find("MVS1  MVS2"), std::string::npos) << d;
    EXPECT_NE(mvs1->display("D XCF,GROUP").find("EZBTCPCS(1)"), std::string::npos);
    auto g = mvs1->display("D XCF,GROUP,EZBTCPCS,ALL");
    EXPECT_NE(g.find("IXC333I"), std::string::npos);
    EXPECT_NE(g.find("MVS1TCPIPA"), std::string::npos) << g;
}

TEST(xcf_messages, every_size_up_to_1mib_in_order) {
    auto o = plex_options();
    auto s = join_system(o, "MVS1");
    auto a = join_member(*s, "G", "A");
    auto b = join_member(*s, "G", "B");
    std::thread sender([&] {
        for (std::size_t n : {0ul, 1ul, 64ul, 8191ul, 8192ul, 8193ul, 65536ul, 300000ul, max_message}) {
            ASSERT_TRUE(a->send("B", bytes(n, static_cast<std::uint8_t>(n))));
        }
        for (int i = 0; i < 500; ++i) {
            ASSERT_TRUE(a->send("B", bytes(64, static_cast<std::uint8_t>(i))));
        }
    });
    std::vector<std::uint8_t> got;
    std::string from;
    for (std::size_t n : {0ul, 1ul, 64ul, 8191ul, 8192ul, 8193ul, 65536ul, 300000ul, max_message}) {
        ASSERT_TRUE(b->receive(got, from, std::chrono::seconds(10)));
        EXPECT_EQ(from, "A");
        ASSERT_EQ(got, bytes(n, static_cast<std::uint8_t>(n))) << n;
    }
    for (int i = 0; i < 500; ++i) {
        ASSERT_TRUE(b->receive(got, from, std::chrono::seconds(10)));
        ASSERT_EQ(got, bytes(64, static_cast<std::uint8_t>(i)));
    }
    sender.join();
    EXPECT_EQ(b->receive(got, from).why, reason::no_message);
    EXPECT_EQ(a->send("B", bytes(max_message + 1, 0)).why, reason::message_too_long);
    EXPECT_EQ(a->send("NOBODY", bytes(1, 0)).why, reason::no_such_member);
    EXPECT_NE(s->display("D XCF,PATHOUT").find("IXC356I"), std::string::npos);
    EXPECT_EQ(b->drops().integrity + b->drops().replay + b->drops().malformed, 0u);
}

/// Whether @p fd becomes readable within @p ms.
bool readable_within(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

TEST(xcf_messages, an_armed_member_is_woken_by_a_message_and_a_busy_one_is_not_rung) {
    auto o = plex_options();
    auto s = join_system(o, "MVS1");
    auto a = join_member(*s, "G", "A");
    auto b = join_member(*s, "G", "B");
    int fd = b->wakeup_fd();
    ASSERT_GE(fd, 0);
    EXPECT_EQ(b->wakeup_fd(), fd) << "one descriptor per member";
    std::vector<std::uint8_t> got;
    std::string from;

    // Not armed (busy): a message is not rung, it is found by the next receive.
    ASSERT_TRUE(a->send("B", bytes(10, 1)));
    EXPECT_FALSE(readable_within(fd, 200));
    EXPECT_FALSE(b->arm()) << "a message waits: do not sleep";
    ASSERT_TRUE(b->receive(got, from));

    // Armed with nothing waiting: the next message rings, once.
    ASSERT_TRUE(b->arm());
    EXPECT_FALSE(readable_within(fd, 100));
    ASSERT_TRUE(a->send("B", bytes(10, 2)));
    EXPECT_TRUE(readable_within(fd, 2000));
    b->woken();
    EXPECT_FALSE(readable_within(fd, 100)) << "woken() took the ring";
    ASSERT_TRUE(a->send("B", bytes(10, 3)));
    EXPECT_FALSE(readable_within(fd, 200)) << "disarmed by the first ring";
    ASSERT_TRUE(b->receive(got, from));
    EXPECT_EQ(got, bytes(10, 2));
    ASSERT_TRUE(b->receive(got, from));
    EXPECT_EQ(got, bytes(10, 3));

    // A sleeper in another thread, as the stack's loop sleeps in epoll: woken in time.
    ASSERT_TRUE(b->arm());
    std::thread later([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        ASSERT_TRUE(a->send("B", bytes(5, 4)));
    });
    EXPECT_TRUE(readable_within(fd, 5000));
    later.join();
    b->woken();
    ASSERT_TRUE(b->receive(got, from));
    EXPECT_EQ(got, bytes(5, 4));
}

TEST(xcf_messages, a_sender_in_another_process_rings_the_sleepers_eventfd_itself) {
    auto o = plex_options();
    auto s = join_system(o, "MVS1");
    auto b = join_member(*s, "G", "B");
    int fd = b->wakeup_fd();
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(b->arm());
    pid_t child = ::fork();
    if (child == 0) {
        auto s2 = join_system(o, "MVS2");
        auto a = join_member(*s2, "G", "A");
        bool sent = static_cast<bool>(a->send("B", bytes(8, 7)));
        auto rung = a->bells();
        // 0: rung by the eventfd copy, not the futex (the bell thread's hop saved).
        ::_exit(!sent ? 3 : rung.eventfd == 1 && rung.futex == 0 ? 0 : 4);
    }
    EXPECT_TRUE(readable_within(fd, 5000));
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "3: not sent; 4: rung by the futex";
    b->woken();
    std::vector<std::uint8_t> got;
    std::string from;
    ASSERT_TRUE(b->receive(got, from));
    EXPECT_EQ(from, "A");
    EXPECT_EQ(got, bytes(8, 7));
}

TEST(xcf_messages, broadcast_to_the_group_across_processes) {
    auto o = plex_options();
    auto s = join_system(o, "MVS1");
    auto a = join_member(*s, "G", "A");
    pid_t child = ::fork();
    if (child == 0) {
        auto s2 = join_system(o, "MVS2");
        auto b = join_member(*s2, "G", "B");
        std::vector<std::uint8_t> got;
        std::string from;
        bool ok = b->receive(got, from, std::chrono::seconds(10)) && from == "A" && got == bytes(100, 5);
        ok = ok && b->send("A", bytes(10, 9));
        b.reset();
        s2.reset();
        ::_exit(ok ? 0 : 1);
    }
    for (int i = 0; i < 400 && a->query().size() < 2; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(a->send("", bytes(100, 5)));
    std::vector<std::uint8_t> got;
    std::string from;
    ASSERT_TRUE(a->receive(got, from, std::chrono::seconds(10)));
    EXPECT_EQ(from, "B");
    int st = 0;
    ::waitpid(child, &st, 0);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

TEST(xcf_security, the_couple_dataset_is_the_owners_only) {
    auto o = plex_options();
    auto s = join_system(o, "MVS1");
    struct stat st {};
    ASSERT_EQ(::stat(("/dev/shm/" + dataset_name(o)).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(xcf_security, a_process_without_the_key_cannot_join) {
    auto o = plex_options();
    auto s = join_system(o, "MVS1");
    auto a = join_member(*s, "G", "A");
    auto bad = o;
    bad.key[0] ^= 1;
    // A wrong key names another couple dataset: the intruder is alone in it, warned,
    // and can neither see nor reach the sysplex's members.
    std::unique_ptr<system> intruder;
    auto r = system::join(bad, "EVIL", intruder);
    EXPECT_EQ(r.code, rc::warning);
    EXPECT_EQ(r.why, reason::other_key);
    ASSERT_TRUE(intruder);
    EXPECT_NE(dataset_name(bad), dataset_name(o));
    std::unique_ptr<member> m;
    ASSERT_TRUE(member::join(*intruder, "G", "EVILM", 0, m));
    EXPECT_EQ(m->query().size(), 1u);
    EXPECT_EQ(m->send("A", bytes(4, 0)).why, reason::no_such_member);
    EXPECT_EQ(s->display("D XCF").find("EVIL"), std::string::npos);
    EXPECT_EQ(a->query().size(), 1u);
}

TEST(xcf_security, a_wrong_key_that_joins_first_locks_nobody_out) {
    auto o = plex_options();
    auto bad = o;
    bad.key[5] ^= 0x40;
    auto intruder = join_system(bad, "EVIL");
    // The right key joins after it, two systems of it talk; only the warning remains.
    std::unique_ptr<system> mvs1;
    auto r = system::join(o, "MVS1", mvs1);
    ASSERT_TRUE(r) << to_string(r);
    EXPECT_EQ(r.why, reason::other_key);
    auto mvs2 = join_system(o, "MVS2");
    auto a = join_member(*mvs1, "G", "A");
    auto b = join_member(*mvs2, "G", "B");
    ASSERT_TRUE(a->send("B", bytes(16, 3)));
    std::vector<std::uint8_t> got;
    std::string from;
    ASSERT_TRUE(b->receive(got, from, std::chrono::seconds(5)));
    EXPECT_EQ(got, bytes(16, 3));
    auto msgs = mvs1->take_messages();
    ASSERT_FALSE(msgs.empty());
    EXPECT_EQ(msgs[0].rfind("IXC475W", 0), 0u) << msgs[0];
}

TEST(xcf_security, a_dataset_whose_systems_all_died_is_reformatted_by_a_key_holder) {
    auto o = plex_options();
    std::unique_ptr<system> old_system;  // dies without leaving: its slots stay behind
    std::unique_ptr<member> old_member;
    zplex::test::forked_child child(
        [&] { return system::join(o, "OLD1", old_system) && member::join(*old_system, "G", "OLDM", 0, old_member); },
        zplex::test::forked_child::after::exit);
    ASSERT_TRUE(child.ready());
    auto path = "/dev/shm/" + dataset_name(o);
    ASSERT_TRUE(std::filesystem::exists(path));
    auto s = join_system(o, "MVS1");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->display("D XCF").find("OLD1"), std::string::npos) << s->display("D XCF");
    auto m = join_member(*s, "G", "A");
    EXPECT_EQ(m->query().size(), 1u) << "the dead member is gone with the old format";
    // Another key meanwhile gets a dataset of its own, warned that this one is alive.
    auto rekeyed = o;
    rekeyed.key[31] ^= 1;
    std::unique_ptr<system> s2;
    auto r = system::join(rekeyed, "MVS2", s2);
    EXPECT_EQ(r.code, rc::warning) << "the first key's dataset is alive: " << to_string(r);
    m.reset();
    s.reset();
    EXPECT_FALSE(std::filesystem::exists(path)) << "the last system out removes it";
}

TEST(xcf_security, forged_and_replayed_signals_are_dropped_and_counted) {
    auto o = plex_options();
    auto s = join_system(o, "MVS1");
    auto a = join_member(*s, "G", "A");
    auto b = join_member(*s, "G", "B");
    ASSERT_TRUE(a->send("B", bytes(32, 1)));
    // An intruder with shared-memory access but no key: copies the frame it sees
    // (a replay) and writes one of its own (a forgery).
    namespace bip = boost::interprocess;
    bip::shared_memory_object obj(bip::open_only, dataset_name(o).c_str(), bip::read_write);
    bip::mapped_region region(obj, bip::read_write);
    auto* c = static_cast<detail::cds*>(region.get_address());
    std::uint32_t sa = 0, sb = 1;
    auto& ring = c->rings[sa][sb];
    auto head = ring.head.load();
    auto tail = ring.tail.load();
    std::vector<std::uint8_t> frame(tail - head);
    for (std::size_t i = 0; i < frame.size(); ++i) {
        frame[i] = ring.data[(head + i) % detail::ring_bytes];
    }
    auto append = [&](const std::vector<std::uint8_t>& f) {
        auto t = ring.tail.load();
        for (std::size_t i = 0; i < f.size(); ++i) {
            ring.data[(t + i) % detail::ring_bytes] = f[i];
        }
        ring.tail.store(t + f.size());
    };
    append(frame);  // replay
    auto forged = frame;
    forged[sizeof(detail::fragment_header) + 3] ^= 0xff;  // change the ciphertext
    std::uint64_t seq = 99;
    std::memcpy(forged.data() + offsetof(detail::fragment_header, seq), &seq, 8);
    append(forged);
    std::vector<std::uint8_t> got;
    std::string from;
    ASSERT_TRUE(b->receive(got, from, std::chrono::seconds(2)));
    EXPECT_EQ(got, bytes(32, 1));
    EXPECT_EQ(b->receive(got, from, std::chrono::milliseconds(50)).why, reason::no_message);
    EXPECT_EQ(b->drops().replay, 1u);
    EXPECT_EQ(b->drops().integrity, 1u);
    ASSERT_TRUE(a->send("B", bytes(8, 2)));  // the path still works
    ASSERT_TRUE(b->receive(got, from, std::chrono::seconds(2)));
    EXPECT_EQ(got, bytes(8, 2));
}

// Integrity-only messages (docs/xcf.md, "Message protection"): the bytes travel as they
// are with a tag over them, the header's mode, the addressing and the sequence; a message
// verifies only in the mode it was sent in, so no change of the mode bit gets a sealed
// message taken as integrity-only or the reverse. Both modes share one sequence.
TEST(xcf_security, integrity_only_signals_are_authenticated_in_their_mode_only) {
    auto o = plex_options();
    auto s = join_system(o, "MVS1");
    auto a = join_member(*s, "G", "A");
    auto b = join_member(*s, "G", "B");
    namespace bip = boost::interprocess;
    bip::shared_memory_object obj(bip::open_only, dataset_name(o).c_str(), bip::read_write);
    bip::mapped_region region(obj, bip::read_write);
    auto* c = static_cast<detail::cds*>(region.get_address());
    auto& ring = c->rings[0][1];
    auto take = [&](std::uint64_t from) {
        std::vector<std::uint8_t> f(ring.tail.load() - from);
        for (std::size_t i = 0; i < f.size(); ++i) f[i] = ring.data[(from + i) % detail::ring_bytes];
        return f;
    };
    auto append = [&](const std::vector<std::uint8_t>& f) {
        auto t = ring.tail.load();
        for (std::size_t i = 0; i < f.size(); ++i) ring.data[(t + i) % detail::ring_bytes] = f[i];
        ring.tail.store(t + f.size());
    };
    constexpr std::size_t hs = sizeof(detail::fragment_header);
    auto header = [&](const std::vector<std::uint8_t>& f) {
        detail::fragment_header h;
        std::memcpy(&h, f.data(), hs);
        return h;
    };
    auto put_header = [&](std::vector<std::uint8_t>& f, const detail::fragment_header& h) { std::memcpy(f.data(), &h, hs); };

    auto start = ring.tail.load();
    ASSERT_TRUE(a->send_integrity_only("B", bytes(32, 1)));
    auto clear = take(start);
    start = ring.tail.load();
    ASSERT_TRUE(a->send("B", bytes(32, 1)));
    auto sealed = take(start);
    // On the path: the integrity-only message as it is (and its tag), the sealed one not.
    EXPECT_EQ(header(clear).flags, detail::mode_of(protection::integrity_only));
    EXPECT_EQ(header(sealed).flags, detail::mode_of(protection::sealed));
    EXPECT_EQ(header(clear).ct_len, 32u + 16u);
    EXPECT_EQ(std::vector<std::uint8_t>(clear.begin() + hs, clear.begin() + hs + 32), bytes(32, 1));
    EXPECT_NE(std::vector<std::uint8_t>(sealed.begin() + hs, sealed.begin() + hs + 32), bytes(32, 1));
    EXPECT_EQ(header(sealed).seq, header(clear).seq + 1) << "one sequence for both modes";

    std::vector<std::uint8_t> got;
    std::string from;
    protection how = protection::sealed;
    ASSERT_TRUE(b->receive(got, from, how, std::chrono::seconds(2)));
    EXPECT_EQ(got, bytes(32, 1));
    EXPECT_EQ(how, protection::integrity_only);
    ASSERT_TRUE(b->receive(got, from, how, std::chrono::seconds(2)));
    EXPECT_EQ(got, bytes(32, 1));
    EXPECT_EQ(how, protection::sealed);

    // Forgeries, each with a sequence not yet delivered (so only the tag can refuse it).
    std::uint64_t seq = 100;
    auto forged = [&](std::vector<std::uint8_t> f, auto change) {
        auto h = header(f);
        h.seq = seq++;
        put_header(f, h);
        change(f);
        append(f);
    };
    forged(clear, [&](auto& f) { f[hs + 5] ^= 0x01; });  // one bit of the message
    forged(clear, [&](auto& f) { f[hs + 32 + 3] ^= 0x80; });  // one bit of the tag
    forged(clear, [&](auto& f) {  // the mode bit: integrity-only taken as sealed
        auto h = header(f);
        h.flags = detail::mode_of(protection::sealed);
        put_header(f, h);
    });
    forged(sealed, [&](auto& f) {  // the mode bit: sealed taken as integrity-only
        auto h = header(f);
        h.flags = detail::mode_of(protection::integrity_only);
        put_header(f, h);
    });
    // A recorded integrity-only message again: its tag verifies, its sequence is old.
    append(clear);
    EXPECT_EQ(b->receive(got, from, how, std::chrono::milliseconds(50)).why, reason::no_message);
    EXPECT_EQ(b->drops().integrity, 4u);
    EXPECT_EQ(b->drops().replay, 1u);
    EXPECT_EQ(b->drops().malformed, 0u);

    // A message of several fragments whose mode changes between them is malformed.
    std::vector<std::uint8_t> big(3 * detail::max_fragment, 7);
    start = ring.tail.load();
    ASSERT_TRUE(a->send_integrity_only("B", big));
    auto frames = take(start);
    ring.head.store(ring.tail.load());  // taken off the path: replaced by the changed copy
    auto second = header(frames).frame_len;
    auto h2 = header(std::vector<std::uint8_t>(frames.begin() + second, frames.end()));
    h2.flags = detail::mode_of(protection::sealed);
    std::memcpy(frames.data() + second, &h2, hs);
    append(frames);
    EXPECT_EQ(b->receive(got, from, std::chrono::milliseconds(50)).why, reason::no_message);
    EXPECT_GE(b->drops().malformed, 1u);

    // The path goes on in both modes.
    ASSERT_TRUE(a->send_integrity_only("B", big));
    ASSERT_TRUE(a->send("B", bytes(8, 2)));
    ASSERT_TRUE(b->receive(got, from, how, std::chrono::seconds(2)));
    EXPECT_EQ(got, big);
    EXPECT_EQ(how, protection::integrity_only);
    ASSERT_TRUE(b->receive(got, from, how, std::chrono::seconds(2)));
    EXPECT_EQ(got, bytes(8, 2));
    EXPECT_EQ(how, protection::sealed);
}

TEST(xcf_failure, a_silent_system_is_partitioned_and_fenced) {
    fake_clock clk;
    auto o = plex_options(std::chrono::milliseconds(200));
    o.clock = clk.fn();
    auto mvs1 = join_system(o, "MVS1");
    auto mvs2 = join_system(o, "MVS2");
    auto a = join_member(*mvs1, "EZBTCPCS", "A");
    auto b = join_member(*mvs2, "EZBTCPCS", "B");
    a->events();
    // Both update their status every 50 ms for a second: nobody is partitioned.
    for (int i = 0; i < 20; ++i) {
        clk.advance(std::chrono::milliseconds(50));
        mvs1->tick();
        mvs2->tick();
    }
    EXPECT_TRUE(a->events().empty());
    // MVS2 stops updating its status (like an image whose CPU is stopped): exactly
    // the interval is not yet missing, one step more is.
    clk.advance(std::chrono::milliseconds(100));
    mvs1->tick();
    clk.advance(std::chrono::milliseconds(100));
    mvs1->tick();
    EXPECT_TRUE(a->events().empty()) << "200 ms silent: not yet";
    EXPECT_FALSE(mvs2->fenced());
    clk.advance(std::chrono::milliseconds(50));
    mvs1->tick();
    auto ev = a->events();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].what, group_event::kind::failed);
    EXPECT_EQ(ev[0].member, "B");
    auto msgs = mvs1->take_messages();
    ASSERT_GE(msgs.size(), 2u);
    EXPECT_EQ(msgs[0].rfind("IXC101I SYSPLEX PARTITIONING IN PROGRESS FOR MVS2", 0), 0u) << msgs[0];
    EXPECT_EQ(msgs[1].rfind("IXC105I", 0), 0u);
    EXPECT_TRUE(mvs2->fenced());
    EXPECT_EQ(b->send("A", bytes(4, 0)).why, reason::not_joined);
    std::unique_ptr<member> again;
    EXPECT_EQ(member::join(*mvs2, "EZBTCPCS", "B2", 0, again).why, reason::fenced);
}

TEST(xcf_failure, a_system_is_judged_by_its_own_interval) {
    fake_clock clk;
    auto o = plex_options(std::chrono::milliseconds(200));
    o.clock = clk.fn();
    auto slow = o;
    slow.interval = std::chrono::milliseconds(3000);
    auto mvs1 = join_system(o, "MVS1");
    auto mvs2 = join_system(slow, "MVS2");  // INTERVAL 3 s: MVS1's 200 ms does not apply to it
    for (int i = 0; i < 60; ++i) {           // 3000 ms silent: not yet
        clk.advance(std::chrono::milliseconds(50));
        mvs1->tick();
    }
    EXPECT_FALSE(mvs2->fenced());
    clk.advance(std::chrono::milliseconds(50));
    mvs1->tick();
    EXPECT_TRUE(mvs2->fenced());
}

TEST(xcf_failure, a_stalled_pass_partitions_nobody) {
    fake_clock clk;
    auto o = plex_options(std::chrono::milliseconds(200));
    o.clock = clk.fn();
    auto mvs1 = join_system(o, "MVS1");
    auto mvs2 = join_system(o, "MVS2");
    // MVS1 does not run for a second (stopped); MVS2 neither, as seen from MVS1.
    clk.advance(std::chrono::milliseconds(1000));
    mvs1->tick();
    EXPECT_FALSE(mvs2->fenced()) << "MVS1 was stalled itself: it judges nobody on this pass";
    auto msgs = mvs1->take_messages();
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].rfind("IXC470I MVS1 WAS STALLED", 0), 0u) << msgs[0];
    mvs2->tick();  // MVS2 resumes as well: stalled, nobody partitioned
    clk.advance(std::chrono::milliseconds(50));
    mvs1->tick();
    mvs2->tick();
    EXPECT_FALSE(mvs1->fenced());
    EXPECT_FALSE(mvs2->fenced());
    // The next silence is judged normally.
    clk.advance(std::chrono::milliseconds(150));
    mvs1->tick();
    clk.advance(std::chrono::milliseconds(100));
    mvs1->tick();
    EXPECT_TRUE(mvs2->fenced());
}

// After its stall, a system gives the others one whole interval to update their status:
// a host-wide stall resumes its systems one after another, never all at once.
TEST(xcf_failure, after_a_stall_nobody_is_judged_for_one_interval) {
    fake_clock clk;
    auto o = plex_options(std::chrono::milliseconds(200));
    o.clock = clk.fn();
    auto mvs1 = join_system(o, "MVS1");
    auto mvs2 = join_system(o, "MVS2");
    clk.advance(std::chrono::milliseconds(1000));
    mvs1->tick();  // stalled: IXC470I
    clk.advance(std::chrono::milliseconds(150));
    mvs1->tick();  // MVS2 has been silent 1150 ms, but this is within the grace interval
    EXPECT_FALSE(mvs2->fenced());
    clk.advance(std::chrono::milliseconds(60));
    mvs1->tick();  // the grace interval is over and MVS2 is still silent
    EXPECT_TRUE(mvs2->fenced());
}

TEST(xcf_failure, a_member_process_that_dies_fails_at_the_next_status_pass) {
    auto o = plex_options(std::chrono::milliseconds(60'000));
    auto s = join_system(o, "MVS1");
    auto a = join_member(*s, "G", "A");
    std::unique_ptr<system> s2;
    std::unique_ptr<member> b;
    zplex::test::forked_child child([&] { return system::join(o, "MVS2", s2) && member::join(*s2, "G", "B", 0, b); });
    ASSERT_TRUE(child.ready());
    a->events();
    s->tick();
    EXPECT_TRUE(a->events().empty());
    child.kill();
    s->tick();  // liveness is by process, not by time: the first pass after the kill
    auto ev = a->events();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].what, group_event::kind::failed);
    EXPECT_EQ(ev[0].member, "B");
}

TEST(xcf_codec, reassembler_refuses_inconsistent_fragments) {
    detail::reassembler r;
    detail::fragment_header h{};
    h.magic = detail::fragment_magic;
    h.sender = 1;
    h.receiver = 2;
    h.frag_count = 1;
    h.ct_len = 20;
    h.payload_len = 20;
    h.frame_len = 80;  // 56-byte header, 20 bytes, padded to 8
    h.seq = 1;
    std::vector<std::uint8_t> p(20);
    EXPECT_TRUE(detail::header_valid(h, 80));
    EXPECT_FALSE(detail::header_valid(h, 79));
    h.flags = 2;  // no such mode
    EXPECT_FALSE(detail::header_valid(h, 80));
    h.flags = 1;
    EXPECT_TRUE(detail::header_valid(h, 80));
    h.reserved = 1;
    EXPECT_FALSE(detail::header_valid(h, 80));
    h.reserved = 0;
    h.flags = 0;
    EXPECT_EQ(r.add(h, p, 1, 2, 0), detail::reassembler::status::complete);
    EXPECT_EQ(r.add(h, p, 3, 2, 0), detail::reassembler::status::malformed);  // wrong ring
    EXPECT_EQ(r.add(h, p, 1, 2, 7), detail::reassembler::status::stale);      // old receiver
    h.frag_index = 1;
    EXPECT_FALSE(detail::header_valid(h, 72));
}

// A key keeps its cipher contexts from message to message (docs/xcf.md, "Stress and
// figures"): each message still has its own nonce and tag, a forged one opens nothing and
// leaves the context good for the next, another key opens nothing, and a moved-from or
// default key (no kept contexts) seals and opens as before.
TEST(xcf_codec, a_keys_kept_contexts_seal_and_open_message_after_message) {
    std::vector<std::uint8_t> k1(32), k2(32, 0x5a);
    std::iota(k1.begin(), k1.end(), std::uint8_t{1});
    detail::secret a(k1), b(k2);
    detail::message_context c{};
    std::memcpy(c.group, "EZBTCPCS", 8);
    c.sender = 1;
    c.receiver = 2;
    c.sender_incarnation = 7;
    std::vector<std::uint8_t> sealed, opened, first;
    for (std::uint64_t seq = 1; seq <= 50; ++seq) {
        c.seq = seq;
        std::vector<std::uint8_t> plain(static_cast<std::size_t>(seq * 37 % 1500), static_cast<std::uint8_t>(seq));
        ASSERT_TRUE(detail::seal(a, c, plain, sealed)) << seq;
        if (seq == 1) first = sealed;
        if (seq == 2) {
            EXPECT_NE(std::vector<std::uint8_t>(sealed.end() - 16, sealed.end()),
                      std::vector<std::uint8_t>(first.end() - 16, first.end()));
        }
        if (seq % 7 == 0) {  // forged: one bit of the ciphertext or the tag
            auto bad = sealed;
            bad[bad.size() / 2] ^= 1;
            EXPECT_FALSE(detail::open(a, c, bad, opened)) << seq;
            EXPECT_FALSE(detail::open(b, c, sealed, opened)) << seq << ": another key";
        }
        ASSERT_TRUE(detail::open(a, c, sealed, opened)) << seq;
        EXPECT_EQ(opened, plain) << seq;
    }
    // The first message again, sealed by the contexts that have done fifty since (moved
    // with the key): the same bytes.
    detail::secret moved(std::move(a)), plain_key;
    plain_key = detail::secret(k1);  // keyed contexts again
    detail::secret none;             // no contexts: a context each time
    c.seq = 1;
    std::vector<std::uint8_t> again, with_none;
    std::vector<std::uint8_t> one(static_cast<std::size_t>(37), std::uint8_t{1});
    ASSERT_TRUE(detail::seal(moved, c, one, again));
    EXPECT_EQ(again, first);
    ASSERT_TRUE(detail::seal(a, c, one, with_none));  // moved-from: zero key, no contexts
    EXPECT_FALSE(detail::open(plain_key, c, with_none, opened));
    ASSERT_TRUE(detail::seal(none, c, one, opened));
    EXPECT_EQ(opened, with_none) << "a moved-from key is the zero key, as a default one";
    ASSERT_TRUE(detail::open(plain_key, c, first, opened));
    EXPECT_EQ(opened, one);
}

// The codec's two modes under one key: authenticate() leaves the message as it is and
// tags it (GMAC over the context and the message), open() verifies it only in the mode the
// context names, and neither call protects in the other's mode.
TEST(xcf_codec, integrity_only_messages_verify_only_in_their_own_mode) {
    std::vector<std::uint8_t> k1(32), k2(32, 0x5a);
    std::iota(k1.begin(), k1.end(), std::uint8_t{1});
    detail::secret a(k1), b(k2), none;
    detail::message_context c{};
    std::memcpy(c.group, "EZBTCPCS", 8);
    c.sender = 1;
    c.receiver = 2;
    c.sender_incarnation = 7;
    c.receiver_incarnation = 9;
    c.seq = 1;
    auto integrity = c;
    integrity.mode = detail::mode_of(protection::integrity_only);
    std::vector<std::uint8_t> out, opened;
    for (std::size_t n : {0ul, 1ul, 15ul, 16ul, 1500ul, 65536ul}) {
        std::vector<std::uint8_t> m(n);
        std::iota(m.begin(), m.end(), static_cast<std::uint8_t>(n));
        ASSERT_TRUE(detail::authenticate(a, integrity, m, out)) << n;
        ASSERT_EQ(out.size(), n + 16) << n;
        EXPECT_TRUE(std::equal(m.begin(), m.end(), out.begin())) << n << ": not encrypted";
        ASSERT_TRUE(detail::open(a, integrity, out, opened)) << n;
        EXPECT_EQ(opened, m) << n;
        EXPECT_FALSE(detail::open(a, c, out, opened)) << n << ": opened as sealed";
        EXPECT_FALSE(detail::open(b, integrity, out, opened)) << n << ": another key";
        for (std::size_t at : {std::size_t{0}, n / 2, n + 15}) {
            if (at >= out.size()) continue;
            auto bad = out;
            bad[at] ^= 0x04;
            EXPECT_FALSE(detail::open(a, integrity, bad, opened)) << n << " " << at;
        }
        auto other = integrity;
        other.seq = 2;
        EXPECT_FALSE(detail::open(a, other, out, opened)) << n << ": another sequence";
        other = integrity;
        other.receiver = 3;
        EXPECT_FALSE(detail::open(a, other, out, opened)) << n << ": another receiver";
        std::vector<std::uint8_t> sealed;
        ASSERT_TRUE(detail::seal(a, c, m, sealed)) << n;
        EXPECT_FALSE(detail::open(a, integrity, sealed, opened)) << n << ": sealed opened as integrity-only";
        // protect() follows the context's mode.
        std::vector<std::uint8_t> p;
        ASSERT_TRUE(detail::protect(a, integrity, m, p));
        EXPECT_EQ(p, out);
        ASSERT_TRUE(detail::protect(a, c, m, p));
        EXPECT_EQ(p, sealed);
    }
    // No protecting in the other's mode, no mode beyond the two, a key without kept contexts too.
    EXPECT_FALSE(detail::seal(a, integrity, std::vector<std::uint8_t>(4), out));
    EXPECT_FALSE(detail::authenticate(a, c, std::vector<std::uint8_t>(4), out));
    auto odd = c;
    odd.mode = 2;
    EXPECT_FALSE(detail::protect(a, odd, std::vector<std::uint8_t>(4), out));
    ASSERT_TRUE(detail::authenticate(none, integrity, std::vector<std::uint8_t>(4, 3), out));
    EXPECT_FALSE(detail::open(none, odd, out, opened));
    odd = integrity;
    odd.reserved = 1;
    EXPECT_FALSE(detail::open(none, odd, out, opened));
    ASSERT_TRUE(detail::open(none, integrity, out, opened));
    EXPECT_EQ(opened, std::vector<std::uint8_t>(4, 3));
}

// The fuzzer's seeds (tests/fuzz/xcf/corpus) are valid messages of each mode under its key,
// so the fuzzer starts on the paths that deliver.
TEST(xcf_codec, the_fuzzers_seeds_are_one_valid_message_of_each_mode) {
    const std::string dir = std::string(ZPLEX_SOURCE_DIR) + "/tests/fuzz/xcf/corpus/";
    const detail::secret key(std::vector<std::uint8_t>(32, 0x5a));
    for (auto [file, mode] : {std::pair{"one_fragment", protection::sealed},
                              std::pair{"one_fragment_integrity_only", protection::integrity_only}}) {
        std::ifstream in(dir + file, std::ios::binary);
        std::vector<std::uint8_t> f((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        ASSERT_GE(f.size(), sizeof(detail::fragment_header)) << file;
        detail::fragment_header h;
        std::memcpy(&h, f.data(), sizeof h);
        ASSERT_TRUE(detail::header_valid(h, f.size())) << file;
        EXPECT_EQ(h.flags, detail::mode_of(mode)) << file;
        detail::reassembler r;
        ASSERT_EQ(r.add(h, std::span(f.data() + sizeof h, h.payload_len), h.sender, h.receiver, h.receiver_incarnation),
                  detail::reassembler::status::complete)
            << file;
        detail::message_context c{};
        c.sender = h.sender;
        c.receiver = h.receiver;
        c.sender_incarnation = h.sender_incarnation;
        c.receiver_incarnation = h.receiver_incarnation;
        c.seq = h.seq;
        c.mode = h.flags;
        std::vector<std::uint8_t> plain;
        EXPECT_TRUE(detail::open(key, c, r.sealed(), plain)) << file;
        EXPECT_EQ(plain.size(), 20u) << file;
    }
}

}  // namespace
}  // namespace zplex::xcf
