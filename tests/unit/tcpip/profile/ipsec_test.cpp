// SPDX-License-Identifier: Apache-2.0
// IPSEC ... ENDIPSEC: DVIPSEC, logging, IPSECRULE and IPSEC6RULE forms, one block only, IPSECURITY.
#include "helpers.hpp"

#include <zplex/tcpip/profile/summary.hpp>

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

const char* secure6 = "IPCONFIG IPSECURITY\nIPCONFIG6 IPSECURITY\n";

TEST(ipsec6, rules_go_into_the_model) {
    auto r = initial(std::string(secure6) +
                     "IPSEC\n"
                     "  IPSECRULE * * PROTOCOL ICMP\n"
                     "  IPSEC6RULE * * NOLOG PROTOCOL ICMPV6 TYPE 135 CODE 0\n"
                     "  IPSEC6R 2001:db8:99::/64 2001:DB8::1-2001:DB8::9 LOG PROTO TCP SRCPORT 1024 65535\n"
                     "     DESTPORT 22 ROUTING ROUTED SECCLASS 7 DIREC INBCONNECT\n"
                     "  IPSEC6RULE 2001:db8::5 * PROTOCOL 58 TYPE 128\n"
                     "  IPSEC6RULE * * PROTOCOL OSPF TYPE 1 FRAGMENTSONLY\n"
                     "ENDIPSEC\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    const auto& s = r.cfg.ipsec;
    ASSERT_EQ(s.rules.size(), 1u);
    ASSERT_EQ(s.rules6.size(), 4u);
    EXPECT_EQ(s.rules6[0].protocol, 58);
    EXPECT_EQ(s.rules6[0].icmp_type, 135);
    EXPECT_EQ(s.rules6[0].icmp_code, 0);
    EXPECT_EQ(s.rules6[0].source.type, ip_filter_address::kind::any);
    const auto& t = s.rules6[1];
    EXPECT_EQ(t.source.type, ip_filter_address::kind::prefix);
    EXPECT_EQ(t.source.prefix_len, 64);
    EXPECT_EQ(t.source.text, "2001:DB8:99::/64");
    ip_filter_address6::bytes in{0x20, 0x01, 0x0d, 0xb8, 0x00, 0x99, 0, 0, 0xde, 0xad, 0, 0, 0, 0, 0, 1};
    ip_filter_address6::bytes out = in;
    out[5] = 0x98;
    EXPECT_TRUE(t.source.matches(in));
    EXPECT_FALSE(t.source.matches(out));
    EXPECT_EQ(t.destination.type, ip_filter_address::kind::range);
    EXPECT_EQ(t.destination.text, "2001:DB8::1-2001:DB8::9");
    EXPECT_TRUE(t.log);
    EXPECT_EQ(t.source_ports->low, 1024);
    EXPECT_EQ(t.dest_ports->high, 22);
    EXPECT_EQ(t.routing, filter_routing::routed);
    EXPECT_EQ(t.secclass, 7);
    EXPECT_EQ(t.direction, filter_direction::inbconnect);
    EXPECT_EQ(s.rules6[2].source.type, ip_filter_address::kind::single);
    EXPECT_EQ(s.rules6[2].source.text, "2001:DB8::5");
    EXPECT_EQ(s.rules6[2].icmp_type, 128);
    EXPECT_TRUE(s.rules6[3].fragments_only);
    EXPECT_EQ(s.rules6[3].protocol, 89);
    auto summary = format_summary(r.cfg, "", "");
    EXPECT_NE(summary.find("RULES 1  IPV6 RULES 4"), std::string::npos) << summary;
    EXPECT_NE(summary.find("    IPSEC6RULE 2001:DB8:99::/64 2001:DB8::1-2001:DB8::9 PROTOCOL TCP SRCPORT 1024-65535 "
                           "DESTPORT 22 INBCONNECT LOG\n"),
              std::string::npos)
        << summary;
    EXPECT_NE(summary.find("    IPSEC6RULE * * PROTOCOL ICMPV6 TYPE 135 CODE 0 BIDIRECTIONAL NOLOG\n"), std::string::npos)
        << summary;
}

TEST(ipsec6, rules_need_ipconfig6_ipsecurity) {
    auto r = initial("IPCONFIG IPSECURITY\nIPSEC\n IPSECRULE * * PROTOCOL ICMP\n IPSEC6RULE * * PROTOCOL ICMPV6\n"
                     "ENDIPSEC\n");
    EXPECT_EQ(r.rc(), 4) << r.text();
    const auto* m = r.find("ZPX0120I");
    ASSERT_NE(m, nullptr) << r.text();
    EXPECT_EQ(m->text, "IPSEC6RULE ON LINE 4 OF 'TEST.PROFILE' IGNORED: IPCONFIG6 IPSECURITY IS NOT SPECIFIED");
    EXPECT_EQ(r.cfg.ipsec.rules.size(), 1u);
    EXPECT_TRUE(r.cfg.ipsec.rules6.empty());
    // IPCONFIG6 IPSECURITY may come after the block: the check is made at the end.
    auto late = initial("IPCONFIG IPSECURITY\nIPSEC\n IPSEC6RULE * * PROTOCOL ICMPV6\nENDIPSEC\nIPCONFIG6 IPSECURITY\n");
    EXPECT_EQ(late.rc(), 0) << late.text();
    EXPECT_EQ(late.cfg.ipsec.rules6.size(), 1u);
    // Without IPCONFIG IPSECURITY the whole block goes, IPv6 rules with it.
    auto none = initial("IPCONFIG6 IPSECURITY\nIPSEC\n IPSEC6RULE * * PROTOCOL ICMPV6\nENDIPSEC\n");
    EXPECT_TRUE(none.has("ZPX0120I", "IPCONFIG IPSECURITY IS NOT SPECIFIED")) << none.text();
    EXPECT_TRUE(none.cfg.ipsec.rules6.empty());
}

TEST(ipsec6, bad_rules_are_dropped_with_a_reason) {
    auto bad = [&](const std::string& rule) {
        return initial(std::string(secure6) + "IPSEC\n" + rule + "\n IPSEC6RULE * * PROTOCOL UDP\nENDIPSEC\n");
    };
    auto expect = [&](const std::string& rule, const std::string& text) {
        auto r = bad(rule);
        const auto* m = r.find("EZZ0319I");
        ASSERT_NE(m, nullptr) << rule << "\n" << r.text();
        EXPECT_EQ(m->text, text) << rule;
        EXPECT_EQ(r.rc(), 8);
        ASSERT_EQ(r.cfg.ipsec.rules6.size(), 1u) << rule;  // the good rule after it is kept
        EXPECT_EQ(r.cfg.ipsec.rules6[0].protocol, 17);
    };
    expect(" IPSEC6RULE 198.18.1.1 *",
           "INCORRECT VALUE '198.18.1.1' FOR A SOURCE ADDRESS ON LINE 4 COLUMN 13 OF 'TEST.PROFILE': "
           "IPV4 ADDRESSES BELONG IN IPSECRULE");
    expect(" IPSEC6RULE * 2001:db8::1/64",
           "INCORRECT VALUE '2001:db8::1/64' FOR A DESTINATION ADDRESS ON LINE 4 COLUMN 15 OF 'TEST.PROFILE': "
           "HOST BITS ARE SET BEYOND THE PREFIX LENGTH");
    expect(" IPSEC6RULE 2001:db8::9-2001:db8::1 *",
           "INCORRECT VALUE '2001:db8::9-2001:db8::1' FOR A SOURCE ADDRESS ON LINE 4 COLUMN 13 OF 'TEST.PROFILE': "
           "NOT A VALID IPV6 ADDRESS RANGE LOW-HIGH");
    expect(" IPSEC6RULE 2001:db8::zz *",
           "INCORRECT VALUE '2001:db8::zz' FOR A SOURCE ADDRESS ON LINE 4 COLUMN 13 OF 'TEST.PROFILE': "
           "NOT A VALID IPV6 ADDRESS OR ADDRESS/PREFIX LENGTH");
    expect(" IPSEC6RULE * * PROTOCOL ICMP",
           "INCORRECT VALUE 'ICMP' FOR IPSEC6RULE PROTOCOL ON LINE 4 COLUMN 26 OF 'TEST.PROFILE': "
           "ICMP IS AN IPV4 PROTOCOL: AN IPSEC6RULE NAMES ICMPV6");
    expect(" IPSEC6RULE * * PROTOCOL TCP TYPE 3",
           "INCORRECT VALUE 'TYPE' FOR IPSEC6RULE ON LINE 4 COLUMN 30 OF 'TEST.PROFILE': "
           "TYPE IS VALID ONLY WITH PROTOCOL ICMPV6 OR OSPF");
    expect(" IPSEC6RULE * * PROTOCOL OSPF CODE 3",
           "INCORRECT VALUE 'CODE' FOR IPSEC6RULE ON LINE 4 COLUMN 31 OF 'TEST.PROFILE': "
           "CODE IS VALID ONLY WITH PROTOCOL ICMPV6");
    expect(" IPSEC6RULE * * PROTOCOL UDP DIRECTION OUTBCONNECT",
           "INCORRECT VALUE 'IPSEC6RULE' FOR IPSEC6RULE ON LINE 4 COLUMN 2 OF 'TEST.PROFILE': "
           "INBCONNECT AND OUTBCONNECT ARE VALID ONLY WITH PROTOCOL TCP");
    // ICMPV6 is not an IPv4 protocol.
    auto v4 = initial(std::string(secure6) + "IPSEC\n IPSECRULE * * PROTOCOL ICMPV6\nENDIPSEC\n");
    EXPECT_TRUE(v4.has("EZZ0319I", "ICMPV6 IS VALID ONLY IN IPSEC6RULE")) << v4.text();
    EXPECT_TRUE(v4.cfg.ipsec.rules.empty());
    // A missing address.
    auto missing = initial(std::string(secure6) + "IPSEC\n IPSEC6RULE *\nENDIPSEC\n");
    EXPECT_TRUE(missing.has("EZZ0318I", "A DESTINATION ADDRESS (*, AN IPV6 ADDRESS")) << missing.text();
}

TEST(ipsec6, obeyfile_rules_meet_the_running_ipconfig6) {
    auto with = initial(std::string(secure6) + "IPSEC\nENDIPSEC\n");
    auto log = obey(with.cfg, "IPSEC\n IPSEC6RULE * * PROTOCOL ICMPV6\nENDIPSEC\n");
    EXPECT_EQ(log.return_code(), 0);
    EXPECT_EQ(with.cfg.ipsec.rules6.size(), 1u);
    auto without = initial("IPCONFIG IPSECURITY\nIPSEC\nENDIPSEC\n");
    auto log2 = obey(without.cfg, "IPSEC\n IPSEC6RULE * * PROTOCOL ICMPV6\nENDIPSEC\n");
    EXPECT_EQ(log2.return_code(), 4);
    EXPECT_TRUE(without.cfg.ipsec.rules6.empty());
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
