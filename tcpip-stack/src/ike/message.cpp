// SPDX-License-Identifier: Apache-2.0
// IKEv2 message codec (RFC 7296 §3). Every length is checked against what is left;
// nothing on this path throws for bad input (only std::bad_alloc could).
#include <zplex/ike/keys.hpp>
#include <zplex/ike/message.hpp>

#include "wire.hpp"

#include <cstring>

namespace zplex::ike {

using detail::get16;
using detail::get32;
using detail::get64;
using detail::put16;
using detail::put32;
using detail::put64;

bytes id_payload::body() const {
    bytes b{static_cast<std::uint8_t>(type), 0, 0, 0};
    b.insert(b.end(), data.begin(), data.end());
    return b;
}

const notify_payload* message::notify(std::uint16_t type) const noexcept {
    for (const auto& p : payloads) {
        if (const auto* n = std::get_if<notify_payload>(&p.body); n && n->type == type) {
            return n;
        }
    }
    return nullptr;
}

const notify_payload* message::error_notify() const noexcept {
    for (const auto& p : payloads) {
        if (const auto* n = std::get_if<notify_payload>(&p.body); n && n->type < 16384) {
            return n;
        }
    }
    return nullptr;
}

void message::add_notify(std::uint16_t type, bytes data, protocol_id protocol, bytes spi) {
    add(payload_type::notify, notify_payload{protocol, std::move(spi), type, std::move(data)});
}

const char* decode_error_text(decode_error e) noexcept {
    switch (e) {
    case decode_error::none: return "no error";
    case decode_error::truncated: return "message truncated";
    case decode_error::bad_length: return "length field out of range";
    case decode_error::bad_version: return "IKE major version not 2";
    case decode_error::critical_unknown: return "unknown payload marked critical";
    case decode_error::bad_payload: return "malformed payload body";
    case decode_error::sk_not_last: return "SK payload not last";
    case decode_error::integrity: return "SK integrity check failed";
    case decode_error::decrypt: return "SK decryption or padding failed";
    case decode_error::no_sk: return "protected exchange without SK payload";
    }
    return "?";
}

bool peek_header(std::span<const std::uint8_t> d, std::uint64_t& spi_i, std::uint64_t& spi_r, std::uint8_t& exchange,
                 std::uint8_t& flags, std::uint32_t& message_id) noexcept {
    if (d.size() < 28) {
        return false;
    }
    spi_i = get64(d.data());
    spi_r = get64(d.data() + 8);
    exchange = d[18];
    flags = d[19];
    message_id = get32(d.data() + 20);
    return true;
}

namespace {

constexpr std::size_t header_size = 28;
constexpr std::size_t generic_size = 4;

bool known_type(std::uint8_t t) noexcept { return t >= 33 && t <= 48; }

/// A bounds-checked cursor over a payload body.
struct reader {
    std::span<const std::uint8_t> b;
    std::size_t pos = 0;
    bool ok = true;
    std::size_t left() const noexcept { return b.size() - pos; }
    std::uint8_t u8() {
        if (left() < 1) {
            ok = false;
            return 0;
        }
        return b[pos++];
    }
    std::uint16_t u16() {
        if (left() < 2) {
            ok = false;
            return 0;
        }
        auto v = get16(b.data() + pos);
        pos += 2;
        return v;
    }
    std::uint32_t u32() {
        if (left() < 4) {
            ok = false;
            return 0;
        }
        auto v = get32(b.data() + pos);
        pos += 4;
        return v;
    }
    bytes take(std::size_t n) {
        if (left() < n) {
            ok = false;
            return {};
        }
        bytes v(b.begin() + static_cast<std::ptrdiff_t>(pos), b.begin() + static_cast<std::ptrdiff_t>(pos + n));
        pos += n;
        return v;
    }
    bytes rest() { return take(left()); }
};

/// RFC 7296 §3.3: proposals, transforms, attributes.
bool parse_sa(std::span<const std::uint8_t> body, sa_payload& out, std::string& why) {
    reader r{body};
    bool more = true;
    while (more) {
        if (r.left() < 8) {
            why = "SA: proposal header truncated";
            return false;
        }
        std::size_t start = r.pos;
        std::uint8_t last = r.u8();
        r.u8();
        std::uint16_t plen = r.u16();
        if (last != 0 && last != 2) {
            why = "SA: bad last-substructure value";
            return false;
        }
        if (plen < 8 || plen > body.size() - start) {
            why = "SA: proposal length out of range";
            return false;
        }
        proposal p;
        p.number = r.u8();
        // RFC 7296 §3.3.1: proposals are numbered 1, 2, 3 ... in order. A response
        // carries one proposal, with the number of the one it accepted.
        if (p.number == 0 || (!out.proposals.empty() && p.number != out.proposals.back().number + 1)) {
            why = "SA: proposal number " + std::to_string(p.number) +
                  (out.proposals.empty() ? " is zero" : " does not follow " + std::to_string(out.proposals.back().number));
            return false;
        }
        p.protocol = static_cast<protocol_id>(r.u8());
        std::uint8_t spi_size = r.u8();
        std::uint8_t ntrans = r.u8();
        if (8u + spi_size > plen) {
            why = "SA: SPI past the proposal";
            return false;
        }
        p.spi = r.take(spi_size);
        reader t{body.subspan(r.pos, start + plen - r.pos)};
        for (unsigned i = 0; i < ntrans; ++i) {
            if (t.left() < 8) {
                why = "SA: transform header truncated";
                return false;
            }
            std::size_t tstart = t.pos;
            std::uint8_t tlast = t.u8();
            t.u8();
            std::uint16_t tlen = t.u16();
            if (tlast != 0 && tlast != 3) {
                why = "SA: bad last-transform value";
                return false;
            }
            if (tlen < 8 || tlen > t.b.size() - tstart) {
                why = "SA: transform length out of range";
                return false;
            }
            transform tr;
            tr.type = static_cast<transform_type>(t.u8());
            t.u8();
            tr.id = t.u16();
            reader a{t.b.subspan(t.pos, tstart + tlen - t.pos)};
            while (a.left() > 0) {
                std::uint16_t at = a.u16();
                if (!a.ok) {
                    why = "SA: attribute truncated";
                    return false;
                }
                if (at & 0x8000) {  // TV
                    std::uint16_t v = a.u16();
                    if (!a.ok) {
                        why = "SA: attribute truncated";
                        return false;
                    }
                    if ((at & 0x7fff) == 14) {
                        tr.key_length = v;
                    }
                } else {            // TLV: skipped
                    std::uint16_t alen = a.u16();
                    a.take(alen);
                    if (!a.ok) {
                        why = "SA: attribute length out of range";
                        return false;
                    }
                }
            }
            t.pos = tstart + tlen;
            p.transforms.push_back(tr);
        }
        if (t.left() != 0) {
            why = "SA: bytes after the last transform";
            return false;
        }
        out.proposals.push_back(std::move(p));
        r.pos = start + plen;
        more = last == 2;
        if (!more && r.left() != 0) {
            why = "SA: bytes after the last proposal";
            return false;
        }
        if (more && r.left() == 0) {
            why = "SA: more proposals announced, none left";
            return false;
        }
    }
    return true;
}

bool parse_ts(std::span<const std::uint8_t> body, ts_payload& out, std::string& why) {
    reader r{body};
    std::uint8_t n = r.u8();
    r.take(3);
    if (!r.ok || n == 0) {
        why = "TS: header truncated or no selectors";
        return false;
    }
    for (unsigned i = 0; i < n; ++i) {
        if (r.left() < 4) {
            why = "TS: selector truncated";
            return false;
        }
        std::size_t start = r.pos;
        std::uint8_t type = r.u8();
        std::uint8_t proto = r.u8();
        std::uint16_t len = r.u16();
        if (len < 8 || len > body.size() - start) {
            why = "TS: selector length out of range";
            return false;
        }
        if (type == ts_ipv4_addr_range) {
            if (len != 16) {
                why = "TS: IPv4 selector length not 16";
                return false;
            }
            traffic_selector ts;
            ts.ip_protocol = proto;
            ts.start_port = r.u16();
            ts.end_port = r.u16();
            ts.start_addr = r.u32();
            ts.end_addr = r.u32();
            out.selectors.push_back(ts);
        }
        // Other types (IPv6, RFC 4595 FC...) are skipped: never selected.
        r.pos = start + len;
    }
    if (r.left() != 0) {
        why = "TS: bytes after the last selector";
        return false;
    }
    return true;
}

/// Parse one payload body of @p type into @p out.
bool parse_body(payload_type type, std::span<const std::uint8_t> body, payload_body& out, std::string& why) {
    reader r{body};
    switch (type) {
    case payload_type::sa: {
        sa_payload sa;
        if (!parse_sa(body, sa, why)) {
            return false;
        }
        out = std::move(sa);
        return true;
    }
    case payload_type::ke: {
        ke_payload ke;
        ke.group = r.u16();
        r.u16();
        ke.data = r.rest();
        if (!r.ok) {
            why = "KE: truncated";
            return false;
        }
        out = std::move(ke);
        return true;
    }
    case payload_type::idi:
    case payload_type::idr: {
        id_payload id;
        id.type = static_cast<id_type>(r.u8());
        r.take(3);
        id.data = r.rest();
        if (!r.ok) {
            why = "ID: truncated";
            return false;
        }
        out = std::move(id);
        return true;
    }
    case payload_type::cert:
    case payload_type::certreq: {
        cert_payload c;
        c.encoding = r.u8();
        c.data = r.rest();
        if (!r.ok) {
            why = "CERT: truncated";
            return false;
        }
        out = std::move(c);
        return true;
    }
    case payload_type::auth: {
        auth_payload a;
        a.method = static_cast<auth_method>(r.u8());
        r.take(3);
        a.data = r.rest();
        if (!r.ok) {
            why = "AUTH: truncated";
            return false;
        }
        out = std::move(a);
        return true;
    }
    case payload_type::nonce:
        out = nonce_payload{r.rest()};
        return true;
    case payload_type::notify: {
        notify_payload n;
        n.protocol = static_cast<protocol_id>(r.u8());
        std::uint8_t spi_size = r.u8();
        n.type = r.u16();
        n.spi = r.take(spi_size);
        n.data = r.rest();
        if (!r.ok) {
            why = "N: truncated or SPI past the payload";
            return false;
        }
        out = std::move(n);
        return true;
    }
    case payload_type::del: {
        delete_payload d;
        d.protocol = static_cast<protocol_id>(r.u8());
        std::uint8_t spi_size = r.u8();
        std::uint16_t n = r.u16();
        if (!r.ok || static_cast<std::size_t>(spi_size) * n != r.left()) {
            why = "D: SPI count does not match the length";
            return false;
        }
        for (unsigned i = 0; i < n; ++i) {
            d.spis.push_back(r.take(spi_size));
        }
        out = std::move(d);
        return true;
    }
    case payload_type::vendor:
        out = vendor_payload{r.rest()};
        return true;
    case payload_type::tsi:
    case payload_type::tsr: {
        ts_payload ts;
        if (!parse_ts(body, ts, why)) {
            return false;
        }
        out = std::move(ts);
        return true;
    }
    default:
        out = raw_payload{r.rest()};
        return true;
    }
}

/// Walk a payload chain starting with @p first over @p chain (at @p base in the datagram).
/// Stops at SK (which must be last), recording where it is.
bool parse_chain(payload_type first, std::span<const std::uint8_t> chain, std::size_t base, decoded& d,
                 bool inner) {
    std::size_t pos = 0;
    auto next = static_cast<std::uint8_t>(first);
    while (next != 0) {
        if (chain.size() - pos < generic_size) {
            d.error = decode_error::truncated;
            d.detail = "payload header past the end";
            return false;
        }
        const std::uint8_t* h = chain.data() + pos;
        std::uint8_t following = h[0];
        bool critical = h[1] & 0x80;
        std::uint16_t len = get16(h + 2);
        if (len < generic_size || len > chain.size() - pos) {
            d.error = decode_error::bad_length;
            d.detail = "payload " + std::to_string(next) + " length " + std::to_string(len);
            return false;
        }
        auto type = static_cast<payload_type>(next);
        auto body = chain.subspan(pos + generic_size, len - generic_size);
        if (type == payload_type::sk) {
            if (inner) {
                d.error = decode_error::bad_payload;
                d.detail = "SK inside SK";
                return false;
            }
            if (pos + len != chain.size()) {
                d.error = decode_error::sk_not_last;
                d.detail = "SK payload not last";
                return false;
            }
            d.protected_ = true;
            d.sk_offset = base + pos;
            d.sk_first = static_cast<payload_type>(following);
            return true;
        }
        if (!known_type(next)) {
            if (critical) {
                d.error = decode_error::critical_unknown;
                d.detail = "payload type " + std::to_string(next);
                return false;
            }
            d.msg.payloads.push_back(payload{type, critical, raw_payload{bytes(body.begin(), body.end())}});
        } else {
            payload p{type, critical, raw_payload{}};
            if (!parse_body(type, body, p.body, d.detail)) {
                d.error = decode_error::bad_payload;
                return false;
            }
            d.msg.payloads.push_back(std::move(p));
        }
        pos += len;
        next = following;
    }
    if (pos != chain.size()) {
        d.error = decode_error::bad_length;
        d.detail = "bytes after the last payload";
        return false;
    }
    return true;
}

// ---- encoding --------------------------------------------------------------------

void append(bytes& out, std::span<const std::uint8_t> b) { out.insert(out.end(), b.begin(), b.end()); }
void append16(bytes& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}
void append32(bytes& out, std::uint32_t v) {
    append16(out, static_cast<std::uint16_t>(v >> 16));
    append16(out, static_cast<std::uint16_t>(v));
}

void encode_sa(bytes& out, const sa_payload& sa) {
    for (std::size_t i = 0; i < sa.proposals.size(); ++i) {
        const auto& p = sa.proposals[i];
        std::size_t start = out.size();
        out.push_back(i + 1 == sa.proposals.size() ? 0 : 2);
        out.push_back(0);
        append16(out, 0);
        out.push_back(p.number);
        out.push_back(static_cast<std::uint8_t>(p.protocol));
        out.push_back(static_cast<std::uint8_t>(p.spi.size()));
        out.push_back(static_cast<std::uint8_t>(p.transforms.size()));
        append(out, p.spi);
        for (std::size_t j = 0; j < p.transforms.size(); ++j) {
            const auto& t = p.transforms[j];
            out.push_back(j + 1 == p.transforms.size() ? 0 : 3);
            out.push_back(0);
            append16(out, t.key_length ? 12 : 8);
            out.push_back(static_cast<std::uint8_t>(t.type));
            out.push_back(0);
            append16(out, t.id);
            if (t.key_length) {
                append16(out, 0x8000 | 14);
                append16(out, *t.key_length);
            }
        }
        put16(out.data() + start + 2, static_cast<std::uint16_t>(out.size() - start));
    }
}

void encode_body(bytes& out, const payload& p) {
    std::visit(
        [&](const auto& b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, sa_payload>) {
                encode_sa(out, b);
            } else if constexpr (std::is_same_v<T, ke_payload>) {
                append16(out, b.group);
                append16(out, 0);
                append(out, b.data);
            } else if constexpr (std::is_same_v<T, id_payload>) {
                append(out, b.body());
            } else if constexpr (std::is_same_v<T, cert_payload>) {
                out.push_back(b.encoding);
                append(out, b.data);
            } else if constexpr (std::is_same_v<T, auth_payload>) {
                out.push_back(static_cast<std::uint8_t>(b.method));
                out.insert(out.end(), 3, 0);
                append(out, b.data);
            } else if constexpr (std::is_same_v<T, nonce_payload> || std::is_same_v<T, vendor_payload> ||
                                 std::is_same_v<T, raw_payload>) {
                append(out, b.data);
            } else if constexpr (std::is_same_v<T, notify_payload>) {
                out.push_back(static_cast<std::uint8_t>(b.protocol));
                out.push_back(static_cast<std::uint8_t>(b.spi.size()));
                append16(out, b.type);
                append(out, b.spi);
                append(out, b.data);
            } else if constexpr (std::is_same_v<T, delete_payload>) {
                out.push_back(static_cast<std::uint8_t>(b.protocol));
                out.push_back(static_cast<std::uint8_t>(b.spis.empty() ? 0 : b.spis[0].size()));
                append16(out, static_cast<std::uint16_t>(b.spis.size()));
                for (const auto& s : b.spis) {
                    append(out, s);
                }
            } else if constexpr (std::is_same_v<T, ts_payload>) {
                out.push_back(static_cast<std::uint8_t>(b.selectors.size()));
                out.insert(out.end(), 3, 0);
                for (const auto& ts : b.selectors) {
                    out.push_back(ts_ipv4_addr_range);
                    out.push_back(ts.ip_protocol);
                    append16(out, 16);
                    append16(out, ts.start_port);
                    append16(out, ts.end_port);
                    append32(out, ts.start_addr);
                    append32(out, ts.end_addr);
                }
            }
        },
        p.body);
}

void encode_chain(bytes& out, const std::vector<payload>& ps) {
    for (std::size_t i = 0; i < ps.size(); ++i) {
        std::size_t start = out.size();
        out.push_back(i + 1 < ps.size() ? static_cast<std::uint8_t>(ps[i + 1].type) : 0);
        out.push_back(ps[i].critical ? 0x80 : 0);
        append16(out, 0);
        encode_body(out, ps[i]);
        put16(out.data() + start + 2, static_cast<std::uint16_t>(out.size() - start));
    }
}

void encode_header(bytes& out, const message& m, payload_type first) {
    out.resize(header_size);
    put64(out.data(), m.spi_i);
    put64(out.data() + 8, m.spi_r);
    out[16] = static_cast<std::uint8_t>(first);
    out[17] = 0x20;
    out[18] = static_cast<std::uint8_t>(m.exchange);
    out[19] = m.flags;
    put32(out.data() + 20, m.message_id);
}

}  // namespace

