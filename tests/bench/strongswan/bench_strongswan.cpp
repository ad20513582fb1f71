// SPDX-License-Identifier: Apache-2.0
// TCP throughput through an IPsec tunnel between two namespaces on a veth: the plain veth
// (reference), strongSwan <-> strongSwan through kernel-libipsec (userspace ESP, TUN
// ipsec0, ESP-in-UDP 4500, AES-GCM-128), zplex host mode sending to strongSwan on the
// CHILD_SA strongSwan negotiated (charon a killed, its keys taken over), and zplex host
// mode <-> zplex host mode with the same algorithm and encapsulation. Median of several transfers, each checked by SHA-256.
//
//   bench_strongswan [MiB per transfer = 64] [transfers = 3]
#include <zplex/e2e/ipsec_pairs.hpp>
#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/strongswan.hpp>
#include <zplex/e2e/traffic.hpp>
#include <zplex/e2e/zplex_host.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

using namespace zplex::e2e;
namespace fs = std::filesystem;

namespace {

struct row {
    std::string path;
    double mbit = 0;        ///< median
    double worst = 0, best = 0;
    std::string note;
};

/// @p runs transfers from a to b's inner (or outer) address; median Mbit/s, or nullopt.
std::optional<row> measure(const std::string& name, const two_hosts& h, bool inner, std::uint64_t bytes, int runs) {
    std::string why;
    auto f = median_transfer(h.b, inner ? two_hosts::inner_b : two_hosts::outer_b, h.a,
                             inner ? two_hosts::inner_a : two_hosts::outer_a, bytes, runs, &why);
    if (!f) {
        fmt::print(stderr, "bench_strongswan: {}: transfer failed: {}\n", name, why);
        return std::nullopt;
    }
    return row{name, f->median, f->worst, f->best, {}};
}

fs::path host_binary() {
    std::error_code ec;
    auto self = fs::read_symlink("/proc/self/exe", ec);
    return self.parent_path() / "zplex-host";
}

/// zplex-host on side a of the two-host topology.
zplex_host_options zplex_side(std::uint32_t spi_in, std::uint32_t spi_out, std::string key_in, std::string key_out) {
    zplex_host_options a;
    a.binary = host_binary();
    a.local = two_hosts::outer_a;
    a.peer = two_hosts::outer_b;
    a.local_ts = std::string(two_hosts::inner_a) + "/32";
    a.remote_ts = std::string(two_hosts::inner_b) + "/32";
    a.route_src = two_hosts::inner_a;
    a.spi_in = spi_in;
    a.spi_out = spi_out;
    a.key_in = std::move(key_in);
    a.key_out = std::move(key_out);
    return a;
}

const char* ike_policy = R"(
IpFilterPolicy
{
  IpFilterRule zplex
  {
    IpSourceAddr 198.18.20.1
    IpDestAddr   198.18.21.1
    IpGenericFilterActionRef permit
    IpDynVpnActionRef esp_gcm
  }
}
IpDynVpnAction esp_gcm { HowToEncap Tunnel HowToEncrypt AES_GCM_16 KeyLength 128 HowToAuth ESP NULL }
KeyExchangePolicy
{
  KeyExchangeRule to_swan
  {
    LocalSecurityEndpointRef  zplex_a
    RemoteSecurityEndpointRef swan_b
    KeyExchangeActionRef      ikev2
    SharedKey                 Ascii "zplex-e2e-preshared-key-0123456789"
  }
}
KeyExchangeAction ikev2
{
  HowToAuthPeers PresharedKey
  KeyExchangeOffer { HowToEncrypt AES_GCM_16 KeyLength 128 PseudoRandomFunction HMAC_SHA2_256 DHGroup Group31 }
}
LocalSecurityEndpoint zplex_a  { Location 198.18.10.1 }
RemoteSecurityEndpoint swan_b  { Location 198.18.10.2 }
)";

