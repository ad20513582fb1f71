// SPDX-License-Identifier: Apache-2.0
// FIG4 under Hercules: MVS1's CPU stopped at its console; SYSLOG (every line stamped when
// it was written, Hercules' too) shows the partition of MVS1 (IXC101I, IXC105I) and MVS2
// taking DVA1 over (EZZ8301I) within INTERVAL + 300 ms of the stop; `zplex image ipl
// MVS1` (the HMC's LOAD) IPLs its nucleus again, starts its stack and AUTOLOG jobs, and
// MVS1 takes DVA1 back: EZZ8303I on MVS2, EZZ8302I on MVS1, clients served again.
#include "fig4_run.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace zplex::e2e {
namespace {

/// One SYSLOG line: its system, job, time of day (ms) and message text.
struct syslog_entry {
    std::string system, job, text;
    long ms = -1;
};

std::vector<syslog_entry> parse_syslog(const std::string& out) {
    std::vector<syslog_entry> v;
    std::istringstream in(out);
    std::string l;
    while (std::getline(in, l)) {
        // N 0000000 MVS2     26336 18:38:33.82 TCPIPA   00000090  EZZ8301I ...
        if (l.size() < 58 || l.rfind("N 0000000 ", 0) != 0) continue;
        syslog_entry e;
        e.system = l.substr(10, 8);
        e.system.erase(e.system.find_last_not_of(' ') + 1);
        e.job = l.substr(37, 8);
        e.job.erase(e.job.find_last_not_of(' ') + 1);
        const std::string t = l.substr(25, 11);  // hh:mm:ss.th
        e.ms = std::stol(t.substr(0, 2)) * 3600000 + std::stol(t.substr(3, 2)) * 60000 + std::stol(t.substr(6, 2)) * 1000 +
               std::stol(t.substr(9, 2)) * 10;
        e.text = l.substr(56);
        v.push_back(e);
    }
    return v;
}

/// The first entry at or after @p from whose text starts with @p text (and of @p system when given).
const syslog_entry* first(const std::vector<syslog_entry>& v, const std::string& text, const std::string& system = {},
                          std::size_t from = 0) {
    for (std::size_t i = from; i < v.size(); ++i)
        if (v[i].text.rfind(text, 0) == 0 && (system.empty() || v[i].system == system)) return &v[i];
    return nullptr;
}

TEST(operating_e2e, stopped_cpu_partitions_in_interval_and_reipl_gives_the_dvipa_back_under_hercules) {
    if (!hercules_built()) GTEST_SKIP() << "the Hercules device modules or /usr/bin/hercules are missing";
    std::string why;
    if (!can_use_netns(&why)) GTEST_SKIP() << why;
    if (!fs::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun";
    fig4_run f("R");
    const std::string d = f.dir.string();
    auto u = f.run({"up", "--sysplex", f.plex.string(), "--run-dir", d}, 120s);
    ASSERT_EQ(u.status, 0) << u.out << f.logs();
    const long interval_ms = 300;  // FIG4's COUPLExx INTERVAL (SYSPLEX.xml <xcf interval-ms>)
    ASSERT_NE(file_text(f.plex / "SYSPLEX.xml").find("interval-ms=\"300\""), std::string::npos);

    // The image's Hercules log is stamped line by line as the stacks' are.
    auto boot = parse_syslog(f.run({"syslog", "--run-dir", d, "--system", "MVS1"}).out);
    const auto* ipl0 = first(boot, "ZPX0722I 0E10 MVS1 JOINED SYSPLEX");
    ASSERT_NE(ipl0, nullptr) << "the nucleus' join is in SYSLOG";
    EXPECT_EQ(ipl0->job, "HERCULES");

    // An IPL of a system still active is refused, as XCF refuses a second MVS1.
    auto busy = f.run({"image", "ipl", "MVS1", "--run-dir", d}, 30s);
    EXPECT_EQ(busy.status, 8) << busy.out;
    EXPECT_NE(busy.out.find("IXC203I MVS1 IS CURRENTLY ACTIVE IN THE SYSPLEX"), std::string::npos) << busy.out;

    auto stop = f.run({"cmd", "--run-dir", d, "--system", "MVS1", "--hercules", "stop"});
    ASSERT_EQ(stop.status, 0) << stop.out;
    std::vector<syslog_entry> sl;
    for (int i = 0; i < 100 && !first(sl, "EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1"); ++i) {
        std::this_thread::sleep_for(100ms);  // a bound, not a timing claim
        sl = parse_syslog(f.run({"syslog", "--run-dir", d}).out);
    }
    // The console's echo of the stop, then the partition and the takeover, by their stamps.
    const syslog_entry* stopped = nullptr;
    for (const auto& e : sl)
        if (e.system == "MVS1" && e.job == "HERCULES" && e.text == "stop") stopped = &e;
    ASSERT_NE(stopped, nullptr) << "the stop command is in MVS1's SYSLOG";
    // Written by the image that found MVS1 silent (ZPX0726I), or by a stack attached to one.
    auto either = [&](const std::string& m) {
        const auto* e = first(sl, "ZPX0726I 0E10 " + m);
        return e ? e : first(sl, m);
    };
    const auto* ixc101 = either("IXC101I SYSPLEX PARTITIONING IN PROGRESS FOR MVS1 REQUESTED BY ");
    const auto* ixc105 = either("IXC105I SYSPLEX PARTITIONING HAS COMPLETED FOR MVS1");
    const auto* taken = first(sl, "EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1", "MVS2");
    ASSERT_TRUE(ixc101 && ixc105 && taken) << f.run({"syslog", "--run-dir", d}).out;
    EXPECT_NE(ixc101->text.find("REASON: STATUS UPDATE MISSING"), std::string::npos) << ixc101->text;
    EXPECT_EQ(taken->job, "TCPIPA");
    for (const auto* e : {ixc101, ixc105, taken}) {
        long after = e->ms - stopped->ms;
        EXPECT_GE(after, 0) << e->text;
        EXPECT_LE(after, interval_ms + 300) << e->text << ": " << after << " ms after the stop";
        std::cout << e->system << " " << e->text.substr(0, 40) << "... " << after << " ms after the stop\n";
    }
    auto on2 = f.run({"cmd", "--run-dir", d, "--system", "MVS2", "D TCPIP,,N,VIPADYN"});
    EXPECT_NE(line_with(on2.out, "  198.18.2.1 ").find("ACTIVE"), std::string::npos) << on2.out;

    // The HMC's LOAD of MVS1: nucleus, stack, AUTOLOG; the giveback follows.
    auto ipl = f.run({"image", "ipl", "MVS1", "--run-dir", d}, 120s);
    ASSERT_EQ(ipl.status, 0) << ipl.out << f.logs();
    EXPECT_NE(ipl.out.find("ZPX1805I IMAGE MVS1 IPLED UNDER HERCULES"), std::string::npos) << ipl.out;
    EXPECT_NE(ipl.out.find("ZPX1806I TCPIPA ON MVS1 JOINED THE SYSPLEX"), std::string::npos) << ipl.out;
    EXPECT_NE(ipl.out.find("ZPX1807I AUTOLOG: 1 PROCEDURES STARTED"), std::string::npos) << ipl.out;
    std::size_t from = static_cast<std::size_t>(taken - sl.data());
    for (int i = 0; i < 100 && !(first(sl, "EZZ8302I VIPA 198.18.2.1 TAKEN FROM TCPIPA ON MVS2", "MVS1", from) &&
                                 first(sl, "EZZ8303I VIPA 198.18.2.1 GIVEN TO TCPIPA ON MVS1", "MVS2", from));
         ++i) {
        std::this_thread::sleep_for(100ms);
        sl = parse_syslog(f.run({"syslog", "--run-dir", d}).out);
    }
    const auto* rejoined = first(sl, "ZPX0722I 0E10 MVS1 JOINED SYSPLEX", "MVS1", from);
    const auto* given = first(sl, "EZZ8303I VIPA 198.18.2.1 GIVEN TO TCPIPA ON MVS1", "MVS2", from);
    const auto* back = first(sl, "EZZ8302I VIPA 198.18.2.1 TAKEN FROM TCPIPA ON MVS2", "MVS1", from);
    ASSERT_TRUE(rejoined && given && back) << f.run({"syslog", "--run-dir", d}).out;
    EXPECT_NE(first(sl, "EZD1176I TCPIPA HAS SUCCESSFULLY JOINED THE TCP/IP SYSPLEX GROUP EZBTCPCS", "MVS1", from), nullptr);

    auto dyn = f.cmd("D TCPIP,TCPIPA,NETSTAT,VIPADYN");
    EXPECT_NE(line_with(dyn.out, "  198.18.2.1 ").find("ACTIVE    VIPADEFINE"), std::string::npos) << dyn.out;
    auto status = f.run({"status", "--run-dir", d});
    EXPECT_NE(status.out.find("DVIPA    198.18.2.1      OWNER MVS1/TCPIPA"), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("JOB      APPA     ON MVS1  ACTIVE"), std::string::npos) << status.out;
    auto ex = f.run({"exec", "--run-dir", d, "CLIENT1", "--", "bash", "-c", "exec 3<>/dev/tcp/198.18.2.1/60; head -1 <&3"},
                    30s);
    EXPECT_EQ(ex.status, 0) << ex.out;
    EXPECT_EQ(ex.out.rfind("ZPLEX-APP IMAGE MVS", 0), 0u) << ex.out;

    operating::run_record r;
    std::string err;
    ASSERT_TRUE(operating::load_run(f.dir, r, err)) << err;
    auto down = f.run({"down", "--run-dir", d}, 60s);
    EXPECT_EQ(down.status, 0) << down.out;
    EXPECT_TRUE(r.alive().empty()) << r.alive().size() << " processes of the run are left";
}

}  // namespace
}  // namespace zplex::e2e
