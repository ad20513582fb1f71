// SPDX-License-Identifier: Apache-2.0
// charon in a namespace with kernel-libipsec; swanctl; --list-sas --raw parsing.
#include <zplex/e2e/strongswan.hpp>

#include <sys/mount.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cctype>
#include <deque>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace zplex::e2e {

namespace fs = std::filesystem;

std::vector<std::string> default_charon_plugins() {
    // random/nonce: SPIs and nonces; openssl: AES-GCM, SHA-2, MODP/ECP DH; curve25519:
    // x25519; kdf: prf+ (5.9.8 builds it as a plugin); pem/x509/pubkey: swanctl --load-all
    // touches them; socket-default: IKE on 500/4500; kernel-libipsec: ESP in user space
    // (TUN ipsec0); kernel-netlink: addresses and the routes via ipsec0; vici: swanctl.
    return {"random", "nonce", "openssl", "pem", "x509", "pubkey", "hmac", "kdf", "curve25519", "socket-default",
            "kernel-libipsec", "kernel-netlink", "vici", "attr"};
}

bool have_strongswan(std::string* why) {
    auto fail = [&](const std::string& w) {
        if (why) {
            *why = w;
        }
        return false;
    };
    if (!fs::exists(charon_path)) {
        return fail(std::string(charon_path) + " missing (strongswan-charon, scripts/bootstrap)");
    }
    if (run({"sh", "-c", "command -v swanctl"}, 10s).status != 0) {
        return fail("swanctl missing (strongswan-swanctl, scripts/bootstrap)");
    }
    for (const auto& p : default_charon_plugins()) {
        if (!fs::exists("/usr/lib/ipsec/plugins/libstrongswan-" + p + ".so")) {
            return fail("strongSwan plugin " + p + " missing (scripts/bootstrap: libcharon-extra-plugins, "
                        "libstrongswan-standard-plugins)");
        }
    }
    return true;
}

std::string psk_connection::swanctl_conf() const {
    std::string lid = local_id.empty() ? local_addr : local_id;
    std::string rid = remote_id.empty() ? remote_addr : remote_id;
    std::ostringstream o;
    o << "connections {\n"
      << "    " << name << " {\n"
      << "        version = 2\n"
      << "        local_addrs = " << local_addr << "\n"
      << "        remote_addrs = " << remote_addr << "\n"
      << "        encap = " << (encap ? "yes" : "no") << "\n"
      << "        proposals = " << ike_proposals << "\n"
      << extra_ike
      << "        local {\n            auth = psk\n            id = " << lid << "\n        }\n"
      << "        remote {\n            auth = psk\n            id = " << rid << "\n        }\n"
      << "        children {\n"
      << "            " << name << " {\n"
      << "                mode = tunnel\n"
      << "                local_ts = " << local_ts << "\n"
      << "                remote_ts = " << remote_ts << "\n"
      << "                esp_proposals = " << esp_proposals << "\n"
      << "                start_action = " << start_action << "\n"
      << extra_child
      << "            }\n"
      << "        }\n"
      << "    }\n"
      << "}\n"
      << "secrets {\n"
      << "    ike-" << name << " {\n"
      << "        id-local = " << lid << "\n"
      << "        id-remote = " << rid << "\n"
      << "        secret = \"" << psk << "\"\n"
      << "    }\n"
      << "}\n";
    return o.str();
}

psk_connection zplex_interop(const std::string& local_addr, const std::string& remote_addr, const std::string& local_ts,
                             const std::string& remote_ts) {
    psk_connection c;
    c.name = "zplex";
    c.local_addr = local_addr;
    c.remote_addr = remote_addr;
    c.local_ts = local_ts;
    c.remote_ts = remote_ts;
    // One proposal per group, in the order zplex prefers: a KE payload for another group
    // than the one selected draws INVALID_KE_PAYLOAD (RFC 7296 §1.3), which zplex retries.
    c.ike_proposals = "aes128gcm16-prfsha256-x25519,aes128gcm16-prfsha256-ecp256,aes128gcm16-prfsha256-modp2048";
    c.esp_proposals = "aes128gcm16";
    c.encap = true;
    c.start_action = "none";
    return c;
}

