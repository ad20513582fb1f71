// SPDX-License-Identifier: Apache-2.0
// The IPsec steps of `zplex up` (docs/operating.md, "IPsec in a run"): zplex-iked in
// each image whose Policy Agent policy (SYS1.PAGENT(<system>)) has a KeyExchangeRule,
// and strongSwan's charon on each LAN host of role ipsec-peer that names a swanctl.conf
// data set, with the swanctl file loaded and its start_action=start CHILD_SAs in place.
#include "up_ipsec.hpp"

#include <zplex/host/iked.hpp>
#include <zplex/policy/policy.hpp>
#include <zplex/sysplex/private_file.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace zplex::cli::run {

namespace {

bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds limit,
              const std::function<bool()>& alive = [] { return true; }) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (done()) return true;
        if (!alive()) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
}

std::string file_text(const fs::path& f) {
    std::ifstream in(f);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// charon's plugins: random/nonce (SPIs, nonces), openssl (AES-GCM, SHA-2, DH), curve25519,
/// kdf (prf+), pem/x509/pubkey (swanctl --load-all reads credentials), hmac,
/// socket-default (IKE on 500/4500), kernel-libipsec (ESP in user space, TUN ipsec0),
/// kernel-netlink (addresses, routes via ipsec0), vici (swanctl), attr.
constexpr const char* charon_program = "/usr/lib/ipsec/charon";
constexpr const char* charon_plugins =
    "random nonce openssl pem x509 pubkey hmac kdf curve25519 socket-default kernel-libipsec kernel-netlink vici attr";

}  // namespace

fs::path peer_run_dir(const fs::path& dir, const std::string& host) { return dir / "peers" / host / "run"; }

std::vector<iked_plan> plan_ikeds(const sysplex::catalogue& cat) {
    std::vector<iked_plan> v;
    for (const auto& im : cat.config().images) {
        iked_plan p;
        p.image = &im;
        p.policy_dsn = "SYS1.PAGENT(" + im.name + ")";
        auto file = cat.datasets().resolve(p.policy_dsn);
        if (!file) continue;  // no policy: no IPsec on this image
        auto pr = policy::parse_file(file->string());
        auto cfg = host::iked_config_from_policy(pr.policy, false);
        p.rules = cfg.peer.connections.size();
        if (pr.return_code() >= 8 || (p.rules && cfg.has_errors()))
            throw run_error(fmt::format("ZPX1824E IPSEC POLICY {} OF {} HAS ERRORS: zplex policy check {} SHOWS THEM",
                                        p.policy_dsn, im.name, file->string()));
        if (p.rules) v.push_back(p);
    }
    return v;
}

void start_ikeds(operating::run_record& r, const fs::path& dir, const std::vector<iked_plan>& plans,
                 const std::vector<image_plan>& images, const std::function<void(const std::string&)>& step) {
    for (const auto& p : plans)
        start_recorded(r, dir, "iked", "IKED", p.image->name, iked_argv(r, dir, *p.image), r.netns_of(p.image->name)->name,
                       iked_log(dir, p.image->name));
    for (const auto& p : plans) {
        const auto& im = *p.image;
        const auto* proc = r.find("iked", im.name);
        fs::path log = iked_log(dir, im.name);
        auto alive = [&] { return proc && sysplex::process_alive(proc->id); };
        std::error_code ec;
        if (!wait_for([&] { return fs::exists(iked_socket(dir, im.name), ec); }, std::chrono::seconds(10), alive))
            throw run_error("ZPX1826E IKED ON " + im.name + " DID NOT START; ITS LOG:\n" + tail(log, 8));
        // The owner of a DVIPA listens for IKE once it has read its stack's DVIPAs.
        bool owns = false;
        for (const auto& ip : images)
            if (ip.image == p.image) owns = !ip.defines.empty();
        bool listening = owns && wait_for([&] { return file_text(log).find("ZPX1722I") != std::string::npos; },
                                          std::chrono::seconds(5), alive);
        step(fmt::format("ZPX1825I IKED ON {} STARTED (PID {}): POLICY {}, {} KEYEXCHANGERULES{}", im.name, proc->id.pid,
                         p.policy_dsn, p.rules, listening ? ", IKE LISTENING" : ""));
    }
}

