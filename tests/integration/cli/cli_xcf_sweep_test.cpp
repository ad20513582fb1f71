// SPDX-License-Identifier: Apache-2.0
// `zplex xcf sweep` after a run was SIGKILLed: its couple dataset goes, a live one
// stays; command-line mistakes exit 2.
#include <zplex/xcf/xcf.hpp>

#include <gtest/gtest.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

struct run_result {
    int rc = -1;
    std::string out;
};

run_result zplex(const std::string& args) {
    run_result r;
    std::string cmd = std::string("'") + ZPLEX_BIN + "' " + args + " 2>&1 </dev/null";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) {
        return r;
    }
    std::array<char, 4096> buf{};
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) {
        r.out.append(buf.data(), n);
    }
    int st = ::pclose(p);
    r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

zplex::xcf::sysplex_options options(const std::string& tag) {
    zplex::xcf::sysplex_options o;
    o.sysplex = "CS" + tag + std::to_string(::getpid());
    zplex::xcf::parse_key(std::string(64, '7'), o.key);
    return o;
}

TEST(cli_xcf, sweep_removes_what_a_killed_run_left) {
    auto dead = options("D");
    auto live = options("L");
    std::unique_ptr<zplex::xcf::system> s;
    ASSERT_TRUE(zplex::xcf::system::join(live, "MVS1", s));
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    pid_t child = ::fork();
    if (child == 0) {
        std::unique_ptr<zplex::xcf::system> s2;
        char c = zplex::xcf::system::join(dead, "MVS1", s2) ? 'y' : 'n';
        (void)!::write(ready[1], &c, 1);
        ::pause();
        ::_exit(0);
    }
    char c = 0;
    ASSERT_EQ(::read(ready[0], &c, 1), 1);
    ASSERT_EQ(c, 'y');
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    auto dead_path = "/dev/shm/" + zplex::xcf::dataset_name(dead);
    auto live_path = "/dev/shm/" + zplex::xcf::dataset_name(live);
    ASSERT_TRUE(std::filesystem::exists(dead_path));
    auto r = zplex("xcf sweep");
    EXPECT_EQ(r.rc, 0) << r.out;
    EXPECT_NE(r.out.find("IXC471I COUPLE DATASET " + zplex::xcf::dataset_name(dead)), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("IXC476I SWEEP:"), std::string::npos) << r.out;
    EXPECT_FALSE(std::filesystem::exists(dead_path));
    EXPECT_TRUE(std::filesystem::exists(live_path));
    EXPECT_EQ(zplex("xcf sweep --bogus").rc, 2);
    EXPECT_EQ(zplex("xcf stress --members 1").rc, 2);
    ::close(ready[0]);
    ::close(ready[1]);
}

}  // namespace
