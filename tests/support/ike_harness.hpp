// SPDX-License-Identifier: Apache-2.0
// Two zplex IKE peers wired back to back through an in-memory "network" with a
// controllable clock, packet loss and an optional NAT in front of peer A.
#pragma once

#include <zplex/ike/peer.hpp>
#include <zplex/ipsec/esp.hpp>

#include <algorithm>
#include <cstring>
#include <deque>
#include <set>
#include <string>
#include <vector>

namespace zplex::ike::test {

inline constexpr std::uint32_t addr_a = 0x0a000101;     // 10.0.1.1
inline constexpr std::uint32_t addr_b = 0xc0000202;     // 192.0.2.2
inline constexpr std::uint32_t nat_addr = 0xc6336401;   // 198.51.100.1
inline constexpr std::uint16_t nat_port_500 = 31500;
inline constexpr std::uint16_t nat_port_4500 = 34500;

struct pair_cfg {
    peer_config a, b;
};

/// A: 10.0.1.1 (FQDN a.zplex.test), B: 192.0.2.2 (KEY_ID "b"), PSK, AES-GCM-256,
/// HMAC-SHA2-256 PRF, P-256; one tunnel-mode child 10.0.1.0/24 <-> 192.0.2.0/24.
inline pair_cfg pair_config() {
    pair_cfg p;
    connection_config a;
    a.name = "a-to-b";
    a.local_addr = addr_a;
    a.remote_addr = addr_b;
    a.local_id = identity::fqdn("a.zplex.test");
    a.remote_id = identity::key_id("b");
    a.psk = "zplex shared secret";
    child_config ca;
    ca.name = "net";
    ca.local_ts = {traffic_selector{0, 0, 65535, 0x0a000100, 0x0a0001ff}};
    ca.remote_ts = {traffic_selector{0, 0, 65535, 0xc0000200, 0xc00002ff}};
    a.children = {ca};
    connection_config b = a;
    b.name = "b-from-a";
    std::swap(b.local_addr, b.remote_addr);
    std::swap(b.local_id, b.remote_id);
    std::swap(b.children[0].local_ts, b.children[0].remote_ts);
    p.a.connections = {a};
    p.b.connections = {b};
    return p;
}

inline int count(const std::vector<event>& v, event_type t) {
    return static_cast<int>(std::count_if(v.begin(), v.end(), [&](const event& e) { return e.type == t; }));
}

struct harness {
    explicit harness(const pair_cfg& c) : a(c.a), b(c.b) {}
    peer a, b;
    time_point now{std::chrono::seconds(1000)};
    std::vector<event> ev_a, ev_b;
    std::vector<datagram> sent_by_a;
    bool nat = false;
    bool drop_all = false;
    std::set<int> drop_nth;   ///< 1-based numbers of datagrams to lose
    int seen = 0;

    void clear() {
        ev_a.clear();
        ev_b.clear();
    }
    static event last(const std::vector<event>& v, event_type t) {
        for (auto it = v.rbegin(); it != v.rend(); ++it) {
            if (it->type == t) {
                return *it;
            }
        }
        return event{};
    }

    /// Deliver @p o (from A or B: by source address) and everything that follows.
    void run(output o) {
        std::deque<datagram> q;
        auto take = [&](output&& x, bool from_a) {
            for (auto& e : x.events) {
                (from_a ? ev_a : ev_b).push_back(std::move(e));
            }
            for (auto& d : x.datagrams) {
                q.push_back(std::move(d));
            }
        };
        // Which side produced @p o: A's datagrams come from addr_a.
        bool from_a = o.datagrams.empty() ? true : o.datagrams[0].src.addr == addr_a;
        std::vector<event> evs = std::move(o.events);
        for (auto& e : evs) {
            (from_a ? ev_a : ev_b).push_back(std::move(e));
        }
        for (auto& d : o.datagrams) {
            q.push_back(std::move(d));
        }
        while (!q.empty()) {
            datagram d = std::move(q.front());
            q.pop_front();
            ++seen;
            if (drop_all || drop_nth.count(seen)) {
                continue;
            }
            bool to_a = d.dst.addr == addr_a || d.dst.addr == nat_addr;
            if (!to_a) {
                sent_by_a.push_back(d);
                if (nat) {  // A's outbound through the NAT: rewrite the source
                    d.src = endpoint{nat_addr, d.src.port == 500 ? nat_port_500 : nat_port_4500};
                }
                take(b.receive(d, now), false);
            } else {
                if (nat) {
                    d.dst = endpoint{addr_a, d.dst.port == nat_port_500 ? std::uint16_t{500} : std::uint16_t{4500}};
                }
                take(a.receive(d, now), true);
            }
        }
    }
    void run_pair(output oa, output ob) {
        run(std::move(oa));
        run(std::move(ob));
    }
    /// Move the clock and let both sides' timers fire.
    void advance(std::chrono::seconds s) {
        now += s;
        run(a.tick(now));
        run(b.tick(now));
    }
};

/// Build esp_sa objects from both sides' CHILD SA halves and pass a packet each way.
inline bool esp_round_trip(const child_sa_info& x, const child_sa_info& y) {
    auto pass = [](const ipsec::sa_config& out_cfg, const ipsec::sa_config& in_cfg, std::uint32_t src,
                   std::uint32_t dst) {
        auto out = ipsec::esp_sa::create(out_cfg);
        auto in = ipsec::esp_sa::create(in_cfg);
        if (!out || !in) {
            return false;
        }
        std::uint8_t ip[36] = {0x45, 0, 0, 36, 0, 1, 0, 0, 64, 17, 0, 0};
        for (int i = 0; i < 4; ++i) {
            ip[12 + i] = static_cast<std::uint8_t>(src >> (24 - 8 * i));
            ip[16 + i] = static_cast<std::uint8_t>(dst >> (24 - 8 * i));
        }
        std::uint8_t udp[16] = {0x30, 0x39, 0x00, 0x35, 0, 16, 0, 0, 'z', 'p', 'l', 'e', 'x', '!', '!', '!'};
        std::memcpy(ip + 20, udp, 16);
        ipsec::packet p;
        p.assign(std::span<const std::uint8_t>(ip, 36));
        if (out->encapsulate(p) != ipsec::drop::none || in->decapsulate(p) != ipsec::drop::none) {
            return false;
        }
        return p.len == 36 && std::memcmp(p.data() + 28, "zplex!!!", 8) == 0;
    };
    return pass(x.outbound, y.inbound, 0x0a000105, 0xc0000207) && pass(y.outbound, x.inbound, 0xc0000207, 0x0a000105);
}

}  // namespace zplex::ike::test
