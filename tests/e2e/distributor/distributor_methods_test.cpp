// SPDX-License-Identifier: Apache-2.0
// DISTMETHODs with real zplex-tcpip processes, real servers (zplex-app) in the images'
// namespaces and real Linux clients in two client namespaces (FIG4: MVS1 distributes DVA1
// 198.18.2.1 port 60 to XCF1, XCF2 and XCF4).
//
//   client 1 ─┐                      ┌─ MVS1 image: zplex-app   (the distributor's own target)
//             ├─ br0 ─ TAP ─ MVS1 ───┼─ XCF ─ MVS2 ─ TUN ─ zplex-app
//   client 2 ─┘   ▲                  └─ XCF ─ MVS4 ─ TUN ─ zplex-app
//                 └── replies of MVS2's and MVS4's connections: from their own OSA MACs
//
// Each connection's server is known three ways that must agree with the model's
// prediction: the server's greeting (client side), the server's own log (ZPX1054I), and
// the distributor's VCRT (DestXCF).
#include "dist_e2e.hpp"

#include <zplex/e2e/capture.hpp>

namespace zplex::e2e::dist {
namespace {

namespace fs = std::filesystem;

/// Each server's log names exactly the client sockets the clients say it served.
void expect_servers_agree(const stack_plex& plex, const std::vector<dist_connection>& cs,
                          const std::vector<std::string>& systems, const std::string& tag = {}) {
    for (const auto& sys : systems) {
        std::set<std::string> want, logged;
        for (const auto& c : cs)
            if (c.server == sys) want.insert(c.key());
        for (const auto& r : accepted_by_app(file_text(plex.app_log_path(sys, tag)))) logged.insert(r);
        EXPECT_EQ(logged, want) << sys << "'s own log disagrees with its clients";
    }
}

TEST(distributor_e2e, round_robin_300_connections_from_two_clients_land_as_predicted_and_targets_reply_directly) {
    ZPLEX_E2E_NEEDS_NAMESPACES();
    stack_plex plex("rr");
    auto p = plan(plex, dva1, 300, 0, true);
    std::map<std::string, child_process> apps;
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) apps[sys] = plex.app(sys);
    auto stacks = start_stacks(plex, {"MVS1"}, {"MVS2", "MVS4"});
    ASSERT_TRUE(wait_ready(plex, "MVS1", dva1_60, {{"MVS1", 1}, {"MVS2", 1}, {"MVS4", 1}}))
        << plex.control("MVS1", "NETSTAT VDPT");
    for (const auto& [xcf, r] : vdpt_rows(plex.control("MVS1", "NETSTAT VDPT"), dva1_60)) EXPECT_EQ(r.total, 0u) << xcf;

    // The witness: every frame to or from the two clients, on their bridge ports.
    packet_capture cap(plex.lan, {"vc1", "vc2"}, plex.dir / "lan.pcapng", "tcp port 60 or icmp");
    ASSERT_TRUE(cap.wait_ready()) << cap.log();
    dist_clients clients(p, plex.dir, "rr");
    ASSERT_TRUE(clients.wait_opened(90s)) << clients.report();
    auto cs = clients.connections();
    ASSERT_EQ(cs.size(), 300u) << clients.report();
    EXPECT_EQ(opened_ok(cs), 300) << clients.report();

    // The prediction: connection i goes to the (i mod 3)-th target in DESTIP order.
    round_robin_model rr{{"MVS1", "MVS2", "MVS4"}};
    std::vector<std::string> predicted;
    for (int i = 0; i < 300; ++i) predicted.push_back(rr.next({"MVS1", "MVS2", "MVS4"}));
    EXPECT_EQ(servers(cs), predicted);
    EXPECT_EQ(by_server(cs), (std::map<std::string, int>{{"MVS1", 100}, {"MVS2", 100}, {"MVS4", 100}}));

