// SPDX-License-Identifier: Apache-2.0
// TCP through the SWSA path with the real daemons in namespaces (root), against references
// measured in the same run:
//
//   CLIENT1 198.18.0.101 ── br0 ── MVS1 (owns DVA1 198.18.2.1, distributes port 60) ─┬─ XCF ─ MVS2 ── its image
//   zplex-host (ESP in UDP,        peeks the ESP, forwards it still protected         └─ XCF ─ MVS4 ── its image
//   AES-GCM-128, tunnel mode)      (MVS1's own image serves too)
//
//   CF01, CF02: EZBDVIPA, the SA's outbound counter (LISTKEYINC)
//
// The SA is installed on MVS1 through its control line (SWSA INSTALL, as the image's IKE
// daemon does) and its other half in zplex-host; MVS1 distributes it to MVS2 and MVS4.
// The servers are the harness's bulk server in the targets' images, bound to DVA1:60;
// every connection is SHA-256 checked. The rows:
//
//   - upload: CLIENT1 -> DVA1 -> MVS2 (the only ready target): the owner peeks and
//     forwards, MVS2 decrypts; MVS2's ACKs go straight to the LAN, ESP numbered from the CF;
//   - download: MVS2 -> CLIENT1, replies direct: bulk ESP from the target, its sequence
//     numbers from EZBDVIPA, the peer's ACKs through the owner;
//   - three targets sending at once: three connections, round robin to MVS1, MVS2, MVS4,
//     all of them sending; the total;
//   - references, before the plex starts, on two namespaces on a veth (two_hosts):
//     strongSwan <-> strongSwan (kernel-libipsec, ESP in UDP, AES-GCM-128) and zplex host
//     mode <-> host mode with the same SA shape, no distribution.
//
// CF requests per outbound packet: the senders' `SeqNumRequests: n for m numbers`
// (ipsec -y display -r detail on MVS1, -s -r detail on the targets) before and after each
// row. The peer's replay window is 4096 (zplex-host --replay-window): with 1024 the row of
// three senders lost packets to it on the loaded machine (a stack preempted between taking
// its block and sending it; docs/swsa.md, "Throughput"). The stacks' blocks, a quarter of
// the window, are then bounded by their TUN bursts (64 packets).
//
// Goals (issue 17): >= 3 x strongSwan and >= 0.8 x undistributed host mode; at most one
// CF request per 16 packets in bulk. Printed as ratios; nothing is asserted on time.
//
// One run (32 MiB x 3, 2 shared cores, load average 3-5), against the same run's references:
//
//   row                                   Mbit/s  vs strongSwan  vs host mode  CF req/packet
//   strongSwan <-> strongSwan                483       1.00          0.32
//   host mode <-> host mode                 1515       3.14          1.00
//   upload: peer -> DVA1 -> MVS2            1085       2.25          0.72        1/12 (ACKs)
//   download: MVS2 -> peer, direct          1230       2.55          0.81        1/56
//   download: MVS1+MVS2+MVS4 at once        1608       3.33          1.06        1/50
//   upload: peer -> MVS1+MVS2+MVS4          1328       2.75          0.88        1/8 (ACKs)
//
// Met: the CF goal (1/45-1/60 in bulk over three runs), 0.8 x host mode for the download
// (0.81-1.08). Not met: the upload (0.57-0.72 x host mode, 2.0-2.25 x strongSwan; the
// owner seals each forwarded ESP packet into an XCF message and the target opens it: two
// more AES-GCM passes per byte), and 3 x strongSwan for the download in one run of three.
//
//   bench_swsa_namespaces [MiB per transfer = 32] [transfers = 3] [swsa: no references, for a profile]
#include "swsa_peer.hpp"

#include <zplex/e2e/bulk.hpp>
#include <zplex/e2e/ipsec_pairs.hpp>
#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/stack_plex.hpp>
#include <zplex/e2e/zplex_host.hpp>
#include <zplex/swsa/messages.hpp>
#include <zplex/sysplex/text.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>

namespace fs = std::filesystem;
namespace e2e = zplex::e2e;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t peer_window = 4096;
constexpr const char* peer_addr = "198.18.0.101";  // stack_plex client 1
constexpr std::uint32_t spi_to_dva1 = 0x4a110101, spi_to_peer = 0xc0de0101;

struct row {
    std::string what;
    double mbit = 0, worst = 0, best = 0;
    double cf_per_packet = -1;  ///< < 0: not measured
    std::uint64_t packets = 0;  ///< outbound ESP packets under the SA (numbers used)
    std::string note;
};

