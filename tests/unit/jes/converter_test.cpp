// SPDX-License-Identifier: Apache-2.0
// The JCL converter from strings: JOB, EXEC, DD, symbols, procedures, INCLUDE,
// IF/THEN/ELSE/ENDIF and the IEFC messages of a JCL error.
#include <zplex/jes/jcl.hpp>

#include <gtest/gtest.h>

#include <map>

namespace zplex::jes::test {
namespace {

struct libs {
    std::map<std::string, std::string> members;  // "LIB(MEM)" -> text
    convert_options options() const {
        convert_options o;
        o.read_member = [this](const std::string& lib, const std::string& mem) -> std::optional<std::string> {
            auto it = members.find(lib + "(" + mem + ")");
            if (it == members.end()) {
                return std::nullopt;
            }
            return it->second;
        };
        o.proclib = {"SYS1.PROCLIB"};
        return o;
    }
};

job conv(std::string_view text, const libs& l = {}) { return convert(text, "USER.JCL(TEST)", l.options()); }

std::vector<std::string> messages(const job& j) {
    std::vector<std::string> out;
    for (const auto& m : j.messages) {
        out.push_back(std::to_string(m.stmt) + " " + m.id + " " + m.text);
    }
    return out;
}

const job_step& step(const job& j, std::size_t n) {
    std::size_t k = 0;
    for (const auto& it : j.items) {
        if (it.type == job_item::kind::step && k++ == n) {
            return it.step;
        }
    }
    throw std::out_of_range("no such step");
}

TEST(converter, job_parameters_and_unused_ones_accepted) {
    auto j = conv("//MYJOB JOB (ACCT),'A NAME',CLASS=B,MSGCLASS=X,NOTIFY=&SYSUID,\n"
                  "//   REGION=0M,TIME=1440,MSGLEVEL=(1,1)\n//S1 EXEC PGM=IEFBR14\n");
    EXPECT_FALSE(j.jcl_error()) << ::testing::PrintToString(messages(j));
    EXPECT_EQ(j.name, "MYJOB");
    EXPECT_EQ(j.jobclass, "B");
    EXPECT_EQ(j.msgclass, "X");
    EXPECT_EQ(j.notify, "ZPLEX");
    EXPECT_FALSE(j.typrun_scan);
    EXPECT_EQ(j.step_count(), 1u);
}

TEST(converter, unknown_keyword_and_operation) {
    auto j = conv("//J JOB CLASS=A,COLOUR=RED\n//S1 EXEC PGM=IEFBR14\n//S2 EXCE PGM=IEFBR14\n");
    EXPECT_TRUE(j.jcl_error());
    EXPECT_EQ(messages(j), (std::vector<std::string>{"1 IEFC630I UNIDENTIFIED KEYWORD COLOUR",
                                                     "3 IEFC605I UNIDENTIFIED OPERATION FIELD"}));
}

TEST(converter, typrun_scan_and_job_cond) {
    auto j = conv("//J JOB TYPRUN=SCAN,COND=(4,LT)\n//S1 EXEC PGM=IEFBR14\n");
    EXPECT_FALSE(j.jcl_error());
    EXPECT_TRUE(j.typrun_scan);
    ASSERT_TRUE(j.cond);
    EXPECT_EQ(j.cond->tests[0].code, 4);
    EXPECT_EQ(j.cond->tests[0].op, "LT");
}

TEST(converter, exec_pgm_parm_cond) {
    auto j = conv("//J JOB\n//S1 EXEC PGM=BPXBATCH,PARM='SH echo hi',COND=((4,LT,S0),EVEN)\n");
    ASSERT_FALSE(j.jcl_error()) << ::testing::PrintToString(messages(j));
    const auto& s = step(j, 0);
    EXPECT_EQ(s.name, "S1");
    EXPECT_EQ(s.pgm, "BPXBATCH");
    EXPECT_EQ(s.parm, "SH echo hi");
    ASSERT_TRUE(s.cond);
    EXPECT_TRUE(s.cond->even);
    EXPECT_EQ(s.cond->tests[0].step, "S0");
}

TEST(converter, long_pgm_and_parm) {
    auto j = conv("//J JOB\n//S1 EXEC PGM=TOOLONGNAME\n");
    EXPECT_EQ(messages(j), (std::vector<std::string>{"2 IEFC642I EXCESSIVE PARAMETER LENGTH IN THE PGM FIELD"}));
    std::string parm(101, 'P');
    auto k = conv("//J JOB\n//S1 EXEC PGM=X,PARM='" + parm.substr(0, 50) + "',\n");
    EXPECT_TRUE(k.jcl_error());
}

TEST(converter, dd_dsn_disp_temporaries_sysout_dummy_instream) {
    auto j = conv("//J JOB MSGCLASS=H\n//S1 EXEC PGM=IEBGENER\n"
                  "//SYSUT1 DD DSN=USER.DATA(MEM),DISP=SHR\n"
                  "//SYSUT2 DD DSN=&&TEMP,DISP=(NEW,PASS)\n"
                  "//OUT DD DSN=USER.NEW,DISP=(NEW,CATLG,DELETE)\n"
                  "//SYSPRINT DD SYSOUT=*\n//SYSIN DD DUMMY\n//IN DD *\nA\n/*\n");
    ASSERT_FALSE(j.jcl_error()) << ::testing::PrintToString(messages(j));
    const auto& s = step(j, 0);
    ASSERT_EQ(s.dds.size(), 6u);
    EXPECT_EQ(s.dds[0].dsn, "USER.DATA(MEM)");
    EXPECT_EQ(s.dds[0].status, "SHR");
    EXPECT_EQ(s.dds[0].normal, "KEEP");
    EXPECT_TRUE(s.dds[1].temporary);
    EXPECT_EQ(s.dds[1].dsn, "&&TEMP");
    EXPECT_EQ(s.dds[1].normal, "PASS");
    EXPECT_EQ(s.dds[2].normal, "CATLG");
    EXPECT_EQ(s.dds[2].abnormal, "DELETE");
    EXPECT_TRUE(s.dds[3].sysout);
    EXPECT_EQ(s.dds[3].sysout_class, "*");
    EXPECT_TRUE(s.dds[4].dummy);
    EXPECT_TRUE(s.dds[5].instream);
    EXPECT_EQ(s.dds[5].data, (std::vector<std::string>{"A"}));
}

TEST(converter, bad_dsn_and_disp) {
    auto j = conv("//J JOB\n//S1 EXEC PGM=X\n//A DD DSN=1BAD.NAME,DISP=SHR\n//B DD DSN=A.B,DISP=(OLD,BURN)\n");
    EXPECT_TRUE(j.jcl_error());
    auto m = messages(j);
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].substr(0, 11), "3 ZPX0511E ");
    EXPECT_EQ(m[1], "4 ZPX0512E INVALID DISP=(OLD,BURN)");
}

