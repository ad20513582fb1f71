// SPDX-License-Identifier: Apache-2.0
// IPCONFIG, GLOBALCONFIG, TCPCONFIG/UDPCONFIG, DEVICE/LINK/INTERFACE/HOME/ROUTES, PORT, AUTOLOG, START.
#include "helpers.hpp"

#include <gtest/gtest.h>

namespace zplex::tcpip::profile::test {
namespace {

TEST(ipconfig, all_emulated_parameters_in_any_order) {
    auto r = initial("IPCONFIG TTL 32 NODATAGRAMFWD IPSECURITY SOURCEVIPA TCPSTACKSOURCEVIPA 198.18.3.1\n"
                     "  MULTIPATH PERPACKET PATHMTUDISC ARPTO 600 FORMAT SHORT IGNOREREDIRECT\n"
                     "  DYNAMICXCF 198.18.1.1/24 2 SECCLASS 9 DEVRETRYDUR 30 SYSPLEXR\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    const auto& ip = r.cfg.ipconfig;
    EXPECT_EQ(ip.ttl, 32);
    EXPECT_FALSE(ip.datagram_fwd);
    EXPECT_TRUE(ip.ipsecurity);
    EXPECT_TRUE(ip.source_vipa);
    EXPECT_EQ(ip.tcpstack_source_vipa->str(), "198.18.3.1");
    EXPECT_EQ(ip.multipath, multipath_mode::perpacket);
    EXPECT_TRUE(ip.path_mtu_discovery);
    EXPECT_EQ(ip.arp_timeout, 600u);
    EXPECT_FALSE(ip.format_long);
    EXPECT_TRUE(ip.ignore_redirect);
    EXPECT_EQ(ip.dynamic_xcf->prefix_len, 24);
    EXPECT_EQ(ip.dynamic_xcf->cost, 2);
    EXPECT_EQ(ip.dynamic_xcf->secclass, 9);
    EXPECT_EQ(ip.dev_retry_duration, 30);
    EXPECT_TRUE(ip.sysplex_routing);
}

TEST(ipconfig, dynamicxcf_mask_and_slash_forms) {
    auto a = initial("IPCONFIG DYNAMICXCF 198.18.1.1 /24 1\n");
    EXPECT_EQ(a.rc(), 0) << a.text();
    EXPECT_EQ(a.cfg.ipconfig.dynamic_xcf->prefix_len, 24);
    auto b = initial("IPCONFIG DYNAMICXCF 198.18.1.1 255.255.255.240 1\n");
    EXPECT_EQ(b.cfg.ipconfig.dynamic_xcf->prefix_len, 28);
    EXPECT_TRUE(initial("IPCONFIG DYNAMICXCF 198.18.1.1 255.255.255.0 17\n").has("EZZ0319I", "NOT IN THE RANGE 1 TO 16"));
    EXPECT_TRUE(initial("IPCONFIG DYNAMICXCF 198.18.1.1 255.255.255.0\n").has("EZZ0318I", "A COST METRIC"));
}

TEST(ipconfig, unemulated_parameters_warn_and_consume_their_values) {
    auto r = initial("IPCONFIG QDIOPRIORITY 1 SYSPLEXROUTING\n");
    EXPECT_EQ(r.rc(), 4) << r.text();
    EXPECT_TRUE(r.has("ZPX0102I", "IPCONFIG PARAMETER QDIOPRIORITY"));
    EXPECT_TRUE(r.cfg.ipconfig.sysplex_routing);
}

TEST(ipconfig, an_empty_statement_is_an_error) {
    EXPECT_TRUE(initial("IPCONFIG\nTCPCONFIG NODELAYACKS\n").has("EZZ0318I", "AN IPCONFIG PARAMETER"));
}

TEST(globalconfig, xcfgrpid_names_group_and_structures) {
    auto r = initial("GLOBALCONFIG XCFGRPID 21 SYSPLEXMONITOR TIMERSECS 90 RECOVERY DELAYJOIN AUTOREJOIN\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_EQ(r.cfg.globalconfig.xcf_group(), "EZBT0121");
    EXPECT_EQ(r.cfg.globalconfig.structure_name("EZBDVIPA"), "EZBDVIPA0121");
    EXPECT_EQ(r.cfg.globalconfig.sysplex_monitor.timer_secs, 90);
    EXPECT_TRUE(r.cfg.globalconfig.sysplex_monitor.recovery);
    auto d = initial("GLOBALCONFIG SYSPLEXMONITOR NORECOVERY\n");
    EXPECT_EQ(d.cfg.globalconfig.xcf_group(), "EZBTCPCS");
    EXPECT_EQ(d.cfg.globalconfig.structure_name("EZBEPORT"), "EZBEPORT");
    EXPECT_TRUE(initial("GLOBALCONFIG XCFGRPID 1\n").has("EZZ0319I", "NOT IN THE RANGE 2 TO 31"));
    auto v = initial("GLOBALCONFIG XCFGRPID 5 VTAMGRPID 7\n");
    EXPECT_EQ(v.cfg.globalconfig.xcf_group(), "EZBT0705");
}

TEST(tcpudpconfig, buffers_with_k_and_m_suffixes) {
    auto r = initial("TCPCONFIG TCPSENDBFRSIZE 256K TCPRCVBUFRSIZE 1M UNRESTRICTLOWPORTS NODELAYACKS\n"
                     "UDPCONFIG UDPSENDBFRSIZE 65535 NOUDPCHKSUM\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_EQ(r.cfg.tcpconfig.send_buffer, 256u * 1024);
    EXPECT_EQ(r.cfg.tcpconfig.recv_buffer, 1024u * 1024);
    EXPECT_TRUE(r.cfg.tcpconfig.unrestrict_low_ports);
    EXPECT_FALSE(r.cfg.udpconfig.checksum);
    EXPECT_TRUE(initial("TCPCONFIG TCPSENDBFRSIZE 9M\n").has("EZZ0319I", "'9M'"));
    EXPECT_TRUE(initial("TCPCONFIG TCPSENDBFRSIZE 99999999999999999999K\n").has("EZZ0319I"));
}

TEST(devices, device_link_home_in_order) {
    auto r = initial("DEVICE VIPA1 VIRTUAL 0\nLINK VIPA1L VIRTUAL 0 VIPA1\nHOME 198.18.3.1 VIPA1L\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_EQ(r.cfg.devices.at(0).type, device_type::virtual_device);
    EXPECT_EQ(r.cfg.links.at(0).device, "VIPA1");
    EXPECT_EQ(r.cfg.home.at(0).address.str(), "198.18.3.1");
}

TEST(devices, link_before_device_is_an_ordering_error) {
    auto r = initial("LINK VIPA1L VIRTUAL 0 VIPA1\nDEVICE VIPA1 VIRTUAL 0\n");
    EXPECT_TRUE(r.has("EZZ0319I", "DEVICE VIPA1 IS NOT DEFINED (DEVICE MUST COME BEFORE LINK)")) << r.text();
    EXPECT_TRUE(r.cfg.links.empty());
}

TEST(devices, home_before_link_is_an_ordering_error) {
    auto r = initial("HOME 198.18.3.1 VIPA1L\n");
    EXPECT_TRUE(r.has("EZZ0319I", "LINK VIPA1L IS NOT DEFINED (LINK MUST COME BEFORE HOME)")) << r.text();
}

TEST(devices, osa_old_style_and_ctc) {
    auto r = initial("DEVICE OSAPRT1 MPCIPA PRIROUTER\nLINK OSAL IPAQENET OSAPRT1 VLANID 10\n"
                     "DEVICE CTC1 CTC 0E20 AUTORESTART\nLINK CTCL CTC 0 CTC1\nHOME 198.18.0.11 OSAL\nSTART OSAPRT1\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    EXPECT_EQ(r.cfg.devices.at(1).device_number, 0x0E20);
    EXPECT_EQ(r.cfg.links.at(0).vlan_id, 10);
    EXPECT_EQ(r.cfg.started.at(0), "OSAPRT1");
}

TEST(devices, duplicate_device_conflicts) {
    EXPECT_TRUE(initial("DEVICE D1 VIRTUAL 0\nDEVICE D1 VIRTUAL 0\n").has("EZZ0326I", "DEVICE CONFLICTS WITH DEVICE"));
}

TEST(devices, removed_device_types_are_rejected) {
    auto r = initial("DEVICE CLAW1 CLAW 0E30 HOSTA WKSTN NONE 20 20 4096 4096\nIPCONFIG SYSPLEXROUTING\n");
    EXPECT_EQ(r.rc(), 8) << r.text();
    EXPECT_TRUE(r.has("EZZ0318I", "'CLAW' FOUND ON LINE 1 COLUMN 14 OF 'TEST.PROFILE' WHEN A DEVICE TYPE WAS EXPECTED "
                                  "(CLAW SUPPORT WAS REMOVED IN V2R3)"))
        << r.text();
    EXPECT_TRUE(r.cfg.ipconfig.sysplex_routing);
}

TEST(interfaces, ipaqenet_interface) {
    auto r = initial("INTERFACE OSAQDIO1 DEFINE IPAQENET PORTNAME OSAPRT1 IPADDR 198.18.0.11/24 MTU 1492 VLANID 10\n"
                     "START OSAQDIO1\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    const auto& i = r.cfg.interfaces.at(0);
    EXPECT_EQ(i.port_name, "OSAPRT1");
    EXPECT_EQ(i.address.str(), "198.18.0.11");
    EXPECT_EQ(i.prefix_len, 24);
    EXPECT_EQ(i.mtu, 1492);
    EXPECT_EQ(i.vlan_id, 10);
    EXPECT_EQ(r.cfg.started.at(0), "OSAQDIO1");
}

TEST(interfaces, missing_portname_or_ipaddr) {
    EXPECT_TRUE(initial("INTERFACE OSA1 DEFINE IPAQENET IPADDR 198.18.0.11/24\n").has("EZZ0318I", "PORTNAME"));
    EXPECT_TRUE(initial("INTERFACE OSA1 DEFINE IPAQENET PORTNAME P1\n").has("EZZ0318I", "IPADDR"));
    EXPECT_TRUE(initial("INTERFACE OSA1 IPAQENET PORTNAME P1\n").has("EZZ0318I", "DEFINE, DELETE"));
}

TEST(interfaces, home_cannot_name_an_interface) {
    auto r = initial("INTERFACE OSA1 DEFINE IPAQENET PORTNAME P1 IPADDR 198.18.0.11/24\nHOME 198.18.0.12 OSA1\n");
    EXPECT_TRUE(r.has("EZZ0319I", "GETS ITS ADDRESS FROM IPADDR")) << r.text();
}

TEST(interfaces, start_of_an_undefined_device) {
    auto r = initial("START OSAQDIO9\n");
    EXPECT_TRUE(r.has("EZZ0319I", "INCORRECT VALUE 'OSAQDIO9' FOR START ON LINE 1 COLUMN 7")) << r.text();
}

TEST(routes, route_forms) {
    auto r = initial("INTERFACE OSA1 DEFINE IPAQENET PORTNAME P1 IPADDR 198.18.0.11/24\n"
                     "BEGINROUTES\n"
                     "  ROUTE 198.18.0.0/24 = OSA1 MTU 1492\n"
                     "  ROUTE 198.19.0.0 255.255.0.0 198.18.0.1 OSA1 MTU DEFAULTSIZE REPLACEABLE\n"
                     "  ROUTE 198.19.9.9 HOST 198.18.0.1 OSA1\n"
                     "  ROUTE DEFAULT 198.18.0.254 OSA1 MTU 1492\n"
                     "ENDROUTES\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    ASSERT_EQ(r.cfg.routes.size(), 4u);
    EXPECT_FALSE(r.cfg.routes[0].gateway);
    EXPECT_EQ(r.cfg.routes[1].prefix_len, 16);
    EXPECT_TRUE(r.cfg.routes[1].replaceable);
    EXPECT_EQ(r.cfg.routes[2].prefix_len, 32);
    EXPECT_TRUE(r.cfg.routes[3].is_default);
}

TEST(routes, a_bad_route_is_dropped_the_others_kept) {
    auto r = initial("INTERFACE OSA1 DEFINE IPAQENET PORTNAME P1 IPADDR 198.18.0.11/24\n"
                     "BEGINROUTES\n ROUTE 198.18.0.0/24 = NOLINK\n ROUTE DEFAULT 198.18.0.254 OSA1\nENDROUTES\n");
    EXPECT_TRUE(r.has("EZZ0319I", "LINK OR INTERFACE NOLINK IS NOT DEFINED")) << r.text();
    ASSERT_EQ(r.cfg.routes.size(), 1u);
    EXPECT_TRUE(r.cfg.routes[0].is_default);
    EXPECT_TRUE(initial("BEGINROUTES\n").has("EZZ0318I", "ENDROUTES"));
}

TEST(ports, reservations_and_list_error_keeps_earlier_entries) {
    auto r = initial("PORT\n  60 TCP SERVER1 SHAREPORT\n  60 TCP SERVER2 SHAREPORT\n  500 UDP IKED\n"
                     "  23 TCP TN3270 BIND 198.18.3.1\n  99 XDP BAD\n  100 TCP LOST\nIPCONFIG SYSPLEXROUTING\n");
    EXPECT_EQ(r.rc(), 8);
    EXPECT_TRUE(r.has("EZZ0318I", "'XDP' FOUND ON LINE 6")) << r.text();
    ASSERT_EQ(r.cfg.ports.size(), 4u);
    EXPECT_EQ(r.cfg.ports[2].protocol, transport::udp);
    EXPECT_EQ(r.cfg.ports[3].bind->str(), "198.18.3.1");
    EXPECT_TRUE(r.cfg.ipconfig.sysplex_routing);
}

TEST(ports, same_port_for_two_jobs_without_shareport_conflicts) {
    auto r = initial("PORT 60 TCP A\n 60 TCP B\n");
    EXPECT_TRUE(r.has("EZZ0326I", "PORT CONFLICTS WITH PORT VALUE 60 (A)")) << r.text();
}

TEST(ports, empty_port_list) {
    EXPECT_TRUE(initial("PORT\nIPCONFIG SYSPLEXROUTING\n").has("EZZ0401I", "LIST IS EMPTY"));
}

TEST(autolog, entries_keep_mixed_case_parmstring) {
    auto r = initial("AUTOLOG 5\n  FTPD JOBNAME FTPD1\n  SERVER PARMSTRING '-p 60 -v'\nENDAUTOLOG\n");
    EXPECT_EQ(r.rc(), 0) << r.text();
    ASSERT_EQ(r.cfg.autolog.size(), 2u);
    EXPECT_EQ(r.cfg.autolog[0].job_name, "FTPD1");
    EXPECT_EQ(r.cfg.autolog[1].parm_string, "-p 60 -v");
    EXPECT_TRUE(initial("AUTOLOG\n FTPD\n").has("EZZ0318I", "ENDAUTOLOG"));
}

TEST(end_checks, distribution_without_dynamicxcf_and_wlm_without_sysplexrouting) {
    auto r = initial("VIPADYNAMIC\nVIPADEFINE 255.255.255.0 198.18.2.1\nVIPADIST 198.18.2.1 DESTIP ALL\nENDVIPADYNAMIC\n");
    EXPECT_EQ(r.rc(), 4) << r.text();
    EXPECT_TRUE(r.has("ZPX0121I"));
    EXPECT_TRUE(r.has("ZPX0122I", "BASEWLM"));
}

TEST(end_checks, tcpstacksourcevipa_needs_sourcevipa) {
    EXPECT_TRUE(initial("IPCONFIG TCPSTACKSOURCEVIPA 198.18.3.1\n").has("ZPX0123I"));
}

}  // namespace
}  // namespace zplex::tcpip::profile::test
