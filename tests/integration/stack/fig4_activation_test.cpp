// SPDX-License-Identifier: Apache-2.0
// FIG4's five stacks in one process: activation at start, the displays, routing, ICMP.
#include "stack_sim.hpp"

#include <gtest/gtest.h>

using namespace zplex::test;
using lines = std::vector<std::string>;

namespace {
const std::string header = "MVS TCP/IP NETSTAT CS V2R4       TCPIP Name: TCPIPA           08:00:00";
const std::string joined = "EZD1176I TCPIPA HAS SUCCESSFULLY JOINED THE TCP/IP SYSPLEX GROUP EZBTCPCS";
const std::string initial = "EZD1214I INITIAL DYNAMIC VIPA PROCESSING HAS COMPLETED FOR TCPIPA";
}  // namespace

TEST(Fig4Activation, DefinesActivateAtStartAndBackupsWait) {
    fig4 s;
    s.start_all({"MVS5", "MVS1", "MVS2", "MVS3", "MVS4"});
    for (auto& n : s.nodes) EXPECT_EQ(n->new_messages(), (lines{joined, initial})) << n->sysname;
    auto& m1 = s.node("MVS1");
    EXPECT_EQ(m1.dvipa("198.18.2.1")->status, zplex::tcpip::stack::dvipa_status::active);
    EXPECT_EQ(s.node("MVS5").dvipa("198.18.2.2")->status, zplex::tcpip::stack::dvipa_status::active);
    EXPECT_EQ(s.node("MVS2").dvipa("198.18.2.1")->status, zplex::tcpip::stack::dvipa_status::backup);

    EXPECT_EQ(m1.cmd("NETSTAT VIPADYN"), (lines{
        header,
        "Dynamic VIPA:",
        "  IP Address      AddressMask     Status    Origin       DistStat",
        "  ----------      -----------     ------    ------       --------",
        "  198.18.2.1      255.255.255.0   Active    VIPADefine   Dist/Dest",
        "    ActTime:      12/01/2026 08:00:00",
        "  198.18.2.2      255.255.255.0   Backup    VIPABackup   Dest",
        "    ActTime:      n/a",
        "2 of 2 records displayed"}));
    auto op = m1.cmd("D TCPIP,TCPIPA,NETSTAT,VIPADYN");
    ASSERT_EQ(op.size(), 10u);
    EXPECT_EQ(op[0].rfind("EZD0101I NETSTAT CS V2R4 TCPIPA ", 0), 0u);
    EXPECT_EQ(op[4], "  198.18.2.1      255.255.255.0   ACTIVE    VIPADEFINE   DIST/DEST");
    EXPECT_EQ(op[8], "2 OF 2 RECORDS DISPLAYED");
    EXPECT_EQ(op[9], "END OF THE REPORT");

    EXPECT_EQ(m1.cmd("D TCPIP,,SYSPLEX,VIPADYN"), (lines{
        "EZZ8260I SYSPLEX CS V2R4",
        "VIPA DYNAMIC DISPLAY FROM TCPIPA   AT MVS1",
        "IPADDR: 198.18.2.1  LINKNAME: VIPLC6120201",
        "  ORIGIN: VIPADEFINE",
        "  TCPNAME  MVSNAME  STATUS RANK DIST",
        "  -------- -------- ------ ---- ----",
        "  TCPIPA   MVS1     ACTIVE      BOTH",
        "  TCPIPA   MVS4     ACTIVE      DEST",  // a target only: DVA1 is internal there
        "  TCPIPA   MVS2     BACKUP 100  DEST",
        "IPADDR: 198.18.2.2  LINKNAME: VIPLC6120202",
        "  ORIGIN: VIPADEFINE",
        "  TCPNAME  MVSNAME  STATUS RANK DIST",
        "  -------- -------- ------ ---- ----",
        "  TCPIPA   MVS5     ACTIVE      BOTH",
        "  TCPIPA   MVS4     BACKUP 100",       // its state went out before MVS5 named it a target
        "  TCPIPA   MVS1     BACKUP 050  DEST",
        "2 OF 2 RECORDS DISPLAYED"}));

    EXPECT_EQ(m1.cmd("NETSTAT VIPADCFG"), (lines{
        header,
        "Dynamic VIPA Information:",
        "  VIPA Backup:",
        "    IpAddr/PrefixLen: 198.18.2.2/24",
        "      Rank: 000050  Moveable: Immediate  SrvMgr: No",
        "  VIPA Define:",
        "    IpAddr/PrefixLen: 198.18.2.1/24",
        "      Moveable: Immediate  SrvMgr: No",
        "  VIPA Range:",
        "    IpAddr/PrefixLen: 198.18.2.64/26",
        "      Moveable: NonDisr",
        "  VIPA Distribute:",
        "    Dest:        198.18.2.1..60",
        "      DestXCF:   198.18.1.1",
        "        SysPt:   No       TimAff: No      Flg: RoundRobin",
        "    Dest:        198.18.2.1..60",
        "      DestXCF:   198.18.1.2",
        "        SysPt:   No       TimAff: No      Flg: RoundRobin",
        "    Dest:        198.18.2.1..60",
        "      DestXCF:   198.18.1.4",
        "        SysPt:   No       TimAff: No      Flg: RoundRobin",
        "    Dest:        198.18.2.2..60",
        "      DestXCF:   ALL",
        "        SysPt:   No       TimAff: No      Flg: RoundRobin"}));

    EXPECT_EQ(m1.cmd("NETSTAT HOME"), (lines{
        header, "Home address list:",
        "IntfName:   OSAQDIO1", "  Address:  198.18.0.11", "    Flags:  Primary",
        "LinkName:   VIPA1L", "  Address:  198.18.3.1", "    Flags:",
        "LinkName:   EZAXCFM2", "  Address:  198.18.1.1", "    Flags:",
        "LinkName:   EZAXCFM3", "  Address:  198.18.1.1", "    Flags:",
        "LinkName:   EZAXCFM4", "  Address:  198.18.1.1", "    Flags:",
        "LinkName:   EZAXCFM5", "  Address:  198.18.1.1", "    Flags:",
        "LinkName:   VIPLC6120201", "  Address:  198.18.2.1", "    Flags:",
        "LinkName:   VIPLC6120202", "  Address:  198.18.2.2", "    Flags:  Internal",  // target of MVS5's DVB1
        "LinkName:   LOOPBACK", "  Address:  127.0.0.1", "    Flags:"}));

    EXPECT_EQ(m1.cmd("NETSTAT ROUTE"), (lines{
        header,
        "IPv4 Destinations",
        "Destination        Gateway         Flags    Refcnt     Interface",
        "-----------        -------         -----    ------     ---------",
        "Default            198.18.0.254    UGS      0000000000 OSAQDIO1",
        "127.0.0.1/32       0.0.0.0         UH       0000000000 LOOPBACK",
        "198.18.0.0/24      0.0.0.0         US       0000000000 OSAQDIO1",
        "198.18.0.11/32     0.0.0.0         UH       0000000000 OSAQDIO1",
        "198.18.1.2/32      0.0.0.0         UH       0000000000 EZAXCFM2",
        "198.18.1.3/32      0.0.0.0         UH       0000000000 EZAXCFM3",
        "198.18.1.4/32      0.0.0.0         UH       0000000000 EZAXCFM4",
        "198.18.1.5/32      0.0.0.0         UH       0000000000 EZAXCFM5",
        "198.18.2.1/32      0.0.0.0         UH       0000000000 VIPLC6120201",
        "198.18.2.2/32      0.0.0.0         UH       0000000000 EZAXCFM5",
        "198.18.3.1/32      0.0.0.0         UH       0000000000 VIPA1L"}));
}

