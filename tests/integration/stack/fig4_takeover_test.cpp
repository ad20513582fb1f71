// SPDX-License-Identifier: Apache-2.0
// FIG4 in one process: takeover by rank (both orders), a better backup taking from a
// lesser one, the mask form of VIPABACKUP creating a DVIPA, fencing, conflicts.
#include "stack_sim.hpp"

#include <gtest/gtest.h>

using namespace zplex::test;
using zplex::tcpip::stack::dvipa_status;
using lines = std::vector<std::string>;

namespace {
void settle_all(fig4& s) {
    s.start_all({"MVS5", "MVS1", "MVS2", "MVS3", "MVS4"});
    for (auto& n : s.nodes) n->new_messages();
}
}  // namespace

TEST(Fig4Takeover, HighestRankedBackupTakesOverWhenOwnerFails) {
    fig4 s;
    settle_all(s);
    auto& c = s.client(1);
    c.send(echo_request(c.address, ip("198.18.2.2"), 1));
    s.pump();
    EXPECT_EQ(c.arp.at(ip("198.18.2.2")), s.node("MVS5").id.mac);

    // MVS5 (VIPADEFINE) fails: MVS4 (rank 100) takes DVB1 over, not MVS1 (rank 50).
    s.kill("MVS5");
    EXPECT_EQ(s.node("MVS4").new_messages(), (lines{"EZZ8301I VIPA 198.18.2.2 TAKEN OVER FROM TCPIPA ON MVS5"}));
    EXPECT_EQ(s.node("MVS1").new_messages(), lines{});
    EXPECT_EQ(s.node("MVS4").dvipa("198.18.2.2")->status, dvipa_status::active);
    EXPECT_EQ(s.node("MVS1").dvipa("198.18.2.2")->status, dvipa_status::backup);
    // Gratuitous ARP moved the client's cache entry; pings now reach MVS4.
    EXPECT_EQ(c.arp.at(ip("198.18.2.2")), s.node("MVS4").id.mac);
    c.send(echo_request(c.address, ip("198.18.2.2"), 2));
    s.pump();
    EXPECT_EQ(c.echo_replies_from(ip("198.18.2.2")), 2);
    EXPECT_EQ(c.received_from.back(), s.node("MVS4").id.mac);

    EXPECT_EQ(s.node("MVS2").cmd("D TCPIP,,SYSPLEX,VIPADYN"), (lines{
        "EZZ8260I SYSPLEX CS V2R4",
        "VIPA DYNAMIC DISPLAY FROM TCPIPA   AT MVS2",
        "IPADDR: 198.18.2.1  LINKNAME: VIPLC6120201",
        "  ORIGIN: VIPADEFINE",
        "  TCPNAME  MVSNAME  STATUS RANK DIST",
        "  -------- -------- ------ ---- ----",
        "  TCPIPA   MVS1     ACTIVE      BOTH",
        "  TCPIPA   MVS4     ACTIVE      DEST",
        "  TCPIPA   MVS2     BACKUP 100  DEST",
        "IPADDR: 198.18.2.2  LINKNAME: VIPLC6120202",
        "  ORIGIN: VIPABACKUP",
        "  TCPNAME  MVSNAME  STATUS RANK DIST",
        "  -------- -------- ------ ---- ----",
        "  TCPIPA   MVS4     ACTIVE      BOTH",  // MVS4 distributes DVB1 now
        "  TCPIPA   MVS2     ACTIVE      DEST",
        "  TCPIPA   MVS1     BACKUP 050  DEST",
        "2 OF 2 RECORDS DISPLAYED"}));
}

TEST(Fig4Takeover, LowerBackupTakesOverThenGivesToBetterOneArriving) {
    fig4 s;
    settle_all(s);
    s.kill("MVS4");   // the rank-100 backup is down first
    s.kill("MVS5");   // then the owner: only MVS1 (rank 50) is left
    EXPECT_EQ(s.node("MVS1").new_messages(), (lines{"EZZ8301I VIPA 198.18.2.2 TAKEN OVER FROM TCPIPA ON MVS5"}));
    // MVS4 comes back: it outranks the holder and takes DVB1 from it.
    auto& m4 = s.start("MVS4");
    EXPECT_EQ(s.node("MVS1").new_messages(), (lines{"EZZ8303I VIPA 198.18.2.2 GIVEN TO TCPIPA ON MVS4"}));
    EXPECT_EQ(m4.new_messages(), (lines{
        "EZD1176I TCPIPA HAS SUCCESSFULLY JOINED THE TCP/IP SYSPLEX GROUP EZBTCPCS",
        "EZD1214I INITIAL DYNAMIC VIPA PROCESSING HAS COMPLETED FOR TCPIPA",
        "EZZ8302I VIPA 198.18.2.2 TAKEN FROM TCPIPA ON MVS1"}));
    EXPECT_EQ(m4.dvipa("198.18.2.2")->status, dvipa_status::active);
    EXPECT_EQ(s.node("MVS1").dvipa("198.18.2.2")->status, dvipa_status::backup);
    EXPECT_EQ(s.client(1).arp.count(ip("198.18.2.2")), 0u);  // never asked: no entry to update
    // The owner returns too: VIPADEFINE MOVEABLE IMMEDIATE takes it back.
    auto& m5 = s.start("MVS5");
    EXPECT_EQ(m4.new_messages(), (lines{"EZZ8303I VIPA 198.18.2.2 GIVEN TO TCPIPA ON MVS5"}));
    EXPECT_EQ(m5.new_messages().back(), "EZZ8302I VIPA 198.18.2.2 TAKEN FROM TCPIPA ON MVS4");
}

