// SPDX-License-Identifier: Apache-2.0
// Running a program from a test the way a user's shell would: its exit code and
// everything it printed (stdout and stderr together), stdin empty.
#pragma once

#include <array>
#include <cstdio>
#include <string>
#include <sys/wait.h>

namespace zplex::test {

struct run_result {
    int rc = -1;      ///< exit code; -1 if it did not exit (a signal) or could not start
    std::string out;  ///< stdout and stderr, interleaved as written
};

/// @p s in single quotes for /bin/sh, with embedded quotes escaped.
inline std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) {
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return q + "'";
}

/// Runs @p command (a /bin/sh command line) to its end.
inline run_result run_command(const std::string& command) {
    run_result r;
    FILE* p = ::popen((command + " 2>&1 </dev/null").c_str(), "r");
    if (!p) {
        return r;
    }
    std::array<char, 4096> buf{};
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) {
        r.out.append(buf.data(), n);
    }
    int st = ::pclose(p);
    r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

}  // namespace zplex::test
