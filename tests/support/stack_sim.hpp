// SPDX-License-Identifier: Apache-2.0
// Test double of a sysplex for the stack core: an in-memory LAN (a hub), dynamic XCF
// links, the TCP/IP XCF group, simulated time, LAN client hosts and TUN applications.
// Deterministic: every send is queued and delivered by pump(), in order.
#pragma once

#include <zplex/sysplex/catalogue.hpp>
#include <zplex/tcpip/profile/parser.hpp>
#include <zplex/tcpip/stack/stack.hpp>

#include <algorithm>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace zplex::test {

namespace tst = zplex::tcpip::stack;
using zplex::tcpip::profile::ipv4_address;

inline std::uint32_t ip(const char* s) { return ipv4_address::parse(s)->value; }

struct sim_clock : tst::clock {
    std::int64_t ms = 0;
    std::int64_t wall0 = 1796112000;  // 2026-12-01 08:00:00 UTC
    std::int64_t monotonic_ms() const noexcept override { return ms; }
    std::int64_t wall_seconds() const noexcept override { return wall0 + ms / 1000; }
};

inline void put16(std::vector<std::uint8_t>& v, std::size_t at, std::uint16_t x) {
    v[at] = static_cast<std::uint8_t>(x >> 8);
    v[at + 1] = static_cast<std::uint8_t>(x);
}
inline void put32(std::vector<std::uint8_t>& v, std::size_t at, std::uint32_t x) {
    put16(v, at, static_cast<std::uint16_t>(x >> 16));
    put16(v, at + 2, static_cast<std::uint16_t>(x));
}
inline std::uint16_t get16(const std::vector<std::uint8_t>& v, std::size_t at) {
    return static_cast<std::uint16_t>((v[at] << 8) | v[at + 1]);
}
inline std::uint32_t get32(const std::vector<std::uint8_t>& v, std::size_t at) {
    return (std::uint32_t{get16(v, at)} << 16) | get16(v, at + 2);
}
inline std::uint16_t csum(const std::uint8_t* p, std::size_t n, std::uint32_t sum = 0) {
    for (; n > 1; n -= 2, p += 2) sum += static_cast<std::uint32_t>((p[0] << 8) | p[1]);
    if (n) sum += std::uint32_t{p[0]} << 8;
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

/// An IPv4 packet: 20-byte header + payload, checksums right.
inline std::vector<std::uint8_t> ipv4_packet(std::uint32_t src, std::uint32_t dst, std::uint8_t proto,
                                             const std::vector<std::uint8_t>& payload, std::uint8_t ttl = 64,
                                             bool df = false) {
    std::vector<std::uint8_t> p(20 + payload.size());
    p[0] = 0x45;
    put16(p, 2, static_cast<std::uint16_t>(p.size()));
    put16(p, 4, 0x1234);
    if (df) p[6] = 0x40;
    p[8] = ttl;
    p[9] = proto;
    put32(p, 12, src);
    put32(p, 16, dst);
    put16(p, 10, csum(p.data(), 20));
    std::copy(payload.begin(), payload.end(), p.begin() + 20);
    if (proto == 1) put16(p, 22, csum(p.data() + 20, payload.size()));
    if (proto == 6) {  // TCP checksum over the pseudo header
        std::uint32_t sum = (src >> 16) + (src & 0xFFFF) + (dst >> 16) + (dst & 0xFFFF) + 6 +
                            static_cast<std::uint32_t>(payload.size());
        put16(p, 36, 0);
        put16(p, 36, csum(p.data() + 20, payload.size(), sum));
    }
    return p;
}

inline std::vector<std::uint8_t> echo_request(std::uint32_t src, std::uint32_t dst, std::uint16_t seq,
                                              std::uint8_t ttl = 64, std::size_t extra = 8) {
    std::vector<std::uint8_t> icmp(8 + extra, 0xA5);
    icmp[0] = 8;
    icmp[1] = 0;
    put16(icmp, 2, 0);
    put16(icmp, 4, 0x77);
    put16(icmp, 6, seq);
    return ipv4_packet(src, dst, 1, icmp, ttl);
}

inline std::vector<std::uint8_t> tcp_segment(std::uint32_t src, std::uint16_t sport, std::uint32_t dst,
                                             std::uint16_t dport, std::uint8_t flags, std::string data = {}) {
    std::vector<std::uint8_t> t(20 + data.size());
    put16(t, 0, sport);
    put16(t, 2, dport);
    put32(t, 4, 1000);
    put32(t, 8, (flags & 0x10) ? 2000 : 0);
    t[12] = 0x50;
    t[13] = flags;
    put16(t, 14, 65535);
    std::copy(data.begin(), data.end(), t.begin() + 20);
    return ipv4_packet(src, dst, 6, t);
}

/// @p packet cut into IPv4 fragments (RFC 791 §3.2) carrying @p sizes data bytes in turn
/// (multiples of 8), the rest in the last; each with the whole header and its checksum.
inline std::vector<std::vector<std::uint8_t>> fragments_cut(const std::vector<std::uint8_t>& packet,
                                                            std::vector<std::size_t> sizes) {
    std::size_t hl = std::size_t{packet[0] & 0x0Fu} * 4, data = packet.size() - hl;
    std::vector<std::vector<std::uint8_t>> out;
    sizes.push_back(data);
    for (std::size_t off = 0, k = 0; off < data; ++k) {
        std::size_t n = std::min(k < sizes.size() ? sizes[k] : data, data - off);
        std::vector<std::uint8_t> f(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(hl));
        f.insert(f.end(), packet.begin() + static_cast<std::ptrdiff_t>(hl + off),
                 packet.begin() + static_cast<std::ptrdiff_t>(hl + off + n));
        put16(f, 2, static_cast<std::uint16_t>(f.size()));
        put16(f, 6, static_cast<std::uint16_t>((off + n < data ? 0x2000 : 0) | (off / 8)));
        put16(f, 10, 0);
        put16(f, 10, csum(f.data(), hl));
        out.push_back(std::move(f));
        off += n;
    }
    return out;
}

/// @p packet cut into fragments of at most @p data_per data bytes each (a multiple of 8).
inline std::vector<std::vector<std::uint8_t>> fragments_of(const std::vector<std::uint8_t>& packet,
                                                           std::size_t data_per) {
    std::size_t data = packet.size() - std::size_t{packet[0] & 0x0Fu} * 4;
    return fragments_cut(packet, std::vector<std::size_t>(data / data_per, data_per));
}

/// A TCP segment with @p payload bytes of data (the byte pattern of its index), checksum right.
inline std::vector<std::uint8_t> tcp_segment_sized(std::uint32_t src, std::uint16_t sport, std::uint32_t dst,
                                                   std::uint16_t dport, std::uint8_t flags, std::size_t payload) {
    std::string data(payload, '\0');
    for (std::size_t i = 0; i < payload; ++i) data[i] = static_cast<char>('a' + i % 26);
    return tcp_segment(src, sport, dst, dport, flags, data);
}

/// An ARP reply (RFC 826) from @p from (MAC 02:00:00:00:00:65) to @p to: the 28-byte packet.
inline std::vector<std::uint8_t> arp_reply_packet(std::uint32_t from, std::uint32_t to) {
    std::vector<std::uint8_t> a(28, 0);
    put16(a, 0, 1);
    put16(a, 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    put16(a, 6, 2);
    a[8] = 2;
    a[13] = 0x65;
    put32(a, 14, from);
    put32(a, 24, to);
    return a;
}

inline constexpr std::uint8_t SYN = 0x02, ACK = 0x10, FIN = 0x01, RST = 0x04, PSH = 0x08;

/// One stack of the simulated sysplex with its ports.
struct sim_node;

struct sim_sysplex {
    sim_clock clock;
    std::deque<std::function<void()>> queue;
    std::vector<std::unique_ptr<sim_node>> nodes;
    struct host;
    std::vector<std::unique_ptr<host>> hosts;
    std::set<std::string> partitioned;   ///< members cut off from the group's messages
    /// A group message from one member to another that this returns true for is lost.
    std::function<bool(const std::string& from, const std::string& to, const std::vector<std::uint8_t>&)> lose;

    void pump(int limit = 100000) {
        while (!queue.empty() && limit-- > 0) {
            auto f = std::move(queue.front());
            queue.pop_front();
            f();
        }
        if (limit <= 0) throw std::runtime_error("sim: the network does not settle");
    }
    inline void advance(std::int64_t ms);
    inline void lan_send(const void* from, std::vector<std::uint8_t> frame);
    inline sim_node& node(const std::string& sysname);
};

struct sim_node : tst::lan_port, tst::app_port, tst::xcf_link_port, tst::sysplex_port {
    sim_sysplex* net = nullptr;
    std::string sysname;
    tst::identity id;
    tcpip::profile::profile config;
    std::unique_ptr<tst::stack> s;
    bool alive = false;
    bool joined = false;
    zplex::cf::connector* cf = nullptr;                ///< EZBDVIPA for SWSA, when a test gives one
    zplex::cf::connector* eport = nullptr;             ///< EZBEPORT for SYSPLEXPORTS, when a test gives one
    std::vector<std::vector<std::uint8_t>> app_in;     ///< packets delivered to the image's kernel
    std::vector<std::string> log;                      ///< console messages, in order
    std::uint64_t frames_sent = 0;
    std::uint64_t links_sealed = 0, links_integrity_only = 0;  ///< XCF link packets sent, by protection

    void send_frame(tst::bytes f) noexcept override {
        ++frames_sent;
        net->lan_send(this, std::vector<std::uint8_t>(f.begin(), f.end()));
    }
    void send_packet(tst::bytes p) noexcept override { app_in.emplace_back(p.begin(), p.end()); }
    void send_packet(std::string_view member, tst::bytes p, tst::link_protection how) noexcept override {
        ++(how == tst::link_protection::integrity_only ? links_integrity_only : links_sealed);
        std::vector<std::uint8_t> copy(p.begin(), p.end());
        std::string from = id.member, to(member);
        net->queue.push_back([n = net, from, to, copy] {
            for (auto& x : n->nodes)
                if (x->alive && x->id.member == to) x->s->xcf_link_packet(from, copy);
        });
    }
    void send(std::string_view member, tst::bytes m) override {
        std::vector<std::uint8_t> copy(m.begin(), m.end());
        std::string from = id.member, to(member);
        net->queue.push_back([n = net, from, to, copy] {
            if (n->partitioned.count(from)) return;
            for (auto& x : n->nodes) {
                if (!x->alive || !x->joined || x->id.member == from || n->partitioned.count(x->id.member)) continue;
                if (n->lose && n->lose(from, x->id.member, copy)) continue;
                if (to.empty() || x->id.member == to) x->s->control_message(from, copy);
            }
        });
    }
    std::vector<std::string> members() const override {
        std::vector<std::string> out;
        if (net->partitioned.count(id.member)) return out;
        for (auto& x : net->nodes)
            if (x.get() != this && x->alive && x->joined && !net->partitioned.count(x->id.member))
                out.push_back(x->id.member);
        return out;
    }
    /// LEAVEGROUP / JOINGROUP: the others hear the member leave or join, in order.
    bool leave_group() override {
        joined = false;
        net->queue.push_back([n = net, m = id.member] {
            for (auto& x : n->nodes)
                if (x->alive && x->joined && x->id.member != m) x->s->member_left(m);
        });
        return true;
    }
    bool join_group() override {
        joined = true;
        net->queue.push_back([n = net, m = id.member] {
            for (auto& x : n->nodes)
                if (x->alive && x->joined && x->id.member != m) x->s->member_joined(m);
        });
        return true;
    }
    void collect() {
        if (!s) return;
        for (auto& m : s->take_messages()) log.push_back(m);
    }
    /// Messages logged since the last call of new_messages().
    std::vector<std::string> new_messages() {
        collect();
        std::vector<std::string> out(log.begin() + static_cast<std::ptrdiff_t>(seen), log.end());
        seen = log.size();
        return out;
    }
    std::size_t seen = 0;
    std::vector<std::string> cmd(const std::string& c) { return s->command(c); }
    std::optional<tst::dvipa_view> dvipa(const char* a) const {
        for (auto& d : s->dvipas())
            if (d.address.value == ip(a)) return d;
        return std::nullopt;
    }
};

/// A Linux client on the LAN: ARP (with a cache GARP updates), echo replies, a log of what it got.
struct sim_sysplex::host {
    sim_sysplex* net = nullptr;
    std::string name;
    tst::mac_address mac{};
    std::uint32_t address = 0;
    std::map<std::uint32_t, tst::mac_address> arp;
    std::vector<std::vector<std::uint8_t>> received;   ///< IPv4 packets with their source MAC
    std::vector<tst::mac_address> received_from;
    std::vector<std::vector<std::uint8_t>> waiting;
    std::uint32_t gateway = 0;                         ///< 0: every destination on-link

    void frame(const std::vector<std::uint8_t>& f) {
        if (f.size() < 14) return;
        bool bcast = std::all_of(f.begin(), f.begin() + 6, [](std::uint8_t b) { return b == 0xFF; });
        if (!bcast && !std::equal(f.begin(), f.begin() + 6, mac.begin())) return;
        std::uint16_t type = get16(f, 12);
        if (type == 0x0806 && f.size() >= 42) {
            std::uint16_t op = get16(f, 20);
            std::uint32_t spa = get32(f, 28), tpa = get32(f, 38);
            tst::mac_address sha;
            std::copy(f.begin() + 22, f.begin() + 28, sha.begin());
            if (arp.count(spa) || tpa == address) arp[spa] = sha;
            if (op == 1 && tpa == address) {
                std::vector<std::uint8_t> r(42);
                std::copy(sha.begin(), sha.end(), r.begin());
                std::copy(mac.begin(), mac.end(), r.begin() + 6);
                put16(r, 12, 0x0806);
                put16(r, 14, 1);
                put16(r, 16, 0x0800);
                r[18] = 6;
                r[19] = 4;
                put16(r, 20, 2);
                std::copy(mac.begin(), mac.end(), r.begin() + 22);
                put32(r, 28, address);
                std::copy(sha.begin(), sha.end(), r.begin() + 32);
                put32(r, 38, spa);
                net->lan_send(this, r);
            }
            flush();
            return;
        }
        if (type == 0x0800) {
            received.emplace_back(f.begin() + 14, f.end());
            tst::mac_address src;
            std::copy(f.begin() + 6, f.begin() + 12, src.begin());
            received_from.push_back(src);
        }
    }
    void send(std::vector<std::uint8_t> packet) {
        waiting.push_back(std::move(packet));
        std::uint32_t hop = next_hop(get32(waiting.back(), 16));
        if (!arp.count(hop)) {
            std::vector<std::uint8_t> r(42, 0);
            std::fill(r.begin(), r.begin() + 6, 0xFF);
            std::copy(mac.begin(), mac.end(), r.begin() + 6);
            put16(r, 12, 0x0806);
            put16(r, 14, 1);
            put16(r, 16, 0x0800);
            r[18] = 6;
            r[19] = 4;
            put16(r, 20, 1);
            std::copy(mac.begin(), mac.end(), r.begin() + 22);
            put32(r, 28, address);
            put32(r, 38, hop);
            net->lan_send(this, r);
        }
        flush();
    }
    std::uint32_t next_hop(std::uint32_t dst) const {
        if (gateway && (dst & 0xFFFFFF00u) != (address & 0xFFFFFF00u)) return gateway;
        return dst;
    }
    void flush() {
        for (auto it = waiting.begin(); it != waiting.end();) {
            std::uint32_t hop = next_hop(get32(*it, 16));
            auto a = arp.find(hop);
            if (a == arp.end()) {
                ++it;
                continue;
            }
            std::vector<std::uint8_t> f(14 + it->size());
            std::copy(a->second.begin(), a->second.end(), f.begin());
            std::copy(mac.begin(), mac.end(), f.begin() + 6);
            put16(f, 12, 0x0800);
            std::copy(it->begin(), it->end(), f.begin() + 14);
            net->lan_send(this, f);
            it = waiting.erase(it);
        }
    }
    /// Echo replies from @p from received so far.
    int echo_replies_from(std::uint32_t from) const {
        int n = 0;
        for (auto& p : received)
            if (p.size() >= 28 && p[9] == 1 && p[20] == 0 && get32(p, 12) == from) ++n;
        return n;
    }
};

void sim_sysplex::lan_send(const void* from, std::vector<std::uint8_t> frame) {
    queue.push_back([this, from, frame = std::move(frame)] {
        for (auto& n : nodes)
            if (n.get() != from && n->alive && n->s) n->s->lan_frame(frame);
        for (auto& h : hosts)
            if (h.get() != from) h->frame(frame);
    });
}

void sim_sysplex::advance(std::int64_t ms) {
    for (std::int64_t t = 0; t < ms; t += 100) {
        clock.ms += 100;
        for (auto& n : nodes)
            if (n->alive && n->s) n->s->tick();
        pump();
    }
    for (auto& n : nodes) n->collect();
}

sim_node& sim_sysplex::node(const std::string& sysname) {
    for (auto& n : nodes)
        if (n->sysname == sysname) return *n;
    throw std::runtime_error("sim: no node " + sysname);
}

/// FIG4 from profiles/FIG4: five stacks, the LAN, CLIENT1 and CLIENT2.
struct fig4 : sim_sysplex {
    sysplex::catalogue cat = sysplex::catalogue::load(std::string(ZPLEX_SOURCE_DIR) + "/profiles/FIG4");
    /// Profile text overrides by system (the member text after symbol substitution is not needed).
    std::map<std::string, std::string> override_text;

    fig4() {
        int n = 1;
        for (const auto& img : cat.config().images) {
            auto node = std::make_unique<sim_node>();
            node->net = this;
            node->sysname = img.name;
            node->id.sysname = img.name;
            node->id.sysclone = img.sysclone;
            node->id.tcpname = img.tcpip_proc;
            node->id.member = img.name + img.tcpip_proc;
            node->id.mac = {0x02, 0x00, 0x00, 0x00, 0x00, static_cast<std::uint8_t>(0x10 + n++)};
            nodes.push_back(std::move(node));
        }
        for (int i = 1; i <= 2; ++i) {
            auto h = std::make_unique<host>();
            h->net = this;
            h->name = "CLIENT" + std::to_string(i);
            h->mac = {0x02, 0x00, 0x00, 0x00, 0x01, static_cast<std::uint8_t>(0x00 + i)};
            h->address = ip(i == 1 ? "198.18.0.101" : "198.18.0.102");
            hosts.push_back(std::move(h));
        }
    }
    host& client(int i) { return *hosts[static_cast<std::size_t>(i - 1)]; }

    tcpip::profile::profile load(const std::string& sysname) {
        const auto* img = cat.config().find_image(sysname);
        tcpip::profile::parse_options o;
        o.symbols = cat.config().symbols_for(*img);
        o.reader = tcpip::profile::catalogue_reader(cat.datasets());
        tcpip::profile::message_log log;
        tcpip::profile::profile p;
        auto it = override_text.find(sysname);
        if (it != override_text.end()) p = tcpip::profile::process_initial_text(it->second, img->profile_dsn, o, log);
        else p = tcpip::profile::process_initial_profile(img->profile_dsn, o, log);
        if (log.return_code() > 4) throw std::runtime_error("sim: profile of " + sysname + " has errors");
        return p;
    }
    /// Start the stack and join the TCP/IP group, then let the network settle.
    sim_node& start(const std::string& sysname, bool settle = true) {
        auto& n = node(sysname);
        n.config = load(sysname);
        tst::ports io{&n, &n, &n, &n, &clock, n.cf};
        io.ezbeport = n.eport;
        n.s = tst::stack::create(n.config, n.id, io);
        n.alive = true;
        n.joined = true;
        for (auto& x : nodes)
            if (x.get() != &n && x->alive && x->joined) x->s->member_joined(n.id.member);
        n.s->joined_group();
        if (settle) {
            pump();
            advance(100);
        }
        return n;
    }
    /// The stack's process ends (its XCF member fails).
    void kill(const std::string& sysname) {
        auto& n = node(sysname);
        n.collect();
        n.alive = false;
        n.joined = false;
        for (auto& x : nodes)
            if (x->alive && x->joined) x->s->member_failed(n.id.member);
        pump();
        advance(100);
    }
    /// The system is partitioned out: the stack fences itself and the others see it fail.
    void partition(const std::string& sysname) {
        auto& n = node(sysname);
        n.s->fence();
        n.joined = false;
        for (auto& x : nodes)
            if (x.get() != &n && x->alive && x->joined) x->s->member_failed(n.id.member);
        pump();
        advance(100);
    }
    void start_all(const std::vector<std::string>& order) {
        for (auto& s : order) start(s);
    }
    /// All five started (MVS5 first, so DVB1's owner is up before its backups) and the
    /// start-up messages taken: a test sees only what it causes.
    void start_fig4_quietly() {
        start_all({"MVS5", "MVS1", "MVS2", "MVS3", "MVS4"});
        for (auto& n : nodes) n->new_messages();
    }
};

}  // namespace zplex::test
