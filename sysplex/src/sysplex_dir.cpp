// SPDX-License-Identifier: Apache-2.0
// Which sysplex folder a command works on, decided the same way by every command.
#include "commands.hpp"

#include <zplex/sysplex/dataset.hpp>

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace zplex::cli {

namespace fs = std::filesystem;

std::optional<fs::path> sysplex_dir_above(fs::path start) {
    std::error_code ec;
    start = fs::absolute(start, ec);
    for (auto p = fs::is_directory(start, ec) ? start : start.parent_path(); !p.empty(); p = p.parent_path()) {
        if (fs::is_regular_file(p / "SYSPLEX.xml", ec)) {
            return p;
        }
        if (p == p.root_path()) {
            break;
        }
    }
    return std::nullopt;
}

std::string sysplex_dir_for(const std::string& given, const std::string& file) {
    if (!given.empty()) {
        return given;
    }
    std::error_code ec;
    bool is_dsn = sysplex::looks_like_dataset_name(file) && !fs::exists(file, ec);
    if (!file.empty() && !is_dsn) {
        if (auto found = sysplex_dir_above(file)) {
            return found->string();
        }
    }
    const char* env = std::getenv("ZPLEX_SYSPLEX");
    return env && *env ? std::string(env) : std::string();
}

}  // namespace zplex::cli
