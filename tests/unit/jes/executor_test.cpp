// SPDX-License-Identifier: Apache-2.0
// Running jobs: COND= and IF/THEN decide steps, DDs allocate through a catalogue
// folder with their dispositions, the programs (IEFBR14, IEBGENER, IDCAMS, BPXBATCH)
// and S806, and the job log's messages and exit codes.
#include <zplex/jes/executor.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace zplex::jes::test {
namespace {

namespace fs = std::filesystem;

class run : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/zplex-jes-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        root = tmpl;
        cat.emplace(root);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
    job_log submit(std::string_view text) {
        convert_options co;
        co.read_member = [this](const std::string& lib, const std::string& mem) -> std::optional<std::string> {
            std::ifstream in(cat->path_of({lib, mem}));
            if (!in) {
                return std::nullopt;
            }
            std::stringstream ss;
            ss << in.rdbuf();
            return ss.str();
        };
        co.proclib = {"SYS1.PROCLIB"};
        auto j = convert(text, "TEST.JCL(JOB)", co);
        run_options o;
        o.datasets = &*cat;
        o.jobid = "JOB00042";
        o.now = [] { return std::time_t(1'796'000'000); };
        return run_job(j, o);
    }
    void put(const std::string& rel, const std::string& text) {
        fs::create_directories((root / rel).parent_path());
        std::ofstream(root / rel) << text;
    }
    std::string get(const std::string& rel) {
        std::ifstream in(root / rel);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    static bool has(const std::vector<std::string>& v, const std::string& s) {
        return std::any_of(v.begin(), v.end(), [&](const std::string& l) { return l.find(s) != std::string::npos; });
    }
    static std::string dump(const job_log& l) { return l.str(); }
    static const sysout_dataset* sysout(const job_log& l, const std::string& step, const std::string& dd) {
        for (const auto& s : l.sysouts) {
            if ((s.step == step || s.procstep == step) && s.ddname == dd) {
                return &s;
            }
        }
        return nullptr;
    }
    fs::path root;
    std::optional<sysplex::dataset_catalogue> cat;
};

TEST_F(run, iefbr14_allocates_and_catalogues_then_deletes) {
    auto l = submit("//J JOB\n//A EXEC PGM=IEFBR14\n//NEW DD DSN=USER.TEST.DATA,DISP=(NEW,CATLG)\n"
                    "//B EXEC PGM=IEFBR14\n//OLD DD DSN=USER.TEST.DATA,DISP=(OLD,DELETE)\n");
    EXPECT_EQ(l.exit_code(), 0) << dump(l);
    EXPECT_TRUE(has(l.jesysmsg, "IEF142I J A - STEP WAS EXECUTED - COND CODE 0000"));
    EXPECT_TRUE(has(l.jesysmsg, "USER.TEST.DATA                               CATALOGED"));
    EXPECT_TRUE(has(l.jesysmsg, "USER.TEST.DATA                               DELETED"));
    EXPECT_TRUE(has(l.jesmsglg, "$HASP373 J        STARTED - INIT 1    - CLASS A - SYS ZPLX"));
    EXPECT_TRUE(has(l.jesmsglg, "$HASP395 J        ENDED - RC=0000"));
    EXPECT_TRUE(has(l.jesmsglg, "IEF403I J - STARTED"));
    EXPECT_TRUE(has(l.jesmsglg, "IEF404I J - ENDED"));
    EXPECT_TRUE(has(l.jesysmsg, "IEF373I STEP/A       /START"));
    EXPECT_TRUE(has(l.jesysmsg, "IEF374I STEP/B       /STOP"));
    EXPECT_FALSE(fs::exists(root / "USER.TEST.DATA"));
}

TEST_F(run, data_set_not_found_is_a_jcl_error_at_allocation) {
    auto l = submit("//J JOB\n//A EXEC PGM=IEFBR14\n//IN DD DSN=USER.MISSING,DISP=SHR\n//B EXEC PGM=IEFBR14\n");
    EXPECT_TRUE(l.jcl_error);
    EXPECT_EQ(l.exit_code(), exit_jcl_error);
    EXPECT_TRUE(has(l.jesysmsg, "IEFA107I J A IN - DATA SET USER.MISSING NOT FOUND")) << dump(l);
    EXPECT_TRUE(has(l.jesysmsg, "IEF272I J A - STEP WAS NOT EXECUTED."));
    EXPECT_TRUE(has(l.jesysmsg, "IEF272I J B - STEP WAS NOT EXECUTED."));
    EXPECT_TRUE(has(l.jesmsglg, "IEF453I J - JOB FAILED - JCL ERROR"));
}

TEST_F(run, new_on_an_existing_data_set_is_refused) {
    put("USER.THERE", "X\n");
    auto l = submit("//J JOB\n//A EXEC PGM=IEFBR14\n//N DD DSN=USER.THERE,DISP=(NEW,CATLG)\n");
    EXPECT_TRUE(l.jcl_error);
    EXPECT_TRUE(has(l.jesysmsg, "IGD17101I DATA SET USER.THERE NOT DEFINED BECAUSE DUPLICATE NAME EXISTS IN CATALOG"));
}

TEST_F(run, converter_errors_stop_the_job_before_any_step) {
    auto l = submit("//J JOB\n//A EXEC PGM=IEFBR14\n//B EXCE PGM=IEFBR14\n");
    EXPECT_TRUE(l.jcl_error);
    EXPECT_TRUE(l.steps.empty());
    EXPECT_TRUE(has(l.jesmsglg, "IEFC452I J - JOB NOT RUN - JCL ERROR"));
    EXPECT_TRUE(has(l.jesysmsg, "        3 IEFC605I UNIDENTIFIED OPERATION FIELD"));
    EXPECT_EQ(l.exit_code(), exit_jcl_error);
}

TEST_F(run, typrun_scan_runs_nothing) {
    auto l = submit("//J JOB TYPRUN=SCAN\n//A EXEC PGM=IEFBR14\n//N DD DSN=USER.NEWONE,DISP=(NEW,CATLG)\n");
    EXPECT_TRUE(l.scanned);
    EXPECT_EQ(l.exit_code(), 0);
    EXPECT_TRUE(l.steps.empty());
    EXPECT_FALSE(fs::exists(root / "USER.NEWONE"));
}

TEST_F(run, unknown_program_abends_s806_and_later_steps_do_not_run) {
    auto l = submit("//J JOB\n//A EXEC PGM=NOSUCHPG\n//B EXEC PGM=IEFBR14\n//C EXEC PGM=IEFBR14,COND=EVEN\n"
                    "// IF ABEND THEN\n//D EXEC PGM=IEFBR14\n// ENDIF\n");
    EXPECT_EQ(l.abend, "S806");
    EXPECT_EQ(l.exit_code(), exit_abend);
    EXPECT_TRUE(has(l.jesmsglg, "CSV003I REQUESTED MODULE NOSUCHPG NOT FOUND"));
    EXPECT_TRUE(has(l.jesmsglg, "IEF450I J A - ABEND=S806 U0000 REASON=00000004"));
    EXPECT_TRUE(has(l.jesysmsg, "IEF472I J A - COMPLETION CODE - SYSTEM=806 USER=0000 REASON=00000004"));
    EXPECT_TRUE(has(l.jesmsglg, "$HASP395 J        ENDED - ABEND=S806"));
    ASSERT_EQ(l.steps.size(), 4u);
    EXPECT_EQ(l.steps[1].result, step_record::outcome::not_run);
    EXPECT_EQ(l.steps[2].result, step_record::outcome::executed);  // COND=EVEN
    EXPECT_EQ(l.steps[3].result, step_record::outcome::executed);  // IF ABEND
}

TEST_F(run, cond_codes_and_if_then_else) {
    auto l = submit("//J JOB\n//A EXEC PGM=BPXBATCH,PARM='SH exit 4'\n"
                    "//B EXEC PGM=IEFBR14,COND=(4,EQ,A)\n"
                    "//C EXEC PGM=IEFBR14,COND=(8,LE)\n"
                    "//T IF (A.RC = 4 & B.RUN = FALSE) THEN\n//D EXEC PGM=IEFBR14\n// ELSE\n//E EXEC PGM=IEFBR14\n// ENDIF\n");
    EXPECT_EQ(l.exit_code(), 4) << dump(l);
    ASSERT_EQ(l.steps.size(), 5u);
    EXPECT_EQ(l.steps[0].rc, 4);
    EXPECT_EQ(l.steps[1].result, step_record::outcome::bypassed);
    EXPECT_TRUE(has(l.jesysmsg, "IEF202I J B - STEP WAS NOT RUN BECAUSE OF CONDITION CODES"));
    EXPECT_EQ(l.steps[2].result, step_record::outcome::executed);
    EXPECT_EQ(l.steps[3].result, step_record::outcome::executed);
    EXPECT_EQ(l.steps[4].result, step_record::outcome::bypassed);
    EXPECT_TRUE(has(l.jesysmsg, "IEF206I J E - STEP WAS NOT RUN BECAUSE OF CONDITIONAL EXPRESSION ON STATEMENT 5"));
    EXPECT_TRUE(has(l.jesmsglg, "$HASP395 J        ENDED - RC=0004"));
}

TEST_F(run, job_cond_ends_the_job) {
    auto l = submit("//J JOB COND=(4,LE)\n//A EXEC PGM=BPXBATCH,PARM='SH exit 4'\n//B EXEC PGM=IEFBR14\n");
    ASSERT_EQ(l.steps.size(), 2u);
    EXPECT_EQ(l.steps[1].result, step_record::outcome::bypassed);
}

TEST_F(run, iebgener_copies_instream_to_sysout_and_to_a_member) {
    fs::create_directories(root / "USER.PDS");
    auto l = submit("//J JOB\n//G EXEC PGM=IEBGENER\n//SYSPRINT DD SYSOUT=*\n//SYSIN DD DUMMY\n"
                    "//SYSUT1 DD *\nLINE ONE\nLINE TWO\n/*\n//SYSUT2 DD DSN=USER.PDS(NEWMEM),DISP=SHR\n"
                    "//H EXEC PGM=IEBGENER\n//SYSPRINT DD SYSOUT=*\n//SYSIN DD DUMMY\n"
                    "//SYSUT1 DD DSN=USER.PDS(NEWMEM),DISP=SHR\n//SYSUT2 DD SYSOUT=*\n");
    EXPECT_EQ(l.exit_code(), 0) << dump(l);
    EXPECT_EQ(get("USER.PDS/NEWMEM"), "LINE ONE\nLINE TWO\n");
    const auto* out = sysout(l, "H", "SYSUT2");
    ASSERT_NE(out, nullptr);
    EXPECT_EQ(out->lines, (std::vector<std::string>{"LINE ONE", "LINE TWO"}));
    EXPECT_TRUE(has(sysout(l, "G", "SYSPRINT")->lines, "PROCESSING ENDED AT EOD"));
}

TEST_F(run, iebgener_without_sysut1_ends_12) {
    auto l = submit("//J JOB\n//G EXEC PGM=IEBGENER\n//SYSPRINT DD SYSOUT=*\n//SYSUT2 DD SYSOUT=*\n");
    EXPECT_EQ(l.exit_code(), 12);
    EXPECT_TRUE(has(l.jesysmsg, "IEC130I SYSUT1 DD STATEMENT MISSING"));
}

TEST_F(run, temporary_data_sets_pass_between_steps) {
    auto l = submit("//J JOB\n//A EXEC PGM=IEBGENER\n//SYSPRINT DD DUMMY\n//SYSIN DD DUMMY\n//SYSUT1 DD *\nTEMP DATA\n"
                    "//SYSUT2 DD DSN=&&T,DISP=(NEW,PASS)\n"
                    "//B EXEC PGM=IEBGENER\n//SYSPRINT DD DUMMY\n//SYSIN DD DUMMY\n//SYSUT1 DD DSN=&&T,DISP=(OLD,DELETE)\n"
                    "//SYSUT2 DD SYSOUT=*\n");
    EXPECT_EQ(l.exit_code(), 0) << dump(l);
    EXPECT_EQ(sysout(l, "B", "SYSUT2")->lines, (std::vector<std::string>{"TEMP DATA"}));
    EXPECT_TRUE(has(l.jesysmsg, ".J.T.H01"));
    EXPECT_TRUE(has(l.jesysmsg, "PASSED"));
}

TEST_F(run, idcams_repro_print_delete_set_maxcc_if_lastcc) {
    put("USER.IN", "REC1\nREC2\nREC3\n");
    auto l = submit("//J JOB\n//I EXEC PGM=IDCAMS\n//SYSPRINT DD SYSOUT=*\n//IN DD DSN=USER.IN,DISP=SHR\n"
                    "//OUT DD DSN=USER.OUT,DISP=(NEW,CATLG)\n//SYSIN DD *\n"
                    "  REPRO INFILE(IN) OUTFILE(OUT) SKIP(1)\n"
                    "  PRINT INDATASET(USER.IN) CHARACTER COUNT(1)\n"
                    "  DELETE USER.NOSUCH NONVSAM\n"
                    "  IF LASTCC = 8 -\n      THEN SET MAXCC = 0\n"
                    "  DELETE (USER.IN) PURGE\n/*\n");
    EXPECT_EQ(l.exit_code(), 0) << dump(l);
    EXPECT_EQ(get("USER.OUT"), "REC2\nREC3\n");
    EXPECT_FALSE(fs::exists(root / "USER.IN"));
    const auto* p = sysout(l, "I", "SYSPRINT");
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(has(p->lines, "IDC0005I NUMBER OF RECORDS PROCESSED WAS 2"));
    EXPECT_TRUE(has(p->lines, "LISTING OF DATA SET -USER.IN"));
    EXPECT_TRUE(has(p->lines, "IDC3012I ENTRY USER.NOSUCH NOT FOUND"));
    EXPECT_TRUE(has(p->lines, "IDC0550I ENTRY (A) USER.IN DELETED"));
    EXPECT_TRUE(has(p->lines, "IDC0002I IDCAMS PROCESSING COMPLETE. MAXIMUM CONDITION CODE WAS 0"));
}

TEST_F(run, idcams_names_a_member_in_nested_parentheses) {
    put("USER.PDS/MEM", "M1\nM2\n");
    auto l = submit("//J JOB\n//I EXEC PGM=IDCAMS\n//SYSPRINT DD SYSOUT=*\n//SYSIN DD *\n"
                    "  PRINT INDATASET('USER.PDS(MEM)') CHARACTER\n  PRINT INDATASET(USER.PDS(MEM)) CHAR SKIP(1)\n/*\n");
    EXPECT_EQ(l.exit_code(), 0) << dump(l);
    const auto& p = sysout(l, "I", "SYSPRINT")->lines;
    EXPECT_TRUE(has(p, "LISTING OF DATA SET -USER.PDS(MEM)"));
    EXPECT_TRUE(has(p, "RECORD SEQUENCE NUMBER - 2"));
    EXPECT_TRUE(has(p, "IDC0005I NUMBER OF RECORDS PROCESSED WAS 1"));
}

TEST_F(run, idcams_delete_not_found_ends_8_and_a_bad_command_12) {
    auto l = submit("//J JOB\n//I EXEC PGM=IDCAMS\n//SYSPRINT DD SYSOUT=*\n//SYSIN DD *\n  DELETE USER.NOSUCH\n/*\n"
                    "//K EXEC PGM=IDCAMS\n//SYSPRINT DD SYSOUT=*\n//SYSIN DD *\n  DELET_ME NOW\n  IF MAXCC > 8 THEN DO\n"
                    "    SET MAXCC = 4\n  END\n/*\n");
    ASSERT_EQ(l.steps.size(), 2u);
    EXPECT_EQ(l.steps[0].rc, 8);
    EXPECT_EQ(l.steps[1].rc, 4) << dump(l);
    EXPECT_TRUE(has(sysout(l, "K", "SYSPRINT")->lines, "IDC3211I KEYWORD 'DELET_ME' IS IMPROPER"));
}

TEST_F(run, bpxbatch_runs_a_shell_command_with_stdout_and_rc) {
    auto l = submit("//J JOB\n//S EXEC PGM=BPXBATCH,PARM='SH echo hello; echo oops >&2; exit 3'\n"
                    "//STDOUT DD SYSOUT=*\n//STDERR DD SYSOUT=*\n"
                    "//T EXEC PGM=BPXBATCH,PARM='SH cat'\n//STDIN DD *\nFROM STDIN\n/*\n//STDOUT DD SYSOUT=*\n");
    EXPECT_EQ(l.exit_code(), 3) << dump(l);
    EXPECT_EQ(sysout(l, "S", "STDOUT")->lines, (std::vector<std::string>{"hello"}));
    EXPECT_EQ(sysout(l, "S", "STDERR")->lines, (std::vector<std::string>{"oops"}));
    EXPECT_EQ(sysout(l, "T", "STDOUT")->lines, (std::vector<std::string>{"FROM STDIN"}));
    EXPECT_TRUE(has(l.jesysmsg, "IEF142I J S - STEP WAS EXECUTED - COND CODE 0003"));
}

TEST_F(run, catalogued_procedure_from_the_system_proclib_runs) {
    put("SYS1.PROCLIB/HELLO", "//HELLO PROC WHO=WORLD\n//SAY EXEC PGM=BPXBATCH,PARM='SH echo hello &WHO'\n"
                              "//STDOUT DD SYSOUT=*\n");
    auto l = submit("//J JOB\n//GREET EXEC HELLO,WHO=SYSPLEX\n");
    EXPECT_EQ(l.exit_code(), 0) << dump(l);
    EXPECT_EQ(sysout(l, "SAY", "STDOUT")->lines, (std::vector<std::string>{"hello SYSPLEX"}));
    EXPECT_TRUE(has(l.jesysmsg, "IEF142I J GREET SAY - STEP WAS EXECUTED - COND CODE 0000"));
}

TEST_F(run, junit_has_a_testsuite_per_job_and_a_testcase_per_step) {
    auto l = submit("//J JOB\n//OK EXEC PGM=IEFBR14\n//BAD EXEC PGM=BPXBATCH,PARM='SH echo why; exit 8'\n"
                    "//STDOUT DD SYSOUT=*\n//SKIP EXEC PGM=IEFBR14,COND=(0,LE)\n");
    auto x = junit_xml({l});
    EXPECT_NE(x.find("<testsuite name=\"J\" id=\"JOB00042\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\">"),
              std::string::npos) << x;
    EXPECT_NE(x.find("<testcase name=\"OK\" classname=\"J\">"), std::string::npos);
    EXPECT_NE(x.find("<failure message=\"COND CODE 0008\" type=\"CONDCODE\">COND CODE 0008\nwhy\n</failure>"),
              std::string::npos) << x;
    EXPECT_NE(x.find("<skipped message=\"IEF202I J SKIP - STEP WAS NOT RUN BECAUSE OF CONDITION CODES\"/>"),
              std::string::npos) << x;
}

}  // namespace
}  // namespace zplex::jes::test
