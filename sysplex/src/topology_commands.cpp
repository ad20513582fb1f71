// SPDX-License-Identifier: Apache-2.0
// `zplex topology [--svg FILE] [--dot FILE]`: the running sysplex (or, when none runs,
// its catalogue) as a text display and a Graphviz picture: images and stacks, CFs and
// structures, every DVIPA with its owner, backups and targets, the LAN and its hosts.
#include "commands.hpp"
#include "run_support.hpp"
#include "up_steps.hpp"

#include <zplex/operating/run.hpp>
#include <zplex/operating/topology.hpp>
#include <zplex/sysplex/catalogue.hpp>
#include <zplex/sysplex/process.hpp>
#include <zplex/tcpip/profile/parser.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

namespace zplex::cli {

namespace fs = std::filesystem;
namespace op = zplex::operating;
namespace tp = zplex::tcpip::profile;

namespace {

struct topology_options {
    std::string run_dir, sysplex_dir, svg, dot;
};

/// Every image's profile as its stack processes it (errors leave it empty).
std::map<std::string, tp::profile> profiles_of(const sysplex::catalogue& cat) {
    std::map<std::string, tp::profile> out;
    for (const auto& im : cat.config().images) {
        tp::parse_options po;
        po.symbols = cat.config().symbols_for(im);
        po.reader = tp::catalogue_reader(cat.datasets());
        tp::message_log log;
        try {
            out[im.name] = tp::process_initial_profile(im.profile_dsn, po, log);
        } catch (const std::exception&) {
        }
    }
    return out;
}

op::topology_dvipa& dvipa_of(std::vector<op::topology_dvipa>& v, const std::string& address) {
    for (auto& d : v)
        if (d.address == address) return d;
    v.push_back({address, {}, {}, {}});
    return v.back();
}

/// The DVIPAs as the profiles put them: VIPADEFINE owners, VIPABACKUP ranks, the
/// VIPADISTRIBUTE targets (DESTIP dynamic XCF addresses mapped to their images).
std::vector<op::topology_dvipa> dvipas_of(const sysplex::catalogue& cat, const std::map<std::string, tp::profile>& prof) {
    std::vector<op::topology_dvipa> v;
    std::map<std::string, std::string> by_xcf;
    for (const auto& [name, p] : prof)
        if (p.ipconfig.dynamic_xcf) by_xcf[p.ipconfig.dynamic_xcf->address.str()] = name;
    for (const auto& im : cat.config().images) {
        auto it = prof.find(im.name);
        if (it == prof.end()) continue;
        for (const auto& d : it->second.dvipas) {
            auto& t = dvipa_of(v, d.address.str());
            if (d.origin == tp::vipa_origin::define) t.owner = im.name;
            else t.backups.push_back({im.name, d.rank});
        }
    }
    for (const auto& im : cat.config().images) {
        auto it = prof.find(im.name);
        if (it == prof.end()) continue;
        for (const auto& dist : it->second.distributions) {
            auto& t = dvipa_of(v, dist.address.str());
            std::vector<std::string> sys;
            if (dist.dest_all)
                for (const auto& i : cat.config().images) sys.push_back(i.name);
            for (const auto& x : dist.targets)
                if (auto s = by_xcf.find(x.xcf.str()); s != by_xcf.end()) sys.push_back(s->second);
            for (const auto& s : sys)
                if (std::find(t.targets.begin(), t.targets.end(), s) == t.targets.end()) t.targets.push_back(s);
        }
    }
    for (auto& d : v)
        std::stable_sort(d.backups.begin(), d.backups.end(), [](const auto& a, const auto& b) { return a.rank > b.rank; });
    return v;
}

/// DOT text through Graphviz's dot into an SVG file; an error message, or empty.
std::string render_svg(const std::string& dot, const std::string& file) {
    int in[2], err[2];
    if (::pipe2(in, O_CLOEXEC) != 0) return "ZPX1872E NO PIPE FOR dot";
    if (::pipe2(err, O_CLOEXEC) != 0) {
        ::close(in[0]), ::close(in[1]);
        return "ZPX1872E NO PIPE FOR dot";
    }
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(in[0], 0);
        int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, 1);
        ::dup2(err[1], 2);
        ::execlp("dot", "dot", "-Tsvg", "-o", file.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(in[0]);
    ::close(err[1]);
    if (pid < 0) {
        ::close(in[1]), ::close(err[0]);
        return "ZPX1872E CANNOT FORK dot";
    }
    std::signal(SIGPIPE, SIG_IGN);
    std::size_t at = 0;
    while (at < dot.size()) {
        ssize_t n = ::write(in[1], dot.data() + at, dot.size() - at);
        if (n <= 0) break;
        at += static_cast<std::size_t>(n);
    }
    ::close(in[1]);
    std::string msg;
    char buf[512];
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        pollfd f{err[0], POLLIN, 0};
        if (left.count() <= 0 || ::poll(&f, 1, static_cast<int>(left.count())) <= 0) break;
        ssize_t n = ::read(err[0], buf, sizeof buf);
        if (n <= 0) break;
        if (msg.size() < 2048) msg.append(buf, static_cast<std::size_t>(n));
    }
    ::close(err[0]);
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() >= until) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return "ZPX1872E dot DID NOT END IN 20 S";
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return "ZPX1872E dot (GRAPHVIZ) IS NOT INSTALLED: scripts/bootstrap INSTALLS IT (apt-get install graphviz)";
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "ZPX1872E dot FAILED: " + msg;
    return {};
}

