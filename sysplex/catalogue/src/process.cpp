// SPDX-License-Identifier: Apache-2.0
// Process liveness from /proc, console time stamps.
#include <zplex/sysplex/process.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <signal.h>

namespace zplex::sysplex {

bool process_alive(std::int32_t pid) {
    if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) {
        return false;
    }
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE* f = std::fopen(path, "r");
    if (!f) {
        return false;
    }
    char buf[256] = {};
    auto n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    // The state letter follows the command name in parentheses.
    const char* close = std::strrchr(buf, ')');
    return n > 0 && close && close[1] == ' ' && close[2] != 'Z' && close[2] != 'X';
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
