// SPDX-License-Identifier: Apache-2.0
// NEWCONN with a real strongSwan (docs/swsa.md "NEWCONN"): MVS1 owns DVA1 and its
// zplex-iked holds the IKE SA with charon on PEER1 (the port 60 SA). An application in
// MVS2's image, a target of DVA1, connects out from DVA1 to PEER1 port 7000, which
// FIG4's policy protects with an SA of its own that nobody has negotiated. MVS2's stack
// drops the SYN (SWSANEWCONN) and asks MVS1 (NEWCONN); MVS1's IKED negotiates the SA
// with charon (CREATE_CHILD_SA on the IKE SA it has) and the stack distributes it; the
// SYN sent again goes protected, straight from MVS2, and the transfer completes. The
// same from MVS4's image then finds the SA there and asks nothing. DVA1 is distributed with
// SYSPLEXPORTS (written into the copy of the catalogue), which connections out from a
// distributed DVIPA need.
#include "swsa_e2e.hpp"
#include "swsa_peer.hpp"

#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>
#include <zplex/e2e/stack_plex.hpp>
#include <zplex/e2e/strongswan.hpp>
#include <zplex/e2e/traffic.hpp>

#include <gtest/gtest.h>

#include <map>

namespace zplex::e2e {
namespace {

namespace fs = std::filesystem;
using namespace swsa_e2e;

/// charon's connection for DVA1 with a second child: PEER1 port 7000 to DVA1, the SA a
/// NEWCONN has DVA1's owner negotiate.
std::string conf_with_port_7000() {
    std::string conf = peer_connection().swanctl_conf();
    const std::string child =
        "            dva1out {\n"
        "                mode = tunnel\n"
        "                local_ts = " + std::string(peer1_addr) + "/32[tcp/7000]\n"
        "                remote_ts = " + std::string(dva1) + "/32[tcp]\n"
        "                esp_proposals = aes128gcm16\n"
        "                start_action = none\n"
        "            }\n";
    auto end_of_children = conf.find("        }\n    }\n}\nsecrets");
    conf.insert(end_of_children, child);
    return conf;
}

TEST(swsa_strongswan, newconn_from_a_target_has_the_owners_iked_negotiate_the_sa_it_sends_under) {
    ZPLEX_SWSA_NEEDS_STRONGSWAN();
    stack_plex plex("swnc");
    // Connections out from DVA1 need SYSPLEXPORTS: the peer's answers reach the
    // distributor, which finds the target by the port's block (docs/distributor.md).
    const std::string stmt = "VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN 198.18.2.1";
    const std::string with = "VIPADISTRIBUTE DEFINE SYSPLEXPORTS DISTMETHOD ROUNDROBIN 198.18.2.1";
    plex.rewrite_member("PROFMVS1", stmt, with);
    plex.rewrite_member("PROFMVS2", stmt, with);
    swsa_daemons d(plex);
    auto started = d.start({"MVS1", "MVS2", "MVS4"}, false);
    ASSERT_EQ(started, "");
    for (const char* sys : {"MVS2", "MVS4"})
        ASSERT_TRUE(plex.wait_log(sys, "ZPX1601I TCPIPA HOLDS EPHEMERAL PORTS FOR 198.18.2.1:")) << plex.log(sys);
    // Every stack read its image's policy: the two filter rules under a dynamic SA.
    for (const char* sys : {"MVS1", "MVS2", "MVS4"})
        EXPECT_NE(plex.log(sys).find(std::string("ZPX1717I IPSEC POLICY SYS1.PAGENT(") + sys +
                                     "): 2 FILTER RULES PROTECTED BY DYNAMIC SAS"),
                  std::string::npos)
            << plex.log(sys);
    auto apps = plex.app("MVS1");
    ASSERT_TRUE(wait_ready(plex, "MVS1", 1)) << plex.control("MVS1", "NETSTAT VDPT");
    auto iked_log = plex.log_path("MVS1", ".iked");
    d.start_iked("MVS1");
    auto wait_iked = [&](const std::string& text) { return d.wait_iked("MVS1", text); };
    ASSERT_TRUE(wait_iked("ZPX1722I IKE LISTENING ON DVIPA 198.18.2.1")) << file_text(iked_log);
    auto& peer = plex.client(peer1);
    charon swan(peer, plex.dir / "peer1", peer_options());
    swan.load(conf_with_port_7000());
    auto init = swan.initiate("dva1");
    ASSERT_TRUE(init.ok()) << init.out << swan.log_tail() << file_text(iked_log);
    ASSERT_TRUE(wait_iked("ZPX1706I SWSA SA Y1 INSTALLED AND DISTRIBUTED")) << file_text(iked_log);
    ASSERT_TRUE(plex.wait_display("MVS2", "ipsec -y display -s", "1 entry selected"));

    // MVS2's image connects out from DVA1 to PEER1 port 7000 and sends 256 KiB (SHA-256 of
    // what was sent and of what arrived).
    auto t = tcp_transfer(peer, peer1_addr, 7000, plex.image("MVS2"), dva1, 256 * 1024, 60s);
    ASSERT_TRUE(t.ok) << t.error << "\nMVS2:\n" << plex.log("MVS2") << "\nMVS1:\n" << plex.log("MVS1") << "\nIKED:\n"
                      << file_text(iked_log) << swan.log_tail(60);
    EXPECT_NE(plex.control("MVS2", "NETSTAT STATS").find("  SWSANEWCONN "), std::string::npos)
        << plex.control("MVS2", "NETSTAT STATS");
    EXPECT_NE(plex.log("MVS1").find("ZPX1702I NEWCONN FROM MVS2TCPIPA FOR 198.18.2.1 PORT "), std::string::npos)
        << plex.log("MVS1");
    EXPECT_NE(file_text(iked_log).find("ZPX1747I NEWCONN FROM MVS2 FOR 198.18.2.1 PORT "), std::string::npos)
        << file_text(iked_log);
    EXPECT_NE(file_text(iked_log).find("IKE NEGOTIATES dva1_peer1_out (dva1_peer1)"), std::string::npos)
        << file_text(iked_log);
    EXPECT_NE(file_text(iked_log).find("ZPX1706I SWSA SA Y2 INSTALLED AND DISTRIBUTED"), std::string::npos)
        << file_text(iked_log);

    // Both sides show it: charon's second CHILD_SA carried the transfer; MVS2 sent under
    // its shadow, from its own stack.
    child_sa out;
    for (const auto& ike : swan.list_sas())
        for (const auto& c : ike.children)
            if (c.name == "dva1out" && c.state == "INSTALLED") out = c;
    EXPECT_EQ(out.state, "INSTALLED") << swan.log_tail(60);
    EXPECT_GT(out.bytes_in, 256u * 1024) << "what MVS2 sent, under the SA, as charon counted it";
    EXPECT_GT(out.packets_out, 10u) << "PEER1's acknowledgements, under the SA, reached MVS2 through MVS1";
    auto shadows = plex.control("MVS2", "ipsec -y display -s -r detail");
    EXPECT_NE(shadows.find("2 entries selected"), std::string::npos) << shadows;
    char spi_text[16];
    std::snprintf(spi_text, sizeof spi_text, "%08X", out.spi_in);
    EXPECT_NE(shadows.find(spi_text), std::string::npos) << shadows;

    // MVS4's image: the SA is there already, so nothing is asked.
    auto t4 = tcp_transfer(peer, peer1_addr, 7000, plex.image("MVS4"), dva1, 64 * 1024, 60s);
    EXPECT_TRUE(t4.ok) << t4.error << plex.log("MVS4");
    EXPECT_EQ(plex.control("MVS4", "NETSTAT STATS").find("  SWSANEWCONN "), std::string::npos)
        << plex.control("MVS4", "NETSTAT STATS");
    auto log = file_text(swan.log_path());
    EXPECT_EQ(log.find("sequence number verification failed"), std::string::npos) << swan.log_tail(60);

    swan.stop();
    apps.terminate(5s);
    EXPECT_EQ(d.stop(), "") << "did not end with 0";
}

}  // namespace
}  // namespace zplex::e2e
