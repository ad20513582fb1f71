// SPDX-License-Identifier: Apache-2.0
// FIG4 in one process: V TCPIP,,SYSPLEX,LEAVEGROUP and JOINGROUP. Leaving deletes the
// stack's dynamic VIPAs (backups take them over), takes its dynamic XCF links down and
// keeps its VIPADYNAMIC configuration; joining again reprocesses it.
#include "stack_sim.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace zplex::test;
using zplex::tcpip::stack::dvipa_status;
using lines = std::vector<std::string>;

namespace {
/// The report's lines after the NETSTAT banner (its time of day varies).
lines body(lines report) {
    if (!report.empty()) report.erase(report.begin());
    return report;
}

const std::string xcf_dev_mvs2 = "DevName: MVS2" + std::string(15, ' ') + "DevType: MPCPTP";

bool has_line(const lines& v, const std::string& l) { return std::find(v.begin(), v.end(), l) != v.end(); }
}  // namespace

TEST(Fig4Group, LeavegroupMovesTheDvipasAndJoingroupRestoresThem) {
    fig4 s;
    s.start_fig4_quietly();
    auto& m1 = s.node("MVS1");
    auto& m2 = s.node("MVS2");
    auto& m4 = s.node("MVS4");
    auto& c = s.client(1);
    const auto dva1 = ip("198.18.2.1");
    c.send(echo_request(c.address, dva1, 1));
    s.pump();
    EXPECT_EQ(c.arp.at(dva1), m1.id.mac);

    EXPECT_EQ(m1.cmd("V TCPIP,,SYSPLEX,LEAVEGROUP"), (lines{"ZPX1001I VARY TCPIP,,SYSPLEX,LEAVEGROUP COMPLETED ON TCPIPA"}));
    EXPECT_EQ(m1.new_messages(), (lines{"ZPX1033I TCPIPA HAS LEFT THE TCP/IP SYSPLEX GROUP EZBTCPCS: ITS DYNAMIC VIPAS "
                                        "ARE DELETED, ITS VIPADYNAMIC CONFIGURATION IS KEPT"}));
    s.pump();
    s.advance(100);
    // The backups take over what MVS1 held; MVS1 was a backup of DVB1 only.
    EXPECT_EQ(m2.new_messages(), (lines{"EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1"}));
    EXPECT_EQ(m4.new_messages(), lines{});
    EXPECT_EQ(m2.dvipa("198.18.2.1")->status, dvipa_status::active);
    // Gratuitous ARP moved the client: DVA1 answers from MVS2.
    EXPECT_EQ(c.arp.at(dva1), m2.id.mac);
    c.send(echo_request(c.address, dva1, 2));
    s.pump();
    EXPECT_EQ(c.echo_replies_from(dva1), 2);
    EXPECT_EQ(c.received_from.back(), m2.id.mac);

    // MVS1's own view: no DVIPA, not in the group, the XCF links down.
    EXPECT_TRUE(m1.s->dvipas().empty());
    EXPECT_EQ(m1.cmd("D TCPIP,,SYSPLEX,VIPADYN"), (lines{"EZZ8269I TCPIPA MVS1 IS NOT A MEMBER OF A SYSPLEX GROUP"}));
    EXPECT_EQ(body(m1.cmd("NETSTAT VIPADYN")),
              (lines{"Dynamic VIPA:", "  IP Address      AddressMask     Status    Origin       DistStat",
                     "  ----------      -----------     ------    ------       --------", "0 of 0 records displayed"}));
    auto home = body(m1.cmd("NETSTAT HOME"));
    EXPECT_FALSE(has_line(home, "  Address:  198.18.2.1"));
    EXPECT_FALSE(has_line(home, "  Address:  198.18.1.1"));  // the dynamic XCF address
    auto dev = body(m1.cmd("NETSTAT DEVLINKS"));
    EXPECT_TRUE(has_line(dev, xcf_dev_mvs2));
    auto at = std::find(dev.begin(), dev.end(), xcf_dev_mvs2);
    ASSERT_NE(at, dev.end());
    EXPECT_EQ(*(at + 1), "  DevStatus: Not Active");
    EXPECT_EQ(*(at + 2), "  LnkName: EZAXCFM2           LnkType: MPCPTP   LnkStatus: Not Active");
    // The VIPADYNAMIC configuration is kept (VIPADCFG shows it).
    auto cfg = body(m1.cmd("NETSTAT VIPADCFG"));
    EXPECT_TRUE(has_line(cfg, "    IpAddr/PrefixLen: 198.18.2.1/24")) << cfg.size();
    // The others no longer list MVS1.
    auto sysplex = m2.cmd("D TCPIP,,SYSPLEX,VIPADYN");
    EXPECT_EQ(std::count_if(sysplex.begin(), sysplex.end(),
                            [](const std::string& l) { return l.find("MVS1") != std::string::npos; }),
              0)
        << sysplex.size();
    // MVS1 no longer answers ARP for DVA1 or receives frames for it.
    auto sent = m1.frames_sent;
    c.send(echo_request(c.address, dva1, 3));
    s.pump();
    EXPECT_EQ(c.received_from.back(), m2.id.mac);

    // Refused while out of the group.
    EXPECT_EQ(m1.cmd("V TCPIP,,SYSPLEX,LEAVEGROUP"),
              (lines{"ZPX1031I VARY TCPIP,,SYSPLEX,LEAVEGROUP: TCPIPA IS NOT A MEMBER OF A SYSPLEX GROUP"}));
    EXPECT_EQ(m1.cmd("V TCPIP,,SYSPLEX,DEACTIVATE,DVIPA=198.18.2.1"),
              (lines{"ZPX1031I VARY TCPIP,,SYSPLEX,DEACTIVATE: TCPIPA IS NOT A MEMBER OF A SYSPLEX GROUP"}));
    EXPECT_EQ(m1.cmd("V TCPIP,,SYSPLEX,LEAVEGROUP,NOW"),
              (lines{"ZPX1031I VARY TCPIP,,SYSPLEX,LEAVEGROUP TAKES NO OPERAND, NOT 'NOW'"}));
    // A bind in a VIPARANGE creates nothing while out.
    m1.s->listener_added(zplex::tcpip::profile::ipv4_address{ip("198.18.2.70")}, 80, "APPA");
    EXPECT_TRUE(m1.s->dvipas().empty());
    EXPECT_EQ(m1.frames_sent, sent);

    // JOINGROUP (abbreviated JOIN): the configuration is reprocessed; the VIPADEFINE
    // MOVEABLE IMMEDIATE takes DVA1 back from MVS2.
    EXPECT_EQ(m1.cmd("V TCPIP,TCPIPA,SYSPLEX,JOIN"), (lines{"ZPX1001I VARY TCPIP,,SYSPLEX,JOINGROUP COMPLETED ON TCPIPA"}));
    s.pump();
    s.advance(100);
    EXPECT_EQ(m1.new_messages(), (lines{"EZD1192I THE VIPADYNAMIC CONFIGURATION WAS SUCCESSFULLY RESTORED FOR TCPIPA",
                                        "EZD1176I TCPIPA HAS SUCCESSFULLY JOINED THE TCP/IP SYSPLEX GROUP EZBTCPCS",
                                        "EZD1214I INITIAL DYNAMIC VIPA PROCESSING HAS COMPLETED FOR TCPIPA",
                                        "EZZ8302I VIPA 198.18.2.1 TAKEN FROM TCPIPA ON MVS2"}));
    EXPECT_EQ(m2.new_messages(), (lines{"EZZ8303I VIPA 198.18.2.1 GIVEN TO TCPIPA ON MVS1"}));
    EXPECT_EQ(m1.dvipa("198.18.2.1")->status, dvipa_status::active);
    EXPECT_EQ(m1.dvipa("198.18.2.2")->status, dvipa_status::backup);
    EXPECT_EQ(c.arp.at(dva1), m1.id.mac);
    dev = body(m1.cmd("NETSTAT DEVLINKS"));
    at = std::find(dev.begin(), dev.end(), xcf_dev_mvs2);
    ASSERT_NE(at, dev.end());
    EXPECT_EQ(*(at + 1), "  DevStatus: Ready");
    EXPECT_TRUE(has_line(body(m1.cmd("NETSTAT HOME")), "  Address:  198.18.1.1"));
    EXPECT_EQ(m1.cmd("V TCPIP,,SYSPLEX,JOINGROUP"),
              (lines{"ZPX1031I VARY TCPIP,,SYSPLEX,JOINGROUP: TCPIPA IS ALREADY A MEMBER OF SYSPLEX GROUP EZBTCPCS"}));
}