// ---- --list-sas --raw ---------------------------------------------------------------

namespace {

struct vnode {
    std::vector<std::pair<std::string, std::string>> kv;
    std::vector<std::pair<std::string, std::unique_ptr<vnode>>> sections;
    const std::string* get(const std::string& k) const {
        for (const auto& [key, v] : kv) {
            if (key == k) {
                return &v;
            }
        }
        return nullptr;
    }
};

/// Words, "{", "}"; a [list with spaces] stays one word.
std::deque<std::string> tokenize(const std::string& s) {
    std::deque<std::string> t;
    std::string cur;
    int bracket = 0;
    auto flush = [&] {
        if (!cur.empty()) {
            t.push_back(cur);
            cur.clear();
        }
    };
    for (char c : s) {
        if (bracket > 0) {
            cur += c;
            bracket += c == '[' ? 1 : c == ']' ? -1 : 0;
        } else if (c == '[') {
            cur += c;
            bracket = 1;
        } else if (c == '{' || c == '}') {
            flush();
            t.emplace_back(1, c);
        } else if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
            flush();
        } else {
            cur += c;
        }
    }
    flush();
    return t;
}

/// Items up to the matching "}" (consumed). A section's name may be several words
/// ("list-sa event"): the words before "{" that are not key=value.
void parse_items(std::deque<std::string>& t, vnode& n, int depth) {
    std::string pending;
    while (!t.empty()) {
        std::string w = std::move(t.front());
        t.pop_front();
        if (w == "}") {
            return;
        }
        if (w == "{") {
            auto child = std::make_unique<vnode>();
            if (depth < 16) {
                parse_items(t, *child, depth + 1);
            }
            n.sections.emplace_back(pending, std::move(child));
            pending.clear();
            continue;
        }
        auto eq = w.find('=');
        if (eq != std::string::npos) {
            std::string v = w.substr(eq + 1);
            if (v.size() >= 2 && v.front() == '[' && v.back() == ']') {
                v = v.substr(1, v.size() - 2);
            }
            n.kv.emplace_back(w.substr(0, eq), v);
            pending.clear();
        } else {
            pending = pending.empty() ? w : pending + " " + w;
        }
    }
}

std::uint64_t num(const vnode& n, const char* k, int base = 10) {
    const std::string* v = n.get(k);
    return v ? std::strtoull(v->c_str(), nullptr, base) : 0;
}

std::string str(const vnode& n, const char* k) {
    const std::string* v = n.get(k);
    return v ? *v : std::string();
}

}  // namespace

std::vector<ike_sa> parse_list_sas(const std::string& raw) {
    auto tokens = tokenize(raw);
    vnode top;
    while (!tokens.empty()) {
        parse_items(tokens, top, 0);  // stray "}" at top level just ends one round
    }
    std::vector<ike_sa> out;
    for (const auto& [ev, body] : top.sections) {
        if (ev != "list-sa event") {
            continue;
        }
        for (const auto& [name, ike] : body->sections) {
            ike_sa s;
            s.name = name;
            s.state = str(*ike, "state");
            for (const auto& [k, v] : ike->kv) {
                s.attrs[k] = v;
            }
            for (const auto& [sec, kids] : ike->sections) {
                if (sec != "child-sas") {
                    continue;
                }
                for (const auto& [cid, c] : kids->sections) {
                    (void)cid;
                    child_sa ch;
                    ch.ike = name;
                    ch.name = str(*c, "name");
                    ch.state = str(*c, "state");
                    ch.mode = str(*c, "mode");
                    ch.encap = str(*c, "encap") == "yes";
                    ch.spi_in = static_cast<std::uint32_t>(num(*c, "spi-in", 16));
                    ch.spi_out = static_cast<std::uint32_t>(num(*c, "spi-out", 16));
                    ch.bytes_in = num(*c, "bytes-in");
                    ch.packets_in = num(*c, "packets-in");
                    ch.bytes_out = num(*c, "bytes-out");
                    ch.packets_out = num(*c, "packets-out");
                    ch.encr_alg = str(*c, "encr-alg");
                    ch.local_ts = str(*c, "local-ts");
                    ch.remote_ts = str(*c, "remote-ts");
                    s.children.push_back(std::move(ch));
                }
            }
            out.push_back(std::move(s));
        }
    }
    return out;
}

