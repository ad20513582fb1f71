// SPDX-License-Identifier: Apache-2.0
// zplex-image start|stop|status|cmd NAME: one image (headless Hercules + the nucleus).
#include <zplex/hercules/image.hpp>

#include <CLI/CLI.hpp>

#include <iostream>

namespace hc = zplex::hercules;

int main(int argc, char** argv) {
    CLI::App app{"zplex-image: start, stop and inspect a Hercules image running the zplex nucleus"};
    app.require_subcommand(1);
    hc::image_options o;
    std::string run_dir = "/tmp/zplex-images";
    std::string cfs = "CF01";
    long interval = 300;
    unsigned port = 0;
    std::string command;
    o.module_dir = ZPLEX_HERCULES_MODULE_DIR;
    auto add_common = [&](CLI::App* s) {
        s->add_option("name", o.name, "SYSNAME of the image (MVS1)")->required();
        s->add_option("--run-dir", run_dir, "images live in RUN-DIR/NAME");
    };
    auto* st = app.add_subcommand("start", "write NAME's .cnf, start Hercules and IPL the nucleus");
    add_common(st);
    st->add_option("--sysplex", o.sysplex, "sysplex (shared-memory namespace)")->required();
    st->add_option("--key-file", o.key_file, "sysplex key file (64 hex digits)")->required();
    st->add_option("--cf", cfs, "CF link PREFLIST, e.g. CF01,CF02");
    st->add_option("--interval", interval, "XCF INTERVAL in ms");
    st->add_option("--http-port", port, "console HTTP port")->required();
    st->add_option("--module-dir", o.module_dir, "where hdtcfl.so, hdtxcfs.so, nucleus.ins are");
    st->add_flag("!--no-ipl", o.ipl, "start Hercules without IPLing the nucleus");
    auto* sp = app.add_subcommand("stop", "quit NAME's Hercules (SIGKILL after 5 s)");
    add_common(sp);
    auto* ss = app.add_subcommand("status", "is NAME's Hercules running; its PSW");
    add_common(ss);
    auto* sc = app.add_subcommand("cmd", "a Hercules console command for NAME (stop, start, psw, devlist...)");
    add_common(sc);
    sc->add_option("command", command, "the command")->required();
    CLI11_PARSE(app, argc, argv);

    o.dir = std::filesystem::path(run_dir) / o.name;
    if (*st) {
        o.cfs.clear();
        std::string cur;
        for (char c : cfs + ",") {
            if (c == ',') {
                if (!cur.empty()) o.cfs.push_back(cur);
                cur.clear();
            } else {
                cur += c;
            }
        }
        o.interval = std::chrono::milliseconds(interval);
        o.http_port = static_cast<std::uint16_t>(port);
        std::string err;
        int pid = hc::start(o, err);
        if (pid < 0) {
            std::cerr << err << "\n";
            return 8;
        }
        std::cout << "ZPX0734I IMAGE " << o.name << " STARTED, HERCULES PID " << pid << ", CONSOLE PORT " << port
                  << ", DIRECTORY " << o.dir.string() << "\n";
        return 0;
    }
    if (*sp) {
        bool ok = hc::stop(o.dir);
        std::cout << (ok ? "ZPX0735I IMAGE " + o.name + " STOPPED" : "ZPX0736E IMAGE " + o.name + " DID NOT STOP")
                  << "\n";
        return ok ? 0 : 8;
    }
    int pid = hc::running_pid(o.dir);
    if (*ss) {
        if (pid <= 0) {
            std::cout << "ZPX0737I IMAGE " << o.name << " IS NOT ACTIVE\n";
            return 4;
        }
        std::cout << "ZPX0738I IMAGE " << o.name << " ACTIVE, HERCULES PID " << pid << "\n"
                  << hc::console(hc::http_port_of(o.dir), "psw");
        return 0;
    }
    if (pid <= 0) {
        std::cerr << "ZPX0737I IMAGE " << o.name << " IS NOT ACTIVE\n";
        return 4;
    }
    std::cout << hc::console(hc::http_port_of(o.dir), command);
    return 0;
}
