// SPDX-License-Identifier: Apache-2.0
// `zplex trace`: the packet trace of a running sysplex's LAN (z/OS: PKTTRACE written by a
// CTRACE external writer), as PREFIX.pcap from dumpcap on the LAN bridge, with
// PREFIX.esp_sa, Wireshark's table of the keys of every ESP SA the stacks held during the
// trace (SWSA KEYS, asked at its start and at its end), so tshark or Wireshark decrypts
// the capture (docs/swsa.md "Tracing", docs/operating.md "zplex trace").
#include "commands.hpp"
#include "run_support.hpp"

#include <zplex/operating/run.hpp>
#include <zplex/sysplex/line_socket.hpp>
#include <zplex/sysplex/private_file.hpp>
#include <zplex/sysplex/process.hpp>
#include <zplex/sysplex/text.hpp>

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

namespace zplex::cli {

namespace fs = std::filesystem;
namespace op = zplex::operating;
using namespace std::chrono_literals;

namespace {

constexpr long max_seconds = 86400;

struct trace_options {
    std::string run_dir, sysplex_dir = "profiles/FIG4", out, seconds, filter;
};

volatile std::sig_atomic_t g_stop = 0;
void on_stop(int) { g_stop = 1; }

/// Wireshark's esp_sa lines of every stack of the run, added to @p lines (each once).
/// The replies carry keys: read without unwiped copies, wiped here once split. Stacks
/// that do not answer are named in @p missing.
void collect_keys(const fs::path& dir, const op::run_record& r, std::vector<std::string>& lines,
                  std::vector<std::string>& missing) {
    for (const auto* p : r.alive()) {
        if (p->kind != "tcpip") continue;
        std::string reply;
        try {
            reply = sysplex::line_request(run::stack_socket(dir, p->system).string(), "SWSA KEYS", 5s, true);
        } catch (const std::exception& e) {
            missing.push_back(fmt::format("ZPX1885W THE STACK OF {} GAVE NO KEYS: {}", p->system, e.what()));
            continue;
        }
        bool complete = false;
        std::size_t at = 0;
        while (at < reply.size()) {
            auto nl = reply.find('\n', at);
            std::size_t end = nl == std::string::npos ? reply.size() : nl;
            std::string_view l(reply.data() + at, end - at);
            if (l.rfind("\"IPv4\",", 0) == 0) {
                bool seen = false;
                for (const auto& x : lines) seen = seen || x == l;
                if (!seen) {
                    lines.emplace_back();
                    lines.back().reserve(l.size() + 1);
                    lines.back().append(l);
                }
            }
            complete = complete || l.rfind("ZPX1761I ", 0) == 0;
            at = end + 1;
        }
        OPENSSL_cleanse(reply.data(), reply.capacity());
        if (!complete)
            missing.push_back(fmt::format("ZPX1885W THE STACK OF {} GAVE NO KEYS: ITS REPLY IS NOT A SWSA KEYS REPLY",
                                          p->system));
    }
}

/// Frames in a classic pcap file (record headers walked), -1 if it is not one.
long pcap_frames(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::array<unsigned char, 24> head{};
    if (!in.read(reinterpret_cast<char*>(head.data()), head.size())) return -1;
    std::uint32_t magic;
    std::memcpy(&magic, head.data(), 4);
    if (magic != 0xa1b2c3d4 && magic != 0xd4c3b2a1 && magic != 0xa1b23c4d && magic != 0x4d3cb2a1) return -1;
    bool swapped = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
    long n = 0;
    std::array<unsigned char, 16> rec{};
    while (in.read(reinterpret_cast<char*>(rec.data()), rec.size())) {
        std::uint32_t len;
        std::memcpy(&len, rec.data() + 8, 4);
        if (swapped) len = __builtin_bswap32(len);
        if (len > 262144 || !in.seekg(len, std::ios::cur)) break;
        ++n;
    }
    return n;
}

/// Close @p fd on every path out.
struct fd_closer {
    int fd = -1;
    ~fd_closer() {
        if (fd >= 0) ::close(fd);
    }
};

int do_trace(const trace_options& o) {
    if (o.out.empty()) {
        std::cout << "ZPX1880E GIVE --out PREFIX: THE TRACE IS WRITTEN TO PREFIX.pcap AND PREFIX.esp_sa\n";
        return 8;
    }
    long seconds = 0;
    if (!o.seconds.empty()) {
        char* end = nullptr;
        errno = 0;
        seconds = std::strtol(o.seconds.c_str(), &end, 10);
        if (errno != 0 || end == o.seconds.c_str() || *end != '\0' || seconds < 1 || seconds > max_seconds) {
            std::cout << fmt::format("ZPX1880E --seconds {} IS NOT A NUMBER FROM 1 TO {}\n", o.seconds.substr(0, 20),
                                     max_seconds);
            return 8;
        }
    }
    if (o.filter.find('\n') != std::string::npos || o.filter.size() > 1024) {
        std::cout << "ZPX1880E --filter IS NOT ONE LINE OF AT MOST 1024 CHARACTERS\n";
        return 8;
    }
    fs::path dir;
    op::run_record r;
    if (!run::open_run(o.run_dir, o.sysplex_dir, dir, r, std::cout)) return 8;
    const auto* lan = r.netns_of("LAN");
    if (r.state != "up" || !lan || !run::netns_exists(lan->name)) {
        std::cout << fmt::format("ZPX1882E SYSPLEX {} IS NOT UP ({}): THERE IS NO LAN TO TRACE\n", r.sysplex, r.state);
        return 8;
    }
    fs::path dumpcap = run::program_path("dumpcap");
    if (::access(dumpcap.c_str(), X_OK) != 0) {
        std::cout << "ZPX1883E dumpcap IS NOT INSTALLED (Debian's tshark, scripts/bootstrap)\n";
        return 12;
    }
    const std::string pcap_name = o.out + ".pcap", keys_name = o.out + ".esp_sa";
    std::string why;
    fd_closer pcap{sysplex::open_private_file(pcap_name, why)};
    if (pcap.fd < 0) {
        std::cout << fmt::format("ZPX1881E {} CANNOT BE WRITTEN: {}\n", pcap_name, why);
        return 8;
    }
    fd_closer keys{sysplex::open_private_file(keys_name, why)};
    if (keys.fd < 0) {
        std::cout << fmt::format("ZPX1881E {} CANNOT BE WRITTEN: {}\n", keys_name, why);
        return 8;
    }

    std::vector<std::string> lines, missing;
    struct wipe_lines {
        std::vector<std::string>& l;
        ~wipe_lines() {
            for (auto& x : l) OPENSSL_cleanse(x.data(), x.capacity());
        }
    } wiper{lines};  // on every path out, an early one too
    collect_keys(dir, r, lines, missing);  // the SAs that exist now (one may end during the trace)

    // dumpcap in the LAN's namespace on its bridge, writing pcap to our file (opened as
    // above: dumpcap never opens a path itself), its messages to a pipe.
    int err[2];
    if (::pipe2(err, O_CLOEXEC) != 0) {
        std::cout << fmt::format("ZPX1884E dumpcap CANNOT BE STARTED: {}\n", std::strerror(errno));
        return 12;
    }
    std::vector<std::string> argv{dumpcap.string(), "-i", "br0", "-P", "-w", "-"};
    if (!o.filter.empty()) {
        argv.push_back("-f");
        argv.push_back(o.filter);
    }
    const std::string ns_path = "/run/netns/" + lan->name;
    pid_t pid = ::fork();
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // the trace ends with zplex trace, whatever ends it
        int ns = ::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC);
        if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) _exit(126);
        ::dup2(pcap.fd, 1);
        ::dup2(err[1], 2);
        std::vector<char*> a;
        for (auto& s : argv) a.push_back(s.data());
        a.push_back(nullptr);
        ::execv(a[0], a.data());
        _exit(127);
    }
    ::close(err[1]);
    fd_closer err_read{err[0]};
    if (pid < 0) {
        std::cout << fmt::format("ZPX1884E dumpcap CANNOT BE STARTED: {}\n", std::strerror(errno));
        return 12;
    }
    std::string said;
    auto drain = [&](std::chrono::milliseconds wait) {
        pollfd p{err_read.fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return;
        char buf[4096];
        ssize_t n = ::read(err_read.fd, buf, sizeof buf);
        if (n > 0 && said.size() < 65536) said.append(buf, static_cast<std::size_t>(n));
    };
    int status = 0;
    bool ended = false;
    auto reap = [&]() { return ended || (ended = ::waitpid(pid, &status, WNOHANG) == pid); };
    auto stop = [&]() {
        if (reap()) return;
        ::kill(pid, SIGTERM);  // dumpcap writes what it has and ends
        for (int i = 0; i < 100 && !reap(); ++i) drain(50ms);
        if (!reap()) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            ended = true;
        }
    };
    auto start_by = std::chrono::steady_clock::now() + 10s;
    while (said.find("Capturing on") == std::string::npos && !reap() && std::chrono::steady_clock::now() < start_by)
        drain(100ms);
    if (said.find("Capturing on") == std::string::npos) {
        stop();
        if (WIFEXITED(status) && WEXITSTATUS(status) == 126)
            said = "THE NAMESPACE CANNOT BE ENTERED (zplex trace NEEDS ROOT)";
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
            said = "IT CANNOT BE RUN";
        std::cout << fmt::format("ZPX1884E dumpcap DID NOT START ON br0 IN NAMESPACE {}: {}\n", lan->name,
                                 sysplex::upper(said.substr(0, 400)));
        return 12;
    }
    g_stop = 0;
    auto old_int = std::signal(SIGINT, on_stop);
    auto old_term = std::signal(SIGTERM, on_stop);
    std::cout << fmt::format("ZPX1886I TRACE OF THE LAN OF {} (br0 IN NAMESPACE {}) STARTED INTO {}{}{}\n", r.sysplex,
                             lan->name, pcap_name, seconds ? fmt::format(" FOR {} SECONDS", seconds) : " UNTIL INTERRUPTED",
                             o.filter.empty() ? "" : ", FILTER " + o.filter)
              << std::flush;
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds ? seconds : max_seconds);
    while (!g_stop && !reap() && std::chrono::steady_clock::now() < end) drain(200ms);
    bool died = reap();
    // The SAs made during the trace (a rekey, a NEWCONN) are there at its end.
    collect_keys(dir, r, lines, missing);
    std::this_thread::sleep_for(200ms);  // what the stacks sent last reaches the capture
    stop();
    std::signal(SIGINT, old_int);
    std::signal(SIGTERM, old_term);
    for (const auto& m : missing) std::cout << m << "\n";

    std::string file = "# zplex trace of " + r.sysplex + ": Wireshark's esp_sa table of the ESP SAs of its stacks\n";
    std::size_t total = file.size();
    for (const auto& l : lines) total += l.size() + 1;
    file.reserve(total);  // one buffer, wiped below
    for (const auto& l : lines) {
        file.append(l);
        file += '\n';
    }
    bool written = ::write(keys.fd, file.data(), file.size()) == static_cast<ssize_t>(file.size());
    OPENSSL_cleanse(file.data(), file.capacity());
    if (!written || ::close(keys.fd) != 0) {
        keys.fd = -1;
        std::cout << fmt::format("ZPX1881E {} CANNOT BE WRITTEN: {}\n", keys_name, sysplex::upper(std::strerror(errno)));
        return 12;
    }
    keys.fd = -1;
    ::close(pcap.fd);
    pcap.fd = -1;
    long frames = pcap_frames(pcap_name);
    const bool broke = died && !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (broke)
        std::cout << fmt::format("ZPX1884E dumpcap ENDED DURING THE TRACE: {}\n", sysplex::upper(said.substr(0, 400)));
    std::cout << fmt::format("ZPX1887I TRACE ENDED: {} FRAMES IN {}, {} ESP SA DIRECTIONS IN {}\n",
                             frames < 0 ? 0 : frames, pcap_name, lines.size(), keys_name);
    std::cout << fmt::format("ZPX1888I TO DECRYPT: mkdir -m 700 {0}.wireshark && cp {1} {0}.wireshark/esp_sa && "
                             "WIRESHARK_CONFIG_DIR={0}.wireshark tshark -r {2} -o esp.enable_encryption_decode:TRUE "
                             "-d udp.port==4500,udpencap\n",
                             o.out, keys_name, pcap_name);
    return frames < 0 || broke ? 12 : (missing.empty() ? 0 : 4);
}

}  // namespace

void add_trace_commands(CLI::App& app, exit_status& status) {
    auto o = std::make_shared<trace_options>();
    auto* t = app.add_subcommand("trace", "Packet trace of the LAN (PKTTRACE): PREFIX.pcap and the ESP keys as "
                                          "Wireshark's PREFIX.esp_sa, until --seconds or Ctrl-C");
    t->add_option("--run-dir", o->run_dir, "Run directory of the sysplex");
    t->add_option("--sysplex", o->sysplex_dir, "Sysplex folder (names the default run directory)");
    t->add_option("--out", o->out, "PREFIX of the files written (PREFIX.pcap, PREFIX.esp_sa; 0600)");
    t->add_option("--seconds", o->seconds, "How long to trace (1-86400; default: until interrupted)");
    t->add_option("--filter", o->filter, "A capture filter (BPF, as dumpcap -f), e.g. 'host 198.18.2.1'");
    t->callback([o, &status] { status.code = do_trace(*o); });
}

}  // namespace zplex::cli
