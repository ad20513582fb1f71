// SPDX-License-Identifier: Apache-2.0
// What a receiver refuses: signals of a failed or partitioned sender and of an older
// incarnation of a sender. A system stopped (SIGSTOP) and resumed partitions nobody.
// Names are checked, a dataset that cannot be opened is an error, not a crash; the
// sweep removes what dead runs left.
#include "cds.hpp"

#include <zplex/xcf/xcf.hpp>

#include "forked_child.hpp"
#include "xcf_support.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <sstream>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace zplex::xcf {
namespace {

using test::fake_clock;
using test::join_member;
using test::join_system;

sysplex_options plex_options(std::chrono::milliseconds interval = std::chrono::milliseconds(200)) {
    return test::plex_options("F", interval, "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100");
}

std::vector<std::uint8_t> bytes(std::size_t n, std::uint8_t seed) {
    std::vector<std::uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i) {
        v[i] = static_cast<std::uint8_t>(seed + i * 5);
    }
    return v;
}

/// The couple dataset mapped as another process of the owner would see it.
struct raw_dataset {
    detail::cds* c = nullptr;
    explicit raw_dataset(const sysplex_options& o) {
        int fd = ::open(("/dev/shm/" + dataset_name(o)).c_str(), O_RDWR);
        EXPECT_GE(fd, 0);
        void* p = ::mmap(nullptr, sizeof(detail::cds), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        ::close(fd);
        c = p == MAP_FAILED ? nullptr : static_cast<detail::cds*>(p);
    }
    ~raw_dataset() {
        if (c) {
            ::munmap(c, sizeof(detail::cds));
        }
    }
    /// The bytes on ring sender -> receiver not yet consumed.
    std::vector<std::uint8_t> pending(std::uint32_t s, std::uint32_t r) {
        auto& ring = c->rings[s][r];
        std::vector<std::uint8_t> v(ring.tail.load() - ring.head.load());
        for (std::size_t i = 0; i < v.size(); ++i) {
            v[i] = ring.data[(ring.head.load() + i) % detail::ring_bytes];
        }
        return v;
    }
    void append(std::uint32_t s, std::uint32_t r, const std::vector<std::uint8_t>& f) {
        auto& ring = c->rings[s][r];
        auto t = ring.tail.load();
        for (std::size_t i = 0; i < f.size(); ++i) {
            ring.data[(t + i) % detail::ring_bytes] = f[i];
        }
        ring.tail.store(t + f.size());
    }
};

TEST(xcf_fencing, a_partitioned_senders_signals_have_no_effect) {
    fake_clock clk;
    auto o = plex_options();
    o.clock = clk.fn();
    auto mvs1 = join_system(o, "MVS1");
    auto mvs2 = join_system(o, "MVS2");
    auto a = join_member(*mvs1, "G", "A");
    auto b = join_member(*mvs2, "G", "B");
    // B sends while still a member; before A reads it, MVS2 is partitioned.
    ASSERT_TRUE(b->send("A", bytes(40, 1)));
    clk.advance(std::chrono::milliseconds(150));
    mvs1->tick();
    clk.advance(std::chrono::milliseconds(150));
    mvs1->tick();
    ASSERT_TRUE(mvs2->fenced());
    std::vector<std::uint8_t> got;
    std::string from;
    EXPECT_EQ(a->receive(got, from, std::chrono::milliseconds(0)).why, reason::no_message);
    EXPECT_EQ(a->drops().stale, 1u);
    EXPECT_EQ(a->drops().integrity, 0u);
}

TEST(xcf_fencing, a_failed_members_signals_have_no_effect) {
    auto o = plex_options(std::chrono::milliseconds(60'000));
    auto s = join_system(o, "MVS1");
    auto a = join_member(*s, "G", "A");
    std::unique_ptr<system> s2;
    std::unique_ptr<member> b;
    zplex::test::forked_child child(
        [&] { return system::join(o, "MVS2", s2) && member::join(*s2, "G", "B", 0, b) && b->send("A", bytes(8, 9)); });
    ASSERT_TRUE(child.ready());
    child.kill();
    s->tick();  // B's process is gone: B fails
    std::vector<std::uint8_t> got;
    std::string from;
    EXPECT_EQ(a->receive(got, from, std::chrono::milliseconds(0)).why, reason::no_message);
    EXPECT_EQ(a->drops().stale, 1u);
}

TEST(xcf_fencing, an_older_incarnations_signal_is_stale_and_moves_nothing_back) {
    auto o = plex_options(std::chrono::milliseconds(60'000));
    auto s = join_system(o, "MVS1");
    auto b = join_member(*s, "G", "B");
    raw_dataset raw(o);
    ASSERT_NE(raw.c, nullptr);
    // A, first incarnation: one signal to B, copied off the ring by an observer.
    auto a1 = join_member(*s, "G", "A");
    const std::uint32_t sa = 1, sb = 0;
    ASSERT_TRUE(a1->send("B", bytes(24, 1)));
    auto old_frame = raw.pending(sa, sb);
    ASSERT_FALSE(old_frame.empty());
    std::vector<std::uint8_t> got;
    std::string from;
    ASSERT_TRUE(b->receive(got, from, std::chrono::seconds(2)));
    ASSERT_TRUE(a1->leave());
    // A again, a new incarnation in the same slot: B hears it, then A leaves normally.
    auto a2 = join_member(*s, "G", "A");
    ASSERT_TRUE(a2->send("B", bytes(24, 2)));
    ASSERT_TRUE(b->receive(got, from, std::chrono::seconds(2)));
    EXPECT_EQ(got, bytes(24, 2));
    ASSERT_TRUE(a2->leave());
    // The first incarnation's signal, put back on the path, is not delivered...
    raw.append(sa, sb, old_frame);
    EXPECT_EQ(b->receive(got, from, std::chrono::milliseconds(0)).why, reason::no_message);
    EXPECT_EQ(b->drops().stale, 1u);
    // ... and a third incarnation's signals still are (the state did not move back).
    auto a3 = join_member(*s, "G", "A");
    ASSERT_TRUE(a3->send("B", bytes(24, 3)));
    ASSERT_TRUE(b->receive(got, from, std::chrono::seconds(2)));
    EXPECT_EQ(got, bytes(24, 3));
    EXPECT_EQ(b->drops().integrity + b->drops().replay, 0u);
}

// MVS2 (a real process, its own status thread) is stopped with SIGSTOP. MVS1, in this
// process, does not update its status while MVS2 is stopped either (the whole host
// stalled), then resumes once MVS2 has. Resumed, MVS2 finds MVS1's status three
// intervals old; but its own previous update is as old: it must partition nobody, and
// judge nobody for one interval, the time MVS1 gets to show it is alive.
TEST(xcf_failure, a_system_stopped_with_sigstop_partitions_nobody_when_it_resumes) {
    constexpr auto interval = std::chrono::milliseconds(1000);
    auto o = plex_options(interval);
    auto mvs1 = join_system(o, "MVS1");
    std::unique_ptr<system> s2;
    zplex::test::forked_child child([&] {
        bool ok = static_cast<bool>(system::join(o, "MVS2", s2));
        if (ok) {
            s2->start();
        }
        return ok;
    });
    ASSERT_TRUE(child.ready());
    raw_dataset raw(o);
    ASSERT_NE(raw.c, nullptr);
    std::uint32_t slot2 = detail::max_systems;
    for (std::uint32_t i = 0; i < detail::max_systems; ++i) {
        if (std::string(raw.c->systems[i].name, strnlen(raw.c->systems[i].name, 8)) == "MVS2") {
            slot2 = i;
        }
    }
    ASSERT_LT(slot2, detail::max_systems);
    auto& status2 = raw.c->systems[slot2].status_ns;
    auto wait_for_status_update = [&] {
        auto before = status2.load();
        for (int i = 0; i < 20'000 && status2.load() == before; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return status2.load() != before;
    };
    mvs1->tick();
    ASSERT_TRUE(wait_for_status_update());
    mvs1->tick();

    ::kill(child.pid(), SIGSTOP);
    std::this_thread::sleep_for(3 * interval);  // how long the stall lasts, not a bound on anything
    ::kill(child.pid(), SIGCONT);
    ASSERT_TRUE(wait_for_status_update()) << "MVS2 did not resume";
    // MVS2 has made its first pass after the stall. MVS1 goes on updating its status;
    // MVS2 makes several more passes meanwhile.
    for (int pass = 0; pass < 3; ++pass) {
        auto before = status2.load();
        for (int i = 0; i < 10'000 && status2.load() == before; ++i) {
            mvs1->tick();
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }
    EXPECT_FALSE(mvs1->fenced()) << "the stalled MVS2 partitioned the healthy MVS1";
    EXPECT_EQ(raw.c->systems[slot2].state.load(), static_cast<std::uint32_t>(detail::sys_state::active));
}

TEST(xcf_names, bad_names_are_refused_not_crashed_on) {
    auto o = plex_options();
    std::unique_ptr<system> s;
    for (const char* bad : {"a/b", "", "..", "ABCDEFGHIJKLMNOPQ", "A B", "A\\nB"}) {
        auto b = o;
        b.sysplex = bad;
        EXPECT_EQ(system::join(b, "MVS1", s).why, reason::bad_name) << bad;
        EXPECT_FALSE(s);
    }
    EXPECT_EQ(system::join(o, "TOOLONGNM", s).why, reason::bad_name);
    EXPECT_EQ(system::join(o, "MV/1", s).why, reason::bad_name);
    auto good = join_system(o, "MVS1");
    std::unique_ptr<member> m;
    EXPECT_EQ(member::join(*good, "G/1", "A", 0, m).why, reason::bad_name);
    EXPECT_EQ(member::join(*good, "G", std::string(17, 'A'), 0, m).why, reason::bad_name);
    EXPECT_EQ(member::join(*good, "G", "", 0, m).why, reason::bad_name);
}

TEST(xcf_names, a_dataset_that_cannot_be_opened_is_an_environment_error) {
    auto o = plex_options();
    auto path = "/dev/shm/" + dataset_name(o);
    // Someone planted a symlink at the dataset's name: never followed.
    auto target = "/tmp/zplex-xcf-target-" + std::to_string(::getpid());
    ASSERT_EQ(::symlink(target.c_str(), path.c_str()), 0);
    std::unique_ptr<system> s;
    auto r = system::join(o, "MVS1", s);
    EXPECT_EQ(r.code, rc::environment);
    EXPECT_EQ(r.why, reason::no_dataset);
    EXPECT_FALSE(s);
    EXPECT_FALSE(std::filesystem::exists(target));
    ::unlink(path.c_str());
    // A file of another owner at the name: left alone.
    int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::fchown(fd, 65534, 65534), 0);
    ::close(fd);
    r = system::join(o, "MVS1", s);
    EXPECT_EQ(r.why, reason::no_dataset);
    EXPECT_EQ(std::filesystem::file_size(path), 0u);
    ::unlink(path.c_str());
}

TEST(xcf_sweep, leftovers_of_dead_runs_are_removed_live_ones_kept) {
    auto live = plex_options();
    auto dead = plex_options();
    auto s = join_system(live, "MVS1");
    std::unique_ptr<system> s2;  // dies without leaving: nothing left the sysplex
    zplex::test::forked_child child([&] { return static_cast<bool>(system::join(dead, "MVS1", s2)); },
                             zplex::test::forked_child::after::exit);
    ASSERT_TRUE(child.ready());
    auto dead_path = "/dev/shm/" + dataset_name(dead);
    auto live_path = "/dev/shm/" + dataset_name(live);
    ASSERT_TRUE(std::filesystem::exists(dead_path));
    // An unfinished format of a dead process.
    auto unfinished = dead_path + ".new.999999999.00000000";
    { int fd = ::open(unfinished.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600); ASSERT_GE(fd, 0); ::close(fd); }
    std::ostringstream log;
    sweep_report r;
    EXPECT_EQ(sweep_datasets(log, r), 0) << log.str();
    EXPECT_FALSE(std::filesystem::exists(dead_path)) << log.str();
    EXPECT_FALSE(std::filesystem::exists(unfinished)) << log.str();
    EXPECT_TRUE(std::filesystem::exists(live_path)) << log.str();
    EXPECT_GE(r.removed, 2u);
    EXPECT_GE(r.in_use, 1u);
    EXPECT_NE(log.str().find("IXC471I COUPLE DATASET " + dataset_name(dead)), std::string::npos) << log.str();
    // The live sysplex goes on.
    auto m = join_member(*s, "G", "A");
    EXPECT_EQ(m->query().size(), 1u);
}

}  // namespace
}  // namespace zplex::xcf
