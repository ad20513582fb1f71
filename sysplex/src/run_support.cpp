// SPDX-License-Identifier: Apache-2.0
// Shared machinery of the run commands (run_support.hpp).
#include "run_support.hpp"

#include <zplex/sysplex/catalogue.hpp>
#include <zplex/tcpip/stack/control_socket.hpp>

#include <fcntl.h>
#include <sched.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <ostream>
#include <thread>

namespace zplex::cli::run {

fs::path exe_dir() {
    std::error_code ec;
    auto p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::current_path() : p.parent_path();
}

fs::path program_path(const std::string& name) {
    if (name.find('/') != std::string::npos) return name;
    std::error_code ec;
    if (fs::is_regular_file(exe_dir() / name, ec)) return exe_dir() / name;
    if (const char* path = std::getenv("PATH")) {
        std::string p = path;
        std::size_t from = 0;
        while (from <= p.size()) {
            auto colon = p.find(':', from);
            fs::path d = p.substr(from, colon == std::string::npos ? std::string::npos : colon - from);
            if (!d.empty() && ::access((d / name).c_str(), X_OK) == 0) return d / name;
            if (colon == std::string::npos) break;
            from = colon + 1;
        }
    }
    return exe_dir() / name;  // its absence is reported when it is started
}

void ensure_private_dir(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0)
        throw run_error("ZPX1812E RUN DIRECTORY " + dir.string() + " CANNOT BE CREATED: " + std::strerror(errno));
    if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid())
        throw run_error("ZPX1812E RUN DIRECTORY " + dir.string() +
                        " IS NOT USABLE: IT MUST BE A FOLDER (NOT A LINK) OWNED BY THE CALLER");
    if (::chmod(dir.c_str(), 0700) != 0)
        throw run_error("ZPX1812E RUN DIRECTORY " + dir.string() + " CANNOT BE MADE 0700: " + std::strerror(errno));
}

dir_lock::dir_lock(const fs::path& dir) {
    _fd = ::open((dir / "lock").c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    _held = _fd >= 0 && ::flock(_fd, LOCK_EX | LOCK_NB) == 0;
}

dir_lock::~dir_lock() {
    if (_fd >= 0) ::close(_fd);
}

namespace {

/// fork + exec @p argv, stderr captured (and stdout with @p with_stdout, else to
/// /dev/null); bounded.
int run_capture(const std::vector<std::string>& argv, std::string& err, std::chrono::milliseconds limit,
                bool with_stdout = false) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return -1;
    pid_t pid = ::fork();
    if (pid == 0) {
        int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 0);
        ::dup2(with_stdout ? p[1] : null, 1);
        ::dup2(p[1], 2);
        std::vector<char*> a;
        for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
        a.push_back(nullptr);
        ::execvp(a[0], a.data());
        ::_exit(127);
    }
    ::close(p[1]);
    auto until = std::chrono::steady_clock::now() + limit;
    char buf[512];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd f{p[0], POLLIN, 0};
        if (::poll(&f, 1, static_cast<int>(left.count())) <= 0) break;
        ssize_t n = ::read(p[0], buf, sizeof buf);
        if (n <= 0) break;
        if (err.size() < (with_stdout ? 1u << 20 : 4096u)) err.append(buf, static_cast<std::size_t>(n));
    }
    ::close(p[0]);
    int status = 0;
    for (;;) {
        pid_t w = ::waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        if (std::chrono::steady_clock::now() >= until) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string stamp_now() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    std::tm tm{};
    ::gmtime_r(&ts.tv_sec, &tm);
    return fmt::format("{:%Y-%m-%d %H:%M:%S}.{:03} ", tm, ts.tv_nsec / 1000000);
}

/// The log writer: every line read from @p in, stamped, appended to @p out.
[[noreturn]] void log_writer(int in, int out) {
    std::string pending;
    char buf[8192];
    auto put = [&](const std::string& line) {
        std::string s = stamp_now() + line + "\n";
        std::size_t at = 0;
        while (at < s.size()) {
            ssize_t n = ::write(out, s.data() + at, s.size() - at);
            if (n <= 0) break;
            at += static_cast<std::size_t>(n);
        }
    };
    for (;;) {
        ssize_t n = ::read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        pending.append(buf, static_cast<std::size_t>(n));
        std::size_t nl;
        while ((nl = pending.find('\n')) != std::string::npos) {
            std::string line = pending.substr(0, nl);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            put(line);
            pending.erase(0, nl + 1);
        }
        if (pending.size() > 65536) {
            put(pending);
            pending.clear();
        }
    }
    if (!pending.empty()) put(pending);
    ::_exit(0);
}

}  // namespace

void ip(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"ip"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string err;
    int rc = run_capture(argv, err, std::chrono::seconds(10));
    if (rc != 0) {
        std::string cmd;
        for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
        throw run_error("ZPX1815E '" + cmd + "' FAILED" + (err.empty() ? "" : ": " + err));
    }
}

