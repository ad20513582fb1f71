// SPDX-License-Identifier: Apache-2.0
// FIG4 in one process: giveback IMMEDIATE (MOVING, kept connections routed to the old
// holder) and WHENIDLE, DEACTIVATE/REACTIVATE, VIPADELETE by OBEYFILE, VIPARANGE binds.
#include "stack_sim.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace zplex::test;
using zplex::tcpip::stack::dvipa_status;
using lines = std::vector<std::string>;

namespace {
const std::uint32_t dva1 = ip("198.18.2.1");

void settle_all(fig4& s) {
    s.start_all({"MVS5", "MVS1", "MVS2", "MVS3", "MVS4"});
    for (auto& n : s.nodes) n->new_messages();
}

/// A TCP connection from CLIENT1 to DVA1 port 61 (not distributed) served by @p server's application.
void open_connection(fig4& s, sim_node& server, std::uint16_t port) {
    auto& c = s.client(1);
    c.send(tcp_segment(c.address, port, dva1, 61, SYN));
    s.pump();
    server.s->app_packet(tcp_segment(dva1, 61, c.address, port, SYN | ACK));
    s.pump();
    c.send(tcp_segment(c.address, port, dva1, 61, ACK));
    s.pump();
}

void close_connection(fig4& s, sim_node& server, std::uint16_t port) {
    auto& c = s.client(1);
    c.send(tcp_segment(c.address, port, dva1, 61, FIN | ACK));
    s.pump();
    server.s->app_packet(tcp_segment(dva1, 61, c.address, port, FIN | ACK));
    s.pump();
    c.send(tcp_segment(c.address, port, dva1, 61, ACK));
    s.pump();
}

/// Segments on @p port with @p text that reached @p n's application.
int app_got(const sim_node& n, std::uint16_t port, const std::string& text) {
    int k = 0;
    for (const auto& p : n.app_in) {
        if (p.size() < 40 || p[9] != 6 || get16(p, 22) != port) continue;
        if (std::string(p.begin() + 40, p.end()) == text) ++k;
    }
    return k;
}

std::string read(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string vipadyn_line(sim_node& n, const char* address) {
    for (const auto& l : n.cmd("NETSTAT VIPADYN"))
        if (l.rfind(std::string("  ") + address + " ", 0) == 0) return l;
    return "";
}
}  // namespace

TEST(Fig4Giveback, ImmediateGivesBackAndKeepsConnectionsOnTheOldHolder) {
    fig4 s;
    settle_all(s);
    auto& c = s.client(1);
    s.kill("MVS1");
    auto& m2 = s.node("MVS2");
    EXPECT_EQ(m2.new_messages(), (lines{"EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1"}));
    open_connection(s, m2, 40001);
    EXPECT_EQ(m2.dvipa("198.18.2.1")->connections, 1u);

    // MVS1 returns: VIPADEFINE MOVEABLE IMMEDIATE takes DVA1 back at once.
    auto& m1 = s.start("MVS1");
    EXPECT_EQ(m2.new_messages(), (lines{"EZZ8303I VIPA 198.18.2.1 GIVEN TO TCPIPA ON MVS1"}));
    EXPECT_EQ(m1.new_messages(), (lines{
        "EZD1176I TCPIPA HAS SUCCESSFULLY JOINED THE TCP/IP SYSPLEX GROUP EZBTCPCS",
        "EZD1214I INITIAL DYNAMIC VIPA PROCESSING HAS COMPLETED FOR TCPIPA",
        "EZZ8302I VIPA 198.18.2.1 TAKEN FROM TCPIPA ON MVS2"}));
    EXPECT_EQ(c.arp.at(dva1), m1.id.mac);
    EXPECT_EQ(vipadyn_line(m2, "198.18.2.1"), "  198.18.2.1      255.255.255.0   Moving    VIPABackup   Dest");
    auto sysplex = m1.cmd("D TCPIP,,SYSPLEX,VIPADYN");
    EXPECT_NE(std::find(sysplex.begin(), sysplex.end(), "  TCPIPA   MVS2     MOVING 100  DEST"), sysplex.end());

    // The kept connection's packets reach MVS1 and are routed to MVS2 over the XCF link.
    c.send(tcp_segment(c.address, 40001, dva1, 61, ACK | PSH, "old"));
    s.pump();
    EXPECT_EQ(app_got(m2, 61, "old"), 1);
    EXPECT_EQ(app_got(m1, 61, "old"), 0);
    // MVS2 answers straight on the LAN, from the DVIPA.
    m2.s->app_packet(tcp_segment(dva1, 61, c.address, 40001, ACK | PSH, "reply"));
    s.pump();
    EXPECT_EQ(c.received_from.back(), m2.id.mac);
    EXPECT_EQ(get32(c.received.back(), 12), dva1);
    // A new connection is MVS1's.
    open_connection(s, m1, 40002);
    EXPECT_EQ(m1.dvipa("198.18.2.1")->connections, 1u);
    EXPECT_EQ(m2.dvipa("198.18.2.1")->connections, 1u);

    // The kept connection ends: MVS2 is a backup again, and MVS1 stops routing it there.
    close_connection(s, m2, 40001);
    s.advance(3000);
    EXPECT_EQ(m2.dvipa("198.18.2.1")->status, dvipa_status::backup);
    EXPECT_EQ(vipadyn_line(m2, "198.18.2.1"), "  198.18.2.1      255.255.255.0   Backup    VIPABackup   Dest");
    c.send(tcp_segment(c.address, 40001, dva1, 61, ACK | PSH, "late"));
    s.pump();
    EXPECT_EQ(app_got(m2, 61, "late"), 0);
    EXPECT_EQ(app_got(m1, 61, "late"), 1);
}

TEST(Fig4Giveback, ATakeTheHolderNeverAnsweredIsAskedAgain) {
    fig4 s;
    settle_all(s);
    s.kill("MVS1");
    auto& m2 = s.node("MVS2");
    m2.new_messages();
    // MVS2 does not get MVS1's first take (as when it came before MVS2 knew the restarted
    // MVS1): without a second one DVA1 would stay on MVS2 for good.
    int takes = 0;
    const std::string m1_member = s.node("MVS1").id.member, m2_member = m2.id.member;
    s.lose = [&](const std::string& from, const std::string& to, const std::vector<std::uint8_t>& m) {
        if (from != m1_member || to != m2_member || m.size() < 4 || m[0] != 'Z' || m[1] != 'D' || m[3] != 2)
            return false;
        return ++takes == 1;
    };
    auto& m1 = s.start("MVS1");
    EXPECT_EQ(takes, 1);
    EXPECT_EQ(m1.dvipa("198.18.2.1")->status, dvipa_status::backup);
    EXPECT_EQ(m2.dvipa("198.18.2.1")->status, dvipa_status::active);
    s.advance(500);
    EXPECT_EQ(takes, 1) << "asked again before take_retry_ms";
    s.advance(700);
    EXPECT_EQ(takes, 2);
    EXPECT_EQ(m1.dvipa("198.18.2.1")->status, dvipa_status::active);
    EXPECT_EQ(m2.new_messages(), (lines{"EZZ8303I VIPA 198.18.2.1 GIVEN TO TCPIPA ON MVS1"}));
    auto m1_said = m1.new_messages();
    EXPECT_EQ(m1_said.back(), "EZZ8302I VIPA 198.18.2.1 TAKEN FROM TCPIPA ON MVS2");
    // Once given, nothing more is asked.
    s.advance(3000);
    EXPECT_EQ(takes, 2);
}

TEST(Fig4Giveback, WhenIdleWaitsForTheLastConnection) {
    fig4 s;
    std::string text = read(std::string(ZPLEX_SOURCE_DIR) + "/profiles/FIG4/SYS1.TCPPARMS/PROFMVS1");
    auto at = text.find("VIPADEFINE MOVEABLE IMMEDIATE");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 29, "VIPADEFINE MOVEABLE WHENIDLE ");
    s.override_text["MVS1"] = text;
    settle_all(s);
    s.kill("MVS1");
    auto& m2 = s.node("MVS2");
    m2.new_messages();
    open_connection(s, m2, 40001);
    auto& m1 = s.start("MVS1");
    s.advance(2000);
    EXPECT_EQ(m2.new_messages(), lines{});
    EXPECT_EQ(m1.dvipa("198.18.2.1")->status, dvipa_status::backup);
    EXPECT_EQ(m2.dvipa("198.18.2.1")->status, dvipa_status::active);
    auto cfg = m1.cmd("NETSTAT VIPADCFG");
    EXPECT_NE(std::find(cfg.begin(), cfg.end(), "      Moveable: WhenIdle  SrvMgr: No"), cfg.end());

