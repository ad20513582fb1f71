// SPDX-License-Identifier: Apache-2.0
// Running the zplex CLI as a user does (through the shell, output and exit code), and
// a private copy of the FIG4 sysplex removed even when a test fails.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

namespace zplex::test {

struct run_result {
    int rc = -1;
    std::string out;
};

/// @p s as one shell word.
inline std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) {
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return q + "'";
}

/// Run @p command (a shell command line) with stdin from /dev/null; stdout and stderr together.
inline run_result run_shell(const std::string& command) {
    run_result r;
    std::string cmd = command + " 2>&1 </dev/null";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) {
        return r;
    }
    std::array<char, 4096> buf{};
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) {
        r.out.append(buf.data(), n);
    }
    int status = ::pclose(p);
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

/// A private copy of a sysplex folder (FIG4), removed even when the test fails.
struct sysplex_copy {
    std::filesystem::path dir;
    explicit sysplex_copy(const std::filesystem::path& from, const std::string& tag = "fig4") {
        dir = std::filesystem::temp_directory_path() / ("zplex-" + tag + "-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir);
        std::filesystem::copy(from, dir, std::filesystem::copy_options::recursive);
    }
    ~sysplex_copy() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    sysplex_copy(const sysplex_copy&) = delete;
    sysplex_copy& operator=(const sysplex_copy&) = delete;
};

}  // namespace zplex::test
