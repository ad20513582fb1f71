// SPDX-License-Identifier: Apache-2.0
// The sysplex picture: EZZ8260I read into owners, backups and targets; the text and the
// Graphviz source name every part.
#include <zplex/operating/topology.hpp>

#include <gtest/gtest.h>

namespace zplex::operating {
namespace {

const char* fig4_display =
    "EZZ8260I SYSPLEX CS V2R4\n"
    "VIPA DYNAMIC DISPLAY FROM TCPIPA   AT MVS2\n"
    "IPADDR: 198.18.2.1  LINKNAME: VIPLC6120201\n"
    "  ORIGIN: VIPADEFINE\n"
    "  TCPNAME  MVSNAME  STATUS RANK DIST\n"
    "  -------- -------- ------ ---- ----\n"
    "  TCPIPA   MVS1     ACTIVE      BOTH\n"
    "  TCPIPA   MVS4     ACTIVE      DEST\n"
    "  TCPIPA   MVS2     BACKUP 100  DEST\n"
    "IPADDR: 198.18.2.2  LINKNAME: VIPLC6120202\n"
    "  ORIGIN: VIPADEFINE\n"
    "  TCPNAME  MVSNAME  STATUS RANK DIST\n"
    "  -------- -------- ------ ---- ----\n"
    "  TCPIPA   MVS5     ACTIVE      BOTH\n"
    "  TCPIPA   MVS1     BACKUP 050  DEST\n"
    "  TCPIPA   MVS4     BACKUP 100\n"
    "2 OF 2 RECORDS DISPLAYED\n";

TEST(topology, the_sysplex_display_gives_owner_backups_by_rank_and_targets) {
    auto v = dvipas_from_sysplex_display(fig4_display);
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[0].address, "198.18.2.1");
    EXPECT_EQ(v[0].owner, "MVS1");
    EXPECT_EQ(v[0].backups, (std::vector<topology_backup>{{"MVS2", 100}}));
    EXPECT_EQ(v[0].targets, (std::vector<std::string>{"MVS1", "MVS4", "MVS2"}));
    EXPECT_EQ(v[1].owner, "MVS5");
    EXPECT_EQ(v[1].backups, (std::vector<topology_backup>{{"MVS4", 100}, {"MVS1", 50}}));
    EXPECT_EQ(v[1].targets, (std::vector<std::string>{"MVS5", "MVS1"}));
}

TEST(topology, an_undistributed_dvipa_has_its_active_stack_as_owner_and_no_targets) {
    auto v = dvipas_from_sysplex_display("IPADDR: 198.18.2.9  LINKNAME: X\n  TCPIPA   MVS3     ACTIVE\n"
                                         "  TCPIPA   MVS2     BACKUP 010\n");
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].owner, "MVS3");
    EXPECT_TRUE(v[0].targets.empty());
}

TEST(topology, bad_lines_are_skipped_not_trusted) {
    EXPECT_TRUE(dvipas_from_sysplex_display("  TCPIPA MVS1 ACTIVE\nEZZ8269I NOT A MEMBER\n").empty());
    auto v = dvipas_from_sysplex_display("IPADDR: 1.2.3.4\n  A\n  TCPIPA MVS1 ACTIVE 9999 BOTH\n  X Y BACKUP zz\n");
    ASSERT_EQ(v.size(), 1u);
    EXPECT_TRUE(v[0].owner.empty()) << "9999 is not a rank: BOTH is not read after it";
    EXPECT_EQ(v[0].backups, (std::vector<topology_backup>{{"Y", 0}}));
}

topology sample() {
    topology t;
    t.sysplex = "ZPLEX1";
    t.source = "CATALOGUE x";
    t.lan_name = "LAN1";
    t.lan_subnet = "198.18.0.0/24";
    t.images = {{"MVS1", "TCPIPA", "ACTIVE", "198.18.0.11/24", "198.18.1.1", {"APPA"}},
                {"MVS2", "TCPIPA", "NOT ACTIVE", "198.18.0.12/24", "198.18.1.2", {}}};
    t.cfs = {{"CF01", "ACTIVE", {"EZBDVIPA"}}};
    t.dvipas = dvipas_from_sysplex_display(fig4_display);
    t.hosts = {{"CLIENT1", "198.18.0.101/24", "client"}, {"PEER\"1", "198.18.0.200/24", "ipsec-peer"}};
    return t;
}

TEST(topology, the_text_names_every_part) {
    auto s = to_text(sample());
    EXPECT_EQ(s.rfind("ZPX1870I SYSPLEX ZPLEX1 TOPOLOGY FROM CATALOGUE x\n", 0), 0u) << s;
    EXPECT_NE(s.find("MVS1     TCPIPA   ACTIVE       198.18.0.11/24   198.18.1.1       APPA\n"), std::string::npos) << s;
    EXPECT_NE(s.find("CF       CF01     ACTIVE       STRUCTURES EZBDVIPA\n"), std::string::npos) << s;
    EXPECT_NE(s.find("DVIPA    198.18.2.2      OWNER MVS5       BACKUP MVS4(100) MVS1(50)  TARGETS MVS5 MVS1\n"),
              std::string::npos)
        << s;
    EXPECT_NE(s.find("HOST     CLIENT1  198.18.0.101/24    client\n"), std::string::npos) << s;
}

TEST(topology, the_graph_has_a_node_per_part_and_edges_for_owner_backup_and_target) {
    auto d = to_dot(sample());
    EXPECT_EQ(d.rfind("digraph \"ZPLEX1\" {", 0), 0u);
    for (const char* n : {"\"image:MVS1\" [", "\"image:MVS2\" [", "\"cf:CF01\" [", "\"dvipa:198.18.2.1\" [",
                          "\"host:CLIENT1\" [", "\"lan:LAN1\" ["})
        EXPECT_NE(d.find(n), std::string::npos) << n << "\n" << d;
    EXPECT_NE(d.find("\"dvipa:198.18.2.1\" -> \"image:MVS1\" [label=\"owner\""), std::string::npos);
    EXPECT_NE(d.find("\"dvipa:198.18.2.1\" -> \"image:MVS2\" [label=\"backup 100\""), std::string::npos);
    EXPECT_NE(d.find("\"dvipa:198.18.2.1\" -> \"image:MVS4\" [label=\"target\""), std::string::npos);
    EXPECT_NE(d.find("\"host:PEER\\\"1\""), std::string::npos) << "quotes in names are escaped";
    EXPECT_EQ(d.back(), '\n');
}

}  // namespace
}  // namespace zplex::operating
