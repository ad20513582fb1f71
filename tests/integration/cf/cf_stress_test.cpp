// SPDX-License-Identifier: Apache-2.0
// The kill loop: connector processes SIGKILLed while taking numbers by LISTKEYINC,
// restarted as failed-persistent connectors; and a duplexed structure whose primary
// CF is SIGKILLed halfway. No number may be handed out twice.
#include <zplex/cf/stress.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <unistd.h>

namespace zplex::cf {
namespace {

/// Structure instances of this process's stress runs (namespace STRESS<pid>).
std::size_t shm_count() {
    std::size_t n = 0;
    auto prefix = "zplex.STRESS" + std::to_string(::getpid()) + ".";
    for (const auto& e : std::filesystem::directory_iterator("/dev/shm")) {
        n += e.path().filename().string().rfind(prefix, 0) == 0;
    }
    return n;
}

TEST(cf_stress, connectors_killed_in_a_loop_never_duplicate) {
    auto before = shm_count();
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
        EXPECT_GE(r.numbers + r.lost_blocks * block, o.numbers - block * (o.connectors + r.kills)) << log.str();
        std::cout << "block " << block << ": " << log.str() << "  kills " << r.kills << ", " << r.seconds << " s\n";
    }
    EXPECT_EQ(before, 0u);
    EXPECT_EQ(shm_count(), 0u) << "every structure instance was freed";
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

}  // namespace
}  // namespace zplex::cf