/// The SA DVA1's owner installs: tunnel mode, ESP in UDP 4500, AES-GCM-128, TCP to and
/// from DVA1 port 60, the peer's window of 1024.
zplex::swsa::sa_distribute_message dva1_sa() {
    using e2e::swsa_e2e::ip;
    zplex::swsa::sa_distribute_message m;
    m.owner_system = "MVS1";  // the stack fills in its own names, list and base
    m.owner_stack = "TCPIPA";
    m.counter_list = 1;
    m.tunnel = "Y1";
    m.vpn_action = "ESP_AES_GCM";
    m.dvipa = ip(e2e::swsa_e2e::dva1);
    m.peer = ip(peer_addr);
    m.mode = 1;  // ipsec::sa_mode::tunnel, as zplex-host speaks it
    m.udp_encap = true;
    m.tunnel_src = m.dvipa;
    m.tunnel_dst = m.peer;
    m.spi_in = spi_to_dva1;
    m.spi_out = spi_to_peer;
    for (std::uint8_t i = 0; i < 20; ++i) {
        m.key_in.push_back(static_cast<std::uint8_t>(0x30 + i));
        m.key_out.push_back(static_cast<std::uint8_t>(0xa0 + i));
    }
    m.replay_window = peer_window;
    m.peer_window = peer_window;
    m.lifetime_s = 3600;
    m.lifesize = 1ull << 40;
    m.filters.push_back({m.peer, 32, m.dvipa, 32, 6, 0, 65535, 60, 60, 0});  // inbound
    m.filters.push_back({m.dvipa, 32, m.peer, 32, 6, 60, 60, 0, 65535, 1});  // outbound
    return m;
}

std::string key_hex(const zplex::swsa::secure_bytes& k) {
    return zplex::sysplex::hex(std::span<const std::uint8_t>(k.data(), k.size()));
}

fs::path bin(const char* name) {
    std::error_code ec;
    return fs::read_symlink("/proc/self/exe", ec).parent_path() / name;
}

/// CF requests and numbers used so far by every sender of the SA.
struct seq_count {
    std::uint64_t requests = 0, used = 0;
};

seq_count seq_counts(const e2e::stack_plex& plex) {
    using e2e::swsa_e2e::lines_with;
    using e2e::swsa_e2e::number_after;
    seq_count c;
    for (const auto& [sys, cmd] : std::vector<std::pair<std::string, std::string>>{
             {"MVS1", "ipsec -y display -r detail"}, {"MVS2", "ipsec -y display -s -r detail"},
             {"MVS4", "ipsec -y display -s -r detail"}}) {
        for (const auto& l : lines_with(plex.control(sys, cmd), "SeqNumRequests:")) {
            c.requests += number_after(l, "SeqNumRequests:");
            c.used += number_after(l, " for ");
        }
    }
    return c;
}

/// Which images run a server (bound to DVA1:60, as sink or source) for one row.
class servers {
public:
    servers(e2e::stack_plex& plex, const std::vector<std::string>& systems, e2e::tcp_bulk_server::role r,
            std::uint64_t bytes)
        : _plex(plex) {
        for (const auto& s : systems)
            _s.emplace(s, std::make_unique<e2e::tcp_bulk_server>(plex.image(s), e2e::swsa_e2e::dva1, 60, r, bytes));
        _ready = e2e::swsa_e2e::wait_ready(plex, "MVS1", systems.size());
    }
    bool ready() const noexcept { return _ready; }
    /// Connections each served, "MVS1 2 MVS2 1 ...".
    std::string stop() {
        std::string out;
        for (auto& [s, p] : _s) out += fmt::format("{}{} {}", out.empty() ? "" : " ", s, p->stop().size());
        _s.clear();
        // Until the owner sees no ready target: the next row's targets start from nothing.
        e2e::swsa_e2e::wait_ready(_plex, "MVS1", 0);
        return out;
    }
    ~servers() {
        for (auto& [s, p] : _s) p->stop();
    }

private:
    e2e::stack_plex& _plex;
    std::map<std::string, std::unique_ptr<e2e::tcp_bulk_server>> _s;
    bool _ready = false;
};

/// The peer's ESP drops by the anti-replay window so far: zplex-host prints its counters
/// on SIGUSR1 (sent by its PID) and goes on.
std::uint64_t peer_replay_drops(const e2e::zplex_host_process& peer) {
    std::size_t had = peer.output().size();
    ::kill(peer.pid(), SIGUSR1);
    for (int i = 0; i < 100 && peer.output().size() == had; ++i) std::this_thread::sleep_for(10ms);
    std::this_thread::sleep_for(20ms);  // the whole dump
    return e2e::parse_host_counters(peer.output())["esp_drop REPLAY"];
}

