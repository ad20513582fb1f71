// SPDX-License-Identifier: Apache-2.0
// `zplex faults --quick` on a private FIG4 copy of its own (its own sysplex name and run
// directory): it brings the sysplex up (IKEDs, charon on PEER1), runs its nine rows under
// plain traffic from CLIENT1 and protected traffic from PEER1 (SIGKILL of the owner
// stack MVS1, of the pure target MVS4, of MVS1's IKED, of the CF holding duplexed
// EZBDVIPA's primary, of the CF holding EZBDVIPA after duplexing was stopped, so the
// structure is lost and DVA1's SA rekeyed; the planned move of DVA1; MVS1's stack
// stopped past INTERVAL and continued, which must find itself fenced; PEER1's LAN port
// losing, duplicating and reordering frames, where charon's replay window must drop the
// duplicated ESP packets and nothing else; the XCF link into MVS2 and MVS4 delaying
// forwarded packets 20 ms and dropping 1 %), takes
// the sysplex down, and ends 0 with one table whose rows all PASS: the connections lost
// are those of the killed stack, none other; no ESP sequence number of DVA1's SAs used
// twice on the LAN capture, nothing a replay window of PEER1's size drops, in every
// preset (the sanitizers' too: a sender descheduled mid-burst reads the CF counter again,
// docs/swsa.md). Afterwards no process, namespace or shared memory object of the run is left. A --row that names no
// row is ZPX1901E (8) before anything starts.
#include "fig4_run.hpp"

#include <zplex/e2e/strongswan.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>

namespace zplex::e2e {
namespace {

namespace fs = std::filesystem;

bool can_run(std::string& why) {
    if (!can_use_netns(&why)) return false;
    if (!fs::exists("/dev/net/tun")) {
        why = "no /dev/net/tun";
        return false;
    }
    if (!have_strongswan(&why)) return false;
    if (zplex::e2e::run({"sh", "-c", "command -v dumpcap"}, 10s).status != 0) {
        why = "dumpcap is not installed (scripts/bootstrap installs tshark)";
        return false;
    }
    return true;
}

/// The words of the table line of row @p name (the name's own words taken off).
std::vector<std::string> row_fields(const std::string& out, const std::string& name) {
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);) {
        if (l.rfind(name + " ", 0) != 0 || l.find("ZPX") != std::string::npos) continue;
        std::istringstream w(l.substr(name.size()));
        std::vector<std::string> f;
        for (std::string x; w >> x;) f.push_back(x);
        if (f.size() == 8) return f;
    }
    return {};
}

bool is_number(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    ::lstat(p.c_str(), &st);
    return st.st_mode & 07777;
}

