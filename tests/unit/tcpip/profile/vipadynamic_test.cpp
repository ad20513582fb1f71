// SPDX-License-Identifier: Apache-2.0
// VIPADYNAMIC block: VIPADEFINE, VIPABACKUP, VIPADELETE, VIPADISTRIBUTE, VIPARANGE, VIPAROUTE.
#include "helpers.hpp"

#include <zplex/tcpip/profile/summary.hpp>

#include <gtest/gtest.h>

namespace zplex::tcpip::profile::test {
namespace {

const char* xcf = "IPCONFIG SYSPLEXROUTING DYNAMICXCF 198.18.1.1 255.255.255.0 1\n";

result vd(const std::string& body) {
    return initial(std::string(xcf) + "VIPADYNAMIC\n" + body + "ENDVIPADYNAMIC\n");
}

TEST(vipadefine, defines_each_address_with_mask_and_moveable) {
    auto r = vd("VIPADEFINE MOVEABLE WHENIDLE 255.255.255.0 198.18.2.1 198.18.2.3\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    ASSERT_EQ(r.cfg.dvipas.size(), 2u);
    EXPECT_EQ(r.cfg.dvipas[0].address.str(), "198.18.2.1");
    EXPECT_EQ(r.cfg.dvipas[1].address.str(), "198.18.2.3");
    EXPECT_EQ(r.cfg.dvipas[0].prefix_len, 24);
    EXPECT_EQ(r.cfg.dvipas[0].moveable, moveable_mode::whenidle);
    EXPECT_EQ(r.cfg.dvipas[0].origin, vipa_origin::define);
    EXPECT_EQ(r.cfg.dvipas[0].where.line, 3);
}

TEST(vipadefine, minimum_abbreviations_are_accepted_and_shorter_ones_refused) {
    auto r = initial(std::string(xcf) + "VIPAD\n VIPADEF MOVE IMMED 255.255.255.0 198.18.2.1\nENDVIPAD\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    ASSERT_EQ(r.cfg.dvipas.size(), 1u);
    EXPECT_EQ(r.cfg.dvipas[0].moveable, moveable_mode::immediate);
    auto bad = vd("VIPADE 255.255.255.0 198.18.2.1\n");
    EXPECT_TRUE(bad.has("EZZ0324I", "UNRECOGNIZED STATEMENT VIPADE FOUND ON LINE 3")) << bad.text();
    EXPECT_TRUE(bad.cfg.dvipas.empty());
    auto toolong = vd("VIPADEFINEX 255.255.255.0 198.18.2.1\n");
    EXPECT_TRUE(toolong.has("EZZ0324I", "VIPADEFINEX")) << toolong.text();
}

TEST(vipadefine, noncontiguous_mask_is_refused) {
    auto r = vd("VIPADEFINE 255.0.255.0 198.18.2.1\n");
    EXPECT_TRUE(r.has("EZZ0319I", "INCORRECT VALUE '255.0.255.0'")) << r.text();
    EXPECT_TRUE(r.cfg.dvipas.empty());
}

TEST(vipadefine, missing_mask_or_address) {
    EXPECT_TRUE(vd("VIPADEFINE MOVEABLE IMMEDIATE\n").has("EZZ0318I", "WHEN AN ADDRESS MASK WAS EXPECTED"));
    EXPECT_TRUE(vd("VIPADEFINE 255.255.255.0\n").has("EZZ0318I", "WHEN A DYNAMIC VIPA ADDRESS WAS EXPECTED"));
    EXPECT_TRUE(vd("VIPADEFINE MOVEABLE SOMETIMES 255.255.255.0 198.18.2.1\n")
                    .has("EZZ0318I", "'SOMETIMES' FOUND ON LINE 3 COLUMN 21"));
}

TEST(vipadefine, bad_address_octet_names_the_token) {
    auto r = vd("VIPADEFINE 255.255.255.0 198.18.2.300\n");
    EXPECT_TRUE(r.has("EZZ0319I", "INCORRECT VALUE '198.18.2.300' FOR A DYNAMIC VIPA ADDRESS ON LINE 3 COLUMN 26"))
        << r.text();
}

TEST(vipadefine, a_second_definition_without_vipadelete_is_a_conflict) {
    auto r = vd("VIPADEFINE 255.255.255.0 198.18.2.1\nVIPABACKUP 100 198.18.2.1\n");
    EXPECT_TRUE(r.has("EZZ0326I", "VIPABACKUP CONFLICTS WITH VIPADEFINE VALUE 198.18.2.1 USED ON LINE 3")) << r.text();
    ASSERT_EQ(r.cfg.dvipas.size(), 1u);
    EXPECT_EQ(r.cfg.dvipas[0].origin, vipa_origin::define);
}

TEST(vipadefine, vipadelete_then_redefine_in_the_same_profile) {
    auto r = vd("VIPADEFINE 255.255.255.0 198.18.2.1\nVIPADELETE 198.18.2.1\nVIPABACKUP 50 198.18.2.1\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    ASSERT_EQ(r.cfg.dvipas.size(), 1u);
    EXPECT_EQ(r.cfg.dvipas[0].origin, vipa_origin::backup);
    EXPECT_EQ(r.cfg.dvipas[0].rank, 50);
}

TEST(vipabackup, rank_defaults_to_one_and_is_bounded) {
    auto r = vd("VIPABACKUP 198.18.2.1\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_EQ(r.cfg.dvipas.at(0).rank, 1);
    EXPECT_FALSE(r.cfg.dvipas.at(0).mask_given);
    EXPECT_TRUE(vd("VIPABACKUP 255 198.18.2.1\n").has("EZZ0319I", "NOT IN THE RANGE 1 TO 254"));
    EXPECT_TRUE(vd("VIPABACKUP 0 198.18.2.1\n").has("EZZ0319I", "NOT IN THE RANGE 1 TO 254"));
}

TEST(vipabackup, second_form_carries_its_own_mask) {
    auto r = vd("VIPAB 100 MOVEABLE IMMEDIATE 255.255.255.0 198.18.2.1 198.18.2.2\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    ASSERT_EQ(r.cfg.dvipas.size(), 2u);
    EXPECT_TRUE(r.cfg.dvipas[0].mask_given);
    EXPECT_EQ(r.cfg.dvipas[0].prefix_len, 24);
    EXPECT_EQ(r.cfg.dvipas[1].rank, 100);
}

TEST(vipadelete, unknown_address_is_a_warning_only) {
    auto r = vd("VIPADELETE 198.18.2.9\n");
    EXPECT_EQ(r.rc(), 4) << r.text();
    EXPECT_TRUE(r.has("ZPX0103I", "198.18.2.9"));
}

TEST(vipadistribute, fig4_routing_stack_definition) {
    auto r = vd("VIPADEFINE MOVEABLE IMMEDIATE 255.255.255.0 198.18.2.1\n"
                "VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN 198.18.2.1 PORT 60\n"
                "   DESTIP 198.18.1.1 198.18.1.2 198.18.1.4\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    ASSERT_EQ(r.cfg.distributions.size(), 1u);
    const auto& d = r.cfg.distributions[0];
    EXPECT_EQ(d.address.str(), "198.18.2.1");
    ASSERT_TRUE(d.port);
    EXPECT_EQ(d.port->low, 60);
    EXPECT_EQ(d.method, dist_method::roundrobin);
    ASSERT_EQ(d.targets.size(), 3u);
    EXPECT_EQ(d.targets[2].xcf.str(), "198.18.1.4");
    EXPECT_FALSE(d.dest_all);
}

TEST(vipadistribute, destip_all_several_ports_and_options) {
    auto r = vd("VIPADEFINE 255.255.255.0 198.18.2.2\n"
                "VIPADIST SYSPLEXP TIMEDAFF 30 OPTLOCAL 2 DISTM SERVERWLM 198.18.2.2 PORT 60 443 5000-5003 DESTIP ALL\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    ASSERT_EQ(r.cfg.distributions.size(), 3u);
    EXPECT_TRUE(r.cfg.distributions[0].dest_all);
    EXPECT_TRUE(r.cfg.distributions[0].sysplex_ports);
    EXPECT_EQ(r.cfg.distributions[0].timed_affinity, 30u);
    EXPECT_EQ(r.cfg.distributions[0].optlocal, 2);
    EXPECT_EQ(r.cfg.distributions[2].port->low, 5000);
    EXPECT_EQ(r.cfg.distributions[2].port->high, 5003);
    EXPECT_EQ(r.cfg.distributions[0].method, dist_method::serverwlm);
}

TEST(vipadistribute, default_method_is_basewlm_and_no_port_means_all) {
    auto r = vd("VIPADEFINE 255.255.255.0 198.18.2.2\nVIPADISTRIBUTE 198.18.2.2 DESTIP ALL\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_EQ(r.cfg.distributions.at(0).method, dist_method::basewlm);
    EXPECT_FALSE(r.cfg.distributions.at(0).port);
}

TEST(vipadistribute, needs_a_preceding_vipadefine_or_vipabackup) {
    auto r = vd("VIPADISTRIBUTE 198.18.2.7 PORT 60 DESTIP ALL\n");
    EXPECT_TRUE(r.has("EZZ0319I", "NO VIPADEFINE OR VIPABACKUP FOR 198.18.2.7 PRECEDES IT")) << r.text();
    EXPECT_TRUE(r.cfg.distributions.empty());
}

TEST(vipadistribute, needs_destip) {
    auto r = vd("VIPADEFINE 255.255.255.0 198.18.2.2\nVIPADISTRIBUTE 198.18.2.2 PORT 60\n");
    EXPECT_TRUE(r.has("EZZ0318I", "WHEN DESTIP WAS EXPECTED")) << r.text();
}

TEST(vipadistribute, weightedactive_weights_default_to_ten) {
    auto r = vd("VIPADEFINE 255.255.255.0 198.18.2.2\n"
                "VIPADISTRIBUTE DISTMETHOD WEIGHTEDACTIVE 198.18.2.2 PORT 5000 DESTIP 198.18.1.2 WEIGHT 20 198.18.1.3\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_EQ(r.cfg.distributions.at(0).targets.at(0).weight, 20);
    EXPECT_EQ(r.cfg.distributions.at(0).targets.at(1).weight, 10);
}

TEST(vipadistribute, weight_without_weightedactive_is_refused) {
    auto r = vd("VIPADEFINE 255.255.255.0 198.18.2.2\n"
                "VIPADISTRIBUTE DISTMETHOD ROUNDROBIN 198.18.2.2 PORT 5000 DESTIP 198.18.1.2 WEIGHT 20\n");
    EXPECT_TRUE(r.has("EZZ0319I", "WEIGHT ON LINE 4")) << r.text();
}

TEST(vipadistribute, hotstandby_valid) {
    auto r = vd("VIPADEFINE 255.255.255.0 198.18.2.1\n"
                "VIPADISTRIBUTE DISTMETHOD HOTSTANDBY AUTOSWITCHBACK NOHEALTHSWITCH 198.18.2.1 PORT 60\n"
                "  DESTIP 198.18.1.1 PREFERRED 198.18.1.2 BACKUP 50 198.18.1.4 BACKUP 100\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    const auto& d = r.cfg.distributions.at(0);
    EXPECT_EQ(d.targets.at(0).role, target_role::preferred);
    EXPECT_EQ(d.targets.at(2).backup_rank, 100);
    EXPECT_TRUE(d.auto_switchback);
    EXPECT_FALSE(d.health_switch);
}

TEST(vipadistribute, hotstandby_rules_ezz0826i_to_ezz0831i) {
    const std::string def = "VIPADEFINE 255.255.255.0 198.18.2.1\n";
    EXPECT_TRUE(vd(def + "VIPADIST DISTM HOTSTANDBY 198.18.2.1 DESTIP 198.18.1.2 BACKUP 198.18.1.3 BACKUP\n")
                    .has("EZZ0826I", "0 PREFERRED"));
    EXPECT_TRUE(vd(def + "VIPADIST DISTM HOTSTANDBY 198.18.2.1 DESTIP 198.18.1.2 PREFERRED 198.18.1.3 PREFERRED\n")
                    .has("EZZ0826I", "2 PREFERRED"));
    EXPECT_TRUE(vd(def + "VIPADIST DISTM HOTSTANDBY 198.18.2.1 DESTIP 198.18.1.2 PREFERRED\n").has("EZZ0827I"));
    std::string many = "VIPADIST DISTM HOTSTANDBY 198.18.2.1 DESTIP 198.18.1.1 PREFERRED";
    for (int i = 2; i <= 33; ++i) {
        many += " 198.18.1." + std::to_string(i) + " BACKUP";
    }
    EXPECT_TRUE(vd(def + many + "\n").has("EZZ0829I", "32 BACKUP TARGETS"));
    EXPECT_TRUE(vd(def + "VIPADIST DISTM HOTSTANDBY 198.18.2.1 DESTIP 198.18.1.2 PREFERRED 198.18.1.2 BACKUP\n")
                    .has("EZZ0830I", "198.18.1.2"));
    EXPECT_TRUE(vd(def + "VIPADIST DISTM ROUNDROBIN 198.18.2.1 DESTIP 198.18.1.2 PREFERRED\n")
                    .has("EZZ0831I", "VALID ONLY WITH DISTMETHOD HOTSTANDBY"));
    EXPECT_TRUE(vd(def + "VIPADIST AUTOSWITCHBACK 198.18.2.1 DESTIP ALL\n").has("EZZ0831I", "AUTOSWITCHBACK"));
    EXPECT_TRUE(vd(def + "VIPADIST DISTM HOTSTANDBY 198.18.2.1 DESTIP ALL\n").has("EZZ0826I", "DESTIP ALL"));
}

TEST(vipadistribute, delete_removes_targets_then_the_port) {
    auto r = vd("VIPADEFINE 255.255.255.0 198.18.2.1\n"
                "VIPADISTRIBUTE DISTMETHOD ROUNDROBIN 198.18.2.1 PORT 60 61 DESTIP 198.18.1.1 198.18.1.2\n"
                "VIPADISTRIBUTE DELETE 198.18.2.1 PORT 60 DESTIP 198.18.1.1\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    ASSERT_EQ(r.cfg.distributions.size(), 2u);
    EXPECT_EQ(r.cfg.distributions[0].targets.size(), 1u);
    EXPECT_EQ(r.cfg.distributions[1].targets.size(), 2u);
    auto r2 = vd("VIPADEFINE 255.255.255.0 198.18.2.1\n"
                 "VIPADISTRIBUTE 198.18.2.1 PORT 60 DESTIP 198.18.1.1\n"
                 "VIPADISTRIBUTE DELETE 198.18.2.1 PORT 60 DESTIP 198.18.1.1\n");
    EXPECT_TRUE(r2.cfg.distributions.empty()) << r2.text();
    auto r3 = vd("VIPADEFINE 255.255.255.0 198.18.2.1\nVIPADISTRIBUTE DELETE 198.18.2.1 PORT 60 DESTIP ALL\n");
    EXPECT_TRUE(r3.has("ZPX0104I")) << r3.text();
}

TEST(vipadistribute, a_different_method_for_the_same_port_conflicts) {
    auto r = vd("VIPADEFINE 255.255.255.0 198.18.2.1\n"
                "VIPADISTRIBUTE DISTMETHOD ROUNDROBIN 198.18.2.1 PORT 60 DESTIP ALL\n"
                "VIPADISTRIBUTE DISTMETHOD BASEWLM 198.18.2.1 PORT 60 DESTIP ALL\n");
    EXPECT_TRUE(r.has("EZZ0326I", "CONFLICTS WITH DISTMETHOD ROUNDROBIN")) << r.text();
    EXPECT_EQ(r.cfg.distributions.at(0).method, dist_method::roundrobin);
}

TEST(vipadistribute, a_second_define_for_the_same_port_adds_targets) {
    auto r = vd("VIPADEFINE 255.255.255.0 198.18.2.1\n"
                "VIPADISTRIBUTE 198.18.2.1 PORT 60 DESTIP 198.18.1.1\n"
                "VIPADISTRIBUTE 198.18.2.1 PORT 60 DESTIP 198.18.1.2\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    ASSERT_EQ(r.cfg.distributions.size(), 1u);
    EXPECT_EQ(r.cfg.distributions[0].targets.size(), 2u);
}

TEST(vipadistribute, bad_port_values) {
    const std::string def = "VIPADEFINE 255.255.255.0 198.18.2.1\n";
    EXPECT_TRUE(vd(def + "VIPADIST 198.18.2.1 PORT 70000 DESTIP ALL\n").has("EZZ0319I", "'70000'"));
    EXPECT_TRUE(vd(def + "VIPADIST 198.18.2.1 PORT 90-80 DESTIP ALL\n").has("EZZ0319I", "'90-80'"));
    EXPECT_TRUE(vd(def + "VIPADIST 198.18.2.1 PORT DESTIP ALL\n").has("EZZ0318I", "WHEN A PORT NUMBER WAS EXPECTED"));
}

TEST(vipadynamic, an_error_ends_the_rest_of_the_block_but_keeps_what_came_before) {
    auto r = initial(std::string(xcf) +
                     "VIPADYNAMIC\n"
                     " VIPADEFINE 255.255.255.0 198.18.2.1\n"
                     " VIPADEFINE 255.255.255.0 198.18.2.999\n"
                     " VIPADEFINE 255.255.255.0 198.18.2.3\n"
                     "ENDVIPADYNAMIC\n"
                     "VIPADYNAMIC\n"
                     " VIPADEFINE 255.255.255.0 198.18.2.4\n"
                     "ENDVIPADYNAMIC\n"
                     "TCPCONFIG NODELAYACKS\n");
    EXPECT_EQ(r.rc(), 8);
    EXPECT_TRUE(r.has("EZZ0319I", "'198.18.2.999'")) << r.text();
    EXPECT_TRUE(r.has("EZZ0328I", "IGNORED FROM LINE 4")) << r.text();
    ASSERT_EQ(r.cfg.dvipas.size(), 2u) << r.text();
    EXPECT_EQ(r.cfg.dvipas[0].address.str(), "198.18.2.1");
    EXPECT_EQ(r.cfg.dvipas[1].address.str(), "198.18.2.4") << "a later block is processed";
    EXPECT_FALSE(r.cfg.tcpconfig.delay_acks);
}

TEST(vipadynamic, missing_endvipadynamic_before_a_top_level_statement) {
    auto r = initial(std::string(xcf) + "VIPADYNAMIC\n VIPADEFINE 255.255.255.0 198.18.2.1\nTCPCONFIG NODELAYACKS\n");
    EXPECT_TRUE(r.has("EZZ0318I", "'TCPCONFIG' FOUND ON LINE 4")) << r.text();
    EXPECT_EQ(r.cfg.dvipas.size(), 1u);
    EXPECT_FALSE(r.cfg.tcpconfig.delay_acks);
}

TEST(vipadynamic, missing_endvipadynamic_at_end_of_file) {
    auto r = initial(std::string(xcf) + "VIPADYNAMIC\n VIPADEFINE 255.255.255.0 198.18.2.1\n");
    EXPECT_TRUE(r.has("EZZ0318I", "END OF FILE FOUND ON LINE 3")) << r.text();
    EXPECT_EQ(r.cfg.dvipas.size(), 1u);
}

TEST(vipadynamic, at_most_1024_dvipas) {
    std::string body = "VIPADEFINE 255.255.0.0";
    for (int i = 0; i < 1025; ++i) {
        body += " 198.19." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    }
    auto r = vd(body + "\n");
    EXPECT_TRUE(r.has("EZZ0319I", "MORE THAN 1024")) << r.text().substr(0, 400);
    EXPECT_EQ(r.cfg.dvipas.size(), 1024u);
}

TEST(viparange, define_delete_and_saf) {
    auto r = vd("VIPARANGE DEFINE MOVEABLE DISRUPTIVE 255.255.255.192 198.18.2.64 SAF RANGE1\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    ASSERT_EQ(r.cfg.vipa_ranges.size(), 1u);
    EXPECT_EQ(r.cfg.vipa_ranges[0].prefix_len, 26);
    EXPECT_FALSE(r.cfg.vipa_ranges[0].nondisruptive);
    EXPECT_EQ(r.cfg.vipa_ranges[0].saf_resource, "RANGE1");
    auto r2 = vd("VIPARANGE 255.255.255.192 198.18.2.64\nVIPARANGE DELETE 255.255.255.192 198.18.2.64\n");
    EXPECT_TRUE(r2.cfg.vipa_ranges.empty()) << r2.text();
    EXPECT_TRUE(vd("VIPARANGE DELETE 255.255.255.192 198.18.2.64\n").has("ZPX0105I"));
}

TEST(viparoute, define_delete_conflict) {
    auto r = vd("VIPAROUTE DEFINE 198.18.1.2 198.18.3.2\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_EQ(r.cfg.vipa_routes.at(0).target.str(), "198.18.3.2");
    EXPECT_TRUE(vd("VIPAROUTE 198.18.1.2 198.18.3.2\nVIPAROUTE 198.18.1.2 198.18.3.3\n").has("EZZ0326I"));
    EXPECT_TRUE(vd("VIPAROUTE 198.18.1.2 198.18.3.2\nVIPAROUTE DELETE 198.18.1.2\n").cfg.vipa_routes.empty());
}

TEST(vipadynamic, ipv6_forms_go_into_the_model) {
    auto r = vd("VIPADEFINE MOVEABLE IMMEDIATE DVIPA6 2001:db8::1\nVIPADEFINE 255.255.255.0 198.18.2.1\n"
                "VIPABACKUP 50 MOVEABLE WHENIDLE DVIPA7 2001:DB8:0::7\n"
                "VIPARANGE DEFINE MOVEABLE DISRUPTIVE RANGE6 2001:db8:1::/64 SAF V6RES\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_EQ(r.cfg.dvipas.size(), 1u);
    ASSERT_EQ(r.cfg.dvipas6.size(), 2u) << r.text();
    EXPECT_EQ(r.cfg.dvipas6[0].interface, "DVIPA6");
    EXPECT_EQ(r.cfg.dvipas6[0].address, "2001:DB8::1");
    EXPECT_EQ(r.cfg.dvipas6[1].origin, vipa_origin::backup);
    EXPECT_EQ(r.cfg.dvipas6[1].rank, 50);
    EXPECT_EQ(r.cfg.dvipas6[1].address, "2001:DB8::7");
    ASSERT_EQ(r.cfg.vipa_ranges6.size(), 1u);
    EXPECT_EQ(r.cfg.vipa_ranges6[0].prefix, "2001:DB8:1::/64");
    EXPECT_FALSE(r.cfg.vipa_ranges6[0].nondisruptive);
    auto dup = vd("VIPADEFINE DVIPA6 2001:db8::1\nVIPADEFINE DVIPA8 2001:db8::1\n");
    EXPECT_TRUE(dup.has("EZZ0326I", "VIPADEFINE CONFLICTS WITH VIPADEFINE VALUE DVIPA6 2001:DB8::1 USED ON LINE 3"))
        << dup.text();
    auto del = vd("VIPADEFINE DVIPA6 2001:db8::1\nVIPADELETE DVIPA6\nVIPADEFINE DVIPA6 2001:db8::2\n");
    EXPECT_EQ(del.rc(), 0) << del.text();
    ASSERT_EQ(del.cfg.dvipas6.size(), 1u);
    EXPECT_EQ(del.cfg.dvipas6[0].address, "2001:DB8::2");
    EXPECT_TRUE(vd("VIPADEFINE DVIPA6 2001:db8::zz\n").has("EZZ0319I", "NOT A VALID IPV6 ADDRESS"));
}

const char* xcf6 = "IPCONFIG6 DYNAMICXCF 2001:DB8:99::1 INTFID 0:0:0:1\n";

result vd6(const std::string& body) {
    return initial(std::string(xcf) + xcf6 + "VIPADYNAMIC\n VIPADEFINE MOVEABLE IMMEDIATE DVIPA6A 2001:DB8:40::1\n" +
                   body + "ENDVIPADYNAMIC\n");
}

TEST(vipadistribute6, ipv6_distributions_go_into_the_model) {
    auto r = vd6(" VIPADISTRIBUTE DEFINE DISTMETHOD HOTSTANDBY NOAUTOSWITCHBACK DVIPA6A PORT 80 8080\n"
                 "   DESTIP 2001:db8:99::2 PREFERRED 2001:DB8:99:0::3 BACKUP 5\n"
                 " VIPADIST SYSPLEXPORTS DISTM WEIGHTEDACTIVE TIMEDAFF 30 DVIPA6A PORT 443\n"
                 "   DESTIP 2001:DB8:99::2 WEIGHT 20 2001:DB8:99::4\n"
                 " VIPADISTRIBUTE DVIPA6A PORT 23 DESTIP ALL\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_TRUE(r.cfg.distributions.empty());
    ASSERT_EQ(r.cfg.distributions6.size(), 4u) << r.text();
    const auto& h = r.cfg.distributions6[0];
    EXPECT_EQ(h.address, "DVIPA6A");
    EXPECT_EQ(h.port, (port_range{80, 80}));
    EXPECT_EQ(h.method, dist_method::hotstandby);
    EXPECT_FALSE(h.auto_switchback);
    ASSERT_EQ(h.targets.size(), 2u);
    EXPECT_EQ(h.targets[0].xcf, "2001:DB8:99::2");
    EXPECT_EQ(h.targets[0].role, target_role::preferred);
    EXPECT_EQ(h.targets[1].xcf, "2001:DB8:99::3");
    EXPECT_EQ(h.targets[1].backup_rank, 5);
    EXPECT_EQ(r.cfg.distributions6[1].port, (port_range{8080, 8080}));
    const auto& w = r.cfg.distributions6[2];
    EXPECT_TRUE(w.sysplex_ports);
    EXPECT_EQ(w.timed_affinity, 30u);
    ASSERT_EQ(w.targets.size(), 2u);
    EXPECT_EQ(w.targets[0].weight, 20);
    EXPECT_EQ(w.targets[1].weight, 10);  // the WEIGHTEDACTIVE default
    EXPECT_TRUE(r.cfg.distributions6[3].dest_all);
    EXPECT_EQ(r.cfg.distributions6_of("DVIPA6A").size(), 4u);
    auto summary = format_summary(r.cfg, "", "");
    EXPECT_NE(summary.find("      DISTRIBUTE PORT 80     HOTSTANDBY     DESTIP 2001:DB8:99::2(PREFERRED) "
                           "2001:DB8:99::3(BACKUP 5)\n"),
              std::string::npos)
        << summary;
    EXPECT_NE(summary.find("      DISTRIBUTE PORT 443    WEIGHTEDACTIVE DESTIP 2001:DB8:99::2(WEIGHT 20) "
                           "2001:DB8:99::4(WEIGHT 10)  SYSPLEXPORTS  TIMEDAFFINITY 30\n"),
              std::string::npos)
        << summary;
}

TEST(vipadistribute6, delete_and_vipadelete_end_ipv6_distribution) {
    auto r = vd6(" VIPADISTRIBUTE DVIPA6A PORT 80 23 DESTIP 2001:DB8:99::2 2001:DB8:99::3\n"
                 " VIPADISTRIBUTE DELETE DVIPA6A PORT 80 DESTIP 2001:DB8:99::2\n"
                 " VIPADISTRIBUTE DELETE DVIPA6A PORT 23\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    ASSERT_EQ(r.cfg.distributions6.size(), 1u);
    ASSERT_EQ(r.cfg.distributions6[0].targets.size(), 1u);
    EXPECT_EQ(r.cfg.distributions6[0].targets[0].xcf, "2001:DB8:99::3");
    auto gone = vd6(" VIPADISTRIBUTE DVIPA6A DESTIP ALL\n VIPADELETE DVIPA6A\n");
    EXPECT_EQ(gone.rc(), 0) << gone.text();
    EXPECT_TRUE(gone.cfg.distributions6.empty());
    EXPECT_TRUE(gone.cfg.dvipas6.empty());
    auto nothing = vd6(" VIPADISTRIBUTE DELETE DVIPA6A PORT 99\n");
    EXPECT_TRUE(nothing.has("ZPX0104I", "VIPADISTRIBUTE DELETE DVIPA6A ON LINE 5")) << nothing.text();
}

TEST(vipadistribute6, ipv6_rules_and_their_messages) {
    auto expect = [&](const std::string& stmt, const std::string& id, const std::string& text) {
        auto r = vd6(stmt);
        const auto* m = r.find(id);
        ASSERT_NE(m, nullptr) << stmt << "\n" << r.text();
        EXPECT_EQ(m->text, text) << stmt;
        EXPECT_EQ(r.rc(), 8) << stmt;
        EXPECT_TRUE(r.cfg.distributions6.empty()) << stmt;
        EXPECT_TRUE(r.has("EZZ0328I", "IGNORED FROM LINE " + std::to_string(m->where.line))) << stmt;
    };
    expect(" VIPADISTRIBUTE DVIPA6B DESTIP ALL\n", "EZZ0319I",
           "INCORRECT VALUE 'DVIPA6B' FOR VIPADISTRIBUTE ON LINE 5 COLUMN 17 OF 'TEST.PROFILE': "
           "NO IPV6 VIPADEFINE OR VIPABACKUP FOR DVIPA6B PRECEDES IT");
    expect(" VIPADISTRIBUTE DVIPA6A DESTIP 198.18.1.2\n", "EZZ0319I",
           "INCORRECT VALUE '198.18.1.2' FOR DESTIP ON LINE 5 COLUMN 32 OF 'TEST.PROFILE': "
           "AN IPV6 VIPADISTRIBUTE NEEDS IPV6 DYNAMIC XCF ADDRESSES (IPCONFIG6 DYNAMICXCF)");
    expect(" VIPADISTRIBUTE DVIPA6A DESTIP 2001:DB8:99::/64\n", "EZZ0319I",
           "INCORRECT VALUE '2001:DB8:99::/64' FOR DESTIP ON LINE 5 COLUMN 32 OF 'TEST.PROFILE': "
           "NOT A VALID IPV6 DYNAMIC XCF ADDRESS");
    expect(" VIPADISTRIBUTE 2001:DB8:40::1 DESTIP ALL\n", "EZZ0319I",
           "INCORRECT VALUE '2001:DB8:40::1' FOR VIPADISTRIBUTE ON LINE 5 COLUMN 17 OF 'TEST.PROFILE': "
           "AN IPV6 DVIPA IS NAMED BY THE INTERFACE NAME OF ITS VIPADEFINE");
    expect(" VIPADISTRIBUTE DVIPA6A DESTIP 2001:DB8:99::2 2001:DB8:99::2\n", "EZZ0830I",
           "DESTIP 2001:DB8:99::2 ON LINE 5 OF 'TEST.PROFILE' IS LISTED MORE THAN ONCE FOR DVIPA6A");
    expect(" VIPADISTRIBUTE DISTM HOTSTANDBY DVIPA6A DESTIP 2001:DB8:99::2 PREFERRED\n", "EZZ0827I",
           "HOTSTANDBY DISTRIBUTION FOR DVIPA6A ON LINE 5 OF 'TEST.PROFILE' HAS NO BACKUP TARGET");
    expect(" VIPADISTRIBUTE DVIPA6A DESTIP 2001:DB8:99::2 PREFERRED 2001:DB8:99::3 BACKUP\n", "EZZ0831I",
           "2001:DB8:99::2 ON LINE 5 OF 'TEST.PROFILE' IS VALID ONLY WITH DISTMETHOD HOTSTANDBY");
    expect(" VIPARANGE DEFINE RANGE6 2001:DB8:41::/64\n VIPADISTRIBUTE RANGE6 DESTIP ALL\n", "EZZ0319I",
           "INCORRECT VALUE 'RANGE6' FOR VIPADISTRIBUTE ON LINE 6 COLUMN 17 OF 'TEST.PROFILE': "
           "RANGE6 IS A VIPARANGE: ONLY A DVIPA OF VIPADEFINE OR VIPABACKUP IS DISTRIBUTED");
    // The IPv4 form takes IPv4 targets only.
    auto v4 = vd("VIPADEFINE 255.255.255.0 198.18.2.1\nVIPADISTRIBUTE 198.18.2.1 DESTIP 2001:DB8:99::2\n");
    EXPECT_TRUE(v4.has("EZZ0319I", "'2001:DB8:99::2' FOR DESTIP ON LINE 4 COLUMN 34 OF 'TEST.PROFILE': AN IPV4 "
                                   "VIPADISTRIBUTE NEEDS IPV4 DYNAMIC XCF ADDRESSES (IPCONFIG DYNAMICXCF)"))
        << v4.text();
    // Targets cannot be reached without an IPv6 dynamic XCF address of this stack.
    auto noxcf = initial(std::string(xcf) + "VIPADYNAMIC\n VIPADEFINE DVIPA6A 2001:DB8:40::1\n"
                                            " VIPADISTRIBUTE DISTM ROUNDROBIN DVIPA6A DESTIP ALL\nENDVIPADYNAMIC\n");
    EXPECT_EQ(noxcf.rc(), 4) << noxcf.text();
    EXPECT_TRUE(noxcf.has("ZPX0121I", "VIPADISTRIBUTE FOR DVIPA6A NEEDS IPCONFIG6 DYNAMICXCF")) << noxcf.text();
}

}  // namespace
}  // namespace zplex::tcpip::profile::test
