// SPDX-License-Identifier: Apache-2.0
// The operator console's screen: layout, held action messages and K E, CMDSYS, history.
#include <zplex/operating/console_screen.hpp>

#include <gtest/gtest.h>

namespace zplex::operating {
namespace {

const std::vector<std::string> systems{"MVS1", "MVS2"};

TEST(console_screen, the_layout_is_title_messages_separator_command_line_and_iee612i) {
    console_screen c("ZPLEX1", "MVS1");
    c.syslog("N 0000000 MVS2     26336 18:38:33.82 TCPIPA   00000090  EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1");
    for (char ch : std::string("D XCF")) c.type(ch);
    auto s = c.render(10, 100, "18.40.00");
    ASSERT_EQ(s.size(), 10u);
    EXPECT_EQ(s[0].rfind(" ZPLEX CONSOLE   SYSPLEX ZPLEX1   CMDSYS=MVS1", 0), 0u) << s[0];
    EXPECT_EQ(s[0].size(), 100u);
    EXPECT_EQ(s[0].substr(91), "18.40.00 ");
    EXPECT_EQ(s[1], "MVS2     18.38.33 TCPIPA   EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1");
    EXPECT_EQ(s[7], std::string(100, '-'));
    EXPECT_EQ(c.render(10, 40, "")[1].size(), 40u) << "long lines are cut at the screen's width";
    EXPECT_EQ(s[8], "===> D XCF");
    EXPECT_EQ(c.cursor_column(), 10u);
    EXPECT_EQ(s[9], "IEE612I CN=ZPLEXCON DEVNUM=TTY SYS=MVS1 CMDSYS=MVS1");
}

TEST(console_screen, action_messages_are_held_at_the_top_until_k_e) {
    console_screen c("ZPLEX1", "MVS1");
    c.syslog("N 0000000 MVS1     26336 18:38:33.82 TCPIPA   00000090  ZPX1020E TCPIPA ON MVS1 IS FENCED");
    c.syslog("N 0000000 MVS1     26336 18:38:33.82 TCPIPA   00000090  IXC102A MVS1 WAS PARTITIONED");
    c.message("IEE305I FOO      COMMAND INVALID");  // informational: not held
    auto s = c.render(12, 80, "");
    EXPECT_EQ(s[1], "*MVS1     18.38.33 TCPIPA   ZPX1020E TCPIPA ON MVS1 IS FENCED");
    EXPECT_EQ(s[2], "*MVS1     18.38.33 TCPIPA   IXC102A MVS1 WAS PARTITIONED");
    EXPECT_EQ(s[3], "MVS1     18.38.33 TCPIPA   ZPX1020E TCPIPA ON MVS1 IS FENCED");
    EXPECT_TRUE(c.local_command("k e", systems));
    s = c.render(12, 80, "");
    EXPECT_EQ(s[1], "MVS1     18.38.33 TCPIPA   ZPX1020E TCPIPA ON MVS1 IS FENCED");
}

TEST(console_screen, k_v_cmdsys_routes_to_a_system_of_the_sysplex_only) {
    console_screen c("ZPLEX1", "MVS1");
    EXPECT_TRUE(c.local_command("K V,CMDSYS=MVS2", systems));
    EXPECT_EQ(c.cmdsys(), "MVS2");
    EXPECT_TRUE(c.local_command("CONTROL V,CMDSYS=MVS9", systems));
    EXPECT_EQ(c.cmdsys(), "MVS2");
    EXPECT_NE(c.render(10, 100, "").at(2).find("IEE345I"), std::string::npos);
    EXPECT_FALSE(c.local_command("D TCPIP,,N,HOME", systems));
    EXPECT_TRUE(c.local_command("K X", systems)) << "an unknown K is answered, not routed";
}

TEST(console_screen, history_recalls_commands_and_bad_characters_never_reach_the_screen) {
    console_screen c("ZPLEX1", "MVS1");
    for (const char* cmd : {"D XCF", "D CF"}) {
        for (const char* p = cmd; *p; ++p) c.type(*p);
        EXPECT_EQ(c.press(console_screen::key::enter), cmd);
    }
    c.press(console_screen::key::up);
    EXPECT_EQ(c.input(), "D CF");
    c.press(console_screen::key::up);
    EXPECT_EQ(c.input(), "D XCF");
    c.press(console_screen::key::down);
    c.press(console_screen::key::down);
    EXPECT_EQ(c.input(), "");
    c.type('\x1b');
    c.type('\x07');
    EXPECT_EQ(c.input(), "");
    c.message("A\x1b[2JB");
    EXPECT_EQ(c.render(6, 40, "")[1], "A [2JB");
    EXPECT_EQ(c.render(3, 10, "")[0], "ZPLEX CONS") << "a screen too small says so";
}

}  // namespace
}  // namespace zplex::operating
