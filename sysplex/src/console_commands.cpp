// SPDX-License-Identifier: Apache-2.0
// `zplex console`: an interactive operator console on a running sysplex. On a terminal a
// full screen (console_screen: title, held action messages, SYSLOG and responses,
// command line with history, IEE612I); the SYSLOG comes from `zplex syslog -f`, each
// command goes through `zplex cmd` for the console's CMDSYS, both children of the console
// read through pipes. Without a terminal it reads commands line by line and prints the
// responses (a console for scripts).
#include "commands.hpp"
#include "run_support.hpp"

#include <zplex/operating/console_screen.hpp>
#include <zplex/operating/run.hpp>
#include <zplex/sysplex/catalogue.hpp>
#include <zplex/sysplex/text.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <ctime>
#include <iostream>

namespace zplex::cli {

namespace fs = std::filesystem;
namespace op = zplex::operating;

namespace {

struct console_options {
    std::string run_dir, sysplex_dir = "profiles/FIG4", system;
};

/// A zplex child whose stdout and stderr come through a pipe.
struct child {
    pid_t pid = -1;
    int fd = -1;
    std::string pending;

    static child start(const std::vector<std::string>& args) {
        child c;
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0) return c;
        c.pid = ::fork();
        if (c.pid == 0) {
            int null = ::open("/dev/null", O_RDONLY);
            ::dup2(null, 0);
            ::dup2(p[1], 1);
            ::dup2(p[1], 2);
            std::vector<char*> a;
            std::string self = (run::exe_dir() / "zplex").string();
            a.push_back(self.data());
            for (const auto& s : args) a.push_back(const_cast<char*>(s.c_str()));
            a.push_back(nullptr);
            ::execv(a[0], a.data());
            ::_exit(127);
        }
        ::close(p[1]);
        if (c.pid < 0) {
            ::close(p[0]);
            return c;
        }
        c.fd = p[0];
        return c;
    }
    /// Complete lines read now; false once the output ended (the child is reaped).
    bool read_lines(std::vector<std::string>& out) {
        char buf[8192];
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            pending.append(buf, static_cast<std::size_t>(n));
            std::size_t nl;
            while ((nl = pending.find('\n')) != std::string::npos) {
                out.push_back(pending.substr(0, nl));
                pending.erase(0, nl + 1);
            }
            return true;
        }
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
        if (!pending.empty()) out.push_back(pending);
        pending.clear();
        end();
        return false;
    }
    void end() {
        if (fd >= 0) ::close(fd);
        fd = -1;
        if (pid > 0) {
            ::kill(pid, SIGTERM);  // our own child, by its PID
            ::waitpid(pid, nullptr, 0);
        }
        pid = -1;
    }
};

volatile std::sig_atomic_t g_resized = 0, g_stop = 0;
void on_winch(int) { g_resized = 1; }
void on_term(int) { g_stop = 1; }

std::string clock_now() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    return fmt::format("{:02}.{:02}.{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::vector<std::string> cmd_args(const fs::path& dir, const std::string& system, const std::string& command) {
    return {"cmd", "--run-dir", dir.string(), "--system", system, command};
}

/// Without a terminal: one command per input line, its response printed.
int line_console(const fs::path& dir, std::string system, const std::vector<std::string>& systems, const std::string& plex) {
    op::console_screen screen(plex, system);
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line.find_first_not_of(' ') == std::string::npos) continue;
        std::cout << system << " " << clock_now() << "          " << line << "\n";
        if (screen.local_command(line, systems)) {
            system = screen.cmdsys();
            std::cout << "IEE712I CONTROL   PROCESSING COMPLETE\n" << std::flush;
            continue;
        }
        auto c = child::start(cmd_args(dir, system, line));
        std::vector<std::string> out;
        while (c.fd >= 0 && c.read_lines(out)) {
        }
        for (const auto& l : out) std::cout << l << "\n";
        std::cout << std::flush;
    }
    return 0;
}

