// SPDX-License-Identifier: Apache-2.0
// FIG4 in one process with a real EZBEPORT: DVA1 with SYSPLEXPORTS (MVS1 distributes to
// itself, MVS2 and MVS4). Each of the three holds its own blocks of ephemeral ports; the
// image's connections out from DVA1 leave from its own stack, and the server's answers,
// which reach the distributor (it owns DVA1 on the LAN), go to the stack whose block holds
// the port. A port outside the stack's blocks is refused; a failed stack's blocks go back.
#include "cf_plex.hpp"
#include "stack_sim.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

using namespace zplex::test;
using zplex::tcpip::stack::drop;
using lines = std::vector<std::string>;
using ranges = std::vector<std::pair<std::uint16_t, std::uint16_t>>;

namespace {

const std::uint32_t dva1 = ip("198.18.2.1");

zplex::sysplex::structure_config ezbeport() {
    zplex::sysplex::structure_config s;
    s.name = "EZBEPORT";
    s.list_count = 2;
    s.entry_size = 64;
    s.max_entries = 64;
    s.size_kb = 64;
    s.preflist = {"CF01"};
    return s;
}

std::string with_sysplexports(const char* sys) {
    std::ifstream f(std::string(ZPLEX_SOURCE_DIR) + "/profiles/FIG4/SYS1.TCPPARMS/PROF" + sys);
    std::stringstream ss;
    ss << f.rdbuf();
    std::string text = ss.str();
    const std::string stmt = "VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN 198.18.2.1";
    auto at = text.find(stmt);
    if (at == std::string::npos) throw std::runtime_error("no VIPADISTRIBUTE for DVA1 in " + std::string(sys));
    text.replace(at, stmt.size(), "VIPADISTRIBUTE DEFINE SYSPLEXPORTS DISTMETHOD ROUNDROBIN 198.18.2.1");
    return text;
}

struct ports_fixture {
    zplex::cf::test::plex cf{ezbeport()};
    fig4 s;
    std::vector<std::unique_ptr<zplex::cf::connector>> conns;
    ports_fixture() {
        cf.start("CF01");
        for (auto& n : s.nodes) {
            conns.push_back(cf.connect(n->id.member));
            n->eport = conns.back().get();
        }
        s.override_text["MVS1"] = with_sysplexports("MVS1");
        s.override_text["MVS2"] = with_sysplexports("MVS2");
        s.start_all({"MVS5", "MVS1", "MVS2", "MVS3", "MVS4"});
        for (auto& n : s.nodes) n->new_messages();
    }
    sim_node& n(const char* sys) { return s.node(sys); }
    /// The image of @p sys opens a connection from DVA1:@p port to CLIENT1:80; CLIENT1
    /// answers. Returns whether CLIENT1 got the SYN and the nodes whose image got the SYN-ACK.
    std::pair<bool, std::vector<std::string>> connect_out(const char* sys, std::uint16_t port) {
        auto& c = s.client(1);
        for (auto& x : s.nodes) x->app_in.clear();
        c.received.clear();
        n(sys).s->app_packet(tcp_segment(dva1, port, c.address, 80, SYN));
        s.pump();
        bool got = false;
        for (const auto& p : c.received)
            if (p.size() >= 40 && get32(p, 12) == dva1 && get16(p, 20) == port && (p[33] & SYN)) got = true;
        std::vector<std::string> where;
        if (!got) return {false, where};
        c.send(tcp_segment(c.address, 80, dva1, port, SYN | ACK));
        s.pump();
        for (auto& x : s.nodes)
            for (const auto& p : x->app_in)
                if (p.size() >= 40 && get16(p, 22) == port && get32(p, 16) == dva1 && (p[33] & SYN) && (p[33] & ACK))
                    where.push_back(x->sysname);
        return {true, where};
    }
};

bool overlap(const ranges& a, const ranges& b) {
    for (auto [al, ah] : a)
        for (auto [bl, bh] : b)
            if (al <= bh && bl <= ah) return true;
    return false;
}

std::size_t ports_in(const ranges& r) {
    std::size_t n = 0;
    for (auto [l, h] : r) n += std::size_t{h} - l + 1;
    return n;
}

}  // namespace

