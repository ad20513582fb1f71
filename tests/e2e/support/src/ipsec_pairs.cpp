// SPDX-License-Identifier: Apache-2.0
// strongSwan and host-mode pairs on two_hosts, and medians of transfers through them.
#include <zplex/e2e/ipsec_pairs.hpp>
#include <zplex/e2e/traffic.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace zplex::e2e {

namespace fs = std::filesystem;

std::optional<transfer_figures> median_transfer(const netns& server, const std::string& server_addr,
                                                const netns& client, const std::string& client_addr,
                                                std::uint64_t bytes, int runs, std::string* why, std::uint16_t port) {
    std::vector<double> r;
    for (int i = 0; i < runs; ++i) {
        auto t = tcp_transfer(server, server_addr, static_cast<std::uint16_t>(port + i), client, client_addr, bytes, 120s);
        if (!t.ok) {
            if (why) *why = t.error;
            return std::nullopt;
        }
        r.push_back(t.mbit_per_s());
    }
    if (r.empty()) return std::nullopt;
    std::sort(r.begin(), r.end());
    return transfer_figures{r[r.size() / 2], r.front(), r.back()};
}

strongswan_pair::strongswan_pair(const two_hosts& h, const fs::path& dir, charon::options a_options)
    : a(h.a, dir / "a", std::move(a_options)), b(h.b, dir / "b") {
    psk_connection c;
    c.local_addr = two_hosts::outer_a;
    c.remote_addr = two_hosts::outer_b;
    c.local_ts = std::string(two_hosts::inner_a) + "/32";
    c.remote_ts = std::string(two_hosts::inner_b) + "/32";
    a.load(c.swanctl_conf());
    std::swap(c.local_addr, c.remote_addr);
    std::swap(c.local_ts, c.remote_ts);
    b.load(c.swanctl_conf());
    _up = a.initiate("zpx").ok() && ping_until(h.a, two_hosts::inner_a, two_hosts::inner_b);
}

std::string strongswan_pair::loss_note() const {
    auto sa = a.installed_child("zpx");
    auto sb = b.installed_child("zpx");
    return fmt::format("{} of {} ESP packets lost a->b", sa.packets_out - sb.packets_in, sa.packets_out);
}

zplex_host_options host_pair::side_a(const fs::path& binary) {
    zplex_host_options o;
    o.binary = binary;
    o.local = two_hosts::outer_a;
    o.peer = two_hosts::outer_b;
    o.local_ts = std::string(two_hosts::inner_a) + "/32";
    o.remote_ts = std::string(two_hosts::inner_b) + "/32";
    o.route_src = two_hosts::inner_a;
    o.spi_in = 0xc0de0a01;
    o.spi_out = 0xc0de0b01;
    o.key_in = "101112131415161718191a1b1c1d1e1fb0b1b2b3";
    o.key_out = "000102030405060708090a0b0c0d0e0fa0a1a2a3";
    return o;
}

zplex_host_options host_pair::side_b(const fs::path& binary) {
    auto o = side_a(binary);
    std::swap(o.local, o.peer);
    std::swap(o.local_ts, o.remote_ts);
    o.route_src = two_hosts::inner_b;
    std::swap(o.spi_in, o.spi_out);
    std::swap(o.key_in, o.key_out);
    return o;
}

host_pair::host_pair(const two_hosts& h, const fs::path& dir, const fs::path& binary)
    : a(h.a, dir / "za", side_a(binary)), b(h.b, dir / "zb", side_b(binary)) {
    _up = ping_until(h.a, two_hosts::inner_a, two_hosts::inner_b);
}

std::string host_pair::stop_and_loss_note() {
    auto ca = parse_host_counters(a.stop().out);
    auto cb = parse_host_counters(b.stop().out);
    return fmt::format("{} of {} ESP packets lost a->b", ca["esp_sent"] - cb["esp_received"], ca["esp_sent"]);
}

}  // namespace zplex::e2e
