// SPDX-License-Identifier: Apache-2.0
// zplex-host: host mode with statically keyed SAs (until IKE installs them), for the
// e2e tests and benchmarks. Run it inside the namespace; route the protected prefixes
// into its TUN (`ip route add <remote-ts> dev zpx0 src <inner address>`).
//
//   zplex-host --local 198.18.10.1 --peer 198.18.10.2 --local-ts 198.18.20.1/32
//              --remote-ts 198.18.21.1/32 --spi-in 1001 --spi-out 2002
//              --key-file keys [--tun zpx0] [--ready-file F] [--replay-window 64]
//
// The key file (mode 0600, owned by the user, not a symlink) holds two lines,
// `in <hex>` and `out <hex>` (GCM: key || 4-byte salt), and for an AH+ESP bundle
// (--ah-spi-in, --ah-spi-out) `ah-in <hex>` and `ah-out <hex>` (the HMAC keys, 32, 48 or
// 64 bytes). Keys are never taken on the command line: any local user can read that in /proc.
//
// With IKE (docs/ike.md, "Host mode with a policy"): SAs negotiated per a Policy Agent policy,
//
//   zplex-host --local 198.18.10.1 --policy a.pol [--initiate RULE] [--control run/zplex.ctl]
//
// and `zplex ipsec -k|-y display [-r detail] --control run/zplex.ctl` against it.
//
// SIGTERM/SIGINT: print the counters and exit 0. SIGUSR1: print them and go on.
#include <zplex/host/host.hpp>
#include <zplex/host/iked.hpp>
#include <zplex/policy/policy.hpp>
#include <zplex/sysplex/debug_option.hpp>
#include <zplex/sysplex/line_socket.hpp>
#include <zplex/sysplex/ipv4.hpp>

#include <CLI/CLI.hpp>

#include <openssl/crypto.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_dump{false};
zplex::host::host* g_host = nullptr;

void on_signal(int sig) {
    if (sig == SIGUSR1) {
        g_dump = true;
    } else {
        g_stop = true;
    }
    if (g_host) {
        g_host->wake();
    }
}

std::uint32_t parse_addr(const std::string& s) {
    auto a = zplex::sysplex::ipv4_address::parse(s);
    if (!a) throw std::invalid_argument("not an IPv4 address: " + s);
    return a->value;
}

zplex::host::traffic_selector parse_ts(const std::string& s) {
    zplex::host::traffic_selector ts;
    auto slash = s.find('/');
    ts.addr = parse_addr(s.substr(0, slash));
    if (slash != std::string::npos) {
        int len = std::stoi(s.substr(slash + 1));
        if (len < 0 || len > 32) {
            throw std::invalid_argument("bad prefix length in " + s);
        }
        ts.prefix_len = static_cast<std::uint8_t>(len);
    }
    return ts;
}

std::vector<std::uint8_t> parse_hex(const std::string& h) {
    if (h.size() % 2 != 0) {
        throw std::invalid_argument("odd number of hex digits");
    }
    auto nibble = [](char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        throw std::invalid_argument("not a hex digit");
    };
    std::vector<std::uint8_t> v(h.size() / 2);  // no temporaries holding key digits
    for (std::size_t i = 0; i < v.size(); ++i) {
        v[i] = static_cast<std::uint8_t>(nibble(h[2 * i]) << 4 | nibble(h[2 * i + 1]));
    }
    return v;
}

/// Zero a string that held key text.
void wipe(std::string& s) noexcept {
    if (!s.empty()) {
        OPENSSL_cleanse(s.data(), s.size());
    }
    s.clear();
}

