// SPDX-License-Identifier: Apache-2.0
// Encoding and strict decoding of the dynamic VIPA control messages.
//
//   header:  'Z' 'D' version(1)=1 type(1)
//   state:   name(sysname,8) name(tcpname,8) name(sysclone,2) xcf(4) flags(1) nclaims(2) claim*
//   claim:   addr(4) prefix(1) origin(1) rank(1) status(1) moveable(1) nkept(2) kept*
//   kept:    remote_ip(4) remote_port(2) local_port(2)
//   take/give: addr(4) moveable(1)
// name(n): length(1) then that many characters A-Z 0-9 @ # $.
#include "control.hpp"

#include "wire.hpp"

namespace zplex::tcpip::stack::control {
namespace {

constexpr std::uint8_t version = 1;

void put_name(std::vector<std::uint8_t>& out, const std::string& s) {
    out.push_back(static_cast<std::uint8_t>(s.size()));
    out.insert(out.end(), s.begin(), s.end());
}
void put16v(std::vector<std::uint8_t>& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}
void put32v(std::vector<std::uint8_t>& out, std::uint32_t v) {
    put16v(out, static_cast<std::uint16_t>(v >> 16));
    put16v(out, static_cast<std::uint16_t>(v));
}

struct reader {
    std::span<const std::uint8_t> in;
    std::size_t at = 0;
    bool ok = true;
    bool need(std::size_t n) {
        if (!ok || in.size() - at < n) ok = false;
        return ok;
    }
    std::uint8_t u8() { return need(1) ? in[at++] : 0; }
    std::uint16_t u16() {
        if (!need(2)) return 0;
        auto v = wire::get16(in.data() + at);
        at += 2;
        return v;
    }
    std::uint32_t u32() {
        if (!need(4)) return 0;
        auto v = wire::get32(in.data() + at);
        at += 4;
        return v;
    }
    std::string name(std::size_t max) {
        std::size_t n = u8();
        if (n == 0 || n > max || !need(n)) {
            ok = false;
            return {};
        }
        std::string s(reinterpret_cast<const char*>(in.data() + at), n);
        at += n;
        for (char c : s) {
            bool good = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '@' || c == '#' || c == '$';
            if (!good) ok = false;
        }
        return s;
    }
};

void header(std::vector<std::uint8_t>& out, type t) {
    out.push_back('Z');
    out.push_back('D');
    out.push_back(version);
    out.push_back(static_cast<std::uint8_t>(t));
}

}  // namespace

std::vector<std::uint8_t> encode(const state_message& m) {
    std::vector<std::uint8_t> out;
    header(out, type::state);
    put_name(out, m.sysname);
    put_name(out, m.tcpname);
    put_name(out, m.sysclone);
    put32v(out, m.xcf_address);
    out.push_back(m.reply_wanted ? 1 : 0);
    put16v(out, static_cast<std::uint16_t>(m.claims.size()));
    for (const auto& c : m.claims) {
        put32v(out, c.address);
        out.push_back(c.prefix_len);
        out.push_back(c.origin);
        out.push_back(c.rank);
        out.push_back(c.status);
        out.push_back(c.moveable);
        put16v(out, static_cast<std::uint16_t>(c.kept.size()));
        for (const auto& k : c.kept) {
            put32v(out, k.remote_ip);
            put16v(out, k.remote_port);
            put16v(out, k.local_port);
        }
    }
    return out;
}

std::vector<std::uint8_t> encode(type t, const address_message& m) {
    std::vector<std::uint8_t> out;
    header(out, t);
    put32v(out, m.address);
    out.push_back(m.moveable);
    return out;
}

std::optional<type> peek_type(std::span<const std::uint8_t> in) noexcept {
    if (in.size() < 4 || in[0] != 'Z' || in[1] != 'D' || in[2] != version) return std::nullopt;
    if (in[3] < 1 || in[3] > 3) return std::nullopt;
    return static_cast<type>(in[3]);
}

bool decode(std::span<const std::uint8_t> in, state_message& out) {
    if (peek_type(in) != type::state) return false;
    reader r{in, 4};
    state_message m;
    m.sysname = r.name(8);
    m.tcpname = r.name(8);
    m.sysclone = r.name(2);
    m.xcf_address = r.u32();
    std::uint8_t flags = r.u8();
    if (flags > 1) return false;
    m.reply_wanted = flags == 1;
    std::size_t n = r.u16();
    if (!r.ok || n > max_claims) return false;
    std::size_t total_kept = 0;
    for (std::size_t i = 0; i < n && r.ok; ++i) {
        claim c;
        c.address = r.u32();
        c.prefix_len = r.u8();
        c.origin = r.u8();
        c.rank = r.u8();
        c.status = r.u8();
        c.moveable = r.u8();
        std::size_t k = r.u16();
        if (!r.ok || c.prefix_len > 32 || c.origin > 2 || c.status > 4 || c.moveable > 1) return false;
        total_kept += k;
        if (total_kept > max_kept || !r.need(k * 8)) return false;
        c.kept.reserve(k);
        for (std::size_t j = 0; j < k; ++j) {
            kept_connection kc;
            kc.remote_ip = r.u32();
            kc.remote_port = r.u16();
            kc.local_port = r.u16();
            c.kept.push_back(kc);
        }
        m.claims.push_back(std::move(c));
    }
    if (!r.ok || r.at != in.size()) return false;
    out = std::move(m);
    return true;
}

bool decode(std::span<const std::uint8_t> in, address_message& out) {
    auto t = peek_type(in);
    if (t != type::take && t != type::give) return false;
    reader r{in, 4};
    address_message m;
    m.address = r.u32();
    m.moveable = r.u8();
    if (!r.ok || r.at != in.size() || m.moveable > 1) return false;
    out = m;
    return true;
}

}  // namespace zplex::tcpip::stack::control
