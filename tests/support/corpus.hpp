// SPDX-License-Identifier: Apache-2.0
// Corpus tests (tests/profiles, tests/jcl): a folder of members, each with an expectation
// file under expected/ that lists the messages processing must give. The line forms all
// corpora share are read here; each corpus adds its own keywords (RC, JCL OK, ...).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace zplex::test {

/// The message lines of an expectation file.
struct message_expectations {
    std::vector<std::string> exact;     ///< `= text`: a message equal to text
    std::vector<std::string> contains;  ///< `~ text`: a message containing text
    std::vector<std::string> absent;    ///< `! text`: no message containing text
};

/// Reads @p file: blank lines and `#` comments are skipped, `= ` `~ ` `!` lines go to the
/// result, any other line to @p keyword, which says false for a line it does not know
/// (a test failure naming the file and line).
inline message_expectations read_expectations(const std::filesystem::path& file,
                                              const std::function<bool(const std::string&)>& keyword) {
    message_expectations e;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        if (line.rfind("= ", 0) == 0) {
            e.exact.push_back(line.substr(2));
        } else if (line.rfind("~ ", 0) == 0) {
            e.contains.push_back(line.substr(2));
        } else if (line.rfind("! ", 0) == 0) {
            e.absent.push_back(line.substr(2));
        } else if (!keyword(line)) {
            ADD_FAILURE() << file << ": cannot read line: " << line;
        }
    }
    return e;
}

/// The members of a corpus: the file names under @p expected, sorted.
inline std::vector<std::string> corpus_members(const std::filesystem::path& expected) {
    std::vector<std::string> out;
    for (const auto& f : std::filesystem::directory_iterator(expected)) out.push_back(f.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

/// A member's name as a test name: what is not a letter or digit becomes `_`.
inline std::string corpus_test_name(const ::testing::TestParamInfo<std::string>& info) {
    std::string n = info.param;
    std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
    return n;
}

/// Every expectation of @p e holds for @p messages (one failure per one that does not,
/// with all the messages shown).
inline void expect_messages(const std::vector<std::string>& messages, const message_expectations& e) {
    std::string all;
    for (const auto& m : messages) all += m + "\n";
    auto has = [&](const std::string& part) {
        return std::any_of(messages.begin(), messages.end(), [&](const std::string& m) { return m.find(part) != std::string::npos; });
    };
    for (const auto& want : e.exact)
        EXPECT_NE(std::find(messages.begin(), messages.end(), want), messages.end())
            << "missing message: " << want << "\n--- got:\n" << all;
    for (const auto& want : e.contains) EXPECT_TRUE(has(want)) << "no message contains: " << want << "\n--- got:\n" << all;
    for (const auto& not_want : e.absent) EXPECT_FALSE(has(not_want)) << "unexpected: " << not_want << "\n--- got:\n" << all;
}

/// The whole of a file, as bytes.
inline std::string file_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace zplex::test
