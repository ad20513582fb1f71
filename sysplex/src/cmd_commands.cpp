// SPDX-License-Identifier: Apache-2.0
// `zplex cmd`: an MCS console on a running sysplex (commands routed to the stack, XCF,
// the CFs, the AUTOLOG jobs, the z/OS UNIX ipsec command, the image's Hercules console);
// `zplex syslog`: one SYSLOG of every component's log; `zplex exec`: a program in an
// image's or a LAN host's network namespace.
#include "commands.hpp"
#include "up_ipsec.hpp"
#include "console.hpp"
#include "run_support.hpp"

#include <zplex/cf/cf_server.hpp>
#include <zplex/hercules/image.hpp>
#include <zplex/operating/command.hpp>
#include <zplex/operating/run.hpp>
#include <zplex/sysplex/catalogue.hpp>
#include <zplex/sysplex/line_socket.hpp>
#include <zplex/sysplex/process.hpp>
#include <zplex/sysplex/text.hpp>
#include <zplex/xcf/xcf.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace zplex::cli {

namespace fs = std::filesystem;
namespace op = zplex::operating;
using sysplex::upper;

namespace {

struct cmd_options {
    std::string run_dir, sysplex_dir = "profiles/FIG4", system, uss, hercules, command;
};

int do_cmd(const cmd_options& o) {
    answer why;
    auto c = console::open(o.run_dir, o.sysplex_dir, why);
    if (!c) {
        std::cout << why.text;
        return why.rc;
    }
    std::string system = o.system.empty() ? c->systems.front() : upper(o.system);
    if (!c->image(system)) {
        std::cout << fmt::format("IEE345I ROUTE COMMAND NOT EXECUTED: SYSTEM {} IS NOT IN SYSPLEX {}\n", system, c->r.sysplex);
        return 8;
    }
    int given = !o.uss.empty() + !o.hercules.empty() + !o.command.empty();
    if (given != 1) {
        std::cout << "ZPX1853E GIVE ONE OF: A COMMAND, --uss 'ipsec ...' OR --hercules 'COMMAND'\n";
        return 8;
    }
    if (!o.hercules.empty()) {
        if (!c->r.hercules) {
            std::cout << fmt::format("ZPX1854I {} DOES NOT RUN UNDER HERCULES IN THIS RUN (zplex up --no-hercules)\n", system);
            return 8;
        }
        auto a = hercules::console_command(c->dir / "images" / system, o.hercules);
        std::cout << (a.what == hercules::console_answer::status::ok ? with_newline(a.text)
                                                                     : with_newline(hercules::to_string(a, system)));
        return a.what == hercules::console_answer::status::ok ? 0 : 12;
    }
    if (!o.uss.empty()) {
        auto a = c->uss(o.uss, system);
        std::cout << a.text;
        return a.rc;
    }
    auto rt = op::route(o.command);
    auto a = c->execute(rt, system);
    std::cout << a.text;
    return a.rc;
}

// ---------------------------------------------------------------- SYSLOG

struct log_source {
    fs::path file;
    std::string system, job;
    bool stamped = true;
    std::streamoff offset = 0;
};

std::vector<log_source> log_sources(const fs::path& dir, const op::run_record& r) {
    std::vector<log_source> out;
    std::set<std::string> seen;
    for (const auto& p : r.processes) {
        if (p.kind == "writer" || !seen.insert(p.log).second) continue;
        log_source s;
        s.file = dir / p.log;
        s.system = p.system.empty() ? p.name : p.system;
        s.job = p.kind == "hercules" ? "HERCULES" : p.name;
        s.stamped = p.kind != "hercules";
        out.push_back(s);
    }
    return out;
}

/// "YYYY-MM-DD HH:MM:SS.mmm " at the start of @p line.
bool has_stamp(const std::string& line) {
    if (line.size() < run::stamp_size) return false;
    static const char* shape = "dddd-dd-dd dd:dd:dd.ddd ";
    for (std::size_t i = 0; i < run::stamp_size; ++i) {
        bool digit = line[i] >= '0' && line[i] <= '9';
        if (shape[i] == 'd' ? !digit : line[i] != shape[i]) return false;
    }
    return true;
}

/// One SYSLOG line: N 0000000 SYSNAME YYDDD HH:MM:SS.TH JOBNAME 00000090  text.
std::string syslog_line(const std::string& stamp, const log_source& s, std::string text) {
    int y = std::stoi(stamp.substr(0, 4)), m = std::stoi(stamp.substr(5, 2)), d = std::stoi(stamp.substr(8, 2));
    static const int cum[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    int doy = cum[(m - 1) % 12] + d + ((m > 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) ? 1 : 0);
    // A CF's own console time (hh.mm.ss) is already in the stamp.
    if (text.size() > 9 && text[2] == '.' && text[5] == '.' && text[8] == ' ') text = text.substr(9);
    return fmt::format("N 0000000 {:<8} {:02}{:03} {}.{} {:<8} 00000090  {}", s.system.substr(0, 8), y % 100, doy,
                       stamp.substr(11, 8), stamp.substr(20, 2), s.job.substr(0, 8), text);
}

std::string file_stamp(const fs::path& f) {
    struct stat st {};
    std::time_t t = ::stat(f.c_str(), &st) == 0 ? st.st_mtime : std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.000 ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                       tm.tm_min, tm.tm_sec);
}

/// New complete lines of @p s since its offset, as (stamp, SYSLOG line).
std::vector<std::pair<std::string, std::string>> read_new(log_source& s) {
    std::vector<std::pair<std::string, std::string>> out;
    std::ifstream in(s.file, std::ios::binary);
    if (!in) return out;
    in.seekg(s.offset);
    std::string line;
    std::string fallback = s.stamped ? std::string() : file_stamp(s.file);
    while (std::getline(in, line)) {
        if (in.eof()) break;  // a line still being written
        s.offset = in.tellg();
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::string stamp, text;
        if (has_stamp(line)) {
            stamp = line.substr(0, run::stamp_size);
            text = line.substr(run::stamp_size);
        } else {
            stamp = fallback.empty() ? file_stamp(s.file) : fallback;
            text = line;
        }
        if (text.empty()) continue;
        out.emplace_back(stamp, syslog_line(stamp, s, text));
    }
    return out;
}

volatile std::sig_atomic_t g_stop = 0;
void on_stop(int) { g_stop = 1; }

int do_syslog(const std::string& run_dir, const std::string& sysplex_dir, const std::string& system, bool follow) {
    fs::path dir;
    op::run_record r;
    if (!run::open_run(run_dir, sysplex_dir, dir, r, std::cout)) return 8;
    auto sources = log_sources(dir, r);
    if (!system.empty())
        sources.erase(std::remove_if(sources.begin(), sources.end(),
                                     [&](const log_source& s) { return !sysplex::iequal(s.system, system); }),
                      sources.end());
    std::vector<std::pair<std::string, std::string>> all;
    for (auto& s : sources) {
        auto lines = read_new(s);
        all.insert(all.end(), lines.begin(), lines.end());
    }
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& l : all) std::cout << l.second << "\n";
    std::cout << std::flush;
    if (!follow) return 0;
    std::signal(SIGINT, on_stop);
    std::signal(SIGTERM, on_stop);
    while (!g_stop) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        std::vector<std::pair<std::string, std::string>> fresh;
        for (auto& s : sources) {
            auto lines = read_new(s);
            fresh.insert(fresh.end(), lines.begin(), lines.end());
        }
        std::stable_sort(fresh.begin(), fresh.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        for (const auto& l : fresh) std::cout << l.second << "\n";
        std::cout << std::flush;
    }
    return 0;
}

