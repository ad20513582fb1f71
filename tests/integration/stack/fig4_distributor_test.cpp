// SPDX-License-Identifier: Apache-2.0
// FIG4 in one process: the Sysplex Distributor. DVA1 (MVS1, ROUNDROBIN to XCF1, XCF2,
// XCF4) and DVB1 (MVS5, DESTIP ALL): where new connections land by DISTMETHOD, replies
// straight from the target, QUIESCE/RESUME, the distributor failing (the backup
// rebuilds its table from the targets) and returning, a target failing.
#include "control.hpp"
#include "distributor.hpp"
#include "stack_sim.hpp"

#include <gtest/gtest.h>

#include <array>
#include <fstream>
#include <sstream>

using namespace zplex::test;
using zplex::tcpip::stack::drop;
using zplex::tcpip::stack::dvipa_status;
using lines = std::vector<std::string>;

namespace {

const std::uint32_t dva1 = ip("198.18.2.1");
const std::uint32_t dvb1 = ip("198.18.2.2");
const std::string header = "MVS TCP/IP NETSTAT CS V2R4       TCPIP Name: TCPIPA           08:00:00";

struct dist_fixture {
    fig4 s;
    explicit dist_fixture(const std::map<std::string, std::string>& overrides = {}) {
        s.override_text = overrides;
        s.start_all({"MVS5", "MVS1", "MVS2", "MVS3", "MVS4"});
        for (auto& n : s.nodes) n->new_messages();
    }
    sim_node& n(const char* sys) { return s.node(sys); }
    /// A server listening on @p dvipa port 60 in @p sys's image.
    void serve(const char* sys, std::uint32_t dvipa = dva1) {
        n(sys).s->listener_added(ipv4_address{dvipa}, 60, "SERVER");
        s.pump();
    }
    /// Nodes whose application got a SYN from @p client port @p port.
    std::vector<std::string> landed(std::uint32_t client, std::uint16_t port) {
        std::vector<std::string> out;
        for (auto& x : s.nodes)
            for (const auto& p : x->app_in)
                if (p.size() >= 40 && p[9] == 6 && get32(p, 12) == client && get16(p, 20) == port && (p[33] & SYN) &&
                    !(p[33] & ACK))
                    out.push_back(x->sysname);
        return out;
    }
    /// Client @p ci opens a connection to @p dvipa:60 from @p port; the target that got the
    /// SYN answers it (SYN-ACK from the DVIPA), the client completes the handshake.
    /// Returns the target, "" when no target got it.
    std::string connect(int ci, std::uint16_t port, std::uint32_t dvipa = dva1) {
        auto& c = s.client(ci);
        c.send(tcp_segment(c.address, port, dvipa, 60, SYN));
        s.pump();
        auto where = landed(c.address, port);
        if (where.size() != 1) return "";
        n(where[0].c_str()).s->app_packet(tcp_segment(dvipa, 60, c.address, port, SYN | ACK));
        s.pump();
        c.send(tcp_segment(c.address, port, dvipa, 60, ACK));
        s.pump();
        return where[0];
    }
    /// Data from client @p ci port @p port: the nodes whose application got it.
    std::vector<std::string> data(int ci, std::uint16_t port, const std::string& text, std::uint32_t dvipa = dva1) {
        auto& c = s.client(ci);
        c.send(tcp_segment(c.address, port, dvipa, 60, ACK | PSH, text));
        s.pump();
        std::vector<std::string> out;
        for (auto& x : s.nodes)
            for (const auto& p : x->app_in)
                if (p.size() > 40 && p[9] == 6 && get16(p, 20) == port && get32(p, 16) == dvipa &&
                    std::string(p.begin() + 40, p.end()) == text)
                    out.push_back(x->sysname);
        return out;
    }
    /// The target answers on the connection: the MAC the client saw it from.
    zplex::tcpip::stack::mac_address reply(const char* sys, int ci, std::uint16_t port, std::uint32_t dvipa = dva1) {
        auto& c = s.client(ci);
        auto before = c.received.size();
        n(sys).s->app_packet(tcp_segment(dvipa, 60, c.address, port, ACK | PSH, "reply"));
        s.pump();
        if (c.received.size() == before) return {};
        EXPECT_EQ(get32(c.received.back(), 12), dvipa);
        return c.received_from.back();
    }
    /// DestXCF lines of a VCRT, counted by address.
    std::map<std::string, int> vcrt_by_xcf(const char* sys) {
        std::map<std::string, int> out;
        for (const auto& l : n(sys).cmd("NETSTAT VCRT"))
            if (l.rfind("  DestXCF:    ", 0) == 0) ++out[l.substr(14)];
        return out;
    }
};

std::string read_file(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

/// PROFMVS1 with DVA1's VIPADISTRIBUTE replaced.
std::string mvs1_with(const std::string& distribute) {
    std::string text = read_file(std::string(ZPLEX_SOURCE_DIR) + "/profiles/FIG4/SYS1.TCPPARMS/PROFMVS1");
    auto a = text.find("  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN 198.18.2.1");
    auto b = text.find("  VIPABACKUP 50");
    EXPECT_NE(a, std::string::npos);
    text.replace(a, b - a, distribute);
    return text;
}

}  // namespace

TEST(Fig4Distributor, RoundRobinLandsAsPredictedAndTargetsReplyDirectly) {
    dist_fixture f;
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) f.serve(sys);
    auto& m1 = f.n("MVS1");
    // Targets hold DVA1 internally: in HOME, never in ARP.
    auto home4 = f.n("MVS4").cmd("NETSTAT HOME");
    auto at = std::find(home4.begin(), home4.end(), "LinkName:   VIPLC6120201");
    ASSERT_NE(at, home4.end());
    EXPECT_EQ(*(at + 1), "  Address:  198.18.2.1");
    EXPECT_EQ(*(at + 2), "    Flags:  Internal");
    EXPECT_EQ(f.vcrt_by_xcf("MVS4"), (std::map<std::string, int>{}));
    EXPECT_EQ(f.n("MVS4").s->target_dvipas(), (std::vector<ipv4_address>{ipv4_address{dva1}, ipv4_address{dvb1}}));
    EXPECT_EQ(f.n("MVS3").s->target_dvipas(), (std::vector<ipv4_address>{ipv4_address{dvb1}}));