TEST(converter, a_comment_after_a_continuation_comma_silently_loses_the_rest) {
    auto j = conv("//J JOB\n//S1 EXEC PGM=X\n//A DD DSN=A.B, DISP=(OLD,KEEP)\n//   SPACE=(TRK,1)\n");
    ASSERT_FALSE(j.jcl_error()) << ::testing::PrintToString(messages(j));
    EXPECT_EQ(step(j, 0).dds[0].status, "NEW");  // DISP was a comment
    EXPECT_EQ(step(j, 0).dds[0].normal, "DELETE");
}

TEST(converter, misplaced_dd_before_any_exec) {
    auto j = conv("//J JOB\n//A DD DUMMY\n//S1 EXEC PGM=X\n");
    EXPECT_EQ(messages(j), (std::vector<std::string>{"2 IEFC019I MISPLACED DD STATEMENT"}));
}

TEST(converter, job_without_steps) {
    auto j = conv("//J JOB\n//* NOTHING\n");
    EXPECT_EQ(messages(j), (std::vector<std::string>{"1 IEFC607I JOB HAS NO STEPS"}));
}

TEST(converter, continuation_in_column_17_gives_621_then_605) {
    auto j = conv("//J JOB\n//S1 EXEC PGM=X\n//A DD DSN=A.B,\n//                DISP=SHR\n");
    EXPECT_EQ(messages(j), (std::vector<std::string>{"3 IEFC621I EXPECTED CONTINUATION NOT RECEIVED",
                                                     "4 IEFC605I UNIDENTIFIED OPERATION FIELD"}));
}

