// SPDX-License-Identifier: Apache-2.0
// zplex-host in a namespace for the e2e tests and benchmarks.
#include <zplex/e2e/zplex_host.hpp>

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace zplex::e2e {

namespace fs = std::filesystem;

std::map<std::string, std::uint64_t> parse_host_counters(const std::string& text) {
    std::map<std::string, std::uint64_t> m;
    std::istringstream in(text);
    std::string line;
    std::string child;
    while (std::getline(in, line)) {
        std::istringstream l(line);
        std::vector<std::string> w;
        for (std::string x; l >> x;) {
            w.push_back(x);
        }
        if (w.empty()) {
            continue;
        }
        if (w[0] == "child" && w.size() > 1) {
            child = "child " + w[1];
        } else if ((w[0] == "in" || w[0] == "out") && w.size() >= 7) {
            m[child + " " + w[0] + " packets"] = std::strtoull(w[4].c_str(), nullptr, 10);
            m[child + " " + w[0] + " bytes"] = std::strtoull(w[6].c_str(), nullptr, 10);
        } else if ((w[0] == "drop" || w[0] == "esp_drop") && w.size() == 3) {
            m[w[0] + " " + w[1]] = std::strtoull(w[2].c_str(), nullptr, 10);
        } else if (w.size() == 2) {
            m[w[0]] = std::strtoull(w[1].c_str(), nullptr, 10);
        }
    }
    return m;
}

zplex_host_process::zplex_host_process(const netns& ns, const fs::path& dir, zplex_host_options o) {
    fs::create_directories(dir);
    _out = dir / "zplex-host.out";
    fs::path ready = dir / "ready";
    fs::remove(ready);
    fs::remove(_out);
    const std::string spi_in = fmt::format("{:x}", o.spi_in), spi_out = fmt::format("{:x}", o.spi_out);
    std::vector<std::string> argv{o.binary.string(), "--tun", o.tun, "--local", o.local, "--keepalive",
                                  std::to_string(o.keepalive), "--ready-file", ready.string()};
    if (o.policy.empty()) {
        // Static keys go in a 0600 file, never on the command line.
        fs::path keys = dir / "keys";
        fs::remove(keys);
        {
            std::ofstream k(keys);
            fs::permissions(keys, fs::perms::owner_read | fs::perms::owner_write);
            k << "in " << o.key_in << "\nout " << o.key_out << "\n";
            if (o.ah_spi_in != 0) {
                k << "ah-in " << o.ah_key_in << "\nah-out " << o.ah_key_out << "\n";
            }
        }
        argv.insert(argv.end(), {"--peer", o.peer, "--local-ts", o.local_ts, "--remote-ts", o.remote_ts, "--spi-in",
                                 spi_in, "--spi-out", spi_out, "--key-file", keys.string(), "--alg", o.alg});
        if (o.ah_spi_in != 0) {
            argv.insert(argv.end(), {"--ah-spi-in", fmt::format("{:x}", o.ah_spi_in), "--ah-spi-out",
                                     fmt::format("{:x}", o.ah_spi_out)});
        }
        if (o.replay_window != 0) {
            argv.insert(argv.end(), {"--replay-window", std::to_string(o.replay_window)});
        }
    } else {
        argv.insert(argv.end(), {"--policy", o.policy});
        if (!o.control.empty()) {
            argv.insert(argv.end(), {"--control", o.control});
        }
        for (const auto& r : o.initiate) {
            argv.insert(argv.end(), {"--initiate", r});
        }
    }
    _proc = child_process::exec(argv, ns.name(), _out);
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!fs::exists(ready)) {
        if (!_proc.running() || std::chrono::steady_clock::now() > deadline) {
            std::ifstream f(_out);
            std::stringstream s;
            s << f.rdbuf();
            _proc.terminate(2s);
            throw std::runtime_error("zplex-host in " + ns.name() + " did not come up:\n" + s.str());
        }
        std::this_thread::sleep_for(10ms);
    }
    if (o.route_protocol.empty()) {
        ns.ip({"route", "add", o.remote_ts, "dev", o.tun, "src", o.route_src});
    } else {
        ns.ip({"route", "add", o.remote_ts, "dev", o.tun, "src", o.route_src, "table", "220"});
        ns.ip({"rule", "add", "to", o.remote_ts, "ipproto", o.route_protocol, "lookup", "220"});
    }
}

zplex_host_process::~zplex_host_process() {
    if (!_stopped) {
        stop();
    }
}

std::string zplex_host_process::output() const {
    std::ifstream f(_out);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

run_result zplex_host_process::stop() {
    _stopped = true;
    auto r = _proc.terminate(5s);
    std::ifstream f(_out);
    std::stringstream s;
    s << f.rdbuf();
    r.out = s.str();
    return r;
}

}  // namespace zplex::e2e
