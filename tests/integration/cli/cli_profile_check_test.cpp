// SPDX-License-Identifier: Apache-2.0
// `zplex profile check` as a user runs it: over the FIG4 catalogue, on a broken copy,
// and with command-line mistakes.
#include "run_command.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <fmt/format.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

using zplex::test::shell_quote;
using zplex::test::run_result;

run_result zplex(const std::string& args) { return zplex::test::run_command(shell_quote(ZPLEX_BIN) + " " + args); }

const fs::path fig4 = fs::path(ZPLEX_SOURCE_DIR) / "profiles" / "FIG4";

/// A private copy of FIG4, removed even when the test fails.
struct fig4_copy {
    fs::path dir;
    fig4_copy() {
        dir = fs::temp_directory_path() / ("zplex-fig4-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::copy(fig4, dir, fs::copy_options::recursive);
    }
    ~fig4_copy() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    fig4_copy(const fig4_copy&) = delete;
    fig4_copy& operator=(const fig4_copy&) = delete;
};

std::vector<std::string> read_lines(const fs::path& f) {
    std::ifstream in(f);
    std::vector<std::string> v;
    std::string l;
    while (std::getline(in, l)) {
        v.push_back(l);
    }
    return v;
}

void write_lines(const fs::path& f, const std::vector<std::string>& v) {
    std::ofstream out(f, std::ios::trunc);
    for (const auto& l : v) {
        out << l << "\n";
    }
}

TEST(cli, every_fig4_profile_is_clean) {
    auto r = zplex("profile check --sysplex " + shell_quote(fig4.string()) + " --all");
    EXPECT_EQ(r.rc, 0) << r.out;
    for (int i = 1; i <= 5; ++i) {
        std::string sys = "MVS" + std::to_string(i);
        EXPECT_NE(r.out.find("EZZ0300I OPENED PROFILE FILE 'SYS1.TCPPARMS(PROF" + sys + ")'"), std::string::npos)
            << r.out;
        EXPECT_NE(r.out.find("CONFIGURATION SUMMARY FOR " + sys + "/TCPIPA"), std::string::npos) << r.out;
    }
    EXPECT_NE(r.out.find("198.18.2.1"), std::string::npos);
    EXPECT_NE(r.out.find("DVIPSEC YES"), std::string::npos);
}

TEST(cli, a_profile_file_finds_its_sysplex_and_image) {
    auto r = zplex("profile check " + shell_quote((fig4 / "SYS1.TCPPARMS" / "PROFMVS5").string()));
    EXPECT_EQ(r.rc, 0) << r.out;
    EXPECT_NE(r.out.find("FOR MVS5 (TCPIPA) IN SYSPLEX"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("198.18.2.2"), std::string::npos) << r.out;
}

TEST(cli, a_dataset_name_resolves_through_the_catalogue) {
    auto r = zplex("profile check --sysplex " + shell_quote(fig4.string()) + " 'SYS1.TCPPARMS(PROFMVS1)' --no-summary");
    EXPECT_EQ(r.rc, 0) << r.out;
    EXPECT_EQ(r.out.find("CONFIGURATION SUMMARY"), std::string::npos);
    EXPECT_NE(r.out.find("RC=0"), std::string::npos);
}

TEST(cli, a_broken_copy_names_the_exact_line_and_token) {
    fig4_copy copy;
    auto member = copy.dir / "SYS1.TCPPARMS" / "PROFMVS1";
    auto lines = read_lines(member);
    ASSERT_GT(lines.size(), 10u);
    // Break the first VIPADEFINE: a bad octet in its address.
    std::size_t at = 0;
    for (; at < lines.size(); ++at) {
        if (lines[at].find("VIPADEFINE") != std::string::npos && lines[at].find("198.18.2.1") != std::string::npos) {
            break;
        }
    }
    ASSERT_LT(at, lines.size()) << "FIG4 PROFMVS1 defines DVA1 198.18.2.1 on one line";
    auto col = lines[at].find("198.18.2.1");
    lines[at].replace(col, 10, "198.18.2.277");
    write_lines(member, lines);
    auto r = zplex("profile check " + shell_quote(member.string()));
    EXPECT_EQ(r.rc, 8) << r.out;
    std::string want = "EZZ0319I INCORRECT VALUE '198.18.2.277' FOR A DYNAMIC VIPA ADDRESS ON LINE " +
                       std::to_string(at + 1) + " COLUMN " + std::to_string(col + 1) +
                       " OF 'SYS1.TCPPARMS(PROFMVS1)'";
    EXPECT_NE(r.out.find(want), std::string::npos) << "want: " << want << "\n" << r.out;
    EXPECT_NE(r.out.find("EZZ0328I"), std::string::npos) << r.out;
}

TEST(cli, sequence_numbers_in_a_copy_are_reported) {
    fig4_copy copy;
    auto member = copy.dir / "SYS1.TCPPARMS" / "PROFMVS3";
    auto lines = read_lines(member);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        auto l = lines[i];
        l.resize(72, ' ');
        lines[i] = l + fmt::format("{:08}", (i + 1) * 100);
    }
    write_lines(member, lines);
    auto r = zplex("profile check --sysplex " + shell_quote(copy.dir.string()) + " --system MVS3");
    EXPECT_EQ(r.rc, 8) << r.out;
    EXPECT_NE(r.out.find("EZZ0401I SYNTAX ERROR IN FILE: 'SYS1.TCPPARMS(PROFMVS3)' ON LINE: "), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("SEQUENCE NUMBER IN COLUMNS 73-80"), std::string::npos);
}

TEST(cli, obeyfile_after_the_initial_profile) {
    auto r = zplex("profile check --sysplex " + shell_quote(fig4.string()) +
                   " --system MVS1 --obey 'SYS1.TCPPARMS(OBEYDIST)'");
    EXPECT_LE(r.rc, 4) << r.out;
    EXPECT_NE(r.out.find("EZZ0300I OPENED OBEYFILE FILE 'SYS1.TCPPARMS(OBEYDIST)'"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("HOTSTANDBY"), std::string::npos) << r.out;
}

TEST(cli, missing_profile_is_rc_8) {
    auto r = zplex("profile check --sysplex " + shell_quote(fig4.string()) + " 'SYS1.TCPPARMS(NOSUCH)'");
    EXPECT_EQ(r.rc, 8) << r.out;
    EXPECT_NE(r.out.find("EZZ0325I UNABLE TO OPEN PROFILE FILE 'SYS1.TCPPARMS(NOSUCH)': MEMBER NOT FOUND"),
              std::string::npos)
        << r.out;
}

TEST(cli, unknown_system_is_a_command_line_mistake) {
    auto r = zplex("profile check --sysplex " + shell_quote(fig4.string()) + " --system MVS9");
    EXPECT_EQ(r.rc, 2) << r.out;
    EXPECT_NE(r.out.find("ZPX0013I SYSTEM MVS9 IS NOT AN IMAGE"), std::string::npos) << r.out;
}

TEST(cli, profile_check_mistakes_exit_2) {
    EXPECT_EQ(zplex("profile check --all").rc, 2);
    auto none = zplex("profile check --sysplex " + shell_quote(fig4.string()));
    EXPECT_EQ(none.rc, 2) << none.out;
    EXPECT_NE(none.out.find("ZPX0014I"), std::string::npos) << none.out;
}

TEST(cli, a_directory_is_not_reported_as_missing) {
    auto r = zplex("profile check " + shell_quote((fig4 / "SYS1.TCPPARMS").string() + "/"));
    EXPECT_EQ(r.rc, 8) << r.out;
    EXPECT_NE(r.out.find("IT IS A DIRECTORY, NOT A FILE"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("FILE NOT FOUND"), std::string::npos) << r.out;
}

TEST(cli, system_with_a_named_file_needs_no_other_profile) {
    fig4_copy copy;
    fs::remove(copy.dir / "SYS1.TCPPARMS" / "PROFMVS5");
    auto r = zplex("profile check --sysplex " + shell_quote(copy.dir.string()) + " --system MVS1 " +
                   shell_quote((copy.dir / "SYS1.TCPPARMS" / "PROFMVS1").string()));
    EXPECT_EQ(r.rc, 0) << r.out;
    auto own = zplex("profile check --sysplex " + shell_quote(copy.dir.string()) + " --system MVS5");
    EXPECT_EQ(own.rc, 8) << own.out;
    EXPECT_NE(own.out.find("EZZ0325I UNABLE TO OPEN PROFILE FILE 'SYS1.TCPPARMS(PROFMVS5)'"), std::string::npos)
        << own.out;
}

TEST(cli, usage_errors_exit_2_with_a_message) {
    auto a = zplex("frobnicate");
    EXPECT_EQ(a.rc, 2) << a.out;
    EXPECT_NE(a.out.find("frobnicate"), std::string::npos) << a.out;
    EXPECT_EQ(zplex("").rc, 2);
    EXPECT_EQ(zplex("profile").rc, 2);
    EXPECT_EQ(zplex("profile check --bogus-flag X").rc, 2);
    EXPECT_EQ(zplex("profile check --sysplex /nonexistent/dir X").rc, 2);
}

TEST(cli, policy_check_prints_messages_and_the_installed_rules) {
    auto policies = fs::path(ZPLEX_SOURCE_DIR) / "tests" / "policy";
    auto good = zplex("policy check " + shell_quote((policies / "swsa.pol").string()));
    EXPECT_EQ(good.rc, 0) << good.out;
    EXPECT_NE(good.out.find("3 FILTER RULES AND 1 KEY EXCHANGE RULE INSTALLED"), std::string::npos) << good.out;
    EXPECT_NE(good.out.find("SWSA_to_partner"), std::string::npos) << good.out;
    EXPECT_EQ(good.out.find("zplex swsa secret"), std::string::npos) << "the shared key is never printed";
    auto bad = zplex("policy check --no-summary " + shell_quote((policies / "errors.pol").string()));
    EXPECT_EQ(bad.rc, 8) << bad.out;
    EXPECT_NE(bad.out.find("ZPX0804E IPFILTERRULE no_action AT LINE 16 COLUMN 3"), std::string::npos) << bad.out;
    EXPECT_EQ(bad.out.find("FilterRule"), std::string::npos) << "--no-summary";
    EXPECT_EQ(zplex("policy check").rc, 2) << "the file is required";
    auto none = zplex("policy check /nonexistent/file.pol");
    EXPECT_EQ(none.rc, 8);
    EXPECT_NE(none.out.find("ZPX0800E"), std::string::npos) << none.out;
}

TEST(cli, policy_check_refuses_a_redefined_builtin_action_and_files_that_are_no_policy) {
    auto dir = fs::temp_directory_path() / ("zplex-cli-pol-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto pol = dir / "deny-permit.pol";
    std::ofstream(pol) << "# a deny that permits\nIpGenericFilterAction deny { IpFilterAction permit }\n"
                          "IpFilterPolicy { IpFilterRule r1 { IpSourceAddr All IpDestAddr All "
                          "IpGenericFilterActionRef deny } }\n";
    auto r = zplex("policy check " + shell_quote(pol.string()));
    EXPECT_EQ(r.rc, 8) << r.out;
    EXPECT_NE(r.out.find("ZPX0804E IPGENERICFILTERACTION deny AT LINE 2 COLUMN 1"), std::string::npos) << r.out;
    auto row = r.out.substr(r.out.find("\nr1 ") + 1);
    row = row.substr(0, row.find('\n'));
    EXPECT_EQ(row.substr(row.size() - 4), "deny") << row;  // and deny means deny
    auto zero = zplex("policy check /dev/zero");  // before: read until memory ran out
    EXPECT_EQ(zero.rc, 8) << zero.out;
    EXPECT_NE(zero.out.find("ZPX0800E POLICY FILE /dev/zero COULD NOT BE READ: IT IS NOT A REGULAR FILE"),
              std::string::npos)
        << zero.out;
    auto d = zplex("policy check " + shell_quote(dir.string()));  // before: an empty policy, exit 0
    EXPECT_EQ(d.rc, 8) << d.out;
    EXPECT_NE(d.out.find("IT IS A DIRECTORY"), std::string::npos) << d.out;
    fs::remove_all(dir);
}

TEST(cli, image_commands_are_zplex_image) {
    auto r = zplex("image status NOSUCH --run-dir /nonexistent/zplex-images");
    EXPECT_EQ(r.rc, 4) << r.out;
    EXPECT_NE(r.out.find("ZPX0737I IMAGE NOSUCH IS NOT ACTIVE"), std::string::npos) << r.out;
    auto h = zplex("image --help");
    EXPECT_EQ(h.rc, 0) << h.out;
    EXPECT_NE(h.out.find("zplex image"), std::string::npos) << h.out;
    EXPECT_EQ(zplex("image").rc, 2) << "a subcommand is required";
    EXPECT_EQ(zplex("image start").rc, 2) << "the name is required";
}

TEST(cli, help_exits_0) {
    auto r = zplex("--help");
    EXPECT_EQ(r.rc, 0);
    EXPECT_NE(r.out.find("profile"), std::string::npos) << r.out;
    EXPECT_EQ(zplex("profile check --help").rc, 0);
}

}  // namespace
