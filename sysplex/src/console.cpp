// SPDX-License-Identifier: Apache-2.0
// The MCS console of a running sysplex (console.hpp): the routing `zplex cmd` and the
// batch programs share.
#include "console.hpp"
#include "run_support.hpp"

#include <zplex/cf/cf_server.hpp>
#include <zplex/hercules/image.hpp>
#include <zplex/sysplex/line_socket.hpp>
#include <zplex/sysplex/process.hpp>
#include <zplex/sysplex/text.hpp>
#include <zplex/xcf/xcf.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace zplex::cli {

namespace fs = std::filesystem;
namespace op = zplex::operating;

std::string with_newline(std::string s) {
    if (!s.empty() && s.back() != '\n') s += '\n';
    return s;
}

std::optional<console> console::open(const std::string& run_dir, const std::string& sysplex_dir, answer& why) {
    console c;
    c.dir = run::resolve_run_dir(run_dir, sysplex_dir);
    std::string err;
    if (!op::load_run(c.dir, c.r, err)) {
        why = {err + "\n", 8};
        return std::nullopt;
    }
    if (c.r.state == "down") {
        why = {fmt::format("ZPX1811I SYSPLEX {} IS DOWN (zplex up STARTS IT)\n", c.r.sysplex), 8};
        return std::nullopt;
    }
    try {
        c.cat.emplace(sysplex::catalogue::load(c.r.sysplex_dir));
    } catch (const sysplex::catalogue_error& e) {
        why = {std::string(e.what()) + "\n", 8};
        return std::nullopt;
    }
    for (const auto& im : c.cat->config().images) c.systems.push_back(im.name);
    return c;
}

answer console::stack(const op::routed& rt, const std::string& system) {
    const auto* im = image(system);
    // D TCPIP,proc,...: a procedure other than the image's stack is not active there.
    auto first = rt.text.find(',');
    auto second = rt.text.find(',', first + 1);
    std::string proc = rt.text.substr(first + 1, second - first - 1);
    if (!proc.empty() && proc != im->tcpip_proc) return {fmt::format("IEE341I {} NOT ACTIVE\n", proc), 8};
    const auto* p = r.find("tcpip", system);
    if (!p || !sysplex::process_alive(p->id)) return {fmt::format("IEE341I {} NOT ACTIVE\n", im->tcpip_proc), 8};
    try {
        auto reply = sysplex::line_request(run::stack_socket(dir, system).string(), rt.text, std::chrono::seconds(10));
        return {with_newline(reply), reply.rfind("ZPX1030I", 0) == 0 ? 8 : 0};
    } catch (const std::exception& e) {
        return {fmt::format("ZPX1850E {} ON {} DID NOT ANSWER: {}\n", im->tcpip_proc, system, e.what()), 12};
    }
}

answer console::xcf_display(const op::routed& rt, const std::string& system) {
    xcf::sysplex_options xo;
    xo.sysplex = cat->config().name;
    xo.interval = cat->config().xcf.interval;
    std::ifstream kf(r.sysplex_dir / cat->config().xcf.sysplex_key_file);
    std::stringstream ks;
    ks << kf.rdbuf();
    if (!xcf::parse_key(ks.str(), xo.key)) return {"ZPX1851E THE SYSPLEX KEY FILE CANNOT BE READ\n", 12};
    std::unique_ptr<xcf::system> sys;
    auto res = xcf::system::attach(xo, system, sys);
    if (!res) return {fmt::format("IXC334I SYSTEM {} IS NOT ACTIVE IN SYSPLEX {}: {}\n", system, xo.sysplex, xcf::to_string(res)), 8};
    return {with_newline(sys->display(rt.text)), 0};
}

answer console::cf_command(const op::routed& rt, bool all) {
    answer a;
    bool any = false;
    for (const auto& p : r.processes) {
        if (p.kind != "cf" || !sysplex::process_alive(p.id)) continue;
        any = true;
        auto reply = cf::send_command(dir / "cf", p.name, rt.text);
        a.text += with_newline(reply);
        a.rc = std::max(a.rc, cf::reply_code(reply));
        if (!all) break;
    }
    if (!any) return {"IXL158I NO COUPLING FACILITY OF THIS RUN IS ACTIVE\n", 8};
    return a;
}

answer console::start_job(const op::routed& rt, const std::string& system) {
    const auto* proc = cat->config().find_procedure(rt.proc);
    if (!proc) return {fmt::format("IEFC612I PROCEDURE {} WAS NOT FOUND\n", rt.proc), 8};
    run::dir_lock lock(dir);
    if (!lock.held()) return {"ZPX1813E ANOTHER zplex IS CHANGING THE RUN: TRY AGAIN\n", 8};
    std::string err;
    op::load_run(dir, r, err);
    for (const auto& p : r.processes)
        if (p.kind == "autolog" && p.name == proc->name && p.system == system && sysplex::process_alive(p.id))
            return {fmt::format("ZPX1852I {} IS ALREADY ACTIVE ON {} (PID {})\n", proc->name, system, p.id.pid), 4};
    auto job = run::procedure_launch(cat->config(), *image(system), *proc);
    try {
        run::start_recorded(r, dir, "autolog", proc->name, system, job.argv, r.netns_of(system)->name,
                            dir / "logs" / (system + "." + proc->name + ".log"), job.env);
    } catch (const std::exception& e) {
        return {std::string(e.what()) + "\n", 12};
    }
    return {fmt::format("IEF403I {} - STARTED - TIME={}\n", proc->name, sysplex::console_time()), 0};
}