    // 300 connections from two clients: XCF1, XCF2, XCF4 in DESTIP order, over and over.
    const std::array<const char*, 3> order{"MVS1", "MVS2", "MVS4"};
    std::map<std::string, int> served;
    for (int i = 0; i < 300; ++i) {
        auto port = static_cast<std::uint16_t>(41000 + i);
        int ci = 1 + i % 2;
        std::string t = f.connect(ci, port);
        ASSERT_EQ(t, order[static_cast<std::size_t>(i % 3)]) << "connection " << i;
        ++served[t];
        auto mac = f.reply(t.c_str(), ci, port);
        EXPECT_EQ(mac, f.n(t.c_str()).id.mac) << "connection " << i;
        if (t != "MVS1") {
            EXPECT_NE(mac, m1.id.mac);
        }
    }
    EXPECT_EQ(served, (std::map<std::string, int>{{"MVS1", 100}, {"MVS2", 100}, {"MVS4", 100}}));
    // Only the distributor answered ARP for DVA1.
    EXPECT_EQ(f.s.client(1).arp.at(dva1), m1.id.mac);
    EXPECT_EQ(f.s.client(2).arp.at(dva1), m1.id.mac);
    // The target's image gets the original packet, not the encapsulation.
    const auto& first = f.n("MVS2").app_in.front();
    EXPECT_EQ(first[9], 6);
    EXPECT_EQ(get32(first, 16), dva1);

    // The VCRT agrees: 100 each; a target lists only its own.
    EXPECT_EQ(f.vcrt_by_xcf("MVS1"),
              (std::map<std::string, int>{{"198.18.1.1", 100}, {"198.18.1.2", 100}, {"198.18.1.4", 100}}));
    EXPECT_EQ(f.vcrt_by_xcf("MVS4"), (std::map<std::string, int>{{"198.18.1.4", 100}}));
    auto vcrt = m1.cmd("NETSTAT VCRT");
    ASSERT_EQ(vcrt.size(), 2u + 300 * 3 + 1);
    EXPECT_EQ(vcrt[0], header);
    EXPECT_EQ(vcrt[1], "Dynamic VIPA Connection Routing Table:");
    EXPECT_EQ((lines{vcrt[2], vcrt[3], vcrt[4], vcrt[5], vcrt[6], vcrt[7]}),
              (lines{"Dest:         198.18.2.1..60", "  Source:     198.18.0.101..41000", "  DestXCF:    198.18.1.1",
                     "Dest:         198.18.2.1..60", "  Source:     198.18.0.101..41002", "  DestXCF:    198.18.1.4"}));
    EXPECT_EQ(vcrt.back(), "300 of 300 records displayed");
    auto detail = m1.cmd("NETSTAT VCRT DETAIL");
    EXPECT_EQ((lines{detail[2], detail[3], detail[4], detail[5], detail[6], detail[7], detail[8], detail[9]}),
              (lines{"Dest:         198.18.2.1..60", "  Source:     198.18.0.101..41000", "  DestXCF:    198.18.1.1",
                     "    PolicyRule:   *NONE*", "    PolicyAction: *NONE*", "    Intf:         *LOCAL*",
                     "    VipaRoute:    No  Gw: 0.0.0.0", "    Accelerator:  No"}));
    EXPECT_EQ(detail[15], "    Intf:         EZAXCFM4");

    EXPECT_EQ(m1.cmd("NETSTAT VDPT"), (lines{
        header,
        "Dynamic VIPA Destination Port Table for TCP/IP stacks:",
        "Dest:         198.18.2.1..60",
        "  DestXCF:    198.18.1.1",
        "  TotalConn:  0000000100  Rdy: 001  WLM: 01  TSR: 100",
        "  DistMethod: RoundRobin",
        "  Flg:",
        "Dest:         198.18.2.1..60",
        "  DestXCF:    198.18.1.2",
        "  TotalConn:  0000000100  Rdy: 001  WLM: 01  TSR: 100",
        "  DistMethod: RoundRobin",
        "  Flg:",
        "Dest:         198.18.2.1..60",
        "  DestXCF:    198.18.1.4",
        "  TotalConn:  0000000100  Rdy: 001  WLM: 01  TSR: 100",
        "  DistMethod: RoundRobin",
        "  Flg:",
        "3 records written"}));
    auto op = m1.cmd("D TCPIP,,NETSTAT,VDPT,DETAIL");
    EXPECT_EQ((lines(op.begin() + 1, op.begin() + 12)), (lines{
        "DYNAMIC VIPA DESTINATION PORT TABLE FOR TCP/IP STACKS:",
        "DEST:         198.18.2.1..60",
        "  DESTXCF:    198.18.1.1",
        "  TOTALCONN:  0000000100  RDY: 001  WLM: 01  TSR: 100",
        "  DISTMETHOD: ROUNDROBIN",
        "  TCSR: 100  CER: 100  SEF: 100",
        "  ACTCONN:    0000000100",
        "  QOSPLCACT:  *DEFAULT*",
        "    W/Q:      01",
        "  FLG:",
        "DEST:         198.18.2.1..60"}));
    EXPECT_EQ(op[op.size() - 2], "3 OF 3 RECORDS DISPLAYED");
    // The clients' packets, forwarded as they came off the LAN, go over XCF integrity-only;
    // nothing else on a link is (docs/xcf.md, "Message protection").
    EXPECT_GE(f.n("MVS1").links_integrity_only, 200u);  // two thirds of 300 connections at least
    for (const char* sys : {"MVS2", "MVS4"}) EXPECT_EQ(f.n(sys).links_integrity_only, 0u) << sys;
    // VDPT exists only on the distributor.
    EXPECT_EQ(f.n("MVS2").cmd("NETSTAT VDPT"),
              (lines{header, "Dynamic VIPA Destination Port Table for TCP/IP stacks:", "0 records written"}));
    // Nothing dropped but the hub's frames for other MACs and ARP requests for others' addresses.
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) {
        const auto& d = f.n(sys).s->drops();
        for (std::size_t i = 0; i < zplex::tcpip::stack::drop_count; ++i)
            if (d.by_reason[i] && static_cast<drop>(i) != drop::frame_not_for_us &&
                static_cast<drop>(i) != drop::arp_not_for_us)
                ADD_FAILURE() << sys << " " << zplex::tcpip::stack::drop_name(static_cast<drop>(i)) << " " << d.by_reason[i];
    }
}

