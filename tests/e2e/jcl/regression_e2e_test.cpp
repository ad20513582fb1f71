// SPDX-License-Identifier: Apache-2.0
// The regression jobs a mainframe engineer submits after a profile edit, run for real:
// `zplex up --no-hercules` of a private FIG4 copy, then `zplex submit` of REGRDIST,
// REGRTAKE and REGROBEY (their ZPXOPER, ZPXTRAF and ZPXFAULT steps drive the running
// sysplex: operator commands, connections from CLIENT1/CLIENT2 to DVA1, a stack killed by
// its recorded PID and started again). On FIG4 every job ends with condition code 0; on
// a copy whose profiles lost DVA1's VIPADISTRIBUTE every one ends with 8 and its job log
// names the failing step and expectation. Each JUnit report is checked against
// tests/junit/junit.xsd by xmllint. Whatever the run left is removed, pass or fail.
// REGRSWSA is not run here: it needs zplex-iked on each image and strongSwan on PEER1,
// which `zplex up` does not start yet (docs/jcl.md).
#include "fig4_run.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace zplex::e2e {
namespace {

namespace fs = std::filesystem;

/// xmllint's verdict on @p report against the JUnit schema.
run_result validate_junit(const fs::path& report) {
    return run({"xmllint", "--noout", "--schema", (fs::path(ZPLEX_SOURCE_DIR) / "tests/junit/junit.xsd").string(),
                report.string()},
               20s);
}

/// @p text without the three records of DVA1's VIPADISTRIBUTE (DEFINE ... DESTIP ...).
std::string without_dva1_distribution(std::string text) {
    auto at = text.find("VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN 198.18.2.1");
    if (at == std::string::npos) return text;
    auto start = text.rfind('\n', at) + 1;
    auto destip = text.find("DESTIP", at);
    auto end = text.find('\n', destip) + 1;
    return text.erase(start, end - start);
}

bool can_run(std::string& why) {
    if (!can_use_netns(&why)) return false;
    if (!fs::exists("/dev/net/tun")) {
        why = "no /dev/net/tun";
        return false;
    }
    if (!fs::exists("/usr/bin/xmllint")) {
        why = "no xmllint (scripts/bootstrap installs libxml2-utils)";
        return false;
    }
    return true;
}

const char* const jobs[] = {"REGRDIST", "REGRTAKE", "REGROBEY"};

TEST(jcl_regression_e2e, every_regression_job_ends_with_condition_code_0_on_fig4) {
    std::string why;
    if (!can_run(why)) GTEST_SKIP() << why;
    fig4_run f("G", 'J');
    auto u = f.up();
    ASSERT_EQ(u.status, 0) << u.out << f.logs();
    for (const char* job : jobs) {
        auto junit = f.tmp / (std::string(job) + ".xml");
        auto s = f.submit(job, junit);
        EXPECT_FALSE(s.timed_out) << job;
        EXPECT_EQ(s.status, 0) << job << "\n" << s.out << f.logs();
        EXPECT_NE(s.out.find(std::string("$HASP395 ") + job + " ENDED - RC=0000"), std::string::npos) << s.out;
        EXPECT_EQ(s.out.find("ZPX0612E"), std::string::npos) << s.out;
        if (std::string(job) == "REGROBEY")  // its CHECK step is a procedure of the PROCLIB SYSPLEX.xml names
            EXPECT_NE(s.out.find("IEFC001I PROCEDURE OBEYCHK WAS EXPANDED USING SYSTEM LIBRARY ZPLEX.PROCLIB"),
                      std::string::npos)
                << s.out;
        auto v = validate_junit(junit);
        EXPECT_EQ(v.status, 0) << job << ": " << v.out << "\n" << file_text(junit);
        auto x = file_text(junit);
        EXPECT_NE(x.find(std::string("<testsuite name=\"") + job + "\""), std::string::npos) << x;
        EXPECT_NE(x.find("failures=\"0\""), std::string::npos) << x;
    }
}

TEST(jcl_regression_e2e, without_dva1s_vipadistribute_every_job_ends_with_8_naming_step_and_expectation) {
    std::string why;
    if (!can_run(why)) GTEST_SKIP() << why;
    fig4_run f("B", 'J');
    for (const char* member : {"PROFMVS1", "PROFMVS2"}) {
        auto p = f.plex / "SYS1.TCPPARMS" / member;
        auto before = file_text(p);
        auto after = without_dva1_distribution(before);
        ASSERT_NE(after, before) << member;
        std::ofstream(p) << after;
    }
    auto u = f.up();
    ASSERT_EQ(u.status, 0) << u.out << f.logs();
    // The step each job checks DVA1's distribution in first.
    const std::map<std::string, std::string> first = {{"REGRDIST", "CONFIG"}, {"REGRTAKE", "CONFIG"}, {"REGROBEY", "BEFORE"}};
    for (const char* job : jobs) {
        auto junit = f.tmp / (std::string(job) + ".xml");
        auto s = f.submit(job, junit);
        EXPECT_FALSE(s.timed_out) << job;
        EXPECT_EQ(s.status, 8) << job << "\n" << s.out;
        const auto& step = first.at(job);
        EXPECT_NE(s.out.find(std::string(job) + " " + step + " - STEP WAS EXECUTED - COND CODE 0008"), std::string::npos)
            << s.out;
        EXPECT_NE(s.out.find("ZPX0612E " + step + " ZPXOPER EXPECTATION NOT MET: EXPECT "), std::string::npos) << s.out;
        EXPECT_NE(s.out.find("STEP WAS NOT RUN BECAUSE OF CONDITION CODES"), std::string::npos) << s.out;
        auto v = validate_junit(junit);
        EXPECT_EQ(v.status, 0) << job << ": " << v.out << "\n" << file_text(junit);
        auto x = file_text(junit);
        EXPECT_NE(x.find("<testcase name=\"" + step + "\""), std::string::npos) << x;
        EXPECT_NE(x.find("<failure"), std::string::npos) << x;
        EXPECT_NE(x.find("ZPX0612E"), std::string::npos) << x;
    }
}

TEST(jcl_regression_e2e, submit_up_brings_the_sysplex_up_for_the_job_and_down_after_it) {
    std::string why;
    if (!can_run(why)) GTEST_SKIP() << why;
    fig4_run f("U", 'J');
    auto s = f.run({"submit", (fs::path(ZPLEX_SOURCE_DIR) / "jcl/REGROBEY").string(), "--sysplex", f.plex.string(),
                    "--run-dir", f.dir.string(), "--spool", f.spool.string(), "--up", "--no-hercules"},
                   150s);
    EXPECT_EQ(s.status, 0) << s.out << f.logs();
    EXPECT_NE(s.out.find("ZPX1808I SYSPLEX " + f.name + " IS UP IN "), std::string::npos) << s.out;
    EXPECT_NE(s.out.find("$HASP395 REGROBEY ENDED - RC=0000"), std::string::npos) << s.out;
    EXPECT_NE(s.out.find("ZPX1830I SYSPLEX " + f.name + " IS DOWN: "), std::string::npos) << s.out;
    operating::run_record r;
    std::string err;
    ASSERT_TRUE(operating::load_run(f.dir, r, err)) << err;
    EXPECT_EQ(r.state, "down");
    EXPECT_TRUE(r.alive().empty());
    for (const auto& n : r.namespaces) EXPECT_FALSE(fs::exists("/run/netns/" + n.name)) << n.name;
}

}  // namespace
}  // namespace zplex::e2e
