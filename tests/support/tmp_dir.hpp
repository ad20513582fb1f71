// SPDX-License-Identifier: Apache-2.0
// A test's own folder under the temporary directory (named after the test and its PID),
// empty at the start and removed with the object, pass or fail.
#pragma once

#include <filesystem>
#include <string>
#include <unistd.h>

namespace zplex::test {

struct tmp_dir {
    std::filesystem::path dir;
    explicit tmp_dir(const std::string& name)
        : dir(std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()))) {
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
    }
    ~tmp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    tmp_dir(const tmp_dir&) = delete;
    tmp_dir& operator=(const tmp_dir&) = delete;
};

}  // namespace zplex::test