// ---------------------------------------------------------------- exec

int do_exec(const std::string& run_dir, const std::string& sysplex_dir, const std::string& name,
            const std::vector<std::string>& command) {
    fs::path dir;
    op::run_record r;
    if (!run::open_run(run_dir, sysplex_dir, dir, r, std::cerr)) return 8;
    const auto* ns = r.netns_of(upper(name));
    if (!ns || r.state == "down") {
        std::string names;
        for (const auto& n : r.namespaces) names += " " + n.owner;
        std::cerr << fmt::format("ZPX1857E NO NAMESPACE {} IN THE RUN OF {} ({}); THERE ARE:{}\n", upper(name), r.sysplex,
                                 r.state, names);
        return 8;
    }
    int fd = ::open(("/run/netns/" + ns->name).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
        std::cerr << fmt::format("ZPX1857E CANNOT ENTER NAMESPACE {} OF {}: {}\n", ns->name, ns->owner, std::strerror(errno));
        return 12;
    }
    ::close(fd);
    // An IPsec peer's charon has a /run of its own: the host's commands (swanctl) see it.
    std::error_code ec;
    if (auto pr = run::peer_run_dir(dir, ns->owner); fs::is_directory(fs::symlink_status(pr, ec)) &&
                                                      !run::enter_private_run(pr)) {
        std::cerr << fmt::format("ZPX1857E CANNOT ENTER THE /run OF {} ({}): {}\n", ns->owner, pr.string(),
                                 std::strerror(errno));
        return 12;
    }
    std::vector<char*> argv;
    for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    std::cerr << fmt::format("ZPX1858E {} CANNOT BE RUN IN {}: {}\n", command.front(), ns->owner, std::strerror(errno));
    return 127;
}

}  // namespace

