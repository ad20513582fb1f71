// SPDX-License-Identifier: Apache-2.0
// The run record (zplex/operating/run.hpp).
#include <zplex/operating/run.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace zplex::operating {

namespace fs = std::filesystem;

const run_process* run_record::find(std::string_view kind, std::string_view system, std::string_view name) const {
    for (const auto& p : processes)
        if (p.kind == kind && p.system == system && (name.empty() || p.name == name)) return &p;
    return nullptr;
}

const run_netns* run_record::netns_of(std::string_view owner) const {
    for (const auto& n : namespaces)
        if (n.owner == owner) return &n;
    return nullptr;
}

std::vector<const run_process*> run_record::alive() const {
    std::vector<const run_process*> out;
    for (const auto& p : processes)
        if (sysplex::process_alive(p.id)) out.push_back(&p);
    return out;
}

namespace {

/// A field of the record: no blanks, no line ends, not empty.
bool plain(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') return false;
    return true;
}

std::string field(const std::string& s) {
    if (!plain(s)) throw std::invalid_argument("run record field '" + s + "' is empty or has a blank");
    return s;
}

}  // namespace

std::string format_run(const run_record& r) {
    std::ostringstream o;
    o << "zplex-run 1\n";
    o << "sysplex " << field(r.sysplex) << " " << field(r.sysplex_dir.string()) << "\n";
    o << "mode " << (r.hercules ? "hercules" : "no-hercules") << "\n";
    o << "state " << field(r.state.empty() ? "starting" : r.state) << "\n";
    o << "up " << r.up.pid << " " << r.up.start_time << "\n";
    for (const auto& n : r.namespaces) o << "netns " << field(n.owner) << " " << field(n.name) << "\n";
    for (const auto& p : r.processes)
        o << "process " << field(p.kind) << " " << field(p.name) << " " << field(p.system.empty() ? "-" : p.system)
          << " " << p.id.pid << " " << p.id.start_time << " " << field(p.log.empty() ? "-" : p.log) << "\n";
    return o.str();
}

bool parse_run(std::string_view text, run_record& r, std::string& error) {
    r = run_record{};
    std::istringstream in{std::string(text)};
    std::string line;
    int n = 0;
    bool header = false;
    auto bad = [&](const std::string& why) {
        error = "ZPX1810E RUN RECORD LINE " + std::to_string(n) + ": " + why;
        return false;
    };
    while (std::getline(in, line)) {
        ++n;
        if (line.empty()) continue;
        std::istringstream f(line);
        std::string key;
        f >> key;
        if (!header) {
            int version = 0;
            if (key != "zplex-run" || !(f >> version) || version != 1) return bad("NOT A zplex RUN RECORD");
            header = true;
            continue;
        }
        std::string extra;
        if (key == "sysplex") {
            std::string dir;
            if (!(f >> r.sysplex >> dir)) return bad("sysplex NEEDS A NAME AND A FOLDER");
            r.sysplex_dir = dir;
        } else if (key == "mode") {
            std::string m;
            f >> m;
            if (m != "hercules" && m != "no-hercules") return bad("mode IS hercules OR no-hercules");
            r.hercules = m == "hercules";
        } else if (key == "state") {
            if (!(f >> r.state)) return bad("state NEEDS A VALUE");
        } else if (key == "up") {
            if (!(f >> r.up.pid >> r.up.start_time)) return bad("up NEEDS A PID AND A START TIME");
        } else if (key == "netns") {
            run_netns ns;
            if (!(f >> ns.owner >> ns.name)) return bad("netns NEEDS AN OWNER AND A NAME");
            r.namespaces.push_back(ns);
        } else if (key == "process") {
            run_process p;
            if (!(f >> p.kind >> p.name >> p.system >> p.id.pid >> p.id.start_time >> p.log) || p.id.pid <= 0)
                return bad("process NEEDS KIND, NAME, SYSTEM, PID, START TIME AND LOG");
            if (p.system == "-") p.system.clear();
            r.processes.push_back(p);
        } else {
            return bad("UNKNOWN ITEM '" + key + "'");
        }
        if (f >> extra) return bad("UNEXPECTED '" + extra + "' AT THE END");
    }
    if (!header) {
        n = 1;
        return bad("NOT A zplex RUN RECORD");
    }
    if (r.sysplex.empty()) return bad("NO sysplex LINE");
    return true;
}

bool load_run(const fs::path& dir, run_record& r, std::string& error) {
    int fd = ::open((dir / "run.rec").c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        error = errno == ENOENT ? "ZPX1811I NO SYSPLEX RUNS FROM " + dir.string()
                                : "ZPX1810E " + (dir / "run.rec").string() + " CANNOT BE READ: " + std::strerror(errno);
        return false;
    }
    std::string text;
    char buf[4096];
    ssize_t k;
    while ((k = ::read(fd, buf, sizeof buf)) > 0 && text.size() < (1u << 20)) text.append(buf, static_cast<std::size_t>(k));
    ::close(fd);
    return parse_run(text, r, error);
}

void save_run(const fs::path& dir, const run_record& r) {
    std::string text = format_run(r);
    fs::path tmp = dir / ("run.rec." + std::to_string(::getpid()));
    ::unlink(tmp.c_str());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot write " + tmp.string());
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ok = ::fsync(fd) == 0 && ok;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), (dir / "run.rec").c_str()) != 0) {
        int e = errno;
        ::unlink(tmp.c_str());
        throw std::system_error(e, std::generic_category(), "cannot write " + (dir / "run.rec").string());
    }
}

fs::path default_run_dir(const std::string& sysplex) {
    if (const char* e = std::getenv("ZPLEX_RUN_DIR"); e && *e) return e;
    if (::geteuid() == 0) return fs::path("/run/zplex") / sysplex;
    if (const char* x = std::getenv("XDG_RUNTIME_DIR"); x && *x) return fs::path(x) / "zplex" / sysplex;
    return fs::path("/tmp") / ("zplex-" + std::to_string(::geteuid())) / sysplex;
}

std::string netns_name(const fs::path& dir, const std::string& owner) {
    std::uint32_t h = 2166136261u;  // FNV-1a of the run directory
    for (unsigned char c : fs::absolute(dir).lexically_normal().string()) h = (h ^ c) * 16777619u;
    static const char* d = "0123456789abcdef";
    std::string hex;
    for (int i = 7; i >= 0; --i) hex += d[(h >> (4 * i)) & 15];
    std::string low;
    for (char c : owner) low += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return "zpx-" + hex + "-" + low;
}

}  // namespace zplex::operating
