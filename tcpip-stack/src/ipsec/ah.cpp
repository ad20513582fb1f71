// SPDX-License-Identifier: Apache-2.0
// AH for IPv4 (RFC 4302) with HMAC-SHA-256-128, -384-192 or -512-256: the ICV covers
// the IP header with its mutable fields and options zeroed, the AH header with a zero
// ICV, the payload, and (ESN) the high half of the sequence number.
#include <zplex/ipsec/ah.hpp>
#include <zplex/sysplex/log.hpp>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>

#include "crypto.hpp"
#include "wire.hpp"

namespace zplex::ipsec {

namespace {

using detail::get32;
using detail::ip_checksum;
using detail::put32;

constexpr std::size_t ah_fixed = 12;
constexpr std::size_t max_icv = 32;
constexpr std::uint8_t proto_ah = 51;
constexpr std::uint8_t proto_ipip = 4;

/// RFC 4302 §3.3.3.1.1.2 and appendix A.1: IPv4 options that stay in the ICV as they
/// are; every other option is zeroed whole (type, length and data). False: malformed.
bool zero_mutable_options(std::uint8_t* hdr, std::size_t ihl) noexcept {
    std::size_t i = 20;
    while (i < ihl) {
        std::uint8_t type = hdr[i];
        if (type == 0) {
            break;  // end of option list: what follows is padding
        }
        if (type == 1) {
            ++i;  // no operation
            continue;
        }
        if (i + 1 >= ihl || hdr[i + 1] < 2 || i + hdr[i + 1] > ihl) {
            return false;
        }
        std::size_t len = hdr[i + 1];
        switch (type) {
        case 130:  // security
        case 133:  // extended security
        case 134:  // commercial security
        case 148:  // router alert
        case 149:  // sender directed multi-destination delivery
            break;
        default:  // record route, timestamp, source routes, unknown ones: mutable
            std::memset(hdr + i, 0, len);
        }
        i += len;
    }
    return true;
}


class ah_sa_impl final : public ah_sa {
public:
    ah_sa_impl(const sa_config& c, std::unique_ptr<seq_source> s) : _c(c), _seqs(std::move(s)), _window(c.replay_window) {
        if (!_seqs) {
            _seqs = std::make_unique<local_seq_source>(c.esn);
        }
        auto n = _c.key.size();
        _keyed = (n == 32 || n == 48 || n == 64) && _hmac.init(_c.key.data(), n);
        _icv_len = n / 2;                 // RFC 4868 §2.3: 16, 24 or 32 bytes
        _ah_len = ah_fixed + _icv_len;    // 7, 9 or 11 words: IPv4 needs 32-bit alignment only
    }
    ~ah_sa_impl() override {
        OPENSSL_cleanse(_c.key.data(), _c.key.size());
    }
    bool valid() const { return _keyed; }
    std::uint32_t spi() const noexcept override { return _c.spi; }
    const drop_counters& drops() const noexcept override { return _drops; }
    std::uint64_t bytes() const noexcept override { return _bytes; }
    std::uint64_t packets() const noexcept override { return _packets; }
    drop encapsulate(packet& p) noexcept override { return count(encap(p)); }
    drop decapsulate(packet& p) noexcept override { return count(decap(p)); }

private:
    drop count(drop d) noexcept {
        if (d != drop::none) {
            _drops.count(d);
            ZPLEX_DBG(esp, packet, "AH SPI {:08X}: PACKET DROPPED, {} ({})", _c.spi, drop_name(d), drop_text(d));
        }
        return d;
    }

    /// ICV over [ip header with mutable fields zeroed][AH with zero ICV][rest] (+ ESN high).
    /// False if the options are malformed (*bad set) or the MAC failed.
    bool icv(const std::uint8_t* ip, std::size_t ihl, std::size_t total, std::uint64_t seq, std::uint8_t* out,
             bool* bad = nullptr) noexcept {
        std::uint8_t hdr[60];
        std::memcpy(hdr, ip, ihl);
        hdr[1] = 0;            // TOS/DSCP+ECN: mutable (RFC 4302 §3.3.3.1.1.1)
        hdr[6] = hdr[7] = 0;   // flags and fragment offset
        hdr[8] = 0;            // TTL
        hdr[10] = hdr[11] = 0; // header checksum
        if (!zero_mutable_options(hdr, ihl)) {
            if (bad) {
                *bad = true;
            }
            return false;
        }
        std::uint8_t ah[ah_fixed + max_icv];
        std::memcpy(ah, ip + ihl, ah_fixed);
        std::memset(ah + ah_fixed, 0, _icv_len);
        std::uint8_t hi[4];
        put32(hi, static_cast<std::uint32_t>(seq >> 32));
        std::uint8_t full[detail::hmac_sha2::max_size];
        bool ok = _hmac.mac({std::span<const std::uint8_t>(hdr, ihl), std::span<const std::uint8_t>(ah, _ah_len),
                             std::span<const std::uint8_t>(ip + ihl + _ah_len, total - ihl - _ah_len),
                             std::span<const std::uint8_t>(hi, _c.esn ? 4 : 0)},
                            full);
        std::memcpy(out, full, _icv_len);
        OPENSSL_cleanse(full, sizeof full);
        return ok;
    }