TEST(converter, set_symbols_substituted_and_listed) {
    auto j = conv("//J JOB\n// SET HLQ=USER,MEM=ABC\n//S1 EXEC PGM=IEBGENER\n//A DD DSN=&HLQ..DATA(&MEM),DISP=SHR\n");
    ASSERT_FALSE(j.jcl_error()) << ::testing::PrintToString(messages(j));
    EXPECT_EQ(step(j, 0).dds[0].dsn, "USER.DATA(ABC)");
    bool listed = false;
    for (const auto& l : j.jesjcl) {
        listed = listed || l.find("IEFC653I SUBSTITUTION JCL - DSN=USER.DATA(ABC),DISP=SHR") != std::string::npos;
    }
    EXPECT_TRUE(listed) << ::testing::PrintToString(j.jesjcl);
}

TEST(converter, jesjcl_numbers_statements_not_comments) {
    auto j = conv("//J JOB\n//* A COMMENT\n//S1 EXEC PGM=IEFBR14\n//A DD DSN=A.B,\n//  DISP=SHR\n");
    ASSERT_EQ(j.jesjcl.size(), 5u);
    EXPECT_EQ(j.jesjcl[0], "        1 //J JOB");
    EXPECT_EQ(j.jesjcl[1], "          //* A COMMENT");
    EXPECT_EQ(j.jesjcl[2], "        2 //S1 EXEC PGM=IEFBR14");
    EXPECT_EQ(j.jesjcl[3], "        3 //A DD DSN=A.B,");
    EXPECT_EQ(j.jesjcl[4], "          //  DISP=SHR");
}

TEST(converter, null_statement_ends_the_job) {
    auto j = conv("//J JOB\n//S1 EXEC PGM=IEFBR14\n//\n//S2 EXEC PGM=IEFBR14\n");
    EXPECT_EQ(j.step_count(), 1u);
}

TEST(converter, instream_proc_with_symbols_and_overrides) {
    auto j = conv("//J JOB\n"
                  "//COPY PROC IN=A.B,OUT=C.D\n"
                  "//GEN EXEC PGM=IEBGENER\n"
                  "//SYSUT1 DD DSN=&IN,DISP=SHR\n"
                  "//SYSUT2 DD DSN=&OUT,DISP=OLD\n"
                  "//SYSPRINT DD SYSOUT=*\n"
                  "// PEND\n"
                  "//RUN1 EXEC COPY,IN=X.Y,PARM='P1'\n"
                  "//GEN.SYSUT2 DD DSN=E.F,DISP=SHR\n"
                  "//SYSIN DD DUMMY\n");
    ASSERT_FALSE(j.jcl_error()) << ::testing::PrintToString(messages(j));
    const auto& s = step(j, 0);
    EXPECT_EQ(s.name, "RUN1");
    EXPECT_EQ(s.procstep, "GEN");
    EXPECT_EQ(s.proc, "COPY");
    EXPECT_EQ(s.parm, "P1");
    ASSERT_EQ(s.dds.size(), 4u);
    EXPECT_EQ(s.dds[0].dsn, "X.Y");
    EXPECT_EQ(s.dds[1].dsn, "E.F");
    EXPECT_EQ(s.dds[1].status, "SHR");
    EXPECT_EQ(s.dds[3].ddname, "SYSIN");
    EXPECT_EQ(messages(j)[0], "2 IEFC001I PROCEDURE COPY WAS EXPANDED USING INSTREAM PROCEDURE DEFINITION");
    bool plus = false;
    for (const auto& l : j.jesjcl) {
        plus = plus || l == "        3 ++GEN EXEC PGM=IEBGENER";
    }
    EXPECT_TRUE(plus) << ::testing::PrintToString(j.jesjcl);
}

