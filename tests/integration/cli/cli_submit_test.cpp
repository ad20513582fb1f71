// SPDX-License-Identifier: Apache-2.0
// `zplex submit` and `zplex output` as a user runs them: jcl/DEMO against FIG4 ends 0
// with its job log, JUnit report and spool; a broken job stops with a JCL error before
// any step; --scan runs nothing; exit codes as docs/jcl.md says.
#include "run_command.hpp"

#include <gtest/gtest.h>
#include <pugixml.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;
using quote_fn = std::string (*)(const std::string&);
const quote_fn quote = zplex::test::shell_quote;

const fs::path source = fs::path(ZPLEX_SOURCE_DIR);
const fs::path fig4 = source / "profiles" / "FIG4";

/// A private spool and scratch folder, removed even when the test fails.
struct scratch {
    fs::path dir;
    scratch() {
        dir = fs::temp_directory_path() / ("zplex-submit-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    ~scratch() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    scratch(const scratch&) = delete;
    scratch& operator=(const scratch&) = delete;
    fs::path spool() const { return dir / "spool"; }
    zplex::test::run_result zplex(const std::string& args) const {
        return zplex::test::run_command("cd " + quote(dir.string()) + " && " + quote(ZPLEX_BIN) + " " + args);
    }
    void put(const std::string& name, const std::string& text) const { std::ofstream(dir / name) << text; }
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool has(const std::string& out, const std::string& s) { return out.find(s) != std::string::npos; }

TEST(cli_submit, demo_runs_on_fig4_with_rc_0_a_job_log_a_spool_and_junit) {
    scratch s;
    auto junit = s.dir / "demo.xml";
    auto r = s.zplex("submit " + quote((source / "jcl" / "DEMO").string()) + " --sysplex " + quote(fig4.string()) +
                     " --spool " + quote(s.spool().string()) + " --junit " + quote(junit.string()));
    EXPECT_EQ(r.rc, 0) << r.out;
    EXPECT_TRUE(has(r.out, "$HASP373 DEMO     STARTED - INIT 1    - CLASS A - SYS MVS1")) << r.out;
    EXPECT_TRUE(has(r.out, "$HASP395 DEMO     ENDED - RC=0000"));
    EXPECT_TRUE(has(r.out, "IEF142I DEMO CHECK - STEP WAS EXECUTED - COND CODE 0000"));
    EXPECT_TRUE(has(r.out, "ZPX0011I PROFILE CHECK FOR MVS5 (TCPIPA) ENDED: 0 ERROR(S), 0 WARNING(S), RC=0"));
    EXPECT_TRUE(has(r.out, "IEF285I   SYS1.TCPPARMS(PROFMVS1)                      KEPT"));
    EXPECT_TRUE(has(r.out, "VIPADISTRIBUTE"));  // the OBEYFILE, printed by IDCAMS
    EXPECT_TRUE(has(r.out, "every step ended with RC 0"));
    EXPECT_TRUE(has(r.out, "ZPX0533I DEMO JOB00001 ENDED - RC=0000, EXIT CODE 0 (zplex output JOB00001)"));
    // The spool keeps the log; zplex output prints it again.
    auto o = s.zplex("output JOB00001 JESMSGLG --spool " + quote(s.spool().string()));
    EXPECT_EQ(o.rc, 0) << o.out;
    EXPECT_TRUE(has(o.out, "$HASP395 DEMO     ENDED - RC=0000")) << o.out;
    EXPECT_FALSE(has(o.out, "IEF142I"));
    auto list = s.zplex("output --spool " + quote(s.spool().string()));
    EXPECT_TRUE(has(list.out, "JOB00001 DEMO RC=0000")) << list.out;
    // JUnit: one testsuite, one testcase a step, no failures.
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_file(junit.c_str())) << slurp(junit);
    auto suite = doc.child("testsuites").child("testsuite");
    EXPECT_STREQ(suite.attribute("name").value(), "DEMO");
    EXPECT_EQ(suite.attribute("tests").as_int(), 4);
    EXPECT_EQ(suite.attribute("failures").as_int(), 0);
    int cases = 0;
    for (auto tc : suite.children("testcase")) {
        EXPECT_FALSE(tc.child("failure")) << tc.attribute("name").value();
        ++cases;
    }
    EXPECT_EQ(cases, 4);
}

TEST(cli_submit, a_profile_error_makes_the_check_step_end_8_and_the_junit_names_it) {
    scratch s;
    // A private copy of FIG4 (inside the scratch folder) with a broken PROFMVS2.
    auto copy = s.dir / "FIG4";
    fs::copy(fig4, copy, fs::copy_options::recursive);
    std::ofstream(copy / "SYS1.TCPPARMS" / "PROFMVS2", std::ios::app) << "VIPADEFINE 255.255.255.0 198.18.2.999\n";
    auto junit = s.dir / "demo.xml";
    auto r = s.zplex("submit " + quote((source / "jcl" / "DEMO").string()) + " --sysplex " + quote(copy.string()) +
                     " --spool " + quote(s.spool().string()) + " --junit " + quote(junit.string()));
    EXPECT_EQ(r.rc, 8) << r.out;
    EXPECT_TRUE(has(r.out, "IEF142I DEMO CHECK - STEP WAS EXECUTED - COND CODE 0008")) << r.out;
    EXPECT_TRUE(has(r.out, "IEF206I DEMO VERIFY - STEP WAS NOT RUN BECAUSE OF CONDITIONAL EXPRESSION ON STATEMENT 15"));
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_file(junit.c_str()));
    auto suite = doc.child("testsuites").child("testsuite");
    EXPECT_EQ(suite.attribute("failures").as_int(), 1);
    EXPECT_EQ(suite.attribute("skipped").as_int(), 1);
    auto failure = suite.find_child_by_attribute("testcase", "name", "CHECK").child("failure");
    ASSERT_TRUE(failure) << slurp(junit);
    EXPECT_STREQ(failure.attribute("message").value(), "COND CODE 0008");
    // The failure text holds the step's last SYSOUT lines: the end of the check's report.
    EXPECT_TRUE(has(failure.text().get(), "ZPX0011I PROFILE CHECK FOR MVS5 (TCPIPA) ENDED")) << failure.text().get();
}

TEST(cli_submit, scan_converts_and_lists_without_running_or_a_sysplex) {
    scratch s;
    s.put("ALLOC.jcl", "//ALLOC JOB MSGCLASS=X\n//A EXEC PGM=IEFBR14\n//N DD DSN=USER.NEW.DATA,DISP=(NEW,CATLG)\n"
                       "//B EXEC PGM=NOTINZPX\n");
    auto r = s.zplex("submit --scan ALLOC.jcl");
    EXPECT_EQ(r.rc, 0) << r.out;
    EXPECT_TRUE(has(r.out, "        3 //N DD DSN=USER.NEW.DATA,DISP=(NEW,CATLG)")) << r.out;
    EXPECT_TRUE(has(r.out, "ZPX0530I ALLOC - CONVERTED, 2 STEP(S): NOTHING RUN (TYPRUN=SCAN)"));
    EXPECT_FALSE(fs::exists(s.dir / "USER.NEW.DATA"));
    // Run for real: the data set is created and catalogued below the current directory
    // (no sysplex), the unknown program abends S806.
    auto run = s.zplex("submit ALLOC.jcl --spool " + quote(s.spool().string()));
    EXPECT_EQ(run.rc, 254) << run.out;
    EXPECT_TRUE(has(run.out, "CSV003I REQUESTED MODULE NOTINZPX NOT FOUND"));
    EXPECT_TRUE(has(run.out, "$HASP395 ALLOC    ENDED - ABEND=S806"));
    EXPECT_TRUE(fs::exists(s.dir / "USER.NEW.DATA"));
}

TEST(cli_submit, a_jcl_error_stops_the_job_before_any_step) {
    scratch s;
    s.put("BAD.jcl", "//BAD JOB\n//A EXEC PGM=IEFBR14\n//N DD DSN=USER.X,DISP=(NEW,CATLG),\n//                SPACE=(TRK,1)\n");
    for (const char* mode : {"--scan ", ""}) {
        auto r = s.zplex(std::string("submit ") + mode + "BAD.jcl --spool " + quote(s.spool().string()));
        EXPECT_EQ(r.rc, 253) << r.out;
        EXPECT_TRUE(has(r.out, "        3 IEFC621I EXPECTED CONTINUATION NOT RECEIVED")) << r.out;
        EXPECT_TRUE(has(r.out, "        4 IEFC605I UNIDENTIFIED OPERATION FIELD"));
        EXPECT_TRUE(has(r.out, "IEFC452I BAD - JOB NOT RUN - JCL ERROR"));
        EXPECT_FALSE(has(r.out, "IEF142I"));
    }
    EXPECT_FALSE(fs::exists(s.dir / "USER.X"));
}

TEST(cli_submit, command_line_mistakes_exit_2) {
    scratch s;
    auto r = s.zplex("submit missing/JOB --spool " + quote(s.spool().string()));
    EXPECT_EQ(r.rc, 2) << r.out;
    EXPECT_TRUE(has(r.out, "ZPX0531E JOB missing/JOB NOT SUBMITTED: NO SUCH FILE")) << r.out;
    auto d = s.zplex("submit 'USER.JCL(NONE)' --spool " + quote(s.spool().string()));
    EXPECT_EQ(d.rc, 2) << d.out;
    EXPECT_TRUE(has(d.out, "ZPX0531E JOB USER.JCL(NONE) NOT SUBMITTED:")) << d.out;
    auto o = s.zplex("output JOB09999 --spool " + quote(s.spool().string()));
    EXPECT_EQ(o.rc, 8);
    EXPECT_TRUE(has(o.out, "ZPX0534E JOB JOB09999 IS NOT IN THE SPOOL")) << o.out;
    auto p = s.zplex("output JOB00001 ../../etc --spool " + quote(s.spool().string()));
    EXPECT_EQ(p.rc, 2) << p.out;
}

}  // namespace