TEST(Fig4Distributor, ConnectionsEndOnTheTargetAndLeaveTheTable) {
    dist_fixture f;
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) f.serve(sys);
    ASSERT_EQ(f.connect(1, 40001), "MVS1");
    ASSERT_EQ(f.connect(1, 40002), "MVS2");
    ASSERT_EQ(f.connect(1, 40003), "MVS4");
    EXPECT_EQ(f.data(1, 40003, "hello"), (lines{"MVS4"}));
    // MVS4's server resets it: MVS4 tells MVS1, whose table forgets it.
    f.n("MVS4").s->app_packet(tcp_segment(dva1, 60, f.s.client(1).address, 40003, RST));
    f.s.advance(200);
    EXPECT_EQ(f.vcrt_by_xcf("MVS1"), (std::map<std::string, int>{{"198.18.1.1", 1}, {"198.18.1.2", 1}}));
    // A client FIN and the server's FIN on MVS2: ended 2 s later on MVS2, then on MVS1.
    auto& c = f.s.client(1);
    c.send(tcp_segment(c.address, 40002, dva1, 60, FIN | ACK));
    f.s.pump();
    f.n("MVS2").s->app_packet(tcp_segment(dva1, 60, c.address, 40002, FIN | ACK));
    f.s.pump();
    f.s.advance(2200);
    EXPECT_EQ(f.vcrt_by_xcf("MVS1"), (std::map<std::string, int>{{"198.18.1.1", 1}}));
    EXPECT_EQ(f.vcrt_by_xcf("MVS2"), (std::map<std::string, int>{}));
    // A half-open connection (the client never ACKs) ages out after 30 s.
    c.send(tcp_segment(c.address, 40004, dva1, 60, SYN));
    f.s.pump();
    EXPECT_EQ(f.landed(c.address, 40004), (lines{"MVS1"}));  // round robin goes on after MVS4
    EXPECT_EQ(f.vcrt_by_xcf("MVS1")["198.18.1.1"], 2);
    f.s.advance(30100);
    EXPECT_EQ(f.vcrt_by_xcf("MVS1"), (std::map<std::string, int>{{"198.18.1.1", 1}}));
}

TEST(Fig4Distributor, WeightedActiveFollowsTheWeights) {
    dist_fixture f({{"MVS1", mvs1_with("  VIPADISTRIBUTE DEFINE DISTMETHOD WEIGHTEDACTIVE 198.18.2.1\n"
                                       "                 PORT 60\n"
                                       "                 DESTIP 198.18.1.1 WEIGHT 30 198.18.1.2 WEIGHT 20\n"
                                       "                        198.18.1.4 WEIGHT 10\n")}});
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) f.serve(sys);
    std::map<std::string, int> served;
    for (int i = 0; i < 300; ++i) ++served[f.connect(1 + i % 2, static_cast<std::uint16_t>(42000 + i))];
    // Active connections in proportion 30:20:10 (each within 5 % of its share).
    for (auto [sys, want] : std::map<std::string, int>{{"MVS1", 150}, {"MVS2", 100}, {"MVS4", 50}}) {
        EXPECT_LE(std::abs(served[sys] - want), want / 20) << sys << " " << served[sys];
    }
    auto vdpt = f.n("MVS1").cmd("NETSTAT VDPT");
    EXPECT_EQ(vdpt[4], "  TotalConn:  0000000" + std::to_string(served["MVS1"]) + "  Rdy: 001  WLM: 30  TSR: 100");
    EXPECT_EQ(vdpt[5], "  DistMethod: WeightedActive");
    EXPECT_EQ(vdpt[14], "  TotalConn:  00000000" + std::to_string(served["MVS4"]) + "  Rdy: 001  WLM: 10  TSR: 100");
    auto cfg = f.n("MVS1").cmd("NETSTAT VIPADCFG DETAIL");
    auto at = std::find(cfg.begin(), cfg.end(), "  VIPA Distribute:");
    ASSERT_NE(at, cfg.end());
    EXPECT_EQ((lines(at + 1, at + 6)), (lines{"    Dest:        198.18.2.1..60", "      DestXCF:   198.18.1.1",
                                             "        SysPt:   No       TimAff: No      Flg: WeightedActive",
                                             "        OptLoc:  No", "        ActConnWeight: 30"}));
}