bool ip_ok(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"ip"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string err;
    return run_capture(argv, err, std::chrono::seconds(10)) == 0;
}

int run_output(const std::vector<std::string>& argv, std::string& out, std::chrono::milliseconds limit) {
    return run_capture(argv, out, limit, true);
}

bool enter_private_run(const fs::path& dir) {
    return ::unshare(CLONE_NEWNS) == 0 && ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
           ::mount(dir.c_str(), "/run", nullptr, MS_BIND, nullptr) == 0;
}

bool netns_exists(const std::string& name) {
    struct stat st {};
    return ::lstat(("/run/netns/" + name).c_str(), &st) == 0;
}

int start_log_writer(const fs::path& log, sysplex::process_identity& writer) {
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) throw run_error("ZPX1816E LOG " + log.string() + " CANNOT BE OPENED: " + std::strerror(errno));
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) {
        ::close(out);
        throw run_error(std::string("ZPX1816E NO PIPE: ") + std::strerror(errno));
    }
    pid_t w = ::fork();
    if (w == 0) {
        ::setsid();
        ::signal(SIGINT, SIG_IGN);
        ::signal(SIGHUP, SIG_IGN);
        // Nothing of zplex's but its two ends: not the run directory's lock, not the pipes.
        // Nor zplex's own standard streams (a pipe someone waits on to end).
        int null = ::open("/dev/null", O_RDWR);
        for (int fd = 0; fd <= 2; ++fd)
            if (null >= 0 && fd != p[0] && fd != out) ::dup2(null, fd);
        for (int fd = 3; fd < 4096; ++fd)
            if (fd != p[0] && fd != out) ::close(fd);
        log_writer(p[0], out);
    }
    ::close(out);
    ::close(p[0]);
    if (w < 0) {
        ::close(p[1]);
        throw run_error(std::string("ZPX1816E CANNOT FORK: ") + std::strerror(errno));
    }
    writer = {w, sysplex::process_start_time(w)};
    return p[1];
}

sysplex::process_identity start_detached(const std::vector<std::string>& argv, const std::string& netns,
                                         const fs::path& log, const std::map<std::string, std::string>& env,
                                         sysplex::process_identity& writer, const fs::path& private_run) {
    int e[2];
    if (::pipe2(e, O_CLOEXEC) != 0) throw run_error(std::string("ZPX1816E NO PIPE: ") + std::strerror(errno));
    int out;
    try {
        out = start_log_writer(log, writer);
    } catch (...) {
        ::close(e[0]);
        ::close(e[1]);
        throw;
    }
    pid_t pid = ::fork();
    if (pid == 0) {
        ::setsid();
        auto fail = [&](int code) {
            int err = errno;
            (void)::write(e[1], &code, sizeof code);
            (void)::write(e[1], &err, sizeof err);
            ::_exit(127);
        };
        if (!netns.empty()) {
            int fd = ::open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) fail(1);
            ::close(fd);
        }
        if (!private_run.empty() && !enter_private_run(private_run)) fail(3);
        int null = ::open("/dev/null", O_RDONLY);
        ::dup2(null, 0);
        ::dup2(out, 1);
        ::dup2(out, 2);
        for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
        ::signal(SIGPIPE, SIG_DFL);
        std::vector<char*> a;
        for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
        a.push_back(nullptr);
        ::execv(a[0], a.data());
        fail(2);
    }
    ::close(out);
    ::close(e[1]);
    if (pid < 0) {
        ::close(e[0]);
        throw run_error(std::string("ZPX1816E CANNOT FORK: ") + std::strerror(errno));
    }
    int what[2] = {0, 0};
    ssize_t n = ::read(e[0], what, sizeof what);
    ::close(e[0]);
    if (n == static_cast<ssize_t>(sizeof what)) {
        throw run_error("ZPX1816E " + argv[0] +
                        (what[0] == 1   ? " CANNOT ENTER NETWORK NAMESPACE " + netns
                         : what[0] == 3 ? " CANNOT HAVE " + private_run.string() + " AS ITS /run"
                                        : " CANNOT BE RUN") +
                        ": " + std::strerror(what[1]));
    }
    return {pid, sysplex::process_start_time(pid)};
}

void start_recorded(operating::run_record& r, const fs::path& dir, const std::string& kind, const std::string& name,
                    const std::string& system, const std::vector<std::string>& argv, const std::string& netns,
                    const fs::path& log, const std::map<std::string, std::string>& env,
                    const fs::path& private_run) {
    sysplex::process_identity writer;
    auto id = start_detached(argv, netns, log, env, writer, private_run);
    auto rel = fs::relative(log, dir).string();
    r.processes.push_back({"writer", name, system, writer, rel});
    r.processes.push_back({kind, name, system, id, rel});
    save_run(dir, r);
}

