// SPDX-License-Identifier: Apache-2.0
#include "codec.hpp"

#include <zplex/ipsec/esp.hpp>
#include <zplex/swsa/messages.hpp>

namespace zplex::swsa {

namespace {

constexpr std::size_t max_stack = 8;
constexpr std::size_t max_tunnel = 8;
constexpr std::size_t max_key = 96;
constexpr std::uint8_t last_alg = static_cast<std::uint8_t>(ipsec::algorithm::null_hmac_sha512);

template <class Bytes>
detail::writer<Bytes> start(Bytes& out, message_type t) {
    detail::writer<Bytes> w{out};
    w.u8('S');
    w.u8(message_version);
    w.u8(static_cast<std::uint8_t>(t));
    return w;
}

bool header(detail::reader& rd, message_type t) {
    if (rd.u8("HEADER") != 'S') {
        return rd.bad("NOT AN SWSA MESSAGE");
    }
    if (rd.u8("HEADER") != message_version) {
        return rd.bad("UNKNOWN VERSION");
    }
    if (rd.u8("HEADER") != static_cast<std::uint8_t>(t)) {
        return rd.bad("WRONG MESSAGE TYPE");
    }
    return rd.ok;
}

void spi(detail::reader& rd, std::uint32_t& v, const char* what) {
    v = rd.u32(what);
    if (rd.ok && v < 256) {
        rd.bad(std::string("RESERVED SPI ") + what);  // RFC 4303 §2.1
    }
}

void protocol(detail::reader& rd, std::uint8_t& p) {
    p = rd.u8("PROTOCOL");
    if (rd.ok && p != 50 && p != 51) {
        rd.bad("PROTOCOL NOT ESP OR AH");
    }
}

template <class M>
bool finish(detail::reader& rd, M& m, M& out, std::string* why) {
    if (!rd.end()) {
        if (why) {
            *why = rd.why;
        }
        return false;
    }
    out = std::move(m);
    return true;
}

/// The key must be what the SA's algorithm takes (AH: an HMAC key of 32, 48 or 64).
bool key_fits(std::uint8_t proto, std::uint8_t alg, std::size_t n) {
    if (proto == 51) {
        return n == 32 || n == 48 || n == 64;
    }
    return n == ipsec::key_length(static_cast<ipsec::algorithm>(alg));
}

}  // namespace

std::optional<message_type> peek_type(std::span<const std::uint8_t> in) noexcept {
    if (in.size() < 3 || in[0] != 'S' || in[1] != message_version || in[2] < 1 || in[2] > 4) {
        return std::nullopt;
    }
    return static_cast<message_type>(in[2]);
}

secure_bytes encode(const sa_distribute_message& m) {
    secure_bytes out;
    out.reserve(256 + m.key_in.size() + m.key_out.size() + m.filters.size() * 20);
    auto w = start(out, message_type::sa_distribute);
    w.name(m.owner_system);
    w.name(m.owner_stack);
    w.name(m.tunnel);
    w.name(m.replaces);
    w.name(m.vpn_action);
    w.u32(m.dvipa);
    w.u32(m.peer);
    w.u8(m.protocol);
    w.u8(m.mode);
    w.u8(m.alg);
    w.u8(static_cast<std::uint8_t>((m.esn ? 1 : 0) | (m.udp_encap ? 2 : 0) | (m.bundle ? 4 : 0)));
    w.u16(m.udp_src);
    w.u16(m.udp_dst);
    w.u32(m.spi_in);
    w.u32(m.spi_out);
    w.bytes(m.key_in);
    w.bytes(m.key_out);
    w.u32(m.tunnel_src);
    w.u32(m.tunnel_dst);
    w.u32(m.replay_window);
    w.u32(m.peer_window);
    w.u32(m.counter_list);
    w.u64(m.base);
    w.u64(m.lifesize);
    w.u64(m.lifetime_s);
    w.u8(static_cast<std::uint8_t>(m.filters.size()));
    for (const auto& f : m.filters) {
        w.u32(f.src);
        w.u8(f.src_len);
        w.u32(f.dst);
        w.u8(f.dst_len);
        w.u8(f.protocol);
        w.u16(f.src_port_lo);
        w.u16(f.src_port_hi);
        w.u16(f.dst_port_lo);
        w.u16(f.dst_port_hi);
        w.u8(f.direction);
    }
    return out;
}

bool decode(std::span<const std::uint8_t> in, sa_distribute_message& out, std::string* why) {
    detail::reader rd(in);
    sa_distribute_message m;
    header(rd, message_type::sa_distribute);
    m.owner_system = rd.name("OWNER SYSTEM", max_stack);
    m.owner_stack = rd.name("OWNER STACK", max_stack);
    m.tunnel = rd.name("TUNNEL", max_tunnel);
    m.replaces = rd.name("REPLACED TUNNEL", max_tunnel, true);
    m.vpn_action = rd.name("VPN ACTION", 48, true);
    m.dvipa = rd.u32("DVIPA");
    m.peer = rd.u32("PEER");
    protocol(rd, m.protocol);
    m.mode = rd.u8("MODE");
    if (rd.ok && m.mode > 1) {
        rd.bad("BAD MODE");
    }
    m.alg = rd.u8("ALGORITHM");
    if (rd.ok && m.alg > last_alg) {
        rd.bad("BAD ALGORITHM");
    }
    auto flags = rd.u8("FLAGS");
    if (rd.ok && (flags > 7 || (flags & 6) == 6)) {
        rd.bad("BAD FLAGS");  // AH has no UDP encapsulation, so neither has a bundle
    }
    m.esn = (flags & 1) != 0;
    m.udp_encap = (flags & 2) != 0;
    m.bundle = (flags & 4) != 0;
    m.udp_src = rd.u16("UDP PORT");
    m.udp_dst = rd.u16("UDP PORT");
    if (rd.ok && m.udp_encap && (m.udp_src == 0 || m.udp_dst == 0 || m.protocol != 50)) {
        rd.bad("BAD UDP ENCAPSULATION");
    }
    spi(rd, m.spi_in, "IN");
    spi(rd, m.spi_out, "OUT");
    auto kin = rd.bytes("INBOUND KEY", max_key);
    if (rd.ok && !key_fits(m.protocol, m.alg, kin.size())) {
        rd.bad("INBOUND KEY LENGTH DOES NOT FIT THE ALGORITHM");
    }
    m.key_in.assign(kin.begin(), kin.end());
    auto kout = rd.bytes("OUTBOUND KEY", max_key);
    if (rd.ok && !key_fits(m.protocol, m.alg, kout.size())) {
        rd.bad("OUTBOUND KEY LENGTH DOES NOT FIT THE ALGORITHM");
    }
    m.key_out.assign(kout.begin(), kout.end());
    m.tunnel_src = rd.u32("TUNNEL ADDRESS");
    m.tunnel_dst = rd.u32("TUNNEL ADDRESS");
    if (rd.ok && m.mode == 1 && (m.tunnel_src == 0 || m.tunnel_dst == 0)) {
        rd.bad("TUNNEL MODE WITHOUT TUNNEL ADDRESSES");
    }
    m.replay_window = rd.u32("REPLAY WINDOW");
    if (rd.ok && (m.replay_window < 32 || m.replay_window > 4096)) {
        rd.bad("BAD REPLAY WINDOW");
    }
    m.peer_window = rd.u32("PEER WINDOW");
    if (rd.ok && (m.peer_window < 32 || m.peer_window > 65536)) {
        rd.bad("BAD PEER WINDOW");
    }
    m.counter_list = rd.u32("COUNTER LIST");
    if (rd.ok && (m.counter_list == 0 || m.counter_list > 4096)) {
        rd.bad("BAD COUNTER LIST");
    }
    m.base = rd.u64("BASE");
    m.lifesize = rd.u64("LIFESIZE");
    m.lifetime_s = rd.u64("LIFETIME");
    std::size_t n = rd.u8("FILTER COUNT");
    if (rd.ok && n > max_filters) {
        rd.bad("TOO MANY FILTERS");
    }
    for (std::size_t i = 0; rd.ok && i < n; ++i) {
        dynamic_filter f;
        f.src = rd.u32("FILTER");
        f.src_len = rd.u8("FILTER");
        f.dst = rd.u32("FILTER");
        f.dst_len = rd.u8("FILTER");
        f.protocol = rd.u8("FILTER");
        f.src_port_lo = rd.u16("FILTER");
        f.src_port_hi = rd.u16("FILTER");
        f.dst_port_lo = rd.u16("FILTER");
        f.dst_port_hi = rd.u16("FILTER");
        f.direction = rd.u8("FILTER");
        if (rd.ok && (f.src_len > 32 || f.dst_len > 32 || f.src_port_lo > f.src_port_hi ||
                      f.dst_port_lo > f.dst_port_hi || f.direction > 2)) {
            rd.bad("BAD FILTER");
        }
        m.filters.push_back(f);
    }
    return finish(rd, m, out, why);
}

std::vector<std::uint8_t> encode(const sa_delete_message& m) {
    std::vector<std::uint8_t> out;
    auto w = start(out, message_type::sa_delete);
    w.name(m.owner_system);
    w.name(m.owner_stack);
    w.name(m.tunnel);
    w.u8(static_cast<std::uint8_t>(m.reason));
    w.u32(m.dvipa);
    w.u8(m.protocol);
    w.u32(m.spi_in);
    w.u32(m.spi_out);
    return out;
}

bool decode(std::span<const std::uint8_t> in, sa_delete_message& out, std::string* why) {
    detail::reader rd(in);
    sa_delete_message m;
    header(rd, message_type::sa_delete);
    m.owner_system = rd.name("OWNER SYSTEM", max_stack);
    m.owner_stack = rd.name("OWNER STACK", max_stack);
    m.tunnel = rd.name("TUNNEL", max_tunnel);
    auto why_gone = rd.u8("REASON");
    if (rd.ok && why_gone > 2) {
        rd.bad("BAD REASON");
    }
    m.reason = static_cast<delete_reason>(why_gone);
    m.dvipa = rd.u32("DVIPA");
    protocol(rd, m.protocol);
    spi(rd, m.spi_in, "IN");
    spi(rd, m.spi_out, "OUT");
    return finish(rd, m, out, why);
}

std::vector<std::uint8_t> encode(const lifesize_report_message& m) {
    std::vector<std::uint8_t> out;
    auto w = start(out, message_type::lifesize_report);
    w.name(m.system);
    w.name(m.stack);
    w.name(m.tunnel);
    w.u32(m.dvipa);
    w.u8(m.protocol);
    w.u32(m.spi_out);
    w.u64(m.bytes);
    w.u64(m.packets);
    return out;
}

bool decode(std::span<const std::uint8_t> in, lifesize_report_message& out, std::string* why) {
    detail::reader rd(in);
    lifesize_report_message m;
    header(rd, message_type::lifesize_report);
    m.system = rd.name("SYSTEM", max_stack);
    m.stack = rd.name("STACK", max_stack);
    m.tunnel = rd.name("TUNNEL", max_tunnel);
    m.dvipa = rd.u32("DVIPA");
    protocol(rd, m.protocol);
    spi(rd, m.spi_out, "OUT");
    m.bytes = rd.u64("BYTES");
    m.packets = rd.u64("PACKETS");
    if (rd.ok && m.packets > m.bytes) {
        rd.bad("MORE PACKETS THAN BYTES");
    }
    return finish(rd, m, out, why);
}

std::vector<std::uint8_t> encode(const newconn_message& m) {
    std::vector<std::uint8_t> out;
    auto w = start(out, message_type::newconn);
    w.name(m.system);
    w.name(m.stack);
    w.u32(m.dvipa);
    w.u8(m.protocol);
    w.u16(m.local_port);
    w.u32(m.remote);
    w.u16(m.remote_port);
    return out;
}

bool decode(std::span<const std::uint8_t> in, newconn_message& out, std::string* why) {
    detail::reader rd(in);
    newconn_message m;
    header(rd, message_type::newconn);
    m.system = rd.name("SYSTEM", max_stack);
    m.stack = rd.name("STACK", max_stack);
    m.dvipa = rd.u32("DVIPA");
    m.protocol = rd.u8("PROTOCOL");
    m.local_port = rd.u16("LOCAL PORT");
    m.remote = rd.u32("REMOTE");
    m.remote_port = rd.u16("REMOTE PORT");
    if (rd.ok && (m.dvipa == 0 || m.remote == 0)) {
        rd.bad("NO ADDRESS");
    }
    return finish(rd, m, out, why);
}

}  // namespace zplex::swsa
