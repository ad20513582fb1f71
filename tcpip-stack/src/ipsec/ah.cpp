// SPDX-License-Identifier: Apache-2.0
// AH for IPv4 (RFC 4302) with HMAC-SHA-256-128, -384-192 or -512-256: the ICV covers
// the IP header with its mutable fields and options zeroed, the AH header with a zero
// ICV, the payload, and (ESN) the high half of the sequence number.
#include <zplex/ipsec/ah.hpp>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>

#include "crypto.hpp"
#include "sa_base.hpp"
#include "wire.hpp"

namespace zplex::ipsec {

namespace {

namespace ipv4 = detail::ipv4;
using detail::get32;
using detail::proto_ah;
using detail::put32;

constexpr std::size_t ah_fixed = 12;
constexpr std::size_t max_icv = 32;

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


class ah_sa_impl final : public detail::sa_base<ah_sa_impl, ah_sa, proto_ah> {
    using base = detail::sa_base<ah_sa_impl, ah_sa, proto_ah>;
    friend base;

public:
    ah_sa_impl(const sa_config& c, std::unique_ptr<seq_source> s) : base(c, std::move(s)) {
        auto n = _c.key.size();
        _keyed = (n == 32 || n == 48 || n == 64) && _hmac.init(_c.key.data(), n);
        _icv_len = n / 2;                 // RFC 4868 §2.3: 16, 24 or 32 bytes
        _ah_len = ah_fixed + _icv_len;    // 7, 9 or 11 words: IPv4 needs 32-bit alignment only
    }
    bool valid() const { return _keyed; }

private:
    /// ICV over [ip header with mutable fields zeroed][AH with zero ICV][rest] (+ ESN high).
    /// False if the options are malformed (*bad set) or the MAC failed.
    bool icv(const std::uint8_t* ip, std::size_t ihl, std::size_t total, std::uint64_t seq, std::uint8_t* out,
             bool* bad = nullptr) noexcept {
        std::uint8_t hdr[ipv4::max_header];
        std::memcpy(hdr, ip, ihl);
        hdr[ipv4::tos] = 0;                                           // DSCP+ECN: mutable (RFC 4302 §3.3.3.1.1.1)
        hdr[ipv4::flags_fragment] = hdr[ipv4::flags_fragment + 1] = 0;  // flags and fragment offset
        hdr[ipv4::ttl] = 0;
        hdr[ipv4::checksum] = hdr[ipv4::checksum + 1] = 0;
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
        std::size_t ihl = 0;
        std::uint64_t seq = 0;
        if (drop d = begin_outbound(p, ihl, seq); d != drop::none) {
            return d;
        }
        if (!has_room(p, _ah_len, 0)) {
            return drop::no_room;
        }
        std::uint8_t next = inner_protocol(p);
        std::size_t outer = outer_length(ihl);
        std::size_t payload = p.len - payload_offset(ihl);
        std::uint8_t* ip = open_gap(p, ihl, _ah_len);
        p.len = outer + _ah_len + payload;
        set_header(ip, proto_ah, p.len);  // the length is in the ICV, the checksum is not
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
        finish_header(ip, outer);
        account(payload);
        return drop::none;
    }

    drop decap(packet& p) noexcept {
        std::size_t ihl = 0;
        if (drop d = begin_inbound(p, _ah_len, proto_ah, ihl); d != drop::none) {
            return d;
        }
        std::uint8_t* ip = p.data();
        std::uint8_t* ah = ip + ihl;
        if (ah[1] != _ah_len / 4 - 2) {
            return drop::too_short;
        }
        if (!spi_matches(ah + 4)) {
            return drop::no_sa;
        }
        std::uint64_t seq = 0;
        if (drop d = replay_check(get32(ah + 8), seq); d != drop::none) {
            return d;
        }
        std::uint8_t want[max_icv];
        bool bad_options = false;
        if (!icv(ip, ihl, p.len, seq, want, &bad_options)) {
            return bad_options ? drop::too_short : drop::crypto_error;
        }
        if (CRYPTO_memcmp(want, ah + ah_fixed, _icv_len) != 0) {  // constant time
            return drop::integrity;
        }
        if (drop d = replay_advance(seq); d != drop::none) {
            return d;
        }
        return strip(p, ihl, _ah_len, p.len - ihl - _ah_len, ah[0]);
    }

    detail::hmac_sha2 _hmac;
    bool _keyed = false;
    std::size_t _icv_len = 16;
    std::size_t _ah_len = ah_fixed + 16;
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
