// SPDX-License-Identifier: Apache-2.0
// Dataset names and their resolution to files below a catalogue folder.
#include <zplex/sysplex/dataset.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <unistd.h>

namespace zplex::sysplex {
namespace {

namespace fs = std::filesystem;

TEST(dataset_name, pds_members_sequential_and_quotes) {
    auto a = parse_dataset_name("sys1.tcpparms(profmvs1)");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->dsn, "SYS1.TCPPARMS");
    EXPECT_EQ(a->member, "PROFMVS1");
    EXPECT_EQ(a->str(), "SYS1.TCPPARMS(PROFMVS1)");
    auto b = parse_dataset_name("'USER.OBEY.DIST'");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->str(), "USER.OBEY.DIST");
    EXPECT_TRUE(b->member.empty());
    EXPECT_TRUE(parse_dataset_name("@#$.A-B.C1"));
}

TEST(dataset_name, invalid_names_say_why) {
    std::string why;
    EXPECT_FALSE(parse_dataset_name("SYS1..X", &why));
    EXPECT_EQ(why, "EMPTY QUALIFIER");
    EXPECT_FALSE(parse_dataset_name("SYS1.TOOLONGQUAL", &why));
    EXPECT_EQ(why, "QUALIFIER LONGER THAN 8 CHARACTERS");
    EXPECT_FALSE(parse_dataset_name("1SYS.X", &why));
    EXPECT_EQ(why, "NAME MUST START WITH A LETTER OR @ # $");
    EXPECT_FALSE(parse_dataset_name("SYS1.X(MEMBER", &why));
    EXPECT_EQ(why, "MEMBER NAME NOT CLOSED BY )");
    EXPECT_FALSE(parse_dataset_name("SYS1.X(TOOLONGMEM)", &why));
    EXPECT_EQ(why, "MEMBER NAME LONGER THAN 8 CHARACTERS");
    EXPECT_FALSE(parse_dataset_name("SYS1.X(A-B)", &why));
    EXPECT_EQ(why, "INVALID CHARACTER IN NAME");
    EXPECT_FALSE(parse_dataset_name("SYS1.X()", &why));
    EXPECT_EQ(why, "EMPTY MEMBER NAME");
    std::string long_name = "AAAAAAAA.BBBBBBBB.CCCCCCCC.DDDDDDDD.EEEEEEEE";  // 44
    EXPECT_TRUE(parse_dataset_name(long_name));
    EXPECT_FALSE(parse_dataset_name(long_name + "F", &why));
    EXPECT_FALSE(parse_dataset_name("A/B", &why));
}

TEST(dataset_name, paths_are_not_dataset_names) {
    EXPECT_TRUE(looks_like_dataset_name("SYS1.TCPPARMS(X)"));
    EXPECT_TRUE(looks_like_dataset_name("'X'"));
    EXPECT_FALSE(looks_like_dataset_name("profiles/FIG4/SYS1.TCPPARMS/PROFMVS1"));
    EXPECT_FALSE(looks_like_dataset_name("PROFILE"));  // a bare word is a file in the current folder
    EXPECT_FALSE(looks_like_dataset_name(""));
}

struct temp_catalogue {
    fs::path root = fs::temp_directory_path() / ("zplex-cat-" + std::to_string(::getpid()));
    temp_catalogue() {
        fs::remove_all(root);
        fs::create_directories(root / "SYS1.TCPPARMS");
        std::ofstream(root / "SYS1.TCPPARMS" / "PROF1") << "IPCONFIG SYSPLEXROUTING\n";
        std::ofstream(root / "USER.OBEY") << "; obey\n";
    }
    ~temp_catalogue() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
    temp_catalogue(const temp_catalogue&) = delete;
    temp_catalogue& operator=(const temp_catalogue&) = delete;
};

TEST(dataset_catalogue, resolves_members_sequential_and_paths) {
    temp_catalogue t;
    dataset_catalogue cat(t.root);
    std::string why;
    auto m = cat.resolve("'sys1.tcpparms(prof1)'", &why);
    ASSERT_TRUE(m) << why;
    EXPECT_EQ(*m, t.root / "SYS1.TCPPARMS" / "PROF1");
    EXPECT_TRUE(cat.resolve("USER.OBEY", &why));
    EXPECT_TRUE(cat.resolve((t.root / "USER.OBEY").string(), &why));
    EXPECT_FALSE(cat.resolve("SYS1.TCPPARMS(NOPE)", &why));
    EXPECT_EQ(why, "MEMBER NOT FOUND");
    EXPECT_FALSE(cat.resolve("SYS2.TCPPARMS(PROF1)", &why));
    EXPECT_EQ(why, "DATA SET NOT FOUND IN CATALOG");
    EXPECT_FALSE(cat.resolve("SYS1.TCPPARMS", &why));
    EXPECT_EQ(why, "DATA SET IS PARTITIONED: A MEMBER NAME IS REQUIRED");
    EXPECT_FALSE(cat.resolve("/no/such/file", &why));
    EXPECT_EQ(why, "FILE NOT FOUND");
}

}  // namespace
}  // namespace zplex::sysplex
