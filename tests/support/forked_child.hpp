// SPDX-License-Identifier: Apache-2.0
// A second process for tests that need one: another system of the sysplex, a member
// whose process dies, a dataset a dead run left behind. The child runs a set-up
// function, tells the parent whether it succeeded, then waits to be killed (or exits
// at once). What the set-up creates lives in the child's copy of the caller's
// variables, so capture by reference what must outlive it:
//
//     std::unique_ptr<system> s2;
//     forked_child child([&] { return bool(system::join(o, "MVS2", s2)); });
//     ASSERT_TRUE(child.ready());
//     child.kill();  // SIGKILL: nothing leaves the sysplex
#pragma once

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

namespace zplex::test {

class forked_child {
public:
    enum class after { wait_to_be_killed, exit };

    /// Forks; the child runs @p setup and reports 'y' (true) or 'n'. With after::exit
    /// the child then ends with _exit (0 if set-up succeeded) without running any
    /// destructor, as a killed process would.
    template <class Setup>
    explicit forked_child(Setup&& setup, after then = after::wait_to_be_killed) {
        int p[2];
        if (::pipe(p) != 0) {
            return;
        }
        _pid = ::fork();
        if (_pid == 0) {
            ::close(p[0]);
            bool ok = std::forward<Setup>(setup)();
            char c = ok ? 'y' : 'n';
            (void)!::write(p[1], &c, 1);
            if (then == after::exit) {
                ::_exit(ok ? 0 : 1);
            }
            for (;;) {
                ::pause();
            }
        }
        ::close(p[1]);
        char c = 0;
        _ready = _pid > 0 && ::read(p[0], &c, 1) == 1 && c == 'y';
        ::close(p[0]);
        if (then == after::exit && _pid > 0) {
            int st = 0;
            ::waitpid(_pid, &st, 0);
            _ready = _ready && WIFEXITED(st) && WEXITSTATUS(st) == 0;
            _pid = -1;
        }
    }
    forked_child(const forked_child&) = delete;
    forked_child& operator=(const forked_child&) = delete;
    ~forked_child() { kill(); }

    /// The set-up succeeded in the child.
    bool ready() const noexcept { return _ready; }
    pid_t pid() const noexcept { return _pid; }

    /// SIGKILL and reap (once).
    void kill() noexcept {
        if (_pid > 0) {
            ::kill(_pid, SIGKILL);
            ::waitpid(_pid, nullptr, 0);
            _pid = -1;
        }
    }

private:
    pid_t _pid = -1;
    bool _ready = false;
};

}  // namespace zplex::test
