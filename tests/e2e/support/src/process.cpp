// SPDX-License-Identifier: Apache-2.0
// Bounded child processes: fork, optional setns, pipe or file output, kill by PID.
#include <zplex/e2e/process.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace zplex::e2e {

void enter_netns(const std::string& name) {
    std::string path = "/run/netns/" + name;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        throw std::system_error(errno, std::generic_category(), "open " + path);
    }
    int rc = ::setns(fd, CLONE_NEWNET);
    int err = errno;
    ::close(fd);
    if (rc != 0) {
        throw std::system_error(err, std::generic_category(), "setns " + path);
    }
}

namespace {

/// The child's half: die with the parent, enter the namespace, route stdout/stderr.
void child_setup(const std::string& netns, const std::filesystem::path& output_file, int pipe_w) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int out = pipe_w;
    if (!output_file.empty()) {
        out = ::open(output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (out < 0) {
            ::_exit(126);
        }
    }
    ::dup2(out, 1);
    ::dup2(out, 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
        ::dup2(devnull, 0);
    }
    if (!netns.empty()) {
        try {
            enter_netns(netns);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "e2e: %s\n", e.what());
            ::_exit(125);
        }
    }
}

child_process start(const std::function<void()>& in_child, const std::string& netns,
                    const std::filesystem::path& output_file, pid_t& pid_out, int& fd_out) {
    int p[2] = {-1, -1};
    if (output_file.empty() && ::pipe2(p, O_CLOEXEC) != 0) {
        throw std::system_error(errno, std::generic_category(), "pipe");
    }
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) {
        throw std::system_error(errno, std::generic_category(), "fork");
    }
    if (pid == 0) {
        child_setup(netns, output_file, p[1]);
        in_child();
        ::_exit(127);
    }
    if (p[1] >= 0) {
        ::close(p[1]);
    }
    pid_out = pid;
    fd_out = p[0];
    return {};
}

}  // namespace

child_process child_process::spawn(std::function<int()> body, const std::string& netns,
                                   const std::filesystem::path& output_file) {
    child_process c;
    start([&] {
        int rc = 1;
        try {
            rc = body();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "e2e child: %s\n", e.what());
        }
        std::fflush(nullptr);
        ::_exit(rc);
    }, netns, output_file, c._pid, c._out_fd);
    return c;
}

child_process child_process::exec(const std::vector<std::string>& argv, const std::string& netns,
                                  const std::filesystem::path& output_file) {
    if (argv.empty()) {
        throw std::invalid_argument("exec: empty argv");
    }
    child_process c;
    start([&] {
        std::vector<char*> args;
        for (const auto& a : argv) {
            args.push_back(const_cast<char*>(a.c_str()));
        }
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        std::fprintf(stderr, "e2e: exec %s: %s\n", args[0], std::strerror(errno));
        ::_exit(127);
    }, netns, output_file, c._pid, c._out_fd);
    return c;
}

child_process::child_process(child_process&& o) noexcept
    : _pid(o._pid), _out_fd(o._out_fd), _out(std::move(o._out)), _reaped(o._reaped), _wstatus(o._wstatus) {
    o._pid = -1;
    o._out_fd = -1;
}

child_process& child_process::operator=(child_process&& o) noexcept {
    if (this != &o) {
        child_process old(std::move(o));  // takes o's child; ours goes with `old`
        std::swap(_pid, old._pid);
        std::swap(_out_fd, old._out_fd);
        std::swap(_out, old._out);
        std::swap(_reaped, old._reaped);
        std::swap(_wstatus, old._wstatus);
    }
    return *this;
}

child_process::~child_process() {
    if (_pid > 0 && !_reaped) {
        ::kill(_pid, SIGKILL);
        ::waitpid(_pid, nullptr, 0);
    }
    if (_out_fd >= 0) {
        ::close(_out_fd);
    }
}

void child_process::drain(int timeout_ms) {
    if (_out_fd < 0) {
        if (timeout_ms > 0) {
            ::poll(nullptr, 0, timeout_ms);
        }
        return;
    }
    pollfd pfd{_out_fd, POLLIN, 0};
    if (::poll(&pfd, 1, timeout_ms) <= 0) {
        return;
    }
    char buf[4096];
    ssize_t n = ::read(_out_fd, buf, sizeof buf);
    if (n > 0) {
        _out.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        ::close(_out_fd);
        _out_fd = -1;
    }
}

bool child_process::running() {
    if (_pid <= 0 || _reaped) {
        return false;
    }
    int ws = 0;
    pid_t r = ::waitpid(_pid, &ws, WNOHANG);
    if (r == _pid) {
        _reaped = true;
        _wstatus = ws;
        return false;
    }
    return r == 0;
}

void child_process::reap_into(run_result& r, int wstatus) {
    if (WIFEXITED(wstatus)) {
        r.status = WEXITSTATUS(wstatus);
    } else if (WIFSIGNALED(wstatus)) {
        r.status = 128 + WTERMSIG(wstatus);
    }
}

run_result child_process::wait(std::chrono::milliseconds timeout) {
    run_result r;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            ::kill(_pid, SIGKILL);
            ::waitpid(_pid, &_wstatus, 0);
            _reaped = true;
            r.timed_out = true;
            break;
        }
        drain(static_cast<int>(std::min<long long>(left.count(), 20)));
    }
    while (_out_fd >= 0) {  // what is left in the pipe (grandchildren may hold it: bounded)
        std::size_t before = _out.size();
        drain(50);
        if (_out.size() == before) {
            break;
        }
    }
    reap_into(r, _wstatus);
    r.out = std::move(_out);
    _out.clear();
    return r;
}

run_result child_process::terminate(std::chrono::milliseconds grace) {
    if (running()) {
        ::kill(_pid, SIGTERM);
    }
    return wait(grace);
}

run_result run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout, const std::string& netns) {
    return child_process::exec(argv, netns).wait(timeout);
}

}  // namespace zplex::e2e
