// SPDX-License-Identifier: Apache-2.0
// ZPXFAULT from strings: the form of each statement (IPL sys [WAIT s] among them) checked
// before any fault is made, with the exact ZPX0603E reason; and the log watch of WAIT
// FOR: lines since the watch began, the earliest by time stamp across logs first, each
// found once, in any order of the waits.
#include "batch/batch.hpp"
#include "memory_io.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace zplex::cli::batch {
namespace {

namespace fs = std::filesystem;

sysin_statement statement(const std::string& record) {
    std::vector<sysin_statement> out;
    std::string why;
    EXPECT_TRUE(read_sysin({record}, out, why)) << why;
    EXPECT_EQ(out.size(), 1u) << record;
    return out.empty() ? sysin_statement{} : out.front();
}

TEST(batch_fault, every_statement_form_of_zpxfault_is_accepted) {
    for (const char* good :
         {"KILL STACK MVS1", "KILL STACK MVS1 SIGNAL TERM", "KILL JOB APPA ON MVS2 SIGNAL KILL", "KILL CF CF01",
          "KILL IKED MVS1", "KILL IMAGE MVS4", "KILL IMAGE MVS4 SIGNAL TERM", "STOP CPU MVS1", "start cpu mvs1", "RESTART STACK MVS1", "RESTART IKED MVS2", "RESTART CF CF01", "IPL MVS1", "IPL MVS1 WAIT 120",
          "FILL STRUCTURE EZBDVIPA", "free structure ezbdvipa",
          "WAIT FOR EZZ8302I TIMEOUT 30", "WAIT FOR EZZ8303I '198.18.2.1' TIMEOUT 30", "DELAY 0"})
        EXPECT_EQ(fault_statement_form(statement(good)), "") << good;
}

TEST(batch_fault, a_statement_of_the_wrong_form_says_which_form_it_needs) {
    const std::map<std::string, std::string> bad = {
        {"IPL", "IPL sys [WAIT s]"},
        {"IPL MVS1 MVS2", "IPL sys [WAIT s]"},
        {"IPL MVS1 WAIT", "IPL sys [WAIT s]"},
        {"IPL MVS1 WAIT 0", "IPL sys WAIT NEEDS SECONDS, 1-600"},
        {"IPL MVS1 WAIT 601", "IPL sys WAIT NEEDS SECONDS, 1-600"},
        {"IPL MVS1 TIME 60", "IPL sys WAIT NEEDS SECONDS, 1-600"},
        {"IPL MVS1 WAIT 10 CLEAR", "IPL sys [WAIT s]"},
        {"KILL STACK", "KILL STACK sys, KILL JOB proc ON sys, KILL CF name, KILL IKED sys OR KILL IMAGE sys"},
        {"KILL JOB APPA MVS2", "KILL STACK sys, KILL JOB proc ON sys, KILL CF name, KILL IKED sys OR KILL IMAGE sys"},
        {"KILL STACK MVS1 SIGNAL HUP", "ONLY SIGNAL KILL OR SIGNAL TERM MAY FOLLOW"},
        {"KILL STACK MVS1 TERM", "ONLY SIGNAL KILL OR SIGNAL TERM MAY FOLLOW"},
        {"STOP MVS1", "STOP CPU sys"},
        {"START CPU", "START CPU sys"},
        {"RESTART MVS1", "RESTART STACK|IKED sys OR RESTART CF name"},
        {"RESTART JOB APPA", "RESTART STACK|IKED sys OR RESTART CF name"},
        {"DELAY", "DELAY NEEDS SECONDS, 0-600"},
        {"DELAY 601", "DELAY NEEDS SECONDS, 0-600"},
        {"WAIT FOR EZZ8301I", "WAIT FOR msgid ['text'] TIMEOUT s"},
        {"WAIT FOR EZZ8301I TIMEOUT 0", "TIMEOUT NEEDS SECONDS, 1-600"},
        {"FILL EZBDVIPA", "FILL STRUCTURE strname"},
        {"FREE STRUCTURE EZBDVIPA NOW", "FREE STRUCTURE strname"},
        {"LOAD MVS1", "UNKNOWN STATEMENT (KILL, STOP CPU, START CPU, RESTART STACK|IKED|CF, IPL, FILL|FREE STRUCTURE, "
                      "WAIT FOR, DELAY)"},
    };
    for (const auto& [text, why] : bad) EXPECT_EQ(fault_statement_form(statement(text)), why) << text;
}

TEST(batch_fault, a_statement_of_the_wrong_form_stops_the_step_before_any_fault_or_sysplex) {
    auto dir = fs::temp_directory_path() / ("zpxbf-" + std::to_string(::getpid()));
    context c{(dir / "run").string(), (fs::path(ZPLEX_SOURCE_DIR) / "profiles/FIG4").string()};
    jes::job_step step;
    step.name = "REIPL";
    step.pgm = "ZPXFAULT";
    memory_io io;
    io.dds["SYSPRINT"] = {};
    io.dds["SYSIN"] = {"  STOP CPU MVS1", "  IPL MVS1 WAIT 0"};
    EXPECT_EQ(fault_program(c)(step, io).rc, 12);
    const auto& p = io.dds["SYSPRINT"];
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p[0], "ZPXFAULT  FAULTS - STEP REIPL");
    EXPECT_EQ(p[1], " ZPX0603E SYSIN RECORD 2 NOT VALID: IPL sys WAIT NEEDS SECONDS, 1-600: IPL MVS1 WAIT 0");
    EXPECT_EQ(p[2], "ZPX0609I ZPXFAULT ENDED: 0 EXPECTATION(S), 0 NOT MET, RC=12");

