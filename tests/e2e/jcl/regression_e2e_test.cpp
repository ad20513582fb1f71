// SPDX-License-Identifier: Apache-2.0
// The regression jobs a mainframe engineer submits after a profile edit, run for real:
// `zplex up --no-hercules` of a private FIG4 copy (with the IKEDs of MVS1 and MVS2 and
// strongSwan's charon on PEER1), then `zplex submit` of REGRSWSA, REGRDIST, REGRTAKE and
// REGROBEY (their ZPXOPER, ZPXTRAF, ZPXFAULT and BPXBATCH steps drive the running sysplex:
// operator commands and ipsec displays, connections from CLIENT1/CLIENT2 and, under IPsec,
// from PEER1 to DVA1, a stack killed by its recorded PID and started again, charon's log
// read for replay and ICV failures). On FIG4 every job ends with condition code 0; on a
// copy whose profiles lost DVA1's VIPADISTRIBUTE `up` warns that PEER1's SA did not come
// (ZPX1829W, 4: MVS1's IKED negotiates only for a distributed DVIPA), and every job ends
// with 8 and its job log names the failing step and expectation. REGRTKCP needs the images under Hercules: a
// FIG4 copy brought up with them, MVS1's CPU stopped at its console and MVS1 IPLed again
// by the job (ZPXFAULT STOP CPU, IPL) ends with 0, the job log showing the IPL and the
// giveback; on the copy without DVA1's VIPADISTRIBUTE it ends with 8 at CONFIG. Without
// Hercules, ZPXFAULT's IPL of an active system is refused (IXC203I, 8) and that of a
// system whose stack was killed starts the stack again (the giveback follows). Each
// JUnit report is checked against tests/junit/junit.xsd by xmllint. Whatever the run
// left is removed, pass or fail.
#include "fig4_run.hpp"

#include <gtest/gtest.h>

#include <cctype>
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

/// @p f's profiles without DVA1's VIPADISTRIBUTE (MVS1 distributes it, MVS2 is its backup).
void remove_dva1_distribution(const fig4_run& f) {
    for (const char* member : {"PROFMVS1", "PROFMVS2"}) {
        auto p = f.plex / "SYS1.TCPPARMS" / member;
        auto before = file_text(p);
        auto after = without_dva1_distribution(before);
        ASSERT_NE(after, before) << member;
        std::ofstream(p) << after;
    }
}

/// @p out holds each of @p texts, each after the one before.
void expect_in_order(const std::string& out, const std::vector<std::string>& texts) {
    std::size_t at = 0;
    for (const auto& t : texts) {
        auto next = out.find(t, at);
        EXPECT_NE(next, std::string::npos) << "after offset " << at << ": " << t << "\n" << out;
        if (next != std::string::npos) at = next + t.size();
    }
}

/// What a failed job's log says first: its error messages (ZPXnnnnE) and the 40 lines of
/// SYSOUT before the first one (the display an expectation was matched against), so a
/// report cut short still names the step and why.
std::string failure_summary(const std::string& out) {
    std::vector<std::string> all;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);) all.push_back(l);
    auto is_error = [](const std::string& l) {
        for (auto at = l.find("ZPX"); at != std::string::npos; at = l.find("ZPX", at + 3))
            if (at + 7 < l.size() && l[at + 7] == 'E' && std::isdigit(static_cast<unsigned char>(l[at + 3])) &&
                std::isdigit(static_cast<unsigned char>(l[at + 6])))
                return true;
        return false;
    };
    std::string summary = "--- the job's errors:\n";
    std::size_t first = all.size();
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (!is_error(all[i])) continue;
        if (first == all.size()) first = i;
        summary += all[i] + "\n";
    }
    if (first == all.size()) return summary + "(none)\n";
    summary += "--- the 40 lines before the first:\n";
    for (std::size_t i = first > 40 ? first - 40 : 0; i <= first; ++i) summary += all[i] + "\n";
    return summary + "--- the whole output:\n";
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

// The jobs of jcl/ that run without Hercules; the CC-0 run takes REGRSWSA on a sysplex of
// its own (below).
const char* const jobs[] = {"REGRDIST", "REGRSWSA", "REGRTAKE", "REGROBEY"};

