// SPDX-License-Identifier: Apache-2.0
// The packet path: Ethernet in, IPv4 validation, local delivery, forwarding, ICMP.
// Nothing here allocates or throws; every drop is counted by reason.
#include "stack_impl.hpp"

#include "wire.hpp"

#include <algorithm>

namespace zplex::tcpip::stack {

namespace {
constexpr std::uint8_t broadcast_mac[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
}

void stack::impl::lan_frame(bytes frame) noexcept {
    if (is_fenced) return drops.count(drop::fenced);
    if (frame.size() < wire::eth_header) return drops.count(drop::frame_short);
    const std::uint8_t* f = frame.data();
    bool to_us = std::equal(f, f + 6, me.mac.begin());
    bool bcast = std::equal(f, f + 6, broadcast_mac);
    if (!to_us && !bcast) return drops.count(drop::frame_not_for_us);
    auto& o = interfaces[static_cast<std::size_t>(osa)];
    if (!o.ready) {
        ++o.stats.packets_in_discarded;
        return drops.count(drop::interface_down);
    }
    ++o.stats.packets_in;
    o.stats.bytes_in += frame.size();
    std::uint16_t type = wire::get16(f + 12);
    std::size_t len = frame.size() - wire::eth_header;
    if (type == wire::ethertype_arp) return arp_input(f + wire::eth_header, len);
    if (type != wire::ethertype_ipv4) {
        ++o.stats.packets_in_discarded;
        return drops.count(drop::ethertype);
    }
    if (len > tx.size() - wire::eth_header) len = tx.size() - wire::eth_header;
    std::copy_n(f + wire::eth_header, len, tx.data() + wire::eth_header);
    lan_packet = tx.data() + wire::eth_header;
    lan_packet_len = len;
    ip_input(tx.data() + wire::eth_header, len, osa);
    lan_packet = nullptr;
    lan_packet_len = 0;
}

void stack::impl::xcf_link_packet(std::string_view from, bytes packet) noexcept {
    if (is_fenced) return drops.count(drop::fenced);
    int p = -1;
    for (std::size_t i = 0; i < peers.size(); ++i)
        if (peers[i].present && peers[i].member == from) p = static_cast<int>(i);
    if (p < 0 || peers[static_cast<std::size_t>(p)].link < 0) return drops.count(drop::xcf_unknown_peer);
    int link = peers[static_cast<std::size_t>(p)].link;
    auto& s = interfaces[static_cast<std::size_t>(link)].stats;
    ++s.packets_in;
    s.bytes_in += packet.size();
    std::size_t len = std::min(packet.size(), tx.size() - wire::eth_header);
    std::copy_n(packet.data(), len, tx.data() + wire::eth_header);
    ip_input(tx.data() + wire::eth_header, len, link);
}

namespace {
/// RFC 791 header checks; on success @p len is trimmed to the total length.
drop check_ipv4(const std::uint8_t* p, std::size_t& len) noexcept {
    if (len < wire::ipv4_min_header) return drop::ip_short;
    if ((p[0] >> 4) != 4 || (p[0] & 0x0F) < 5) return drop::ip_version;
    std::size_t hl = std::size_t{p[0] & 0x0Fu} * 4;
    std::size_t total = wire::get16(p + 2);
    if (hl > len || total < hl || total > len) return drop::ip_short;
    if (wire::checksum(p, hl) != 0) return drop::ip_checksum;
    len = total;
    return drop::count_;
}

void set_ip_checksum(std::uint8_t* p) noexcept {
    std::size_t hl = std::size_t{p[0] & 0x0Fu} * 4;
    wire::put16(p + 10, 0);
    wire::put16(p + 10, wire::checksum(p, hl));
}
}  // namespace

void stack::impl::ip_input(std::uint8_t* p, std::size_t len, int in_iface) noexcept {
    drop bad = check_ipv4(p, len);
    if (bad != drop::count_) {
        ++interfaces[static_cast<std::size_t>(in_iface)].stats.packets_in_error;
        return drops.count(bad);
    }
    std::uint32_t src = wire::get32(p + 12);
    std::uint32_t dst = wire::get32(p + 16);
    if (wire::is_martian_source(src)) return drops.count(drop::ip_martian);
    if (is_local(dst)) return local_input(p, len, in_iface, find_dvipa(dst));
    if (!config.ipconfig.datagram_fwd) return drops.count(drop::forwarding_disabled);
    if (p[8] <= 1) {
        icmp_error(p, len, wire::icmp_time_exceeded, 0, 0, in_iface);
        return drops.count(drop::ttl_exceeded);
    }
    --p[8];
    set_ip_checksum(p);
    ip_output(p, len, in_iface, true);
}

void stack::impl::local_input(std::uint8_t* p, std::size_t len, int in_iface, dvipa_entry* d, bool decapsulated) noexcept {
    bool fragment = (wire::get16(p + 6) & 0x3FFF) != 0;
    if (fragment && reasm_wanted(p, in_iface, d)) {
        // Reassembled here when the stack must see the whole packet (fragments.cpp);
        // other fragments go to the image's kernel, which reassembles them.
        p = reasm_input(p, len, in_iface);
        if (!p) return;
        fragment = false;
    }
    std::size_t hl = std::size_t{p[0] & 0x0Fu} * 4;
    std::uint8_t proto = p[9];
    // Sysplex Distributor (distributor.cpp): distributed packets in, target DVIPAs, new connections.
    if (proto == ipproto_ipip && in_iface >= 0 && interfaces[static_cast<std::size_t>(in_iface)].kind == iface_kind::xcf &&
        wire::get32(p + 16) == xcf_address)
        return dist_decap(p, len, in_iface);
    if (!sd.targets.empty() && dist_target_input(p, len, d)) return;
    // SWSA (swsa.cpp): IPsec for a distributed DVIPA this stack owns: peek, then forward or process.
    if (d && d->status == dvipa_status::active && !sw.masters.empty() && swsa_is_ipsec(p, len) && !fragment &&
        swsa_owner_inbound(p, len, in_iface, *d))
        return;
    if (d && d->status == dvipa_status::active && !sd.services.empty() && proto == wire::proto_tcp && !fragment &&
        len - hl >= 20 && dist_inbound(p, len, *d))
        return;
    bool ours = d == nullptr || d->status == dvipa_status::active;
    if (proto == wire::proto_icmp && !fragment && ours && len - hl >= 8 && p[hl] == wire::icmp_echo_request) {
        return icmp_echo_reply(p, len, in_iface);
    }
    if (d && proto == wire::proto_tcp && !fragment && len - hl >= 20) {
        const std::uint8_t* t = p + hl;
        std::uint16_t sport = wire::get16(t), dport = wire::get16(t + 2);
        std::uint8_t flags = t[13];
        conn_entry* e = conn_find(d->address, dport, wire::get32(p + 12), sport);
        if (e && e->peer >= 0) {
            // A connection kept on the stack that held this DVIPA before: route it there.
            conn_track(e, flags, true);
            const auto& ps = peers[static_cast<std::size_t>(e->peer)];
            if (!ps.present || ps.link < 0) return drops.count(drop::moving_stale);
            return send_on_iface(ps.link, 0, p, len);
        }
        if (d->status == dvipa_status::active) {
            if (!e && (flags & wire::tcp_syn) && !(flags & wire::tcp_ack)) {
                e = conn_insert(d->address, dport, wire::get32(p + 12), sport);
                if (!e) drops.count(drop::conn_table_full);
            }
            if (e) conn_track(e, flags, true);
            return image_input(p, len, decapsulated);
        }
        if (e) {
            conn_track(e, flags, true);
            return image_input(p, len, decapsulated);
        }
    }
    if (d && d->status != dvipa_status::active) {
        // MOVING or QUIESCING: only kept connections end here; the rest goes to the owner.
        const route_entry* r = lookup(d->address);
        if (!r || !r->dvipa) return drops.count(drop::moving_stale);
        return send_on_iface(r->iface, 0, p, len);
    }
    image_input(p, len, decapsulated);
}

void stack::impl::image_input(const std::uint8_t* p, std::size_t len, bool decapsulated) noexcept {
    if (!decapsulated && swsa_clear_denied(p, len)) return drops.count(drop::swsa_clear);
    io.app->send_packet(bytes(p, len));
}

void stack::impl::app_packet(bytes packet) noexcept {
    if (sw.burst_left) --sw.burst_left;
    if (is_fenced) return drops.count(drop::fenced);
    std::size_t len = std::min(packet.size(), tx.size() - wire::eth_header);
    std::uint8_t* p = tx.data() + wire::eth_header;
    std::copy_n(packet.data(), len, p);
    drop bad = check_ipv4(p, len);
    if (bad != drop::count_) return drops.count(bad);
    std::uint32_t src = wire::get32(p + 12);
    std::uint32_t dst = wire::get32(p + 16);
    if (!is_local(src)) return drops.count(drop::app_bad_source);
    std::size_t hl = std::size_t{p[0] & 0x0Fu} * 4;
    dvipa_entry* d = find_dvipa(src);
    if (d && p[9] == wire::proto_tcp && (wire::get16(p + 6) & 0x3FFF) == 0 && len - hl >= 20) {
        const std::uint8_t* t = p + hl;
        std::uint8_t flags = t[13];
        conn_entry* e = conn_find(src, wire::get16(t), dst, wire::get16(t + 2));
        if (!e && (flags & wire::tcp_syn) && !(flags & wire::tcp_ack) && d->status == dvipa_status::active) {
            e = conn_insert(src, wire::get16(t), dst, wire::get16(t + 2));
            if (!e) drops.count(drop::conn_table_full);
        }
        if (e && e->peer < 0) conn_track(e, flags, false);
    } else if (!d && !sd.targets.empty()) {
        dist_target_outbound(p, len);
    }
    if (!sd.targets.empty() && dist_image_to_target(p, len)) return;
    if (eport_refuse(p, len)) return;  // SYSPLEXPORTS: a port of another stack's block (sysplexports.cpp)
    if (swsa_protect(p, len)) return;  // a dynamic filter of a distributed SA (swsa.cpp)
    ip_output(p, len, -2, false);
}

void stack::impl::ip_output(std::uint8_t* p, std::size_t len, int in_iface, bool forwarding) noexcept {
    std::uint32_t dst = wire::get32(p + 16);
    if (!forwarding && is_local(dst)) {
        io.app->send_packet(bytes(p, len));
        return;
    }
    const route_entry* r = lookup(dst);
    if (!r) {
        if (in_iface != -1) icmp_error(p, len, wire::icmp_unreachable, wire::unreach_net, 0, in_iface);
        return drops.count(drop::no_route);
    }
    if (forwarding && r->iface == in_iface && interfaces[static_cast<std::size_t>(in_iface)].kind == iface_kind::xcf) {
        return drops.count(drop::no_route);  // never bounce a packet back over the link it came on
    }
    const auto& out = interfaces[static_cast<std::size_t>(r->iface)];
    std::size_t mtu = out.mtu;
    if (r->mtu && r->mtu < mtu) mtu = r->mtu;
    if (len > mtu) {
        // What the stack or its image sends goes in fragments unless DF says not to;
        // forwarded packets are not fragmented.
        if (!forwarding && in_iface < 0 && !(p[6] & 0x40))
            return fragment_output(r->iface, r->gateway ? r->gateway : dst, p, len, mtu);
        if (in_iface != -1 && (p[6] & 0x40)) {
            icmp_error(p, len, wire::icmp_unreachable, wire::unreach_frag_needed, static_cast<std::uint16_t>(mtu),
                       in_iface);
        }
        return drops.count(drop::too_big);
    }
    send_on_iface(r->iface, r->gateway ? r->gateway : dst, p, len);
}

void stack::impl::send_on_iface(int iface, std::uint32_t next_hop, std::uint8_t* p, std::size_t len,
                                link_protection how) noexcept {
    if (is_fenced) return drops.count(drop::fenced);
    auto& i = interfaces[static_cast<std::size_t>(iface)];
    if (i.kind == iface_kind::xcf) {
        const auto& ps = peers[static_cast<std::size_t>(i.peer)];
        ++i.stats.packets_out;
        i.stats.bytes_out += len;
        io.links->send_packet(ps.member, bytes(p, len), how);
        return;
    }
    if (i.kind != iface_kind::osa) return drops.count(drop::no_route);
    if (next_hop == 0) next_hop = wire::get32(p + 16);
    arp_entry* a = arp_find(next_hop);
    if (a && a->valid) return send_frame(a->mac.data(), wire::ethertype_ipv4, p - wire::eth_header, len);
    arp_queue(next_hop, iface, p, len);
}

void stack::impl::send_frame(const std::uint8_t* dst_mac, std::uint16_t type, std::uint8_t* frame,
                             std::size_t payload_len) noexcept {
    if (is_fenced) return drops.count(drop::fenced);
    std::copy_n(dst_mac, 6, frame);
    std::copy_n(me.mac.data(), 6, frame + 6);
    wire::put16(frame + 12, type);
    auto& o = interfaces[static_cast<std::size_t>(osa)];
    ++o.stats.packets_out;
    o.stats.bytes_out += wire::eth_header + payload_len;
    io.lan->send_frame(bytes(frame, wire::eth_header + payload_len));
}

// ---------------------------------------------------------------- ICMP (RFC 792, RFC 1812 §4.3.2)

void stack::impl::icmp_echo_reply(const std::uint8_t* req, std::size_t len, int in_iface) noexcept {
    (void)in_iface;
    std::size_t hl = std::size_t{req[0] & 0x0Fu} * 4;
    if (wire::checksum(req + hl, len - hl) != 0) return drops.count(drop::icmp_malformed);
    std::uint8_t* p = icmp.data() + wire::eth_header;
    std::copy_n(req, len, p);
    std::copy_n(req + 16, 4, p + 12);
    std::copy_n(req + 12, 4, p + 16);
    p[8] = config.ipconfig.ttl;
    set_ip_checksum(p);
    p[hl] = wire::icmp_echo_reply;
    wire::put16(p + hl + 2, 0);
    wire::put16(p + hl + 2, wire::checksum(p + hl, len - hl));
    ip_output(p, len, -1, false);
}

void stack::impl::icmp_error(const std::uint8_t* orig, std::size_t len, std::uint8_t type, std::uint8_t code,
                             std::uint16_t mtu, int in_iface, std::uint32_t from) noexcept {
    std::size_t hl = std::size_t{orig[0] & 0x0Fu} * 4;
    std::uint32_t src = wire::get32(orig + 12);
    if (src == 0 || wire::is_martian_source(src)) return;
    if ((wire::get16(orig + 6) & 0x1FFF) != 0) return;  // only about first fragments
    if (orig[9] == wire::proto_icmp) {
        if (len < hl + 1) return;
        std::uint8_t t = orig[hl];
        if (t != wire::icmp_echo_request && t != wire::icmp_echo_reply) return;  // never about an ICMP error
    }
    std::size_t quoted = std::min(len, hl + 8);
    std::size_t total = 20 + 8 + quoted;
    std::uint8_t* p = icmp.data() + wire::eth_header;
    std::fill_n(p, 28, 0);
    p[0] = 0x45;
    wire::put16(p + 2, static_cast<std::uint16_t>(total));
    wire::put16(p + 4, ip_id++);
    p[8] = config.ipconfig.ttl;
    p[9] = wire::proto_icmp;
    if (from == 0) from = in_iface >= 0 ? source_for(in_iface) : source_for(-1);
    wire::put32(p + 12, from);
    wire::put32(p + 16, src);
    set_ip_checksum(p);
    p[20] = type;
    p[21] = code;
    if (type == wire::icmp_unreachable && code == wire::unreach_frag_needed) wire::put16(p + 26, mtu);
    std::copy_n(orig, quoted, p + 28);
    wire::put16(p + 22, wire::checksum(p + 20, 8 + quoted));
    ip_output(p, total, -1, false);
}

}  // namespace zplex::tcpip::stack
