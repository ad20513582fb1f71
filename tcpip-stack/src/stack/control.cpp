// SPDX-License-Identifier: Apache-2.0
// Encoding and strict decoding of the dynamic VIPA control messages.
//
//   header:  'Z' 'D' version(1)=1 type(1)
//   state:   name(sysname,8) name(tcpname,8) name(sysclone,2) xcf(4) flags(1) nroles(2) role*
//            nclaims(2) claim*
//   role:    addr(4) role(1)=1..3
//   claim:   addr(4) prefix(1) origin(1) rank(1) status(1) moveable(1) nkept(2) kept*
//   kept:    remote_ip(4) remote_port(2) local_port(2)
//   take/give: addr(4) moveable(1)
//   distribute: addr(4) flags(1: 1 want connections, 2 stop) nranges(1) (low(2) high(2))*
//               optlocal(1: 0..16, 255 NOOPTLOCAL)
//   target_report: addr(4) nports(2) (port(2) ready(2) sysweight(1) srvweight(1) active(4))*
//   connections: addr(4) flags(1: 1 ended, 2 full list) n(2) (lport(2) rip(4) rport(2))*
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
    put16v(out, static_cast<std::uint16_t>(m.roles.size()));
    for (const auto& r : m.roles) {
        put32v(out, r.address);
        out.push_back(r.role);
    }
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
    if (in[3] < 1 || in[3] > 6) return std::nullopt;
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
    std::size_t nroles = r.u16();
    if (!r.ok || nroles > max_roles || !r.need(nroles * 5)) return false;
    for (std::size_t i = 0; i < nroles; ++i) {
        dist_role d;
        d.address = r.u32();
        d.role = r.u8();
        if (d.role < 1 || d.role > 3) return false;
        m.roles.push_back(d);
    }
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

std::vector<std::uint8_t> encode(const distribute_message& m) {
    std::vector<std::uint8_t> out;
    header(out, type::distribute);
    put32v(out, m.address);
    out.push_back(static_cast<std::uint8_t>((m.want_connections ? 1 : 0) | (m.stop ? 2 : 0) | (m.sysplex_ports ? 4 : 0)));
    out.push_back(static_cast<std::uint8_t>(m.port_ranges.size()));
    for (const auto& p : m.port_ranges) {
        put16v(out, p.low);
        put16v(out, p.high);
    }
    out.push_back(m.optlocal);
    return out;
}

std::vector<std::uint8_t> encode(const target_report_message& m) {
    std::vector<std::uint8_t> out;
    header(out, type::target_report);
    put32v(out, m.address);
    put16v(out, static_cast<std::uint16_t>(m.ports.size()));
    for (const auto& p : m.ports) {
        put16v(out, p.port);
        put16v(out, p.ready);
        out.push_back(p.system_weight);
        out.push_back(p.server_weight);
        put32v(out, p.active);
    }
    return out;
}

std::vector<std::uint8_t> encode(const connections_message& m) {
    std::vector<std::uint8_t> out;
    header(out, type::connections);
    put32v(out, m.address);
    out.push_back(static_cast<std::uint8_t>((m.ended ? 1 : 0) | (m.full ? 2 : 0)));
    put16v(out, static_cast<std::uint16_t>(m.conns.size()));
    for (const auto& c : m.conns) {
        put16v(out, c.local_port);
        put32v(out, c.remote_ip);
        put16v(out, c.remote_port);
    }
    return out;
}

bool decode(std::span<const std::uint8_t> in, distribute_message& out) {
    if (peek_type(in) != type::distribute) return false;
    reader r{in, 4};
    distribute_message m;
    m.address = r.u32();
    std::uint8_t flags = r.u8();
    std::size_t n = r.u8();
    if (!r.ok || flags > 7 || n > max_port_ranges || !r.need(n * 4)) return false;
    m.want_connections = (flags & 1) != 0;
    m.stop = (flags & 2) != 0;
    m.sysplex_ports = (flags & 4) != 0;
    for (std::size_t i = 0; i < n; ++i) {
        distribute_message::ports p;
        p.low = r.u16();
        p.high = r.u16();
        if (p.high < p.low || (p.low == 0 && p.high != 0)) return false;
        m.port_ranges.push_back(p);
    }
    m.optlocal = r.u8();
    if (!r.ok || (m.optlocal > 16 && m.optlocal != distribute_message::no_optlocal)) return false;
    if (m.address == 0 || (m.stop && n != 0) || (!m.stop && n == 0) || r.at != in.size()) return false;
    out = std::move(m);
    return true;
}

bool decode(std::span<const std::uint8_t> in, target_report_message& out) {
    if (peek_type(in) != type::target_report) return false;
    reader r{in, 4};
    target_report_message m;
    m.address = r.u32();
    std::size_t n = r.u16();
    if (!r.ok || n > max_report_ports || !r.need(n * 10)) return false;
    for (std::size_t i = 0; i < n; ++i) {
        target_report_message::port_row p;
        p.port = r.u16();
        p.ready = r.u16();
        p.system_weight = r.u8();
        p.server_weight = r.u8();
        p.active = r.u32();
        if (p.system_weight > 64 || p.server_weight > 64) return false;
        m.ports.push_back(p);
    }
    if (m.address == 0 || r.at != in.size()) return false;
    out = std::move(m);
    return true;
}

bool decode(std::span<const std::uint8_t> in, connections_message& out) {
    if (peek_type(in) != type::connections) return false;
    reader r{in, 4};
    connections_message m;
    m.address = r.u32();
    std::uint8_t flags = r.u8();
    std::size_t n = r.u16();
    if (!r.ok || flags > 2 || n > max_connections || !r.need(n * 8)) return false;
    m.ended = (flags & 1) != 0;
    m.full = (flags & 2) != 0;
    m.conns.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        connections_message::connection c;
        c.local_port = r.u16();
        c.remote_ip = r.u32();
        c.remote_port = r.u16();
        if (c.local_port == 0 || c.remote_port == 0 || c.remote_ip == 0) return false;
        m.conns.push_back(c);
    }
    if (m.address == 0 || r.at != in.size()) return false;
    out = std::move(m);
    return true;
}

}  // namespace zplex::tcpip::stack::control
