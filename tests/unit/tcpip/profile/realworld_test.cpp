// SPDX-License-Identifier: Apache-2.0
// Real-world profile forms (issue 14): the DEVICE/LINK/INTERFACE family, recognised
// statements that consume exactly their operands, removed statements, value forms,
// follow-on errors, INCLUDE bounds and what messages echo.
#include "helpers.hpp"

#include <zplex/sysplex/dataset.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace zplex::tcpip::profile::test {
namespace {

// Item 5: a recognised-only statement ends where its operands end.
TEST(recognised, arpage_does_not_swallow_the_next_statement) {
    auto r = initial("ARPAGE 20\nFROBNICATE 5\nTCPCONFIG NODELAYACKS\n");
    EXPECT_EQ(r.rc(), 8) << r.text();
    EXPECT_TRUE(r.has("EZZ0324I", "UNRECOGNIZED STATEMENT FROBNICATE FOUND ON LINE 2 COLUMN 1 OF 'TEST.PROFILE'"))
        << r.text();
    EXPECT_FALSE(r.cfg.tcpconfig.delay_acks);
}

TEST(recognised, every_plain_statement_stops_at_an_unknown_word) {
    const char* stmts[] = {"SOMAXCONN 10", "PRIMARYINTERFACE VIPAL1", "ITRACE ON CONFIG 2",
                           "PKTTRACE ON FULL IP=9.1.1.1 PROT=TCP", "NETMONITOR SMFSERVICE MINLIFETIME 5",
                           "SACONFIG ENABLED COMMUNITY PUBLIC AGENT 161", "SMFCONFIG TYPE119 TCPINIT NOTCPTERM",
                           "DELETE LINK OLDL", "PORTRANGE 4000 10 TCP OMVS SHAREPORT", "SMFPARMS 0 0 0",
                           "TRANSLATE 9.1.1.1 ETHERNET 020000000001 ETH1",
                           "DATATRACE ON JOBNAME=FTPD"};
    for (const char* s : stmts) {
        auto r = initial(std::string(s) + "\nDATASETPREFIX TCPIP\n");
        EXPECT_TRUE(r.has("EZZ0324I", "UNRECOGNIZED STATEMENT DATASETPREFIX FOUND ON LINE 2")) << s << "\n" << r.text();
        EXPECT_EQ(r.log.count(severity::error), 1u) << s << "\n" << r.text();
    }
}

TEST(recognised, blocks_still_run_to_their_end_keyword) {
    auto r = initial("KEEPALIVEOPTIONS INTERVAL 10 SENDGARBAGE TRUE ENDKEEPALIVEOPTIONS\nIPCONFIG SYSPLEXROUTING\n");
    EXPECT_EQ(r.rc(), 4) << r.text();
    EXPECT_TRUE(r.cfg.ipconfig.sysplex_routing);
}

// Item 2: recognised DEVICE/LINK types define their names; one bad HOME entry drops only itself.
TEST(family, hipersockets_device_link_and_home) {
    auto r = initial("DEVICE IUTIQDFE MPCIPA\nLINK HSINTF1 IPAQIDIO IUTIQDFE\n"
                     "HOME 200.16.1.1 HSINTF1\n     200.16.1.2 NOSUCH\n     200.16.1.3 HSINTF1\nSTART IUTIQDFE\n");
    EXPECT_TRUE(r.has("EZZ0319I", "LINK NOSUCH IS NOT DEFINED")) << r.text();
    EXPECT_FALSE(r.has("EZZ0319I", "HSINTF1")) << r.text();
    ASSERT_EQ(r.cfg.home.size(), 2u) << r.text();
    EXPECT_EQ(r.cfg.home[1].address.str(), "200.16.1.3");
}

TEST(family, home_list_goes_on_after_a_bad_link) {
    auto r = initial("DEVICE IUTIQDFE MPCIPA\nLINK HSINTF1 IPAQIDIO IUTIQDFE\n"
                     "HOME 200.16.1.9 NOSUCH\n     200.16.1.1 HSINTF1\n");
    ASSERT_EQ(r.cfg.home.size(), 1u) << r.text();
    EXPECT_EQ(r.cfg.home[0].address.str(), "200.16.1.1");
    EXPECT_EQ(r.cfg.links.at(0).type, link_type::ipaqidio);
    EXPECT_TRUE(r.cfg.devices.at(0).hipersockets());
}

// Item 1: MPCPTP and the LINK options.
TEST(family, iutsameh_mpcptp_and_link_options) {
    auto r = initial("DEVICE IUTSAMEH MPCPTP NOAUTORESTART\n"
                     "LINK EZASAMEMVS MPCPTP IUTSAMEH IFSPEED 100000000 IFHSPEED 100 SECCLASS 9 MONSYSPLEX\n"
                     "DEVICE CTCD1 CTC 0E40 IOBUFFERSIZE 32768\nLINK CTCL1 CTC 1 CTCD1 NOCHECKSUM NOMONSYSPLEX\n"
                     "HOME 198.18.9.1 EZASAMEMVS\nSTART IUTSAMEH\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_TRUE(r.cfg.devices.at(0).samehost_mpcptp());
    EXPECT_FALSE(r.cfg.devices.at(0).autorestart);
    const auto& l = r.cfg.links.at(0);
    EXPECT_EQ(l.ifspeed, 100000000u);
    EXPECT_EQ(l.ifhspeed, 100u);
    EXPECT_EQ(l.secclass, 9);
    EXPECT_TRUE(l.monsysplex);
    EXPECT_FALSE(r.cfg.links.at(1).checksum);
    EXPECT_EQ(r.cfg.links.at(1).adapter, 1);
    EXPECT_EQ(r.cfg.devices.at(1).iobuffer_size, 32768u);
}

TEST(family, link_type_must_match_its_device) {
    auto r = initial("DEVICE D1 VIRTUAL 0\nLINK L1 MPCPTP D1\n");
    EXPECT_TRUE(r.has("EZZ0319I", "DEVICE D1 IS A VIRTUAL DEVICE: LINK MPCPTP NEEDS A MPCPTP DEVICE")) << r.text();
}

// Item 4: HiperSockets INTERFACE with CHPID.
TEST(family, ipaqidio_interface_with_chpid) {
    auto r = initial("INTERFACE HSINTF1 DEFINE IPAQIDIO IPADDR 200.16.1.1/24 CHPID FE MTU 8192 VLANID 5\n"
                     "START HSINTF1\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    const auto& i = r.cfg.interfaces.at(0);
    EXPECT_EQ(i.type, interface_type::ipaqidio);
    EXPECT_EQ(i.chpid.value_or(0), 0xFE);
    EXPECT_TRUE(initial("INTERFACE H1 DEFINE IPAQIDIO IPADDR 200.16.1.1/24\n").has("EZZ0318I", "CHPID"));
    EXPECT_TRUE(initial("INTERFACE H1 DEFINE IPAQIDIO CHPID FEE IPADDR 200.16.1.1/24\n").has("EZZ0319I", "CHPID"));
}

// Item 3: VIPARANGE ZCX.
TEST(vipadynamic_zcx, viparange_zcx_and_the_rest_of_the_block) {
    auto r = initial("VIPADYNAMIC\n VIPARANGE DEFINE 255.255.255.255 10.1.2.5 ZCX\n"
                     " VIPADEFINE 255.255.255.0 10.1.3.1\nENDVIPADYNAMIC\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    ASSERT_EQ(r.cfg.vipa_ranges.size(), 1u);
    EXPECT_TRUE(r.cfg.vipa_ranges[0].zcx);
    EXPECT_EQ(r.cfg.dvipas.size(), 1u);
}

// Item 7: leading zeros in octets; the VIRTUAL adapter number message.
TEST(values, octets_with_leading_zeros_are_decimal) {
    auto r = initial("VIPADYNAMIC\n VIPADEFINE 255.255.255.0 9.67.240.02\nENDVIPADYNAMIC\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_EQ(r.cfg.dvipas.at(0).address.str(), "9.67.240.2");
    EXPECT_FALSE(ipv4_address::parse("9.67.240.02"));  // the strict parser is unchanged
    EXPECT_EQ(ipv4_address::parse_profile("010.001.002.003")->str(), "10.1.2.3");
    EXPECT_FALSE(ipv4_address::parse_profile("1.2.3.0004"));
}

TEST(values, virtual_adapter_number_message) {
    auto r = initial("DEVICE VIPADEV1 VIRTUAL 1\n");
    EXPECT_TRUE(r.has("EZZ0319I", "INCORRECT VALUE '1' FOR VIRTUAL ON LINE 1 COLUMN 25 OF 'TEST.PROFILE': "
                                  "THE ADAPTER NUMBER OF A VIRTUAL IS ALWAYS 0"))
        << r.text();
    EXPECT_FALSE(r.has("EZZ0319I", "FOR 0 AFTER")) << r.text();
}

// Item 8: follow-on errors name the rejection.
TEST(followon, references_to_a_rejected_device_or_link_say_so) {
    auto r = initial("DEVICE OSA1 MPCIPA BOGUS\nLINK OSAL1 IPAQENET OSA1\nHOME 198.18.0.1 OSAL1\n"
                     "BEGINROUTES\n ROUTE DEFAULT 198.18.0.254 OSAL1 MTU 1492\nENDROUTES\nSTART OSA1\n");
    EXPECT_TRUE(r.has("EZZ0319I", "DEVICE OSA1 WAS REJECTED ON LINE 1 OF 'TEST.PROFILE'")) << r.text();
    EXPECT_TRUE(r.has("EZZ0319I", "FOR HOME ON LINE 3 COLUMN 17 OF 'TEST.PROFILE': LINK OSAL1 WAS REJECTED ON LINE 2"))
        << r.text();
    EXPECT_TRUE(r.has("EZZ0319I", "FOR ROUTE ON LINE 5 COLUMN 29 OF 'TEST.PROFILE': LINK OSAL1 WAS REJECTED"))
        << r.text();
    EXPECT_TRUE(r.has("EZZ0319I", "FOR START ON LINE 7 COLUMN 7 OF 'TEST.PROFILE': DEVICE OSA1 WAS REJECTED"))
        << r.text();
    EXPECT_EQ(r.text().find("MUST COME BEFORE"), std::string::npos) << r.text();
}

// Item 9: INCLUDE fan-out is bounded by count and bytes.
TEST(include_bounds, a_member_including_itself_three_times_stops) {
    std::string self = "INCLUDE 'BOMB.MEMBER'\nINCLUDE 'BOMB.MEMBER'\nINCLUDE 'BOMB.MEMBER'\n";
    auto r = initial(self, {}, {{"BOMB.MEMBER", self}});
    EXPECT_EQ(r.rc(), 8);
    EXPECT_TRUE(r.has("ZPX0111I", "MORE THAN 256 INCLUDE STATEMENTS IN ONE PROFILE")) << r.log.messages().size();
    EXPECT_LT(r.log.messages().size(), 4000u);
}

TEST(include_bounds, included_bytes_are_bounded) {
    std::string big(17u * 1024 * 1024, ' ');
    auto r = initial("INCLUDE 'BIG.MEMBER'\nIPCONFIG SYSPLEXROUTING\n", {}, {{"BIG.MEMBER", big}});
    EXPECT_TRUE(r.has("ZPX0112I", "'BIG.MEMBER'")) << r.text();
    EXPECT_TRUE(r.cfg.ipconfig.sysplex_routing);
}

// Items 10 and 11: messages echo at most the token, escaped.
TEST(echo, long_tokens_are_cut_and_control_bytes_escaped) {
    auto r = initial("root:$6$saltsaltsalt$0123456789abcdefghijklmnopqrstuvwxyz:19000:0:99999:7:::\n"
                     "TCPCONFIG AB\x01\x1b[2JCD\n");
    auto t = r.text();
    EXPECT_EQ(t.find("abcdefghijklmnop"), std::string::npos) << t;
    EXPECT_TRUE(r.has("EZZ0324I", "UNRECOGNIZED STATEMENT root:$6$saltsaltsalt$0123456789a... FOUND")) << t;
    EXPECT_TRUE(r.has("EZZ0318I", "'ABX'01'X'1B'[2JCD' FOUND ON LINE 2 COLUMN 11")) << t;
    EXPECT_EQ(t.find('\x1b'), std::string::npos);
}

TEST(echo, utf8_byte_order_mark_is_named_and_skipped) {
    auto r = initial("\xEF\xBB\xBFTCPCONFIG NODELAYACKS\n");
    EXPECT_EQ(r.rc(), 4) << r.text();
    EXPECT_TRUE(r.has("ZPX0113I", "UTF-8 BYTE-ORDER MARK X'EFBBBF' AT THE START OF 'TEST.PROFILE' IGNORED"));
    EXPECT_FALSE(r.cfg.tcpconfig.delay_acks);
}

// Item 13: IPv6 statements go into the model with their rules.
TEST(ipv6, ipconfig6_is_processed) {
    auto r = initial("IPCONFIG6 DATAGRAMFWD HOPLIMIT 32 ICMPERRORLIMIT 5 MULTIPATH PERPACKET SOURCEVIPA\n"
                     "  TCPSTACKSOURCEVIPA VIPAV6 TEMPADDRS PREFLIFETIME 12 VALIDLIFETIME 48\n"
                     "  DYNAMICXCF 2001:db8:99::1 INTFID 0:0:0:1 IPSECURITY OSMSECCLASS 7\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    const auto& ip = r.cfg.ipconfig6;
    EXPECT_TRUE(ip.present);
    EXPECT_EQ(ip.hop_limit, 32);
    EXPECT_EQ(ip.icmp_error_limit, 5);
    EXPECT_EQ(ip.multipath, multipath_mode::perpacket);
    EXPECT_EQ(ip.tcpstack_source_vipa, "VIPAV6");
    EXPECT_EQ(ip.pref_lifetime_hours, 12u);
    EXPECT_EQ(ip.dynamic_xcf, "2001:DB8:99::1");
    EXPECT_EQ(ip.dynamic_xcf_intfid, "0:0:0:1");
    EXPECT_EQ(ip.osm_secclass, 7);
    EXPECT_TRUE(initial("IPCONFIG6 HOPLIMIT 256\n").has("EZZ0319I", "NOT IN THE RANGE 1 TO 255"));
    EXPECT_TRUE(initial("IPCONFIG6 TEMPADDRS PREFLIFETIME 48 VALIDLIFETIME 24\n")
                    .has("EZZ0319I", "VALIDLIFETIME MUST BE GREATER THAN PREFLIFETIME"));
    EXPECT_TRUE(initial("IPCONFIG6 DYNAMICXCF 9.1.1.1\n").has("EZZ0318I", "AN IPV6 DYNAMIC XCF ADDRESS"));
}

TEST(ipv6, ipv6_interfaces_are_processed) {
    auto r = initial("INTERFACE OSAV6 DEFINE IPAQENET6 PORTNAME OSAPRT1 IPADDR 2001:db8:10::1 2001:db8:11::/64\n"
                     "  INTFID 0:0:0:1 MTU 1500\n"
                     "INTERFACE HSV6 DEFINE IPAQIDIO6 CHPID FE\nINTERFACE PTPV6 DEFINE MPCPTP6 TRLENAME TRLE1\n"
                     "START OSAV6\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    ASSERT_EQ(r.cfg.interfaces.size(), 3u);
    EXPECT_EQ(r.cfg.interfaces[0].type, interface_type::ipaqenet6);
    EXPECT_EQ(r.cfg.interfaces[0].ipv6_addresses.at(1), "2001:DB8:11::/64");
    EXPECT_EQ(r.cfg.interfaces[1].chpid.value_or(0), 0xFE);
    EXPECT_EQ(r.cfg.interfaces[2].trle, "TRLE1");
    EXPECT_TRUE(initial("INTERFACE V6 DEFINE IPAQENET6 PORTNAME P IPADDR 2001:db8::/129\n")
                    .has("EZZ0319I", "NOT A VALID IPV6 ADDRESS OR PREFIX"));
    EXPECT_TRUE(initial("INTERFACE P6 DEFINE MPCPTP6 IPADDR 2001:db8::1\n").has("EZZ0318I", "HAS NO TRLENAME"));
}

// Item 6: removed statements are rejected, naming the statement.
TEST(removed, gateway_and_defaultnet_are_rejected) {
    auto r = initial("GATEWAY\n 9.0.0.0 = ETH1 1500 0\nDEFAULTNET 9.1.1.1 ETH1 1500 0\nIPCONFIG SYSPLEXROUTING\n");
    EXPECT_EQ(r.rc(), 8) << r.text();
    EXPECT_TRUE(r.has("EZZ0324I", "UNRECOGNIZED STATEMENT GATEWAY FOUND ON LINE 1 COLUMN 1 OF 'TEST.PROFILE' "
                                  "(GATEWAY WAS REMOVED IN V2R2: CODE THE ROUTES IN BEGINROUTES)"))
        << r.text();
    EXPECT_TRUE(r.has("EZZ0324I", "UNRECOGNIZED STATEMENT DEFAULTNET FOUND ON LINE 3")) << r.text();
    EXPECT_TRUE(r.cfg.ipconfig.sysplex_routing);
}

TEST(removed, atm_mpcosa_and_token_ring_are_rejected) {
    auto r = initial("ATMPVC PVC1 LINK1\nDEVICE OSA2 MPCOSA\nDEVICE LCS1 LCS 0E00\nLINK TR1 IBMTR 0 LCS1\n");
    EXPECT_TRUE(r.has("EZZ0324I", "UNRECOGNIZED STATEMENT ATMPVC")) << r.text();
    EXPECT_TRUE(r.has("EZZ0318I", "'MPCOSA' FOUND ON LINE 2")) << r.text();
    EXPECT_TRUE(r.has("EZZ0318I", "'IBMTR' FOUND ON LINE 4 COLUMN 10 OF 'TEST.PROFILE' WHEN A LINK TYPE WAS EXPECTED "
                                  "(TOKEN-RING LINKS WERE REMOVED IN V2R3: LCS SUPPORTS ETHERNET ONLY)"))
        << r.text();
}

}  // namespace
}  // namespace zplex::tcpip::profile::test

namespace zplex::tcpip::profile::test {
namespace {

// Broader V2R5 parameter coverage: sub-options are consumed with their parameter.
TEST(parameters, globalconfig_and_ipconfig_sub_options) {
    auto r = initial("GLOBALCONFIG SMCR PFID 0018 PORTNUM 1 MTU 1024 FIXEDMEMORY 200 AUTOIQDX ALLTRAFFIC\n"
                     "  EXPLICITBINDPORTRANGE 5000 100 TCPIPSTATISTICS SERVICE TCPSTAT ZIIP IPSECURITY\n"
                     "IPCONFIG IPSECURITY OSMSECCLASS 3 LOGIMPLICIT IQDIOROUTING QDIOPRIORITY 2 SYSPLEXROUTING\n"
                     "TCPCONFIG TCPMAXSENDBUFRSIZE 512K QUEUEDRTT 20 EPHEMERALPORTS 1024 65535 NAGLE\n"
                     "UDPCONFIG UDPMAXRCVBUFRSIZE 2M NOUDPCHKSUM\n");
    EXPECT_EQ(r.log.count(severity::error), 0u) << r.text();
    EXPECT_TRUE(r.cfg.ipconfig.ipsecurity);
    EXPECT_TRUE(r.cfg.ipconfig.sysplex_routing);
    EXPECT_FALSE(r.cfg.udpconfig.checksum);
    EXPECT_TRUE(r.has("ZPX0102I", "GLOBALCONFIG PARAMETER SMCR ON LINE 1")) << r.text();
}

}  // namespace
}  // namespace zplex::tcpip::profile::test

namespace zplex::tcpip::profile::test {
namespace {

// Item 10: a symbolic link the user does not own is not followed by INCLUDE.
TEST(include_files, a_foreign_symlink_is_not_followed) {
    namespace fs = std::filesystem;
    auto dir = fs::temp_directory_path() / ("zplex-prof-link-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "secret") << "root:$6$hash:19000:0:99999:7:::\n";
    fs::create_symlink(dir / "secret", dir / "link");
    bool foreign = ::lchown((dir / "link").c_str(), ::geteuid() == 0 ? 65534 : ::geteuid(), -1) == 0 &&
                   ::geteuid() == 0;
    sysplex::dataset_catalogue cat(dir);
    parse_options o;
    o.reader = catalogue_reader(cat);
    message_log log;
    process_initial_text("INCLUDE " + (dir / "link").string() + "\n", "'TEST.PROFILE'", o, log);
    std::string all;
    for (const auto& m : log.messages()) {
        all += m.str() + "\n";
    }
    fs::remove_all(dir);
    if (!foreign) {
        GTEST_SKIP() << "needs root to give the link another owner";
    }
    EXPECT_NE(all.find("IT IS A SYMBOLIC LINK OWNED BY ANOTHER USER: NOT FOLLOWED"), std::string::npos) << all;
    EXPECT_EQ(all.find("$6$hash"), std::string::npos) << all;
}

}  // namespace
}  // namespace zplex::tcpip::profile::test