/// The static SA keys from @p path; false and @p why if the file is not ours alone.
bool read_key_file(const std::string& path, std::vector<std::uint8_t>& in, std::vector<std::uint8_t>& out,
                   std::string& why, std::vector<std::uint8_t>& ah_in, std::vector<std::uint8_t>& ah_out) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        why = errno == ELOOP ? "IT IS A SYMBOLIC LINK" : std::string("IT CANNOT BE OPENED: ") + std::strerror(errno);
        return false;
    }
    struct stat st{};
    std::string text;
    bool ok = ::fstat(fd, &st) == 0;
    if (!ok || !S_ISREG(st.st_mode)) {
        why = "IT IS NOT A REGULAR FILE";
    } else if (st.st_uid != ::geteuid()) {
        why = "IT BELONGS TO ANOTHER USER";
    } else if ((st.st_mode & 077) != 0) {
        why = "ITS MODE IS NOT 0600: OTHERS CAN READ OR CHANGE IT";
    } else if (st.st_size > 4096) {
        why = "IT IS LARGER THAN 4096 BYTES";
    } else {
        text.resize(static_cast<std::size_t>(st.st_size));
        ok = ::read(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
        why = ok ? "" : "IT CANNOT BE READ";
    }
    ::close(fd);
    if (!why.empty()) {
        wipe(text);
        return false;
    }
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream w(line);
        std::string dir, hex;
        w >> dir >> hex;
        if (dir.empty() || dir[0] == '#') {
            continue;
        }
        try {
            if (dir == "in" && in.empty()) {
                in = parse_hex(hex);
            } else if (dir == "out" && out.empty()) {
                out = parse_hex(hex);
            } else if (dir == "ah-in" && ah_in.empty()) {
                ah_in = parse_hex(hex);
            } else if (dir == "ah-out" && ah_out.empty()) {
                ah_out = parse_hex(hex);
            } else {
                why = "A LINE IS NOT 'in HEX', 'out HEX', 'ah-in HEX' OR 'ah-out HEX' (OR REPEATS ONE)";
            }
        } catch (const std::exception&) {
            why = "A KEY IS NOT AN EVEN NUMBER OF HEX DIGITS";
        }
        wipe(hex);
        wipe(line);
    }
    wipe(text);
    if (why.empty() && (in.empty() || out.empty())) {
        why = "IT NEEDS BOTH AN 'in' AND AN 'out' KEY";
    }
    if (why.empty() && ah_in.empty() != ah_out.empty()) {
        why = "AN AH+ESP BUNDLE NEEDS BOTH AN 'ah-in' AND AN 'ah-out' KEY";
    }
    return why.empty();
}