/// The hex of the key charon logged as "<what> => N bytes @ 0x..." and its dump lines
/// ("   0: CD 30 46 ...  .0F."), lowercase, or "" if not found.
std::string logged_key(const fs::path& log, const std::string& what) {
    std::ifstream f(log);
    std::string line, hex, last;
    bool in_dump = false;
    std::size_t want = 0;
    while (std::getline(f, line)) {
        auto tag = line.find("[CHD]");
        if (tag == std::string::npos) {
            continue;
        }
        std::string text = line.substr(tag + 5);
        if (!in_dump) {
            auto at = text.find(what + " => ");
            if (at != std::string::npos) {
                in_dump = true;
                hex.clear();
                want = std::stoul(text.substr(at + what.size() + 4));
            }
            continue;
        }
        // "   16: C2 73 84 E8     .s.." -- offset, colon, up to 16 two-digit bytes.
        auto colon = text.find(':');
        if (colon == std::string::npos) {
            in_dump = false;
            continue;
        }
        std::size_t i = colon + 1;
        while (hex.size() < want * 2 && i + 2 < text.size() && text[i] == ' ' && std::isxdigit(text[i + 1]) &&
               std::isxdigit(text[i + 2])) {
            hex += static_cast<char>(std::tolower(text[i + 1]));
            hex += static_cast<char>(std::tolower(text[i + 2]));
            i += 3;
        }
        if (hex.size() == want * 2) {
            last = hex;  // a rekeyed CHILD_SA's keys come later: keep the newest
            in_dump = false;
        }
    }
    return last;
}

// ---- charon --------------------------------------------------------------------------

charon::charon(const netns& ns, const fs::path& dir, options o) : _ns(ns), _dir(dir) {
    fs::create_directories(_dir / "run");
    _conf = _dir / "strongswan.conf";
    _log = _dir / "charon.log";
    _socket = _dir / "charon.vici";
    _swanctl_conf = _dir / "swanctl.conf";
    fs::remove(_socket);
    std::string plugins;
    for (const auto& p : o.plugins) {
        plugins += (plugins.empty() ? "" : " ") + p;
    }
    int l = o.log_level;
    {
        std::ofstream f(_conf);
        f << "# written by zplex_e2e_support for one test run\n"
          << "charon {\n"
          << "    load_modular = no\n"
          << "    load = " << plugins << "\n"
          << "    install_routes = yes\n"      // kernel-netlink: route to remote_ts via ipsec0, table 220
          << "    retransmit_tries = 3\n"
          << "    retransmit_timeout = 1.0\n"
          << o.extra_conf
          << "    filelog {\n"
          << "        main {\n"
          << "            path = " << _log.string() << "\n"
          << "            default = " << l << "\n"
          << "            ike = " << l + 1 << "\n            knl = " << l + 1 << "\n"
          << "            esp = " << l + 1 << "\n            net = " << l + 1 << "\n"
          << o.extra_log
          << "            time_format = %T\n"
          << "            flush_line = yes\n"
          << "        }\n"
          << "    }\n"
          << "    syslog {\n        daemon {\n            default = -1\n        }\n    }\n"
          << "    plugins {\n"
          << "        vici {\n            socket = " << vici_uri() << "\n        }\n"
          << "    }\n"
          << "}\n"
          << "swanctl {\n    socket = " << vici_uri() << "\n}\n";
    }
    std::string conf = _conf.string();
    std::string rundir = (_dir / "run").string();
    _proc = child_process::spawn(
        [conf, rundir] {
            // A private /run: charon's pid file is compiled in as /var/run/charon.pid.
            if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
                ::mount(rundir.c_str(), "/run", nullptr, MS_BIND, nullptr) != 0) {
                std::perror("e2e charon: private /run");
                return 124;
            }
            ::setenv("STRONGSWAN_CONF", conf.c_str(), 1);
            ::execl(charon_path, "charon", static_cast<char*>(nullptr));
            std::perror("e2e charon: exec");
            return 127;
        },
        ns.name(), _dir / "charon.stdout");
    auto deadline = std::chrono::steady_clock::now() + o.start_timeout;
    while (!fs::exists(_socket)) {
        if (!_proc.running() || std::chrono::steady_clock::now() > deadline) {
            std::string tail = log_tail();
            stop();
            throw std::runtime_error("charon in " + ns.name() + " did not open its vici socket:\n" + tail);
        }
        std::this_thread::sleep_for(20ms);
    }
}

