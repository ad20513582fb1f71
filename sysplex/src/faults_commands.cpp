// SPDX-License-Identifier: Apache-2.0
// `zplex faults`: the faults matrix (docs/faults.md) on a sysplex of its own. It brings
// the sysplex up as `zplex up` does, runs the matrix's rows on it (batch/matrix.cpp,
// the engine ZPXMATRX shares), and takes it down at the end, whatever happened.
#include "batch/batch.hpp"
#include "batch/traffic.hpp"
#include "commands.hpp"
#include "console.hpp"
#include "run_support.hpp"

#include <zplex/operating/faults.hpp>
#include <zplex/sysplex/private_file.hpp>
#include <zplex/sysplex/process.hpp>

#include <fmt/format.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <thread>

namespace zplex::cli {

namespace fs = std::filesystem;
namespace fx = operating::faults;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

struct faults_options {
    std::string sysplex_dir, run_dir;
    bool quick = false, no_hercules = false, hercules = false;
    std::vector<std::string> rows;
};

volatile std::sig_atomic_t g_interrupted = 0;
void on_interrupt(int) { g_interrupted = 1; }

void say(const std::string& line) { std::cout << line << "\n" << std::flush; }

int do_faults(const faults_options& o) {
    std::string why;
    auto rows = fx::select_rows(o.quick, o.rows, why);
    if (rows.empty()) {
        say(why);
        return 8;
    }
    std::string sysplex_dir = sysplex_dir_for(o.sysplex_dir, "");
    if (sysplex_dir.empty()) sysplex_dir = "profiles/FIG4";
    std::optional<sysplex::catalogue> cat;
    try {
        cat.emplace(sysplex::catalogue::load(sysplex_dir));
    } catch (const sysplex::catalogue_error& e) {
        say(e.what());
        return 8;
    }
    // The matrix is FIG4's: its systems, hosts and DVA1.
    const auto& cfg = cat->config();
    const std::string missing = batch::fig4_missing(cfg);
    if (!missing.empty()) {
        say(fmt::format("ZPX1903E THE FAULTS MATRIX IS FIG4'S: {} HAS NO {}", sysplex_dir, missing));
        return 8;
    }
    if (::geteuid() != 0) {
        say("ZPX1902E zplex faults NEEDS ROOT: IT BRINGS A SYSPLEX UP IN NETWORK NAMESPACES");
        return 12;
    }
    const bool no_hercules = o.no_hercules || (o.quick && !o.hercules);
    std::vector<std::string> left_out;
    rows = fx::runnable_rows(rows, !no_hercules, left_out);
    for (const auto& l : left_out) say(l);
    if (rows.empty()) {
        say("ZPX1901E NO ROW OF THE MATRIX CAN RUN WITHOUT HERCULES: GIVE --hercules");
        return 8;
    }
    std::string names;
    for (const auto& r : rows) names += (names.empty() ? "" : ", ") + r.name;
    say(fmt::format("ZPX1900I FAULTS MATRIX OF {} FROM {}: {} ROW(S): {}{}", cfg.name, sysplex_dir, rows.size(), names,
                    no_hercules ? "; NO HERCULES" : ""));

    int up = bring_up(sysplex_dir, o.run_dir, no_hercules);
    if (up != 0 && up != 4) {
        // 8: nothing was started (another run, a catalogue error); 12: up stopped what it started.
        say(fmt::format("ZPX1902E THE SYSPLEX OF THE MATRIX DID NOT COME UP (zplex up RC {}){}", up,
                        up == 8 ? ": zplex faults RUNS A SYSPLEX OF ITS OWN (zplex down THE ONE RUNNING, OR GIVE --run-dir)"
                                : ""));
        return 12;
    }
    const fs::path dir = run::resolve_run_dir(o.run_dir, sysplex_dir);
    // From here on the sysplex is ours: down at the end, whatever happens.
    struct down_at_end {
        std::string dir, plex;
        ~down_at_end() { take_down(dir, plex); }
    } down{dir.string(), sysplex_dir};
    g_interrupted = 0;
    auto old_int = std::signal(SIGINT, on_interrupt);
    auto old_term = std::signal(SIGTERM, on_interrupt);
    struct restore_signals {
        void (*i)(int), (*t)(int);
        ~restore_signals() {
            std::signal(SIGINT, i);
            std::signal(SIGTERM, t);
        }
    } rs{old_int, old_term};

    answer w;
    auto con = console::open(dir.string(), sysplex_dir, w);
    if (!con) {
        say("ZPX1902E THE SYSPLEX OF THE MATRIX CANNOT BE USED: " + w.text);
        return 12;
    }
    auto r = batch::run_matrix(*con, cfg, rows, dir / "faults", say, &g_interrupted);
    return r.rc;
}

}  // namespace

void add_faults_commands(CLI::App& app, exit_status& status) {
    auto o = std::make_shared<faults_options>();
    auto* f = app.add_subcommand("faults", "The faults matrix: a sysplex of its own under traffic, one fault at a time, "
                                           "measured and checked; one table; exit 8 if a row fails");
    f->add_option("--sysplex", o->sysplex_dir, "Sysplex folder with SYSPLEX.xml (default profiles/FIG4, or $ZPLEX_SYSPLEX)");
    f->add_option("--run-dir", o->run_dir, "Run directory of the matrix's sysplex (default as zplex up's)");
    f->add_flag("--quick", o->quick, "The CI subset: one row of each kind of fault (implies --no-hercules)");
    auto* nh = f->add_flag("--no-hercules", o->no_hercules, "No Hercules images: each stack on an XCF system of its own");
    f->add_flag("--hercules", o->hercules, "The images under Hercules, with --quick too")->excludes(nh);
    f->add_option("--row", o->rows, "Only this row (its name, e.g. 'KILL STACK MVS4', or number; repeatable)");
    f->callback([o, &status] { status.code = do_faults(*o); });
}

}  // namespace zplex::cli