TEST(Fig4SysplexPorts, DistributorAndTargetsHoldDisjointBlocksThatTheDisplayShows) {
    ports_fixture f;
    auto r1 = f.n("MVS1").s->ephemeral_ranges(), r2 = f.n("MVS2").s->ephemeral_ranges(),
         r4 = f.n("MVS4").s->ephemeral_ranges();
    EXPECT_EQ(ports_in(r1), 128u);
    EXPECT_EQ(ports_in(r2), 128u);
    EXPECT_EQ(ports_in(r4), 128u);
    EXPECT_FALSE(overlap(r1, r2));
    EXPECT_FALSE(overlap(r1, r4));
    EXPECT_FALSE(overlap(r2, r4));
    EXPECT_TRUE(f.n("MVS3").s->ephemeral_ranges().empty());  // not a target of DVA1
    EXPECT_TRUE(f.n("MVS5").s->ephemeral_ranges().empty());
    for (auto [l, h] : r4) {
        EXPECT_GE(l, 1024);
        EXPECT_EQ((l - 1024) % 64, 0);
        EXPECT_EQ((h + 1 - 1024) % 64, 0);
    }
    // The display (any stack shows the whole structure) names each block's holder.
    auto out = f.n("MVS3").s->command("D TCPIP,,SYSPLEX,PORTS");
    ASSERT_GE(out.size(), 5u);
    EXPECT_EQ(out[0], "EZZ8260I SYSPLEX CS V2R4");
    EXPECT_EQ(out[1], "SYSPLEX PORTS DISPLAY FROM TCPIPA   AT MVS3");
    EXPECT_EQ(out[2], "IPADDR: 198.18.2.1");
    EXPECT_EQ(out[3], "  PORTS        TCPNAME  MVSNAME");
    EXPECT_EQ(out.back(), "6 OF 6 RECORDS DISPLAYED");
    std::map<std::string, std::size_t> per_system;
    std::regex row(R"(  (\d{5})-(\d{5})  TCPIPA   (MVS\d))");
    for (std::size_t i = 4; i + 1 < out.size(); ++i) {
        std::smatch m;
        ASSERT_TRUE(std::regex_match(out[i], m, row)) << out[i];
        std::uint16_t lo = static_cast<std::uint16_t>(std::stoi(m[1])), hi = static_cast<std::uint16_t>(std::stoi(m[2]));
        EXPECT_EQ(hi - lo, 63);
        auto held = f.n(m[3].str().c_str()).s->ephemeral_ranges();
        EXPECT_TRUE(overlap(held, ranges{{lo, hi}})) << out[i];
        ++per_system[m[3]];
    }
    EXPECT_EQ(per_system, (std::map<std::string, std::size_t>{{"MVS1", 2}, {"MVS2", 2}, {"MVS4", 2}}));
}

TEST(Fig4SysplexPorts, AnswersToConnectionsOutFromDva1ReachTheStackHoldingThePort) {
    ports_fixture f;
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) {
        auto r = f.n(sys).s->ephemeral_ranges();
        ASSERT_FALSE(r.empty()) << sys;
        for (std::uint16_t port : {r.front().first, static_cast<std::uint16_t>(r.back().second)}) {
            auto [sent, where] = f.connect_out(sys, port);
            EXPECT_TRUE(sent) << sys << " " << port;
            EXPECT_EQ(where, lines{sys}) << sys << " " << port;
        }
    }
    // A port no stack holds: the distributor's own image answers it (it resets).
    auto [sent, where] = f.connect_out("MVS1", 1023);  // below the ephemeral ports: not checked
    EXPECT_TRUE(sent);
    EXPECT_EQ(where, lines{"MVS1"});
}

