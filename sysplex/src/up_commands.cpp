// SPDX-License-Identifier: Apache-2.0
// `zplex up`, `zplex down`, `zplex status`: bring a sysplex up in network namespaces
// (LAN bridge, a namespace per image and per LAN host), its CFs, its images (under
// Hercules, or each stack on an XCF system of its own), their stacks and the AUTOLOG
// procedures of their profiles; stop all of it by recorded PID; show what runs.
#include "commands.hpp"
#include "run_support.hpp"
#include "up_ipsec.hpp"
#include "up_steps.hpp"

#include <zplex/cf/cf_server.hpp>
#include <zplex/hercules/image.hpp>
#include <zplex/operating/run.hpp>
#include <zplex/sysplex/catalogue.hpp>
#include <zplex/sysplex/line_socket.hpp>

#include <fmt/format.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

namespace zplex::cli {

namespace fs = std::filesystem;
using operating::run_netns;
using operating::run_process;
using operating::run_record;
using run::image_plan;
using run::run_error;

namespace {

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return s;
}

/// One line per step; on a terminal also a bar under the lines, redrawn.
class progress {
public:
    explicit progress(int total) : _total(total), _tty(::isatty(1) == 1) {}
    void step(const std::string& line) {
        ++_done;
        if (_tty) std::cout << "\r\033[K";
        std::cout << line << "\n";
        if (_tty) {
            int width = 30, fill = _total ? width * std::min(_done, _total) / _total : width;
            std::cout << "[" << std::string(static_cast<std::size_t>(fill), '#')
                      << std::string(static_cast<std::size_t>(width - fill), '.') << "] " << _done << "/" << _total;
        }
        std::cout << std::flush;
    }
    void note(const std::string& line) {
        if (_tty) std::cout << "\r\033[K";
        std::cout << line << "\n" << std::flush;
    }
    void finish() {
        if (_tty) std::cout << "\r\033[K" << std::flush;
    }

private:
    int _total, _done = 0;
    bool _tty;
};

/// Everything `down` and the sweep do, for the record @p r of the run in @p dir.
struct teardown_report {
    int processes = 0, namespaces = 0, shm = 0;
};

teardown_report teardown(const fs::path& dir, run_record& r) {
    teardown_report t;
    // IPsec peers and AUTOLOG jobs first, then the IKEDs and the stacks, the images, the
    // CFs (the reverse of up).
    for (const char* kind : {"peer", "autolog", "iked", "tcpip", "hercules", "cf", "writer"}) {
        std::vector<sysplex::process_identity> ids;
        for (const auto& p : r.processes) {
            if (p.kind != kind || !sysplex::process_alive(p.id)) continue;
            if (p.kind == "hercules") {
                // The image leaves the sysplex as V XCF,sys,OFFLINE would; its PID file says whose it is.
                hercules::stop(dir / "images" / p.name, std::chrono::milliseconds(3000));
                ++t.processes;
                continue;
            }
            ids.push_back(p.id);
        }
        if (std::string(kind) == "writer") {
            run::wait_gone(ids, std::chrono::seconds(2));  // they end when their program's output ends
        }
        t.processes += run::stop_processes(ids, std::chrono::seconds(5));
    }
    for (auto it = r.namespaces.rbegin(); it != r.namespaces.rend(); ++it) {
        if (run::netns_exists(it->name) && run::ip_ok({"netns", "del", it->name})) ++t.namespaces;
    }
    for (const auto& p : run::shm_objects(r.sysplex)) {
        std::error_code ec;
        if (fs::remove(p, ec)) ++t.shm;
    }
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (e.path().extension() == ".sock" && e.is_socket(ec)) fs::remove(e.path(), ec);
    }
    for (const auto& e : fs::directory_iterator(dir / "cf", ec)) {
        if (e.path().extension() == ".sock") fs::remove(e.path(), ec);
    }
    fs::remove_all(dir / "peers", ec);  // the IPsec peers' /run and strongswan.conf
    r.state = "down";
    save_run(dir, r);
    return t;
}

struct up_options {
    std::string sysplex_dir;
    std::string run_dir;
    bool no_hercules = false;
    int wait_s = 60;
};

