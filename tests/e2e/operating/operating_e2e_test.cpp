// SPDX-License-Identifier: Apache-2.0
// The operator's day on FIG4: `zplex up` builds the LAN, the namespaces, the CFs, the five
// stacks (on XCF systems of their own, or their images under Hercules) and the AUTOLOG
// servers; `zplex cmd` displays DVA1 ACTIVE on MVS1 with DVB1 as its backup; RO *ALL
// answers from all five; `zplex exec CLIENT1` reaches DVA1:60 and reads the serving image's
// line; a second up is refused; after a crash up sweeps what was left; `zplex down` leaves
// no process, namespace or shared memory object of the run.
#include "fig4_run.hpp"

#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>
#include <zplex/operating/run.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace zplex::e2e {
namespace {

namespace fs = std::filesystem;

void operate_fig4(bool hercules) {
    std::string why;
    if (!can_use_netns(&why)) GTEST_SKIP() << why;
    if (!fs::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun";
    fig4_run f(hercules ? "H" : "N");
    std::vector<std::string> up{"up", "--sysplex", f.plex.string(), "--run-dir", f.dir.string()};
    if (!hercules) up.push_back("--no-hercules");
    // Through a pipe: up returns, and what it started holds none of its output streams
    // (a shell's `zplex up | tail` ends).
    std::string line = std::string(ZPLEX_BINARY_DIR) + "/bin/zplex";
    for (const auto& a : up) line += " '" + a + "'";
    auto u = zplex::e2e::run({"bash", "-o", "pipefail", "-c", line + " 2>&1 | cat"}, 120s);
    EXPECT_FALSE(u.timed_out) << "the pipe stayed open";
    ASSERT_EQ(u.status, 0) << u.out << f.logs();
    EXPECT_NE(u.out.find("ZPX1808I SYSPLEX " + f.name + " IS UP IN "), std::string::npos) << u.out;
    EXPECT_NE(u.out.find("ZPX1807I AUTOLOG: 5 PROCEDURES STARTED"), std::string::npos) << u.out;
    struct stat st {};
    ASSERT_EQ(::stat(f.dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);

    // One run at a time.
    auto again = f.run(up, 30s);
    EXPECT_EQ(again.status, 8) << again.out;
    EXPECT_NE(again.out.find("ZPX1813E SYSPLEX " + f.name + " ALREADY RUNS FROM"), std::string::npos) << again.out;

    auto dyn = f.cmd("D TCPIP,TCPIPA,NETSTAT,VIPADYN");
    EXPECT_EQ(dyn.status, 0) << dyn.out;
    EXPECT_EQ(dyn.out.rfind("EZD0101I NETSTAT CS V2R4 TCPIPA ", 0), 0u) << dyn.out;
    EXPECT_NE(line_with(dyn.out, "  198.18.2.1 ").find("ACTIVE    VIPADEFINE"), std::string::npos) << dyn.out;
    EXPECT_NE(line_with(dyn.out, "  198.18.2.2 ").find("BACKUP    VIPABACKUP"), std::string::npos) << dyn.out;
    auto abbrev = f.cmd("d tcpip,,n,vdyn");
    EXPECT_EQ(abbrev.out.substr(abbrev.out.find('\n')), dyn.out.substr(dyn.out.find('\n'))) << abbrev.out;

    auto ro = f.cmd("RO *ALL,D TCPIP,,SYSPLEX,VIPADYN");
    EXPECT_EQ(ro.status, 0) << ro.out;
    for (int i = 1; i <= 5; ++i) {
        auto at = ro.out.find("RESPONSE=MVS" + std::to_string(i) + "\n EZZ8260I SYSPLEX CS V2R4\n VIPA DYNAMIC DISPLAY FROM TCPIPA   AT MVS" +
                              std::to_string(i) + "\n");
        EXPECT_NE(at, std::string::npos) << "MVS" << i << "\n" << ro.out;
    }

    // A client reaches DVA1:60 and reads the line of the image that serves it (the distributor's own).
    auto ex = f.run({"exec", "--run-dir", f.dir.string(), "CLIENT1", "--", "bash", "-c",
                     "exec 3<>/dev/tcp/198.18.2.1/60; head -1 <&3"},
                    30s);
    EXPECT_EQ(ex.status, 0) << ex.out;
    EXPECT_TRUE(ex.out.rfind("ZPLEX-APP IMAGE MVS1 STACK TCPIPA LOCAL 198.18.2.1..60 REMOTE 198.18.0.101..", 0) == 0 ||
                ex.out.rfind("ZPLEX-APP IMAGE MVS2 STACK TCPIPA LOCAL 198.18.2.1..60 REMOTE 198.18.0.101..", 0) == 0 ||
                ex.out.rfind("ZPLEX-APP IMAGE MVS4 STACK TCPIPA LOCAL 198.18.2.1..60 REMOTE 198.18.0.101..", 0) == 0)
        << "DVA1:60 is served by one of its targets MVS1, MVS2, MVS4\n"
        << ex.out << f.logs();

    auto bad = f.cmd("FOO BAR");
    EXPECT_EQ(bad.status, 8);
    EXPECT_EQ(bad.out, "IEE305I FOO      COMMAND INVALID\n");
    auto notours = f.run({"cmd", "--run-dir", f.dir.string(), "--system", "MVS3", "D TCPIP,TCPIPB,N,HOME"});
    EXPECT_EQ(notours.out, "IEE341I TCPIPB NOT ACTIVE\n");
    auto xcf = f.cmd("D XCF,GROUP");
    EXPECT_EQ(xcf.status, 0) << xcf.out;
    EXPECT_NE(xcf.out.find("EZBTCPCS"), std::string::npos) << xcf.out;
    auto cf = f.cmd("D CF");
    EXPECT_NE(cf.out.find("IXL150I"), std::string::npos) << cf.out;

    auto status = f.run({"status", "--run-dir", f.dir.string()});
    EXPECT_EQ(status.status, 0) << status.out;
    EXPECT_NE(status.out.find("DVIPA    198.18.2.1      OWNER MVS1/TCPIPA       BACKUP MVS2(100)"), std::string::npos)
        << status.out;
    auto log = f.run({"syslog", "--run-dir", f.dir.string(), "--system", "MVS2"});
    EXPECT_NE(log.out.find(" MVS2     "), std::string::npos) << log.out;
    EXPECT_NE(log.out.find(" TCPIPA   00000090  EZD1214I INITIAL DYNAMIC VIPA PROCESSING HAS COMPLETED FOR TCPIPA"),
              std::string::npos)
        << log.out;
    EXPECT_EQ(log.out.find(" MVS1     "), std::string::npos) << "--system MVS2 shows only MVS2";

    if (hercules) {
        // MVS1's CPU stopped at its Hercules console: SYSLOG shows the partition and MVS2's takeover.
        auto stop = f.run({"cmd", "--run-dir", f.dir.string(), "--system", "MVS1", "--hercules", "stop"});
        EXPECT_EQ(stop.status, 0) << stop.out;
        std::string sl;
        for (int i = 0; i < 100 && sl.find("EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1") == std::string::npos; ++i) {
            std::this_thread::sleep_for(100ms);  // a bound, not a timing claim
            sl = f.run({"syslog", "--run-dir", f.dir.string()}).out;
        }
        EXPECT_NE(sl.find(" MVS2     "), std::string::npos) << sl;
        EXPECT_NE(sl.find("IXC105I SYSPLEX PARTITIONING HAS COMPLETED FOR MVS1"), std::string::npos) << sl;
        EXPECT_NE(sl.find(" TCPIPA   00000090  EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1"), std::string::npos) << sl;
    }

    // A crash: every process of the run dies at once, namespaces and shared memory stay.
    operating::run_record r;
    std::string err;
    ASSERT_TRUE(operating::load_run(f.dir, r, err)) << err;
    for (const auto* p : r.alive()) ::kill(p->id.pid, SIGKILL);
    for (int i = 0; i < 200 && !r.alive().empty(); ++i) std::this_thread::sleep_for(20ms);
    auto swept = f.run(up, 120s);
    ASSERT_EQ(swept.status, 0) << swept.out << f.logs();
    EXPECT_NE(swept.out.find("ZPX1814I THE ENDED RUN OF " + f.name + " WAS SWEPT: 9 NAMESPACES"), std::string::npos)
        << swept.out;

    ASSERT_TRUE(operating::load_run(f.dir, r, err)) << err;
    auto down = f.run({"down", "--run-dir", f.dir.string()}, 60s);
    EXPECT_EQ(down.status, 0) << down.out;
    EXPECT_NE(down.out.find("ZPX1830I SYSPLEX " + f.name + " IS DOWN"), std::string::npos) << down.out;
    EXPECT_TRUE(r.alive().empty()) << r.alive().size() << " processes of the run are left";
    for (const auto& n : r.namespaces) EXPECT_FALSE(fs::exists("/run/netns/" + n.name)) << n.name;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/dev/shm", ec))
        EXPECT_NE(e.path().filename().string().rfind("zplex." + f.name + ".", 0), 0u) << e.path();
    EXPECT_TRUE(fs::exists(f.dir / "logs" / "MVS1.TCPIPA.log")) << "down keeps the logs";
    auto after = f.cmd("D TCPIP,,N,HOME");
    EXPECT_EQ(after.status, 8);
    EXPECT_NE(after.out.find("IS DOWN"), std::string::npos) << after.out;
}

TEST(operating_e2e, fig4_up_commands_exec_and_down_without_hercules) { operate_fig4(false); }

TEST(operating_e2e, fig4_up_commands_exec_and_down_under_hercules) {
    if (!hercules_built()) GTEST_SKIP() << "the Hercules device modules or /usr/bin/hercules are missing";
    operate_fig4(true);
}

}  // namespace
}  // namespace zplex::e2e