TEST(Fig4Distributor, BaseWlmWeightsFollowTheImagesLoad) {
    dist_fixture f({{"MVS1", mvs1_with("  VIPADISTRIBUTE DEFINE DISTMETHOD BASEWLM 198.18.2.1\n"
                                       "                 PORT 60\n"
                                       "                 DESTIP 198.18.1.1 198.18.1.2 198.18.1.4\n")}});
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) f.serve(sys);
    f.n("MVS2").s->image_load(50);   // weight 32
    f.n("MVS4").s->image_load(75);   // weight 16
    f.s.pump();
    std::map<std::string, int> served;
    for (int i = 0; i < 112; ++i) ++served[f.connect(1, static_cast<std::uint16_t>(43000 + i))];
    EXPECT_EQ(served, (std::map<std::string, int>{{"MVS1", 64}, {"MVS2", 32}, {"MVS4", 16}}));
    auto vdpt = f.n("MVS1").cmd("NETSTAT VDPT");
    EXPECT_EQ(vdpt[4], "  TotalConn:  0000000064  Rdy: 001  WLM: 64  TSR: 100");
    EXPECT_EQ(vdpt[9], "  TotalConn:  0000000032  Rdy: 001  WLM: 32  TSR: 100");
    EXPECT_EQ(vdpt[10], "  DistMethod: BaseWLM");
    EXPECT_EQ(vdpt[14], "  TotalConn:  0000000016  Rdy: 001  WLM: 16  TSR: 100");
}

TEST(Fig4Distributor, HotStandbySwitchesOnFailureAndBack) {
    dist_fixture f({{"MVS1", mvs1_with("  VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY AUTOSWITCHBACK\n"
                                       "                 HEALTHSWITCH 198.18.2.1 PORT 60\n"
                                       "                 DESTIP 198.18.1.2 PREFERRED\n"
                                       "                        198.18.1.4 BACKUP 100\n"
                                       "                        198.18.1.1 BACKUP 50\n")}});
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) f.serve(sys);
    auto& m1 = f.n("MVS1");
    for (int i = 0; i < 5; ++i) EXPECT_EQ(f.connect(1, static_cast<std::uint16_t>(44000 + i)), "MVS2");
    EXPECT_EQ(m1.cmd("NETSTAT VDPT"), (lines{
        header,
        "Dynamic VIPA Destination Port Table for TCP/IP stacks:",
        "Dest:         198.18.2.1..60",
        "  DestXCF:    198.18.1.2",
        "  TotalConn:  0000000005  Rdy: 001  WLM: 01  TSR: 100",
        "  DistMethod: HotStandby  SrvType: Preferred",
        "  Flg: Active",
        "Dest:         198.18.2.1..60",
        "  DestXCF:    198.18.1.4",
        "  TotalConn:  0000000000  Rdy: 001  WLM: 01  TSR: 100",
        "  DistMethod: HotStandby  SrvType: Backup  Rank: 100",
        "  Flg:",
        "Dest:         198.18.2.1..60",
        "  DestXCF:    198.18.1.1",
        "  TotalConn:  0000000000  Rdy: 001  WLM: 01  TSR: 100",
        "  DistMethod: HotStandby  SrvType: Backup  Rank: 50",
        "  Flg:",
        "3 records written"}));
    // The preferred server stops: the rank-100 backup gets the new connections; the
    // existing ones stay where they are.
    f.n("MVS2").s->listener_removed(ipv4_address{dva1}, 60);
    f.s.pump();
    EXPECT_EQ(f.connect(1, 44010), "MVS4");
    EXPECT_EQ(f.data(1, 44000, "still"), (lines{"MVS2"}));
    // MVS4's stack fails: the rank-50 backup (the distributor itself).
    f.s.kill("MVS4");
    EXPECT_EQ(f.connect(1, 44011), "MVS1");
    // The preferred server listens again: AUTOSWITCHBACK.
    f.serve("MVS2");
    EXPECT_EQ(f.connect(1, 44012), "MVS2");
    auto vdpt = m1.cmd("NETSTAT VDPT");
    EXPECT_EQ(vdpt[6], "  Flg: Active");
    EXPECT_EQ(vdpt[7], "Dest:         198.18.2.1..60");
    EXPECT_EQ(vdpt[8], "  DestXCF:    198.18.1.1");  // MVS4 is gone from the table
    EXPECT_EQ(vdpt.back(), "2 records written");
}