    close_connection(s, m2, 40001);
    s.advance(3000);
    EXPECT_EQ(m2.new_messages(), (lines{"EZZ8303I VIPA 198.18.2.1 GIVEN TO TCPIPA ON MVS1"}));
    EXPECT_EQ(m1.log.back(), "EZZ8302I VIPA 198.18.2.1 TAKEN FROM TCPIPA ON MVS2");
    EXPECT_EQ(m1.dvipa("198.18.2.1")->status, dvipa_status::active);
    EXPECT_EQ(m2.dvipa("198.18.2.1")->status, dvipa_status::backup);
}

TEST(Fig4Giveback, DeactivateAndReactivate) {
    fig4 s;
    settle_all(s);
    auto& m1 = s.node("MVS1");
    auto& m2 = s.node("MVS2");
    EXPECT_EQ(m1.cmd("V TCPIP,,SYSPLEX,DEACTIVATE,DVIPA=198.18.2.1"),
              (lines{"ZPX1001I VARY TCPIP,,SYSPLEX,DEACTIVATE,DVIPA=198.18.2.1 COMPLETED ON TCPIPA"}));
    s.pump();
    s.advance(100);
    EXPECT_EQ(m2.new_messages(), (lines{"EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1"}));
    EXPECT_EQ(vipadyn_line(m1, "198.18.2.1"), "  198.18.2.1      255.255.255.0   Deactivated VIPADefine Dest");
    auto cfg = m1.cmd("NETSTAT VIPADCFG");
    auto d = std::find(cfg.begin(), cfg.end(), "Deactivated Dynamic VIPA Information:");
    ASSERT_NE(d, cfg.end());
    EXPECT_EQ(*(d + 1), "  VIPA Define:");
    EXPECT_EQ(*(d + 2), "    IpAddr/PrefixLen: 198.18.2.1/24");
    EXPECT_EQ(m1.cmd("V TCPIP,,SYSPLEX,DEACTIVATE,DVIPA=198.18.2.1"),
              (lines{"ZPX1031I VARY TCPIP,,SYSPLEX,DEACTIVATE: DVIPA 198.18.2.1 IS ALREADY DEACTIVATED"}));
    EXPECT_EQ(m1.cmd("V TCPIP,,SYSPLEX,DEACTIVATE,DVIPA=198.18.9.9"),
              (lines{"ZPX1031I VARY TCPIP,,SYSPLEX,DEACTIVATE: 198.18.9.9 IS NOT A VIPADEFINE OR VIPABACKUP DVIPA OF "
                     "TCPIPA"}));

    EXPECT_EQ(m1.cmd("V TCPIP,TCPIPA,SYSPLEX,REACTIVATE,DVIPA=198.18.2.1"),
              (lines{"ZPX1001I VARY TCPIP,,SYSPLEX,REACTIVATE,DVIPA=198.18.2.1 COMPLETED ON TCPIPA"}));
    s.pump();
    s.advance(100);
    EXPECT_EQ(m2.new_messages(), (lines{"EZZ8303I VIPA 198.18.2.1 GIVEN TO TCPIPA ON MVS1"}));
    EXPECT_EQ(m1.new_messages().back(), "EZZ8302I VIPA 198.18.2.1 TAKEN FROM TCPIPA ON MVS2");
    EXPECT_EQ(m1.dvipa("198.18.2.1")->status, dvipa_status::active);
}