bool start_peer(operating::run_record& r, const fs::path& dir, const sysplex::catalogue& cat,
                const sysplex::host_config& h, const std::function<void(const std::string&)>& step,
                const std::function<void(const std::string&)>& note) {
    std::error_code ec;
    if (!fs::exists(charon_program, ec)) {
        note(fmt::format("ZPX1829W IPSEC PEER {} HAS NO IKE DAEMON: {} IS NOT INSTALLED (apt-get install strongswan-charon "
                         "libcharon-extra-plugins libstrongswan-standard-plugins strongswan-swanctl)",
                         h.name, charon_program));
        return false;
    }
    std::string why;
    auto file = cat.datasets().resolve(h.swanctl_dsn, &why);
    if (!file)
        throw run_error(fmt::format("ZPX1828E SWANCTL DATA SET {} OF IPSEC PEER {} NOT FOUND: {}", h.swanctl_dsn, h.name, why));
    const fs::path home = dir / "peers" / h.name, run = peer_run_dir(dir, h.name);
    ensure_private_dir(dir / "peers");
    ensure_private_dir(home);
    ensure_private_dir(run);
    // In the peer's private /run (charon's mount namespace binds its run folder there), so
    // charon finds it whatever the run folder is: under the default /run/zplex a path of
    // the run folder is hidden by that very bind.
    const fs::path conf = run / "strongswan.conf";
    const std::string vici = "unix://" + (run / "charon.vici").string();
    {
        // charon's own settings are zplex's (its plugins, its /run, its log on stderr into
        // the run's log); the connections are the user's swanctl.conf.
        std::ostringstream f;
        f << "# strongswan.conf of " << h.name << " in the run of " << r.sysplex << ", written by zplex up\n"
          << "charon {\n"
          << "    load_modular = no\n"
          << "    load = " << charon_plugins << "\n"
          << "    install_routes = yes\n"
          << "    retransmit_tries = 5\n"
          << "    retransmit_timeout = 1.0\n"
          // The run's log (and the console's SYSLOG): IKE SAs and CHILD_SAs coming and going,
          // and libipsec's replay and ICV failures (esp, level 1).
          << "    filelog {\n        stderr {\n            default = 0\n            ike = 1\n            esp = 1\n"
          << "            flush_line = yes\n"
          << "        }\n    }\n"
          << "    syslog {\n        daemon {\n            default = -1\n        }\n    }\n"
          << "    plugins {\n"
          // IKE and the CHILD_SA both go to the DVIPA: libipsec must allow the peer's own
          // address in the selectors, and charon's datagrams (marked by socket-default)
          // stay out of the route into ipsec0 (kernel-netlink's rule skips the mark).
          << "        kernel-libipsec {\n            allow_peer_ts = yes\n        }\n"
          << "        socket-default {\n            fwmark = 0x42\n        }\n"
          << "        kernel-netlink {\n            fwmark = !0x42\n        }\n"
          << "        vici {\n            socket = unix:///run/charon.vici\n        }\n"
          << "    }\n"
          << "}\n"
          << "swanctl {\n    socket = unix:///run/charon.vici\n}\n";
        const std::string text = f.str();
        int fd = sysplex::open_private_file(conf.string(), why);
        bool written = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
        if (fd >= 0) ::close(fd);
        if (!written)
            throw run_error(fmt::format("ZPX1828E {} OF IPSEC PEER {} CANNOT BE WRITTEN: {}", conf.string(), h.name,
                                        fd < 0 ? why : std::strerror(errno)));
    }
    const fs::path log = dir / "logs" / (h.name + ".CHARON.log");
    start_recorded(r, dir, "peer", "CHARON", h.name, {charon_program}, r.netns_of(h.name)->name, log,
                   {{"STRONGSWAN_CONF", "/run/strongswan.conf"}}, run);
    const auto* proc = r.find("peer", h.name);
    auto alive = [&] { return proc && sysplex::process_alive(proc->id); };
    if (!wait_for([&] { return fs::exists(run / "charon.vici", ec); }, std::chrono::seconds(10), alive))
        throw run_error("ZPX1828E CHARON ON " + h.name + " DID NOT START; ITS LOG:\n" + tail(log, 8));
    auto swanctl = [&](std::vector<std::string> args, std::string& out) {
        std::vector<std::string> argv{"env", "STRONGSWAN_CONF=" + conf.string(), "swanctl"};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.push_back("--uri");
        argv.push_back(vici);
        out.clear();
        return run_output(argv, out, std::chrono::seconds(20));
    };
    std::string out;
    if (swanctl({"--load-all", "--noprompt", "--file", file->string()}, out) != 0 ||
        out.find("successfully loaded") == std::string::npos)
        throw run_error(fmt::format("ZPX1828E swanctl --load-all OF {} ({}) ON {} FAILED:\n{}", h.swanctl_dsn,
                                    file->string(), h.name, out));
    // The CHILD_SAs that start at load: each must be installed (IKE with its DVIPA's owner).
    const std::string text = file_text(*file);
    std::regex starts(R"(\n[ \t]*start_action[ \t]*=[ \t]*start\b)");
    auto want = std::distance(std::sregex_iterator(text.begin(), text.end(), starts), std::sregex_iterator());
    auto installed = [&] {
        std::string sas;
        if (swanctl({"--list-sas", "--raw"}, sas) != 0) return false;
        std::ptrdiff_t n = 0;
        for (auto at = sas.find("state=INSTALLED"); at != std::string::npos; at = sas.find("state=INSTALLED", at + 1)) ++n;
        return n >= want;
    };
    // A peer that cannot negotiate (a profile edit took the DVIPA's distribution away, a
    // policy that does not match) is the sysplex's news, not a failed IPL: a warning.
    bool all = want == 0 || wait_for(installed, std::chrono::seconds(10), alive);
    step(fmt::format("ZPX1827I IPSEC PEER {}: STRONGSWAN CHARON (PID {}) WITH {}, {} CHILD SAS INSTALLED", h.name,
                     proc->id.pid, h.swanctl_dsn, all ? want : 0));
    if (!all)
        note(fmt::format("ZPX1829W IPSEC PEER {}: {} CHILD SAS OF {} WERE NOT INSTALLED WITHIN 10 S; ITS LOG:\n{}", h.name,
                         want, h.swanctl_dsn, tail(log, 8)));
    return all;
}

}  // namespace zplex::cli::run