void add_cmd_commands(CLI::App& app, exit_status& status) {
    auto o = std::make_shared<cmd_options>();
    auto* cmd = app.add_subcommand("cmd", "An operator command, routed as an MCS console routes it (D TCPIP, V TCPIP, D XCF, "
                                          "SETXCF, D CF, RO, S, P, V XCF)");
    cmd->add_option("--run-dir", o->run_dir, "Run directory of the sysplex");
    cmd->add_option("--sysplex", o->sysplex_dir, "Sysplex folder (names the default run directory)");
    cmd->add_option("--system", o->system, "The console's system (default: the first image)");
    cmd->add_option("--uss", o->uss, "A z/OS UNIX command on the system: ipsec ...");
    cmd->add_option("--hercules", o->hercules, "A command for the image's Hercules console (stop, start, psw ...)");
    cmd->add_option("command", o->command, "The command, e.g. 'D TCPIP,TCPIPA,NETSTAT,VIPADYN'");
    cmd->callback([o, &status] { status.code = do_cmd(*o); });

    auto sl_dir = std::make_shared<std::string>();
    auto sl_plex = std::make_shared<std::string>("profiles/FIG4");
    auto sl_sys = std::make_shared<std::string>();
    auto sl_follow = std::make_shared<bool>(false);
    auto* sl = app.add_subcommand("syslog", "One SYSLOG of every component of the run, in z/OS form");
    sl->add_option("--run-dir", *sl_dir, "Run directory of the sysplex");
    sl->add_option("--sysplex", *sl_plex, "Sysplex folder (names the default run directory)");
    sl->add_option("--system", *sl_sys, "Only this system's (or CF's) messages");
    sl->add_flag("-f,--follow", *sl_follow, "Go on printing new messages until interrupted");
    sl->callback([=, &status] { status.code = do_syslog(*sl_dir, *sl_plex, *sl_sys, *sl_follow); });

    auto ex_dir = std::make_shared<std::string>();
    auto ex_plex = std::make_shared<std::string>("profiles/FIG4");
    auto ex_name = std::make_shared<std::string>();
    auto ex_cmd = std::make_shared<std::vector<std::string>>();
    auto* ex = app.add_subcommand("exec", "Run a command in the network namespace of a LAN host or an image: exec NAME -- CMD...");
    ex->add_option("--run-dir", *ex_dir, "Run directory of the sysplex");
    ex->add_option("--sysplex", *ex_plex, "Sysplex folder (names the default run directory)");
    ex->add_option("name", *ex_name, "CLIENT1, MVS1, LAN ...")->required();
    ex->add_option("command", *ex_cmd, "The command and its arguments (after --)")->required();
    ex->callback([=, &status] { status.code = do_exec(*ex_dir, *ex_plex, *ex_name, *ex_cmd); });
}

}  // namespace zplex::cli