TEST(faults_e2e, quick_matrix_passes_every_row_and_leaves_nothing_behind) {
    std::string why;
    if (!can_run(why)) GTEST_SKIP() << why;
    sweep_stale_netns();
    fig4_run f("Q", 'F');
    auto t0 = std::chrono::steady_clock::now();
    auto r = f.run({"faults", "--sysplex", f.plex.string(), "--run-dir", f.dir.string(), "--quick"}, 290s);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("zplex faults --quick: %.1f s\n", s);
    ASSERT_FALSE(r.timed_out) << r.out;
    EXPECT_EQ(r.status, 0) << r.out << f.logs();
    EXPECT_NE(r.out.find("ZPX1910I FAULTS MATRIX OF " + f.name + ": 10 ROW(S)\n"
                         "FAULT              DETECT MS RECOVER MS  KEPT  LOST  EXP LOST  REUSED  DROPS  VERDICT\n"),
              std::string::npos)
        << r.out;
    for (const char* row : {"KILL STACK MVS1", "KILL STACK MVS4", "KILL IKED MVS1", "PLANNED MOVE DVA1", "KILL CF PRIMARY",
                            "KILL CF SIMPLEX", "STALL SYSTEM MVS1", "EZBDVIPA FULL", "IMPAIR LAN PEER1",
                            "DELAY XCF LINKS"}) {
        auto f8 = row_fields(r.out, row);
        ASSERT_EQ(f8.size(), 8u) << row << "\n" << r.out;
        const bool stack = std::string(row).rfind("KILL STACK", 0) == 0 || std::string(row).rfind("STALL", 0) == 0;
        // DETECT MS: the takeover message (or the distributor dropping the target); none
        // to wait for when only an IKED ends.
        if (std::string(row) == "KILL IKED MVS1" || std::string(row) == "IMPAIR LAN PEER1" ||
            std::string(row) == "DELAY XCF LINKS") {
            EXPECT_EQ(f8[0], "-") << r.out;
        } else {
            EXPECT_TRUE(is_number(f8[0])) << row << "\n" << r.out;
        }
        EXPECT_TRUE(is_number(f8[1])) << row << ": a new connection after the fault\n" << r.out;
        // 22 long-lived connections (DVA1: 12 bulk and 6 request/response, plain and
        // protected; DVB1: 4 plain) and 8 new ones after the fault; those the killed
        // stack served are lost, and only they.
        EXPECT_EQ(std::stol(f8[2]) + std::stol(f8[3]), 30) << row << "\n" << r.out;
        EXPECT_EQ(f8[3], f8[4]) << row << "\n" << r.out;
        if (stack) {
            EXPECT_GT(std::stol(f8[4]), 0) << row << "\n" << r.out;
        } else {
            EXPECT_EQ(f8[4], "0") << row << "\n" << r.out;
        }
        EXPECT_EQ(f8[5], "0") << row << ": sequence numbers used twice\n" << r.out;
        EXPECT_EQ(f8[6], "0") << row << ": dropped by the replay window\n" << r.out;
        EXPECT_EQ(f8[7], "PASS") << row << "\n" << r.out;
    }
    EXPECT_EQ(r.out.find("ZPX1911E"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("ZPX1913I FAULTS MATRIX ENDED: 10 PASSED, 0 FAILED, 0 NOT CHECKED"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("ZPX1912W"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("ZPX1830I SYSPLEX " + f.name + " IS DOWN"), std::string::npos) << r.out;
    // Each row's capture and its keys, owner-only.
    for (int i = 1; i <= 10; ++i) {
        auto p = f.dir / "faults" / ("ROW" + std::to_string(i));
        EXPECT_EQ(mode_of(p.string() + ".pcap"), 0600u) << p;
        EXPECT_EQ(mode_of(p.string() + ".esp_sa"), 0600u) << p;
    }
    // Nothing of the run is left: its processes, its namespaces, its shared memory.
    operating::run_record rec;
    std::string err;
    ASSERT_TRUE(operating::load_run(f.dir, rec, err)) << err;
    EXPECT_EQ(rec.state, "down");
    EXPECT_TRUE(rec.alive().empty());
    for (const auto& n : rec.namespaces) EXPECT_FALSE(fs::exists("/run/netns/" + n.name)) << n.name;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/dev/shm", ec))
        EXPECT_NE(e.path().filename().string().rfind("zplex." + f.name + ".", 0), 0u) << e.path();
}

// jcl/FAULTS: ZPXMATRX runs the quick rows on the sysplex the job is submitted to (up
// before, down after, by the test): RC 0, the table in SYSPRINT with every row PASS, the
// captures under the run's faults/MATRIX.
TEST(faults_e2e, the_faults_job_runs_the_quick_matrix_on_the_running_sysplex) {
    std::string why;
    if (!can_run(why)) GTEST_SKIP() << why;
    sweep_stale_netns();
    fig4_run f("J", 'F');
    auto u = f.up();
    ASSERT_EQ(u.status, 0) << u.out << f.logs();
    auto s = f.submit("FAULTS", f.tmp / "FAULTS.xml");
    ASSERT_FALSE(s.timed_out) << s.out;
    EXPECT_EQ(s.status, 0) << s.out << f.logs();
    EXPECT_NE(s.out.find("ENDED - RC=0000"), std::string::npos) << s.out;
    EXPECT_NE(s.out.find("ZPX1913I FAULTS MATRIX ENDED: 10 PASSED, 0 FAILED, 0 NOT CHECKED"), std::string::npos) << s.out;
    for (const char* row : {"KILL STACK MVS1", "KILL STACK MVS4", "KILL IKED MVS1", "PLANNED MOVE DVA1", "KILL CF PRIMARY",
                            "KILL CF SIMPLEX", "STALL SYSTEM MVS1", "EZBDVIPA FULL", "IMPAIR LAN PEER1",
                            "DELAY XCF LINKS"}) {
        auto at = s.out.find(std::string(" ") + row + " ");
        ASSERT_NE(at, std::string::npos) << row << "\n" << s.out;
        auto f8 = row_fields(s.out.substr(s.out.find("ZPX1910I")), std::string(" ") + row);
        ASSERT_EQ(f8.size(), 8u) << row << "\n" << s.out;
        EXPECT_EQ(f8[7], "PASS") << row << "\n" << s.out;
    }
    for (int i = 1; i <= 10; ++i) EXPECT_TRUE(fs::exists(f.dir / "faults" / "MATRIX" / ("ROW" + std::to_string(i) + ".pcap"))) << i;
}

TEST(faults_e2e, a_row_that_is_not_in_the_matrix_is_refused_before_anything_starts) {
    fig4_run f("R", 'F');
    auto r = f.run({"faults", "--sysplex", f.plex.string(), "--run-dir", f.dir.string(), "--row", "KILL STACK MVS9"}, 30s);
    EXPECT_EQ(r.status, 8) << r.out;
    EXPECT_NE(r.out.find("ZPX1901E --row KILL STACK MVS9 IS NO ROW OF THE MATRIX: 1 KILL STACK MVS1"), std::string::npos)
        << r.out;
    EXPECT_FALSE(fs::exists(f.dir / "run.rec"));
}

}  // namespace
}  // namespace zplex::e2e