TEST(Fig4Giveback, DeactivatedBackupIsNotEligibleUntilReactivated) {
    fig4 s;
    settle_all(s);
    auto& m2 = s.node("MVS2");
    m2.cmd("V TCPIP,,SYSPLEX,DEACT,DVIPA=198.18.2.1");
    s.pump();
    s.kill("MVS1");
    EXPECT_EQ(m2.new_messages(), lines{});
    EXPECT_EQ(m2.dvipa("198.18.2.1")->status, dvipa_status::deactivated);
    m2.cmd("V TCPIP,,SYSPLEX,REACT,DVIPA=198.18.2.1");
    s.pump();
    EXPECT_EQ(m2.new_messages(), (lines{"EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1"}));
}

TEST(Fig4Giveback, DeactivateWithConnectionsQuiescesThem) {
    fig4 s;
    settle_all(s);
    auto& m1 = s.node("MVS1");
    auto& m2 = s.node("MVS2");
    open_connection(s, m1, 40005);
    m1.cmd("V TCPIP,,SYSPLEX,DEACTIVATE,DVIPA=198.18.2.1");
    s.pump();
    EXPECT_EQ(vipadyn_line(m1, "198.18.2.1"), "  198.18.2.1      255.255.255.0   Quiescing VIPADefine   Dest");
    EXPECT_EQ(m2.dvipa("198.18.2.1")->status, dvipa_status::active);
    s.client(1).send(tcp_segment(s.client(1).address, 40005, dva1, 61, ACK | PSH, "kept"));
    s.pump();
    EXPECT_EQ(app_got(m1, 61, "kept"), 1);  // via MVS2 and the XCF link
    close_connection(s, m1, 40005);
    s.advance(3000);
    EXPECT_EQ(m1.dvipa("198.18.2.1")->status, dvipa_status::deactivated);
}