/// `up` of a copy without DVA1's VIPADISTRIBUTE: everything starts, but PEER1's SA cannot
/// be negotiated (no IKE listens on a DVIPA that is not distributed): a warning, 4.
void expect_up_without_dva1_distribution(const run_result& u, const fig4_run& f) {
    EXPECT_EQ(u.status, 4) << u.out << f.logs();
    EXPECT_NE(u.out.find("ZPX1829W IPSEC PEER PEER1: 1 CHILD SAS OF ZPLEX.PEER.SWANCTL(PEER1) WERE NOT INSTALLED"),
              std::string::npos)
        << u.out;
    EXPECT_NE(u.out.find("ZPX1808I SYSPLEX"), std::string::npos) << u.out;
}

/// @p job submitted on @p f's running sysplex ends with condition code 0, its JUnit
/// report valid and without failures.
void expect_job_ends_with_0(fig4_run& f, const std::string& job) {
    auto junit = f.tmp / (job + ".xml");
    auto s = f.submit(job, junit);
    EXPECT_FALSE(s.timed_out) << job;
    EXPECT_EQ(s.status, 0) << job << "\n" << failure_summary(s.out) << s.out << f.logs();
    EXPECT_NE(s.out.find("$HASP395 " + job + " ENDED - RC=0000"), std::string::npos) << s.out;
    EXPECT_EQ(s.out.find("ZPX0612E"), std::string::npos) << s.out;
    if (job == "REGROBEY") {  // its CHECK step is a procedure of the PROCLIB SYSPLEX.xml names
        EXPECT_NE(s.out.find("IEFC001I PROCEDURE OBEYCHK WAS EXPANDED USING SYSTEM LIBRARY ZPLEX.PROCLIB"),
                  std::string::npos)
            << s.out;
    }
    auto v = validate_junit(junit);
    EXPECT_EQ(v.status, 0) << job << ": " << v.out << "\n" << file_text(junit);
    auto x = file_text(junit);
    EXPECT_NE(x.find("<testsuite name=\"" + job + "\""), std::string::npos) << x;
    EXPECT_NE(x.find("failures=\"0\""), std::string::npos) << x;
}

// REGRDIST first, on the sysplex as `up` left it; REGRTAKE kills MVS1's stack and starts
// it again, REGROBEY edits DVA1's distribution through OBEYFILEs and reverts it.
TEST(jcl_regression_e2e, every_regression_job_ends_with_condition_code_0_on_fig4) {
    std::string why;
    if (!can_run(why)) GTEST_SKIP() << why;
    fig4_run f("G", 'J');
    auto u = f.up();
    ASSERT_EQ(u.status, 0) << u.out << f.logs();
    for (const char* job : {"REGRDIST", "REGRTAKE", "REGROBEY"}) expect_job_ends_with_0(f, job);
}

// REGRSWSA on a sysplex of its own: PEER1's strongSwan (libipsec, a fixed 128-packet
// anti-replay window) against three senders of DVA1's SA, a takeover and a giveback, an
// IKED killed and started again, then charon's log read for replay failures.
TEST(jcl_regression_e2e, regrswsa_ends_with_condition_code_0_with_strongswan_on_peer1) {
    std::string why;
    if (!can_run(why)) GTEST_SKIP() << why;
    fig4_run f("S", 'J');
    auto u = f.up();
    ASSERT_EQ(u.status, 0) << u.out << f.logs();
    EXPECT_NE(u.out.find("ZPX1825I IKED ON MVS1 STARTED"), std::string::npos) << u.out;
    EXPECT_NE(u.out.find("ZPX1827I IPSEC PEER PEER1: STRONGSWAN CHARON"), std::string::npos) << u.out;
    expect_job_ends_with_0(f, "REGRSWSA");
}

