// SPDX-License-Identifier: Apache-2.0
// Two FIG4 stacks on real XCF systems in one process: DVIPA state and dynamic XCF IP
// travel as XCF messages of group EZBTCPCS; a member that leaves is taken over from.
#include "stack_sim.hpp"

#include <zplex/tcpip/stack/xcf_sysplex.hpp>
#include <zplex/xcf/xcf.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <unistd.h>

using namespace zplex::test;
namespace tst = zplex::tcpip::stack;
namespace xcf = zplex::xcf;

namespace {

struct quiet_ports : tst::lan_port, tst::app_port {
    std::vector<std::vector<std::uint8_t>> app;
    void send_frame(tst::bytes) noexcept override {}
    void send_packet(tst::bytes p) noexcept override { app.emplace_back(p.begin(), p.end()); }
};

struct real_stack {
    std::unique_ptr<xcf::system> sys;
    std::unique_ptr<xcf::member> member;
    std::unique_ptr<tst::xcf_sysplex> port;
    quiet_ports io;
    tst::system_clock clock;
    std::unique_ptr<tst::stack> s;
    std::vector<std::string> log;

    real_stack(const xcf::sysplex_options& o, fig4& f, const std::string& sysname) {
        EXPECT_TRUE(xcf::system::join(o, sysname, sys));
        EXPECT_TRUE(xcf::member::join(*sys, "EZBTCPCS", sysname + "TCPIPA", 0, member));
        port = std::make_unique<tst::xcf_sysplex>(*sys, *member);
        auto& n = f.node(sysname);
        s = tst::stack::create(f.load(sysname), n.id, tst::ports{&io, &io, port.get(), port.get(), &clock});
        s->joined_group();
    }
    void step() {
        port->poll(*s, std::chrono::milliseconds(5));
        s->tick();
        for (auto& m : s->take_messages()) log.push_back(m);
    }
    bool logged(const std::string& m) const { return std::find(log.begin(), log.end(), m) != log.end(); }
};

template <class F>
bool wait_for(std::vector<real_stack*> stacks, F done) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < until) {
        for (auto* s : stacks) s->step();
        if (done()) return true;
    }
    return false;
}

/// A sysplex of this test process's own (@p prefix and the PID), with the tests' key.
xcf::sysplex_options plex_options(const std::string& prefix) {
    xcf::sysplex_options o;
    o.sysplex = prefix + std::to_string(::getpid());
    xcf::parse_key("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", o.key);
    return o;
}

/// Both stacks up: MVS2 has done its initial DVIPA processing, so it knows MVS1's.
bool both_up(real_stack& m1, real_stack& m2) {
    return wait_for({&m1, &m2},
                    [&] { return m2.logged("EZD1214I INITIAL DYNAMIC VIPA PROCESSING HAS COMPLETED FOR TCPIPA"); });
}

}  // namespace

TEST(XcfSysplex, DvipaStateAndDynamicXcfTravelOverXcf) {
    auto o = plex_options("ZST");
    fig4 f;
    auto m1 = std::make_unique<real_stack>(o, f, "MVS1");
    real_stack m2(o, f, "MVS2");
    ASSERT_TRUE(both_up(*m1, m2));
    auto view = m2.s->command("D TCPIP,,SYSPLEX,VIPADYN");
    EXPECT_NE(std::find(view.begin(), view.end(), "  TCPIPA   MVS1     ACTIVE      BOTH"), view.end());
    EXPECT_NE(std::find(view.begin(), view.end(), "  TCPIPA   MVS2     BACKUP 100  DEST"), view.end());

    // MVS1's image pings MVS2's dynamic XCF address: over the XCF link and back.
    m1->s->app_packet(echo_request(ip("198.18.1.1"), ip("198.18.1.2"), 7));
    ASSERT_TRUE(wait_for({m1.get(), &m2}, [&] {
        for (auto& p : m1->io.app)
            if (p.size() >= 28 && p[20] == 0 && get32(p, 12) == ip("198.18.1.2")) return true;
        return false;
    }));

    // MVS1's stack ends: its member leaves the group and MVS2 takes DVA1 over.
    m1.reset();
    ASSERT_TRUE(wait_for({&m2}, [&] { return m2.logged("EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1"); }));
    EXPECT_EQ(m2.port->send_failures(), 0u);
}

TEST(XcfSysplex, PartitionedSystemsStackFencesItself) {
    auto o = plex_options("ZSF");
    o.interval = std::chrono::milliseconds(200);
    fig4 f;
    real_stack m1(o, f, "MVS1");
    real_stack m2(o, f, "MVS2");
    ASSERT_TRUE(both_up(m1, m2));
    // MVS1's system keeps its heartbeat; MVS2's stops (its CPU "stopped"): XCF partitions MVS2.
    m1.sys->start();
    auto mvs2_gone = [&] {
        auto view = m1.s->command("D TCPIP,,SYSPLEX,VIPADYN");
        return std::find(view.begin(), view.end(), "  TCPIPA   MVS2     BACKUP 100") == view.end();
    };
    ASSERT_TRUE(wait_for({&m1, &m2}, [&] { return m2.s->fenced() && mvs2_gone(); }));
    m1.sys->stop();
    EXPECT_TRUE(m2.logged("ZPX1020E TCPIPA ON MVS2 IS FENCED: ITS SYSTEM WAS PARTITIONED OUT OF THE SYSPLEX, "
                          "NOTHING MORE IS SENT"));
    EXPECT_EQ(m1.s->dvipas()[0].status, tst::dvipa_status::active);
}