TEST(Fig4Distributor, DestipAllSkipsATargetWithoutServerAndQuiesceResume) {
    dist_fixture f;
    for (const char* sys : {"MVS1", "MVS2", "MVS4", "MVS5"}) f.serve(sys, dvb1);  // MVS3's server is stopped
    auto& m5 = f.n("MVS5");
    auto vdpt = m5.cmd("NETSTAT VDPT");
    ASSERT_EQ(vdpt.size(), 2u + 5 * 5 + 1);
    EXPECT_EQ((lines{vdpt[13], vdpt[14]}),
              (lines{"  DestXCF:    198.18.1.3", "  TotalConn:  0000000000  Rdy: 000  WLM: 01  TSR: 100"}));
    std::map<std::string, int> served;
    for (int i = 0; i < 40; ++i) ++served[f.connect(2, static_cast<std::uint16_t>(45000 + i), dvb1)];
    EXPECT_EQ(served, (std::map<std::string, int>{{"MVS1", 10}, {"MVS2", 10}, {"MVS4", 10}, {"MVS5", 10}}));

    // QUIESCE on MVS4: no new connection; its existing ones go on.
    auto& m4 = f.n("MVS4");
    EXPECT_EQ(m4.cmd("V TCPIP,,SYSPLEX,QUIESCE,PORT=60"),
              (lines{"ZPX1001I VARY TCPIP,,SYSPLEX,QUIESCE,PORT=60 COMPLETED ON TCPIPA"}));
    EXPECT_EQ(m4.cmd("V TCPIP,,SYSPLEX,QUIESCE,PORT=60"),
              (lines{"ZPX1031I VARY TCPIP,,SYSPLEX,QUIESCE: PORT 60 IS ALREADY QUIESCED"}));
    EXPECT_EQ(m4.cmd("V TCPIP,,SYSPLEX,QUIESCE,JOBNAME=SERVER"),
              (lines{"ZPX1031I VARY TCPIP,,SYSPLEX,QUIESCE NEEDS PORT=n OR TARGET, NOT 'JOBNAME=SERVER'"}));
    f.s.pump();
    EXPECT_EQ(m5.cmd("NETSTAT VDPT")[19], "  TotalConn:  0000000010  Rdy: 000  WLM: 01  TSR: 100");
    served.clear();
    for (int i = 0; i < 30; ++i) ++served[f.connect(2, static_cast<std::uint16_t>(45100 + i), dvb1)];
    EXPECT_EQ(served, (std::map<std::string, int>{{"MVS1", 10}, {"MVS2", 10}, {"MVS5", 10}}));
    EXPECT_EQ(f.data(2, 45002, "on MVS4", dvb1), (lines{"MVS4"}));
    EXPECT_EQ(m4.cmd("V TCPIP,,SYSPLEX,RESUME,PORT=60"),
              (lines{"ZPX1001I VARY TCPIP,,SYSPLEX,RESUME,PORT=60 COMPLETED ON TCPIPA"}));
    // QUIESCE TARGET on MVS1 likewise, and RESUME.
    auto& m1 = f.n("MVS1");
    EXPECT_EQ(m1.cmd("V TCPIP,,SYSPLEX,QUIESCE,TARGET"),
              (lines{"ZPX1001I VARY TCPIP,,SYSPLEX,QUIESCE,TARGET COMPLETED ON TCPIPA"}));
    f.s.pump();
    served.clear();
    for (int i = 0; i < 30; ++i) ++served[f.connect(2, static_cast<std::uint16_t>(45200 + i), dvb1)];
    EXPECT_EQ(served, (std::map<std::string, int>{{"MVS2", 10}, {"MVS4", 10}, {"MVS5", 10}}));
    EXPECT_EQ(m1.cmd("V TCPIP,,SYSPLEX,RESUME,TARGET"),
              (lines{"ZPX1001I VARY TCPIP,,SYSPLEX,RESUME,TARGET COMPLETED ON TCPIPA"}));
    EXPECT_EQ(m1.cmd("V TCPIP,,SYSPLEX,RESUME,TARGET"),
              (lines{"ZPX1031I VARY TCPIP,,SYSPLEX,RESUME: TCPIPA IS NOT QUIESCED"}));
    f.s.pump();
    served.clear();
    for (int i = 0; i < 40; ++i) ++served[f.connect(2, static_cast<std::uint16_t>(45300 + i), dvb1)];
    EXPECT_EQ(served, (std::map<std::string, int>{{"MVS1", 10}, {"MVS2", 10}, {"MVS4", 10}, {"MVS5", 10}}));
    // A new connection while no target is ready is counted and left to the distributor's
    // own image (which resets it when nothing listens there).
    for (const char* sys : {"MVS1", "MVS2", "MVS4", "MVS5"}) f.n(sys).s->listener_removed(ipv4_address{dvb1}, 60);
    f.s.pump();
    EXPECT_EQ(f.connect(2, 45400, dvb1), "MVS5");
    EXPECT_EQ(m5.s->drops()[drop::dist_no_target], 1u);
}

// At startup MVS1 (DVB1's backup) may hold DVB1 for a moment and tell the targets, and
// its "distribute" can reach a target after MVS5's (no order between two senders). Its
// stop must leave the target serving MVS5, the DVIPA's owner by its claim: the target's
// next report (its server went) reaches MVS5.
TEST(Fig4Distributor, AFormerDistributorsLateDistributeAndStopLeaveTheTargetWithTheOwner) {
    dist_fixture f;
    for (const char* sys : {"MVS1", "MVS2", "MVS3", "MVS4", "MVS5"}) f.serve(sys, dvb1);
    auto& m5 = f.n("MVS5");
    auto& m3 = f.n("MVS3");
    ASSERT_EQ(m5.cmd("NETSTAT VDPT")[14], "  TotalConn:  0000000000  Rdy: 001  WLM: 01  TSR: 100");
    const std::string mvs1 = f.n("MVS1").id.member;
    zplex::tcpip::stack::control::distribute_message late;
    late.address = dvb1;
    late.port_ranges.push_back({60, 60});
    m3.s->control_message(mvs1, zplex::tcpip::stack::control::encode(late));
    zplex::tcpip::stack::control::distribute_message stop;
    stop.address = dvb1;
    stop.stop = true;
    m3.s->control_message(mvs1, zplex::tcpip::stack::control::encode(stop));
    f.s.pump();
    m3.s->listener_removed(ipv4_address{dvb1}, 60);
    f.s.pump();
    EXPECT_EQ(m5.cmd("NETSTAT VDPT")[14], "  TotalConn:  0000000000  Rdy: 000  WLM: 01  TSR: 100");
    f.serve("MVS3", dvb1);
    EXPECT_EQ(m5.cmd("NETSTAT VDPT")[14], "  TotalConn:  0000000000  Rdy: 001  WLM: 01  TSR: 100");
    std::map<std::string, int> served;
    for (int i = 0; i < 25; ++i) ++served[f.connect(2, static_cast<std::uint16_t>(46000 + i), dvb1)];
    EXPECT_EQ(served, (std::map<std::string, int>{{"MVS1", 5}, {"MVS2", 5}, {"MVS3", 5}, {"MVS4", 5}, {"MVS5", 5}}));
}