TEST(Fig4Group, LeavingBackupIsNotEligibleAndAFencedStackCannotRejoin) {
    fig4 s;
    s.start_fig4_quietly();
    auto& m2 = s.node("MVS2");
    // MVS2, DVA1's backup, leaves: when MVS1 fails, nobody takes DVA1.
    m2.cmd("V TCPIP,,SYSPLEX,LEAVEGROUP");
    s.pump();
    m2.new_messages();
    s.kill("MVS1");
    EXPECT_EQ(m2.new_messages(), lines{});
    EXPECT_TRUE(m2.s->dvipas().empty());
    // Back in the group, it takes DVA1 over (MVS1 held it last).
    m2.cmd("V TCPIP,,SYSPLEX,JOINGROUP");
    s.pump();
    s.advance(100);
    EXPECT_EQ(m2.new_messages(), (lines{"EZD1192I THE VIPADYNAMIC CONFIGURATION WAS SUCCESSFULLY RESTORED FOR TCPIPA",
                                        "EZD1176I TCPIPA HAS SUCCESSFULLY JOINED THE TCP/IP SYSPLEX GROUP EZBTCPCS",
                                        "EZD1214I INITIAL DYNAMIC VIPA PROCESSING HAS COMPLETED FOR TCPIPA",
                                        "EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1"}));
    s.partition("MVS2");
    m2.new_messages();
    EXPECT_EQ(m2.cmd("V TCPIP,,SYSPLEX,JOINGROUP"),
              (lines{"ZPX1031I VARY TCPIP,,SYSPLEX,JOINGROUP: TCPIPA IS FENCED: ITS SYSTEM MUST BE RE-IPLED"}));
    EXPECT_EQ(m2.cmd("V TCPIP,,SYSPLEX,LEAVEGROUP"),
              (lines{"ZPX1031I VARY TCPIP,,SYSPLEX,LEAVEGROUP: TCPIPA IS NOT A MEMBER OF A SYSPLEX GROUP"}));
}
