// SPDX-License-Identifier: Apache-2.0
// What the initiator needs of the host: the clock as the job log shows it, CPU time,
// and data set files read and written line by line (never through a symlink the user
// does not own).
#pragma once

#include <fmt/format.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace zplex::jes::detail {

namespace fs = std::filesystem;

inline std::tm local(std::time_t t) {
    std::tm tm{};
    localtime_r(&t, &tm);
    return tm;
}

inline std::string hhmmss(std::time_t t) {
    auto tm = local(t);
    return fmt::format("{:02}.{:02}.{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

inline std::string julian_hhmm(std::time_t t) {
    auto tm = local(t);
    return fmt::format("{:04}{:03}.{:02}{:02}", tm.tm_year + 1900, tm.tm_yday + 1, tm.tm_hour, tm.tm_min);
}

inline double cpu_seconds() {
    rusage self{}, kids{};
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    auto s = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
    return s(self.ru_utime) + s(kids.ru_utime);
}

inline std::string cpu_text(double secs) {
    int mins = static_cast<int>(secs / 60);
    return fmt::format("{:>4}MIN {:05.2f}SEC", mins, secs - mins * 60.0);
}

inline std::vector<std::string> read_lines(const fs::path& p, bool& ok) {
    std::vector<std::string> out;
    std::ifstream in(p, std::ios::binary);
    ok = static_cast<bool>(in);
    std::string line;
    while (ok && std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        out.push_back(line);
    }
    return out;
}

inline bool write_lines(const fs::path& p, const std::vector<std::string>& lines, bool append) {
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    std::ofstream out(p, append ? std::ios::app | std::ios::binary : std::ios::trunc | std::ios::binary);
    if (!out) {
        return false;
    }
    for (const auto& l : lines) {
        out << l << "\n";
    }
    ::chmod(p.c_str(), 0600);
    return static_cast<bool>(out);
}

/// A symlink the user does not own is not followed (docs/jcl.md).
inline bool foreign_symlink(const fs::path& p) {
    struct stat st {};
    return ::lstat(p.c_str(), &st) == 0 && S_ISLNK(st.st_mode) && st.st_uid != ::getuid();
}

}  // namespace zplex::jes::detail