// A target that lost its distributor some other way (its state gone) goes silent; the
// distributor tells it again once it has not reported for two report intervals.
TEST(Fig4Distributor, ATargetSilentPastTwoReportIntervalsIsToldAgain) {
    dist_fixture f;
    for (const char* sys : {"MVS1", "MVS2", "MVS3", "MVS4", "MVS5"}) f.serve(sys, dvb1);
    auto& m5 = f.n("MVS5");
    auto& m3 = f.n("MVS3");
    // MVS5's stop alone: MVS3 no longer serves DVB1 (nobody else claims it) and stays silent.
    zplex::tcpip::stack::control::distribute_message stop;
    stop.address = dvb1;
    stop.stop = true;
    m3.s->control_message(m5.id.member, zplex::tcpip::stack::control::encode(stop));
    m3.s->listener_removed(ipv4_address{dvb1}, 60);
    f.s.pump();
    f.s.advance(zplex::tcpip::stack::dist_report_ms + 1000);
    EXPECT_EQ(m5.cmd("NETSTAT VDPT")[14], "  TotalConn:  0000000000  Rdy: 001  WLM: 01  TSR: 100");
    f.s.advance(zplex::tcpip::stack::dist_stale_report_ms);
    EXPECT_EQ(m5.cmd("NETSTAT VDPT")[14], "  TotalConn:  0000000000  Rdy: 000  WLM: 01  TSR: 100");
}

// At startup MVS1 can give DVB1 to MVS4 (its higher-ranked backup) just after MVS5 told
// MVS4 to serve it and MVS4 reported Rdy 0 (its server not up yet). Holding DVB1, MVS4
// is nobody's target; when the conflict rules send DVB1 back to MVS5, MVS4 must serve
// MVS5 again at once: its server's readiness reaches MVS5 without waiting for its old
// report to go stale.
TEST(Fig4Distributor, ATargetThatHeldTheDvipaForAMomentServesTheOwnerAgainAtOnce) {
    dist_fixture f;
    for (const char* sys : {"MVS1", "MVS2", "MVS3", "MVS5"}) f.serve(sys, dvb1);
    auto& m5 = f.n("MVS5");
    auto& m4 = f.n("MVS4");
    auto rdy_of = [&](const std::string& xcf) {
        auto v = m5.cmd("NETSTAT VDPT");
        for (std::size_t i = 0; i + 1 < v.size(); ++i)
            if (v[i] == "Dest:         198.18.2.2..60" && v[i + 1] == "  DestXCF:    " + xcf) return v[i + 2];
        return std::string("no row");
    };
    ASSERT_EQ(rdy_of("198.18.1.4"), "  TotalConn:  0000000000  Rdy: 000  WLM: 01  TSR: 100");
    zplex::tcpip::stack::control::address_message give;
    give.address = dvb1;
    m4.s->control_message(f.n("MVS1").id.member,
                          zplex::tcpip::stack::control::encode(zplex::tcpip::stack::control::type::give, give));
    f.s.pump();
    auto said = m4.new_messages();
    ASSERT_FALSE(said.empty());
    EXPECT_EQ(said.front(), "EZZ8302I VIPA 198.18.2.2 TAKEN FROM TCPIPA ON MVS1");
    EXPECT_EQ(m5.dvipa("198.18.2.2")->status, dvipa_status::active);
    EXPECT_NE(m4.dvipa("198.18.2.2")->status, dvipa_status::active);
    f.serve("MVS4", dvb1);
    EXPECT_EQ(rdy_of("198.18.1.4"), "  TotalConn:  0000000000  Rdy: 001  WLM: 01  TSR: 100");
}

