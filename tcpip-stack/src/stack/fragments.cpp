// SPDX-License-Identifier: Apache-2.0
// Fragments in the stack core (docs/stack.md "Fragments"): which fragments to a local
// address the stack reassembles itself, the reassembly timeout with its ICMP time
// exceeded, and the fragmentation of the packets the stack and its image send.
// Packet path: nothing here allocates or throws.
#include "stack_impl.hpp"

#include "wire.hpp"

#include <algorithm>

namespace zplex::tcpip::stack {

namespace {
constexpr std::uint8_t proto_esp = 50;
constexpr std::uint8_t proto_ah = 51;
constexpr std::uint8_t reassembly_time_exceeded = 1;  // RFC 792: fragment reassembly time exceeded
}  // namespace

bool stack::impl::reasm_wanted(const std::uint8_t* p, int in_iface, const dvipa_entry* d) noexcept {
    const std::uint8_t proto = p[9];
    const std::uint32_t dst = wire::get32(p + 16);
    // The Sysplex Distributor's IP-in-IP to our XCF address: decapsulation reads the inner header.
    if (proto == ipproto_ipip && dst == xcf_address && in_iface >= 0 &&
        interfaces[static_cast<std::size_t>(in_iface)].kind == iface_kind::xcf)
        return true;
    const bool active = d && d->status == dvipa_status::active;
    // ICMP echo to home addresses and active DVIPAs: the stack answers it itself.
    if (proto == wire::proto_icmp) return !d || active;
    const bool target = !sd.targets.empty() && dist_target(dst) != nullptr;
    if (!d && !target) return false;  // a home address: the image's kernel reassembles
    // TCP to a DVIPA: the distributor picks a target by port, connections are tracked
    // (WHENIDLE, MOVING routes), a target records what it serves.
    if (proto == wire::proto_tcp) return true;
    // IPsec of a distributed DVIPA: the owner peeks into ESP, a target unprotects it.
    const bool ipsec = proto == proto_esp || proto == proto_ah || proto == wire::proto_udp;
    return ipsec && ((active && !sw.masters.empty()) || (target && sw.cache));
}

std::uint8_t* stack::impl::reasm_input(const std::uint8_t* p, std::size_t& len, int in_iface) noexcept {
    std::uint8_t* out = tx.data() + wire::eth_header;
    std::size_t whole = 0;
    drop why = drop::count_;
    switch (reasm.add(p, len, in_iface, io.time->monotonic_ms(), out, whole, why)) {
    case reassembler::outcome::complete: len = whole; return out;
    case reassembler::outcome::dropped: drops.count(why); return nullptr;
    case reassembler::outcome::held: break;
    }
    return nullptr;
}

void stack::impl::reasm_tick(std::int64_t now) noexcept {
    // RFC 1122 §3.3.2: ICMP time exceeded (code 1) when fragment zero had come; icmp_error
    // sends none about an ICMP error. From the address the datagram was sent to.
    std::size_t n = reasm.expire(now, [&](const std::uint8_t* h, std::size_t len, int in_iface, std::uint32_t dst) {
        icmp_error(h, len, wire::icmp_time_exceeded, reassembly_time_exceeded, 0, in_iface, is_local(dst) ? dst : 0);
    });
    for (std::size_t i = 0; i < n; ++i) drops.count(drop::reasm_timeout);
}

void stack::impl::fragment_output(int iface, std::uint32_t next_hop, const std::uint8_t* p, std::size_t len,
                                  std::size_t mtu) noexcept {
    const std::size_t hl = std::size_t{p[0] & 0x0Fu} * 4;
    const std::size_t per = mtu > hl ? (mtu - hl) & ~std::size_t{7} : 0;  // whole 8-byte blocks
    if (per == 0 || len <= hl) {
        ++fragmented.failed;
        return drops.count(drop::too_big);
    }
    // RFC 791 §3.1: later fragments carry only the options whose copied flag is set.
    std::uint8_t later[60];
    std::copy_n(p, 20, later);
    std::size_t lhl = 20;
    for (std::size_t i = 20; i < hl;) {
        std::uint8_t type = p[i];
        if (type == 0) break;
        if (type == 1) {
            ++i;
            continue;
        }
        if (i + 1 >= hl || p[i + 1] < 2 || i + p[i + 1] > hl) break;
        std::size_t olen = p[i + 1];
        if (type & 0x80) {
            std::copy_n(p + i, olen, later + lhl);
            lhl += olen;
        }
        i += olen;
    }
    while (lhl % 4) later[lhl++] = 0;
    later[0] = static_cast<std::uint8_t>(0x40 | (lhl / 4));
    const std::uint16_t field = wire::get16(p + 6);
    const std::size_t base = std::size_t{field & 0x1FFFu} * 8;  // the packet may itself be a fragment
    const bool more_after = (field & 0x2000) != 0;
    const std::size_t data = len - hl;
    for (std::size_t off = 0; off < data; off += per) {
        const std::size_t n = std::min(per, data - off);
        const std::uint8_t* h = off == 0 ? p : later;
        const std::size_t h_len = off == 0 ? hl : lhl;
        std::uint8_t* f = frag.data() + wire::eth_header;
        std::copy_n(h, h_len, f);
        std::copy_n(p + hl + off, n, f + h_len);
        wire::put16(f + 2, static_cast<std::uint16_t>(h_len + n));
        bool more = off + n < data || more_after;
        wire::put16(f + 6, static_cast<std::uint16_t>((more ? 0x2000 : 0) | ((base + off) / 8)));
        wire::put16(f + 10, 0);
        wire::put16(f + 10, wire::checksum(f, h_len));
        ++fragmented.created;
        send_on_iface(iface, next_hop, f, h_len + n);
    }
    ++fragmented.ok;
}

}  // namespace zplex::tcpip::stack
