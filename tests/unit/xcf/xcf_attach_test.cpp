// SPDX-License-Identifier: Apache-2.0
// A member in another process on a system it does not own (system::attach): the stack
// of an image whose system the image's Hercules process owns. It fails with that
// system, learns it is fenced, never keeps a dead system alive, and fails itself when
// its own process dies.
#include <zplex/xcf/xcf.hpp>

#include "forked_child.hpp"
#include "xcf_support.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <memory>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace zplex::xcf {
namespace {

using test::fake_clock;
using test::join_member;
using test::join_system;

sysplex_options plex_options(std::chrono::milliseconds interval = std::chrono::milliseconds(200)) {
    return test::plex_options("A", interval);
}

bool has(const std::vector<group_event>& v, group_event::kind k, const std::string& member, const std::string& sys) {
    for (const auto& e : v) {
        if (e.what == k && e.member == member && e.system == sys) {
            return true;
        }
    }
    return false;
}

bool said(const std::vector<std::string>& v, const std::string& prefix) {
    for (const auto& m : v) {
        if (m.rfind(prefix, 0) == 0) {
            return true;
        }
    }
    return false;
}

member_state state_of(member& m, const std::string& name) {
    for (const auto& i : m.query()) {
        if (i.name == name) {
            return i.state;
        }
    }
    return member_state::unused;
}

TEST(xcf_attach, a_member_joins_on_a_system_another_owns_and_signals) {
    auto o = plex_options();
    auto mvs1 = join_system(o, "MVS1");
    auto mvs2 = join_system(o, "MVS2");
    std::unique_ptr<system> att;
    ASSERT_TRUE(system::attach(o, "MVS1", att));
    EXPECT_TRUE(att->attached());
    EXPECT_FALSE(mvs1->attached());
    auto peer = join_member(*mvs2, "EZBTCPCS", "MVS2TCPIPA");
    auto tcp1 = join_member(*att, "EZBTCPCS", "MVS1TCPIPA");
    EXPECT_TRUE(has(peer->events(), group_event::kind::joined, "MVS1TCPIPA", "MVS1"));
    for (const auto& i : peer->query()) {
        if (i.name == "MVS1TCPIPA") {
            EXPECT_EQ(i.system, "MVS1");  // IXCQUERY: a member of the image's system
        }
    }
    std::vector<std::uint8_t> msg{1, 2, 3}, got;
    std::string from;
    ASSERT_TRUE(tcp1->send("MVS2TCPIPA", msg));
    ASSERT_TRUE(peer->receive(got, from, std::chrono::milliseconds(1000)));
    EXPECT_EQ(from, "MVS1TCPIPA");
    EXPECT_EQ(got, msg);
    ASSERT_TRUE(peer->send("MVS1TCPIPA", msg));
    ASSERT_TRUE(tcp1->receive(got, from, std::chrono::milliseconds(1000)));
    EXPECT_EQ(from, "MVS2TCPIPA");
    // The system stays one: nobody else may join as MVS1.
    std::unique_ptr<system> again;
    EXPECT_EQ(system::join(o, "MVS1", again).why, reason::system_active);
    EXPECT_NE(mvs1->display("D XCF").find("MVS1"), std::string::npos);
}

TEST(xcf_attach, nothing_to_attach_to_is_refused_and_creates_nothing) {
    auto o = plex_options();
    std::unique_ptr<system> att;
    auto r = system::attach(o, "MVS1", att);  // no couple dataset at all
    EXPECT_EQ(r.code, rc::error);
    EXPECT_EQ(r.why, reason::no_such_system);
    EXPECT_EQ(to_string(r), "RC=08 RSN=080D");
    EXPECT_FALSE(std::filesystem::exists("/dev/shm/" + dataset_name(o)));
    auto mvs2 = join_system(o, "MVS2");
    EXPECT_EQ(system::attach(o, "MVS1", att).why, reason::no_such_system);  // another system only
    EXPECT_EQ(system::attach(o, "MVS1+", att).why, reason::bad_name);
    EXPECT_EQ(system::attach(o, "", att).why, reason::bad_name);
}

TEST(xcf_attach, when_the_system_is_partitioned_the_attached_member_fails_and_is_fenced) {
    fake_clock clk;
    auto o = plex_options();
    o.clock = clk.fn();
    auto mvs1 = join_system(o, "MVS1");
    auto mvs2 = join_system(o, "MVS2");
    std::unique_ptr<system> att;
    ASSERT_TRUE(system::attach(o, "MVS1", att));
    auto peer = join_member(*mvs2, "EZBTCPCS", "MVS2TCPIPA");
    auto tcp1 = join_member(*att, "EZBTCPCS", "MVS1TCPIPA");
    peer->events();
    // MVS1's owner stops updating its status (its CPU is stopped); the attached
    // process goes on ticking, but its passes are not MVS1's status.
    for (int i = 0; i < 4; ++i) {
        clk.advance(std::chrono::milliseconds(50));
        mvs2->tick();
        att->tick();
        EXPECT_FALSE(att->fenced()) << i;
    }
    clk.advance(std::chrono::milliseconds(50));
    mvs2->tick();  // 250 ms silent > INTERVAL 200: MVS2 partitions MVS1
    EXPECT_TRUE(mvs1->fenced());
    EXPECT_TRUE(att->fenced());
    EXPECT_TRUE(has(peer->events(), group_event::kind::failed, "MVS1TCPIPA", "MVS1"));
    EXPECT_EQ(state_of(*peer, "MVS1TCPIPA"), member_state::failed);
    EXPECT_EQ(tcp1->send("MVS2TCPIPA", std::vector<std::uint8_t>{1}).why, reason::not_joined);
    att->tick();
    auto msgs = att->take_messages();
    EXPECT_TRUE(said(msgs, "IXC102A MVS1 WAS PARTITIONED OUT OF THE SYSPLEX: ITS MEMBERS MAY NOT SEND")) << msgs.size();
    std::unique_ptr<member> back;
    EXPECT_EQ(member::join(*att, "EZBTCPCS", "MVS1TCPIPA", 0, back).why, reason::fenced);
}

TEST(xcf_attach, an_attached_process_alone_partitions_its_silent_system) {
    fake_clock clk;
    auto o = plex_options();
    o.clock = clk.fn();
    auto mvs1 = join_system(o, "MVS1");
    std::unique_ptr<system> att;
    ASSERT_TRUE(system::attach(o, "MVS1", att));
    auto tcp1 = join_member(*att, "EZBTCPCS", "MVS1TCPIPA");
    // Exactly INTERVAL silent is not yet missing; one step more is.
    for (int i = 0; i < 4; ++i) {
        clk.advance(std::chrono::milliseconds(50));
        att->tick();
    }
    EXPECT_FALSE(att->fenced());
    clk.advance(std::chrono::milliseconds(1));
    att->tick();
    EXPECT_TRUE(att->fenced());
    EXPECT_TRUE(mvs1->fenced());
    auto msgs = att->take_messages();
    EXPECT_TRUE(said(msgs, "IXC101I SYSPLEX PARTITIONING IN PROGRESS FOR MVS1 REQUESTED BY MVS1. REASON: STATUS UPDATE MISSING"));
    EXPECT_TRUE(said(msgs, "IXC105I SYSPLEX PARTITIONING HAS COMPLETED FOR MVS1"));
}

TEST(xcf_attach, a_stalled_attached_process_partitions_nobody) {
    fake_clock clk;
    auto o = plex_options();
    o.clock = clk.fn();
    auto mvs1 = join_system(o, "MVS1");
    std::unique_ptr<system> att;
    ASSERT_TRUE(system::attach(o, "MVS1", att));
    att->tick();
    clk.advance(std::chrono::milliseconds(500));  // the attached process was stopped
    att->tick();
    EXPECT_FALSE(mvs1->fenced());
    EXPECT_TRUE(said(att->take_messages(), "IXC470I MVS1 (ATTACHED) WAS STALLED FOR 500 MS"));
    mvs1->tick();  // the owner is back before the next pass
    clk.advance(std::chrono::milliseconds(50));
    att->tick();
    EXPECT_FALSE(att->fenced());
}

/// MVS1 owned by a child process, MVS2 here with member MVS2TCPIPA, MVS1TCPIPA attached
/// on MVS1; then the owner is SIGKILLed. INTERVAL 60 s: only process death decides.
struct owner_killed {
    sysplex_options o = plex_options(std::chrono::milliseconds(60'000));
    std::unique_ptr<system> mvs2, att;
    std::unique_ptr<member> peer, tcp1;
    bool ready = false;

    owner_killed() {
        std::unique_ptr<system> owned;
        zplex::test::forked_child owner([&] {
            bool up = static_cast<bool>(system::join(o, "MVS1", owned));
            if (up) {
                owned->start();  // heartbeating until killed
            }
            return up;
        });
        if (!owner.ready()) return;
        mvs2 = join_system(o, "MVS2");
        peer = join_member(*mvs2, "EZBTCPCS", "MVS2TCPIPA");
        if (!system::attach(o, "MVS1", att)) return;
        tcp1 = join_member(*att, "EZBTCPCS", "MVS1TCPIPA");
        peer->events();
        owner.kill();  // the image's process dies; its stack lives on
        ready = true;
    }
};

TEST(xcf_attach, the_attached_member_does_not_keep_a_dead_system_alive) {
    owner_killed t;
    ASSERT_TRUE(t.ready);
    // The image re-IPLs while the attached process still holds its member: the system
    // is not kept alive by it, and the old incarnation's members are gone.
    auto mvs1 = join_system(t.o, "MVS1");
    ASSERT_TRUE(mvs1);
    EXPECT_TRUE(t.att->fenced());
    EXPECT_TRUE(has(t.peer->events(), group_event::kind::failed, "MVS1TCPIPA", "MVS1"));
    t.att->tick();
    EXPECT_TRUE(said(t.att->take_messages(), "IXC478I MVS1 LEFT THE SYSPLEX OR WAS RE-IPLED"));
}

TEST(xcf_attach, an_attached_process_partitions_its_system_when_the_owner_ends) {
    owner_killed t;
    ASSERT_TRUE(t.ready);
    t.att->tick();
    EXPECT_TRUE(t.att->fenced());
    EXPECT_TRUE(said(t.att->take_messages(),
                     "IXC101I SYSPLEX PARTITIONING IN PROGRESS FOR MVS1 REQUESTED BY MVS1. REASON: SYSTEM PROCESS ENDED"));
    EXPECT_TRUE(has(t.peer->events(), group_event::kind::failed, "MVS1TCPIPA", "MVS1"));
}

TEST(xcf_attach, a_dead_attached_process_is_a_failed_member) {
    auto o = plex_options(std::chrono::milliseconds(60'000));
    auto mvs1 = join_system(o, "MVS1");
    auto watcher = join_member(*mvs1, "EZBTCPCS", "WATCHER");
    std::unique_ptr<system> att;
    std::unique_ptr<member> m;
    zplex::test::forked_child child(
        [&] { return system::attach(o, "MVS1", att) && member::join(*att, "EZBTCPCS", "MVS1TCPIPA", 0, m); });
    ASSERT_TRUE(child.ready());
    EXPECT_EQ(state_of(*watcher, "MVS1TCPIPA"), member_state::active);
    child.kill();
    mvs1->tick();  // the owner's next status pass sees the process gone (PID + start time)
    EXPECT_EQ(state_of(*watcher, "MVS1TCPIPA"), member_state::failed);
    EXPECT_TRUE(has(watcher->events(), group_event::kind::failed, "MVS1TCPIPA", "MVS1"));
    EXPECT_TRUE(said(mvs1->take_messages(), "IXC464I MEMBER MVS1TCPIPA OF GROUP EZBTCPCS FAILED: ITS PROCESS ENDED"));
    EXPECT_FALSE(mvs1->fenced());  // the system itself lives on
}

TEST(xcf_attach, the_owners_normal_leave_removes_the_attached_members_and_the_dataset_goes_last) {
    auto o = plex_options();
    auto mvs1 = join_system(o, "MVS1");
    std::unique_ptr<system> att;
    ASSERT_TRUE(system::attach(o, "MVS1", att));
    auto tcp1 = join_member(*att, "EZBTCPCS", "MVS1TCPIPA");
    mvs1.reset();  // V XCF,MVS1,OFFLINE: the system and its members leave
    EXPECT_TRUE(att->fenced());
    EXPECT_EQ(tcp1->send("", std::vector<std::uint8_t>{1}).why, reason::not_joined);
    tcp1.reset();
    att.reset();
    EXPECT_FALSE(std::filesystem::exists("/dev/shm/" + dataset_name(o)));
}

}  // namespace
}  // namespace zplex::xcf