TEST(converter, unused_symbol_on_exec_proc_is_an_error) {
    auto j = conv("//J JOB\n//P PROC\n//S EXEC PGM=IEFBR14\n// PEND\n//X EXEC P,NOSUCH=1\n");
    EXPECT_TRUE(j.jcl_error());
    auto m = messages(j);
    EXPECT_NE(std::find(m.begin(), m.end(), "2 IEFC657I THE SYMBOL NOSUCH WAS NOT USED"), m.end())
        << ::testing::PrintToString(m);
}

TEST(converter, catalogued_proc_from_jcllib_then_proclib_and_not_found) {
    libs l;
    l.members["USER.PROCS(MYPROC)"] = "//MYPROC PROC\n//S EXEC PGM=IEFBR14\n";
    l.members["SYS1.PROCLIB(SYSPROC)"] = "//SYSPROC PROC\n//T EXEC PGM=IEFBR14,PARM=OLD\n//U EXEC PGM=IEFBR14,PARM=OLD2\n// PEND\n";
    auto j = conv("//J JOB\n//LIBS JCLLIB ORDER=(USER.PROCS)\n//A EXEC MYPROC\n//B EXEC PROC=SYSPROC,PARM=NEW,COND.U=(0,NE)\n", l);
    ASSERT_FALSE(j.jcl_error()) << ::testing::PrintToString(messages(j));
    ASSERT_EQ(j.step_count(), 3u);
    EXPECT_EQ(step(j, 1).parm, "NEW");
    EXPECT_EQ(step(j, 2).parm, "");  // PARM= on EXEC proc nullifies the other steps' PARM
    ASSERT_TRUE(step(j, 2).cond);
    auto m = messages(j);
    EXPECT_EQ(m[0], "3 IEFC001I PROCEDURE MYPROC WAS EXPANDED USING PRIVATE LIBRARY USER.PROCS");
    EXPECT_EQ(m[1], "5 IEFC001I PROCEDURE SYSPROC WAS EXPANDED USING SYSTEM LIBRARY SYS1.PROCLIB");
    bool xx = false;
    for (const auto& s : j.jesjcl) {
        xx = xx || s == "        4 XXS EXEC PGM=IEFBR14";
    }
    EXPECT_TRUE(xx) << ::testing::PrintToString(j.jesjcl);
    auto k = conv("//J JOB\n//A EXEC NOPROC\n", l);
    EXPECT_EQ(messages(k), (std::vector<std::string>{"2 IEFC612I PROCEDURE NOPROC WAS NOT FOUND"}));
}

TEST(converter, include_member) {
    libs l;
    l.members["USER.PROCS(STEPS)"] = "//INC1 EXEC PGM=IEFBR14\n//DD1 DD DUMMY\n";
    auto j = conv("//J JOB\n// JCLLIB ORDER=USER.PROCS\n// INCLUDE MEMBER=STEPS\n//AFTER EXEC PGM=IEFBR14\n", l);
    ASSERT_FALSE(j.jcl_error()) << ::testing::PrintToString(messages(j));
    ASSERT_EQ(j.step_count(), 2u);
    EXPECT_EQ(step(j, 0).name, "INC1");
    EXPECT_EQ(step(j, 0).dds.size(), 1u);
    auto k = conv("//J JOB\n// INCLUDE MEMBER=NONE\n//S EXEC PGM=IEFBR14\n", l);
    EXPECT_EQ(messages(k), (std::vector<std::string>{"2 IEFC612I INCLUDE GROUP NONE WAS NOT FOUND"}));
    // An INCLUDE of itself stops at the nesting limit.
    l.members["USER.PROCS(SELF)"] = "// INCLUDE MEMBER=SELF\n";
    auto s = conv("//J JOB\n// JCLLIB ORDER=USER.PROCS\n// INCLUDE MEMBER=SELF\n//S EXEC PGM=IEFBR14\n", l);
    EXPECT_TRUE(s.jcl_error());
}

