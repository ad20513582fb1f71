// SPDX-License-Identifier: Apache-2.0
// zplex-image start|stop|status|cmd NAME: one image (headless Hercules + the nucleus).
// The same command is `zplex image ...`.
#include <zplex/hercules/image.hpp>
#include <zplex/hercules/image_command.hpp>
#include <zplex/sysplex/debug_option.hpp>
#include <zplex/sysplex/byte_order.hpp>
#include <zplex/sysplex/catalogue.hpp>
#include <zplex/xcf/xcf.hpp>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

namespace hc = zplex::hercules;
namespace xcf = zplex::xcf;

namespace {

struct take_options {
    std::string structure;
    std::uint32_t list = 0;
    std::uint32_t n = 16;
    std::uint32_t k = 4;
    std::string conname;
};

using zplex::sysplex::get32;
using zplex::sysplex::put32;

/// Join the sysplex as a short-lived system, send the image's nucleus a TAKE, print NUMS.
int take(const hc::image_options& o, const take_options& t) {
    xcf::sysplex_options so;
    so.sysplex = o.sysplex;
    so.interval = o.interval;
    std::ifstream in(o.key_file);
    std::stringstream text;
    text << in.rdbuf();
    if (!in || !xcf::parse_key(text.str(), so.key)) {
        std::cerr << "ZPX0739E " << o.key_file.string() << " IS NOT A SYSPLEX KEY (64 HEX DIGITS)\n";
        return 8;
    }
    std::unique_ptr<xcf::system> sys;
    std::string sysname = "T" + std::to_string(::getpid() % 10'000'000);
    auto r = xcf::system::join(so, sysname, sys);
    std::unique_ptr<xcf::member> me;
    if (r) {
        sys->start();
        r = xcf::member::join(*sys, "ZPXIMAGE", sysname, 0, me);
    }
    if (!r || r.why == xcf::reason::other_key) {
        const char* why = r.why == xcf::reason::no_dataset  ? ": ITS COUPLE DATASET CANNOT BE OPENED"
                          : r.why == xcf::reason::other_key ? ": ITS SYSTEMS USE ANOTHER SYSPLEX KEY"
                          : r.why == xcf::reason::bad_key   ? ": THE SYSPLEX KEY DOES NOT MATCH"
                                                            : "";
        std::cerr << "ZPX0739E CANNOT JOIN SYSPLEX " << o.sysplex << why << " (" << xcf::to_string(r) << ")\n";
        return 8;
    }
    std::vector<std::uint8_t> m(48, ' ');
    std::memcpy(m.data(), "TAKE", 4);
    put32(&m[4], t.list);
    put32(&m[8], t.n);
    put32(&m[12], t.k);
    std::memcpy(&m[16], t.structure.data(), std::min<std::size_t>(16, t.structure.size()));
    std::string con = t.conname.empty() ? o.name + "CFL" : t.conname;
    std::memcpy(&m[32], con.data(), std::min<std::size_t>(16, con.size()));
    r = me->send(o.name, m);
    if (!r) {
        std::cerr << "ZPX0739E " << o.name << " IS NOT A MEMBER OF GROUP ZPXIMAGE: " << xcf::to_string(r) << "\n";
        return 8;
    }
    std::vector<std::uint8_t> reply;
    std::string from;
    if (!me->receive(reply, from, std::chrono::milliseconds(5000)) || reply.size() < 16 ||
        std::memcmp(reply.data(), "NUMS", 4) != 0) {
        std::cerr << "ZPX0739E NO ANSWER FROM " << o.name << " IN 5 SECONDS\n";
        return 8;
    }
    std::uint32_t status = get32(&reply[4]);
    std::uint32_t k = get32(&reply[8]);
    std::cout << "ZPX0739I " << from << " TOOK " << k << " BLOCKS OF " << get32(&reply[12]) << " FROM " << t.structure
              << " LIST " << t.list;
    std::cout << fmt::format(" (CF RC={:02} RSN={:04X})", (status >> 16) & 0xFF, status & 0xFFFF) << "\n";
    for (std::uint32_t i = 0; i < k && 24 + 8 * i <= reply.size(); ++i) {
        std::uint64_t first = static_cast<std::uint64_t>(get32(&reply[16 + 8 * i])) << 32 | get32(&reply[20 + 8 * i]);
        std::cout << "  " << first << "-" << first + get32(&reply[12]) - 1 << "\n";
    }
    me->leave();
    return (status & 0x00FF0000) == 0 ? 0 : 8;
}

}  // namespace