int do_up(const up_options& o) {
    auto t0 = std::chrono::steady_clock::now();
    std::string sysplex_dir = sysplex_dir_for(o.sysplex_dir, "");
    if (sysplex_dir.empty()) {
        sysplex_dir = "profiles/FIG4";
    }
    std::optional<sysplex::catalogue> cat;
    try {
        cat.emplace(sysplex::catalogue::load(sysplex_dir));
    } catch (const sysplex::catalogue_error& e) {
        std::cout << e.what() << "\n";
        return 8;
    }
    const auto& cfg = cat->config();
    fs::path dir = run::resolve_run_dir(o.run_dir, sysplex_dir);
    if (::geteuid() != 0) {
        std::cout << "ZPX1818E zplex up NEEDS ROOT: IT BUILDS NETWORK NAMESPACES, A BRIDGE AND TAP/TUN DEVICES\n";
        return 12;
    }
    try {
        run::ensure_private_dir(dir);
    } catch (const run_error& e) {
        std::cout << e.what() << "\n";
        return 12;
    }
    run::dir_lock lock(dir);
    if (!lock.held()) {
        std::cout << "ZPX1813E ANOTHER zplex up OR down IS WORKING ON " << dir.string() << "\n";
        return 8;
    }
    run_record old;
    std::string why;
    if (load_run(dir, old, why) && old.state != "down") {
        auto alive = old.alive();
        if (!alive.empty()) {
            std::cout << fmt::format("ZPX1813E SYSPLEX {} ALREADY RUNS FROM {} ({} PROCESSES):\n", old.sysplex,
                                     dir.string(), alive.size());
            for (const auto* p : alive)
                if (p->kind != "writer")
                    std::cout << fmt::format("  {:<9}{:<9}{:<9}PID {}\n", p->kind, p->name, p->system, p->id.pid);
            std::cout << "ZPX1813I zplex down --run-dir " << dir.string() << " STOPS IT\n";
            return 8;
        }
        auto t = teardown(dir, old);
        std::cout << fmt::format("ZPX1814I THE ENDED RUN OF {} WAS SWEPT: {} NAMESPACES, {} SHARED MEMORY OBJECTS\n",
                                 old.sysplex, t.namespaces, t.shm);
    }
    // Logs of the previous run are kept one generation.
    std::error_code ec;
    if (fs::exists(dir / "logs", ec)) {
        fs::remove_all(dir / "logs.1", ec);
        fs::rename(dir / "logs", dir / "logs.1", ec);
    }
    fs::remove_all(dir / "images", ec);
    run::ensure_private_dir(dir / "logs");
    run::ensure_private_dir(dir / "cf");
    const fs::path logs = dir / "logs";

    run_record r;
    r.sysplex = cfg.name;
    r.sysplex_dir = fs::absolute(sysplex_dir).lexically_normal();
    r.hercules = !o.no_hercules;
    r.state = "starting";
    r.up = sysplex::self_identity();
    save_run(dir, r);

    std::vector<image_plan> plans;
    std::vector<run::iked_plan> ikeds;
    const auto hosts = cfg.lan ? cfg.lan->hosts : std::vector<sysplex::host_config>{};
    int steps = 3 + static_cast<int>(cfg.cfs.size()) + static_cast<int>(cfg.images.size()) * (r.hercules ? 2 : 1) +
                static_cast<int>(hosts.size()) + 2;
    std::vector<const sysplex::host_config*> peers;
    for (const auto& h : hosts)
        if (!h.swanctl_dsn.empty()) peers.push_back(&h);
    try {
        ikeds = run::plan_ikeds(*cat);
    } catch (const std::exception& e) {
        std::cout << e.what() << "\n";
        return 12;
    }
    steps += static_cast<int>(ikeds.size() + peers.size());
    progress pr(steps);
    try {
        plans = run::plan_images(*cat);
        pr.step(fmt::format("ZPX1800I SYSPLEX {} FROM {}: {} IMAGES, {} CFS, {} LAN HOSTS; RUN DIRECTORY {}", cfg.name,
                            r.sysplex_dir.string(), cfg.images.size(), cfg.cfs.size(), hosts.size(), dir.string()));
        fs::path module_dir = run::exe_dir().parent_path() / "lib" / "hercules";
        if (r.hercules) {
            for (const char* f : {"hdtcfl.so", "hdtxcfs.so", "nucleus.ins"})
                if (!fs::exists(module_dir / f, ec))
                    throw run_error("ZPX1819E THE HERCULES DEVICE MODULES ARE NOT BUILT (NO " + (module_dir / f).string() +
                                    "): GIVE --no-hercules TO RUN EACH STACK ON AN XCF SYSTEM OF ITS OWN");
            if (!fs::exists("/usr/bin/hercules", ec))
                throw run_error("ZPX1819E /usr/bin/hercules IS NOT INSTALLED (apt-get install hercules), OR GIVE --no-hercules");
        }

        // The LAN: a namespace with the bridge.
        const std::string lan = operating::netns_name(dir, "LAN");
        r.namespaces.push_back({"LAN", lan});
        save_run(dir, r);
        run::ip({"netns", "add", lan});
        run::ip({"-n", lan, "link", "set", "lo", "up"});
        run::ip({"-n", lan, "link", "add", "br0", "type", "bridge"});
        run::ip({"-n", lan, "link", "set", "br0", "up"});
        pr.step(fmt::format("ZPX1801I LAN {} {}: BRIDGE br0 IN NAMESPACE {}", cfg.lan ? cfg.lan->name : "LAN",
                            cfg.lan ? cfg.lan->subnet : "", lan));
        for (const auto& im : cfg.images) {
            auto ns = operating::netns_name(dir, im.name);
            r.namespaces.push_back({im.name, ns});
            save_run(dir, r);
            run::ip({"netns", "add", ns});
            run::ip({"-n", ns, "link", "set", "lo", "up"});
        }
        pr.step(fmt::format("ZPX1802I {} IMAGE NAMESPACES: {}", cfg.images.size(),
                            operating::netns_name(dir, "<image>")));
        for (const auto& h : hosts) {
            auto ns = operating::netns_name(dir, h.name);
            r.namespaces.push_back({h.name, ns});
            save_run(dir, r);
            run::ip({"netns", "add", ns});
            run::ip({"-n", ns, "link", "set", "lo", "up"});
            std::string peer = "v" + lower(h.name);
            run::ip({"-n", ns, "link", "add", "veth0", "type", "veth", "peer", "name", peer, "netns", lan});
            run::ip({"-n", lan, "link", "set", peer, "master", "br0", "up"});
            run::ip({"-n", ns, "addr", "add", h.address, "dev", "veth0"});
            run::ip({"-n", ns, "link", "set", "veth0", "up"});
            // Everything off the host's own subnet is on the LAN too: the host ARPs for
            // DVIPAs and static VIPAs, and the stack holding one answers.
            run::ip({"-n", ns, "route", "add", "default", "dev", "veth0"});
            pr.step(fmt::format("ZPX1803I LAN HOST {} ({}) {} IN NAMESPACE {}", h.name, h.role, h.address, ns));
        }

        // The coupling facilities.
        for (const auto& c : cfg.cfs) {
            run::start_recorded(r, dir, "cf", c.name, "",
                          {run::program_path("zplex-cf").string(), "--sysplex", r.sysplex_dir.string(), "--cf", c.name,
                           "--run-dir", (dir / "cf").string()},
                          "", logs / (c.name + ".log"));
        }
        for (const auto& c : cfg.cfs) {
            auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            std::string reply;
            while (std::chrono::steady_clock::now() < until) {
                if (!fs::exists(dir / "cf" / (c.name + ".sock"), ec)) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                    continue;
                }
                reply = cf::send_command(dir / "cf", c.name, "D CF");
                if (cf::reply_code(reply) == 0) break;
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            const auto* p = r.find("cf", "", c.name);
            if (!p || !sysplex::process_alive(p->id) || cf::reply_code(reply) != 0)
                throw run_error("ZPX1820E CF " + c.name + " DID NOT START; ITS LOG:\n" + run::tail(logs / (c.name + ".log"), 8));
            pr.step(fmt::format("ZPX1804I CF {} ACTIVE (PID {})", c.name, p->id.pid));
        }

        // The images under Hercules: IPL of the nucleus, which owns the image's XCF system.
        if (r.hercules) {
            run::ensure_private_dir(dir / "images");
            std::vector<hercules::image_options> images;
            std::uint16_t next = static_cast<std::uint16_t>(31000 + (::getpid() % 150) * 6);
            for (const auto& im : cfg.images) {
                auto io = hercules::options_from_catalogue(*cat, im.name);
                io.dir = dir / "images" / im.name;
                io.module_dir = module_dir;
                io.http_port = hercules::free_port(31000, 31999, next);
                if (io.http_port == 0) throw run_error("ZPX1821E NO FREE CONSOLE PORT IN 31000-31999 FOR " + im.name);
                next = static_cast<std::uint16_t>(io.http_port + 1);
                std::string err;
                if (run::start_image(r, dir, io, err) < 0)
                    throw run_error("ZPX1821E IMAGE " + im.name + " DID NOT START: " + err);
                images.push_back(io);
            }
            for (const auto& io : images) {
                std::string err;
                if (!hercules::wait_joined(io, std::chrono::seconds(20), err))
                    throw run_error("ZPX1821E IMAGE " + io.name + " DID NOT COME UP: " + err + "; ITS LOG:\n" +
                                    run::tail(io.dir / "hercules.log", 8));
                pr.step(fmt::format("ZPX1805I IMAGE {} IPLED UNDER HERCULES (PID {}, CONSOLE 127.0.0.1:{})", io.name,
                                    r.find("hercules", io.name)->id.pid, io.http_port));
            }
        }

        // The stacks.
        for (const auto& im : cfg.images) {
            run::start_recorded(r, dir, "tcpip", im.tcpip_proc, im.name, run::stack_argv(r, dir, im), "",
                                logs / (im.name + "." + im.tcpip_proc + ".log"));
        }
        // Every stack in the group, every DVIPA where the profiles put it.
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(o.wait_s);
        std::set<std::string> ready;
        while (ready.size() < plans.size()) {
            for (const auto& p : plans) {
                const auto& im = *p.image;
                if (ready.count(im.name)) continue;
                const auto* proc = r.find("tcpip", im.name);
                if (!proc || !sysplex::process_alive(proc->id))
                    throw run_error("ZPX1822E " + im.tcpip_proc + " ON " + im.name + " ENDED; ITS LOG:\n" +
                                    run::tail(logs / (im.name + "." + im.tcpip_proc + ".log"), 8));
                if (!run::stack_ready(run::stack_socket(dir, im.name), p.defines)) continue;
                ready.insert(im.name);
                std::string defs;
                for (const auto& d : p.defines) defs += (defs.empty() ? "" : " ") + d;
                pr.step(fmt::format("ZPX1806I {} ON {} JOINED THE SYSPLEX (PID {}){}", im.tcpip_proc, im.name,
                                    proc->id.pid, defs.empty() ? "" : ", OWNS " + defs));
            }
            if (ready.size() == plans.size()) break;
            if (std::chrono::steady_clock::now() >= until) {
                std::string missing;
                for (const auto& p : plans)
                    if (!ready.count(p.image->name)) missing += " " + p.image->name;
                throw run_error(fmt::format("ZPX1822E NOT EVERY STACK JOINED WITH ITS DVIPAS WITHIN {} S:{}", o.wait_s, missing));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }

        // IKE: a zplex-iked in each image whose policy has KeyExchangeRules.
        run::start_ikeds(r, dir, ikeds, plans, [&](const std::string& l) { pr.step(l); });

        // AUTOLOG: the procedures each profile names, in the image's namespace.
        int jobs = 0, missing = 0;
        for (const auto& p : plans) {
            const auto& im = *p.image;
            for (const auto& name : p.autolog) {
                const auto* proc = cfg.find_procedure(name);
                if (!proc) {
                    pr.note("IEFC612I PROCEDURE " + name + " WAS NOT FOUND (AUTOLOG OF " + im.tcpip_proc + " ON " + im.name +
                            "): ADD <procedure name=\"" + name + "\" .../> TO SYSPLEX.xml");
                    ++missing;
                    continue;
                }
                auto job = run::procedure_launch(cfg, im, *proc);
                run::start_recorded(r, dir, "autolog", proc->name, im.name, job.argv, r.netns_of(im.name)->name,
                                    logs / (im.name + "." + proc->name + ".log"), job.env);
                ++jobs;
            }
        }
        // A server is ready once it listens: wait (bounded) for each job's listening socket.
        auto jobs_until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        for (const auto& p : r.processes) {
            if (p.kind != "autolog") continue;
            while (sysplex::process_alive(p.id) && !run::listens(p.id.pid) && std::chrono::steady_clock::now() < jobs_until)
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            if (!sysplex::process_alive(p.id))
                pr.note("ZPX1823W JOB " + p.name + " ON " + p.system + " ENDED AT ONCE; ITS LOG:\n" + run::tail(dir / p.log, 5));
        }
        pr.step(fmt::format("ZPX1807I AUTOLOG: {} PROCEDURES STARTED{}", jobs,
                            missing ? fmt::format(", {} NOT FOUND", missing) : ""));
        // The LAN's IPsec peers, once the servers behind the DVIPAs listen.
        int unsettled = 0;
        for (const auto* h : peers)
            if (!run::start_peer(r, dir, *cat, *h, [&](const std::string& l) { pr.step(l); },
                                 [&](const std::string& l) { pr.note(l); }))
                ++unsettled;
        r.state = "up";
        save_run(dir, r);
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        pr.step(fmt::format("ZPX1808I SYSPLEX {} IS UP IN {:.1f} S: zplex status, zplex cmd 'D TCPIP,,N,VIPADYN', zplex down",
                            cfg.name, s));
        pr.finish();
        return missing || unsettled ? 4 : 0;
    } catch (const std::exception& e) {
        pr.finish();
        std::cout << e.what() << "\n";
        auto t = teardown(dir, r);
        std::cout << fmt::format("ZPX1809E zplex up OF {} FAILED: WHAT IT STARTED IS STOPPED ({} PROCESSES, {} NAMESPACES); "
                                 "LOGS IN {}\n",
                                 cfg.name, t.processes, t.namespaces, logs.string());
        return 12;
    }
}

int do_down(const std::string& run_dir, const std::string& sysplex_dir) {
    fs::path dir;
    run_record r;
    if (!run::open_run(run_dir, sysplex_dir, dir, r, std::cout)) return 4;
    run::dir_lock lock(dir);
    if (!lock.held()) {
        std::cout << "ZPX1813E ANOTHER zplex up OR down IS WORKING ON " << dir.string() << "\n";
        return 8;
    }
    auto t = teardown(dir, r);
    std::cout << fmt::format("ZPX1830I SYSPLEX {} IS DOWN: {} PROCESSES STOPPED, {} NAMESPACES AND {} SHARED MEMORY "
                             "OBJECTS REMOVED; LOGS KEPT IN {}\n",
                             r.sysplex, t.processes, t.namespaces, t.shm, (dir / "logs").string());
    return 0;
}

int do_status(const std::string& run_dir, const std::string& sysplex_dir) {
    fs::path dir;
    run_record r;
    if (!run::open_run(run_dir, sysplex_dir, dir, r, std::cout)) return 4;
    std::cout << fmt::format("ZPX1831I SYSPLEX {} ({}) FROM {}: {}, {}\n", r.sysplex, r.sysplex_dir.string(), dir.string(),
                             r.state, r.hercules ? "IMAGES UNDER HERCULES" : "NO HERCULES: EACH STACK ON A SYSTEM OF ITS OWN");
    auto state = [](const run_process* p) {
        return p && sysplex::process_alive(p->id) ? fmt::format("ACTIVE (PID {})", p->id.pid) : std::string("NOT ACTIVE");
    };
    std::cout << fmt::format("{:<9}{:<34}{:<9}{:<26}{}\n", "IMAGE", "CPU", "STACK", "STACK STATE", "NAMESPACE");
    std::vector<std::string> systems;
    for (const auto& p : r.processes)
        if (p.kind == "tcpip") systems.push_back(p.system);
    for (const auto& s : systems) {
        std::string cpu = "-";
        if (r.hercules) {
            const auto* h = r.find("hercules", s);
            if (h && sysplex::process_alive(h->id)) {
                auto a = hercules::console_command(dir / "images" / s, "psw", std::chrono::milliseconds(1500));
                cpu = "HERCULES PID " + std::to_string(h->id.pid);
                if (a.what == hercules::console_answer::status::ok) {
                    auto at = a.text.find("PSW=");
                    if (at != std::string::npos) cpu = a.text.substr(at, a.text.find_first_of("\r\n", at) - at);
                }
            } else {
                cpu = "NOT ACTIVE";
            }
        }
        const auto* t = r.find("tcpip", s);
        const auto* ns = r.netns_of(s);
        std::cout << fmt::format("{:<9}{:<34}{:<9}{:<26}{}\n", s, cpu.substr(0, 33), t ? t->name : "-", state(t),
                                 ns ? ns->name : "-");
    }
    for (const auto& p : r.processes)
        if (p.kind == "autolog" || p.kind == "iked")
            std::cout << fmt::format("JOB      {:<9}ON {:<6}{}\n", p.name, p.system, state(&p));
    for (const auto& p : r.processes)
        if (p.kind == "peer") std::cout << fmt::format("PEER     {:<9}{:<9}{}\n", p.system, p.name, state(&p));
    std::string first_cf;
    for (const auto& p : r.processes) {
        if (p.kind != "cf") continue;
        std::cout << fmt::format("CF       {:<9}{}\n", p.name, state(&p));
        if (first_cf.empty() && sysplex::process_alive(p.id)) first_cf = p.name;
    }
    if (!first_cf.empty()) std::cout << cf::send_command(dir / "cf", first_cf, "D XCF,STR");
    for (const auto& s : systems) {
        const auto* t = r.find("tcpip", s);
        if (!t || !sysplex::process_alive(t->id)) continue;
        auto v = run::ask(run::stack_socket(dir, s), "D TCPIP,,SYSPLEX,VIPADYN");
        if (v.empty() || v.rfind("EZZ8269I", 0) == 0) continue;
        // DVIPA owners as the stacks see them (EZZ8260I of one stack in the group).
        std::istringstream in(v);
        std::string line, addr, owner, backups;
        auto flush = [&] {
            if (!addr.empty())
                std::cout << fmt::format("DVIPA    {:<16}OWNER {:<18}BACKUP {}\n", addr, owner.empty() ? "NONE" : owner,
                                         backups.empty() ? "NONE" : backups);
            addr.clear(), owner.clear(), backups.clear();
        };
        while (std::getline(in, line)) {
            if (line.rfind("IPADDR: ", 0) == 0) {
                flush();
                addr = line.substr(8, line.find(' ', 8) - 8);
                continue;
            }
            std::istringstream f(line);
            std::string tcp, mvs, st, rank;
            if (!(f >> tcp >> mvs >> st) || line.rfind("  ", 0) != 0) continue;
            if (st == "ACTIVE" && owner.empty()) owner = mvs + "/" + tcp;
            else if (st == "BACKUP" && (f >> rank)) backups += (backups.empty() ? "" : " ") + mvs + "(" + rank + ")";
        }
        flush();
        break;
    }
    return 0;
}

}  // namespace