/// @p runs bulk runs of @p connections through the SWSA path; the median total, and the
/// CF requests per outbound packet over all of them.
row measure_swsa(e2e::stack_plex& plex, const e2e::zplex_host_process& peer, const std::string& what,
                 const std::vector<std::string>& systems, bool upload, int connections, std::uint64_t bytes, int runs) {
    row r;
    r.what = what;
    servers sv(plex, systems, upload ? e2e::tcp_bulk_server::role::sink : e2e::tcp_bulk_server::role::source, bytes);
    if (!sv.ready()) {
        r.note = "the targets did not become ready: " + plex.control("MVS1", "NETSTAT VDPT");
        return r;
    }
    auto before = seq_counts(plex);
    auto replay_before = peer_replay_drops(peer);
    std::vector<double> mbit;
    for (int i = 0; i < runs; ++i) {
        auto b = e2e::tcp_bulk_clients(plex.client(1), peer_addr, e2e::swsa_e2e::dva1, 60, connections, bytes, upload,
                                       60s);
        if (!b.ok) {
            r.note = "transfer failed: " + b.error.substr(0, 400);
            fmt::print(stderr, "bench_swsa_namespaces: {}: {}\n", what, b.error);
            return r;
        }
        mbit.push_back(b.mbit_per_s());
    }
    auto after = seq_counts(plex);
    std::sort(mbit.begin(), mbit.end());
    r.mbit = mbit[mbit.size() / 2];
    r.worst = mbit.front();
    r.best = mbit.back();
    r.packets = after.used - before.used;
    if (r.packets) r.cf_per_packet = static_cast<double>(after.requests - before.requests) / static_cast<double>(r.packets);
    r.note = fmt::format("served: {}; peer's window dropped {}", sv.stop(), peer_replay_drops(peer) - replay_before);
    return r;
}

/// The references on two_hosts, before the plex starts (nothing else runs meanwhile).
void references(std::vector<row>& rows, std::uint64_t bytes, int runs) {
    e2e::two_hosts h;
    fs::path dir = fs::temp_directory_path() / h.a.name();
    std::string why;
    if (e2e::have_strongswan(&why)) {
        e2e::strongswan_pair sp(h, dir);
        std::optional<e2e::transfer_figures> f;
        if (sp.up())
            f = e2e::median_transfer(h.b, e2e::two_hosts::inner_b, h.a, e2e::two_hosts::inner_a, bytes, runs, &why);
        else
            why = "the tunnel did not come up: " + sp.a.log_tail(10);
        rows.push_back(f ? row{"strongSwan <-> strongSwan (reference)", f->median, f->worst, f->best, -1, 0, sp.loss_note()}
                         : row{"strongSwan <-> strongSwan (reference)", 0, 0, 0, -1, 0, "failed: " + why.substr(0, 300)});
    } else {
        rows.push_back({"strongSwan <-> strongSwan (reference)", 0, 0, 0, -1, 0, "skipped: " + why});
    }
    fs::remove_all(dir);
    e2e::host_pair hp(h, dir, bin("zplex-host"));
    std::optional<e2e::transfer_figures> f;
    if (hp.up())
        f = e2e::median_transfer(h.b, e2e::two_hosts::inner_b, h.a, e2e::two_hosts::inner_a, bytes, runs, &why);
    else
        why = "no ping through the tunnel";
    rows.push_back(f ? row{"host mode <-> host mode, no distribution", f->median, f->worst, f->best, -1, 0,
                           hp.stop_and_loss_note()}
                     : row{"host mode <-> host mode, no distribution", 0, 0, 0, -1, 0, "failed: " + why.substr(0, 300)});
    fs::remove_all(dir);
}