int do_console(const console_options& o) {
    fs::path dir;
    op::run_record r;
    if (!run::open_run(o.run_dir, o.sysplex_dir, dir, r, std::cout)) return 8;
    if (r.state == "down") {
        std::cout << fmt::format("ZPX1811I SYSPLEX {} IS DOWN (zplex up STARTS IT)\n", r.sysplex);
        return 8;
    }
    std::vector<std::string> systems;
    try {
        auto cat = sysplex::catalogue::load(r.sysplex_dir, false);
        for (const auto& im : cat.config().images) systems.push_back(im.name);
    } catch (const std::exception& e) {
        std::cout << e.what() << "\n";
        return 8;
    }
    if (systems.empty()) return 8;
    std::string system = o.system.empty() ? systems.front() : sysplex::upper(o.system);
    if (std::find(systems.begin(), systems.end(), system) == systems.end()) {
        std::cout << fmt::format("IEE345I CONSOLE NOT STARTED: SYSTEM {} IS NOT IN SYSPLEX {}\n", system, r.sysplex);
        return 8;
    }
    if (!::isatty(0) || !::isatty(1)) return line_console(dir, system, systems, r.sysplex);

    termios saved{};
    ::tcgetattr(0, &saved);
    termios raw = saved;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ISIG | IEXTEN);
    raw.c_iflag &= ~static_cast<tcflag_t>(IXON | ICRNL);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    ::tcsetattr(0, TCSANOW, &raw);
    std::signal(SIGWINCH, on_winch);
    std::signal(SIGTERM, on_term);
    std::signal(SIGHUP, on_term);
    std::cout << "\033[?1049h" << std::flush;  // the alternate screen, as a full-screen console

    op::console_screen screen(r.sysplex, system);
    auto log = child::start({"syslog", "-f", "--run-dir", dir.string()});
    child cmd;
    std::string keys;
    auto draw = [&] {
        winsize ws{};
        std::size_t rows = 24, cols = 80;
        if (::ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) rows = ws.ws_row, cols = ws.ws_col;
        auto lines = screen.render(rows, cols, clock_now());
        std::string out = "\033[H";
        for (std::size_t i = 0; i < lines.size(); ++i) {
            bool title = i == 0;
            out += (title ? "\033[7m" : "") + lines[i] + (title ? "\033[0m" : "") + "\033[K";
            if (i + 1 < lines.size()) out += "\r\n";
        }
        out += fmt::format("\033[{};{}H", rows - 1, std::min(screen.cursor_column() + 1, cols));
        (void)!::write(1, out.data(), out.size());
    };
    draw();
    auto last_draw = std::chrono::steady_clock::now();
    while (!screen.ended() && !g_stop) {
        std::vector<pollfd> fds{{0, POLLIN, 0}};
        if (log.fd >= 0) fds.push_back({log.fd, POLLIN, 0});
        if (cmd.fd >= 0) fds.push_back({cmd.fd, POLLIN, 0});
        int n = ::poll(fds.data(), fds.size(), 1000);
        bool changed = g_resized != 0;
        g_resized = 0;
        if (n > 0) {
            for (const auto& f : fds) {
                if (!(f.revents & (POLLIN | POLLHUP | POLLERR))) continue;
                if (f.fd == 0) {
                    char buf[256];
                    ssize_t k = ::read(0, buf, sizeof buf);
                    if (k <= 0) {
                        screen.press(op::console_screen::key::end_console);
                        break;
                    }
                    keys.append(buf, static_cast<std::size_t>(k));
                } else {
                    std::vector<std::string> lines;
                    child& c = f.fd == log.fd ? log : cmd;
                    bool is_log = &c == &log;
                    c.read_lines(lines);
                    for (const auto& l : lines) is_log ? screen.syslog(l) : screen.message(" " + l);
                }
                changed = true;
            }
        }
        // Keys: escape sequences for the arrows, page keys and F3; control keys.
        using key = op::console_screen::key;
        while (!keys.empty()) {
            unsigned char c = static_cast<unsigned char>(keys[0]);
            std::size_t used = 1;
            if (c == 0x1b) {
                static const std::pair<const char*, key> seqs[] = {
                    {"\033[A", key::up},        {"\033[B", key::down},       {"\033OA", key::up},
                    {"\033OB", key::down},      {"\033[5~", key::page_up},   {"\033[6~", key::page_down},
                    {"\033OR", key::end_console}, {"\033[13~", key::end_console}};
                bool matched = false, partial = false;
                for (const auto& [s, k] : seqs) {
                    std::string_view sv(s);
                    if (keys.compare(0, sv.size(), sv) == 0) {
                        screen.press(k);
                        used = sv.size();
                        matched = true;
                        break;
                    }
                    partial = partial || (keys.size() < sv.size() && sv.substr(0, keys.size()) == keys);
                }
                if (!matched && partial) break;  // the rest of the sequence is still coming
                if (!matched) {
                    // An unknown sequence: skip ESC [ ... final byte.
                    used = 1;
                    if (keys.size() > 1 && (keys[1] == '[' || keys[1] == 'O')) {
                        used = 2;
                        while (used < keys.size() && !(keys[used] >= 0x40 && keys[used] <= 0x7e)) ++used;
                        used = std::min(used + 1, keys.size());
                    }
                }
            } else if (c == '\r' || c == '\n') {
                std::string command = screen.press(key::enter);
                if (!command.empty()) {
                    screen.message(screen.cmdsys() + std::string(9 - std::min<std::size_t>(8, screen.cmdsys().size()), ' ') +
                                   clock_now() + "          " + command);
                    if (!screen.local_command(command, systems)) {
                        if (cmd.fd >= 0) cmd.end();  // one command at a time, as a console takes them
                        cmd = child::start(cmd_args(dir, screen.cmdsys(), command));
                    }
                }
            } else if (c == 0x7f || c == 0x08) {
                screen.press(key::backspace);
            } else if (c == 0x03 || c == 0x04) {
                screen.press(key::end_console);  // Ctrl-C, Ctrl-D
            } else if (c == 0x0c) {
                std::cout << "\033[2J" << std::flush;  // Ctrl-L: redraw
            } else {
                screen.type(static_cast<char>(c));
            }
            keys.erase(0, used);
            changed = true;
        }
        auto now = std::chrono::steady_clock::now();
        if (changed || now - last_draw >= std::chrono::seconds(1)) {
            draw();
            last_draw = now;
        }
    }
    log.end();
    cmd.end();
    std::cout << "\033[?1049l" << std::flush;
    ::tcsetattr(0, TCSANOW, &saved);
    return 0;
}

}  // namespace

void add_console_commands(CLI::App& app, exit_status& status) {
    auto o = std::make_shared<console_options>();
    auto* c = app.add_subcommand("console", "An interactive operator console: SYSLOG, held messages, a command line with "
                                            "history (K V,CMDSYS=sys routes it; F3, Ctrl-C or Ctrl-D leaves)");
    c->add_option("--run-dir", o->run_dir, "Run directory of the sysplex");
    c->add_option("--sysplex", o->sysplex_dir, "Sysplex folder (names the default run directory)");
    c->add_option("--system", o->system, "The system commands go to first (default: the first image)");
    c->callback([o, &status] { status.code = do_console(*o); });
}

}  // namespace zplex::cli