    // The distributor's VCRT names each connection's target, as predicted.
    ASSERT_TRUE(plex.wait_display("MVS1", "D TCPIP,,NETSTAT,VCRT", "300 OF 300 RECORDS DISPLAYED"))
        << plex.control("MVS1", "NETSTAT VCRT");
    auto vcrt = vcrt_dest_xcf(plex.control("MVS1", "D TCPIP,,NETSTAT,VCRT"), dva1_60);
    ASSERT_EQ(vcrt.size(), 300u);
    int vcrt_agrees = 0;
    for (std::size_t i = 0; i < cs.size(); ++i) vcrt_agrees += vcrt[cs[i].key()] == xcf_of(predicted[i]);
    EXPECT_EQ(vcrt_agrees, 300);
    auto vdpt = vdpt_rows(plex.control("MVS1", "NETSTAT VDPT DETAIL"), dva1_60);
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) {
        EXPECT_EQ(vdpt[xcf_of(sys)].total, 100u) << sys;
        EXPECT_EQ(vdpt[xcf_of(sys)].active, 100) << sys;
    }
    // Each target's own VCRT holds the connections it serves, no others.
    for (const char* sys : {"MVS2", "MVS4"}) {
        auto mine = vcrt_dest_xcf(plex.control(sys, "NETSTAT VCRT"), dva1_60);
        std::set<std::string> want, have;
        for (const auto& c : cs)
            if (c.server == sys) want.insert(c.key());
        for (const auto& [k, x] : mine) {
            have.insert(k);
            EXPECT_EQ(x, xcf_of(sys));
        }
        EXPECT_EQ(have, want) << sys;
    }

    auto done = clients.finish(60s);
    EXPECT_TRUE(done.ok()) << clients.report();
    cs = clients.connections();
    EXPECT_EQ(closed_ok(cs), 300) << clients.report();
    ASSERT_TRUE(cap.stop()) << cap.log();
    // The witness's own count: a frame it lost would read as a reply never sent.
    EXPECT_EQ(cap.dropped(), 0u) << cap.log();
    expect_servers_agree(plex, cs, {"MVS1", "MVS2", "MVS4"});

    // The capture: every reply of a connection leaves from the MAC of the image that
    // serves it; none of MVS2's or MVS4's from the distributor's. Every client segment
    // went to the distributor's MAC.
    auto who = server_of(cs);
    std::map<std::string, int> replies_by_mac_ok, replies_wrong;
    std::set<std::string> replied;
    int from_distributor_for_others = 0;
    for (const auto& f : cap.fields("!icmp && ip.src==198.18.2.1 && tcp.srcport==60", {"eth.src", "ip.dst", "tcp.dstport"})) {
        std::string key = f[1] + ".." + f[2];
        auto it = who.find(key);
        if (it == who.end()) continue;  // not one of ours (none expected)
        replied.insert(key);
        if (f[0] == mac_of(it->second)) ++replies_by_mac_ok[it->second];
        else ++replies_wrong[it->second];
        if (it->second != "MVS1" && f[0] == mac_of("MVS1")) ++from_distributor_for_others;
    }
    EXPECT_EQ(replied.size(), 300u) << "connections without a reply in the capture" << cap.log();
    EXPECT_EQ(from_distributor_for_others, 0);
    EXPECT_TRUE(replies_wrong.empty());
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) EXPECT_GE(replies_by_mac_ok[sys], 300) << sys;  // SYN-ACK, greeting, echoes, FIN
    int inbound = 0;
    std::string inbound_elsewhere;
    // (not ICMP: tshark's ip.dst also matches the header an ICMP error quotes)
    for (const auto& f : cap.fields("!icmp && ip.dst==198.18.2.1 && tcp.dstport==60",
                                    {"frame.number", "eth.dst", "ip.src", "tcp.srcport", "tcp.flags"})) {
        ++inbound;
        if (f[1] != mac_of("MVS1")) inbound_elsewhere += "frame " + f[0] + " to " + f[1] + " from " + f[2] + ".." + f[3] + " flags " + f[4] + "\n";
    }
    EXPECT_GE(inbound, 300 * 5);
    EXPECT_EQ(inbound_elsewhere, "");
    std::string icmp;
    for (const auto& f : cap.fields("icmp", {"frame.number", "eth.src", "ip.src", "ip.dst", "icmp.type", "icmp.code"}))
        icmp += "frame " + f[0] + " " + f[1] + " " + f[2] + " -> " + f[3] + " type " + f[4] + " code " + f[5] + "; ";
    if (!icmp.empty()) std::printf("ICMP on the clients' ports (not expected, not judged): %s\n", icmp.c_str());
    for (auto& [sys, a] : apps) EXPECT_EQ(a.terminate(5s).status, 0);
    for (auto& [sys, s] : stacks) EXPECT_EQ(s.terminate(5s).status, 0) << sys;
}