answer console::stop_job(const op::routed& rt, const std::string& system) {
    std::vector<sysplex::process_identity> ids;
    for (const auto& p : r.processes)
        if (p.kind == "autolog" && p.name == rt.proc && p.system == system && sysplex::process_alive(p.id))
            ids.push_back(p.id);
    if (ids.empty()) return {fmt::format("IEE341I {} NOT ACTIVE\n", rt.proc), 8};
    run::stop_processes(ids, std::chrono::seconds(5));
    return {fmt::format("IEF404I {} - ENDED - TIME={}\n", rt.proc, sysplex::console_time()), 0};
}

answer console::vary_offline(const op::routed& rt) {
    const auto* im = image(rt.systems.front());
    if (!im) return {fmt::format("IXC302I V XCF,{} SYSTEM {} IS NOT IN THE SYSPLEX\n", rt.systems.front(), rt.systems.front()), 8};
    std::string out = fmt::format("IXC101I SYSPLEX PARTITIONING IN PROGRESS FOR {} REQUESTED BY *MASTER*. REASON: "
                                  "OPERATOR VARY REQUEST.\n",
                                  im->name);
    std::vector<sysplex::process_identity> ids;
    for (const auto& p : r.processes)
        if (p.system == im->name && (p.kind == "autolog" || (!r.hercules && p.kind == "tcpip")) &&
            sysplex::process_alive(p.id))
            ids.push_back(p.id);
    run::stop_processes(ids, std::chrono::seconds(5));
    if (r.hercules) hercules::stop(dir / "images" / im->name, std::chrono::milliseconds(5000));
    out += fmt::format("IXC105I SYSPLEX PARTITIONING HAS COMPLETED FOR {}\n", im->name);
    return {out, 0};
}

answer console::execute(const op::routed& rt, const std::string& system) {
    switch (rt.where) {
    case op::target::invalid: return {rt.error + "\n", 8};
    case op::target::stack: return stack(rt, system);
    case op::target::xcf: return xcf_display(rt, system);
    case op::target::cf: return cf_command(rt, false);
    case op::target::cf_all: return cf_command(rt, true);
    case op::target::start_proc: return start_job(rt, system);
    case op::target::stop_proc: return stop_job(rt, system);
    case op::target::vary_offline: return vary_offline(rt);
    case op::target::route: {
        std::string err;
        auto targets = op::route_targets(rt.systems, systems, system, err);
        if (!err.empty()) return {err + "\n", 8};
        answer all;
        auto inner = op::route(rt.text);
        for (const auto& s : targets) {
            auto a = execute(inner, s);
            all.text += "RESPONSE=" + s + "\n";
            std::istringstream in(a.text);
            std::string line;
            while (std::getline(in, line)) all.text += " " + line + "\n";
            all.rc = std::max(all.rc, a.rc);
        }
        return all;
    }
    }
    return {"ZPX0002E INTERNAL ERROR: UNROUTED COMMAND\n", 12};
}

answer console::uss(const std::string& text, const std::string& system) {
    if (text.rfind("ipsec ", 0) != 0) return {"ZPX1855I ONLY THE z/OS UNIX ipsec COMMAND IS TAKEN\n", 8};
    // IKE tunnels, and a refresh (a rekey) of dynamic ones, are the IKED's; the rest the stack's.
    bool to_iked = text.find(" -k") != std::string::npos || text.rfind("ipsec -y refresh", 0) == 0;
    fs::path sock = run::stack_socket(dir, system);
    if (to_iked) {
        sock = run::iked_socket(dir, system);
        std::error_code ec;
        if (!fs::exists(sock, ec))
            return {fmt::format("ZPX1856I NO IKED RUNS ON {} IN THIS RUN: ipsec NEEDS ITS CONTROL SOCKET {}\n", system,
                                sock.string()),
                    8};
    } else if (const auto* p = r.find("tcpip", system); !p || !sysplex::process_alive(p->id)) {
        return {fmt::format("IEE341I {} NOT ACTIVE\n", image(system)->tcpip_proc), 8};
    }
    try {
        return {with_newline(sysplex::line_request(sock.string(), text, std::chrono::seconds(10))), 0};
    } catch (const std::exception& e) {
        return {fmt::format("ZPX1850E {} OF {} DID NOT ANSWER: {}\n", to_iked ? "THE IKED" : "THE STACK", system, e.what()), 12};
    }
}

}  // namespace zplex::cli