int zplex::hercules::image_command(int argc, char** argv) {
    CLI::App app{"zplex image: start, stop and inspect a Hercules image running the zplex nucleus", argv[0]};
    app.require_subcommand(1);
    zplex::log::add_debug_options(app);
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
    std::string catalogue_dir;
    st->add_option("--catalogue", catalogue_dir,
                   "sysplex folder (SYSPLEX.xml): sysplex name, CFs, INTERVAL and key file from there");
    auto* o_sysplex = st->add_option("--sysplex", o.sysplex, "sysplex (shared-memory namespace)");
    auto* o_key = st->add_option("--key-file", o.key_file, "sysplex key file (64 hex digits)");
    auto* o_cf = st->add_option("--cf", cfs, "CF link PREFLIST, e.g. CF01,CF02");
    auto* o_interval = st->add_option("--interval", interval, "XCF INTERVAL in ms");
    st->add_option("--http-port", port, "console HTTP port")->required();
    st->add_option("--module-dir", o.module_dir, "where hdtcfl.so, hdtxcfs.so, nucleus.ins are");
    st->add_flag("!--no-ipl", o.ipl, "start Hercules without IPLing the nucleus");
    unsigned wait_s = 60;
    st->add_option("--wait", wait_s, "seconds to wait for the nucleus to join the sysplex (0: do not wait)");
    auto* sp = app.add_subcommand("stop", "quit NAME's Hercules (SIGKILL after 5 s)");
    add_common(sp);
    auto* ss = app.add_subcommand("status", "is NAME's Hercules running; its PSW");
    add_common(ss);
    auto* sc = app.add_subcommand("cmd", "a Hercules console command for NAME (stop, start, psw, devlist...)");
    add_common(sc);
    sc->add_option("command", command, "the command")->required();
    take_options t;
    auto* tk = app.add_subcommand("take", "ask NAME's nucleus for K blocks of N numbers from a CF list (TAKE over XCF)");
    add_common(tk);
    tk->add_option("--sysplex", o.sysplex, "sysplex (shared-memory namespace)")->required();
    tk->add_option("--key-file", o.key_file, "sysplex key file (64 hex digits)")->required();
    tk->add_option("--structure", t.structure, "list structure")->required();
    tk->add_option("--list", t.list, "list number");
    tk->add_option("-n", t.n, "numbers per LISTKEYINC");
    tk->add_option("-k", t.k, "LISTKEYINC requests (at most 256)");
    tk->add_option("--conname", t.conname, "connector name of the image (default NAMECFL)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);  // --help is a "parse error" with exit code 0
        return rc == 0 ? 0 : 2;
    }
    if (!hc::valid_image_name(o.name)) {
        std::cerr << "ZPX0730E IMAGE NAME '" << o.name << "' IS NOT VALID (1-8 OF A-Z 0-9 @ # $)\n";
        return 2;
    }
    if ((*tk || *st) && !o.sysplex.empty() && !hc::valid_sysplex_name(o.sysplex)) {
        std::cerr << "ZPX0730E SYSPLEX NAME '" << o.sysplex << "' IS NOT VALID (1-16 OF A-Z 0-9 @ # $ _ -)\n";
        return 2;
    }
    if (*tk) {
        if (t.structure.empty() || t.structure.size() > 16 || t.k == 0 || t.k > 256 || t.n == 0) {
            std::cerr << "ZPX0730E --structure (1-16), -n (1 OR MORE) AND -k (1-256) ARE REQUIRED\n";
            return 2;
        }
        return take(o, t);
    }

    o.dir = std::filesystem::path(run_dir) / o.name;
    if (*st) {
        if (!catalogue_dir.empty()) {
            try {
                auto cat = zplex::sysplex::catalogue::load(catalogue_dir);
                auto from = hc::options_from_catalogue(cat, o.name);
                if (!*o_sysplex) o.sysplex = from.sysplex;
                if (!*o_key) o.key_file = from.key_file;
                if (!*o_cf) {
                    cfs.clear();
                    for (const auto& c : from.cfs) cfs += (cfs.empty() ? "" : ",") + c;
                }
                if (!*o_interval) interval = static_cast<long>(from.interval.count());
            } catch (const std::exception& e) {
                std::cerr << "ZPX0730E " << e.what() << "\n";
                return 8;
            }
        }
        if (o.sysplex.empty() || o.key_file.empty()) {
            std::cerr << "ZPX0730E --sysplex AND --key-file (OR --catalogue) ARE REQUIRED\n";
            return 2;
        }
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
        if (o.ipl && wait_s > 0 && !hc::wait_joined(o, std::chrono::seconds(wait_s), err)) {
            std::cerr << err << "\n";
            return 8;
        }
        std::cout << "ZPX0734I IMAGE " << o.name << " STARTED, HERCULES PID " << pid << ", CONSOLE PORT " << port
                  << ", DIRECTORY " << o.dir.string() << (o.ipl && wait_s > 0 ? ", JOINED THE SYSPLEX" : "") << "\n";
        return 0;
    }
    if (*sp) {
        if (hc::running_pid(o.dir) <= 0) {
            std::cout << "ZPX0737I IMAGE " << o.name << " IS NOT ACTIVE\n";
            return 4;
        }
        bool ok = hc::stop(o.dir);
        std::cout << (ok ? "ZPX0735I IMAGE " + o.name + " STOPPED" : "ZPX0736E IMAGE " + o.name + " DID NOT STOP")
                  << "\n";
        return ok ? 0 : 8;
    }
    int pid = hc::running_pid(o.dir);
    if (pid <= 0) {
        std::cout << "ZPX0737I IMAGE " << o.name << " IS NOT ACTIVE\n";
        return 4;
    }
    auto a = hc::console_command(o.dir, *ss ? "psw" : command);
    if (a.what != hc::console_answer::status::ok) {
        std::cerr << hc::to_string(a, o.name) << "\n";
        return 8;
    }
    if (*ss) {
        std::cout << "ZPX0738I IMAGE " << o.name << " ACTIVE, HERCULES PID " << pid << "\n";
    }
    std::cout << a.text;
    return 0;
}