TEST(converter, if_then_else_endif_structure) {
    auto j = conv("//J JOB\n//S1 EXEC PGM=IEFBR14\n//T1 IF (S1.RC = 0 AND NOT ABEND) THEN\n//S2 EXEC PGM=IEFBR14\n"
                  "// ELSE\n//S3 EXEC PGM=IEFBR14\n// ENDIF\n");
    ASSERT_FALSE(j.jcl_error()) << ::testing::PrintToString(messages(j));
    ASSERT_EQ(j.items.size(), 6u);
    EXPECT_EQ(j.items[1].type, job_item::kind::if_);
    EXPECT_EQ(j.items[3].type, job_item::kind::else_);
    EXPECT_EQ(j.items[5].type, job_item::kind::endif);
}

TEST(converter, if_errors) {
    auto j = conv("//J JOB\n//S1 EXEC PGM=IEFBR14\n// IF (RC = X) THEN\n//S2 EXEC PGM=IEFBR14\n// ENDIF\n// ENDIF\n");
    EXPECT_EQ(messages(j), (std::vector<std::string>{"3 IEFC013I ERROR IN IF STATEMENT: X NOT VALID",
                                                     "6 ZPX0506E ENDIF STATEMENT WITHOUT A MATCHING IF"}));
    auto k = conv("//J JOB\n// IF RC = 0 THEN\n//S2 EXEC PGM=IEFBR14\n");
    EXPECT_EQ(messages(k), (std::vector<std::string>{"2 ZPX0507E IF STATEMENT HAS NO ENDIF"}));
}

struct results {
    std::map<std::string, int> rc;
    std::map<std::string, std::string> abend;
    step_result_view view() const {
        step_result_view v;
        v.rc = [this](const std::string& s, const std::string&) -> std::optional<int> {
            if (s.empty()) {
                int m = 0;
                for (const auto& [k, r] : rc) {
                    m = std::max(m, r);
                }
                return m;
            }
            auto it = rc.find(s);
            return it == rc.end() ? std::nullopt : std::optional<int>(it->second);
        };
        v.abended = [this](const std::string& s, const std::string&) {
            return s.empty() ? !abend.empty() : abend.count(s) > 0;
        };
        v.ran = [this](const std::string& s, const std::string&) { return rc.count(s) > 0 || abend.count(s) > 0; };
        v.abendcc = [this](const std::string& s, const std::string&) -> std::optional<std::string> {
            for (const auto& [k, c] : abend) {
                if (s.empty() || k == s) {
                    return c;
                }
            }
            return std::nullopt;
        };
        return v;
    }
};

bool holds(std::string_view text, const results& r) {
    std::string bad;
    auto c = parse_condition(text, &bad);
    EXPECT_TRUE(c) << text << ": " << bad;
    return c && c->evaluate(r.view());
}

TEST(condition, relational_and_logical_operators) {
    results r;
    r.rc = {{"S1", 0}, {"S2", 4}};
    EXPECT_TRUE(holds("RC = 4", r));
    EXPECT_TRUE(holds("RC GE 4", r));
    EXPECT_FALSE(holds("RC > 4", r));
    EXPECT_TRUE(holds("S1.RC = 0 & S2.RC < 8", r));
    EXPECT_TRUE(holds("(S1.RC NE 0) | S2.RC EQ 4", r));
    EXPECT_TRUE(holds("NOT (RC > 4)", r));
    EXPECT_TRUE(holds("\xC2\xAC" "ABEND", r));
    EXPECT_TRUE(holds("S1.RUN", r));
    EXPECT_FALSE(holds("S9.RUN", r));
    EXPECT_FALSE(holds("S9.RC = 0", r));  // a step that did not run has no RC
    EXPECT_TRUE(holds("RC NG 4", r));
    EXPECT_TRUE(holds("S1.PS.RC = 0 | S1.RC = 0", r));
    r.abend = {{"S3", "S806"}};
    EXPECT_TRUE(holds("ABEND", r));
    EXPECT_TRUE(holds("S3.ABEND = TRUE", r));
    EXPECT_TRUE(holds("ABENDCC = S806", r));
    EXPECT_FALSE(holds("ABEND = FALSE", r));
}