TEST(XcfSysplex, LeavegroupAndJoingroupOverXcf) {
    auto o = plex_options("ZSL");
    fig4 f;
    real_stack m1(o, f, "MVS1");
    real_stack m2(o, f, "MVS2");
    ASSERT_TRUE(both_up(m1, m2));
    // IXCLEAVE: MVS2 hears MVS1 leave and takes DVA1 over.
    EXPECT_EQ(m1.s->command("V TCPIP,,SYSPLEX,LEAVEGROUP"),
              (std::vector<std::string>{"ZPX1001I VARY TCPIP,,SYSPLEX,LEAVEGROUP COMPLETED ON TCPIPA"}));
    ASSERT_TRUE(wait_for({&m1, &m2}, [&] { return m2.logged("EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1"); }));
    auto q = m2.member->query();
    EXPECT_EQ(std::count_if(q.begin(), q.end(), [](const xcf::member_info& i) { return i.name == "MVS1TCPIPA"; }), 0);
    // IXCJOIN again under the same name: MVS1 takes DVA1 back (VIPADEFINE MOVEABLE IMMEDIATE).
    EXPECT_EQ(m1.s->command("V TCPIP,,SYSPLEX,JOINGROUP"),
              (std::vector<std::string>{"ZPX1001I VARY TCPIP,,SYSPLEX,JOINGROUP COMPLETED ON TCPIPA"}));
    ASSERT_TRUE(wait_for({&m1, &m2}, [&] { return m1.logged("EZZ8302I VIPA 198.18.2.1 TAKEN FROM TCPIPA ON MVS2"); }));
    EXPECT_TRUE(m1.logged("EZD1192I THE VIPADYNAMIC CONFIGURATION WAS SUCCESSFULLY RESTORED FOR TCPIPA"));
    EXPECT_TRUE(m2.logged("EZZ8303I VIPA 198.18.2.1 GIVEN TO TCPIPA ON MVS1"));
    EXPECT_EQ(m1.port->send_failures(), 0u);
}

// The faults matrix's XCF link impairment: a link packet that arrives is held for the
// delay (and the loop told when it is due), all of them dropped at 10000 in 10000, and
// control messages (the DVIPA state) never touched.
TEST(XcfSysplex, ImpairedLinkPacketsAreHeldOrDroppedAndControlIsNot) {
    auto o = plex_options("ZSI");
    fig4 f;
    real_stack m1(o, f, "MVS1");
    real_stack m2(o, f, "MVS2");
    ASSERT_TRUE(both_up(m1, m2));
    auto replies = [&] {
        std::size_t n = 0;
        for (auto& p : m1.io.app) n += p.size() >= 28 && p[20] == 0 && get32(p, 12) == ip("198.18.1.2");
        return n;
    };
    // Delayed: MVS2's answer to MVS1's ping comes into MVS1 and waits 300 ms there.
    m1.port->impair_links(0, std::chrono::milliseconds(300));
    EXPECT_EQ(m1.port->next_due_ms(), -1);
    m1.s->app_packet(echo_request(ip("198.18.1.1"), ip("198.18.1.2"), 7));
    ASSERT_TRUE(wait_for({&m1, &m2}, [&] { return m1.port->links_delayed() == 1; }));
    const auto held_at = std::chrono::steady_clock::now();
    EXPECT_EQ(replies(), 0u) << "held, not delivered";
    EXPECT_GE(m1.port->next_due_ms(), 0);
    ASSERT_TRUE(wait_for({&m1, &m2}, [&] { return replies() == 1; }));
    EXPECT_GE(std::chrono::steady_clock::now() - held_at, std::chrono::milliseconds(250));
    EXPECT_EQ(m1.port->next_due_ms(), -1);
    // Dropped: every link packet into MVS1; MVS2 still sees MVS1's control messages.
    m1.port->impair_links(10000, std::chrono::milliseconds(0));
    for (std::uint16_t k = 8; k < 13; ++k) m1.s->app_packet(echo_request(ip("198.18.1.1"), ip("198.18.1.2"), k));
    ASSERT_TRUE(wait_for({&m1, &m2}, [&] { return m1.port->links_dropped() == 5; }));
    EXPECT_EQ(replies(), 1u);
    auto view = m2.s->command("D TCPIP,,SYSPLEX,VIPADYN");
    EXPECT_NE(std::find(view.begin(), view.end(), "  TCPIPA   MVS1     ACTIVE      BOTH"), view.end());
    // Whole again.
    m1.port->impair_links(0, std::chrono::milliseconds(0));
    m1.s->app_packet(echo_request(ip("198.18.1.1"), ip("198.18.1.2"), 20));
    ASSERT_TRUE(wait_for({&m1, &m2}, [&] { return replies() == 2; }));
    EXPECT_EQ(m1.port->links_dropped(), 5u);
}
