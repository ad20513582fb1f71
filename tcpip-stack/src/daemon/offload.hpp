// SPDX-License-Identifier: Apache-2.0
// TAP/TUN offloads of zplex-tcpip (IFF_VNET_HDR): the LAN bridge hands the OSA port's
// TAP TCP super-frames of up to 64 KiB (GSO, TUN_F_TSO4) and TCP/UDP packets whose
// checksum the sender left to the receiver (TUN_F_CSUM). A packet the core delivers to
// the image goes into the TUN as it came, with the same offload header (the image's
// kernel takes it as GRO would have merged it); one it sends anywhere else (the LAN,
// a dynamic XCF link) is finished here first: segmented to the sender's MSS and
// checksummed, so nothing beyond the image ever sees a partial packet.
#pragma once

#include "../stack/wire.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace zplex::tcpip::daemon {

namespace wire = zplex::tcpip::stack::wire;

/// The offload header before every frame read from or written to a TAP/TUN with
/// IFF_VNET_HDR (the kernel's struct virtio_net_hdr, host byte order; its header is
/// not C++-clean, so the layout is spelled out here).
struct vnet_hdr {
    std::uint8_t flags;
    std::uint8_t gso_type;
    std::uint16_t hdr_len;
    std::uint16_t gso_size;
    std::uint16_t csum_start;
    std::uint16_t csum_offset;
};
static_assert(sizeof(vnet_hdr) == 10);
inline constexpr std::uint8_t VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
inline constexpr std::uint8_t VIRTIO_NET_HDR_GSO_NONE = 0;
inline constexpr std::uint8_t VIRTIO_NET_HDR_GSO_TCPV4 = 1;
inline constexpr std::uint8_t VIRTIO_NET_HDR_GSO_ECN = 0x80;

inline bool needs_work(const vnet_hdr& h) noexcept {
    return (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || h.gso_type != VIRTIO_NET_HDR_GSO_NONE;
}

/// The TCP/UDP checksum over the pseudo header of IPv4 packet @p ip (header length
/// @p ihl) and its transport bytes, with the checksum field at @p field counted as zero.
inline std::uint16_t l4_checksum(std::uint8_t* ip, std::size_t ihl, std::size_t l4_len, std::size_t field) noexcept {
    std::uint8_t* l4 = ip + ihl;
    l4[field] = l4[field + 1] = 0;
    std::uint32_t sum = wire::get16(ip + 12) + wire::get16(ip + 14) + wire::get16(ip + 16) + wire::get16(ip + 18) +
                        ip[9] + static_cast<std::uint32_t>(l4_len);
    std::uint16_t c = wire::checksum(l4, l4_len, sum);
    return ip[9] == 17 && c == 0 ? 0xFFFF : c;
}

/// Turns an IPv4 packet that came with an offload header into whole packets: a TCP
/// super-packet is cut to gso_size segments, a partial checksum completed. Buffers are
/// sized once; nothing is allocated per packet.
class finisher {
public:
    finisher() : _seg(65536 + 64) {}

    /// Call @p emit(const std::uint8_t*, std::size_t) for each whole IPv4 packet of
    /// @p ip (@p len bytes) as header @p h describes. False (nothing emitted) if the
    /// packet does not match its header (not IPv4 TCP/UDP, lengths out of range).
    template <class F>
    bool finish(const std::uint8_t* ip, std::size_t len, const vnet_hdr& h, F&& emit) {
        if (len < 20 || (ip[0] >> 4) != 4) return false;
        std::size_t ihl = std::size_t{ip[0] & 0x0Fu} * 4;
        std::size_t total = wire::get16(ip + 2);
        if (ihl < 20 || total > len || total < ihl + 8 || total > _seg.size()) return false;
        std::uint8_t proto = ip[9];
        if (h.gso_type == VIRTIO_NET_HDR_GSO_NONE) {
            std::memcpy(_seg.data(), ip, total);
            if (proto == 6 && total >= ihl + 20) {
                wire::put16(_seg.data() + ihl + 16, l4_checksum(_seg.data(), ihl, total - ihl, 16));
            } else if (proto == 17) {
                wire::put16(_seg.data() + ihl + 6, l4_checksum(_seg.data(), ihl, total - ihl, 6));
            } else {
                return false;
            }
            emit(static_cast<const std::uint8_t*>(_seg.data()), total);
            return true;
        }
        if ((h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_TCPV4 || proto != 6) return false;
        if (total < ihl + 20) return false;
        std::size_t thl = static_cast<std::size_t>(ip[ihl + 12] >> 4) * 4;
        std::size_t mss = h.gso_size;
        if (thl < 20 || ihl + thl > total || mss == 0) return false;
        const std::size_t headers = ihl + thl;
        const std::size_t payload = total - headers;
        const std::uint32_t seq = wire::get32(ip + ihl + 4);
        const std::uint16_t id = wire::get16(ip + 4);
        const std::uint8_t flags = ip[ihl + 13];
        std::size_t k = 0;
        for (std::size_t off = 0; off < payload || (payload == 0 && off == 0); off += mss, ++k) {
            std::size_t n = std::min(mss, payload - off);
            std::uint8_t* s = _seg.data();
            std::memcpy(s, ip, headers);
            std::memcpy(s + headers, ip + headers + off, n);
            wire::put16(s + 2, static_cast<std::uint16_t>(headers + n));
            wire::put16(s + 4, static_cast<std::uint16_t>(id + k));
            wire::put16(s + 10, 0);
            wire::put16(s + 10, wire::checksum(s, ihl));
            wire::put32(s + ihl + 4, seq + static_cast<std::uint32_t>(off));
            std::uint8_t f = flags;
            if (off + n < payload) f &= static_cast<std::uint8_t>(~(0x01 | 0x08));  // FIN, PSH on the last only
            if (off > 0) f &= static_cast<std::uint8_t>(~0x80);                     // CWR on the first only
            s[ihl + 13] = f;
            wire::put16(s + ihl + 16, l4_checksum(s, ihl, thl + n, 16));
            emit(static_cast<const std::uint8_t*>(s), headers + n);
            if (payload == 0) break;
        }
        return true;
    }

private:
    std::vector<std::uint8_t> _seg;
};

/// The header for the same packet without its Ethernet header (LAN frame -> TUN).
inline vnet_hdr without_ethernet(vnet_hdr h) noexcept {
    if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) h.csum_start = static_cast<std::uint16_t>(h.csum_start - 14);
    if (h.hdr_len >= 14) h.hdr_len = static_cast<std::uint16_t>(h.hdr_len - 14);
    return h;
}

}  // namespace zplex::tcpip::daemon