TEST(condition, invalid_expressions_name_the_token) {
    for (auto [text, bad] : std::vector<std::pair<std::string, std::string>>{
             {"RC = A", "A"}, {"RC", "THEN"}, {"(RC = 0", "THEN"}, {"RC = 0 0", "0"}, {"RUN", "RUN"},
             {"RC = 5000", "5000"}, {"RC % 3", "%"}, {"ABENDCC > S806", "S806"}}) {
        std::string got;
        EXPECT_FALSE(parse_condition(text, &got)) << text;
        EXPECT_EQ(got, bad) << text;
    }
}


TEST(converter, proclib_concatenation_of_the_sysplex_searched_in_order_after_jcllib) {
    // SYSPLEX.xml's <proclib> elements: ZPLEX.PROCLIB then SYS1.PROCLIB, as JES2's PROC00.
    libs l;
    l.members["ZPLEX.PROCLIB(BOTH)"] = "//BOTH PROC\n//S EXEC PGM=IEFBR14,PARM=ZPLEX\n";
    l.members["SYS1.PROCLIB(BOTH)"] = "//BOTH PROC\n//S EXEC PGM=IEFBR14,PARM=SYS1\n";
    l.members["SYS1.PROCLIB(ONLY1)"] = "//ONLY1 PROC\n//S EXEC PGM=IEFBR14,PARM=SYS1\n";
    l.members["USER.PROCS(BOTH)"] = "//BOTH PROC\n//S EXEC PGM=IEFBR14,PARM=USER\n";
    auto o = l.options();
    o.proclib = {"ZPLEX.PROCLIB", "SYS1.PROCLIB"};
    auto j = convert("//J JOB\n//A EXEC BOTH\n//B EXEC PROC=ONLY1\n", "USER.JCL(TEST)", o);
    ASSERT_FALSE(j.jcl_error()) << ::testing::PrintToString(messages(j));
    ASSERT_EQ(j.step_count(), 2u);
    EXPECT_EQ(step(j, 0).parm, "ZPLEX");
    EXPECT_EQ(step(j, 1).parm, "SYS1");
    EXPECT_EQ(messages(j), (std::vector<std::string>{
                               "2 IEFC001I PROCEDURE BOTH WAS EXPANDED USING SYSTEM LIBRARY ZPLEX.PROCLIB",
                               "4 IEFC001I PROCEDURE ONLY1 WAS EXPANDED USING SYSTEM LIBRARY SYS1.PROCLIB"}));
    // JCLLIB ORDER comes first, the PROCLIB after it.
    auto k = convert("//J JOB\n// JCLLIB ORDER=(USER.PROCS)\n//A EXEC BOTH\n", "USER.JCL(TEST)", o);
    ASSERT_FALSE(k.jcl_error()) << ::testing::PrintToString(messages(k));
    EXPECT_EQ(step(k, 0).parm, "USER");
    // A procedure in none of them: IEFC612I on the EXEC, and the job does not run.
    auto n = convert("//J JOB\n//A EXEC PGM=IEFBR14\n//B EXEC PROC=NOWHERE\n", "USER.JCL(TEST)", o);
    EXPECT_TRUE(n.jcl_error());
    EXPECT_EQ(messages(n), (std::vector<std::string>{"3 IEFC612I PROCEDURE NOWHERE WAS NOT FOUND"}));
    // An empty concatenation finds nothing outside JCLLIB.
    o.proclib.clear();
    auto e = convert("//J JOB\n//B EXEC ONLY1\n", "USER.JCL(TEST)", o);
    EXPECT_EQ(messages(e), (std::vector<std::string>{"2 IEFC612I PROCEDURE ONLY1 WAS NOT FOUND"}));
}

}  // namespace
}  // namespace zplex::jes::test
