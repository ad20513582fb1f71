// SPDX-License-Identifier: Apache-2.0
// Child processes with a bounded lifetime: a function or a program, optionally inside a
// network namespace, always ended by its own PID (never by name) when its owner goes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace zplex::e2e {

using namespace std::chrono_literals;

/// How a child ended and what it printed (stdout and stderr together).
struct run_result {
    int status = -1;          ///< exit code; 128 + signal if killed by one
    bool timed_out = false;   ///< killed because the deadline passed
    std::string out;
    bool ok() const noexcept { return status == 0 && !timed_out; }
};

/// One child process. Its output goes to a pipe (collected by wait()) or to a file.
/// The child dies with its parent (PR_SET_PDEATHSIG), so a test killed by ctest's
/// timeout does not leave it behind.
class child_process {
public:
    /// Fork and run @p body in the child; its return value is the exit code. When
    /// @p netns is not empty the child enters that network namespace first.
    static child_process spawn(std::function<int()> body, const std::string& netns = {},
                               const std::filesystem::path& output_file = {});
    /// Fork and exec @p argv (searched in PATH), optionally inside @p netns.
    static child_process exec(const std::vector<std::string>& argv, const std::string& netns = {},
                              const std::filesystem::path& output_file = {});

    child_process() = default;
    child_process(child_process&& o) noexcept;
    child_process& operator=(child_process&& o) noexcept;
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
    /// Still running: SIGKILL by PID, then reaped.
    ~child_process();

    /// Wait for the end, at most @p timeout; past it the child is killed (SIGKILL).
    run_result wait(std::chrono::milliseconds timeout);
    /// SIGTERM, then SIGKILL after @p grace; returns how it ended.
    run_result terminate(std::chrono::milliseconds grace = 5s);
    /// True while the child has not been reaped and has not exited.
    bool running();
    pid_t pid() const noexcept { return _pid; }

private:
    void reap_into(run_result& r, int wstatus);
    void drain(int timeout_ms);
    pid_t _pid = -1;
    int _out_fd = -1;
    std::string _out;
    bool _reaped = false;
    int _wstatus = 0;
};

/// Run @p argv to its end, at most @p timeout.
run_result run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = 20s,
               const std::string& netns = {});

/// Enter network namespace @p name (/run/netns/<name>) in this process. Throws on failure.
void enter_netns(const std::string& name);

}  // namespace zplex::e2e
