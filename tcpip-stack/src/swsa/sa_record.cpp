// SPDX-License-Identifier: Apache-2.0
#include "codec.hpp"

#include <zplex/swsa/sa_record.hpp>

#include <fmt/format.h>


namespace zplex::swsa {

namespace {
constexpr std::uint8_t record_version = 1;
constexpr std::uint8_t max_alg = 10;  // ipsec::algorithm::null_hmac_sha512
}  // namespace

std::vector<std::uint8_t> encode(const sa_record& r) {
    std::vector<std::uint8_t> out;
    detail::writer<std::vector<std::uint8_t>> w{out};
    w.u8('S');
    w.u8('A');
    w.u8(record_version);
    w.name(r.owner_system);
    w.name(r.owner_stack);
    w.name(r.tunnel);
    w.u32(r.dvipa);
    w.u32(r.peer);
    w.u8(static_cast<std::uint8_t>((r.esp ? 1 : 0) | (r.ah ? 2 : 0) | (r.esn ? 4 : 0) | (r.udp_encap ? 8 : 0)));
    w.u8(r.mode);
    w.u8(r.esp_alg);
    w.u32(r.esp_spi_in);
    w.u32(r.esp_spi_out);
    w.u32(r.ah_spi_in);
    w.u32(r.ah_spi_out);
    w.u32(r.sel.local);
    w.u8(r.sel.local_len);
    w.u32(r.sel.remote);
    w.u8(r.sel.remote_len);
    w.u8(r.sel.protocol);
    w.u16(r.sel.local_port_lo);
    w.u16(r.sel.local_port_hi);
    w.u16(r.sel.remote_port_lo);
    w.u16(r.sel.remote_port_hi);
    w.name(r.filter_rule);
    w.name(r.vpn_action);
    w.u64(r.lifetime_s);
    w.u64(r.lifesize);
    w.u64(r.established);
    w.u64(r.refreshed);
    w.u32(r.peer_window);
    return out;
}

bool decode(std::span<const std::uint8_t> in, sa_record& out, std::string* why) {
    detail::reader rd(in);
    sa_record r;
    if (rd.u8("EYECATCHER") != 'S' || rd.u8("EYECATCHER") != 'A') {
        rd.bad("NOT AN SA RECORD");
    }
    if (rd.u8("VERSION") != record_version) {
        rd.bad("UNKNOWN VERSION");
    }
    r.owner_system = rd.name("OWNER SYSTEM", sa_record::max_stack);
    r.owner_stack = rd.name("OWNER STACK", sa_record::max_stack);
    r.tunnel = rd.name("TUNNEL", sa_record::max_tunnel);
    r.dvipa = rd.u32("DVIPA");
    r.peer = rd.u32("PEER");
    auto flags = rd.u8("FLAGS");
    if (flags > 15) {
        rd.bad("BAD FLAGS");
    }
    r.esp = (flags & 1) != 0;
    r.ah = (flags & 2) != 0;
    r.esn = (flags & 4) != 0;
    r.udp_encap = (flags & 8) != 0;
    if (rd.ok && !r.esp && !r.ah) {
        rd.bad("NEITHER ESP NOR AH");
    }
    r.mode = rd.u8("MODE");
    if (r.mode > 1) {
        rd.bad("BAD MODE");
    }
    r.esp_alg = rd.u8("ALGORITHM");
    if (r.esp_alg > max_alg) {
        rd.bad("BAD ALGORITHM");
    }
    r.esp_spi_in = rd.u32("SPI");
    r.esp_spi_out = rd.u32("SPI");
    r.ah_spi_in = rd.u32("SPI");
    r.ah_spi_out = rd.u32("SPI");
    if (rd.ok && ((r.esp && (r.esp_spi_in < 256 || r.esp_spi_out < 256)) ||
                  (r.ah && (r.ah_spi_in < 256 || r.ah_spi_out < 256)))) {
        rd.bad("RESERVED SPI");  // RFC 4303 §2.1: 1-255 reserved, 0 never on the wire
    }
    r.sel.local = rd.u32("SELECTOR");
    r.sel.local_len = rd.u8("SELECTOR");
    r.sel.remote = rd.u32("SELECTOR");
    r.sel.remote_len = rd.u8("SELECTOR");
    r.sel.protocol = rd.u8("SELECTOR");
    r.sel.local_port_lo = rd.u16("SELECTOR");
    r.sel.local_port_hi = rd.u16("SELECTOR");
    r.sel.remote_port_lo = rd.u16("SELECTOR");
    r.sel.remote_port_hi = rd.u16("SELECTOR");
    if (rd.ok && (r.sel.local_len > 32 || r.sel.remote_len > 32 || r.sel.local_port_lo > r.sel.local_port_hi ||
                  r.sel.remote_port_lo > r.sel.remote_port_hi)) {
        rd.bad("BAD SELECTOR");
    }
    r.filter_rule = rd.name("FILTER RULE", sa_record::max_name, true);
    r.vpn_action = rd.name("VPN ACTION", sa_record::max_name, true);
    r.lifetime_s = rd.u64("LIFETIME");
    r.lifesize = rd.u64("LIFESIZE");
    r.established = rd.u64("TIME");
    r.refreshed = rd.u64("TIME");
    r.peer_window = rd.u32("WINDOW");
    if (rd.ok && (r.peer_window < 32 || r.peer_window > 65536)) {
        rd.bad("BAD WINDOW");
    }
    if (!rd.end()) {
        if (why) {
            *why = rd.why;
        }
        return false;
    }
    out = std::move(r);
    return true;
}

std::string sa_store::entry_name(std::uint32_t list) {
    return fmt::format("EZBSA{:02}", list);
}

cf::result sa_store::claim(sa_record& r, const std::vector<std::uint8_t>& data, std::uint32_t list, bool replace) {
    cf::write_request w;
    if (replace) w.where = cf::locator::by_name(entry_name(list));
    w.list = list;
    w.name = entry_name(list);
    // The entry's key = the list key now: every number after it is the record's SA's
    // (a new record's, or one that takes the old SA's over: its numbers are all below).
    w.assign_list_key = true;
    w.type = replace ? cf::entry_type::old_entry : cf::entry_type::new_entry;
    w.data = data;
    cf::answer a;
    auto res = _cf.write(w, &a);
    if (res) {
        r.counter_list = list;
        r.base = a.key.low();
    }
    return res;
}

cf::result sa_store::publish(sa_record& r) {
    auto data = encode(r);
    for (std::uint32_t list = _first; list < _last; ++list) {
        auto res = claim(r, data, list, false);
        if (res || res.why != cf::reason::entry_exists) {
            return res;  // written, or structure full, lost, data too long ...
        }
    }
    return cf::fail(cf::reason::list_full);
}

cf::result sa_store::take_over(sa_record& r, std::uint32_t counter_list) {
    return claim(r, encode(r), counter_list, true);
}

cf::result sa_store::update(const sa_record& r) {
    auto data = encode(r);
    cf::write_request w;
    w.where = cf::locator::by_name(entry_name(r.counter_list));
    w.list = r.counter_list;
    w.name = entry_name(r.counter_list);
    w.key = cf::entry_key::of(r.base);
    w.type = cf::entry_type::old_entry;
    w.data = data;
    return _cf.write(w);
}

cf::result sa_store::remove(std::uint32_t counter_list) {
    return _cf.remove(cf::locator::by_name(entry_name(counter_list)));
}

cf::result sa_store::read_all(std::vector<sa_record>& out, std::vector<std::string>* bad) {
    out.clear();
    for (std::uint32_t list = _first; list < _last; ++list) {
        std::vector<cf::entry> es;
        auto res = _cf.read_list(list, es);
        if (!res) {
            if (res.why == cf::reason::bad_list_number) {
                break;  // a structure with fewer lists
            }
            return res;
        }
        for (const auto& e : es) {
            if (e.name != entry_name(list)) {
                continue;
            }
            sa_record r;
            std::string why;
            if (!decode(e.data, r, &why)) {
                if (bad) {
                    bad->push_back(e.name + ": " + why);
                }
                continue;
            }
            r.counter_list = list;
            r.base = e.key.low();
            out.push_back(std::move(r));
        }
    }
    return cf::ok();
}

}  // namespace zplex::swsa