int do_topology(const topology_options& o) {
    std::string sysplex_dir = sysplex_dir_for(o.sysplex_dir, "");
    if (sysplex_dir.empty()) sysplex_dir = "profiles/FIG4";
    fs::path dir = run::resolve_run_dir(o.run_dir, sysplex_dir);
    op::run_record r;
    std::string why;
    bool running = op::load_run(dir, r, why) && r.state != "down" && !r.alive().empty();
    std::optional<sysplex::catalogue> cat;
    try {
        cat.emplace(sysplex::catalogue::load(running ? r.sysplex_dir : fs::path(sysplex_dir)));
    } catch (const sysplex::catalogue_error& e) {
        std::cout << e.what() << "\n";
        return 8;
    }
    const auto& cfg = cat->config();
    auto prof = profiles_of(*cat);
    op::topology t;
    t.sysplex = cfg.name;
    t.source = running ? "RUNNING SYSPLEX " + dir.string() : "CATALOGUE " + fs::absolute(cat->config().file).parent_path().string();
    if (cfg.lan) {
        t.lan_name = cfg.lan->name;
        t.lan_subnet = cfg.lan->subnet;
        for (const auto& h : cfg.lan->hosts) t.hosts.push_back({h.name, h.address, h.role});
    }
    auto alive = [&](std::string_view kind, const std::string& system, const std::string& name = {}) {
        const auto* p = r.find(kind, system, name);
        return p && sysplex::process_alive(p->id);
    };
    for (const auto& im : cfg.images) {
        op::topology_image i;
        i.name = im.name;
        i.stack = im.tcpip_proc;
        i.lan_address = im.lan_address;
        if (auto p = prof.find(im.name); p != prof.end() && p->second.ipconfig.dynamic_xcf)
            i.xcf_address = p->second.ipconfig.dynamic_xcf->address.str();
        if (running) {
            i.state = alive("tcpip", im.name) ? "ACTIVE" : "NOT ACTIVE";
            for (const auto& p : r.processes)
                if (p.kind == "autolog" && p.system == im.name && sysplex::process_alive(p.id)) i.jobs.push_back(p.name);
        } else {
            i.state = "DEFINED";
            if (auto p = prof.find(im.name); p != prof.end())
                for (const auto& a : p->second.autolog) i.jobs.push_back(a.proc);
        }
        t.images.push_back(i);
    }
    for (const auto& c : cfg.cfs) {
        op::topology_cf cf{c.name, running ? (alive("cf", "", c.name) ? "ACTIVE" : "NOT ACTIVE") : "DEFINED", {}};
        // A structure lives in the first CF of its PREFLIST.
        for (const auto& s : cfg.structures)
            if (!s.preflist.empty() && s.preflist.front() == c.name) cf.structures.push_back(s.name);
        t.cfs.push_back(cf);
    }
    t.dvipas = dvipas_of(*cat, prof);
    if (running) {
        // Where the DVIPAs are now, as the first live stack in the group sees them.
        for (const auto& im : cfg.images) {
            if (!alive("tcpip", im.name)) continue;
            auto v = run::ask(run::stack_socket(dir, im.name), "D TCPIP,,SYSPLEX,VIPADYN");
            if (v.rfind("EZZ8260I", 0) != 0) continue;
            auto now = op::dvipas_from_sysplex_display(v);
            for (auto& d : t.dvipas) {
                d.owner.clear();
                for (const auto& n : now)
                    if (n.address == d.address) d = n;
            }
            for (const auto& n : now)
                if (std::none_of(t.dvipas.begin(), t.dvipas.end(), [&](const auto& d) { return d.address == n.address; }))
                    t.dvipas.push_back(n);
            break;
        }
    }
    std::cout << op::to_text(t);
    auto dot = op::to_dot(t);
    if (!o.dot.empty()) {
        std::ofstream f(o.dot);
        f << dot;
        if (!f) {
            std::cout << "ZPX1872E " << o.dot << " CANNOT BE WRITTEN\n";
            return 8;
        }
    }
    if (!o.svg.empty()) {
        auto err = render_svg(dot, o.svg);
        if (!err.empty()) {
            std::cout << err << "\n";
            return 8;
        }
        std::cout << "ZPX1871I THE TOPOLOGY OF " << t.sysplex << " IS DRAWN IN " << o.svg << "\n";
    }
    return 0;
}

}  // namespace

void add_topology_commands(CLI::App& app, exit_status& status) {
    auto o = std::make_shared<topology_options>();
    auto* t = app.add_subcommand("topology", "The sysplex (running, else its catalogue): images, CFs, DVIPAs with owner, "
                                             "backups and targets, the LAN; --svg draws it with Graphviz");
    t->add_option("--run-dir", o->run_dir, "Run directory of the sysplex");
    t->add_option("--sysplex", o->sysplex_dir, "Sysplex folder (default profiles/FIG4, or $ZPLEX_SYSPLEX)");
    t->add_option("--svg", o->svg, "Draw it into this SVG file (Graphviz dot)");
    t->add_option("--dot", o->dot, "Write the Graphviz source into this file");
    t->callback([o, &status] { status.code = do_topology(*o); });
}

}  // namespace zplex::cli