TEST(distributor_e2e, weighted_active_holds_active_connections_to_the_weights_within_5_percent) {
    ZPLEX_E2E_NEEDS_NAMESPACES();
    stack_plex plex("wa");
    // A variant of FIG4: DVA1 WEIGHTEDACTIVE 10:20:30 on the distributor and its backup.
    const std::string rr_block = "DISTMETHOD ROUNDROBIN 198.18.2.1\n"
                                 "                 PORT 60\n"
                                 "                 DESTIP 198.18.1.1 198.18.1.2 198.18.1.4\n";
    const std::string wa_block = "DISTMETHOD WEIGHTEDACTIVE 198.18.2.1\n"
                                 "                 PORT 60\n"
                                 "                 DESTIP 198.18.1.1 WEIGHT 10 198.18.1.2 WEIGHT 20\n"
                                 "                        198.18.1.4 WEIGHT 30\n";
    plex.rewrite_member("PROFMVS1", rr_block, wa_block);
    plex.rewrite_member("PROFMVS2", rr_block, wa_block);
    std::map<std::string, child_process> apps;
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) apps[sys] = plex.app(sys);
    auto stacks = start_stacks(plex, {"MVS1"}, {"MVS2", "MVS4"});
    ASSERT_TRUE(wait_ready(plex, "MVS1", dva1_60, {{"MVS1", 1}, {"MVS2", 1}, {"MVS4", 1}}))
        << plex.control("MVS1", "NETSTAT VDPT");
    EXPECT_NE(plex.control("MVS1", "NETSTAT VDPT").find("  DistMethod: WeightedActive"), std::string::npos);

    weighted_active_model model{{{"MVS1", 10}, {"MVS2", 20}, {"MVS4", 30}}, {}};
    dist_clients first(plan(plex, dva1, 300, 0, true), plex.dir, "wa1");
    ASSERT_TRUE(first.wait_opened(90s)) << first.report();
    auto cs = first.connections();
    ASSERT_EQ(opened_ok(cs), 300) << first.report();
    auto got = by_server(cs);
    for (auto [sys, share] : std::map<std::string, int>{{"MVS1", 50}, {"MVS2", 100}, {"MVS4", 150}})
        EXPECT_LE(std::abs(got[sys] - share), share / 20) << sys << " took " << got[sys] << " of 300, its share " << share;
    std::vector<std::string> predicted;
    for (int i = 0; i < 300; ++i) predicted.push_back(model.next());
    EXPECT_EQ(servers(cs), predicted);
    auto vdpt = vdpt_rows(plex.control("MVS1", "NETSTAT VDPT DETAIL"), dva1_60);
    for (const auto& [sys, n] : got) EXPECT_EQ(vdpt[xcf_of(sys)].active, n) << sys;

    // Active connections, not totals: once they end, ActConn goes back to 0 (the
    // targets' ended reports), and a new batch follows the weights again.
    EXPECT_TRUE(first.finish(60s).ok()) << first.report();
    EXPECT_EQ(closed_ok(first.connections()), 300);
    bool drained = false;
    for (int t = 0; t < 200 && !drained; ++t) {
        drained = true;
        for (const auto& [x, r] : vdpt_rows(plex.control("MVS1", "NETSTAT VDPT DETAIL"), dva1_60))
            drained = drained && r.active == 0;
        if (!drained) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(drained) << plex.control("MVS1", "NETSTAT VDPT DETAIL");
    model.active.clear();
    dist_clients second(plan(plex, dva1, 60, 300, true), plex.dir, "wa2");
    ASSERT_TRUE(second.wait_opened(60s)) << second.report();
    auto cs2 = second.connections();
    EXPECT_EQ(by_server(cs2), (std::map<std::string, int>{{"MVS1", 10}, {"MVS2", 20}, {"MVS4", 30}}));
    vdpt = vdpt_rows(plex.control("MVS1", "NETSTAT VDPT DETAIL"), dva1_60);
    EXPECT_EQ(vdpt[xcf_of("MVS4")].total, static_cast<std::uint64_t>(got["MVS4"] + 30));
    EXPECT_TRUE(second.finish(60s).ok()) << second.report();
    cs.insert(cs.end(), cs2.begin(), cs2.end());
    for (auto& [sys, a] : apps) EXPECT_EQ(a.terminate(5s).status, 0);
    expect_servers_agree(plex, cs, {"MVS1", "MVS2", "MVS4"});
    for (auto& [sys, s] : stacks) EXPECT_EQ(s.terminate(5s).status, 0) << sys;
}

}  // namespace
}  // namespace zplex::e2e::dist
