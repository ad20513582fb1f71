// SPDX-License-Identifier: Apache-2.0
// The JCL corpus under tests/jcl: realistic jobs, good and broken, each with what
// conversion must say (tests/jcl/README.md says how).
#include <zplex/jes/jcl.hpp>
#include <zplex/sysplex/dataset.hpp>

#include "corpus.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

namespace zplex::jes::test {
namespace {

namespace fs = std::filesystem;

const fs::path corpus_root = fs::path(ZPLEX_SOURCE_DIR) / "tests" / "jcl";

struct expectation {
    int jcl_error = -1;  // 0: converts cleanly, 1: a JCL error
    int steps = -1;
    std::vector<std::string> listed;  // 'L ' lines: a line of JESJCL
    zplex::test::message_expectations messages;
};

expectation read_expectation(const fs::path& file) {
    expectation e;
    e.messages = zplex::test::read_expectations(file, [&](const std::string& line) {
        if (line == "JCL OK") {
            e.jcl_error = 0;
        } else if (line == "JCL ERROR") {
            e.jcl_error = 1;
        } else if (line.rfind("STEPS ", 0) == 0) {
            e.steps = std::stoi(line.substr(6));
        } else if (line.rfind("L ", 0) == 0) {
            e.listed.push_back(line.substr(2));
        } else {
            return false;
        }
        return true;
    });
    return e;
}

std::vector<std::string> corpus_members() { return zplex::test::corpus_members(corpus_root / "expected"); }

std::string trimmed(const jcl_message& m) {
    return std::to_string(m.stmt) + " " + m.id + " " + m.text;
}

class corpus : public ::testing::TestWithParam<std::string> {};

TEST_P(corpus, job_gives_expected_messages) {
    const std::string member = GetParam();
    auto e = read_expectation(corpus_root / "expected" / member);
    ASSERT_GE(e.jcl_error, 0) << "expected/" << member << " has no JCL OK / JCL ERROR line";
    sysplex::dataset_catalogue cat(corpus_root);
    convert_options o;
    o.read_member = [&cat](const std::string& lib, const std::string& mem) -> std::optional<std::string> {
        sysplex::dataset_name n{lib, mem};
        auto p = cat.path_of(n);
        if (!fs::is_regular_file(p)) {
            return std::nullopt;
        }
        return zplex::test::file_bytes(p);
    };
    o.proclib = {"SYS1.PROCLIB"};
    o.sysuid = "IBMUSER";
    auto text = zplex::test::file_bytes(corpus_root / "USER.JCL" / member);
    auto j = convert(text, "USER.JCL(" + member + ")", o);
    std::vector<std::string> msgs;
    for (const auto& m : j.messages) {
        msgs.push_back(trimmed(m));
    }
    auto dump = ::testing::PrintToString(msgs);
    EXPECT_EQ(j.jcl_error(), e.jcl_error == 1) << dump;
    if (e.steps >= 0) {
        EXPECT_EQ(static_cast<int>(j.step_count()), e.steps);
    }
    zplex::test::expect_messages(msgs, e.messages);
    for (const auto& x : e.listed) {
        EXPECT_NE(std::find(j.jesjcl.begin(), j.jesjcl.end(), x), j.jesjcl.end())
            << "JESJCL has no line '" << x << "': " << ::testing::PrintToString(j.jesjcl);
    }
}

INSTANTIATE_TEST_SUITE_P(jcl, corpus, ::testing::ValuesIn(corpus_members()), zplex::test::corpus_test_name);

TEST(corpus_size, at_least_twenty_jobs_good_and_broken) {
    int good = 0, broken = 0;
    for (const auto& m : corpus_members()) {
        (read_expectation(corpus_root / "expected" / m).jcl_error == 1 ? broken : good)++;
    }
    EXPECT_GE(good, 8);
    EXPECT_GE(broken, 12);
}

}  // namespace
}  // namespace zplex::jes::test
