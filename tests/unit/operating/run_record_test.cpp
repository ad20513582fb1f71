// SPDX-License-Identifier: Apache-2.0
// The run record: text both ways, refusals, files, namespace names.
#include <zplex/operating/run.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace zplex::operating {
namespace {

namespace fs = std::filesystem;

run_record sample() {
    run_record r;
    r.sysplex = "ZPLEX1";
    r.sysplex_dir = "/x/FIG4";
    r.hercules = true;
    r.state = "up";
    r.up = {100, 5};
    r.namespaces = {{"LAN", "zpx-1-lan"}, {"MVS1", "zpx-1-mvs1"}};
    r.processes = {{"cf", "CF01", "", {101, 6}, "logs/CF01.log"}, {"tcpip", "TCPIPA", "MVS1", {102, 7}, "logs/MVS1.TCPIPA.log"}};
    return r;
}

TEST(run_record, formats_and_parses_back) {
    auto text = format_run(sample());
    EXPECT_NE(text.find("process tcpip TCPIPA MVS1 102 7 logs/MVS1.TCPIPA.log\n"), std::string::npos) << text;
    EXPECT_NE(text.find("process cf CF01 - 101 6 logs/CF01.log\n"), std::string::npos) << text;
    run_record back;
    std::string err;
    ASSERT_TRUE(parse_run(text, back, err)) << err;
    EXPECT_EQ(format_run(back), text);
    EXPECT_EQ(back.find("tcpip", "MVS1")->id.pid, 102);
    EXPECT_EQ(back.find("cf", "", "CF01")->log, "logs/CF01.log");
    EXPECT_EQ(back.netns_of("MVS1")->name, "zpx-1-mvs1");
    EXPECT_EQ(back.netns_of("MVS2"), nullptr);
}

TEST(run_record, refuses_what_it_does_not_understand_naming_the_line) {
    run_record r;
    std::string err;
    EXPECT_FALSE(parse_run("hello\n", r, err));
    EXPECT_EQ(err, "ZPX1810E RUN RECORD LINE 1: NOT A zplex RUN RECORD");
    EXPECT_FALSE(parse_run("zplex-run 1\nsysplex A /b\nprocess cf CF01 - x 1 -\n", r, err));
    EXPECT_EQ(err, "ZPX1810E RUN RECORD LINE 3: process NEEDS KIND, NAME, SYSTEM, PID, START TIME AND LOG");
    EXPECT_FALSE(parse_run("zplex-run 1\nsysplex A /b extra\n", r, err));
    EXPECT_EQ(err, "ZPX1810E RUN RECORD LINE 2: UNEXPECTED 'extra' AT THE END");
    EXPECT_FALSE(parse_run("zplex-run 1\nfoo\n", r, err));
    EXPECT_EQ(err, "ZPX1810E RUN RECORD LINE 2: UNKNOWN ITEM 'foo'");
    EXPECT_FALSE(parse_run("zplex-run 1\nmode x\n", r, err));
    EXPECT_FALSE(parse_run("zplex-run 1\n", r, err));
    EXPECT_EQ(err, "ZPX1810E RUN RECORD LINE 1: NO sysplex LINE");
    run_record bad = sample();
    bad.sysplex_dir = "/a b";
    EXPECT_THROW(format_run(bad), std::invalid_argument);
}

TEST(run_record, is_saved_0600_and_loaded) {
    fs::path d = fs::temp_directory_path() / ("zpx-run-" + std::to_string(::getpid()));
    fs::create_directories(d);
    run_record r;
    std::string err;
    EXPECT_FALSE(load_run(d, r, err));
    EXPECT_EQ(err, "ZPX1811I NO SYSPLEX RUNS FROM " + d.string());
    save_run(d, sample());
    struct stat st {};
    ASSERT_EQ(::stat((d / "run.rec").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_TRUE(load_run(d, r, err)) << err;
    EXPECT_EQ(r.sysplex, "ZPLEX1");
    EXPECT_TRUE(r.hercules);
    // A link in place of the record is not followed.
    fs::remove(d / "run.rec");
    fs::create_symlink("/etc/passwd", d / "run.rec");
    EXPECT_FALSE(load_run(d, r, err));
    fs::remove_all(d);
}

TEST(run_record, the_live_processes_are_those_with_their_start_time) {
    run_record r = sample();
    r.processes = {{"tcpip", "TCPIPA", "MVS1", sysplex::self_identity(), "-"},
                   {"tcpip", "TCPIPA", "MVS2", {::getpid(), sysplex::self_identity().start_time + 1}, "-"}};
    auto alive = r.alive();
    ASSERT_EQ(alive.size(), 1u);
    EXPECT_EQ(alive[0]->system, "MVS1");
}

TEST(run_record, namespace_names_differ_by_run_directory) {
    auto a = netns_name("/run/zplex/A", "MVS1"), b = netns_name("/run/zplex/B", "MVS1");
    EXPECT_NE(a, b);
    EXPECT_EQ(a.rfind("zpx-", 0), 0u);
    EXPECT_EQ(a.substr(a.size() - 5), "-mvs1");
    EXPECT_EQ(a.size(), 4 + 8 + 5u);
    EXPECT_EQ(netns_name("/run/zplex/A", "CLIENT1"), a.substr(0, 13) + "client1");
}

}  // namespace
}  // namespace zplex::operating
