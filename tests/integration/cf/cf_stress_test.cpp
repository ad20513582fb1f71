// SPDX-License-Identifier: Apache-2.0
// The kill loop: connector processes SIGKILLed while taking numbers by LISTKEYINC,
// restarted as failed-persistent connectors; and a duplexed structure whose primary
// CF is SIGKILLed halfway. No number may be handed out twice.
#include <zplex/cf/stress.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <csignal>
#include <unistd.h>

namespace zplex::cf {
namespace {

/// Objects in /dev/shm of the stress namespace STRESS<pid> (structures and CF locks).
std::size_t shm_count(pid_t pid) {
    std::size_t n = 0;
    auto prefix = "zplex.STRESS" + std::to_string(pid) + ".";
    for (const auto& e : std::filesystem::directory_iterator("/dev/shm")) {
        n += e.path().filename().string().rfind(prefix, 0) == 0;
    }
    return n;
}

/// A stress run in a child process group, SIGKILLed with all its CFs and connectors
/// while it runs: what it leaves in /dev/shm is what a killed run leaves.
pid_t killed_run() {
    pid_t child = ::fork();
    if (child == 0) {
        ::setpgid(0, 0);
        stress_options o;
        o.numbers = 1ull << 40;  // runs until killed
        stress_report r;
        std::ostringstream log;
        try {
            run_stress(o, r, log);
        } catch (...) {
            ::_exit(12);
        }
        ::_exit(0);
    }
    ::setpgid(child, child);
    for (int i = 0; i < 12000 && shm_count(child) < 2; ++i) {  // up to 60 s on a loaded machine
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::kill(-child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    // Until every process of the group (its CF, its connectors) is gone.
    for (int i = 0; i < 4000 && ::kill(-child, 0) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return child;
}

TEST(cf_stress, connectors_killed_in_a_loop_never_duplicate) {
    auto dead = killed_run();
    auto before = shm_count(dead);
    EXPECT_GE(before, 2u) << "the killed run left its structure and its CF lock";
    for (std::uint64_t block : {1ull, 16ull, 256ull}) {
        stress_options o;
        o.connectors = 4;
        o.numbers = 400'000 * block;  // 400k requests: long enough to kill in
        o.block = block;
        o.kills = 25;
        stress_report r;
        std::ostringstream log;
        EXPECT_EQ(run_stress(o, r, log), 0) << log.str();
        EXPECT_EQ(r.duplicates, 0u) << log.str();
        EXPECT_GE(r.kills, 10u) << log.str();
        if (block == 1) {
            EXPECT_GE(r.swept, 1u) << log.str();  // the structure (its CF lock goes with it)
        }
        EXPECT_GE(r.numbers + r.lost_blocks * block, o.numbers - block * (o.connectors + r.kills)) << log.str();
        std::cout << "block " << block << ": " << log.str() << "  kills " << r.kills << ", " << r.seconds << " s\n";
    }
    EXPECT_EQ(shm_count(dead), 0u) << "the first run swept what the killed run left";
    EXPECT_EQ(shm_count(::getpid()), 0u) << "every structure instance of these runs was freed";
}

TEST(cf_stress, duplexed_primary_cf_killed_halfway) {
    stress_options o;
    o.connectors = 4;
    o.numbers = 6'400'000;
    o.block = 16;
    o.kills = 5;
    o.duplex = true;
    stress_report r;
    std::ostringstream log;
    EXPECT_EQ(run_stress(o, r, log), 0) << log.str();
    EXPECT_EQ(r.duplicates, 0u) << log.str();
    EXPECT_EQ(r.cf_failovers, 1u);
    std::cout << "duplex: " << log.str();
}

TEST(cf_stress, a_rival_cf01_halfway_is_refused_and_nothing_is_handed_out_twice) {
    for (bool duplex : {false, true}) {
        stress_options o;
        o.connectors = 4;
        o.numbers = 2'000'000;
        o.block = 16;
        o.kills = 2;
        o.rival_cf = true;
        o.duplex = duplex;
        stress_report r;
        std::ostringstream log;
        EXPECT_EQ(run_stress(o, r, log), 0) << log.str();
        EXPECT_EQ(r.duplicates, 0u) << log.str();
        EXPECT_EQ(r.rival_rc, 8) << log.str();
        std::cout << (duplex ? "duplex" : "simplex") << " with a rival: " << log.str();
    }
    EXPECT_EQ(shm_count(::getpid()), 0u);
}

}  // namespace
}  // namespace zplex::cf
