// SPDX-License-Identifier: Apache-2.0
// What ESP and AH SAs share, in one place so the two cannot drift apart on a check:
// the IPv4 header checks, the outer header (tunnel) or the header shift (transport)
// in front of the protocol header, the sequence-number source, the anti-replay
// check-then-advance, the byte/packet counters the SAD's lifesizes read, drop counting
// with its debug line, and key wiping. ESP and AH keep their own header, ICV and cipher.
// Static dispatch (CRTP): the per-packet path costs no extra virtual call.
#pragma once

#include <zplex/ipsec/esp.hpp>
#include <zplex/sysplex/log.hpp>

#include <openssl/crypto.h>

#include <cstring>
#include <memory>

#include "wire.hpp"

namespace zplex::ipsec::detail {

/// @p Derived provides `drop encap(packet&) noexcept` and `drop decap(packet&) noexcept`;
/// @p Iface is esp_sa or ah_sa; @p Proto is 50 or 51.
template <class Derived, class Iface, std::uint8_t Proto>
class sa_base : public Iface {
public:
    std::uint32_t spi() const noexcept final { return _c.spi; }
    const drop_counters& drops() const noexcept final { return _drops; }
    std::uint64_t bytes() const noexcept final { return _bytes; }
    std::uint64_t packets() const noexcept final { return _packets; }

    drop encapsulate(packet& p) noexcept final { return count(static_cast<Derived*>(this)->encap(p)); }
    drop decapsulate(packet& p) noexcept final { return count(static_cast<Derived*>(this)->decap(p)); }

protected:
    sa_base(const sa_config& c, std::unique_ptr<seq_source> s) : _c(c), _window(c.replay_window), _seqs(std::move(s)) {
        if (!_seqs) {
            _seqs = std::make_unique<local_seq_source>(c.esn);
        }
    }
    ~sa_base() override {
        // Keys leave no trace (OpenBSD's esp_zeroize: "paranoia").
        OPENSSL_cleanse(_c.key.data(), _c.key.size());
    }
    sa_base(const sa_base&) = delete;
    sa_base& operator=(const sa_base&) = delete;

    bool tunnel() const noexcept { return _c.mode == sa_mode::tunnel; }

    /// Outbound, first step: an IPv4 packet with a sane header length (into @p ihl),
    /// then the next sequence number (into @p seq; never reused, never wrapped).
    drop begin_outbound(const packet& p, std::size_t& ihl, std::uint64_t& seq) noexcept {
        if (p.len < ipv4::min_header || ipv4::version(p.data()) != 4) {
            return drop::too_short;
        }
        ihl = ipv4::header_length(p.data());
        if (ihl < ipv4::min_header || ihl > p.len) {
            return drop::too_short;
        }
        if (!_seqs->next(seq)) {
            return drop::seq_exhausted;
        }
        return drop::none;
    }

    /// Room for @p front bytes (the protocol's header) after the IP header, plus an outer
    /// header in tunnel mode, and @p tail bytes after the packet.
    bool has_room(const packet& p, std::size_t front, std::size_t tail) const noexcept {
        return p.head >= front + (tunnel() ? ipv4::min_header : 0) && p.head + p.len + tail <= packet::capacity;
    }

    /// Open a gap of @p front bytes for the protocol header. Tunnel: a new 20-byte outer
    /// header (TTL 64, the SA's addresses) in front of the whole packet. Transport: the IP
    /// header (@p ihl bytes) moves up. Returns the (outer) IP header; its length is
    /// outer_length(@p ihl), the gap follows it. The caller checked has_room().
    std::uint8_t* open_gap(packet& p, std::size_t ihl, std::size_t front) noexcept {
        if (tunnel()) {
            p.head -= front + ipv4::min_header;
            std::uint8_t* ip = p.data();
            std::memset(ip, 0, ipv4::min_header);
            ip[0] = 0x45;
            ip[ipv4::ttl] = 64;
            put32(ip + ipv4::src, _c.tunnel_src);
            put32(ip + ipv4::dst, _c.tunnel_dst);
            return ip;
        }
        std::uint8_t hdr[ipv4::max_header];
        std::memcpy(hdr, p.data(), ihl);
        p.head -= front;
        std::uint8_t* ip = p.data();
        std::memcpy(ip, hdr, ihl);
        return ip;
    }
    std::size_t outer_length(std::size_t ihl) const noexcept { return tunnel() ? ipv4::min_header : ihl; }
    /// What gets protected: the transport payload, or the whole inner packet (tunnel).
    std::size_t payload_offset(std::size_t ihl) const noexcept { return tunnel() ? 0 : ihl; }
    /// The next header the protocol header carries: IP-in-IP, or the transport protocol.
    std::uint8_t inner_protocol(const packet& p) const noexcept {
        return tunnel() ? proto_ipip : p.data()[ipv4::protocol];
    }

