// SPDX-License-Identifier: Apache-2.0
// `zplex console` in a terminal (tmux, its own server socket): the screen shows the title,
// the SYSLOG and IEE612I; a command typed with send-keys is answered in the message area
// read back with capture-pane; K V,CMDSYS= routes the next command to another system;
// Up recalls the last command; F3 ends the console.
#include "fig4_run.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace zplex::e2e {
namespace {

struct tmux_session {
    std::string socket = "zpxcon" + std::to_string(::getpid());
    std::vector<std::string> base() const { return {"tmux", "-L", socket}; }
    run_result tmux(std::vector<std::string> args) const {
        auto a = base();
        a.insert(a.end(), args.begin(), args.end());
        return zplex::e2e::run(a, 10s);
    }
    std::string screen() const { return tmux({"capture-pane", "-p", "-t", "con"}).out; }
    /// Wait (bounded) until the screen holds every one of @p texts.
    bool wait_screen(const std::vector<std::string>& texts, std::string& last) const {
        for (int i = 0; i < 150; ++i) {
            last = screen();
            bool all = true;
            for (const auto& t : texts) all = all && last.find(t) != std::string::npos;
            if (all) return true;
            std::this_thread::sleep_for(100ms);
        }
        return false;
    }
    ~tmux_session() { tmux({"kill-server"}); }  // the server of our own socket only
};

TEST(operating_e2e, the_console_under_tmux_answers_a_typed_command_on_its_screen) {
    std::string why;
    if (!can_use_netns(&why)) GTEST_SKIP() << why;
    if (!fs::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun";
    ASSERT_EQ(zplex::e2e::run({"tmux", "-V"}, 10s).status, 0) << "tmux is installed by scripts/bootstrap";
    fig4_run f("C");
    const std::string d = f.dir.string();
    auto u = f.run({"up", "--sysplex", f.plex.string(), "--run-dir", d, "--no-hercules"}, 120s);
    ASSERT_EQ(u.status, 0) << u.out << f.logs();

    tmux_session t;
    auto started = t.tmux({"new-session", "-d", "-s", "con", "-x", "132", "-y", "43",
                           std::string(ZPLEX_BINARY_DIR) + "/bin/zplex console --run-dir '" + d + "'"});
    ASSERT_EQ(started.status, 0) << started.out;
    std::string s;
    ASSERT_TRUE(t.wait_screen({"ZPLEX CONSOLE   SYSPLEX " + f.name + "   CMDSYS=MVS1", "IEE612I CN=ZPLEXCON DEVNUM=TTY SYS=MVS1",
                               "===>", "EZD1214I INITIAL DYNAMIC VIPA PROCESSING HAS COMPLETED FOR TCPIPA"},
                              s))
        << s;

    t.tmux({"send-keys", "-t", "con", "-l", "D TCPIP,TCPIPA,NETSTAT,VIPADYN"});
    ASSERT_TRUE(t.wait_screen({"===> D TCPIP,TCPIPA,NETSTAT,VIPADYN"}, s)) << s;
    t.tmux({"send-keys", "-t", "con", "Enter"});
    ASSERT_TRUE(t.wait_screen({"MVS1     ", "D TCPIP,TCPIPA,NETSTAT,VIPADYN", " EZD0101I NETSTAT CS V2R4 TCPIPA"}, s)) << s;
    EXPECT_TRUE(t.wait_screen({"198.18.2.1", "ACTIVE    VIPADEFINE"}, s)) << s;
    std::istringstream lines(s);
    std::string last, l;
    while (std::getline(lines, l))
        if (!l.empty()) last = l;
    EXPECT_EQ(last.rfind("IEE612I CN=ZPLEXCON", 0), 0u) << "IEE612I is the bottom line\n" << s;

    // Another system for the next commands, then an unknown command's IEE305I from MVS2.
    t.tmux({"send-keys", "-t", "con", "-l", "K V,CMDSYS=MVS2"});
    t.tmux({"send-keys", "-t", "con", "Enter"});
    ASSERT_TRUE(t.wait_screen({"IEE712I CONTROL   PROCESSING COMPLETE", "SYS=MVS2 CMDSYS=MVS2"}, s)) << s;
    t.tmux({"send-keys", "-t", "con", "-l", "D TCPIP,,SYSPLEX,VIPADYN"});
    t.tmux({"send-keys", "-t", "con", "Enter"});
    EXPECT_TRUE(t.wait_screen({"VIPA DYNAMIC DISPLAY FROM TCPIPA   AT MVS2"}, s)) << s;
    // History: Up brings the last command back to the command line.
    t.tmux({"send-keys", "-t", "con", "Up"});
    EXPECT_TRUE(t.wait_screen({"===> D TCPIP,,SYSPLEX,VIPADYN"}, s)) << s;
    t.tmux({"send-keys", "-t", "con", "BSpace"});
    EXPECT_TRUE(t.wait_screen({"===> D TCPIP,,SYSPLEX,VIPADY\n"}, s)) << s;
    t.tmux({"send-keys", "-t", "con", "F3"});
    bool ended = false;
    for (int i = 0; i < 100 && !ended; ++i) {
        ended = t.tmux({"has-session", "-t", "con"}).status != 0;
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(ended) << "F3 ends the console\n" << t.screen();
}

}  // namespace
}  // namespace zplex::e2e
