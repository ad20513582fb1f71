// SPDX-License-Identifier: Apache-2.0
// zplex-cf: one coupling facility. Allocates the CFRM policy's structures for its CF
// name and serves until SIGTERM/SIGINT.
#include <zplex/cf/cf_server.hpp>
#include <zplex/sysplex/catalogue.hpp>
#include <zplex/sysplex/process.hpp>
#include <zplex/sysplex/debug_option.hpp>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>

namespace {
std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }
}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"zplex-cf: a coupling facility of a zplex sysplex", "zplex-cf"};
    zplex::log::add_debug_options(app);
    std::string sysplex_dir;
    std::string cf;
    std::string run_dir;
    std::string ns;
    int interval = 20;
    app.add_option("--sysplex", sysplex_dir, "Sysplex folder (SYSPLEX.xml with the CFRM policy)")
        ->required()
        ->check(CLI::ExistingDirectory);
    app.add_option("--cf", cf, "This CF's name in the policy (CF01)")->required();
    app.add_option("--run-dir", run_dir, "Folder for the CF's socket")->required();
    app.add_option("--namespace", ns, "Shared-memory namespace (default: the sysplex name)");
    app.add_option("--interval", interval, "Monitor interval in ms")->check(CLI::Range(1, 10000));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    zplex::sysplex::sysplex_config cfg;
    try {
        cfg = zplex::sysplex::catalogue::load(sysplex_dir).config();
    } catch (const zplex::sysplex::catalogue_error& e) {
        std::cerr << e.what() << "\n";
        return 8;
    }
    bool known = false;
    for (const auto& c : cfg.cfs) {
        known = known || c.name == cf;
    }
    if (!known) {
        std::cerr << "IXL158I CF " << cf << " IS NOT DEFINED IN THE CFRM POLICY OF " << cfg.name << "\n";
        return 8;
    }
    std::string space = ns.empty() ? cfg.name : ns;
    for (auto bad : {zplex::cf::check_name("SYSPLEX NAMESPACE", space, 32), zplex::cf::check_name("CF NAME", cf, 8)}) {
        if (!bad.empty()) {
            std::cerr << bad << "\n";
            return 8;
        }
    }
    // The run folder: ours, a real folder (not a link), 0700. Checked before anything is
    // allocated, so a bad one changes nothing.
    if (::mkdir(run_dir.c_str(), 0700) != 0 && errno != EEXIST) {
        std::cerr << "IXL165E RUN DIRECTORY " << run_dir << " CANNOT BE CREATED: " << std::strerror(errno) << "\n";
        return 12;
    }
    struct stat st {};
    if (::lstat(run_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() ||
        (st.st_mode & 0077) != 0) {
        std::cerr << "IXL165E RUN DIRECTORY " << run_dir
                  << " IS NOT USABLE: IT MUST BE A FOLDER (NOT A LINK) OWNED BY THE CALLER WITH MODE 0700\n";
        return 8;
    }
    std::signal(SIGTERM, on_signal);
    std::signal(SIGINT, on_signal);
    zplex::cf::server_options o;
    o.sysplex = space;
    o.cf = cf;
    o.structures = cfg.structures;
    o.run_dir = run_dir;
    o.interval = std::chrono::milliseconds(interval);
    static std::mutex log_mutex;
    o.log = [](const std::string& line) {
        std::lock_guard<std::mutex> g(log_mutex);
        std::cout << zplex::sysplex::console_time() << " " << line << "\n" << std::flush;
    };
    zplex::cf::cf_server server(o);
    try {
        server.start();
    } catch (const zplex::cf::start_error& e) {
        std::cerr << e.what() << "\n";
        return e.code();
    }
    std::cout << "IXL157I CF " << cf << " ACTIVE FOR SYSPLEX " << cfg.name << "\n" << server.command("D CF") << std::flush;
    int rc = server.run(g_stop);
    if (rc != 0) {
        std::cerr << "IXL161E CF " << cf << " CANNOT SERVE ITS COMMAND SOCKET IN " << run_dir << "\n";
    }
    std::cout << "IXL159I CF " << cf << " ENDED\n";
    return rc;
}
