// SPDX-License-Identifier: Apache-2.0
// IPv4 reassembly (RFC 791 §3.2 and RFC 815): a fixed pool of datagrams, each with its
// data buffer and a bitmap of the 8-byte blocks held, keyed by (source, destination,
// protocol, identification). No allocation and no exception after construction.
#include "reassembly.hpp"

#include "wire.hpp"

#include <algorithm>
#include <cstring>

namespace zplex::tcpip::stack {

namespace {

bool bit(const std::vector<std::uint64_t>& w, std::size_t i) noexcept { return (w[i / 64] >> (i % 64)) & 1u; }

/// 0: none of blocks [a, b) held, 1: some, 2: all.
int held(const std::vector<std::uint64_t>& w, std::size_t a, std::size_t b) noexcept {
    std::size_t n = 0;
    for (std::size_t i = a; i < b; ++i) n += bit(w, i);
    return n == 0 ? 0 : n == b - a ? 2 : 1;
}

void mark(std::vector<std::uint64_t>& w, std::size_t a, std::size_t b) noexcept {
    for (std::size_t i = a; i < b; ++i) w[i / 64] |= std::uint64_t{1} << (i % 64);
}

}  // namespace

reassembler::reassembler(limits l) : _limits(l) {
    _limits.max_size = std::clamp<std::size_t>(_limits.max_size, 68, 65535);
    if (_limits.timeout_ms <= 0) _limits.timeout_ms = 60000;
    _slots.resize(_limits.datagrams);
    const std::size_t blocks = (_limits.max_size + 7) / 8;
    for (auto& s : _slots) {
        s.data.resize(header_room + _limits.max_size + 8);
        s.filled.resize((blocks + 63) / 64);
    }
}

std::size_t reassembler::in_use() const noexcept {
    return static_cast<std::size_t>(std::count_if(_slots.begin(), _slots.end(), [](const slot& s) { return s.used; }));
}

reassembler::slot* reassembler::find(std::uint32_t src, std::uint32_t dst, std::uint16_t id,
                                     std::uint8_t protocol) noexcept {
    for (auto& s : _slots)
        if (s.used && s.src == src && s.dst == dst && s.id == id && s.protocol == protocol) return &s;
    return nullptr;
}

void reassembler::release(slot& s) noexcept {
    s.used = false;
    s.total = s.received = s.end = s.header_len = s.first_len = 0;
    s.total_known = false;
    std::fill(s.filled.begin(), s.filled.end(), 0);
}

reassembler::outcome reassembler::give_up(slot& s, drop reason, drop& why) noexcept {
    ++_stats.failures;
    why = reason;
    release(s);
    return outcome::dropped;
}

reassembler::outcome reassembler::add(const std::uint8_t* p, std::size_t len, int in_iface, std::int64_t now,
                                      std::uint8_t* out, std::size_t& out_len, drop& why) noexcept {
    ++_stats.required;
    const std::size_t hl = std::size_t{p[0] & 0x0Fu} * 4;
    const std::uint16_t frag = wire::get16(p + 6);
    const std::size_t off = std::size_t{frag & 0x1FFFu} * 8;
    const bool more = (frag & 0x2000) != 0;
    const std::size_t n = len - hl;
    const std::size_t end = off + n;
    const std::uint32_t src = wire::get32(p + 12), dst = wire::get32(p + 16);
    const std::uint16_t id = wire::get16(p + 4);
    slot* s = find(src, dst, id, p[9]);
    // A fragment with no data, or a non-last one whose length is not a multiple of 8
    // (RFC 791: every fragment but the last carries whole 8-octet blocks), is refused alone.
    if (n == 0 || (more && n % 8 != 0)) {
        ++_stats.failures;
        why = drop::reasm_bad;
        return outcome::dropped;
    }
    // Past the largest datagram (with the smallest header): the "ping of death" shape.
    if (end + 20 > _limits.max_size) {
        if (s) return give_up(*s, drop::reasm_too_big, why);
        ++_stats.failures;
        why = drop::reasm_too_big;
        return outcome::dropped;
    }
    if (!s) {
        for (auto& x : _slots)
            if (!x.used) {
                s = &x;
                break;
            }
        if (!s) {
            ++_stats.failures;
            why = drop::reasm_full;  // the datagrams held are not disturbed
            return outcome::dropped;
        }
        s->used = true;
        s->src = src;
        s->dst = dst;
        s->id = id;
        s->protocol = p[9];
        s->started = now;
        s->in_iface = in_iface;
    }
    // The last fragment fixes the length: two different ends, or data past it, do not fit.
    if (!more && ((s->total_known && s->total != end) || s->end > end)) return give_up(*s, drop::reasm_bad, why);
    if (more && s->total_known && end > s->total) return give_up(*s, drop::reasm_bad, why);
    std::uint8_t* data = s->data.data() + header_room;
    const std::size_t b0 = off / 8, b1 = (end + 7) / 8;
    switch (held(s->filled, b0, b1)) {
    case 2:
        if (std::memcmp(data + off, p + hl, n) == 0) {
            why = drop::reasm_duplicate;
            return outcome::dropped;
        }
        return give_up(*s, drop::reasm_overlap, why);
    case 1: return give_up(*s, drop::reasm_overlap, why);
    default: break;
    }
    std::memcpy(data + off, p + hl, n);
    mark(s->filled, b0, b1);
    s->received += n;
    s->end = std::max(s->end, end);
    if (off == 0) {
        s->header_len = hl;
        s->first_len = n;
        s->in_iface = in_iface;
        std::memcpy(data - hl, p, hl);
    }
    if (!more) {
        s->total = end;
        s->total_known = true;
    }
    if (!s->header_len || !s->total_known || s->received != s->total) return outcome::held;
    const std::size_t whole = s->header_len + s->total;
    if (whole > _limits.max_size) return give_up(*s, drop::reasm_too_big, why);
    std::memcpy(out, data - s->header_len, whole);
    wire::put16(out + 2, static_cast<std::uint16_t>(whole));
    wire::put16(out + 6, static_cast<std::uint16_t>(wire::get16(out + 6) & 0x4000));  // DF as fragment 0 had it
    wire::put16(out + 10, 0);
    wire::put16(out + 10, wire::checksum(out, s->header_len));
    out_len = whole;
    ++_stats.successful;
    release(*s);
    return outcome::complete;
}

}  // namespace zplex::tcpip::stack