/// zplex-host (IKE from a policy, initiating) in a, a fresh charon in b.
std::optional<row> measure_ike(const two_hosts& h, const fs::path& dir, std::uint64_t bytes, int runs) {
    charon cb(h.b, dir / "ikeb");
    cb.load(zplex_interop(two_hosts::outer_b, two_hosts::outer_a, std::string(two_hosts::inner_b) + "/32",
                          std::string(two_hosts::inner_a) + "/32")
                .swanctl_conf());
    fs::create_directories(dir / "ikea");
    std::ofstream(dir / "ikea" / "zplex.pol") << ike_policy;
    zplex_host_options o;
    o.binary = host_binary();
    o.local = two_hosts::outer_a;
    o.remote_ts = std::string(two_hosts::inner_b) + "/32";
    o.route_src = two_hosts::inner_a;
    o.policy = (dir / "ikea" / "zplex.pol").string();
    o.initiate = {"to_swan"};
    zplex_host_process za(h.a, dir / "ikea", o);
    if (!ping_until(h.a, two_hosts::inner_a, two_hosts::inner_b, 15s)) {
        fmt::print(stderr, "bench_strongswan: no ping through zplex IKE -> strongSwan:\n{}\n{}", za.stop().out,
                   cb.log_tail());
        return std::nullopt;
    }
    auto r = measure("zplex <-> strongSwan (IKE-negotiated SAs)", h, true, bytes, runs);
    if (r) {
        auto sb = cb.installed_child("zplex");
        auto za_c = parse_host_counters(za.stop().out);
        r->note = fmt::format("{} of {} ESP packets lost a->b", za_c["esp_sent"] - sb.packets_in, za_c["esp_sent"]);
    }
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t mib = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 64;
    int runs = argc > 2 ? std::atoi(argv[2]) : 3;
    std::uint64_t bytes = mib << 20;
    std::string why;
    if (!can_use_netns(&why)) {
        fmt::print("bench_strongswan: skipped: {}\n", why);
        return 0;
    }
    std::vector<row> rows;
    try {
        two_hosts h;
        fs::path dir = fs::temp_directory_path() / h.a.name();
        if (auto r = measure("veth, no IPsec (reference)", h, false, bytes, runs)) {
            rows.push_back(*r);
        }
        if (have_strongswan(&why)) {
            charon::options logkeys;
            logkeys.extra_log = "            chd = 4\n";  // for the zplex takeover below
            strongswan_pair sp(h, dir, logkeys);
            charon& ca = sp.a;
            charon& cb = sp.b;
            if (sp.up()) {
                if (auto r = measure("strongSwan <-> strongSwan (kernel-libipsec)", h, true, bytes, runs)) {
                    r->note = sp.loss_note();
                    rows.push_back(*r);
                }
                // zplex host mode takes over a's side of a fresh CHILD_SA (see e2e_interop_test):
                // fresh, because b's replay window is past the sequence numbers zplex starts at.
                ca.rekey_child("zpx");
                auto sa = ca.installed_child("zpx");
                std::string key_ab = logged_key(ca.log_path(), "encryption initiator key");
                std::string key_ba = logged_key(ca.log_path(), "encryption responder key");
                ca.kill();
                for (int i = 0; i < 100 && h.a.exec({"ip", "link", "show", "ipsec0"}).ok(); ++i) {
                    std::this_thread::sleep_for(20ms);
                }
                if (fs::exists(host_binary()) && key_ab.size() == 40 && key_ba.size() == 40) {
                    zplex_host_options o = zplex_side(sa.spi_in, sa.spi_out, key_ba, key_ab);
                    zplex_host_process za(h.a, dir / "za", o);
                    if (!ping_until(h.a, two_hosts::inner_a, two_hosts::inner_b)) {
                        fmt::print(stderr, "bench_strongswan: no ping through zplex -> strongSwan:\n{}",
                                   za.stop().out);
                    } else {
                        if (auto r = measure("zplex -> strongSwan (host mode -> libipsec)", h, true, bytes, runs)) {
                            auto sb = cb.installed_child("zpx");
                            auto za_c = parse_host_counters(za.stop().out);
                            r->note = fmt::format("{} of {} ESP packets lost a->b", za_c["esp_sent"] - sb.packets_in,
                                                  za_c["esp_sent"]);
                            rows.push_back(*r);
                        }
                    }
                }
                else {
                    fmt::print(stderr, "bench_strongswan: no keys for the takeover in {}\n", ca.log_path().string());
                }
            } else {
                fmt::print(stderr, "bench_strongswan: strongSwan tunnel did not come up:\n{}", ca.log_tail());
            }
        } else {
            rows.push_back({"strongSwan <-> strongSwan", 0, 0, 0, "skipped: " + why});
        }
        fs::remove_all(dir);
        if (have_strongswan(&why) && fs::exists(host_binary())) {
            // zplex-host with IKE: SAs negotiated from a Policy Agent policy against a fresh
            // charon in b (zplex initiates), as e2e_ike_interop_test does.
            if (auto r = measure_ike(h, dir, bytes, runs)) {
                rows.push_back(*r);
            }
            fs::remove_all(dir);
        }
        if (fs::exists(host_binary())) {
            host_pair hp(h, dir, host_binary());
            if (hp.up()) {
                if (auto r = measure("zplex <-> zplex (host mode)", h, true, bytes, runs)) {
                    r->note = hp.stop_and_loss_note();
                    rows.push_back(*r);
                }
            }
        } else {
            rows.push_back({"zplex <-> zplex (host mode)", 0, 0, 0, "skipped: zplex-host not built"});
        }
        fs::remove_all(dir);
    } catch (const std::exception& e) {
        fmt::print(stderr, "bench_strongswan: {}\n", e.what());
        return 1;
    }
    double ss = 0;
    for (const auto& r : rows) {
        if (r.path.rfind("strongSwan", 0) == 0) {
            ss = r.mbit;
        }
    }
    fmt::print("TCP THROUGH ESP-IN-UDP (AES-GCM-128), two namespaces on a veth, {} MiB x {} (median, SHA-256 checked)\n",
               mib, runs);
    fmt::print("  {:<44} {:>10} {:>10} {:>10} {:>12}  {}\n", "path", "Mbit/s", "min", "max", "vs strongSwan", "note");
    for (const auto& r : rows) {
        fmt::print("  {:<44} {:>10.1f} {:>10.1f} {:>10.1f} {:>12}  {}\n", r.path, r.mbit, r.worst, r.best,
                   ss > 0 && r.mbit > 0 ? fmt::format("{:.2f}", r.mbit / ss) : "-", r.note);
    }
    return 0;
}