TEST(Fig4Distributor, DistributorFailsBackupRebuildsTableConnectionsGoOn) {
    dist_fixture f;
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) f.serve(sys);
    // 60 long-lived connections, 20 on each target.
    std::map<std::uint16_t, std::string> where;
    for (int i = 0; i < 60; ++i) {
        auto port = static_cast<std::uint16_t>(46000 + i);
        where[port] = f.connect(1 + i % 2, port);
    }
    auto& m2 = f.n("MVS2");
    auto& m4 = f.n("MVS4");
    f.s.kill("MVS1");
    EXPECT_EQ(m2.new_messages(), (lines{"EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1"}));
    EXPECT_EQ(f.s.client(1).arp.at(dva1), m2.id.mac);
    // MVS2 asked MVS4 for its connections: the table has MVS2's and MVS4's, not MVS1's.
    EXPECT_EQ(f.vcrt_by_xcf("MVS2"), (std::map<std::string, int>{{"198.18.1.2", 20}, {"198.18.1.4", 20}}));
    int lost = 0;
    for (auto& [port, sys] : where) {
        int ci = 1 + (port - 46000) % 2;
        auto got = f.data(ci, port, "after takeover " + std::to_string(port));
        if (sys == "MVS1") {
            EXPECT_EQ(got, (lines{"MVS2"}));  // MVS2's image has no such connection: it resets it
            ++lost;
            continue;
        }
        EXPECT_EQ(got, (lines{sys})) << port;
        EXPECT_EQ(f.reply(sys.c_str(), ci, port), f.n(sys.c_str()).id.mac);
    }
    EXPECT_EQ(lost, 20);
    // MVS4 now takes distributed packets from MVS2's link only.
    EXPECT_EQ(m4.s->drops()[drop::dist_wrong_link], 0u);
    auto inner = tcp_segment(f.s.client(1).address, 46002, dva1, 60, ACK | PSH, "old distributor");
    auto outer = ipv4_packet(ip("198.18.1.5"), ip("198.18.1.4"), 4, inner);
    m4.s->xcf_link_packet("MVS5TCPIPA", outer);
    EXPECT_EQ(m4.s->drops()[drop::dist_wrong_link], 1u);
    m4.s->xcf_link_packet("MVS2TCPIPA", ipv4_packet(ip("198.18.1.2"), ip("198.18.1.4"), 4, inner));
    EXPECT_EQ(m4.s->drops()[drop::dist_wrong_link], 1u);
    // A plain packet to the target DVIPA is not taken either.
    m4.s->xcf_link_packet("MVS2TCPIPA", inner);
    EXPECT_EQ(m4.s->drops()[drop::dist_plain], 1u);
    // New connections: MVS2 distributes over the targets left, XCF2 and XCF4.
    std::map<std::string, int> served;
    for (int i = 0; i < 10; ++i) ++served[f.connect(2, static_cast<std::uint16_t>(47000 + i))];
    EXPECT_EQ(served, (std::map<std::string, int>{{"MVS2", 5}, {"MVS4", 5}}));
    EXPECT_EQ(m2.cmd("NETSTAT VDPT").back(), "2 records written");

    // MVS1 returns and takes DVA1 back (MOVEABLE IMMEDIATE): it rebuilds the table from
    // MVS2 and MVS4, and every surviving connection goes on.
    auto& m1 = f.s.start("MVS1");
    f.serve("MVS1");
    EXPECT_EQ(m2.new_messages(), (lines{"EZZ8303I VIPA 198.18.2.1 GIVEN TO TCPIPA ON MVS1"}));
    EXPECT_EQ(m1.new_messages().back(), "EZZ8302I VIPA 198.18.2.1 TAKEN FROM TCPIPA ON MVS2");
    f.s.advance(3000);
    EXPECT_EQ(f.vcrt_by_xcf("MVS1"), (std::map<std::string, int>{{"198.18.1.2", 25}, {"198.18.1.4", 25}}));
    EXPECT_EQ(m2.dvipa("198.18.2.1")->status, dvipa_status::backup);
    for (auto& [port, sys] : where) {
        if (sys == "MVS1") continue;
        EXPECT_EQ(f.data(1 + (port - 46000) % 2, port, "after return " + std::to_string(port)), (lines{sys})) << port;
    }
    for (int i = 0; i < 10; ++i) {
        auto port = static_cast<std::uint16_t>(47000 + i);
        EXPECT_EQ(f.data(2, port, "new after return"), (lines{i % 2 ? "MVS4" : "MVS2"})) << port;
    }
    EXPECT_EQ(f.connect(1, 48000), "MVS1");
    EXPECT_EQ(m4.s->drops()[drop::dist_wrong_link], 1u);
    EXPECT_EQ(m1.s->drops()[drop::dist_target_gone], 0u);
}

TEST(Fig4Distributor, FailedTargetLeavesTheTable) {
    dist_fixture f;
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) f.serve(sys);
    for (int i = 0; i < 9; ++i) f.connect(1, static_cast<std::uint16_t>(49000 + i));
    f.s.kill("MVS4");
    EXPECT_EQ(f.vcrt_by_xcf("MVS1"), (std::map<std::string, int>{{"198.18.1.1", 3}, {"198.18.1.2", 3}}));
    std::map<std::string, int> served;
    for (int i = 0; i < 6; ++i) ++served[f.connect(2, static_cast<std::uint16_t>(49100 + i))];
    EXPECT_EQ(served, (std::map<std::string, int>{{"MVS1", 3}, {"MVS2", 3}}));
    // A packet of a connection MVS4 served: no entry any more, to MVS1's image (which resets it).
    EXPECT_EQ(f.data(1, 49002, "to the failed target"), (lines{"MVS1"}));
}

TEST(Fig4Distributor, TimedAffinitySendsAClientBackUntilItExpires) {
    dist_fixture f({{"MVS1", mvs1_with("  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN TIMEDAFFINITY 60\n"
                                       "                 198.18.2.1 PORT 60\n"
                                       "                 DESTIP 198.18.1.1 198.18.1.2 198.18.1.4\n")}});
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) f.serve(sys);
    EXPECT_EQ(f.connect(1, 50000), "MVS1");
    EXPECT_EQ(f.connect(2, 50001), "MVS2");
    EXPECT_EQ(f.connect(1, 50002), "MVS1");  // affinity
    EXPECT_EQ(f.connect(2, 50003), "MVS2");
    // Every connection of CLIENT1 ends; the affinity lasts 60 s more.
    auto& c = f.s.client(1);
    for (std::uint16_t port : {50000, 50002}) c.send(tcp_segment(c.address, port, dva1, 60, RST));
    f.s.pump();
    f.s.advance(30000);
    EXPECT_EQ(f.connect(1, 50004), "MVS1");
    c.send(tcp_segment(c.address, 50004, dva1, 60, RST));
    f.s.pump();
    f.s.advance(61000);
    EXPECT_EQ(f.connect(1, 50005), "MVS4");  // expired: round robin goes on
}