TEST(Fig4Activation, PingHomeAndDvipaArpAndDevlinks) {
    fig4 s;
    s.start_all({"MVS5", "MVS1", "MVS2", "MVS3", "MVS4"});
    auto& c = s.client(1);
    auto& m1 = s.node("MVS1");
    c.send(echo_request(c.address, ip("198.18.0.11"), 1));
    c.send(echo_request(c.address, ip("198.18.3.1"), 2));  // static VIPA: the stack answers ARP for it
    c.send(echo_request(c.address, ip("198.18.2.1"), 3));  // DVIPA on MVS1
    c.send(echo_request(c.address, ip("198.18.2.2"), 4));  // DVIPA on MVS5
    s.pump();
    EXPECT_EQ(c.echo_replies_from(ip("198.18.0.11")), 1);
    EXPECT_EQ(c.echo_replies_from(ip("198.18.3.1")), 1);
    EXPECT_EQ(c.echo_replies_from(ip("198.18.2.1")), 1);
    EXPECT_EQ(c.echo_replies_from(ip("198.18.2.2")), 1);
    EXPECT_EQ(c.arp.at(ip("198.18.2.1")), m1.id.mac);
    EXPECT_EQ(c.arp.at(ip("198.18.2.2")), s.node("MVS5").id.mac);
    // Nobody answers ARP for a backup's DVIPA or an XCF address on the LAN.
    c.send(echo_request(c.address, ip("198.18.1.2"), 5));
    s.pump();
    EXPECT_EQ(c.arp.count(ip("198.18.1.2")), 0u);

    EXPECT_EQ(m1.cmd("NETSTAT ARP 198.18.0.101"), (lines{
        header, "Querying ARP cache for address 198.18.0.101", "Link:   OSAQDIO1            ETHERNET: 020000000101"}));
    auto dev = m1.cmd("NETSTAT DEVLINKS");
    ASSERT_GE(dev.size(), 13u);
    EXPECT_EQ(dev[1], "IntfName: OSAQDIO1          IntfType: IPAQENET    IntfStatus: Ready");
    EXPECT_EQ(dev[2], "    PortName: OSAPRT1");
    EXPECT_EQ(dev[3], "    MacAddress: 020000000011");
    EXPECT_EQ(dev[4], "    ActMtu: 1492");
    EXPECT_EQ(dev[5], "  Interface Statistics:");
    EXPECT_EQ(dev[7], "    Inbound Packets                   = 8");  // 5 broadcast ARP requests, 3 echo requests
    EXPECT_EQ(dev[13], "DevName: VIPA1              DevType: VIPA");
}

TEST(Fig4Activation, ForwardingTtlAndXcfRoutes) {
    fig4 s;
    s.start_all({"MVS5", "MVS1", "MVS2", "MVS3", "MVS4"});
    auto& c = s.client(1);
    c.gateway = ip("198.18.0.11");  // everything off the LAN through MVS1
    // MVS1 forwards to MVS2's dynamic XCF address over the XCF link (DATAGRAMFWD);
    // MVS2 answers on the LAN.
    c.send(echo_request(c.address, ip("198.18.1.2"), 1));
    s.pump();
    EXPECT_EQ(c.echo_replies_from(ip("198.18.1.2")), 1);
    // TTL 1: MVS1 answers time exceeded from its OSA address.
    c.send(echo_request(c.address, ip("198.18.1.2"), 2, 1));
    s.pump();
    ASSERT_FALSE(c.received.empty());
    auto& last = c.received.back();
    EXPECT_EQ(get32(last, 12), ip("198.18.0.11"));
    EXPECT_EQ(last[20], 11);
    EXPECT_EQ(s.node("MVS1").s->drops()[zplex::tcpip::stack::drop::ttl_exceeded], 1u);
}