TEST(Fig4SysplexPorts, ASynFromAPortOutsideTheStacksBlocksIsRefused) {
    ports_fixture f;
    auto r2 = f.n("MVS2").s->ephemeral_ranges();
    ASSERT_FALSE(r2.empty());
    auto before = f.n("MVS4").s->drops()[drop::dist_eport];
    auto [sent, where] = f.connect_out("MVS4", r2.front().first);  // MVS2's port
    EXPECT_FALSE(sent);
    EXPECT_EQ(f.n("MVS4").s->drops()[drop::dist_eport], before + 1);
    // Once MVS2 has it, MVS4 never does: the distributor still routes it to MVS2.
    std::tie(sent, where) = f.connect_out("MVS2", r2.front().first);
    EXPECT_TRUE(sent);
    EXPECT_EQ(where, lines{"MVS2"});
}

TEST(Fig4SysplexPorts, AFailedTargetsBlocksGoBackAndANormalEndReturnsItsOwn) {
    ports_fixture f;
    auto r4 = f.n("MVS4").s->ephemeral_ranges();
    f.s.kill("MVS4");
    f.s.pump();
    auto msgs = f.n("MVS1").new_messages();
    EXPECT_NE(std::find(msgs.begin(), msgs.end(), "ZPX1604I 2 EPHEMERAL PORT BLOCKS OF MVS4TCPIPA FOR 198.18.2.1 RETURNED TO EZBEPORT"),
              msgs.end());
    auto out = f.n("MVS1").s->command("D TCPIP,,SYSPLEX,PORTS");
    EXPECT_EQ(out.back(), "4 OF 4 RECORDS DISPLAYED");
    for (const auto& l : out) EXPECT_EQ(l.find("MVS4"), std::string::npos) << l;
    // An answer to one of its ports now goes to the distributor's image.
    auto& c = f.s.client(1);
    for (auto& x : f.s.nodes) x->app_in.clear();
    c.send(tcp_segment(c.address, 80, dva1, r4.front().first, SYN | ACK));
    f.s.pump();
    EXPECT_EQ(f.n("MVS1").app_in.size(), 1u);
    // MVS4 again: it takes blocks (the cursor moves on, so they differ), and its connections work.
    f.s.start("MVS4");
    auto again = f.n("MVS4").s->ephemeral_ranges();
    EXPECT_EQ(ports_in(again), 128u);
    EXPECT_FALSE(overlap(again, f.n("MVS1").s->ephemeral_ranges()));
    EXPECT_FALSE(overlap(again, f.n("MVS2").s->ephemeral_ranges()));
    auto [sent, where] = f.connect_out("MVS4", again.front().first);
    EXPECT_TRUE(sent);
    EXPECT_EQ(where, lines{"MVS4"});
    // A normal end returns the stack's own blocks.
    f.n("MVS2").s->release_ephemeral_ports();
    EXPECT_TRUE(f.n("MVS2").s->ephemeral_ranges().empty());
    EXPECT_EQ(f.n("MVS4").s->command("D TCPIP,,SYSPLEX,PORTS").back(), "4 OF 4 RECORDS DISPLAYED");
}

TEST(Fig4SysplexPorts, WithoutSysplexportsNoBlocksAreTaken) {
    zplex::cf::test::plex cf{ezbeport()};
    cf.start("CF01");
    fig4 s;
    std::vector<std::unique_ptr<zplex::cf::connector>> conns;
    for (auto& n : s.nodes) {
        conns.push_back(cf.connect(n->id.member));
        n->eport = conns.back().get();
    }
    s.start_all({"MVS5", "MVS1", "MVS2", "MVS3", "MVS4"});
    for (auto& n : s.nodes) EXPECT_TRUE(n->s->ephemeral_ranges().empty()) << n->sysname;
    EXPECT_EQ(s.node("MVS1").s->command("D TCPIP,,SYSPLEX,PORTS").back(), "0 OF 0 RECORDS DISPLAYED");
}
