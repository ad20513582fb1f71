// SPDX-License-Identifier: Apache-2.0
// SYSPLEXPORTS end to end: FIG4's stacks as zplex-tcpip processes with a real zplex-cf
// holding EZBEPORT, DVA1's VIPADISTRIBUTE with SYSPLEXPORTS (a variant written into the
// copy of the catalogue). Real socat clients in the images of MVS2 and MVS4 connect out
// from DVA1 to a socat server in a client namespace, which says the port each one came
// from. Every connection completes (the server's answers reach the distributor, MVS1,
// which routes them to the stack holding the port), no port is used by both targets, and
// every port lies in a block that D TCPIP,,SYSPLEX,PORTS shows for that system.
#include "dist_e2e.hpp"

#include <regex>
#include <sstream>

namespace zplex::e2e::dist {
namespace {

struct block {
    int low = 0, high = 0;
    std::string sys;
};

std::vector<block> blocks_of(const std::string& display) {
    std::vector<block> out;
    std::regex row(R"(^  (\d{5})-(\d{5})  TCPIPA   (MVS\d)\s*$)");
    std::istringstream in(display);
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (std::regex_match(line, m, row)) out.push_back({std::stoi(m[1]), std::stoi(m[2]), m[3]});
    }
    return out;
}

TEST(distributor_e2e, sysplexports_connections_out_from_dva1_never_share_a_port_across_targets) {
    ZPLEX_E2E_NEEDS_NAMESPACES();
    stack_plex plex("sp");
    const std::string stmt = "VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN 198.18.2.1";
    const std::string with = "VIPADISTRIBUTE DEFINE SYSPLEXPORTS DISTMETHOD ROUNDROBIN 198.18.2.1";
    plex.rewrite_member("PROFMVS1", stmt, with);
    plex.rewrite_member("PROFMVS2", stmt, with);
    auto cf = plex.start_cf("CF01");
    auto stacks = start_stacks(plex, {"MVS1"}, {"MVS2", "MVS4"});
    for (const char* sys : {"MVS1", "MVS2", "MVS4"})
        ASSERT_TRUE(plex.wait_log(sys, "ZPX1601I TCPIPA HOLDS EPHEMERAL PORTS FOR 198.18.2.1:")) << plex.log(sys);
    ASSERT_TRUE(plex.wait_display("MVS1", "D TCPIP,,SYSPLEX,PORTS", "6 OF 6 RECORDS DISPLAYED"))
        << plex.control("MVS1", "D TCPIP,,SYSPLEX,PORTS");
    std::string display = plex.control("MVS1", "D TCPIP,,SYSPLEX,PORTS");
    auto blocks = blocks_of(display);
    ASSERT_EQ(blocks.size(), 6u) << display;

    // The server: socat in CLIENT1's namespace answers each connection with the port it came from.
    auto server = child_process::exec({"socat", "TCP4-LISTEN:7000,reuseaddr,fork", "SYSTEM:echo $SOCAT_PEERPORT"},
                                      plex.client(1).name(), plex.dir / "ports-server.log");
    bool listening = false;
    for (int i = 0; i < 100 && !listening; ++i) {
        listening = plex.client(1).exec({"ss", "-Hltn", "sport = :7000"}).out.find("7000") != std::string::npos;
        if (!listening) std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(listening);

    std::map<std::string, std::set<int>> used;
    std::map<std::string, int> completed;
    std::string failures;
    for (int i = 0; i < 20; ++i) {
        for (const char* sys : {"MVS2", "MVS4"}) {
            auto r = plex.image(sys).exec(
                {"socat", "-u", "TCP4:" + stack_plex::client_address(1) + ":7000,bind=198.18.2.1,connect-timeout=5", "STDOUT"},
                10s);
            int port = 0;
            try {
                port = std::stoi(r.out);
            } catch (const std::exception&) {
                port = 0;
            }
            if (!r.ok() || port <= 0) {
                failures += std::string(sys) + " connection " + std::to_string(i) + ": status " + std::to_string(r.status) +
                            " output '" + r.out + "'\n";
                continue;
            }
            // The server closes first (TIME_WAIT is on its side), so a target may use a port again.
            used[sys].insert(port);
            ++completed[sys];
            bool in_own_block = false;
            for (const auto& b : blocks)
                if (port >= b.low && port <= b.high) {
                    EXPECT_EQ(b.sys, sys) << "port " << port << " of " << sys << " is in a block of " << b.sys;
                    in_own_block = b.sys == sys;
                }
            EXPECT_TRUE(in_own_block) << sys << " port " << port << " is in no block:\n" << display;
        }
    }
    EXPECT_EQ(failures, "") << plex.log("MVS1") << plex.log("MVS2");
    EXPECT_EQ(completed["MVS2"], 20);
    EXPECT_EQ(completed["MVS4"], 20);
    std::printf("ports used: MVS2 %zu distinct, MVS4 %zu distinct\n", used["MVS2"].size(), used["MVS4"].size());
    for (int p : used["MVS2"]) EXPECT_EQ(used["MVS4"].count(p), 0u) << "port " << p << " used by MVS2 and MVS4";
    // The image's kernel range is the stack's blocks.
    auto range = plex.image("MVS4").exec({"cat", "/proc/sys/net/ipv4/ip_local_port_range"});
    int lo = 0, hi = 0;
    std::istringstream(range.out) >> lo >> hi;
    for (int p : used["MVS4"]) {
        EXPECT_GE(p, lo);
        EXPECT_LE(p, hi);
    }
    server.terminate(5s);
    // A normal end returns the stack's blocks: MVS4's go from the display.
    EXPECT_EQ(stacks["MVS4"].terminate(5s).status, 0);
    EXPECT_TRUE(plex.wait_display("MVS1", "D TCPIP,,SYSPLEX,PORTS", "4 OF 4 RECORDS DISPLAYED"))
        << plex.control("MVS1", "D TCPIP,,SYSPLEX,PORTS");
    for (auto& [sys, s] : stacks)
        if (sys != "MVS4") EXPECT_EQ(s.terminate(5s).status, 0) << sys;
    cf.terminate(5s);
}

}  // namespace
}  // namespace zplex::e2e::dist
