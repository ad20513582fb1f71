// SPDX-License-Identifier: Apache-2.0
#include <zplex/ipsec/ah.hpp>
#include <zplex/ipsec/bundle.hpp>
#include <zplex/ipsec/esp.hpp>
#include <zplex/ipsec/esp_sa_uat.hpp>
#include <zplex/swsa/shadow_cache.hpp>
#include <zplex/sysplex/ipv4.hpp>

#include <algorithm>
#include <arpa/inet.h>

namespace zplex::swsa {

std::uint64_t lifesize_batching::threshold(std::uint64_t lifesize) const noexcept {
    // lifesize * bp / 10000 without overflow for any 64-bit lifesize.
    std::uint64_t t = lifesize / 10000 * _bp + lifesize % 10000 * _bp / 10000;
    return std::max<std::uint64_t>(t, 1);
}

void lifesize_batching::refreshed_in_time() noexcept { _bp = std::min(_bp + step_bp, max_bp); }

void lifesize_batching::expired_unrefreshed() noexcept { _bp = std::max(_bp / 2, min_bp); }

shadow_cache::shadow_cache(ipsec::sad& sad, ipsec::spd& spd, options o) : _sad(sad), _spd(spd), _o(std::move(o)) {}

shadow_cache::~shadow_cache() {
    for (auto& [name, s] : _shadows) {
        drop_filters(s);
        remove_sas(s);
    }
}

void shadow_cache::remove_sas(const shadow& s) {
    _sad.remove_outbound(s.tunnel);
    _sad.remove_inbound(s.inbound_spi(), s.inbound_protocol(), s.dvipa, s.peer);
    if (s.bundle) {
        _sad.remove_inbound(s.spi_in, 50, s.dvipa, s.peer);  // the ESP-alone refusal
    }
}

namespace {

ipsec::sa_config sa_of(const sa_distribute_message& m, bool inbound) {
    ipsec::sa_config c;
    c.spi = inbound ? m.spi_in : m.spi_out;
    c.alg = static_cast<ipsec::algorithm>(m.alg);
    c.mode = m.mode == 1 ? ipsec::sa_mode::tunnel : ipsec::sa_mode::transport;
    const auto& k = inbound ? m.key_in : m.key_out;
    c.key.assign(k.begin(), k.end());  // the SA copies and wipes; this copy is wiped below
    c.esn = m.esn;
    c.replay_window = m.replay_window;
    c.tunnel_src = inbound ? m.tunnel_dst : m.tunnel_src;
    c.tunnel_dst = inbound ? m.tunnel_src : m.tunnel_dst;
    c.udp_encap = m.udp_encap;
    c.udp_src = inbound ? m.udp_dst : m.udp_src;
    c.udp_dst = inbound ? m.udp_src : m.udp_dst;
    return c;
}

std::unique_ptr<ipsec::security_association> make_sa(const sa_distribute_message& m, bool inbound,
                                                     std::unique_ptr<ipsec::seq_source> seqs) {
    auto c = sa_of(m, inbound);
    std::unique_ptr<ipsec::security_association> sa;
    if (m.protocol == 51) {
        sa = ipsec::ah_sa::create(c, std::move(seqs));
    } else {
        sa = ipsec::esp_sa::create(c, std::move(seqs));
    }
    OPENSSL_cleanse(c.key.data(), c.key.size());
    return sa;
}

std::string addr(std::uint32_t a) {
    return sysplex::ipv4_address{a}.str();
}

}  // namespace

bool shadow_cache::install(const sa_distribute_message& m, std::string* why) {
    auto say = [&](const char* text) {
        if (why) {
            *why = text;
        }
        return false;
    };
    if (_shadows.count(m.tunnel)) {
        return say("TUNNEL ALREADY INSTALLED");
    }
    if (!_o.cf) {
        return say("NO EZBDVIPA CONNECTION FOR SEQUENCE NUMBERS");
    }
    if (m.bundle) {
        auto half = _halves.find(m.tunnel);
        if (half == _halves.end() || half->second.protocol == m.protocol) {
            _halves.insert_or_assign(m.tunnel, m);  // the first half (or the same half again)
            return true;
        }
        const auto& other = half->second;
        if (other.owner_system != m.owner_system || other.dvipa != m.dvipa || other.peer != m.peer ||
            other.mode != m.mode) {
            _halves.erase(half);
            return say("THE HALVES OF THE BUNDLE DO NOT MATCH");
        }
        bool ok = m.protocol == 50 ? install_bundle(m, other, why) : install_bundle(other, m, why);
        _halves.erase(m.tunnel);
        return ok;
    }
    auto seqs = seqs_for(m);
    cf_seq_source* seq_ptr = seqs.get();
    auto out = make_sa(m, false, std::move(seqs));
    auto in = make_sa(m, true, nullptr);
    if (!out || !in) {
        return say("KEYS DO NOT FIT THE ALGORITHM");
    }
    // Make before break: the new SA is complete before anything of the old one goes.
    if (!_sad.add_inbound(m.spi_in, m.protocol, m.dvipa, m.peer, std::move(in))) {
        return say("INBOUND SPI ALREADY IN USE");
    }
    _sad.add_outbound(m.tunnel, std::move(out));
    commit(m, shadow_from(m, seq_ptr));
    return true;
}

void shadow_cache::add_filters(const sa_distribute_message& m) {
    for (const auto& f : m.filters) {
        ipsec::spd_rule r;
        r.src = f.src;
        r.src_len = f.src_len;
        r.dst = f.dst;
        r.dst_len = f.dst_len;
        if (f.protocol != 0) {
            r.protocol = f.protocol;
        }
        r.src_port_lo = f.src_port_lo;
        r.src_port_hi = f.src_port_hi;
        r.dst_port_lo = f.dst_port_lo;
        r.dst_port_hi = f.dst_port_hi;
        r.direction = static_cast<ipsec::spd_direction>(f.direction);
        r.action = ipsec::spd_action::ipsec;
        r.sa_name = m.tunnel;
        r.name = "SWSA_" + m.tunnel;
        _spd.add_dynamic(std::move(r));
    }
}

std::unique_ptr<cf_seq_source> shadow_cache::seqs_for(const sa_distribute_message& m) const {
    seq_config sc;
    sc.list = m.counter_list;
    sc.base = m.base;
    sc.peer_window = m.peer_window;
    sc.esn = m.esn;
    sc.senders = _o.senders;
    sc.tunnel = m.tunnel;
    sc.spi = m.spi_out;
    return std::make_unique<cf_seq_source>(*_o.cf, sc, _o.on_seq_failure);
}

shadow shadow_cache::shadow_from(const sa_distribute_message& m, cf_seq_source* seqs) {
    shadow s;
    s.tunnel = m.tunnel;
    s.owner_system = m.owner_system;
    s.owner_stack = m.owner_stack;
    s.vpn_action = m.vpn_action;
    s.dvipa = m.dvipa;
    s.peer = m.peer;
    s.protocol = m.protocol;
    s.mode = m.mode;
    s.alg = m.alg;
    s.udp_encap = m.udp_encap;
    s.spi_in = m.spi_in;
    s.spi_out = m.spi_out;
    s.tunnel_src = m.tunnel_src;
    s.tunnel_dst = m.tunnel_dst;
    s.key_in = m.key_in;
    s.key_out = m.key_out;
    s.lifesize = m.lifesize;
    s.lifetime_s = m.lifetime_s;
    s.filters = m.filters;
    s.installed = std::chrono::system_clock::now();
    s.seqs = seqs;
    return s;
}

void shadow_cache::commit(const sa_distribute_message& m, shadow s) {
    add_filters(m);
    s.filters_active = true;
    if (!m.replaces.empty()) {
        auto old = _shadows.find(m.replaces);
        if (old != _shadows.end()) {
            drop_filters(old->second);  // outbound now matches the new SA's filters
            _batching.refreshed_in_time();
        }
    }
    _shadows.emplace(m.tunnel, std::move(s));
}

bool shadow_cache::install_bundle(const sa_distribute_message& esp, const sa_distribute_message& ah,
                                  std::string* why) {
    auto say = [&](const char* text) {
        if (why) {
            *why = text;
        }
        return false;
    };
    // Each SA of the bundle numbers its packets from its own EZBDVIPA counter.
    auto esp_seqs = seqs_for(esp);
    auto ah_seqs = seqs_for(ah);
    cf_seq_source* esp_ptr = esp_seqs.get();
    cf_seq_source* ah_ptr = ah_seqs.get();
    auto esp_out = sa_of(esp, false), ah_out = sa_of(ah, false);
    auto esp_in = sa_of(esp, true), ah_in = sa_of(ah, true);
    auto out = ipsec::sa_bundle::create(esp_out, ah_out, std::move(esp_seqs), std::move(ah_seqs));
    auto in = ipsec::sa_bundle::create(esp_in, ah_in);
    for (auto* c : {&esp_out, &ah_out, &esp_in, &ah_in}) {
        OPENSSL_cleanse(c->key.data(), c->key.size());
    }
    if (!out || !in) {
        return say("KEYS DO NOT FIT THE ALGORITHM");
    }
    if (!_sad.add_inbound(ah.spi_in, 51, esp.dvipa, esp.peer, std::move(in))) {
        return say("INBOUND SPI ALREADY IN USE");
    }
    if (!_sad.add_inbound(esp.spi_in, 50, esp.dvipa, esp.peer, ipsec::sa_bundle::esp_alone(esp.spi_in))) {
        _sad.remove_inbound(ah.spi_in, 51, esp.dvipa, esp.peer);
        return say("INBOUND SPI ALREADY IN USE");
    }
    _sad.add_outbound(esp.tunnel, std::move(out));
    shadow s = shadow_from(esp, esp_ptr);
    s.protocol = 50;
    s.udp_encap = false;
    s.bundle = true;
    s.ah_spi_in = ah.spi_in;
    s.ah_spi_out = ah.spi_out;
    s.ah_seqs = ah_ptr;
    commit(esp, std::move(s));
    return true;
}

void shadow_cache::drop_filters(shadow& s) {
    if (s.filters_active) {
        _spd.remove_dynamic(s.tunnel);
        s.filters_active = false;
    }
}

bool shadow_cache::remove(const sa_delete_message& m) {
    if (auto half = _halves.find(m.tunnel);
        half != _halves.end() && half->second.spi_in == m.spi_in && half->second.protocol == m.protocol) {
        _halves.erase(half);  // a bundle that never became whole
        return true;
    }
    auto it = _shadows.find(m.tunnel);
    if (it == _shadows.end()) {
        return false;
    }
    auto& s = it->second;
    bool ours = s.spi_in == m.spi_in && s.protocol == m.protocol;
    if (s.bundle && m.protocol == 51) {
        ours = s.ah_spi_in == m.spi_in;  // either half's delete takes the bundle away
    }
    if (!ours) {
        return false;
    }
    if (m.reason == delete_reason::expired) {
        _batching.expired_unrefreshed();
    }
    drop_filters(s);
    remove_sas(s);
    _shadows.erase(it);
    return true;
}

std::size_t shadow_cache::remove_owner(const std::string& owner_system, std::uint32_t dvipa) {
    std::size_t n = 0;
    for (auto it = _shadows.begin(); it != _shadows.end();) {
        auto& s = it->second;
        if (s.owner_system == owner_system && s.dvipa == dvipa) {
            drop_filters(s);
            remove_sas(s);
            it = _shadows.erase(it);
            ++n;
        } else {
            ++it;
        }
    }
    std::erase_if(_halves, [&](const auto& h) { return h.second.owner_system == owner_system && h.second.dvipa == dvipa; });
    return n;
}

std::uint64_t shadow_cache::bytes_of(const shadow& s, std::uint64_t* packets) const {
    std::uint64_t b = 0, p = 0;
    if (auto* out = _sad.outbound(s.tunnel)) {
        b += out->bytes();
        p += out->packets();
    }
    if (auto* in = _sad.inbound(s.inbound_spi(), s.inbound_protocol(), s.dvipa, s.peer)) {
        b += in->bytes();
        p += in->packets();
    }
    if (packets) {
        *packets = p;
    }
    return b;
}

std::uint64_t shadow_cache::bytes_of(const std::string& tunnel) const {
    auto it = _shadows.find(tunnel);
    return it == _shadows.end() ? 0 : bytes_of(it->second, nullptr);
}

std::vector<lifesize_report_message> shadow_cache::collect_reports() {
    std::vector<lifesize_report_message> due;
    for (auto& [name, s] : _shadows) {
        if (s.lifesize == 0) {
            continue;
        }
        std::uint64_t packets = 0;
        std::uint64_t bytes = bytes_of(s, &packets);
        if (bytes - s.reported_bytes < _batching.threshold(s.lifesize)) {
            continue;
        }
        lifesize_report_message r;
        r.system = _o.system;
        r.stack = _o.stack;
        r.tunnel = name;
        r.dvipa = s.dvipa;
        r.protocol = s.protocol;
        r.spi_out = s.spi_out;
        r.bytes = bytes - s.reported_bytes;
        r.packets = packets - s.reported_packets;
        s.reported_bytes = bytes;
        s.reported_packets = packets;
        due.push_back(std::move(r));
    }
    return due;
}

const shadow* shadow_cache::find(const std::string& tunnel) const {
    auto it = _shadows.find(tunnel);
    return it == _shadows.end() ? nullptr : &it->second;
}

std::vector<ipsec::dynamic_tunnel_record> shadow_cache::display_records() const {
    std::vector<ipsec::dynamic_tunnel_record> out;
    for (const auto& [name, s] : _shadows) {
        ipsec::dynamic_tunnel_record r;
        r.tunnel_id = name;
        r.state = s.filters_active ? "Active" : "Pending delete";
        r.how_to_encap = s.mode == 1 ? "Tunnel" : "Transport";
        r.local_endpoint = addr(s.dvipa);
        r.remote_endpoint = addr(s.peer);
        r.local_address_base = addr(s.dvipa);
        r.remote_address_base = addr(s.peer);
        r.vpn_action = s.vpn_action.empty() ? "n/a" : s.vpn_action;
        for (const auto& f : s.filters) {
            if (f.direction != 0) {  // the outbound filter: local = the DVIPA side
                r.protocol = f.protocol;
                r.local_port = f.src_port_lo == f.src_port_hi ? f.src_port_lo : 0;
                r.remote_port = f.dst_port_lo == f.dst_port_hi ? f.dst_port_lo : 0;
                break;
            }
        }
        r.how_to_auth = s.protocol == 51 || s.bundle ? "AH" : "ESP";
        auto alg = static_cast<ipsec::algorithm>(s.alg);
        if (s.protocol == 51) {
            r.auth_algorithm = "Hmac_Sha2_256_128";
            r.encrypt_algorithm = "n/a";
            r.key_length = 0;
        } else {
            r.auth_algorithm = ipsec::is_aead(alg) ? "None" : "Hmac_Sha2";
            r.encrypt_algorithm = ipsec::algorithm_name(alg);
            r.key_length = static_cast<unsigned>(ipsec::cipher_key_length(alg) * 8);
        }
        r.inbound_spi = s.spi_in;
        r.outbound_spi = s.spi_out;
        if (auto* o = _sad.outbound(name)) {
            r.outbound_packets = o->packets();
            r.outbound_bytes = o->bytes();
        }
        if (auto* i = _sad.inbound(s.inbound_spi(), s.inbound_protocol(), s.dvipa, s.peer)) {
            r.inbound_packets = i->packets();
            r.inbound_bytes = i->bytes();
        }
        r.lifesize_kb = s.lifesize / 1024;
        r.lifesize_refresh_kb = _batching.threshold(s.lifesize) / 1024;
        r.refresh = s.installed;
        r.expires = s.lifetime_s ? s.installed + std::chrono::seconds(s.lifetime_s) : s.installed;
        r.vpn_life_expires = r.expires;
        r.udp_encap = s.udp_encap;
        r.distributed = true;
        r.shadow_of = s.owner_stack;
        r.seq_source = "CF";
        if (s.seqs) {
            r.seq_requests = s.seqs->stats().requests();
            r.seq_used = s.seqs->stats().used;
        }
        out.push_back(std::move(r));
    }
    return out;
}

std::size_t shadow_cache::esp_sa_lines(std::string& out) const {
    std::size_t n = 0;
    for (const auto& [tunnel, s] : _shadows) {
        if (s.protocol != 50) continue;
        auto alg = static_cast<ipsec::algorithm>(s.alg);
        // Transport mode: the packets' own addresses; tunnel mode: the outer header's.
        bool outer = s.mode == 1 && s.tunnel_src != 0 && s.tunnel_dst != 0;
        std::uint32_t local = outer ? s.tunnel_src : s.dvipa, remote = outer ? s.tunnel_dst : s.peer;
        bool in = ipsec::append_esp_sa_line(out, {remote, local, s.spi_in, alg, s.key_in});
        bool o = ipsec::append_esp_sa_line(out, {local, remote, s.spi_out, alg, s.key_out});
        if (in || o) ++n;
    }
    return n;
}

}  // namespace zplex::swsa
