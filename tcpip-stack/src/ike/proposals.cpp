// SPDX-License-Identifier: Apache-2.0
// Proposal construction and selection (RFC 7296 §2.7, §3.3) and traffic selector
// narrowing (§2.9); CHILD SA keys laid out for the data plane (§2.17).
#include "engine.hpp"

#include <algorithm>

namespace zplex::ike::detail {

namespace {

void add(std::vector<transform>& ts, transform_type type, std::uint16_t id,
         std::optional<std::uint16_t> bits = std::nullopt) {
    ts.push_back(transform{type, id, bits});
}

bool offers(const proposal& p, transform_type type, std::uint16_t id, std::optional<std::uint16_t> bits) {
    return std::any_of(p.transforms.begin(), p.transforms.end(), [&](const transform& t) {
        return t.type == type && t.id == id && (t.type != transform_type::encr || t.key_length == bits);
    });
}

bool has_type(const proposal& p, transform_type type) {
    return std::any_of(p.transforms.begin(), p.transforms.end(), [&](const transform& t) { return t.type == type; });
}

/// The single transform of @p type in a reply; false if missing or repeated.
bool single(const proposal& p, transform_type type, const transform*& out) {
    out = nullptr;
    for (const auto& t : p.transforms) {
        if (t.type == type) {
            if (out) {
                return false;
            }
            out = &t;
        }
    }
    return out != nullptr;
}

/// What the ESP data plane can run.
bool esp_supported(std::uint16_t encr, std::uint16_t bits, std::uint16_t integ) {
    if (bits != 128 && bits != 256) {
        return false;
    }
    return (encr == encr_id::aes_gcm_16 && integ == integ_id::none) ||
           (encr == encr_id::aes_cbc && (integ == integ_id::hmac_sha2_256_128 || integ == integ_id::hmac_sha2_384_192 ||
                                         integ == integ_id::hmac_sha2_512_256));
}

}  // namespace

sa_payload engine::ike_offer(const connection_config& c, bytes spi) {
    sa_payload sa;
    std::uint8_t n = 1;
    for (const auto& p : c.proposals) {
        proposal pr{n++, protocol_id::ike, spi, {}};
        for (auto [id, bits] : p.encr) {
            add(pr.transforms, transform_type::encr, id, bits);
        }
        for (auto id : p.prf) {
            add(pr.transforms, transform_type::prf, id);
        }
        for (auto id : p.integ) {
            add(pr.transforms, transform_type::integ, id);
        }
        for (auto id : p.dh) {
            add(pr.transforms, transform_type::dh, id);
        }
        sa.proposals.push_back(std::move(pr));
    }
    return sa;
}

sa_payload engine::esp_offer(const child_config& c, std::uint32_t spi, bool with_dh) {
    sa_payload sa;
    std::uint8_t n = 1;
    bytes s{static_cast<std::uint8_t>(spi >> 24), static_cast<std::uint8_t>(spi >> 16),
            static_cast<std::uint8_t>(spi >> 8), static_cast<std::uint8_t>(spi)};
    for (const auto& p : c.proposals) {
        proposal pr{n++, protocol_id::esp, s, {}};
        for (auto [id, bits] : p.encr) {
            add(pr.transforms, transform_type::encr, id, bits);
        }
        for (auto id : p.integ) {
            add(pr.transforms, transform_type::integ, id);
        }
        if (with_dh) {
            for (auto id : p.dh) {
                add(pr.transforms, transform_type::dh, id);
            }
        }
        if (p.esn) {
            add(pr.transforms, transform_type::esn, 1);
        }
        add(pr.transforms, transform_type::esn, 0);
        sa.proposals.push_back(std::move(pr));
    }
    return sa;
}

/// RFC 7296 §3.3.1: an offer's proposals are numbered 1, 2, 3 (the decoder checks
/// that they follow each other; an offer must also start at one).
static bool numbered_from_one(const sa_payload& offered) noexcept {
    return !offered.proposals.empty() && offered.proposals[0].number == 1;
}

bool engine::select_ike(const connection_config& c, const sa_payload& offered, proposal& chosen, ike_suite& s) {
    if (!numbered_from_one(offered)) {
        return false;
    }
    for (const auto& mine : c.proposals) {
        for (const auto& p : offered.proposals) {
            if (p.protocol != protocol_id::ike) {
                continue;
            }
            ike_suite r;
            bool got_encr = false, got_prf = false, got_dh = false, got_integ = mine.integ.empty();
            for (auto [id, bits] : mine.encr) {
                if (!got_encr && offers(p, transform_type::encr, id, bits)) {
                    r.encr = id;
                    r.encr_key_bits = bits;
                    got_encr = true;
                }
            }
            for (auto id : mine.prf) {
                if (!got_prf && offers(p, transform_type::prf, id, std::nullopt)) {
                    r.prf = id;
                    got_prf = true;
                }
            }
            for (auto id : mine.integ) {
                if (!got_integ && offers(p, transform_type::integ, id, std::nullopt)) {
                    r.integ = id;
                    got_integ = true;
                }
            }
            if (mine.integ.empty()) {
                // AEAD: the offer must not insist on integrity (NONE is fine).
                r.integ = integ_id::none;
                if (has_type(p, transform_type::integ) && !offers(p, transform_type::integ, 0, std::nullopt)) {
                    got_integ = false;
                }
            }
            for (auto id : mine.dh) {
                if (!got_dh && offers(p, transform_type::dh, id, std::nullopt)) {
                    r.dh = id;
                    got_dh = true;
                }
            }
            cipher_sizes cs;
            if (got_encr && got_prf && got_integ && got_dh &&
                cipher_sizes_of(r.encr, r.encr_key_bits, r.integ, cs) && prf_size(r.prf)) {
                chosen = proposal{p.number, protocol_id::ike, p.spi, {}};  // the offer's own SPI
                add(chosen.transforms, transform_type::encr, r.encr, r.encr_key_bits);
                add(chosen.transforms, transform_type::prf, r.prf);
                if (r.integ != integ_id::none) {
                    add(chosen.transforms, transform_type::integ, r.integ);
                }
                add(chosen.transforms, transform_type::dh, r.dh);
                s = r;
                return true;
            }
        }
    }
    return false;
}

bool engine::select_esp(const child_config& c, const sa_payload& offered, bool want_dh, proposal& chosen,
                        esp_suite& s) {
    if (!numbered_from_one(offered)) {
        return false;
    }
    for (const auto& mine : c.proposals) {
        for (const auto& p : offered.proposals) {
            if (p.protocol != protocol_id::esp || p.spi.size() != 4) {
                continue;
            }
            esp_suite r;
            bool got_encr = false, got_integ = false;
            for (auto [id, bits] : mine.encr) {
                if (got_encr || !offers(p, transform_type::encr, id, bits)) {
                    continue;
                }
                if (id == encr_id::aes_gcm_16) {
                    if (!has_type(p, transform_type::integ) || offers(p, transform_type::integ, 0, std::nullopt)) {
                        r.encr = id, r.key_bits = bits, r.integ = integ_id::none;
                        got_encr = got_integ = true;
                    }
                } else {
                    for (auto i : mine.integ) {
                        if (!got_integ && esp_supported(id, bits, i) && offers(p, transform_type::integ, i, std::nullopt)) {
                            r.encr = id, r.key_bits = bits, r.integ = i;
                            got_encr = got_integ = true;
                        }
                    }
                }
            }
            if (!got_encr || !got_integ || !esp_supported(r.encr, r.key_bits, r.integ)) {
                continue;
            }
            // ESN: prefer what we asked for; no ESN transform at all means none.
            if (mine.esn && offers(p, transform_type::esn, 1, std::nullopt)) {
                r.esn = true;
            } else if (has_type(p, transform_type::esn) && !offers(p, transform_type::esn, 0, std::nullopt)) {
                continue;
            }
            // PFS (CREATE_CHILD_SA only; IKE_AUTH ignores D-H transforms, RFC 7296 §1.2).
            bool got_dh = true;
            if (want_dh) {
                got_dh = false;
                auto groups = mine.dh;
                for (const auto& t : p.transforms) {
                    if (groups.empty() && t.type == transform_type::dh && dh_public_size(t.id)) {
                        groups.push_back(t.id);  // no PFS configured: accept the peer's choice
                    }
                }
                for (auto g : groups) {
                    if (!got_dh && offers(p, transform_type::dh, g, std::nullopt)) {
                        r.dh = g;
                        got_dh = true;
                    }
                }
            }
            if (!got_dh) {
                continue;
            }
            chosen = proposal{p.number, protocol_id::esp, p.spi, {}};  // the offer's own SPI (4 bytes)
            add(chosen.transforms, transform_type::encr, r.encr, r.key_bits);
            if (r.integ != integ_id::none) {
                add(chosen.transforms, transform_type::integ, r.integ);
            }
            if (r.dh != dh_group::none) {
                add(chosen.transforms, transform_type::dh, r.dh);
            }
            add(chosen.transforms, transform_type::esn, r.esn ? 1 : 0);
            s = r;
            return true;
        }
    }
    return false;
}

bool engine::accept_ike(const sa_payload& ours, const sa_payload& reply, ike_suite& s) {
    if (reply.proposals.size() != 1) {
        return false;
    }
    const auto& p = reply.proposals[0];
    const transform *e = nullptr, *f = nullptr, *d = nullptr, *i = nullptr;
    if (p.protocol != protocol_id::ike || !single(p, transform_type::encr, e) || !single(p, transform_type::prf, f) ||
        !single(p, transform_type::dh, d) || !e->key_length) {
        return false;
    }
    single(p, transform_type::integ, i);
    // Every chosen transform must be one we offered in that proposal.
    auto it = std::find_if(ours.proposals.begin(), ours.proposals.end(),
                           [&](const proposal& o) { return o.number == p.number; });
    if (it == ours.proposals.end()) {
        return false;
    }
    for (const auto& t : p.transforms) {
        if (!offers(*it, t.type, t.id, t.key_length) && !(t.type == transform_type::integ && t.id == 0)) {
            return false;
        }
    }
    s = ike_suite{e->id, *e->key_length, i ? i->id : integ_id::none, f->id, d->id};
    cipher_sizes cs;
    return cipher_sizes_of(s.encr, s.encr_key_bits, s.integ, cs) && prf_size(s.prf);
}

bool engine::accept_esp(const sa_payload& reply, esp_suite& s, std::uint32_t& spi_out) {
    if (reply.proposals.size() != 1) {
        return false;
    }
    const auto& p = reply.proposals[0];
    const transform *e = nullptr, *i = nullptr, *d = nullptr, *n = nullptr;
    if (p.protocol != protocol_id::esp || p.spi.size() != 4 || !single(p, transform_type::encr, e) ||
        !e->key_length) {
        return false;
    }
    single(p, transform_type::integ, i);
    single(p, transform_type::dh, d);
    single(p, transform_type::esn, n);
    s = esp_suite{e->id, *e->key_length, i ? i->id : integ_id::none, d ? d->id : dh_group::none, n && n->id == 1};
    spi_out = std::uint32_t{p.spi[0]} << 24 | std::uint32_t{p.spi[1]} << 16 | std::uint32_t{p.spi[2]} << 8 | p.spi[3];
    return esp_supported(s.encr, s.key_bits, s.integ) && spi_out != 0;
}

bool engine::narrow(const std::vector<traffic_selector>& proposed, const std::vector<traffic_selector>& allowed,
                    std::vector<traffic_selector>& out) {
    out.clear();
    for (const auto& p : proposed) {
        for (const auto& a : allowed) {
            traffic_selector r;
            if (p.ip_protocol == 0) {
                r.ip_protocol = a.ip_protocol;
            } else if (a.ip_protocol == 0 || a.ip_protocol == p.ip_protocol) {
                r.ip_protocol = p.ip_protocol;
            } else {
                continue;
            }
            r.start_port = std::max(p.start_port, a.start_port);
            r.end_port = std::min(p.end_port, a.end_port);
            r.start_addr = std::max(p.start_addr, a.start_addr);
            r.end_addr = std::min(p.end_addr, a.end_addr);
            if (r.start_port > r.end_port || r.start_addr > r.end_addr) {
                continue;
            }
            if (std::find(out.begin(), out.end(), r) == out.end()) {
                out.push_back(r);
            }
        }
    }
    return !out.empty();
}

bool engine::install_child(ike_sa& sa, child_sa& c, std::span<const std::uint8_t> shared,
                           std::span<const std::uint8_t> ni, std::span<const std::uint8_t> nr, bool we_initiated) {
    const bool gcm = c.suite.encr == encr_id::aes_gcm_16;
    const std::size_t ek = c.suite.key_bits / 8u + (gcm ? 4u : 0u);
    std::size_t ik = 0, icv = 0;
    if (!gcm && !integ_sizes(c.suite.integ, ik, icv)) {
        return false;
    }
    const std::size_t half = ek + ik;
    secret km = child_keymat(sa.suite.prf, sa.keys.sk_d.view(), shared, ni, nr, 2 * half);
    if (km.size() != 2 * half) {
        return false;
    }
    // RFC 7296 §2.17: initiator-to-responder keys first (encryption, then integrity),
    // which is the data plane's layout (AES key [|| salt] [|| HMAC key]).
    secret i2r(km.data(), half), r2i(km.data() + half, half);
    c.key_out = we_initiated ? i2r : r2i;
    c.key_in = we_initiated ? r2i : i2r;
    return true;
}

child_sa_info engine::info(const ike_sa& sa, const child_sa& c) const {
    child_sa_info i;
    i.name = c.cfg ? c.cfg->name : std::string{};
    i.spi_in = c.spi_in;
    i.spi_out = c.spi_out;
    i.local_ts = c.local_ts;
    i.remote_ts = c.remote_ts;
    ipsec::algorithm alg;
    if (c.suite.encr == encr_id::aes_gcm_16) {
        alg = c.suite.key_bits == 128 ? ipsec::algorithm::aes_gcm_128 : ipsec::algorithm::aes_gcm_256;
    } else {
        bool k128 = c.suite.key_bits == 128;
        switch (c.suite.integ) {
        case integ_id::hmac_sha2_384_192:
            alg = k128 ? ipsec::algorithm::aes_cbc_128_hmac_sha384 : ipsec::algorithm::aes_cbc_256_hmac_sha384;
            break;
        case integ_id::hmac_sha2_512_256:
            alg = k128 ? ipsec::algorithm::aes_cbc_128_hmac_sha512 : ipsec::algorithm::aes_cbc_256_hmac_sha512;
            break;
        default:
            alg = k128 ? ipsec::algorithm::aes_cbc_128_hmac_sha256 : ipsec::algorithm::aes_cbc_256_hmac_sha256;
        }
    }
    for (auto* s : {&i.inbound, &i.outbound}) {
        s->alg = alg;
        s->mode = c.mode;
        s->esn = c.suite.esn;
        s->replay_window = c.cfg ? c.cfg->replay_window : 64;
        s->udp_encap = sa.nat_local || sa.nat_remote;
        s->udp_src = sa.local.port;   // zplex::ipsec: udp_src is this side's port both ways
        s->udp_dst = sa.remote.port;
    }
    i.inbound.spi = c.spi_in;
    i.inbound.key = c.key_in.raw();
    i.inbound.tunnel_src = sa.remote.addr;  // as the packet arrives
    i.inbound.tunnel_dst = sa.local.addr;
    i.outbound.spi = c.spi_out;
    i.outbound.key = c.key_out.raw();
    i.outbound.tunnel_src = sa.local.addr;
    i.outbound.tunnel_dst = sa.remote.addr;
    return i;
}

}  // namespace zplex::ike::detail