zplex::ipsec::algorithm parse_alg(const std::string& s) {
    using zplex::ipsec::algorithm;
    if (s == "aes-gcm-128") return algorithm::aes_gcm_128;
    if (s == "aes-gcm-256") return algorithm::aes_gcm_256;
    if (s == "aes-cbc-128-hmac-sha256") return algorithm::aes_cbc_128_hmac_sha256;
    if (s == "aes-cbc-256-hmac-sha256") return algorithm::aes_cbc_256_hmac_sha256;
    throw std::invalid_argument("unknown algorithm " + s);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"zplex host mode: TUN + ESP-in-UDP (RFC 3948) with static SAs"};
    zplex::log::add_debug_options(app);
    std::string tun = "zpx0", local, peer, local_ts, remote_ts, spi_in, spi_out, key_in, key_out, ready_file;
    std::string ah_spi_in, ah_spi_out;
    std::string alg = "aes-gcm-128";
    unsigned mtu = 1400;
    unsigned keepalive = 0;
    std::uint32_t replay_window = 64;
    std::uint16_t peer_port = 4500, nat_t_port = 4500, ike_port = 500;
    app.add_option("--tun", tun, "TUN device name");
    app.add_option("--mtu", mtu, "TUN MTU");
    app.add_option("--local", local, "local outer address (bound on UDP 500/4500)")->required();
    app.add_option("--nat-t-port", nat_t_port, "local NAT-T port");
    app.add_option("--ike-port", ike_port, "local IKE port (0: none)");
    app.add_option("--peer", peer, "peer outer address");
    app.add_option("--peer-port", peer_port, "peer NAT-T port");
    app.add_option("--local-ts", local_ts, "local traffic selector a.b.c.d/n");
    app.add_option("--remote-ts", remote_ts, "remote traffic selector a.b.c.d/n");
    app.add_option("--spi-in", spi_in, "inbound SPI (hex)");
    app.add_option("--spi-out", spi_out, "outbound SPI (hex)");
    app.add_option("--ah-spi-in", ah_spi_in, "AH+ESP bundle: the inbound AH SPI (hex; keys 'ah-in', 'ah-out')");
    app.add_option("--ah-spi-out", ah_spi_out, "AH+ESP bundle: the outbound AH SPI (hex)");
    std::string key_file;
    app.add_option("--key-file", key_file, "static SA keys: a 0600 file with lines 'in HEX' and 'out HEX'");
    app.add_option("--key-in", key_in, "refused: use --key-file")->group("");
    app.add_option("--key-out", key_out, "refused: use --key-file")->group("");
    app.add_option("--alg", alg, "aes-gcm-128 | aes-gcm-256 | aes-cbc-128-hmac-sha256 | aes-cbc-256-hmac-sha256");
    app.add_option("--keepalive", keepalive, "seconds between NAT-keepalives to the peer (0: none)");
    app.add_option("--replay-window", replay_window, "the static inbound SA's anti-replay window (packets)")
        ->check(CLI::Range(32u, 4096u));
    app.add_option("--ready-file", ready_file, "written once the TUN is up and the SAs are in");
    std::string policy_file, control_path;
    std::vector<std::string> initiate;
    app.add_option("--policy", policy_file, "Policy Agent IPSec policy: IKE negotiates the SAs");
    app.add_option("--initiate", initiate, "KeyExchangeRule to initiate at start (repeatable)");
    app.add_option("--control", control_path, "control socket (mode 0600) for displays and verbs");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);  // --help is an "error" with code 0; anything else is a usage mistake
        return rc == 0 ? 0 : 2;
    }
    if (!key_in.empty() || !key_out.empty()) {
        wipe(key_in);
        wipe(key_out);
        std::cerr << "ZPX0916E KEYS ARE NOT TAKEN ON THE COMMAND LINE (ANY LOCAL USER CAN READ IT): USE --key-file\n";
        return 2;
    }
    std::vector<std::uint8_t> static_in, static_out, static_ah_in, static_ah_out;
    if (!peer.empty()) {
        std::string why = key_file.empty() ? "NO --key-file WAS GIVEN" : "";
        if (!why.empty() || !read_key_file(key_file, static_in, static_out, why, static_ah_in, static_ah_out)) {
            std::cerr << "ZPX0916E KEY FILE " << key_file << " NOT USED: " << why << "\n";
            return why == "NO --key-file WAS GIVEN" ? 2 : 8;
        }
        if (ah_spi_in.empty() != static_ah_in.empty() || ah_spi_out.empty() != static_ah_in.empty()) {
            OPENSSL_cleanse(static_ah_in.data(), static_ah_in.size());
            OPENSSL_cleanse(static_ah_out.data(), static_ah_out.size());
            std::cerr << "ZPX0916E KEY FILE " << key_file
                      << " NOT USED: AN AH+ESP BUNDLE NEEDS --ah-spi-in, --ah-spi-out AND THE 'ah-in' AND 'ah-out' KEYS\n";
            return 8;
        }
    }

    try {
        zplex::host::host_config hc;
        hc.tun_name = tun;
        hc.mtu = mtu;
        hc.local_addr = parse_addr(local);
        hc.nat_t_port = nat_t_port;
        hc.ike_port = ike_port;
        hc.keepalive_seconds = keepalive;
        std::unique_ptr<zplex::host::iked> ik;
        std::optional<zplex::host::iked_config> ikc;
        if (!policy_file.empty()) {
            auto pr = zplex::policy::parse_file(policy_file);
            for (const auto& m : pr.messages) {
                std::cerr << m.str() << "\n";
            }
            if (pr.return_code() >= 8) {
                std::cerr << "ZPX0907E POLICY " << policy_file << " HAS ERRORS: IKE NOT STARTED\n";
                return 8;
            }
            ikc = zplex::host::iked_config_from_policy(pr.policy);
            for (const auto& m : ikc->messages) {
                std::cerr << m.str() << "\n";
            }
            if (ikc->has_errors()) {
                return 8;
            }
        }
        auto h = zplex::host::host::create(hc, [&ik](const zplex::ipsec::sa_notice& n) {
            if (ik) {
                ik->on_sa_event(n);
            }
        });
        struct iked_first {  // the daemon goes before the host it is attached to
            std::unique_ptr<zplex::host::iked>& p;
            ~iked_first() { p.reset(); }
        } iked_guard{ik};
        if (ikc) {
            ik = std::make_unique<zplex::host::iked>(*h, std::move(*ikc), &std::cerr);
        }
        std::unique_ptr<zplex::sysplex::line_server> ctl;
        if (!control_path.empty()) {
            try {
                ctl = std::make_unique<zplex::sysplex::line_server>(control_path);
            } catch (const std::system_error& e) {
                // Whatever is at the path stays as it is (docs/host-mode.md).
                std::cerr << "ZPX0915E CONTROL SOCKET " << control_path << " NOT OPENED: " << e.what() << "\n";
                return 8;
            }
        }
        if (!peer.empty()) {
            zplex::host::child_config cc;
            cc.peer_addr = parse_addr(peer);
            cc.peer_port = peer_port;
            cc.local_ts = parse_ts(local_ts);
            cc.remote_ts = parse_ts(remote_ts);
            cc.inbound.spi = static_cast<std::uint32_t>(std::stoul(spi_in, nullptr, 16));
            cc.outbound.spi = static_cast<std::uint32_t>(std::stoul(spi_out, nullptr, 16));
            cc.inbound.alg = cc.outbound.alg = parse_alg(alg);
            cc.inbound.replay_window = replay_window;
            cc.inbound.key = std::move(static_in);
            cc.outbound.key = std::move(static_out);
            if (!ah_spi_in.empty()) {  // an AH+ESP bundle: AH over ESP, IP protocol 51
                cc.ah_inbound.emplace();
                cc.ah_outbound.emplace();
                cc.ah_inbound->spi = static_cast<std::uint32_t>(std::stoul(ah_spi_in, nullptr, 16));
                cc.ah_outbound->spi = static_cast<std::uint32_t>(std::stoul(ah_spi_out, nullptr, 16));
                cc.ah_inbound->replay_window = replay_window;
                cc.ah_inbound->key = std::move(static_ah_in);
                cc.ah_outbound->key = std::move(static_ah_out);
            }
            auto id = h->add_child(cc);
            OPENSSL_cleanse(cc.inbound.key.data(), cc.inbound.key.size());
            OPENSSL_cleanse(cc.outbound.key.data(), cc.outbound.key.size());
            for (auto* a : {&cc.ah_inbound, &cc.ah_outbound}) {
                if (*a) OPENSSL_cleanse((*a)->key.data(), (*a)->key.size());
            }
            if (id == 0) {
                std::cerr << "zplex-host: the SA pair was refused (key length or SPI in use)\n";
                return 2;
            }
        }
        g_host = h.get();
        struct sigaction sa{};
        sa.sa_handler = on_signal;
        sigaction(SIGTERM, &sa, nullptr);
        sigaction(SIGINT, &sa, nullptr);
        sigaction(SIGUSR1, &sa, nullptr);
        if (!ready_file.empty()) {
            std::ofstream(ready_file) << "ready\n";
        }
        for (const auto& rule : initiate) {
            if (!ik || !ik->initiate(rule, zplex::ike::clock::now())) {
                std::cerr << "ZPX0909E CANNOT INITIATE " << rule << "\n";
                return 8;
            }
        }
        auto last_ctl = zplex::ike::clock::now();
        while (!g_stop) {
            auto now = zplex::ike::clock::now();
            int wait = ik ? ik->timeout_ms(now, ctl ? 100 : 1000) : ctl ? 100 : 1000;
            h->run_once(wait);
            now = zplex::ike::clock::now();
            if (ik) {
                ik->process(now);
            }
            if (ctl && now - last_ctl >= std::chrono::milliseconds(20)) {
                last_ctl = now;
                ctl->poll([&](const std::string& line) {
                    if (!ik) {
                        return line == "counters" ? h->format_counters()
                                                  : std::string("ZPX0909E NO IKE DAEMON: START WITH --policy\n");
                    }
                    return ik->control(line, zplex::ike::clock::now());
                });
            }
            if (g_dump.exchange(false)) {
                std::cout << h->format_counters() << std::flush;
            }
        }
        std::cout << h->format_counters() << std::flush;
        ctl.reset();
        ik.reset();
        g_host = nullptr;
    } catch (const std::exception& e) {
        std::cerr << "zplex-host: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
