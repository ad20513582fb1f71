// SPDX-License-Identifier: Apache-2.0
// OBEYFILE semantics against a running configuration, and SYNTAXCHECK.
#include "helpers.hpp"

#include <gtest/gtest.h>

namespace zplex::tcpip::profile::test {
namespace {

const char* running_text =
    "IPCONFIG IPSECURITY SYSPLEXROUTING DYNAMICXCF 198.18.1.1 255.255.255.0 1\n"
    "IPSEC DVIPSEC\n IPSECRULE * * PROTOCOL UDP SRCPORT 500 DESTPORT 500\nENDIPSEC\n"
    "VIPADYNAMIC\n"
    " VIPADEFINE MOVEABLE IMMEDIATE 255.255.255.0 198.18.2.1\n"
    " VIPADISTRIBUTE DISTMETHOD ROUNDROBIN 198.18.2.1 PORT 60 DESTIP 198.18.1.1 198.18.1.2\n"
    "ENDVIPADYNAMIC\n"
    "INTERFACE OSA1 DEFINE IPAQENET PORTNAME P1 IPADDR 198.18.0.11/24\n"
    "BEGINROUTES\n ROUTE DEFAULT 198.18.0.254 OSA1\nENDROUTES\n"
    "PORT 60 TCP SERVER\n";

profile running() {
    auto r = initial(running_text);
    EXPECT_EQ(r.rc(), 0) << r.text();
    return r.cfg;
}

TEST(obeyfile, redefining_a_dvipa_needs_vipadelete_first) {
    auto p = running();
    auto log = obey(p, "VIPADYNAMIC\n VIPADEFINE 255.255.255.0 198.18.2.1\nENDVIPADYNAMIC\n");
    EXPECT_TRUE(log.has("EZZ0326I"));
    EXPECT_EQ(p.dvipas.size(), 1u);
    EXPECT_EQ(p.distributions.size(), 1u) << "the running distribution is untouched";
}

TEST(obeyfile, vipadelete_then_redefine_replaces_the_dvipa_and_its_distribution) {
    auto p = running();
    auto log = obey(p, "VIPADYNAMIC\n VIPADELETE 198.18.2.1\n"
                       " VIPABACKUP 100 MOVEABLE IMMEDIATE 255.255.255.0 198.18.2.1\nENDVIPADYNAMIC\n");
    EXPECT_EQ(log.return_code(), 0);
    ASSERT_EQ(p.dvipas.size(), 1u);
    EXPECT_EQ(p.dvipas[0].origin, vipa_origin::backup);
    EXPECT_TRUE(p.distributions.empty());
}

TEST(obeyfile, switch_distribution_to_hotstandby) {
    auto p = running();
    auto log = obey(p, "VIPADYNAMIC\n"
                       " VIPADISTRIBUTE DELETE 198.18.2.1 PORT 60 DESTIP 198.18.1.1 198.18.1.2\n"
                       " VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY 198.18.2.1 PORT 60\n"
                       "   DESTIP 198.18.1.1 PREFERRED 198.18.1.2 BACKUP 50\n"
                       "ENDVIPADYNAMIC\n");
    EXPECT_EQ(log.return_code(), 0);
    ASSERT_EQ(p.distributions.size(), 1u);
    EXPECT_EQ(p.distributions[0].method, dist_method::hotstandby);
}

TEST(obeyfile, dvipsec_is_refused_but_the_rules_are_replaced) {
    auto p = running();
    p.ipsec.dvipsec = false;
    auto log = obey(p, "IPSEC DVIPSEC\n IPSECRULE * * PROTOCOL ICMP\n IPSECRULE * * PROTOCOL OSPF\nENDIPSEC\n");
    EXPECT_EQ(log.return_code(), 4);
    EXPECT_TRUE(log.has("ZPX0107I"));
    EXPECT_FALSE(p.ipsec.dvipsec);
    ASSERT_EQ(p.ipsec.rules.size(), 2u);
    EXPECT_EQ(p.ipsec.rules[1].protocol, 89);
}

TEST(obeyfile, dvipsec_on_stays_on_when_an_obeyfile_omits_it) {
    auto p = running();
    auto log = obey(p, "IPSEC\n IPSECRULE * * PROTOCOL ICMP\nENDIPSEC\n");
    EXPECT_EQ(log.return_code(), 0);
    EXPECT_TRUE(p.ipsec.dvipsec);
}

TEST(obeyfile, initial_only_globalconfig_and_ipsecurity) {
    profile p;  // a stack started without IPSECURITY
    auto log = obey(p, "GLOBALCONFIG XCFGRPID 5\nIPCONFIG IPSECURITY\n");
    EXPECT_EQ(log.return_code(), 4);
    EXPECT_FALSE(p.globalconfig.xcf_group_id);
    EXPECT_FALSE(p.ipconfig.ipsecurity);
}

TEST(obeyfile, dynamicxcf_cannot_change) {
    auto p = running();
    auto log = obey(p, "IPCONFIG DYNAMICXCF 198.18.1.9 255.255.255.0 1\n");
    EXPECT_EQ(log.return_code(), 8);
    EXPECT_EQ(p.ipconfig.dynamic_xcf->address.str(), "198.18.1.1");
}

TEST(obeyfile, beginroutes_and_port_replace_the_running_lists) {
    auto p = running();
    auto log = obey(p, "BEGINROUTES\n ROUTE 198.19.0.0/16 198.18.0.1 OSA1\nENDROUTES\nPORT 61 TCP OTHER\n");
    EXPECT_EQ(log.return_code(), 0);
    ASSERT_EQ(p.routes.size(), 1u);
    EXPECT_FALSE(p.routes[0].is_default);
    ASSERT_EQ(p.ports.size(), 1u);
    EXPECT_EQ(p.ports[0].port, 61);
}

TEST(obeyfile, statements_before_an_error_stay_applied) {
    auto p = running();
    auto log = obey(p, "IPCONFIG NOSYSPLEXROUTING\nBOGUS\nTCPCONFIG NODELAYACKS\n");
    EXPECT_EQ(log.return_code(), 8);
    EXPECT_FALSE(p.ipconfig.sysplex_routing);
    EXPECT_FALSE(p.tcpconfig.delay_acks);
}

TEST(syntaxcheck, reports_and_applies_nothing) {
    message_log log;
    parse_options o;
    o.reader = [](std::string_view, std::string&) -> std::optional<std::pair<std::string, std::string>> {
        return std::make_pair(std::string("IPCONFIG SYSPLEXROUTING\n"), std::string("'USER.OBEY'"));
    };
    syntax_check("USER.OBEY", o, log);
    ASSERT_GE(log.messages().size(), 3u);
    EXPECT_EQ(log.messages().front().id, "EZZ0061I");
    EXPECT_TRUE(log.has("EZZ0062I"));
    EXPECT_EQ(log.messages().back().id, "EZZ0065I");
    message_log bad;
    o.reader = [](std::string_view, std::string&) -> std::optional<std::pair<std::string, std::string>> {
        return std::make_pair(std::string("NOPE\n"), std::string("'USER.OBEY'"));
    };
    syntax_check("USER.OBEY", o, bad);
    EXPECT_FALSE(bad.has("EZZ0062I"));
    EXPECT_TRUE(bad.has("EZZ0324I"));
}

}  // namespace
}  // namespace zplex::tcpip::profile::test
