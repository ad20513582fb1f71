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
    /// Run Hercules with module_dir/zplex_loopback.so preloaded, so that its listening
    /// sockets (the HTTP console) are bound to 127.0.0.1: no other host reaches them.
    bool enforce_local_console = true;
    /// When >= 0, Hercules' output goes to this descriptor (a caller's log writer that
    /// stamps each line and keeps dir/hercules.log) instead of a dir/hercules.log of its own.
    int output_fd = -1;
};

/// Image (and CF) names: 1-8 of A-Z a-z 0-9 @ # $. Sysplex names: 1-16, also _ and -.
bool valid_image_name(const std::string& s);
bool valid_sysplex_name(const std::string& s);

/// Options for image @p name of a sysplex catalogue (SYSPLEX.xml): the sysplex name as
/// the namespace, every CF of the CFRM policy as the CF link's PREFLIST, the XCF INTERVAL
/// and key file. Directory, port and module_dir are left to the caller.
/// @throws std::invalid_argument if the catalogue has no image @p name.
image_options options_from_catalogue(const sysplex::catalogue& c, const std::string& name);

/// The .cnf text for @p o (TIMERINT 10000, MAINSIZE 2, one CP, the two devices; the
/// HTTP console with a password, Hercules' `sh` shell commands disabled).
std::string config_text(const image_options& o);

/// Start the image: check the directories (the image's and its parent: created 0700,
/// refused when someone else's or not 0700) and the console port (refused when in use
/// or recorded by another active image of the parent directory), write the files
/// without following links, run Hercules detached (its own session) with HERCULES_RC,
/// write dir/hercules.pid (PID and start time). Returns the PID, or -1 with @p error set.
int start(const image_options& o, std::string& error);

/// After start(): wait up to @p wait until the nucleus has joined group ZPXIMAGE (its
/// ZPX0723I), and check the console port is held by this Hercules, on loopback only.
bool wait_joined(const image_options& o, std::chrono::milliseconds wait, std::string& error);

/// The PID in dir/hercules.pid if that process (PID and start time) is a live Hercules
/// running in @p dir; else 0.
int running_pid(const std::filesystem::path& dir);

/// The listening sockets on a TCP port (from /proc/net/tcp and tcp6).
struct listener {
    std::vector<std::uint64_t> inodes;
    bool loopback_only = false;   ///< every one is bound to 127.0.0.1 or ::1
};
listener listener_of(std::uint16_t port);
/// True if process @p pid has one of @p l's sockets open.
bool listener_held_by(const listener& l, int pid);

struct console_answer {
    enum class status {
        ok,           ///< text is the command's output
        not_active,   ///< no Hercules of ours runs in the directory
        not_ours,     ///< the port is held by another process: nothing was sent
        not_local,    ///< the console listens beyond loopback: nothing was sent
        refused,      ///< the console answered with an HTTP error (text: its status line)
        no_answer,
    } what = status::no_answer;
    std::string text;
};

/// One console command through the HTTP server of the image in @p dir (port and
/// password from its image.cnf), sent only if that port's listener is the image's own
/// Hercules, bound to loopback.
console_answer console_command(const std::filesystem::path& dir, const std::string& command,
                               std::chrono::milliseconds wait = std::chrono::milliseconds(2000));
/// The answer as the operator sees it (a ZPX message unless ok).
std::string to_string(const console_answer& a, const std::string& image);

/// console_command()'s text, or an empty string unless it was answered.
std::string console(const std::filesystem::path& dir, const std::string& command,
                    std::chrono::milliseconds wait = std::chrono::milliseconds(2000));

/// Stop the image as V XCF,sys,OFFLINE would: on its own console `stop` (the CPU),
/// `detach 0E10` (the system leaves the sysplex normally), `quit`; SIGKILL after
/// @p grace. Only the PID this library wrote for @p dir is ever signalled. True if no
/// Hercules runs in @p dir afterwards.
bool stop(const std::filesystem::path& dir, std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

/// A TCP port in [from, to] nothing listens on, trying from @p first on (wrapping);
/// 0 if there is none. (Hercules only waits when its HTTPPORT is taken.)
std::uint16_t free_port(std::uint16_t from, std::uint16_t to, std::uint16_t first);

/// The HTTP port recorded in dir/image.cnf (0 if none).
std::uint16_t http_port_of(const std::filesystem::path& dir);

}  // namespace zplex::hercules
