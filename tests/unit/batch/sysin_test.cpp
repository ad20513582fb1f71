// SPDX-License-Identifier: Apache-2.0
// SYSIN of ZPXOPER/ZPXTRAF/ZPXFAULT from strings: words, quotes, comments, continuation,
// a quote left open; and each program's RC when SYSIN, SYSPRINT or the sysplex is missing.
#include "batch/batch.hpp"
#include "memory_io.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

namespace zplex::cli::batch {
namespace {

std::vector<sysin_statement> read(const std::vector<std::string>& records) {
    std::vector<sysin_statement> out;
    std::string why;
    EXPECT_TRUE(read_sysin(records, out, why)) << why;
    return out;
}

TEST(batch_sysin, words_fold_to_upper_case_outside_quotes_and_quotes_keep_blanks_and_case) {
    auto s = read({"  command 'D TCPIP,,n,vdpt'", "  EXPECT COUNT 3 'RDY: 001' within 10"});
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s[0].words, (std::vector<std::string>{"COMMAND", "D TCPIP,,n,vdpt"}));
    EXPECT_EQ(s[0].quoted, (std::vector<bool>{false, true}));
    EXPECT_EQ(s[0].line, 1);
    EXPECT_EQ(s[1].words, (std::vector<std::string>{"EXPECT", "COUNT", "3", "RDY: 001", "WITHIN", "10"}));
    EXPECT_EQ(s[1].text, "EXPECT COUNT 3 'RDY: 001' within 10");
}

TEST(batch_sysin, two_quotes_are_one_and_commas_separate_words) {
    auto s = read({"EXPECT 'IT''S',DIST MVS1=10,MVS2=*"});
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].words, (std::vector<std::string>{"EXPECT", "IT'S", "DIST", "MVS1=10", "MVS2=*"}));
}

TEST(batch_sysin, comments_blank_records_and_columns_after_71_are_not_read) {
    std::string seq(71, ' ');
    seq.replace(0, 3, "RUN");
    seq += "00010000";  // columns 72-80: sequence numbers
    auto s = read({"* A COMMENT", "/* ANOTHER", "", seq});
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].words, (std::vector<std::string>{"RUN"}));
    EXPECT_EQ(s[0].line, 4);
}

TEST(batch_sysin, a_record_ending_in_a_dash_continues_on_the_next) {
    auto s = read({"CONNECTIONS 30 -", "   CONCURRENCY 3 BYTES 100", "RUN"});
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s[0].words, (std::vector<std::string>{"CONNECTIONS", "30", "CONCURRENCY", "3", "BYTES", "100"}));
    EXPECT_EQ(s[0].line, 1);
    EXPECT_EQ(s[1].line, 3);
}

TEST(batch_sysin, a_quote_left_open_says_which_record) {
    std::vector<sysin_statement> out;
    std::string why;
    EXPECT_FALSE(read_sysin({"RUN", "COMMAND 'D TCPIP"}, out, why));
    EXPECT_EQ(why, "ZPX0600E SYSIN RECORD 2: A QUOTED STRING IS NOT CLOSED");
}

TEST(batch_sysin, number_takes_only_digits_in_range) {
    long v = 0;
    EXPECT_TRUE(number("600", 1, 600, v));
    EXPECT_EQ(v, 600);
    EXPECT_FALSE(number("601", 1, 600, v));
    EXPECT_FALSE(number("1O", 1, 600, v));
    EXPECT_FALSE(number("", 1, 600, v));
    EXPECT_FALSE(number("-1", 0, 600, v));
}

TEST(batch_programs, without_sysin_16_and_without_a_running_sysplex_12) {
    auto dir = std::filesystem::temp_directory_path() / ("zpxbt-" + std::to_string(::getpid()));
    context c{(dir / "run").string(), (std::filesystem::path(ZPLEX_SOURCE_DIR) / "profiles/FIG4").string()};
    auto progs = programs(c);
    ASSERT_EQ(progs.size(), 4u);
    for (auto& [name, p] : progs) {
        if (name == "ZPXMATRX") continue;  // reads no SYSIN: below
        jes::job_step step;
        step.name = "S1";
        step.pgm = name;
        memory_io no_sysin;
        no_sysin.dds["SYSPRINT"] = {};
        EXPECT_EQ(p(step, no_sysin).rc, 16) << name;
        EXPECT_EQ(no_sysin.messages, (std::vector<std::string>{"IEC130I SYSIN DD STATEMENT MISSING"})) << name;

        memory_io io;
        io.dds["SYSPRINT"] = {};
        io.dds["SYSIN"] = {"  DELAY 0"};
        EXPECT_EQ(p(step, io).rc, 12) << name;
        ASSERT_GE(io.dds["SYSPRINT"].size(), 3u) << name;
        EXPECT_EQ(io.dds["SYSPRINT"][1].rfind("ZPX0602E " + name + " FOUND NO RUNNING SYSPLEX: ", 0), 0u)
            << io.dds["SYSPRINT"][1];
        EXPECT_EQ(io.dds["SYSPRINT"].back(), "ZPX0609I " + name + " ENDED: 0 EXPECTATION(S), 0 NOT MET, RC=12");

        memory_io no_print;
        no_print.dds["SYSIN"] = {"  DELAY 0"};
        EXPECT_EQ(p(step, no_print).rc, 16) << name;
    }
}

TEST(batch_programs, zpxmatrx_takes_quick_or_all_and_needs_a_running_sysplex) {
    auto dir = std::filesystem::temp_directory_path() / ("zpxbt-" + std::to_string(::getpid()));
    context c{(dir / "run").string(), (std::filesystem::path(ZPLEX_SOURCE_DIR) / "profiles/FIG4").string()};
    auto p = programs(c).at("ZPXMATRX");
    jes::job_step step;
    step.name = "MATRIX";
    step.pgm = "ZPXMATRX";
    step.parm = "SOME";
    memory_io bad;
    bad.dds["SYSPRINT"] = {};
    EXPECT_EQ(p(step, bad).rc, 12);
    ASSERT_GE(bad.dds["SYSPRINT"].size(), 2u);
    EXPECT_EQ(bad.dds["SYSPRINT"][1], " ZPX0640E PARM 'SOME' NOT VALID: QUICK OR ALL");
    for (const char* parm : {"QUICK", "all", ""}) {
        step.parm = parm;
        memory_io io;
        io.dds["SYSPRINT"] = {};
        EXPECT_EQ(p(step, io).rc, 12) << parm;
        ASSERT_GE(io.dds["SYSPRINT"].size(), 2u) << parm;
        EXPECT_EQ(io.dds["SYSPRINT"][1].rfind("ZPX0602E ZPXMATRX FOUND NO RUNNING SYSPLEX: ", 0), 0u)
            << io.dds["SYSPRINT"][1];
    }
    memory_io no_print;
    step.parm = "QUICK";
    EXPECT_EQ(p(step, no_print).rc, 16);
}

}  // namespace
}  // namespace zplex::cli::batch
