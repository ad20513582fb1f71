// SPDX-License-Identifier: Apache-2.0
// The JCL corpus under tests/jcl: realistic jobs, good and broken, each with what
// conversion must say (tests/jcl/README.md says how).
#include <zplex/jes/jcl.hpp>
#include <zplex/sysplex/dataset.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace zplex::jes::test {
namespace {

namespace fs = std::filesystem;

const fs::path corpus_root = fs::path(ZPLEX_SOURCE_DIR) / "tests" / "jcl";

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct expectation {
    int jcl_error = -1;  // 0: converts cleanly, 1: a JCL error
    int steps = -1;
    std::vector<std::string> exact, contains, absent, listed;
};

expectation read_expectation(const fs::path& file) {
    expectation e;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        if (line == "JCL OK") {
            e.jcl_error = 0;
        } else if (line == "JCL ERROR") {
            e.jcl_error = 1;
        } else if (line.rfind("STEPS ", 0) == 0) {
            e.steps = std::stoi(line.substr(6));
        } else if (line.rfind("= ", 0) == 0) {
            e.exact.push_back(line.substr(2));
        } else if (line.rfind("~ ", 0) == 0) {
            e.contains.push_back(line.substr(2));
        } else if (line.rfind("! ", 0) == 0) {
            e.absent.push_back(line.substr(2));
        } else if (line.rfind("L ", 0) == 0) {
            e.listed.push_back(line.substr(2));
        } else {
            ADD_FAILURE() << file << ": cannot read line: " << line;
        }
    }
    return e;
}

std::vector<std::string> corpus_members() {
    std::vector<std::string> out;
    for (const auto& f : fs::directory_iterator(corpus_root / "expected")) {
        out.push_back(f.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

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
        return slurp(p);
    };
    o.proclib = {"SYS1.PROCLIB"};
    o.sysuid = "IBMUSER";
    auto text = slurp(corpus_root / "USER.JCL" / member);
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
    for (const auto& x : e.exact) {
        EXPECT_NE(std::find(msgs.begin(), msgs.end(), x), msgs.end()) << "no message '" << x << "' in " << dump;
    }
    for (const auto& x : e.contains) {
        EXPECT_TRUE(std::any_of(msgs.begin(), msgs.end(), [&](const std::string& m) { return m.find(x) != std::string::npos; }))
            << "no message containing '" << x << "' in " << dump;
    }
    for (const auto& x : e.absent) {
        EXPECT_FALSE(std::any_of(msgs.begin(), msgs.end(), [&](const std::string& m) { return m.find(x) != std::string::npos; }))
            << "a message contains '" << x << "': " << dump;
    }
    for (const auto& x : e.listed) {
        EXPECT_NE(std::find(j.jesjcl.begin(), j.jesjcl.end(), x), j.jesjcl.end())
            << "JESJCL has no line '" << x << "': " << ::testing::PrintToString(j.jesjcl);
    }
}

INSTANTIATE_TEST_SUITE_P(jcl, corpus, ::testing::ValuesIn(corpus_members()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                             std::string n = i.param;
                             std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
                             return n;
                         });

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