/// FIG4's MVS1, MVS2, MVS4 with the SA, zplex-host on CLIENT1; the SWSA rows.
void swsa_rows(std::vector<row>& rows, std::uint64_t bytes, int runs, std::string& peer_counters) {
    e2e::stack_plex plex("bswsa");
    e2e::swsa_e2e::swsa_daemons d(plex);
    if (auto bad = d.start({"MVS1", "MVS2", "MVS4"}, false); !bad.empty()) {
        rows.push_back({"SWSA", 0, 0, 0, -1, 0, "failed: " + bad.substr(0, 300)});
        return;
    }
    auto sa = dva1_sa();
    auto enc = zplex::swsa::encode(sa);
    auto ok = plex.control("MVS1", "SWSA INSTALL " + zplex::sysplex::hex(std::span<const std::uint8_t>(enc.data(), enc.size())));
    bool shadows = ok.find("ZPX1706I") != std::string::npos;
    for (const char* t : {"MVS2", "MVS4"})
        shadows = shadows && plex.wait_display(t, "ipsec -y display -s", "1 entry selected");
    if (!shadows) {
        rows.push_back({"SWSA", 0, 0, 0, -1, 0, "the SA was not installed and distributed: " + ok.substr(0, 300)});
        return;
    }
    e2e::zplex_host_options o;
    o.binary = bin("zplex-host");
    o.local = peer_addr;
    o.peer = e2e::swsa_e2e::dva1;
    o.local_ts = std::string(peer_addr) + "/32";
    o.remote_ts = std::string(e2e::swsa_e2e::dva1) + "/32";
    o.route_src = peer_addr;
    o.spi_in = spi_to_peer;
    o.spi_out = spi_to_dva1;
    o.key_in = key_hex(sa.key_out);
    o.key_out = key_hex(sa.key_in);
    o.replay_window = peer_window;
    o.route_protocol = "tcp";  // zplex-host's own datagrams to DVA1 go out on the LAN
    e2e::zplex_host_process peer(plex.client(1), plex.dir / "peer", o);

    rows.push_back(measure_swsa(plex, peer, "SWSA upload: peer -> DVA1 -> MVS2", {"MVS2"}, true, 1, bytes, runs));
    rows.push_back(measure_swsa(plex, peer, "SWSA download: MVS2 -> peer, direct", {"MVS2"}, false, 1, bytes, runs));
    rows.push_back(measure_swsa(plex, peer, "SWSA download: MVS1+MVS2+MVS4 at once", {"MVS1", "MVS2", "MVS4"}, false, 3,
                                bytes, runs));
    rows.push_back(measure_swsa(plex, peer, "SWSA upload: peer -> MVS1+MVS2+MVS4 at once", {"MVS1", "MVS2", "MVS4"}, true, 3,
                                bytes, runs));
    auto c = e2e::parse_host_counters(peer.stop().out);
    peer_counters = fmt::format("peer (zplex-host): {} ESP received, {} replay drops, {} integrity drops, {} sent",
                                c["esp_received"], c["esp_drop REPLAY"], c["esp_drop INTEGRITY"], c["esp_sent"]);
    auto bad = d.stop();
    if (!bad.empty()) peer_counters += "; ended badly:" + bad;
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t mib = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 32;
    int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
    std::uint64_t bytes = mib << 20;
    std::string why;
    if (!e2e::can_use_netns(&why)) {
        fmt::print("bench_swsa_namespaces: skipped: {}\n", why);
        return 0;
    }
    for (const char* b : {"zplex-host", "zplex-tcpip", "zplex-cf"})
        if (!fs::exists(bin(b))) {
            fmt::print("bench_swsa_namespaces: skipped: {} not built\n", b);
            return 0;
        }
    if (!fs::exists("/dev/net/tun")) {
        fmt::print("bench_swsa_namespaces: skipped: no /dev/net/tun\n");
        return 0;
    }
    e2e::sweep_stale_netns();
    auto t0 = std::chrono::steady_clock::now();
    std::vector<row> rows;
    std::string peer_counters;
    try {
        if (argc <= 3 || std::string(argv[3]) != "swsa") {
            references(rows, bytes, runs);
        } else {
            rows.push_back({"strongSwan <-> strongSwan (reference)", 0, 0, 0, -1, 0, "not measured (swsa only)"});
            rows.push_back({"host mode <-> host mode, no distribution", 0, 0, 0, -1, 0, "not measured (swsa only)"});
        }
        swsa_rows(rows, bytes, runs, peer_counters);
    } catch (const std::exception& e) {
        fmt::print(stderr, "bench_swsa_namespaces: {}\n", e.what());
        return 1;
    }
    double ss = rows.size() > 0 ? rows[0].mbit : 0, hm = rows.size() > 1 ? rows[1].mbit : 0;
    auto ratio = [](double a, double b) { return a > 0 && b > 0 ? fmt::format("{:.2f}", a / b) : std::string("-"); };
    fmt::print("TCP THROUGH SWSA (ESP in UDP, AES-GCM-128, tunnel mode), {} MiB per connection x {} (median, "
               "SHA-256 checked), {:.0f} s\n",
               mib, runs, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    fmt::print("  {:<44} {:>8} {:>8} {:>8} {:>9} {:>9} {:>12}  {}\n", "path", "Mbit/s", "min", "max", "vs swan",
               "vs host", "CF req/pkt", "note");
    for (const auto& r : rows) {
        std::string cf = r.cf_per_packet < 0 ? "-"
                                             : fmt::format("1/{:.0f} ({})", r.cf_per_packet > 0 ? 1 / r.cf_per_packet : 0,
                                                           r.packets);
        fmt::print("  {:<44} {:>8.1f} {:>8.1f} {:>8.1f} {:>9} {:>9} {:>12}  {}\n", r.what, r.mbit, r.worst, r.best,
                   ratio(r.mbit, ss), ratio(r.mbit, hm), cf, r.note);
    }
    if (!peer_counters.empty()) fmt::print("  {}\n", peer_counters);
    fmt::print("  goals: >= 3.00 vs strongSwan, >= 0.80 vs host mode; CF requests <= 1/16 per packet in bulk "
               "(the download rows)\n");
    return 0;
}