    /// Protocol and total length of the (outer) header; its checksum is left to finish_header().
    static void set_header(std::uint8_t* ip, std::uint8_t protocol, std::size_t total) noexcept {
        ip[ipv4::protocol] = protocol;
        put16(ip + ipv4::total_length, static_cast<std::uint16_t>(total));
    }
    static void finish_header(std::uint8_t* ip, std::size_t ihl) noexcept { ip_checksum(ip, ihl); }

    /// Inbound, first step: IPv4, a sane header length (into @p ihl), at least @p min_after
    /// bytes after it, and protocol @p protocol.
    static drop begin_inbound(const packet& p, std::size_t min_after, std::uint8_t protocol,
                              std::size_t& ihl) noexcept {
        if (p.len < ipv4::min_header || ipv4::version(p.data()) != 4) {
            return drop::too_short;
        }
        const std::uint8_t* ip = p.data();
        ihl = ipv4::header_length(ip);
        if (ihl < ipv4::min_header || p.len < ihl + min_after || ip[ipv4::protocol] != protocol) {
            return drop::too_short;
        }
        return drop::none;
    }

    /// The SPI field at @p field is this SA's.
    bool spi_matches(const std::uint8_t* field) const noexcept { return get32(field) == _c.spi; }

    /// RFC 4303 §3.4.3 / RFC 4302 §3.4.3: the quick replay check before the ICV. The
    /// full number (ESN inferred from the low half) into @p seq.
    drop replay_check(std::uint32_t low, std::uint64_t& seq) const noexcept {
        seq = _c.esn ? _window.infer_esn(low) : low;
        return _window.check(seq) ? drop::none : drop::replay;
    }
    /// ...and the window moves only once the ICV verified.
    drop replay_advance(std::uint64_t seq) noexcept { return _window.update(seq) ? drop::none : drop::replay; }

    /// Inbound, last step: take off [outer IP][gap] (tunnel, the inner packet must be IPv4)
    /// or close the @p gap bytes between the IP header and the @p payload (transport, which
    /// carries neither IP-in-IP nor this protocol again), then count the payload.
    drop strip(packet& p, std::size_t ihl, std::size_t gap, std::size_t payload, std::uint8_t next) noexcept {
        if (tunnel()) {
            if (next != proto_ipip || payload < ipv4::min_header) {
                return drop::bad_next_header;
            }
            p.head += ihl + gap;
            p.len = payload;
        } else {
            if (next == proto_ipip || next == Proto) {
                return drop::bad_next_header;
            }
            std::uint8_t* ip = p.data();
            std::memmove(ip + gap, ip, ihl);
            p.head += gap;
            ip = p.data();
            p.len = ihl + payload;
            set_header(ip, next, p.len);
            finish_header(ip, ihl);
        }
        account(payload);
        return drop::none;
    }

    /// Lifesize accounting (the SAD's soft and hard byte limits read bytes()).
    void account(std::size_t payload) noexcept {
        _bytes += payload;
        ++_packets;
    }

    sa_config _c;
    replay_window _window;

private:
    drop count(drop d) noexcept {
        if (d != drop::none) {
            _drops.count(d);
            ZPLEX_DBG(esp, packet, "{} SPI {:08X}: PACKET DROPPED, {} ({})", Proto == proto_esp ? "ESP" : "AH",
                      _c.spi, drop_name(d), drop_text(d));
        }
        return d;
    }

    std::unique_ptr<seq_source> _seqs;
    drop_counters _drops;
    std::uint64_t _bytes = 0;
    std::uint64_t _packets = 0;
};

}  // namespace zplex::ipsec::detail
