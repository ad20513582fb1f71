// SPDX-License-Identifier: Apache-2.0
// Process identity and liveness from /proc, console time stamps.
#include <zplex/sysplex/process.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <signal.h>
#include <unistd.h>

namespace zplex::sysplex {
namespace {

// Reads /proc/PID/stat; returns the text after the command name's closing
// parenthesis (the command may itself contain ')' and spaces), or nullptr.
const char* stat_fields(std::int32_t pid, char (&buf)[1024]) {
    if (pid <= 0) {
        return nullptr;
    }
    char path[64];
    *fmt::format_to_n(path, sizeof path - 1, "/proc/{}/stat", pid).out = 0;
    FILE* f = std::fopen(path, "r");
    if (!f) {
        return nullptr;
    }
    auto n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    const char* close = std::strrchr(buf, ')');
    if (n == 0 || !close || close[1] != ' ') {
        return nullptr;
    }
    return close + 2;  // field 3 (state)
}

}  // namespace

std::uint64_t process_start_time(std::int32_t pid) {
    char buf[1024];
    const char* p = stat_fields(pid, buf);
    if (!p) {
        return 0;
    }
    // p is at field 3; start time is field 22.
    for (int field = 3; field < 22; ++field) {
        p = std::strchr(p, ' ');
        if (!p) {
            return 0;
        }
        ++p;
    }
    return std::strtoull(p, nullptr, 10);
}

process_identity self_identity() {
    // Cached per thread and re-read after a fork (a child has a PID of its own).
    static thread_local process_identity self{};
    auto pid = static_cast<std::int32_t>(::getpid());
    if (self.pid != pid) {
        self = {pid, process_start_time(pid)};
    }
    return self;
}

process_identity identity_of(std::int32_t pid) { return {pid, process_start_time(pid)}; }

bool process_alive(std::int32_t pid) {
    if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) {
        return false;
    }
    char buf[1024];
    const char* state = stat_fields(pid, buf);
    return state && *state != 'Z' && *state != 'X';
}

bool process_alive(const process_identity& id) {
    if (!process_alive(id.pid)) {
        return false;
    }
    return id.start_time == 0 || process_start_time(id.pid) == id.start_time;
}

std::string console_time() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%H.%M.%S", &tm);
    return buf;
}

}  // namespace zplex::sysplex
