// SPDX-License-Identifier: Apache-2.0
// A coupling facility of one's own for a benchmark or a test that forks: CF01 of a
// sysplex named for this process, serving the given structures from a fresh 0700 run
// directory that goes with it; and memory the forked processes share.
#pragma once

#include <zplex/cf/cf_server.hpp>
#include <zplex/sysplex/catalogue.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace zplex::test {

class private_cf {
public:
    /// Sysplex `<prefix><pid>` with CF01 started, serving @p structures.
    private_cf(const std::string& prefix, std::vector<sysplex::structure_config> structures)
        : sysplex(prefix + std::to_string(::getpid())),
          run_dir(std::filesystem::temp_directory_path() / ("zplex-" + sysplex)) {
        std::filesystem::remove_all(run_dir);
        std::filesystem::create_directories(run_dir);
        std::filesystem::permissions(run_dir, std::filesystem::perms::owner_all);
        cf::server_options so;
        so.sysplex = sysplex;
        so.cf = "CF01";
        so.structures = std::move(structures);
        so.run_dir = run_dir;
        server = std::make_unique<cf::cf_server>(so);
        server->start();
    }
    ~private_cf() {
        server.reset();
        std::error_code ec;
        std::filesystem::remove_all(run_dir, ec);
    }
    private_cf(const private_cf&) = delete;
    private_cf& operator=(const private_cf&) = delete;

    const std::string sysplex;
    const std::filesystem::path run_dir;
    std::unique_ptr<cf::cf_server> server;
};

/// A value-initialised @p T in anonymous shared memory: what a parent and the children
/// it forks all see. Never unmapped (it lives as long as the processes).
template <class T>
T* shared_anonymous() {
    void* m = ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap");
    return new (m) T{};
}

}  // namespace zplex::test
