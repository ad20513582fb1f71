// SPDX-License-Identifier: Apache-2.0
// What the e2e tests of a whole sysplex share (operating, JCL): a private FIG4 (its own
// sysplex name, run directory and spool) run through the zplex binary, cleaned up pass
// or fail. For tests linking zplex_e2e_support and zplex_operating.
#pragma once

#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>
#include <zplex/operating/run.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace zplex::e2e {

namespace fs = std::filesystem;

inline std::string file_text(const fs::path& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

inline bool hercules_built() {
    fs::path m = fs::path(ZPLEX_BINARY_DIR) / "lib" / "hercules";
    return fs::exists(m / "hdtcfl.so") && fs::exists(m / "hdtxcfs.so") && fs::exists(m / "nucleus.ins") &&
           fs::exists("/usr/bin/hercules");
}

/// A private FIG4 (its own sysplex name: the shared memory is named after it) and run
/// directory; whatever the run left is stopped and removed when it goes, pass or fail.
struct fig4_run {
    fs::path tmp, plex, dir, spool;
    std::string name;

    /// @p letter starts the sysplex name (a test file's own, so that runs of two files
    /// never share one), @p tag tells the runs of one file apart.
    explicit fig4_run(const std::string& tag, char letter = 'O') {
        tmp = fs::temp_directory_path() / ("zpx" + std::string(1, letter) + "-" + std::to_string(::getpid()) + tag);
        fs::remove_all(tmp);
        fs::create_directories(tmp);
        plex = tmp / "FIG4";
        fs::copy(fs::path(ZPLEX_SOURCE_DIR) / "profiles/FIG4", plex, fs::copy_options::recursive);
        name = std::string(1, letter) + tag + std::to_string(::getpid() % 100000);
        std::string x = file_text(plex / "SYSPLEX.xml");
        x.replace(x.find("name=\"ZPLEX1\""), 13, "name=\"" + name + "\"");
        std::ofstream(plex / "SYSPLEX.xml") << x;
        dir = tmp / "run";
        spool = tmp / "spool";
    }
    ~fig4_run() {
        run({"down", "--run-dir", dir.string()}, 60s);
        // Should down itself have failed: what the record names, by PID and start time.
        operating::run_record r;
        std::string err;
        if (operating::load_run(dir, r, err)) {
            for (const auto* p : r.alive()) ::kill(p->id.pid, SIGKILL);
            for (const auto& n : r.namespaces) zplex::e2e::run({"ip", "netns", "del", n.name}, 10s);
        }
        std::error_code ec;
        for (const auto& e : fs::directory_iterator("/dev/shm", ec))
            if (e.path().filename().string().rfind("zplex." + name + ".", 0) == 0) fs::remove(e.path(), ec);
        fs::remove_all(tmp, ec);
    }
    run_result run(std::vector<std::string> args, std::chrono::milliseconds limit = 30s) const {
        args.insert(args.begin(), std::string(ZPLEX_BINARY_DIR) + "/bin/zplex");
        return zplex::e2e::run(args, limit);
    }
    run_result cmd(const std::string& command) const { return run({"cmd", "--run-dir", dir.string(), command}); }
    /// `zplex up` of this copy: the images under Hercules when @p hercules, else each
    /// stack on a system of its own (--no-hercules).
    run_result up(bool hercules = false) const {
        std::vector<std::string> args = {"up", "--sysplex", plex.string(), "--run-dir", dir.string()};
        if (!hercules) args.push_back("--no-hercules");
        return run(args, 120s);
    }
    /// `zplex submit` of jcl/@p job on this run, its JUnit report to @p junit.
    run_result submit(const std::string& job, const fs::path& junit) const {
        return run({"submit", (fs::path(ZPLEX_SOURCE_DIR) / "jcl" / job).string(), "--sysplex", plex.string(), "--run-dir",
                    dir.string(), "--spool", spool.string(), "--junit", junit.string()},
                   150s);
    }
    std::string logs() const {
        std::string out;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(dir / "logs", ec))
            out += "--- " + e.path().filename().string() + "\n" + file_text(e.path()).substr(0, 3000);
        return out;
    }
};

inline std::string line_with(const std::string& text, const std::string& start) {
    std::istringstream in(text);
    std::string l;
    while (std::getline(in, l))
        if (l.rfind(start, 0) == 0) return l;
    return {};
}

}  // namespace zplex::e2e