TEST(Fig4Distributor, DisplaysShowTheDistribution) {
    dist_fixture f;
    auto& m1 = f.n("MVS1");
    EXPECT_EQ(f.n("MVS4").cmd("NETSTAT VIPADYN"), (lines{
        header,
        "Dynamic VIPA:",
        "  IP Address      AddressMask     Status    Origin       DistStat",
        "  ----------      -----------     ------    ------       --------",
        "  198.18.2.2      255.255.255.0   Backup    VIPABackup   Dest",
        "    ActTime:      n/a",
        "  198.18.2.1      255.255.255.0   Active    VIPADistribute Dest",
        "    ActTime:      n/a",
        "2 of 2 records displayed"}));
    (void)m1;
}

TEST(Fig4Distributor, UnresponsiveTargetIsReportedAndRecovers) {
    dist_fixture f;
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) f.serve(sys);
    auto& m1 = f.n("MVS1");
    auto& c = f.s.client(1);
    // MVS4's server never answers: its clients never complete the handshake.
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(f.connect(1, static_cast<std::uint16_t>(51000 + 3 * i)), "MVS1");
        EXPECT_EQ(f.connect(1, static_cast<std::uint16_t>(51001 + 3 * i)), "MVS2");
        auto port = static_cast<std::uint16_t>(51002 + 3 * i);
        c.send(tcp_segment(c.address, port, dva1, 60, SYN));
        f.s.pump();
        EXPECT_EQ(f.landed(c.address, port), (lines{"MVS4"}));
    }
    m1.new_messages();
    f.s.advance(61000);
    EXPECT_EQ(m1.new_messages(), (lines{"EZD1182I TARGET SERVER FOR 198.18.2.1 PORT 60 AT TCPIPA ON MVS4 IS NOT "
                                        "RESPONSIVE - TCSR 0 CER 0 SEF 100"}));
    auto vdpt = m1.cmd("NETSTAT VDPT");
    EXPECT_EQ(vdpt[14], "  TotalConn:  0000000003  Rdy: 001  WLM: 01  TSR: 0");
    // It answers again: responsive at the next sample.
    for (int i = 0; i < 3; ++i) f.connect(1, static_cast<std::uint16_t>(52000 + i));
    f.s.advance(60000);
    EXPECT_EQ(m1.new_messages(), (lines{"EZD1183I TARGET SERVER FOR 198.18.2.1 PORT 60 AT TCPIPA ON MVS4 IS "
                                        "RESPONSIVE - TCSR 100 CER 100 SEF 100"}));
}

TEST(Fig4Distributor, ImageClientsOfATargetGoThroughTheDistributorUnlessOptlocal) {
    const std::uint32_t mvs4_osa = ip("198.18.0.14");
    {
        dist_fixture f;  // NOOPTLOCAL, the default
        for (const char* sys : {"MVS1", "MVS2", "MVS4"}) f.serve(sys);
        auto& m4 = f.n("MVS4");
        m4.s->app_packet(tcp_segment(mvs4_osa, 53000, dva1, 60, SYN));
        f.s.pump();
        EXPECT_EQ(f.landed(mvs4_osa, 53000), (lines{"MVS1"}));  // round robin's first
        m4.s->app_packet(tcp_segment(mvs4_osa, 53001, dva1, 60, SYN));
        f.s.pump();
        EXPECT_EQ(f.landed(mvs4_osa, 53001), (lines{"MVS2"}));
        m4.s->app_packet(tcp_segment(mvs4_osa, 53002, dva1, 60, SYN));
        f.s.pump();
        EXPECT_EQ(f.landed(mvs4_osa, 53002), (lines{"MVS4"}));  // back over the link, encapsulated
        // MVS1's server answers over the LAN to MVS4's image.
        auto before = m4.app_in.size();
        f.n("MVS1").s->app_packet(tcp_segment(dva1, 60, mvs4_osa, 53000, SYN | ACK));
        f.s.pump();
        ASSERT_EQ(m4.app_in.size(), before + 1);
        EXPECT_EQ(get32(m4.app_in.back(), 12), dva1);
        // The image's packets never crossed the LAN: sealed on both links, to the
        // distributor and from it to the target it chose.
        for (const char* sys : {"MVS1", "MVS4"}) {
            EXPECT_GT(f.n(sys).links_sealed, 0u) << sys;
            EXPECT_EQ(f.n(sys).links_integrity_only, 0u) << sys;
        }
    }
    dist_fixture f({{"MVS1", mvs1_with("  VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN OPTLOCAL 0 198.18.2.1\n"
                                       "                 PORT 60\n"
                                       "                 DESTIP 198.18.1.1 198.18.1.2 198.18.1.4\n")}});
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) f.serve(sys);
    auto& m4 = f.n("MVS4");
    for (std::uint16_t port : {53000, 53001, 53002}) {
        m4.s->app_packet(tcp_segment(mvs4_osa, port, dva1, 60, SYN));
        f.s.pump();
        EXPECT_EQ(f.landed(mvs4_osa, port), (lines{"MVS4"}));
    }
    EXPECT_EQ(f.n("MVS1").cmd("NETSTAT VDPT")[14], "  TotalConn:  0000000000  Rdy: 001  WLM: 01  TSR: 100");
    // Without a local server OPTLOCAL does not apply: the distributor decides.
    m4.s->listener_removed(ipv4_address{dva1}, 60);
    m4.s->app_packet(tcp_segment(mvs4_osa, 53003, dva1, 60, SYN));
    f.s.pump();
    EXPECT_EQ(f.landed(mvs4_osa, 53003), (lines{"MVS1"}));
}
