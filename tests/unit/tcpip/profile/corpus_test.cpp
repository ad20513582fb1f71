// SPDX-License-Identifier: Apache-2.0
// The profile corpus under tests/profiles: realistic members, valid and broken, each
// with its expected return code and messages (tests/profiles/README.md says how).
#include <zplex/sysplex/dataset.hpp>
#include <zplex/tcpip/profile/parser.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace zplex::tcpip::profile::test {
namespace {

namespace fs = std::filesystem;

const fs::path corpus_root = fs::path(ZPLEX_SOURCE_DIR) / "tests" / "profiles";

struct expectation {
    int rc = -1;
    std::map<std::string, std::string> symbols;
    std::vector<std::string> obeyfiles;
    std::vector<std::string> exact;     // '= ' lines: a message equal to this
    std::vector<std::string> contains;  // '~ ' lines: a message containing this
    std::vector<std::string> absent;    // '! ' lines: no message containing this
};

expectation read_expectation(const fs::path& file) {
    expectation e;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        if (line.rfind("RC ", 0) == 0) {
            e.rc = std::stoi(line.substr(3));
        } else if (line.rfind("SYMBOL ", 0) == 0) {
            auto eq = line.find('=');
            e.symbols[line.substr(7, eq - 7)] = line.substr(eq + 1);
        } else if (line.rfind("OBEY ", 0) == 0) {
            e.obeyfiles.push_back(line.substr(5));
        } else if (line.rfind("= ", 0) == 0) {
            e.exact.push_back(line.substr(2));
        } else if (line.rfind("~ ", 0) == 0) {
            e.contains.push_back(line.substr(2));
        } else if (line.rfind("! ", 0) == 0) {
            e.absent.push_back(line.substr(2));
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
    std::string all;
    for (const auto& m : log.messages()) {
        all += m.str() + "\n";
    }
    EXPECT_EQ(log.return_code(), e.rc) << all;
    for (const auto& want : e.exact) {
        bool found = std::any_of(log.messages().begin(), log.messages().end(),
                                 [&](const message& m) { return m.str() == want; });
        EXPECT_TRUE(found) << "missing message: " << want << "\n--- got:\n" << all;
    }
    for (const auto& want : e.contains) {
        EXPECT_NE(all.find(want), std::string::npos) << "no message contains: " << want << "\n--- got:\n" << all;
    }
    for (const auto& not_want : e.absent) {
        EXPECT_EQ(all.find(not_want), std::string::npos) << "unexpected: " << not_want << "\n--- got:\n" << all;
    }
}

INSTANTIATE_TEST_SUITE_P(profiles, corpus, ::testing::ValuesIn(corpus_members()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                             std::string n = param_info.param;
                             for (auto& ch : n) {
                                 if (!std::isalnum(static_cast<unsigned char>(ch))) {
                                     ch = '_';
                                 }
                             }
                             return n;
                         });

TEST(corpus_size, has_at_least_thirty_members) {
    EXPECT_GE(corpus_members().size(), 30u);
}

}  // namespace
}  // namespace zplex::tcpip::profile::test
