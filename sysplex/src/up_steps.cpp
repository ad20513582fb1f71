// SPDX-License-Identifier: Apache-2.0
// The per-image steps of `zplex up` and `zplex image ipl` (up_steps.hpp).
#include "up_steps.hpp"

#include <zplex/sysplex/line_socket.hpp>
#include <zplex/tcpip/profile/parser.hpp>

#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

namespace zplex::cli::run {

namespace tp = zplex::tcpip::profile;

std::vector<image_plan> plan_images(const sysplex::catalogue& cat) {
    std::vector<image_plan> out;
    for (const auto& im : cat.config().images) {
        tp::parse_options po;
        po.symbols = cat.config().symbols_for(im);
        po.reader = tp::catalogue_reader(cat.datasets());
        tp::message_log log;
        auto prof = tp::process_initial_profile(im.profile_dsn, po, log);
        if (log.return_code() > 4) {
            std::string msgs;
            for (const auto& m : log.messages())
                if (m.str().find('E') != std::string::npos) msgs += "\n  " + m.str();
            throw run_error("ZPX1817E THE PROFILE " + im.profile_dsn + " OF " + im.name + " HAS ERRORS:" + msgs);
        }
        image_plan p;
        p.image = &im;
        for (const auto& d : prof.dvipas)
            if (d.origin == tp::vipa_origin::define) p.defines.push_back(d.address.str());
        for (const auto& a : prof.autolog) p.autolog.push_back(a.proc);
        out.push_back(std::move(p));
    }
    return out;
}

bool listens(int pid) {
    std::set<std::string> inodes;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
        auto t = fs::read_symlink(e.path(), ec).string();
        if (t.rfind("socket:[", 0) == 0) inodes.insert(t.substr(8, t.size() - 9));
    }
    for (const char* table : {"/net/tcp", "/net/tcp6"}) {
        std::ifstream in("/proc/" + std::to_string(pid) + table);
        std::string line;
        std::getline(in, line);
        while (std::getline(in, line)) {
            std::istringstream f(line);
            std::string sl, local, remote, st, queues, tr, retr, uid, timeout, inode;
            if (f >> sl >> local >> remote >> st >> queues >> tr >> retr >> uid >> timeout >> inode && st == "0A" &&
                inodes.count(inode))
                return true;
        }
    }
    return false;
}

std::string ask(const fs::path& sock, const std::string& line) {
    try {
        return sysplex::line_request(sock.string(), line, std::chrono::seconds(3));
    } catch (const std::exception&) {
        return {};
    }
}

bool stack_ready(const fs::path& sock, const std::vector<std::string>& defines) {
    auto sys = ask(sock, "D TCPIP,,SYSPLEX,VIPADYN");
    if (sys.empty() || sys.rfind("EZZ8269I", 0) == 0) return false;
    auto dyn = ask(sock, "NETSTAT VIPADYN");
    for (const auto& d : defines) {
        bool active = false;
        std::istringstream in(dyn);
        std::string line;
        while (std::getline(in, line))
            active = active || (line.rfind("  " + d + " ", 0) == 0 && line.find(" Active ") != std::string::npos);
        if (!active) return false;
    }
    return true;
}

int start_image(operating::run_record& r, const fs::path& dir, hercules::image_options& io, std::string& error) {
    try {
        ensure_private_dir(io.dir);
        sysplex::process_identity writer;
        const fs::path log = io.dir / "hercules.log";
        int fd = start_log_writer(log, writer);
        io.output_fd = fd;
        int pid = hercules::start(io, error);
        ::close(fd);
        io.output_fd = -1;
        auto rel = fs::relative(log, dir).string();
        r.processes.push_back({"writer", io.name, io.name, writer, rel});
        if (pid > 0) r.processes.push_back({"hercules", io.name, io.name, {pid, sysplex::process_start_time(pid)}, rel});
        save_run(dir, r);
        return pid;
    } catch (const run_error& e) {
        error = e.what();
        return -1;
    }
}

}  // namespace zplex::cli::run
