// SPDX-License-Identifier: Apache-2.0
// IPSEC ... ENDIPSEC: DVIPSEC, logging, IPSECRULE forms, one block only, IPSECURITY.
#include "helpers.hpp"

#include <gtest/gtest.h>

namespace zplex::tcpip::profile::test {
namespace {

const char* secure = "IPCONFIG IPSECURITY\n";

TEST(ipsec, swsa_owner_block) {
    auto r = initial(std::string(secure) +
                     "IPSEC DVIPSEC DVLOCALFLTR LOGENABLE LOGIMPLICIT\n"
                     "  IPSECRULE * * NOLOG PROTOCOL OSPF\n"
                     "  IPSECRULE * * NOLOG PROTOCOL ICMP TYPE 8 CODE 0\n"
                     "  IPSECRULE * * NOLOG PROTOCOL UDP SRCPORT 500 DESTPORT 500\n"
                     "  IPSECRULE 198.18.1.0/24 198.18.1.0/24 LOG PROTOCOL *\n"
                     "  IPSECRULE 198.18.2.1 198.18.0.100-198.18.0.200 PROTOCOL TCP SRCPORT 60 DESTPORT 1024 65535\n"
                     "     ROUTING EITHER SECCLASS 3 DIRECTION INBCONNECT\n"
                     "ENDIPSEC\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    const auto& s = r.cfg.ipsec;
    EXPECT_TRUE(s.present);
    EXPECT_TRUE(s.dvipsec);
    EXPECT_TRUE(s.dvlocalfltr);
    EXPECT_TRUE(s.log_enable);
    EXPECT_TRUE(s.log_implicit);
    ASSERT_EQ(s.rules.size(), 5u);
    EXPECT_EQ(s.rules[0].protocol, 89);
    EXPECT_EQ(s.rules[1].icmp_type, 8);
    EXPECT_EQ(s.rules[2].source_ports->low, 500);
    EXPECT_TRUE(s.rules[3].log);
    EXPECT_FALSE(s.rules[3].protocol);
    EXPECT_EQ(s.rules[3].source.type, ip_filter_address::kind::prefix);
    EXPECT_TRUE(s.rules[3].source.matches(ipv4_address::parse("198.18.1.77").value()));
    EXPECT_FALSE(s.rules[3].source.matches(ipv4_address::parse("198.18.2.1").value()));
    EXPECT_EQ(s.rules[4].destination.type, ip_filter_address::kind::range);
    EXPECT_EQ(s.rules[4].dest_ports->high, 65535);
    EXPECT_EQ(s.rules[4].routing, filter_routing::either);
    EXPECT_EQ(s.rules[4].direction, filter_direction::inbconnect);
}

TEST(ipsec, abbreviations) {
    auto r = initial(std::string(secure) + "IPSEC DVIP LOGEN\n IPSECR * * PROTO UDP SRCP 4500 DESTP 4500 DIREC OUTB\nENDIPSEC\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_TRUE(r.cfg.ipsec.dvipsec);
    EXPECT_EQ(r.cfg.ipsec.rules.at(0).direction, filter_direction::outbound);
}

TEST(ipsec, ignored_without_ipsecurity) {
    auto r = initial("IPSEC DVIPSEC\n IPSECRULE * * PROTOCOL ICMP\nENDIPSEC\n");
    EXPECT_EQ(r.rc(), 4) << r.text();
    EXPECT_TRUE(r.has("ZPX0120I", "IPCONFIG IPSECURITY IS NOT SPECIFIED"));
    EXPECT_FALSE(r.cfg.ipsec.present);
    EXPECT_FALSE(r.cfg.ipsec.dvipsec);
}

TEST(ipsec, only_the_first_block_is_processed) {
    auto r = initial(std::string(secure) + "IPSEC\n IPSECRULE * * PROTOCOL ICMP\nENDIPSEC\n"
                                           "IPSEC DVIPSEC\n IPSECRULE * * PROTOCOL OSPF\nENDIPSEC\n");
    EXPECT_TRUE(r.has("ZPX0108I", "ON LINE 5")) << r.text();
    EXPECT_FALSE(r.cfg.ipsec.dvipsec);
    ASSERT_EQ(r.cfg.ipsec.rules.size(), 1u);
    EXPECT_EQ(r.cfg.ipsec.rules[0].protocol, 1);
}

TEST(ipsec, a_bad_rule_is_dropped_and_the_others_kept) {
    auto r = initial(std::string(secure) + "IPSEC\n IPSECRULE * * PROTOCOL ICMP SRCPORT 5\n"
                                           " IPSECRULE 198.18.1.0/33 * \n IPSECRULE * * PROTOCOL UDP\nENDIPSEC\n");
    EXPECT_TRUE(r.has("EZZ0319I", "SRCPORT IS VALID ONLY WITH PROTOCOL TCP OR UDP")) << r.text();
    EXPECT_TRUE(r.has("EZZ0319I", "'198.18.1.0/33'")) << r.text();
    ASSERT_EQ(r.cfg.ipsec.rules.size(), 1u);
    EXPECT_EQ(r.cfg.ipsec.rules[0].protocol, 17);
}

TEST(ipsec, rule_validation) {
    auto bad = [&](const std::string& rule) { return initial(std::string(secure) + "IPSEC\n" + rule + "\nENDIPSEC\n"); };
    EXPECT_TRUE(bad(" IPSECRULE 198.18.1.1/24 *").has("EZZ0319I", "HOST BITS"));
    EXPECT_TRUE(bad(" IPSECRULE 198.18.1.9-198.18.1.1 *").has("EZZ0319I", "RANGE"));
    EXPECT_TRUE(bad(" IPSECRULE * * PROTOCOL TCP DIRECTION SIDEWAYS").has("EZZ0318I", "'SIDEWAYS'"));
    EXPECT_TRUE(bad(" IPSECRULE * * PROTOCOL UDP DIRECTION INBCONNECT").has("EZZ0319I", "INBCONNECT"));
    EXPECT_TRUE(bad(" IPSECRULE * * PROTOCOL TCP SRCPORT 90 80").has("EZZ0319I", "HIGH PORT"));
    EXPECT_TRUE(bad(" IPSECRULE *").has("EZZ0318I", "A DESTINATION ADDRESS"));
    EXPECT_TRUE(bad(" IPSECRULE * * PROTOCOL ICMP DVIPSEC").has("EZZ0318I", "'DVIPSEC' FOUND ON LINE 3"));
    EXPECT_TRUE(bad(" FOO").has("EZZ0318I", "'FOO' FOUND ON LINE 3 COLUMN 2"));
    EXPECT_TRUE(initial(std::string(secure) + "IPSEC DVLOCALFLTR\nENDIPSEC\n").has("EZZ0319I", "ONLY AFTER DVIPSEC"));
}

TEST(ipsec, missing_endipsec) {
    auto r = initial(std::string(secure) + "IPSEC\n IPSECRULE * * PROTOCOL ICMP\nIPCONFIG SYSPLEXROUTING\n");
    EXPECT_TRUE(r.has("EZZ0318I", "WHEN ENDIPSEC WAS EXPECTED")) << r.text();
    EXPECT_TRUE(r.cfg.ipconfig.sysplex_routing) << "the next statement is still processed";
}

TEST(ipsec, ipsec6rule_recognised_not_emulated) {
    auto r = initial(std::string(secure) + "IPSEC\n IPSEC6RULE * * PROTOCOL ICMP6\nENDIPSEC\n");
    EXPECT_EQ(r.rc(), 4) << r.text();
    EXPECT_TRUE(r.has("ZPX0100I", "IPSEC6RULE"));
}

TEST(ipsec, tcpstacksourcevipa_on_a_swsa_dvipa_is_flagged) {
    auto r = initial("IPCONFIG IPSECURITY SOURCEVIPA TCPSTACKSOURCEVIPA 198.18.2.1 DYNAMICXCF 198.18.1.1 255.255.255.0 1\n"
                     "  SYSPLEXROUTING\n"
                     "IPSEC DVIPSEC\nENDIPSEC\n"
                     "VIPADYNAMIC\nVIPADEFINE 255.255.255.0 198.18.2.1\nVIPADIST 198.18.2.1 DESTIP ALL\nENDVIPADYNAMIC\n");
    EXPECT_TRUE(r.has("ZPX0124I", "198.18.2.1")) << r.text();
}

}  // namespace
}  // namespace zplex::tcpip::profile::test
