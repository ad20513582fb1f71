// SPDX-License-Identifier: Apache-2.0
// `zplex xcf sweep` after a run was SIGKILLed: its couple dataset goes, a live one
// stays; command-line mistakes exit 2.
#include <zplex/xcf/xcf.hpp>

#include "forked_child.hpp"
#include "run_command.hpp"

#include <gtest/gtest.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using zplex::test::run_result;

run_result zplex(const std::string& args) {
    return zplex::test::run_command(zplex::test::shell_quote(ZPLEX_BIN) + " " + args);
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
    std::unique_ptr<zplex::xcf::system> s2;
    zplex::test::forked_child child([&] { return static_cast<bool>(zplex::xcf::system::join(dead, "MVS1", s2)); });
    ASSERT_TRUE(child.ready());
    child.kill();
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
}

}  // namespace