TEST(jcl_regression_e2e, without_dva1s_vipadistribute_every_job_ends_with_8_naming_step_and_expectation) {
    std::string why;
    if (!can_run(why)) GTEST_SKIP() << why;
    fig4_run f("B", 'J');
    ASSERT_NO_FATAL_FAILURE(remove_dva1_distribution(f));
    auto u = f.up();
    ASSERT_NO_FATAL_FAILURE(expect_up_without_dva1_distribution(u, f));
    // The step each job checks DVA1's distribution in first.
    const std::map<std::string, std::string> first = {
        {"REGRSWSA", "IKE"}, {"REGRDIST", "CONFIG"}, {"REGRTAKE", "CONFIG"}, {"REGROBEY", "BEFORE"}};
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

TEST(jcl_regression_e2e, regrtkcp_ends_with_0_taking_over_at_a_stopped_cpu_and_giving_back_at_the_reipl_under_hercules) {
    if (!hercules_built()) GTEST_SKIP() << "the Hercules device modules or /usr/bin/hercules are missing";
    std::string why;
    if (!can_run(why)) GTEST_SKIP() << why;
    fig4_run f("H", 'J');
    auto u = f.up(true);
    ASSERT_EQ(u.status, 0) << u.out << f.logs();
    ASSERT_NE(u.out.find("ZPX1805I IMAGE MVS1 IPLED UNDER HERCULES"), std::string::npos) << u.out;
    auto junit = f.tmp / "REGRTKCP.xml";
    auto s = f.submit("REGRTKCP", junit);
    EXPECT_FALSE(s.timed_out);
    EXPECT_EQ(s.status, 0) << s.out << "--- SYSLOG\n" << f.run({"syslog", "--run-dir", f.dir.string()}).out;
    EXPECT_NE(s.out.find("$HASP395 REGRTKCP ENDED - RC=0000"), std::string::npos) << s.out;
    EXPECT_EQ(s.out.find("ZPX0612E"), std::string::npos) << s.out;
    EXPECT_EQ(s.out.find("ZPX0632E"), std::string::npos) << s.out;
    for (const char* step : {"STOPCPU", "TAKEN", "AFTER", "GIVEBACK", "BACK", "SURVIVED", "AGAIN"})
        EXPECT_NE(s.out.find(std::string("REGRTKCP ") + step + " - STEP WAS EXECUTED - COND CODE 0000"), std::string::npos)
            << step << "\n" << s.out;
    // The takeover, then the IPL at the image's own Hercules and the giveback it brings.
    expect_in_order(s.out, {" ZPX0631I STOPPED CPU OF MVS1 AT ITS HERCULES CONSOLE",
                            "IXC105I SYSPLEX PARTITIONING HAS COMPLETED FOR MVS1",
                            "EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1",
                            " ZPX0634I IPL OF MVS1 UNDER ITS HERCULES: THE HMC'S LOAD",
                            "   ZPX1840I IPL OF MVS1 IN SYSPLEX " + f.name + ": THE NUCLEUS UNDER ITS HERCULES",
                            "   ZPX1805I IMAGE MVS1 IPLED UNDER HERCULES",
                            "   ZPX1806I TCPIPA ON MVS1 JOINED THE SYSPLEX",
                            "   ZPX1807I AUTOLOG: 1 PROCEDURES STARTED",
                            " ZPX0635I MVS1 IPLED",
                            "EZZ8303I VIPA 198.18.2.1 GIVEN TO TCPIPA ON MVS1",
                            "EZZ8302I VIPA 198.18.2.1 TAKEN FROM TCPIPA ON MVS2"});
    auto v = validate_junit(junit);
    EXPECT_EQ(v.status, 0) << v.out << "\n" << file_text(junit);
    auto x = file_text(junit);
    EXPECT_NE(x.find("<testsuite name=\"REGRTKCP\""), std::string::npos) << x;
    EXPECT_NE(x.find("failures=\"0\""), std::string::npos) << x;
    // What the job left: MVS1 IPLed again owns DVA1, its AUTOLOG job runs.
    auto st = f.run({"status", "--run-dir", f.dir.string()});
    EXPECT_NE(st.out.find("DVIPA    198.18.2.1      OWNER MVS1/TCPIPA"), std::string::npos) << st.out;
    EXPECT_NE(st.out.find("JOB      APPA     ON MVS1  ACTIVE"), std::string::npos) << st.out;
    auto down = f.run({"down", "--run-dir", f.dir.string()}, 60s);
    EXPECT_EQ(down.status, 0) << down.out;
}

TEST(jcl_regression_e2e, regrtkcp_without_dva1s_vipadistribute_ends_with_8_at_config_under_hercules) {
    if (!hercules_built()) GTEST_SKIP() << "the Hercules device modules or /usr/bin/hercules are missing";
    std::string why;
    if (!can_run(why)) GTEST_SKIP() << why;
    fig4_run f("K", 'J');
    ASSERT_NO_FATAL_FAILURE(remove_dva1_distribution(f));
    auto u = f.up(true);
    ASSERT_NO_FATAL_FAILURE(expect_up_without_dva1_distribution(u, f));
    auto junit = f.tmp / "REGRTKCP.xml";
    auto s = f.submit("REGRTKCP", junit);
    EXPECT_FALSE(s.timed_out);
    EXPECT_EQ(s.status, 8) << s.out;
    EXPECT_NE(s.out.find("REGRTKCP CONFIG - STEP WAS EXECUTED - COND CODE 0008"), std::string::npos) << s.out;
    EXPECT_NE(s.out.find("ZPX0612E CONFIG ZPXOPER EXPECTATION NOT MET: EXPECT COUNT 3 'RDY: 001' WITHIN 10"),
              std::string::npos)
        << s.out;
    // Nothing after it ran: no CPU was stopped, no image IPLed.
    EXPECT_NE(s.out.find("STEP WAS NOT RUN BECAUSE OF CONDITION CODES"), std::string::npos) << s.out;
    EXPECT_EQ(s.out.find("ZPX0631I"), std::string::npos) << s.out;
    EXPECT_EQ(s.out.find("ZPX0634I"), std::string::npos) << s.out;
    auto v = validate_junit(junit);
    EXPECT_EQ(v.status, 0) << v.out << "\n" << file_text(junit);
    auto x = file_text(junit);
    EXPECT_NE(x.find("<testcase name=\"CONFIG\""), std::string::npos) << x;
    EXPECT_NE(x.find("<failure"), std::string::npos) << x;
}

TEST(jcl_regression_e2e, zpxfault_ipl_is_refused_while_the_system_is_active_and_brings_a_killed_system_back) {
    std::string why;
    if (!can_run(why)) GTEST_SKIP() << why;
    fig4_run f("I", 'J');
    auto u = f.up();
    ASSERT_EQ(u.status, 0) << u.out << f.logs();
    // No COND on the JOB statement: the second step runs after the first one's 8.
    const auto job = f.tmp / "IPLJOB";
    std::ofstream(job) << "//IPLJOB   JOB (ZPLEX),'RE-IPL',CLASS=A,MSGCLASS=X\n"
                          "//BUSY     EXEC PGM=ZPXFAULT\n"
                          "//SYSPRINT DD SYSOUT=*\n"
                          "//SYSIN    DD *\n"
                          "  IPL MVS1\n"
                          "/*\n"
                          "//KILLED   EXEC PGM=ZPXFAULT\n"
                          "//SYSPRINT DD SYSOUT=*\n"
                          "//SYSIN    DD *\n"
                          "  KILL STACK MVS1\n"
                          "  WAIT FOR EZZ8301I '198.18.2.1' TIMEOUT 15\n"
                          "  IPL MVS1 WAIT 30\n"
                          "  WAIT FOR EZZ8303I '198.18.2.1' TIMEOUT 20\n"
                          "  WAIT FOR EZZ8302I '198.18.2.1' TIMEOUT 20\n"
                          "/*\n";
    auto s = f.run({"submit", job.string(), "--sysplex", f.plex.string(), "--run-dir", f.dir.string(), "--spool",
                    f.spool.string()},
                   150s);
    EXPECT_FALSE(s.timed_out);
    EXPECT_EQ(s.status, 8) << s.out << f.logs();
    EXPECT_NE(s.out.find("IPLJOB BUSY - STEP WAS EXECUTED - COND CODE 0008"), std::string::npos) << s.out;
    expect_in_order(s.out, {" ZPX0634I IPL OF MVS1: THE HMC'S LOAD", "   IXC203I MVS1 IS CURRENTLY ACTIVE IN THE SYSPLEX",
                            " ZPX0632E FAULT NOT MADE (SYSIN RECORD 1): IPL MVS1 - THE IPL OF MVS1 ENDED 8 (REFUSED)"});
    EXPECT_NE(s.out.find("ZPX0632E BUSY ZPXFAULT FAULT NOT MADE: IPL MVS1 - THE IPL OF MVS1 ENDED 8 (REFUSED)"),
              std::string::npos)
        << s.out;
    // Without Hercules the IPL of a system whose stack was killed starts the stack again.
    EXPECT_NE(s.out.find("IPLJOB KILLED - STEP WAS EXECUTED - COND CODE 0000"), std::string::npos) << s.out;
    expect_in_order(s.out, {"EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1",
                            "   ZPX1840I IPL OF MVS1 IN SYSPLEX " + f.name + ": ITS STACK ON A SYSTEM OF ITS OWN",
                            "   ZPX1806I TCPIPA ON MVS1 JOINED THE SYSPLEX", " ZPX0635I MVS1 IPLED",
                            "EZZ8303I VIPA 198.18.2.1 GIVEN TO TCPIPA ON MVS1",
                            "EZZ8302I VIPA 198.18.2.1 TAKEN FROM TCPIPA ON MVS2"});
    auto st = f.run({"status", "--run-dir", f.dir.string()});
    EXPECT_NE(st.out.find("DVIPA    198.18.2.1      OWNER MVS1/TCPIPA"), std::string::npos) << st.out;
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