    // Well formed, but no sysplex runs there: the IPL is not tried.
    memory_io none;
    none.dds["SYSPRINT"] = {};
    none.dds["SYSIN"] = {"  IPL MVS1"};
    EXPECT_EQ(fault_program(c)(step, none).rc, 12);
    ASSERT_GE(none.dds["SYSPRINT"].size(), 2u);
    EXPECT_EQ(none.dds["SYSPRINT"][1].rfind("ZPX0602E ZPXFAULT FOUND NO RUNNING SYSPLEX: ", 0), 0u) << none.dds["SYSPRINT"][1];
}

TEST(batch_fault, a_log_line_stamp_is_the_log_writers_date_and_time) {
    EXPECT_EQ(log_watch::stamp_of("2026-12-03 06:49:22.123 EZZ8301I VIPA"), "2026-12-03 06:49:22.123");
    EXPECT_EQ(log_watch::stamp_of("2026-12-03 06:49:22.123"), "2026-12-03 06:49:22.123");
    EXPECT_EQ(log_watch::stamp_of("2026-12-03 06:49:22.12 X"), "");
    EXPECT_EQ(log_watch::stamp_of("EZZ8301I VIPA 198.18.2.1"), "");
    EXPECT_EQ(log_watch::stamp_of(""), "");
}

TEST(batch_fault, waits_find_lines_since_the_watch_began_each_once_the_earliest_first_across_logs) {
    auto dir = fs::temp_directory_path() / ("zpxbw-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "logs");
    console c;
    c.dir = dir;
    operating::run_process a, b;
    a.kind = b.kind = "tcpip";
    a.system = "MVS1", a.log = "logs/MVS1.TCPIPA.log";
    b.system = "MVS2", b.log = "logs/MVS2.TCPIPA.log";
    c.r.processes = {a, b};
    std::ofstream(dir / a.log) << "2026-12-03 06:00:00.000 EZZ8302I VIPA 198.18.2.1 TAKEN FROM TCPIPA ON MVS2 (OLD)\n";
    std::ofstream(dir / b.log) << "";
    log_watch w(c);
    // MVS1's log is read first; MVS2 gave the address (EZZ8303I) before MVS1 took it.
    std::ofstream(dir / a.log, std::ios::app) << "2026-12-03 07:00:00.120 EZZ8302I VIPA 198.18.2.1 TAKEN FROM TCPIPA ON MVS2\n"
                                              << "a line without a stamp, as old as the one before: EZZ4242I\n";
    std::ofstream(dir / b.log, std::ios::app) << "2026-12-03 07:00:00.118 EZZ8303I VIPA 198.18.2.1 GIVEN TO TCPIPA ON MVS1\n"
                                              << "2026-12-03 07:00:00.119 EZZ7777I WAITED FOR LAST\n"
                                              << "2026-12-03 07:00:00.130 EZZ4242I SECOND\n"
                                              << "2026-12-03 07:00:00.140 partial";
    using namespace std::chrono_literals;
    // Waits in either order find both: the logs' order is not the waits' business.
    auto taken = w.wait_for("EZZ8302I", "198.18.2.1", 1s);
    ASSERT_TRUE(taken);
    EXPECT_EQ(taken->find("(OLD)"), std::string::npos) << "a line from before the watch began";
    auto given = w.wait_for("EZZ8303I", "198.18.2.1", 1s);
    ASSERT_TRUE(given);
    EXPECT_NE(given->find("GIVEN TO TCPIPA ON MVS1"), std::string::npos);
    EXPECT_FALSE(w.wait_for("EZZ8302I", "198.18.2.1", 200ms)) << "the line before the watch began stays unread";
    // Two waits for one message find two lines, the earlier first; then none is left.
    auto first = w.wait_for("EZZ4242I", "", 1s);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->rfind("a line without a stamp", 0), 0u) << *first;
    auto second = w.wait_for("EZZ4242I", "", 1s);
    ASSERT_TRUE(second);
    EXPECT_NE(second->find("SECOND"), std::string::npos);
    EXPECT_FALSE(w.wait_for("EZZ4242I", "", 200ms));
    EXPECT_TRUE(w.wait_for("EZZ7777I", "", 200ms)) << "written before the line the last wait found";
    // A line still being written is read once it ends.
    std::ofstream(dir / b.log, std::ios::app) << " EZZ9999I\n";
    EXPECT_TRUE(w.wait_for("EZZ9999I", "", 1s));
    fs::remove_all(dir);
}

}  // namespace
}  // namespace zplex::cli::batch