TEST(Fig4Giveback, VipadeleteByObeyfileEndsTheBackup) {
    fig4 s;
    settle_all(s);
    auto& m2 = s.node("MVS2");
    zplex::tcpip::profile::parse_options o;
    zplex::tcpip::profile::message_log log;
    auto running = m2.config;
    zplex::tcpip::profile::apply_obeyfile_text(running, "VIPADYNAMIC\n VIPADELETE 198.18.2.1\nENDVIPADYNAMIC\n",
                                               "USER.OBEY", o, log);
    ASSERT_LE(log.return_code(), 4);
    m2.s->apply_profile(running);
    s.pump();
    EXPECT_FALSE(m2.dvipa("198.18.2.1").has_value());
    s.kill("MVS1");
    EXPECT_EQ(m2.new_messages(), lines{});
    auto sysplex = s.node("MVS4").cmd("D TCPIP,,SYSPLEX,VIPADYN");
    EXPECT_EQ(std::count(sysplex.begin(), sysplex.end(), "IPADDR: 198.18.2.1  LINKNAME: VIPLC6120201"), 0);
}

TEST(Fig4Giveback, ViparangeBindCreatesADvipaAndUnbindDeletesIt) {
    fig4 s;
    settle_all(s);
    auto& m1 = s.node("MVS1");
    auto& c = s.client(1);
    m1.s->listener_added(ipv4_address{ip("198.18.2.70")}, 8080, "WEBSRV1");
    m1.s->listener_added(ipv4_address{ip("198.18.5.5")}, 8080, "OTHER");  // outside every range
    s.pump();
    EXPECT_EQ(vipadyn_line(m1, "198.18.2.70"), "  198.18.2.70     255.255.255.192 Active    VIPARange    Bind");
    EXPECT_FALSE(m1.dvipa("198.18.5.5").has_value());
    auto dyn = m1.cmd("NETSTAT VIPADYN");
    EXPECT_NE(std::find(dyn.begin(), dyn.end(), "    ActTime:      12/01/2026 08:00:00   JobName: WEBSRV1"), dyn.end());
    c.send(echo_request(c.address, ip("198.18.2.70"), 1));
    s.pump();
    EXPECT_EQ(c.echo_replies_from(ip("198.18.2.70")), 1);
    EXPECT_EQ(c.arp.at(ip("198.18.2.70")), m1.id.mac);
    auto sysplex = s.node("MVS3").cmd("D TCPIP,,SYSPLEX,VIPADYN");
    auto at = std::find(sysplex.begin(), sysplex.end(), "IPADDR: 198.18.2.70  LINKNAME: VIPLC6120246");
    ASSERT_NE(at, sysplex.end());
    EXPECT_EQ(*(at + 1), "  ORIGIN: VIPARANGE BIND");
    m1.s->listener_removed(ipv4_address{ip("198.18.2.70")}, 8080);
    s.pump();
    EXPECT_FALSE(m1.dvipa("198.18.2.70").has_value());
}

