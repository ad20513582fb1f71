// SPDX-License-Identifier: Apache-2.0
// ARP (RFC 826) on the OSA port, and the table of TCP connections to DVIPAs.
// Both are fixed-size tables: the packet path never allocates.
#include "stack_impl.hpp"

#include "wire.hpp"

#include <algorithm>
#include <array>

namespace zplex::tcpip::stack {

namespace {
constexpr std::uint8_t broadcast_mac[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
constexpr int arp_tries = 3;
}  // namespace

arp_entry* stack::impl::arp_find(std::uint32_t ip) noexcept {
    for (auto& a : arp)
        if (a.used && a.ip == ip) return &a;
    return nullptr;
}

void stack::impl::arp_learn(std::uint32_t ip, const std::uint8_t* mac, bool create) noexcept {
    std::int64_t now = io.time->monotonic_ms();
    arp_entry* a = arp_find(ip);
    if (!a && create) {
        for (auto& e : arp)
            if (!e.used) {
                a = &e;
                break;
            }
        if (!a) return drops.count(drop::arp_cache_full);
        *a = arp_entry{};
        a->used = true;
        a->ip = ip;
    }
    if (!a) return;
    std::copy_n(mac, 6, a->mac.begin());
    a->valid = true;
    a->tries = 0;
    a->expires = now + std::int64_t{config.ipconfig.arp_timeout} * 1000;
    arp_flush(ip);
}

void stack::impl::arp_input(const std::uint8_t* p, std::size_t len) noexcept {
    if (len < wire::arp_length || wire::get16(p) != 1 || wire::get16(p + 2) != wire::ethertype_ipv4 || p[4] != 6 ||
        p[5] != 4) {
        return drops.count(drop::arp_malformed);
    }
    std::uint16_t op = wire::get16(p + 6);
    if (op != 1 && op != 2) return drops.count(drop::arp_malformed);
    const std::uint8_t* sha = p + 8;
    std::uint32_t spa = wire::get32(p + 14);
    std::uint32_t tpa = wire::get32(p + 24);
    if (std::equal(sha, sha + 6, me.mac.begin())) return;  // our own broadcast, looped back
    bool for_us = std::find(arp_addresses.begin(), arp_addresses.end(), tpa) != arp_addresses.end();
    // RFC 826 merge: update an entry we have; add one when the packet is for us.
    if (spa != 0 && !wire::is_martian_source(spa)) arp_learn(spa, sha, for_us);
    if (op == 1) {
        if (for_us) return arp_send(2, tpa, sha, spa);
        if (spa != tpa) drops.count(drop::arp_not_for_us);
    }
}

void stack::impl::arp_send(std::uint16_t op, std::uint32_t sender_ip, const std::uint8_t* target_mac,
                           std::uint32_t target_ip) noexcept {
    std::array<std::uint8_t, wire::eth_header + wire::arp_length> f{};
    std::uint8_t* p = f.data() + wire::eth_header;
    wire::put16(p, 1);
    wire::put16(p + 2, wire::ethertype_ipv4);
    p[4] = 6;
    p[5] = 4;
    wire::put16(p + 6, op);
    std::copy_n(me.mac.data(), 6, p + 8);
    wire::put32(p + 14, sender_ip);
    if (target_mac) std::copy_n(target_mac, 6, p + 18);
    wire::put32(p + 24, target_ip);
    send_frame(target_mac && op == 2 ? target_mac : broadcast_mac, wire::ethertype_arp, f.data(), wire::arp_length);
}

void stack::impl::gratuitous_arp(std::uint32_t ip) noexcept {
    if (!interfaces[static_cast<std::size_t>(osa)].ready) return;
    arp_send(1, ip, nullptr, ip);
}

void stack::impl::arp_queue(std::uint32_t next_hop, int iface, const std::uint8_t* packet, std::size_t len) noexcept {
    std::int64_t now = io.time->monotonic_ms();
    arp_entry* a = arp_find(next_hop);
    if (!a) {
        for (auto& e : arp)
            if (!e.used) {
                a = &e;
                break;
            }
        if (!a) return drops.count(drop::arp_cache_full);
        *a = arp_entry{};
        a->used = true;
        a->ip = next_hop;
    }
    pending_packet* slot = nullptr;
    for (auto& s : pending)
        if (!s.used) {
            slot = &s;
            break;
        }
    if (!slot || len > slot->data.size() - wire::eth_header) {
        drops.count(drop::arp_unresolved);
    } else {
        slot->used = true;
        slot->next_hop = next_hop;
        slot->iface = iface;
        slot->length = len;
        std::copy_n(packet, len, slot->data.data() + wire::eth_header);
    }
    if (a->tries == 0 || now - a->last_request >= sizes.arp_retry_ms) {
        a->last_request = now;
        ++a->tries;
        arp_send(1, source_for(iface), nullptr, next_hop);
    }
}

void stack::impl::arp_flush(std::uint32_t ip) noexcept {
    arp_entry* a = arp_find(ip);
    if (!a || !a->valid) return;
    for (auto& s : pending) {
        if (!s.used || s.next_hop != ip) continue;
        s.used = false;
        send_frame(a->mac.data(), wire::ethertype_ipv4, s.data.data(), s.length);
    }
}

void stack::impl::arp_tick(std::int64_t now) noexcept {
    for (auto& a : arp) {
        if (!a.used) continue;
        if (a.valid) {
            if (now >= a.expires) a = arp_entry{};  // ARPTO
            continue;
        }
        if (now - a.last_request < sizes.arp_retry_ms) continue;
        if (a.tries >= arp_tries) {
            for (auto& s : pending)
                if (s.used && s.next_hop == a.ip) {
                    s.used = false;
                    drops.count(drop::arp_unresolved);
                }
            a = arp_entry{};
            continue;
        }
        bool waiting = std::any_of(pending.begin(), pending.end(),
                                   [&](const pending_packet& s) { return s.used && s.next_hop == a.ip; });
        if (!waiting) {
            a = arp_entry{};
            continue;
        }
        a.last_request = now;
        ++a.tries;
        arp_send(1, source_for(osa), nullptr, a.ip);
    }
}

// ---------------------------------------------------------------- connection table

namespace {
std::size_t conn_hash(std::uint32_t lip, std::uint16_t lport, std::uint32_t rip, std::uint16_t rport) noexcept {
    std::uint64_t h = (std::uint64_t{lip} << 32 | rip) * 0x9E3779B97F4A7C15ull;
    h ^= (std::uint64_t{lport} << 16 | rport) * 0xC2B2AE3D27D4EB4Full;
    return static_cast<std::size_t>(h ^ (h >> 29));
}
}  // namespace

conn_entry* stack::impl::conn_find(std::uint32_t lip, std::uint16_t lport, std::uint32_t rip,
                                   std::uint16_t rport) noexcept {
    std::size_t mask = conns.size() - 1;
    std::size_t i = conn_hash(lip, lport, rip, rport) & mask;
    for (std::size_t n = 0; n < conns.size(); ++n, i = (i + 1) & mask) {
        auto& e = conns[i];
        if (e.used == 0) return nullptr;
        if (e.used == 1 && e.local_ip == lip && e.local_port == lport && e.remote_ip == rip && e.remote_port == rport)
            return &e;
    }
    return nullptr;
}

conn_entry* stack::impl::conn_insert(std::uint32_t lip, std::uint16_t lport, std::uint32_t rip,
                                     std::uint16_t rport) noexcept {
    if (auto* e = conn_find(lip, lport, rip, rport)) return e;
    std::size_t mask = conns.size() - 1;
    std::size_t i = conn_hash(lip, lport, rip, rport) & mask;
    for (std::size_t n = 0; n < conns.size(); ++n, i = (i + 1) & mask) {
        auto& e = conns[i];
        if (e.used == 1) continue;
        e = conn_entry{};
        e.local_ip = lip;
        e.remote_ip = rip;
        e.local_port = lport;
        e.remote_port = rport;
        e.used = 1;
        return &e;
    }
    return nullptr;
}

void stack::impl::conn_erase(conn_entry* e) noexcept {
    if (e->dist != conn_dist::none) dist_forget(*e);
    e->used = 2;
    conns_changed = true;
    // Deleted entries just before an empty slot end no probe sequence: free them.
    std::size_t mask = conns.size() - 1;
    std::size_t i = static_cast<std::size_t>(e - conns.data());
    if (conns[(i + 1) & mask].used != 0) return;
    while (conns[i].used == 2) {
        conns[i].used = 0;
        i = (i - 1) & mask;
    }
}

void stack::impl::conn_track(conn_entry* e, std::uint8_t flags, bool inbound) noexcept {
    if (flags & wire::tcp_rst) return conn_erase(e);
    if (flags & wire::tcp_fin) (inbound ? e->fin_in : e->fin_out) = true;
    if (e->fin_in && e->fin_out && e->closing_since == 0) {
        e->closing_since = io.time->monotonic_ms();
        conns_changed = true;
    }
}

std::size_t stack::impl::conn_count(std::uint32_t dvipa) const noexcept {
    std::size_t n = 0;
    for (const auto& e : conns)
        if (e.used == 1 && e.peer < 0 && e.closing_since == 0 && e.local_ip == dvipa &&
            (e.dist == conn_dist::none || e.dist == conn_dist::local))
            ++n;
    return n;
}

std::vector<control::kept_connection> stack::impl::kept_of(std::uint32_t dvipa) const {
    std::vector<control::kept_connection> out;
    for (const auto& e : conns)
        if (e.used == 1 && e.peer < 0 && e.local_ip == dvipa && (e.dist == conn_dist::none || e.dist == conn_dist::local))
            out.push_back(control::kept_connection{e.remote_ip, e.remote_port, e.local_port});
    return out;
}

}  // namespace zplex::tcpip::stack