decoded decode(std::span<const std::uint8_t> dg) {
    decoded d;
    if (dg.size() < header_size) {
        d.error = decode_error::truncated;
        d.detail = "shorter than the IKE header";
        return d;
    }
    d.msg.spi_i = get64(dg.data());
    d.msg.spi_r = get64(dg.data() + 8);
    auto first = static_cast<payload_type>(dg[16]);
    if ((dg[17] >> 4) != 2) {
        d.error = decode_error::bad_version;
        d.detail = "version " + std::to_string(dg[17] >> 4);
        return d;
    }
    d.msg.exchange = static_cast<exchange_type>(dg[18]);
    d.msg.flags = dg[19];
    d.msg.message_id = get32(dg.data() + 20);
    std::uint32_t len = get32(dg.data() + 24);
    if (len != dg.size()) {
        d.error = len > dg.size() ? decode_error::truncated : decode_error::bad_length;
        d.detail = "header length " + std::to_string(len) + ", datagram " + std::to_string(dg.size());
        return d;
    }
    parse_chain(first, dg.subspan(header_size), header_size, d, false);
    return d;
}

bool sk_open(decoded& d, std::span<const std::uint8_t> dg, const sk_cipher& in) {
    if (!d.ok()) {
        return false;
    }
    if (!d.protected_) {
        d.error = decode_error::no_sk;
        return false;
    }
    const std::size_t body_at = d.sk_offset + generic_size;
    const std::size_t body_len = dg.size() - body_at;
    const std::size_t iv = in.iv_size(), icv = in.icv_size(), block = in.block_size();
    if (body_len < iv + icv + 1) {
        d.error = decode_error::bad_length;
        d.detail = "SK shorter than IV and ICV";
        return false;
    }
    const std::size_t ct_len = body_len - iv - icv;
    if (ct_len % block != 0) {
        d.error = decode_error::bad_length;
        d.detail = "SK ciphertext not a multiple of the block size";
        return false;
    }
    bytes plain(dg.begin() + static_cast<std::ptrdiff_t>(body_at + iv),
                dg.begin() + static_cast<std::ptrdiff_t>(body_at + iv + ct_len));
    bool integrity_failed = false;
    if (!in.open(dg.subspan(0, body_at), dg.subspan(body_at, iv), plain, dg.subspan(body_at + iv + ct_len, icv),
                 integrity_failed)) {
        d.error = integrity_failed ? decode_error::integrity : decode_error::decrypt;
        return false;
    }
    std::size_t pad = plain.back();
    if (pad + 1 > plain.size()) {
        d.error = decode_error::decrypt;
        d.detail = "SK pad length past the plaintext";
        return false;
    }
    std::span<const std::uint8_t> inner(plain.data(), plain.size() - pad - 1);
    return parse_chain(d.sk_first, inner, 0, d, true);
}