TEST(Fig4Giveback, ViparangeBindOnAnotherStackMovesItNondisruptively) {
    fig4 s;
    s.override_text["MVS3"] =
        "INCLUDE SYS1.TCPPARMS(COMMON)\n"
        "IPCONFIG DATAGRAMFWD SYSPLEXROUTING DYNAMICXCF 198.18.1.3 255.255.255.0 1\n"
        "VIPADYNAMIC\n  VIPARANGE DEFINE MOVEABLE NONDISRUPTIVE 255.255.255.192 198.18.2.64\nENDVIPADYNAMIC\n"
        "START OSAQDIO1\n";
    settle_all(s);
    auto& m1 = s.node("MVS1");
    auto& m3 = s.node("MVS3");
    m1.s->listener_added(ipv4_address{ip("198.18.2.70")}, 8080, "WEBSRV1");
    s.pump();
    m3.s->listener_added(ipv4_address{ip("198.18.2.70")}, 8080, "WEBSRV3");
    s.pump();
    EXPECT_EQ(m1.new_messages(), (lines{"EZZ8303I VIPA 198.18.2.70 GIVEN TO TCPIPA ON MVS3"}));
    EXPECT_EQ(m3.new_messages(), (lines{"EZZ8302I VIPA 198.18.2.70 TAKEN FROM TCPIPA ON MVS1"}));
    EXPECT_EQ(m3.dvipa("198.18.2.70")->status, dvipa_status::active);
    // A bind on MVS3 to DVA1, a VIPADEFINE of MVS1: refused, nothing created.
    m3.s->listener_added(ipv4_address{dva1}, 9000, "ROGUE");
    EXPECT_FALSE(m3.dvipa("198.18.2.1").has_value());
}

TEST(Fig4Giveback, ViparangeBindConflictsWithADefinedDvipa) {
    fig4 s;
    s.override_text["MVS3"] =
        "INCLUDE SYS1.TCPPARMS(COMMON)\n"
        "IPCONFIG DATAGRAMFWD SYSPLEXROUTING DYNAMICXCF 198.18.1.3 255.255.255.0 1\n"
        "VIPADYNAMIC\n  VIPARANGE DEFINE MOVEABLE NONDISRUPTIVE 255.255.255.0 198.18.2.0\nENDVIPADYNAMIC\n"
        "START OSAQDIO1\n";
    settle_all(s);
    auto& m3 = s.node("MVS3");
    m3.s->listener_added(ipv4_address{dva1}, 9000, "ROGUE");
    EXPECT_EQ(m3.new_messages(), (lines{"ZPX1011I BIND TO 198.18.2.1 BY ROGUE DOES NOT CREATE A DVIPA: IT IS DEFINED "
                                         "ON TCPIPA ON MVS1"}));
    EXPECT_FALSE(m3.dvipa("198.18.2.1").has_value());
}
