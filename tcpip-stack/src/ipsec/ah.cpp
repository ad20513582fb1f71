// SPDX-License-Identifier: Apache-2.0
// AH for IPv4 (RFC 4302) with HMAC-SHA-256-128: the ICV covers the IP header with its
// mutable fields zeroed, the AH header with a zero ICV, the payload, and (ESN) the
// high half of the sequence number.
#include <zplex/ipsec/ah.hpp>

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

constexpr std::size_t ah_len = 12 + 16;  // fixed part + 128-bit ICV: 7 words
constexpr std::uint8_t proto_ah = 51;
constexpr std::uint8_t proto_ipip = 4;


class ah_sa_impl final : public ah_sa {
public:
    ah_sa_impl(const sa_config& c, std::unique_ptr<seq_source> s) : _c(c), _seqs(std::move(s)), _window(c.replay_window) {
        if (!_seqs) {
            _seqs = std::make_unique<local_seq_source>(c.esn);
        }
        _keyed = _c.key.size() == 32 && _hmac.init(_c.key.data(), 32);
    }
    ~ah_sa_impl() override {
        OPENSSL_cleanse(_c.key.data(), _c.key.size());
    }
    bool valid() const { return _keyed; }
    std::uint32_t spi() const noexcept override { return _c.spi; }
    const drop_counters& drops() const noexcept override { return _drops; }
    std::uint64_t bytes() const noexcept override { return _bytes; }
    drop encapsulate(packet& p) noexcept override { return count(encap(p)); }
    drop decapsulate(packet& p) noexcept override { return count(decap(p)); }

private:
    drop count(drop d) noexcept {
        if (d != drop::none) {
            _drops.count(d);
        }
        return d;
    }

    /// ICV over [ip header with mutable fields zeroed][AH with zero ICV][rest] (+ ESN high).
    bool icv(const std::uint8_t* ip, std::size_t ihl, std::size_t total, std::uint64_t seq, std::uint8_t* out) noexcept {
        std::uint8_t hdr[60];
        std::memcpy(hdr, ip, ihl);
        hdr[1] = 0;            // TOS/DSCP+ECN: mutable (RFC 4302 §3.3.3.1.1.1)
        hdr[6] = hdr[7] = 0;   // flags and fragment offset
        hdr[8] = 0;            // TTL
        hdr[10] = hdr[11] = 0; // header checksum
        std::uint8_t ah[ah_len];
        std::memcpy(ah, ip + ihl, 12);
        std::memset(ah + 12, 0, 16);
        std::uint8_t hi[4];
        put32(hi, static_cast<std::uint32_t>(seq >> 32));
        std::uint8_t full[32];
        bool ok = _hmac.mac({std::span<const std::uint8_t>(hdr, ihl), std::span<const std::uint8_t>(ah, ah_len),
                             std::span<const std::uint8_t>(ip + ihl + ah_len, total - ihl - ah_len),
                             std::span<const std::uint8_t>(hi, _c.esn ? 4 : 0)},
                            full);
        std::memcpy(out, full, 16);
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
        std::size_t grow = ah_len + (tunnel ? 20 : 0);
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
        p.len = outer + ah_len + payload;
        ip[9] = proto_ah;
        ip[2] = static_cast<std::uint8_t>(p.len >> 8);
        ip[3] = static_cast<std::uint8_t>(p.len);
        std::uint8_t* ah = ip + outer;
        ah[0] = next;
        ah[1] = static_cast<std::uint8_t>(ah_len / 4 - 2);  // RFC 4302 §2.2: length in words minus 2
        ah[2] = ah[3] = 0;
        put32(ah + 4, _c.spi);
        put32(ah + 8, static_cast<std::uint32_t>(seq));
        if (!icv(ip, outer, p.len, seq, ah + 12)) {
            return drop::crypto_error;
        }
        ip_checksum(ip, outer);
        _bytes += payload;
        return drop::none;
    }

    drop decap(packet& p) noexcept {
        if (p.len < 20 || (p.data()[0] >> 4) != 4) {
            return drop::too_short;
        }
        std::uint8_t* ip = p.data();
        std::size_t ihl = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
        if (ihl < 20 || p.len < ihl + ah_len || ip[9] != proto_ah) {
            return drop::too_short;
        }
        std::uint8_t* ah = ip + ihl;
        if (ah[1] != ah_len / 4 - 2) {
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
        std::uint8_t want[16];
        if (!icv(ip, ihl, p.len, seq, want)) {
            return drop::crypto_error;
        }
        if (CRYPTO_memcmp(want, ah + 12, 16) != 0) {
            return drop::integrity;
        }
        if (!_window.update(seq)) {
            return drop::replay;
        }
        std::uint8_t next = ah[0];
        std::size_t payload = p.len - ihl - ah_len;
        if (_c.mode == sa_mode::tunnel) {
            if (next != proto_ipip || payload < 20) {
                return drop::bad_next_header;
            }
            p.head += ihl + ah_len;
            p.len = payload;
        } else {
            if (next == proto_ipip || next == proto_ah) {
                return drop::bad_next_header;
            }
            std::memmove(ip + ah_len, ip, ihl);
            p.head += ah_len;
            ip = p.data();
            p.len = ihl + payload;
            ip[9] = next;
            ip[2] = static_cast<std::uint8_t>(p.len >> 8);
            ip[3] = static_cast<std::uint8_t>(p.len);
            ip_checksum(ip, ihl);
        }
        _bytes += payload;
        return drop::none;
    }

    sa_config _c;
    std::unique_ptr<seq_source> _seqs;
    replay_window _window;
    detail::hmac_sha256 _hmac;
    bool _keyed = false;
    drop_counters _drops;
    std::uint64_t _bytes = 0;
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