job_launch procedure_launch(const sysplex::sysplex_config& cfg, const sysplex::image_config& image,
                            const sysplex::procedure_config& proc) {
    auto symbols = cfg.symbols_for(image);
    symbols["TCPIP"] = image.tcpip_proc;
    symbols["JOBNAME"] = proc.name;
    job_launch j;
    j.argv.push_back(program_path(proc.program).string());
    for (auto a : proc.args) {
        for (const auto& [k, v] : symbols) {
            std::string pat = "&" + k + ".";
            for (auto at = a.find(pat); at != std::string::npos; at = a.find(pat, at + v.size())) a.replace(at, pat.size(), v);
        }
        j.argv.push_back(a);
    }
    j.env = {{"ZPLEX_SYSNAME", image.name}, {"ZPLEX_SYSPLEX", cfg.name}, {"ZPLEX_JOBNAME", proc.name},
             {"ZPLEX_TCPIP", image.tcpip_proc}};
    return j;
}

int stop_processes(const std::vector<sysplex::process_identity>& ids, std::chrono::milliseconds grace) {
    int n = 0;
    for (const auto& id : ids)
        if (id.pid > 0 && sysplex::process_alive(id) && ::kill(id.pid, SIGTERM) == 0) ++n;
    if (!wait_gone(ids, grace)) {
        for (const auto& id : ids)
            if (id.pid > 0 && sysplex::process_alive(id)) ::kill(id.pid, SIGKILL);
        wait_gone(ids, std::chrono::seconds(2));
    }
    return n;
}

bool wait_gone(const std::vector<sysplex::process_identity>& ids, std::chrono::milliseconds wait) {
    auto until = std::chrono::steady_clock::now() + wait;
    for (;;) {
        bool any = false;
        for (const auto& id : ids) {
            if (id.pid <= 0) continue;
            int st;
            ::waitpid(id.pid, &st, WNOHANG);  // our own children (a failed up) are reaped here
            any = any || sysplex::process_alive(id);
        }
        if (!any) return true;
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::vector<fs::path> shm_objects(const std::string& name) {
    std::vector<fs::path> out;
    std::error_code ec;
    const std::string prefix = "zplex." + name + ".";
    for (const auto& e : fs::directory_iterator("/dev/shm", ec)) {
        if (e.path().filename().string().rfind(prefix, 0) != 0) continue;
        struct stat st {};
        if (::lstat(e.path().c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid())
            out.push_back(e.path());
    }
    return out;
}

fs::path resolve_run_dir(const std::string& given, const std::string& sysplex_dir) {
    if (!given.empty()) return fs::absolute(given);
    std::string name = "ZPLEX1";
    try {
        name = sysplex::catalogue::load(sysplex_dir, false).config().name;
    } catch (const std::exception&) {
    }
    return fs::absolute(operating::default_run_dir(name));
}

bool open_run(const std::string& run_dir, const std::string& sysplex_dir, fs::path& dir, operating::run_record& r,
              std::ostream& out) {
    dir = resolve_run_dir(run_dir, sysplex_dir);
    std::string why;
    if (operating::load_run(dir, r, why)) return true;
    out << why << "\n";
    return false;
}

fs::path stack_socket(const fs::path& dir, const std::string& system) {
    return tcpip::stack::control_socket(dir, system);
}

fs::path iked_socket(const fs::path& dir, const std::string& system) {
    return tcpip::stack::iked_socket(dir, system);
}

std::string tail(const fs::path& file, std::size_t n) {
    std::ifstream in(file);
    std::deque<std::string> lines;
    std::string l;
    while (std::getline(in, l)) {
        lines.push_back(l);
        if (lines.size() > n) lines.pop_front();
    }
    std::string out;
    for (const auto& x : lines) out += "  " + x + "\n";
    return out;
}

std::vector<std::string> stack_argv(const operating::run_record& r, const fs::path& dir, const sysplex::image_config& image) {
    std::vector<std::string> argv{program_path("zplex-tcpip").string(), "--sysplex", r.sysplex_dir.string(),
                                  "--system", image.name, "--run-dir", dir.string(), "--lan-netns",
                                  operating::netns_name(dir, "LAN"), "--bridge", "br0", "--image-netns",
                                  r.netns_of(image.name)->name};
    if (r.hercules) argv.push_back("--attach-image");
    return argv;
}

std::vector<std::string> iked_argv(const operating::run_record& r, const fs::path& dir, const sysplex::image_config& image) {
    return {program_path("zplex-iked").string(), "--sysplex", r.sysplex_dir.string(), "--system", image.name, "--run-dir",
            dir.string()};
}

fs::path iked_log(const fs::path& dir, const std::string& system) { return dir / "logs" / (system + ".IKED.log"); }

}  // namespace zplex::cli::run
