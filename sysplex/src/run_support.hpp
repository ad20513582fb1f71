// SPDX-License-Identifier: Apache-2.0
// What `zplex up`, `down`, `status`, `cmd`, `syslog` and `exec` share: the run directory
// and its lock, programs started detached (optionally in a network namespace) with a
// time-stamping log writer, `ip` invocations, stopping by recorded PID.
#pragma once

#include <zplex/operating/run.hpp>
#include <zplex/sysplex/catalogue.hpp>

#include <chrono>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace zplex::cli::run {

namespace fs = std::filesystem;

/// A step that cannot be done: the message says what and why (a ZPX id first).
struct run_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// The folder of the running zplex binary (its sibling programs live there).
fs::path exe_dir();
/// @p name as a path: as is when it has a slash, else next to zplex, else found in PATH.
fs::path program_path(const std::string& name);

/// Create @p dir (and parents) and check it: a real folder (not a link) owned by the
/// caller, then made 0700. Throws run_error.
void ensure_private_dir(const fs::path& dir);

/// An exclusive lock on <dir>/lock for as long as it lives; false from held() if
/// another zplex holds it.
class dir_lock {
public:
    explicit dir_lock(const fs::path& dir);
    ~dir_lock();
    dir_lock(const dir_lock&) = delete;
    dir_lock& operator=(const dir_lock&) = delete;
    bool held() const noexcept { return _fd >= 0 && _held; }

private:
    int _fd = -1;
    bool _held = false;
};

/// Run `ip ARGS...` to its end (bounded); throws run_error with its message on failure.
void ip(const std::vector<std::string>& args);
/// The same, true or false, no throw.
bool ip_ok(const std::vector<std::string>& args);
/// Run @p argv to its end (bounded by @p limit), stdout and stderr into @p out; its exit
/// status, or -1.
int run_output(const std::vector<std::string>& argv, std::string& out, std::chrono::milliseconds limit);
/// This process (a child about to exec) gets a mount namespace of its own with @p dir
/// bound on /run: a LAN host's daemons (charon's pid file and vici socket) and the
/// commands run on the host (`zplex exec`) see the host's own /run. False on failure (errno).
bool enter_private_run(const fs::path& dir);
/// True if /run/netns/<name> exists.
bool netns_exists(const std::string& name);

/// A log writer process of its own (detached) that stamps every line it reads with the
/// date and time into @p log (0600, appended, never through a link). Returns the write
/// end of its pipe (close-on-exec; the caller closes it once its program holds it) and
/// the writer's identity in @p writer.
int start_log_writer(const fs::path& log, sysplex::process_identity& writer);

/// Start @p argv detached (own session, stdin /dev/null) inside network namespace
/// @p netns when not empty, its output through a log writer that stamps every line with
/// the date and time into @p log (0600, appended, never through a link). @p env adds
/// variables; @p private_run, when not empty, is bound on the program's /run
/// (enter_private_run). Returns the program's identity and the log writer's (in @p writer).
sysplex::process_identity start_detached(const std::vector<std::string>& argv, const std::string& netns,
                                         const fs::path& log, const std::map<std::string, std::string>& env,
                                         sysplex::process_identity& writer, const fs::path& private_run = {});

/// start_detached() of a component, both processes (the program as @p kind, its log
/// writer as `writer`) added to @p r and the record saved in @p dir at once.
void start_recorded(operating::run_record& r, const fs::path& dir, const std::string& kind, const std::string& name,
                    const std::string& system, const std::vector<std::string>& argv, const std::string& netns,
                    const fs::path& log, const std::map<std::string, std::string>& env = {},
                    const fs::path& private_run = {});

/// The argv and environment of procedure @p proc run for image @p system (symbols
/// &SYSNAME. &SYSCLONE. &SYSPLEX. &TCPIP. &JOBNAME. and the user's substituted).
struct job_launch {
    std::vector<std::string> argv;
    std::map<std::string, std::string> env;
};
job_launch procedure_launch(const sysplex::sysplex_config& cfg, const sysplex::image_config& image,
                            const sysplex::procedure_config& proc);

/// The command line of image @p image's stack in the run @p r of @p dir (what `up`
/// starts, and ZPXFAULT RESTART STACK starts again).
std::vector<std::string> stack_argv(const operating::run_record& r, const fs::path& dir, const sysplex::image_config& image);
/// zplex-iked's command line for image @p image (run in the image's namespace), and its log.
std::vector<std::string> iked_argv(const operating::run_record& r, const fs::path& dir, const sysplex::image_config& image);
fs::path iked_log(const fs::path& dir, const std::string& system);

/// SIGTERM to every live process of @p ids (identity checked before each signal),
/// SIGKILL to those left after @p grace. Returns how many were signalled.
int stop_processes(const std::vector<sysplex::process_identity>& ids, std::chrono::milliseconds grace);

/// Wait up to @p wait for every one of @p ids to be gone.
bool wait_gone(const std::vector<sysplex::process_identity>& ids, std::chrono::milliseconds wait);

/// /dev/shm objects of sysplex @p name (zplex.<name>.*) owned by the caller.
std::vector<fs::path> shm_objects(const std::string& name);

/// The run directory from --run-dir, or the default for the sysplex in @p sysplex_dir
/// (its SYSPLEX.xml's name; ZPLEX1 when it cannot be read).
fs::path resolve_run_dir(const std::string& given, const std::string& sysplex_dir);

/// resolve_run_dir() and load_run(): false, with the message written to @p out, when
/// no record can be read there.
bool open_run(const std::string& run_dir, const std::string& sysplex_dir, fs::path& dir, operating::run_record& r,
              std::ostream& out);

/// The stack control socket of image @p system in @p dir.
fs::path stack_socket(const fs::path& dir, const std::string& system);
/// The control socket of @p system's zplex-iked in the run directory @p dir.
fs::path iked_socket(const fs::path& dir, const std::string& system);

/// The last @p n lines of a file (for error messages).
std::string tail(const fs::path& file, std::size_t n);

/// The time stamp the log writer puts before a line: `YYYY-MM-DD HH:MM:SS.mmm `.
inline constexpr std::size_t stamp_size = 24;

}  // namespace zplex::cli::run