charon::~charon() {
    stop();
}

run_result charon::stop() {
    if (_proc.pid() <= 0) {
        return {};
    }
    auto r = _proc.terminate(5s);
    _proc = child_process();
    return r;
}

run_result charon::kill() {
    if (_proc.pid() <= 0) {
        return {};
    }
    ::kill(_proc.pid(), SIGKILL);
    auto r = _proc.wait(5s);
    _proc = child_process();
    return r;
}

std::string charon::log_tail(std::size_t lines) const {
    std::ifstream f(_log);
    std::deque<std::string> q;
    std::string line;
    while (std::getline(f, line)) {
        q.push_back(line);
        if (q.size() > lines) {
            q.pop_front();
        }
    }
    std::ifstream so(_dir / "charon.stdout");
    std::string s;
    while (std::getline(so, line)) {
        s += "stdout: " + line + "\n";
    }
    for (const auto& l : q) {
        s += l + "\n";
    }
    return s;
}

run_result charon::swanctl(const std::vector<std::string>& args, std::chrono::milliseconds timeout) const {
    std::vector<std::string> argv{"env", "STRONGSWAN_CONF=" + _conf.string(), "swanctl"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--uri");
    argv.push_back(vici_uri());
    return _ns.exec(argv, timeout);
}

void charon::load(const std::string& swanctl_conf) const {
    {
        std::ofstream f(_swanctl_conf);
        f << swanctl_conf;
    }
    auto r = swanctl({"--load-all", "--noprompt", "--file", _swanctl_conf.string()});
    if (!r.ok() || r.out.find("successfully loaded") == std::string::npos) {
        throw std::runtime_error("swanctl --load-all failed:\n" + r.out);
    }
}

run_result charon::initiate(const std::string& child, std::chrono::seconds timeout) const {
    return swanctl({"--initiate", "--child", child, "--timeout", std::to_string(timeout.count())}, timeout + 5s);
}

run_result charon::rekey_child(const std::string& child) const {
    return swanctl({"--rekey", "--child", child});
}

run_result charon::rekey_ike(const std::string& ike) const {
    return swanctl({"--rekey", "--ike", ike});
}

run_result charon::terminate_ike(const std::string& ike) const {
    return swanctl({"--terminate", "--ike", ike, "--timeout", "10"}, 20s);
}

std::vector<ike_sa> charon::list_sas() const {
    auto r = swanctl({"--list-sas", "--raw"});
    if (!r.ok()) {
        throw std::runtime_error("swanctl --list-sas failed:\n" + r.out);
    }
    return parse_list_sas(r.out);
}

child_sa charon::installed_child(const std::string& child) const {
    child_sa best;
    for (const auto& ike : list_sas()) {
        for (const auto& c : ike.children) {
            if (c.name == child && c.state == "INSTALLED") {
                best = c;  // listed oldest first: the last one is the newest
            }
        }
    }
    return best;
}

}  // namespace zplex::e2e