TEST(Fig4Takeover, MaskedBackupCreatesTheDvipaWhenItComesUpFirst) {
    fig4 s;
    // MVS1 alone: DVA1 by its VIPADEFINE, DVB1 by VIPABACKUP 50 MOVEABLE IMMEDIATE with a mask.
    auto& m1 = s.start("MVS1");
    EXPECT_EQ(m1.dvipa("198.18.2.2")->status, dvipa_status::active);
    // MVS2's VIPABACKUP for DVA1 has a mask too, but a VIPADEFINE holds DVA1: nothing moves.
    auto& m2 = s.start("MVS2");
    EXPECT_EQ(m2.dvipa("198.18.2.1")->status, dvipa_status::backup);
    auto& m5 = s.start("MVS5");
    EXPECT_EQ(m5.dvipa("198.18.2.2")->status, dvipa_status::active);
    EXPECT_EQ(m1.dvipa("198.18.2.2")->status, dvipa_status::backup);
    auto msgs = m1.new_messages();
    EXPECT_EQ(msgs.back(), "EZZ8303I VIPA 198.18.2.2 GIVEN TO TCPIPA ON MVS5");
}

TEST(Fig4Takeover, PartitionedSystemFencesItselfAndItsBackupTakesOver) {
    fig4 s;
    settle_all(s);
    auto& m1 = s.node("MVS1");
    auto& c = s.client(1);
    s.partition("MVS1");
    EXPECT_EQ(m1.new_messages(), (lines{"ZPX1020E TCPIPA ON MVS1 IS FENCED: ITS SYSTEM WAS PARTITIONED OUT OF THE "
                                         "SYSPLEX, NOTHING MORE IS SENT"}));
    EXPECT_EQ(s.node("MVS2").new_messages(), (lines{"EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1"}));
    EXPECT_TRUE(m1.s->fenced());
    auto sent = m1.frames_sent;
    c.send(echo_request(c.address, ip("198.18.0.11"), 1));  // MVS1's own OSA address
    c.send(echo_request(c.address, ip("198.18.2.1"), 2));   // now on MVS2
    s.pump();
    s.advance(3000);
    EXPECT_EQ(m1.frames_sent, sent);  // not one frame more
    EXPECT_EQ(c.echo_replies_from(ip("198.18.0.11")), 0);
    EXPECT_EQ(c.echo_replies_from(ip("198.18.2.1")), 1);
    EXPECT_GT(m1.s->drops()[zplex::tcpip::stack::drop::fenced], 0u);
    EXPECT_EQ(m1.cmd("D TCPIP,,SYSPLEX,VIPADYN"),
              (lines{"EZZ8269I TCPIPA MVS1 IS NOT A MEMBER OF A SYSPLEX GROUP"}));
}

TEST(Fig4Takeover, TwoHoldersAfterAPartitionHealsTheLesserGivesUp) {
    fig4 s;
    // MVS3 gets its own VIPADEFINE for DVA1 (a duplicate of MVS1's).
    s.override_text["MVS3"] =
        "INCLUDE SYS1.TCPPARMS(COMMON)\n"
        "IPCONFIG DATAGRAMFWD SYSPLEXROUTING DYNAMICXCF 198.18.1.3 255.255.255.0 1\n"
        "VIPADYNAMIC\n  VIPADEFINE MOVEABLE IMMEDIATE 255.255.255.0 198.18.2.1\nENDVIPADYNAMIC\n"
        "START OSAQDIO1\n";
    s.start("MVS1");
    s.partitioned.insert("MVS3TCPIPA");   // MVS3 starts cut off from the group's messages
    auto& m3 = s.start("MVS3");
    EXPECT_EQ(m3.dvipa("198.18.2.1")->status, dvipa_status::active);
    EXPECT_EQ(s.node("MVS1").dvipa("198.18.2.1")->status, dvipa_status::active);
    s.partitioned.clear();  // healed: each hears the other join
    s.node("MVS1").s->member_joined("MVS3TCPIPA");
    m3.s->member_joined("MVS1TCPIPA");
    s.pump();
    m3.new_messages();
    s.advance(100);
    EXPECT_EQ(s.node("MVS1").dvipa("198.18.2.1")->status, dvipa_status::active);
    EXPECT_EQ(m3.dvipa("198.18.2.1")->status, dvipa_status::backup);
    EXPECT_EQ(m3.log.back(), "ZPX1010I VIPA 198.18.2.1 IS ALSO ACTIVE ON TCPIPA ON MVS1: TCPIPA GIVES IT UP");
}

TEST(Fig4Takeover, DuplicateVipadefineArrivingTakesItImmediately) {
    fig4 s;
    s.override_text["MVS3"] =
        "INCLUDE SYS1.TCPPARMS(COMMON)\n"
        "IPCONFIG DATAGRAMFWD SYSPLEXROUTING DYNAMICXCF 198.18.1.3 255.255.255.0 1\n"
        "VIPADYNAMIC\n  VIPADEFINE MOVEABLE IMMEDIATE 255.255.255.0 198.18.2.1\nENDVIPADYNAMIC\n"
        "START OSAQDIO1\n";
    auto& m1 = s.start("MVS1");
    m1.new_messages();
    auto& m3 = s.start("MVS3");
    EXPECT_EQ(m1.new_messages(), (lines{"EZZ8303I VIPA 198.18.2.1 GIVEN TO TCPIPA ON MVS3"}));
    EXPECT_EQ(m3.new_messages().back(), "EZZ8302I VIPA 198.18.2.1 TAKEN FROM TCPIPA ON MVS1");
    // MVS1 stays a backup (rank 255): it does not take it back.
    s.advance(1000);
    EXPECT_EQ(m1.dvipa("198.18.2.1")->status, dvipa_status::backup);
    EXPECT_EQ(m3.dvipa("198.18.2.1")->status, dvipa_status::active);
}
