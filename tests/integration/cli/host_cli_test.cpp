// SPDX-License-Identifier: Apache-2.0
// zplex-host's command line as a careless user meets it: static keys only from a 0600
// file of ours, never on the command line; a control path that holds something else is
// left alone. Every case here ends before a TUN is opened (no root needed).
#include "run_command.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;

using zplex::test::run_result;

run_result host(const std::string& args) { return zplex::test::run_command(std::string(ZPLEX_HOST_BIN) + " " + args); }

struct temp_dir {
    fs::path p = fs::temp_directory_path() / ("zplex-hostcli-" + std::to_string(::getpid()) + "-" +
                                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    temp_dir() {
        fs::remove_all(p);
        fs::create_directory(p);
    }
    ~temp_dir() { fs::remove_all(p); }
};

const std::string sa_args =
    "--local 198.18.250.1 --peer 198.18.250.2 --local-ts 198.18.251.1/32 --remote-ts 198.18.252.1/32 "
    "--spi-in 1001 --spi-out 2002 ";

TEST(host_cli, keys_on_the_command_line_are_refused) {
    auto r = host(sa_args + "--key-in 00112233445566778899aabbccddeeff00112233 --key-out "
                            "00112233445566778899aabbccddeeff00112233");
    EXPECT_EQ(r.rc, 2) << r.out;
    EXPECT_NE(r.out.find("ZPX0916E KEYS ARE NOT TAKEN ON THE COMMAND LINE"), std::string::npos) << r.out;
    auto none = host(sa_args);
    EXPECT_EQ(none.rc, 2) << none.out;
    EXPECT_NE(none.out.find("NO --key-file"), std::string::npos) << none.out;
}

TEST(host_cli, a_key_file_others_can_read_or_a_symlink_is_refused) {
    temp_dir d;
    auto keys = d.p / "keys";
    std::ofstream(keys) << "in 00112233445566778899aabbccddeeff00112233\nout 00112233445566778899aabbccddeeff00112233\n";
    fs::permissions(keys, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                              fs::perms::others_read);
    auto r = host(sa_args + "--key-file " + keys.string());
    EXPECT_EQ(r.rc, 8) << r.out;
    EXPECT_NE(r.out.find("ITS MODE IS NOT 0600"), std::string::npos) << r.out;
    fs::permissions(keys, fs::perms::owner_read | fs::perms::owner_write);
    auto link = d.p / "link";
    fs::create_symlink(keys, link);
    auto l = host(sa_args + "--key-file " + link.string());
    EXPECT_EQ(l.rc, 8) << l.out;
    EXPECT_NE(l.out.find("SYMBOLIC LINK"), std::string::npos) << l.out;
    auto bad = d.p / "bad";
    std::ofstream(bad) << "in 0011\n";
    fs::permissions(bad, fs::perms::owner_read | fs::perms::owner_write);
    auto b = host(sa_args + "--key-file " + bad.string());
    EXPECT_EQ(b.rc, 8) << b.out;
    EXPECT_NE(b.out.find("BOTH"), std::string::npos) << b.out;
}

// The static SA's anti-replay window: what replay_window takes (32..4096), or a usage error.
TEST(host_cli, a_replay_window_outside_32_to_4096_is_a_usage_error) {
    for (const char* w : {"16", "5000", "x"}) {
        auto r = host(sa_args + "--key-file /nonexistent --replay-window " + w);
        EXPECT_EQ(r.rc, 2) << w << ": " << r.out;
        EXPECT_NE(r.out.find("--replay-window"), std::string::npos) << r.out;
    }
}

}  // namespace
