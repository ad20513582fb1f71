// SPDX-License-Identifier: Apache-2.0
// Process identity: a PID alone is not a process; PID plus start time is.
#include <zplex/sysplex/process.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

namespace zplex::sysplex {
namespace {

TEST(process_identity, self_is_alive_with_a_start_time) {
    auto self = self_identity();
    EXPECT_EQ(self.pid, ::getpid());
    EXPECT_NE(self.start_time, 0u);
    EXPECT_TRUE(process_alive(self));
    EXPECT_EQ(identity_of(::getpid()), self);
}

TEST(process_identity, a_forked_child_is_itself_not_its_parent) {
    auto parent = self_identity();
    int p[2];
    ASSERT_EQ(::pipe(p), 0);
    pid_t child = ::fork();
    if (child == 0) {
        auto me = self_identity();
        char ok = me.pid == ::getpid() && me == identity_of(::getpid()) && !(me == parent) ? 'y' : 'n';
        (void)!::write(p[1], &ok, 1);
        ::_exit(0);
    }
    char ok = 0;
    EXPECT_EQ(::read(p[0], &ok, 1), 1);
    EXPECT_EQ(ok, 'y');
    ::waitpid(child, nullptr, 0);
    ::close(p[0]);
    ::close(p[1]);
}

TEST(process_identity, a_different_start_time_is_another_process) {
    auto self = self_identity();
    process_identity reused{self.pid, self.start_time + 1};  // the same PID, started at another time
    EXPECT_TRUE(process_alive(self.pid));
    EXPECT_FALSE(process_alive(reused));
}

TEST(process_identity, a_reaped_child_is_gone_and_a_zombie_is_dead) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::pause();
        ::_exit(0);
    }
    auto id = identity_of(child);
    EXPECT_NE(id.start_time, 0u);
    EXPECT_TRUE(process_alive(id));
    ::kill(child, SIGKILL);
    // Until reaped the child is a zombie: not alive, though its /proc entry exists.
    for (int i = 0; i < 1000 && process_alive(id); ++i) {
        ::usleep(1000);
    }
    EXPECT_FALSE(process_alive(id));
    ::waitpid(child, nullptr, 0);
    EXPECT_FALSE(process_alive(id));
    EXPECT_EQ(process_start_time(child), 0u);
}

TEST(process_identity, no_such_pid) {
    EXPECT_FALSE(process_alive(process_identity{0, 0}));
    EXPECT_FALSE(process_alive(process_identity{-1, 5}));
    EXPECT_EQ(process_start_time(0), 0u);
}

}  // namespace
}  // namespace zplex::sysplex