    drop encap(packet& p) noexcept {
        if (p.len < 20 || (p.data()[0] >> 4) != 4) {
            return drop::too_short;
        }
        std::size_t ihl = static_cast<std::size_t>(p.data()[0] & 0x0f) * 4;
        if (ihl < 20 || ihl > p.len) {
            return drop::too_short;
        }
        std::uint64_t seq = 0;
        if (!_seqs->next(seq)) {
            return drop::seq_exhausted;
        }
        bool tunnel = _c.mode == sa_mode::tunnel;
        std::size_t grow = _ah_len + (tunnel ? 20 : 0);
        if (p.head < grow) {
            return drop::no_room;
        }
        std::uint8_t next;
        std::size_t outer;
        std::size_t payload = p.len;
        std::uint8_t* ip;
        if (tunnel) {
            next = proto_ipip;
            outer = 20;
            p.head -= grow;
            ip = p.data();
            std::memset(ip, 0, 20);
            ip[0] = 0x45;
            ip[8] = 64;
            put32(ip + 12, _c.tunnel_src);
            put32(ip + 16, _c.tunnel_dst);
        } else {
            next = p.data()[9];
            outer = ihl;
            payload = p.len - ihl;
            std::uint8_t hdr[60];
            std::memcpy(hdr, p.data(), ihl);
            p.head -= grow;
            ip = p.data();
            std::memcpy(ip, hdr, ihl);
        }
        p.len = outer + _ah_len + payload;
        ip[9] = proto_ah;
        ip[2] = static_cast<std::uint8_t>(p.len >> 8);
        ip[3] = static_cast<std::uint8_t>(p.len);
        std::uint8_t* ah = ip + outer;
        ah[0] = next;
        ah[1] = static_cast<std::uint8_t>(_ah_len / 4 - 2);  // RFC 4302 §2.2: length in words minus 2
        ah[2] = ah[3] = 0;
        put32(ah + 4, _c.spi);
        put32(ah + 8, static_cast<std::uint32_t>(seq));
        bool bad_options = false;
        if (!icv(ip, outer, p.len, seq, ah + ah_fixed, &bad_options)) {
            return bad_options ? drop::too_short : drop::crypto_error;
        }
        ip_checksum(ip, outer);
        _bytes += payload;
        ++_packets;
        return drop::none;
    }

    drop decap(packet& p) noexcept {
        if (p.len < 20 || (p.data()[0] >> 4) != 4) {
            return drop::too_short;
        }
        std::uint8_t* ip = p.data();
        std::size_t ihl = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
        if (ihl < 20 || p.len < ihl + _ah_len || ip[9] != proto_ah) {
            return drop::too_short;
        }
        std::uint8_t* ah = ip + ihl;
        if (ah[1] != _ah_len / 4 - 2) {
            return drop::too_short;
        }
        if (get32(ah + 4) != _c.spi) {
            return drop::no_sa;
        }
        std::uint32_t low = get32(ah + 8);
        std::uint64_t seq = _c.esn ? _window.infer_esn(low) : low;
        if (!_window.check(seq)) {
            return drop::replay;
        }
        std::uint8_t want[max_icv];
        bool bad_options = false;
        if (!icv(ip, ihl, p.len, seq, want, &bad_options)) {
            return bad_options ? drop::too_short : drop::crypto_error;
        }
        if (CRYPTO_memcmp(want, ah + ah_fixed, _icv_len) != 0) {  // constant time
            return drop::integrity;
        }
        if (!_window.update(seq)) {
            return drop::replay;
        }
        std::uint8_t next = ah[0];
        std::size_t payload = p.len - ihl - _ah_len;
        if (_c.mode == sa_mode::tunnel) {
            if (next != proto_ipip || payload < 20) {
                return drop::bad_next_header;
            }
            p.head += ihl + _ah_len;
            p.len = payload;
        } else {
            if (next == proto_ipip || next == proto_ah) {
                return drop::bad_next_header;
            }
            std::memmove(ip + _ah_len, ip, ihl);
            p.head += _ah_len;
            ip = p.data();
            p.len = ihl + payload;
            ip[9] = next;
            ip[2] = static_cast<std::uint8_t>(p.len >> 8);
            ip[3] = static_cast<std::uint8_t>(p.len);
            ip_checksum(ip, ihl);
        }
        _bytes += payload;
        ++_packets;
        return drop::none;
    }

    sa_config _c;
    std::unique_ptr<seq_source> _seqs;
    replay_window _window;
    detail::hmac_sha2 _hmac;
    bool _keyed = false;
    std::size_t _icv_len = 16;
    std::size_t _ah_len = ah_fixed + 16;
    drop_counters _drops;
    std::uint64_t _bytes = 0;
    std::uint64_t _packets = 0;
};

}  // namespace

std::unique_ptr<ah_sa> ah_sa::create(const sa_config& c, std::unique_ptr<seq_source> seqs) {
    auto sa = std::make_unique<ah_sa_impl>(c, std::move(seqs));
    if (!sa->valid()) {
        return nullptr;
    }
    return sa;
}

}  // namespace zplex::ipsec