bytes encode(const message& m, const sk_cipher* out) {
    // A TS payload needs at least one selector (RFC 7296 3.13); one decoded from a peer's
    // payload whose selectors were all of types never selected (IPv6...) has none left
    // and cannot be sent again.
    for (const auto& p : m.payloads)
        if (const auto* ts = std::get_if<ts_payload>(&p.body); ts && ts->selectors.empty()) return {};
    bytes b;
    if (!out) {
        encode_header(b, m, m.payloads.empty() ? payload_type::none : m.payloads.front().type);
        encode_chain(b, m.payloads);
        put32(b.data() + 24, static_cast<std::uint32_t>(b.size()));
        return b;
    }
    bytes plain;
    encode_chain(plain, m.payloads);
    const std::size_t block = out->block_size();
    std::size_t pad = (block - (plain.size() + 1) % block) % block;
    plain.insert(plain.end(), pad, 0);
    plain.push_back(static_cast<std::uint8_t>(pad));
    encode_header(b, m, payload_type::sk);
    const std::size_t sk_at = b.size();
    const std::size_t iv = out->iv_size(), icv = out->icv_size();
    const std::size_t sk_len = generic_size + iv + plain.size() + icv;
    if (sk_len > 0xffff) {
        return {};
    }
    b.push_back(m.payloads.empty() ? 0 : static_cast<std::uint8_t>(m.payloads.front().type));
    b.push_back(0);
    append16(b, static_cast<std::uint16_t>(sk_len));
    b.resize(sk_at + sk_len);
    std::memcpy(b.data() + sk_at + generic_size + iv, plain.data(), plain.size());
    put32(b.data() + 24, static_cast<std::uint32_t>(b.size()));
    std::span<std::uint8_t> all(b);
    if (!out->seal(all.subspan(0, sk_at + generic_size), all.subspan(sk_at + generic_size, iv),
                   all.subspan(sk_at + generic_size + iv, plain.size()),
                   all.subspan(sk_at + generic_size + iv + plain.size(), icv))) {
        return {};
    }
    detail::wipe(plain);
    return b;
}

}  // namespace zplex::ike
