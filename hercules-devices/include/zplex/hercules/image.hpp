// SPDX-License-Identifier: Apache-2.0
// An image: one headless Debian /usr/bin/hercules running the zplex nucleus with a CF
// link (0E00 CFL) and an XCF signalling path (0E10 XCFS). Writes the .cnf and rc files
// into the image's working directory, starts Hercules there, keeps a PID file, and talks
// to its console through the HTTP server (HTTPPORT).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace zplex::sysplex {
class catalogue;
}

namespace zplex::hercules {

struct image_options {
    std::string name;                       ///< SYSNAME (1-8), e.g. MVS1
    std::filesystem::path dir;              ///< working directory (created), holds image.cnf, PID, log
    std::string sysplex;                    ///< shared-memory namespace of the CFs and the couple dataset
    std::vector<std::string> cfs{"CF01"};   ///< CF link PREFLIST
    std::filesystem::path key_file;         ///< sysplex key (64 hex digits)
    std::chrono::milliseconds interval{300};  ///< XCF failure detection INTERVAL
    std::uint16_t http_port = 0;            ///< console port (31000-31999 in tests); required
    /// The console's password (HTTP basic auth, user `zplex`); start() draws a random
    /// one when empty. It is kept in image.cnf (0600, in the image's 0700 directory).
    std::string http_password;
    std::filesystem::path module_dir;       ///< where hdtcfl.so, hdtxcfs.so and nucleus.ins are
    std::filesystem::path hercules = "/usr/bin/hercules";
    bool ipl = true;                        ///< IPL the nucleus from the rc file
};

/// Options for image @p name of a sysplex catalogue (SYSPLEX.xml): the sysplex name as
/// the namespace, every CF of the CFRM policy as the CF link's PREFLIST, the XCF INTERVAL
/// and key file. Directory, port and module_dir are left to the caller.
/// @throws std::invalid_argument if the catalogue has no image @p name.
image_options options_from_catalogue(const sysplex::catalogue& c, const std::string& name);

/// The .cnf text for @p o (TIMERINT 10000, MAINSIZE 2, one CP, the two devices; the
/// HTTP console with a password, Hercules' `sh` shell commands disabled).
std::string config_text(const image_options& o);

/// Start the image: write the files, run Hercules detached (its own session) with
/// HERCULES_RC, write dir/hercules.pid. Returns the PID, or -1 with @p error set.
int start(const image_options& o, std::string& error);

/// The PID in dir/hercules.pid if that process is a live Hercules running in @p dir; else 0.
int running_pid(const std::filesystem::path& dir);

/// One console command through the HTTP server of the image in @p dir (port and
/// password from its image.cnf); the text of the answer (HTML stripped), or an empty
/// string if the console did not answer within @p wait.
std::string console(const std::filesystem::path& dir, const std::string& command,
                    std::chrono::milliseconds wait = std::chrono::milliseconds(2000));

/// Stop the image: `quit` on its console, SIGKILL after @p grace. Only the PID this
/// library wrote for @p dir is ever signalled. True if no Hercules runs in @p dir afterwards.
bool stop(const std::filesystem::path& dir, std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

/// A TCP port in [from, to] nothing listens on, trying from @p first on (wrapping);
/// 0 if there is none. (Hercules only waits when its HTTPPORT is taken.)
std::uint16_t free_port(std::uint16_t from, std::uint16_t to, std::uint16_t first);

/// The HTTP port recorded in dir/image.cnf (0 if none).
std::uint16_t http_port_of(const std::filesystem::path& dir);

}  // namespace zplex::hercules