void add_up_commands(CLI::App& app, exit_status& status) {
    auto o = std::make_shared<up_options>();
    auto* up = app.add_subcommand("up", "Bring a sysplex up: LAN, namespaces, CFs, images, stacks, AUTOLOG; exit 8 if one runs");
    up->add_option("--sysplex", o->sysplex_dir, "Sysplex folder with SYSPLEX.xml (default profiles/FIG4, or $ZPLEX_SYSPLEX)");
    up->add_option("--run-dir", o->run_dir, "Run directory (default $ZPLEX_RUN_DIR or /run/zplex/<SYSPLEX>)");
    up->add_flag("--no-hercules", o->no_hercules, "No Hercules images: each stack joins XCF as a system of its own");
    up->add_option("--wait", o->wait_s, "Seconds to wait for the stacks and their DVIPAs")->check(CLI::Range(1, 600));
    up->callback([o, &status] { status.code = do_up(*o); });

    auto down_dir = std::make_shared<std::string>();
    auto down_plex = std::make_shared<std::string>("profiles/FIG4");
    auto* down = app.add_subcommand("down", "Stop everything `zplex up` started (by PID), remove its namespaces and shared memory; keep the logs");
    down->add_option("--run-dir", *down_dir, "Run directory");
    down->add_option("--sysplex", *down_plex, "Sysplex folder (names the default run directory)");
    down->callback([=, &status] { status.code = do_down(*down_dir, *down_plex); });

    auto st_dir = std::make_shared<std::string>();
    auto st_plex = std::make_shared<std::string>("profiles/FIG4");
    auto* st = app.add_subcommand("status", "What runs: images, stacks, jobs, CFs and structures, DVIPA owners");
    st->add_option("--run-dir", *st_dir, "Run directory");
    st->add_option("--sysplex", *st_plex, "Sysplex folder (names the default run directory)");
    st->callback([=, &status] { status.code = do_status(*st_dir, *st_plex); });
}

int bring_up(const std::string& sysplex_dir, const std::string& run_dir, bool no_hercules) {
    up_options o;
    o.sysplex_dir = sysplex_dir;
    o.run_dir = run_dir;
    o.no_hercules = no_hercules;
    return do_up(o);
}

int take_down(const std::string& run_dir, const std::string& sysplex_dir) { return do_down(run_dir, sysplex_dir); }

}  // namespace zplex::cli
