// SPDX-License-Identifier: Apache-2.0
// The HMC's LOAD of one image of a running sysplex (image_ipl.hpp), for `zplex image ipl
// NAME` and ZPXFAULT's `IPL sys`. Under Hercules the image's own Hercules (the LPAR) IPLs
// the nucleus again, a new incarnation of the system joins the sysplex, and what the
// system's start brings up follows: its TCP/IP stack (the old one, fenced, ends first)
// and the AUTOLOG procedures of its profile. A VIPADEFINE owner takes its DVIPAs back
// (MOVEABLE IMMEDIATE): EZZ8303I on the backup, EZZ8302I on it. Without Hercules the
// stack is started again.
#include "image_ipl.hpp"
#include "up_steps.hpp"

#include <zplex/hercules/image.hpp>
#include <zplex/operating/run.hpp>
#include <zplex/sysplex/catalogue.hpp>
#include <zplex/sysplex/process.hpp>
#include <zplex/sysplex/text.hpp>
#include <zplex/xcf/xcf.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <ostream>
#include <sstream>
#include <thread>

namespace zplex::cli::run {

namespace op = zplex::operating;

namespace {

std::size_t count_of(const fs::path& file, const std::string& text) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string s = ss.str();
    std::size_t n = 0;
    for (auto at = s.find(text); at != std::string::npos; at = s.find(text, at + 1)) ++n;
    return n;
}

/// True if system @p name is active in the sysplex of @p cat (an attach succeeds).
bool system_active(const sysplex::catalogue& cat, const op::run_record& r, const std::string& name) {
    xcf::sysplex_options xo;
    xo.sysplex = cat.config().name;
    xo.interval = cat.config().xcf.interval;
    std::ifstream kf(r.sysplex_dir / cat.config().xcf.sysplex_key_file);
    std::stringstream ks;
    ks << kf.rdbuf();
    if (!xcf::parse_key(ks.str(), xo.key)) return false;
    std::unique_ptr<xcf::system> sys;
    return static_cast<bool>(xcf::system::attach(xo, name, sys));
}

/// Wait until @p log holds more than @p before join lines of the image's nucleus.
bool wait_nucleus(const fs::path& dir, const std::string& name, std::size_t before, std::chrono::seconds wait) {
    const std::string joined = " MEMBER " + name + " JOINED GROUP ZPXIMAGE";
    auto until = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < until) {
        if (count_of(dir / "hercules.log", joined) > before) return true;
        if (hercules::running_pid(dir) <= 0) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

}  // namespace

int ipl_image(const ipl_options& o, std::ostream& out) {
    auto t0 = std::chrono::steady_clock::now();
    fs::path dir;
    op::run_record r;
    if (!run::open_run(o.run_dir, o.sysplex_dir, dir, r, out)) return 8;
    if (r.state != "up") {
        out << fmt::format("ZPX1811I SYSPLEX {} IS {} (zplex up STARTS IT)\n", r.sysplex,
                                 r.state == "down" ? "DOWN" : "NOT UP: " + r.state);
        return 8;
    }
    if (::geteuid() != 0) {
        out << "ZPX1818E zplex image ipl NEEDS ROOT: THE STACK ENTERS THE RUN'S NAMESPACES\n";
        return 12;
    }
    run::dir_lock lock(dir);
    if (!lock.held()) {
        out << "ZPX1813E ANOTHER zplex IS CHANGING THE RUN IN " << dir.string() << ": TRY AGAIN\n";
        return 8;
    }
    std::string why;
    op::load_run(dir, r, why);  // as it is now, under the lock
    std::optional<sysplex::catalogue> cat;
    try {
        cat.emplace(sysplex::catalogue::load(r.sysplex_dir));
    } catch (const sysplex::catalogue_error& e) {
        out << e.what() << "\n";
        return 8;
    }
    const std::string name = sysplex::upper(o.name);
    const auto* im = cat->config().find_image(name);
    if (!im) {
        out << fmt::format("ZPX1841E IMAGE {} IS NOT IN SYSPLEX {}\n", name, r.sysplex);
        return 8;
    }
    const auto* old_stack = r.find("tcpip", name);
    bool stack_alive = old_stack && sysplex::process_alive(old_stack->id);
    // XCF refuses a second system of the same name, as it refuses an IPL of a system
    // that is still active: stop its CPU (or V XCF,sys,OFFLINE) first.
    if ((r.hercules || stack_alive) && system_active(*cat, r, name)) {
        out << fmt::format("IXC203I {} IS CURRENTLY ACTIVE IN THE SYSPLEX\n", name)
                  << fmt::format("ZPX1841E {} IS NOT RE-IPLED: STOP ITS CPU (zplex cmd --system {} --hercules stop) OR "
                                 "V XCF,{},OFFLINE FIRST\n",
                                 name, name, name);
        return 8;
    }
    try {
        auto plans = run::plan_images(*cat);
        auto plan = std::find_if(plans.begin(), plans.end(), [&](const auto& p) { return p.image->name == name; });
        out << fmt::format("ZPX1840I IPL OF {} IN SYSPLEX {}{}\n", name, r.sysplex,
                                 r.hercules ? ": THE NUCLEUS UNDER ITS HERCULES" : ": ITS STACK ON A SYSTEM OF ITS OWN");

        // What ran in the system before: its jobs and its (fenced) stack end with it.
        std::vector<sysplex::process_identity> old;
        for (const auto& p : r.processes)
            if (p.system == name && (p.kind == "autolog" || p.kind == "tcpip") && sysplex::process_alive(p.id))
                old.push_back(p.id);
        int stopped = run::stop_processes(old, std::chrono::seconds(5));
        auto ended = [&](const op::run_process& p) {
            return p.system == name && p.kind != "hercules" && !sysplex::process_alive(p.id);
        };
        r.processes.erase(std::remove_if(r.processes.begin(), r.processes.end(), ended), r.processes.end());
        if (stopped) out << fmt::format("ZPX1843I {} PROCESSES OF THE PREVIOUS IPL OF {} ENDED\n", stopped, name);

        if (r.hercules) {
            const fs::path idir = dir / "images" / name;
            const std::string joined = " MEMBER " + name + " JOINED GROUP ZPXIMAGE";
            const fs::path module_dir = run::exe_dir().parent_path() / "lib" / "hercules";
            std::size_t before = count_of(idir / "hercules.log", joined);
            if (hercules::running_pid(idir) > 0) {
                // The LPAR stays: its CPU is stopped and the nucleus loaded again.
                hercules::console_command(idir, "stop", std::chrono::milliseconds(1500));
                auto a = hercules::console_command(idir, "ipl " + (module_dir / "nucleus.ins").string(),
                                                   std::chrono::milliseconds(3000));
                if (a.what != hercules::console_answer::status::ok)
                    throw run_error("ZPX1841E THE CONSOLE OF " + name + " DID NOT TAKE THE IPL: " + hercules::to_string(a, name));
            } else {
                // Its Hercules ended (V XCF,sys,OFFLINE): a new one, on its old console port if free.
                r.processes.erase(std::remove_if(r.processes.begin(), r.processes.end(),
                                                 [&](const op::run_process& p) {
                                                     return p.system == name && !sysplex::process_alive(p.id);
                                                 }),
                                  r.processes.end());
                auto io = hercules::options_from_catalogue(*cat, name);
                io.dir = idir;
                io.module_dir = module_dir;
                std::uint16_t port = hercules::http_port_of(idir);
                io.http_port = hercules::free_port(31000, 31999, port ? port : 31000);
                if (io.http_port == 0) throw run_error("ZPX1841E NO FREE CONSOLE PORT IN 31000-31999 FOR " + name);
                std::string err;
                if (run::start_image(r, dir, io, err) < 0) throw run_error("ZPX1841E IMAGE " + name + " DID NOT START: " + err);
            }
            if (!wait_nucleus(idir, name, before, std::chrono::seconds(20)))
                throw run_error("ZPX1841E " + name + "'S NUCLEUS DID NOT JOIN THE SYSPLEX; ITS LOG:\n" +
                                run::tail(idir / "hercules.log", 8));
            const auto* h = r.find("hercules", name);
            out << fmt::format("ZPX1805I IMAGE {} IPLED UNDER HERCULES (PID {}, CONSOLE 127.0.0.1:{})\n", name,
                                     h ? h->id.pid : 0, hercules::http_port_of(idir));
        }

        // The system's start: its stack, then its AUTOLOG procedures.
        const fs::path log = dir / "logs" / (name + "." + im->tcpip_proc + ".log");
        run::start_recorded(r, dir, "tcpip", im->tcpip_proc, name, run::stack_argv(r, dir, *im), "", log);
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(o.wait_s);
        const auto* proc = r.find("tcpip", name);
        while (!run::stack_ready(run::stack_socket(dir, name), plan->defines)) {
            if (!proc || !sysplex::process_alive(proc->id))
                throw run_error("ZPX1841E " + im->tcpip_proc + " ON " + name + " ENDED; ITS LOG:\n" + run::tail(log, 8));
            if (std::chrono::steady_clock::now() >= until)
                throw run_error(fmt::format("ZPX1841E {} ON {} DID NOT JOIN WITH ITS DVIPAS WITHIN {} S", im->tcpip_proc, name,
                                            o.wait_s));
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        std::string defs;
        for (const auto& d : plan->defines) defs += (defs.empty() ? "" : " ") + d;
        out << fmt::format("ZPX1806I {} ON {} JOINED THE SYSPLEX (PID {}){}\n", im->tcpip_proc, name, proc->id.pid,
                                 defs.empty() ? "" : ", OWNS " + defs);
        int jobs = 0, missing = 0;
        for (const auto& pname : plan->autolog) {
            const auto* pc = cat->config().find_procedure(pname);
            if (!pc) {
                out << "IEFC612I PROCEDURE " << pname << " WAS NOT FOUND (AUTOLOG OF " << im->tcpip_proc << " ON "
                          << name << ")\n";
                ++missing;
                continue;
            }
            auto job = run::procedure_launch(cat->config(), *im, *pc);
            run::start_recorded(r, dir, "autolog", pc->name, name, job.argv, r.netns_of(name)->name,
                                dir / "logs" / (name + "." + pc->name + ".log"), job.env);
            ++jobs;
        }
        auto jobs_until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        for (const auto& p : r.processes) {
            if (p.kind != "autolog" || p.system != name) continue;
            while (sysplex::process_alive(p.id) && !run::listens(p.id.pid) && std::chrono::steady_clock::now() < jobs_until)
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        out << fmt::format("ZPX1807I AUTOLOG: {} PROCEDURES STARTED{}\n", jobs,
                                 missing ? fmt::format(", {} NOT FOUND", missing) : "");
        save_run(dir, r);
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        out << fmt::format("ZPX1842I {} IS IPLED IN {:.1f} S: zplex cmd 'D TCPIP,,SYSPLEX,VIPADYN', zplex syslog\n",
                                 name, s);
        return missing ? 4 : 0;
    } catch (const std::exception& e) {
        save_run(dir, r);
        out << e.what() << "\n";
        return 12;
    }
}

}  // namespace zplex::cli::run
