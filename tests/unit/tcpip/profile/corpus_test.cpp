// SPDX-License-Identifier: Apache-2.0
// The profile corpus under tests/profiles: realistic members, valid and broken, each
// with its expected return code and messages (tests/profiles/README.md says how).
#include <zplex/sysplex/dataset.hpp>
#include <zplex/tcpip/profile/parser.hpp>

#include "corpus.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

namespace zplex::tcpip::profile::test {
namespace {

namespace fs = std::filesystem;

const fs::path corpus_root = fs::path(ZPLEX_SOURCE_DIR) / "tests" / "profiles";

struct expectation {
    int rc = -1;
    std::map<std::string, std::string> symbols;
    std::vector<std::string> obeyfiles;
    zplex::test::message_expectations messages;
};

expectation read_expectation(const fs::path& file) {
    expectation e;
    e.messages = zplex::test::read_expectations(file, [&](const std::string& line) {
        if (line.rfind("RC ", 0) == 0) {
            e.rc = std::stoi(line.substr(3));
        } else if (line.rfind("SYMBOL ", 0) == 0) {
            auto eq = line.find('=');
            e.symbols[line.substr(7, eq - 7)] = line.substr(eq + 1);
        } else if (line.rfind("OBEY ", 0) == 0) {
            e.obeyfiles.push_back(line.substr(5));
        } else {
            return false;
        }
        return true;
    });
    return e;
}

std::vector<std::string> corpus_members() { return zplex::test::corpus_members(corpus_root / "expected"); }

class corpus : public ::testing::TestWithParam<std::string> {};

TEST_P(corpus, member_gives_expected_messages) {
    const std::string member = GetParam();
    auto e = read_expectation(corpus_root / "expected" / member);
    ASSERT_GE(e.rc, 0) << "expected/" << member << " has no RC line";
    sysplex::dataset_catalogue cat(corpus_root);
    parse_options o;
    o.reader = catalogue_reader(cat);
    o.symbols = e.symbols;
    message_log log;
    auto p = process_initial_profile("USER.TCPPARMS(" + member + ")", o, log);
    for (const auto& ob : e.obeyfiles) {
        apply_obeyfile(p, ob, o, log);
    }
    std::vector<std::string> messages;
    for (const auto& m : log.messages()) messages.push_back(m.str());
    EXPECT_EQ(log.return_code(), e.rc) << ::testing::PrintToString(messages);
    zplex::test::expect_messages(messages, e.messages);
}

INSTANTIATE_TEST_SUITE_P(profiles, corpus, ::testing::ValuesIn(corpus_members()), zplex::test::corpus_test_name);
TEST(corpus_size, has_at_least_thirty_members) {
    EXPECT_GE(corpus_members().size(), 30u);
}

}  // namespace
}  // namespace zplex::tcpip::profile::test
