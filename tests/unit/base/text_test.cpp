// SPDX-License-Identifier: Apache-2.0
#include <zplex/sysplex/text.hpp>

#include <gtest/gtest.h>

#include <array>

namespace zplex::sysplex {
namespace {

TEST(text, upper_folds_latin_letters_only) {
    EXPECT_EQ(upper("Tcpip@#$-1.x"), "TCPIP@#$-1.X");
    EXPECT_EQ(upper(std::string_view("\xe4z", 2)), std::string("\xe4Z", 2));
    EXPECT_TRUE(iequal("VipaDyn", "VIPADYN"));
    EXPECT_FALSE(iequal("VIPADYN", "VIPADY"));
    EXPECT_FALSE(iequal("A", "B"));
}

TEST(text, lower_folds_latin_letters_only) {
    EXPECT_EQ(lower("MVS1@#$-TCPIP"), "mvs1@#$-tcpip");
    EXPECT_EQ(lower(std::string_view("\xc4Z", 2)), std::string("\xc4z", 2));
}

TEST(text, hex_both_ways) {
    EXPECT_EQ(hex32(0xabc), "0x00000ABC");
    EXPECT_EQ(hex32(0xabc, true), "0x00000abc");
    EXPECT_EQ(hex64(0x1234567890abcdefULL), "0x1234567890ABCDEF");
    std::array<std::uint8_t, 3> b{0x00, 0x7f, 0xff};
    EXPECT_EQ(hex(b), "007fff");
    std::vector<std::uint8_t> out;
    ASSERT_TRUE(unhex("0x007FfF", out));
    EXPECT_EQ(out, (std::vector<std::uint8_t>{0x00, 0x7f, 0xff}));
    ASSERT_TRUE(unhex("00 7f\nff", out, true));
    EXPECT_EQ(out.size(), 3u);
}

TEST(text, bad_hex_is_refused_and_leaves_nothing) {
    std::vector<std::uint8_t> out{1, 2, 3};
    for (const char* bad : {"", "0x", "abc", "0g", "00 7f", "zz"}) {
        EXPECT_FALSE(unhex(bad, out)) << bad;
        EXPECT_TRUE(out.empty()) << bad;
    }
    std::array<std::uint8_t, 2> two{9, 9};
    EXPECT_FALSE(unhex_exact("aabbcc", two));
    EXPECT_EQ(two, (std::array<std::uint8_t, 2>{0, 0}));
    EXPECT_TRUE(unhex_exact("aa bb", two, true));
    EXPECT_EQ(two, (std::array<std::uint8_t, 2>{0xaa, 0xbb}));
}

}  // namespace
}  // namespace zplex::sysplex
