// SPDX-License-Identifier: Apache-2.0
// One IKE engine (the responder) with an IKE SA already established under known keys
// and one CHILD SA, so that a test or a fuzz target can hand it any plaintext payload
// chain, protected the way the peer would protect it, and drive every exchange handler
// past SK decryption. Uses the engine's private header (tcpip-stack/src/ike).
#pragma once

#include "engine.hpp"
#include "wire.hpp"

#include <zplex/ike/keys.hpp>
#include <zplex/ike/peer.hpp>

#include <cstring>
#include <memory>

namespace zplex::ike::test {

class engine_fixture {
public:
    static constexpr std::uint64_t spi_i = 0x1111222233334444ull;  ///< the peer's (initiator)
    static constexpr std::uint64_t spi_r = 0x5555666677778888ull;  ///< ours (responder)
    static constexpr std::uint32_t local_addr = 0xc0000202;        // 192.0.2.2
    static constexpr std::uint32_t peer_addr = 0x0a000101;         // 10.0.1.1
    static constexpr std::uint32_t child_in = 0x0000c1a0, child_out = 0x0000c1b0;

    /// @p gcm: AES-GCM-16-256 for SK, else AES-CBC-256 with HMAC-SHA2-256-128.
    explicit engine_fixture(bool gcm = true) : e(config()) {
        auto s = std::make_unique<detail::ike_sa>();
        s->conn = &e.config().connections[0];
        s->spi_i = spi_i;
        s->spi_r = spi_r;
        s->initiator = false;
        s->state = detail::sa_state::established;
        s->local = endpoint{local_addr, 500};
        s->remote = endpoint{peer_addr, 500};
        s->suite = gcm ? ike_suite{encr_id::aes_gcm_16, 256, integ_id::none, prf_id::hmac_sha2_256, dh_group::ecp_256}
                       : ike_suite{encr_id::aes_cbc, 256, integ_id::hmac_sha2_256_128, prf_id::hmac_sha2_256,
                                   dh_group::ecp_256};
        const std::size_t ek = gcm ? 36 : 32;
        s->keys = ike_keys{key(32, 1), key(gcm ? 0 : 32, 2), key(gcm ? 0 : 32, 3), key(ek, 4), key(ek, 5),
                           key(32, 6), key(32, 7)};
        s->ni = bytes(32, 0x4e);
        s->nr = bytes(32, 0x52);
        s->expect_mid = 2;  // IKE_SA_INIT and IKE_AUTH are behind us
        s->next_mid = 0;
        detail::child_sa c;
        c.cfg = &s->conn->children[0];
        c.spi_in = child_in;
        c.spi_out = child_out;
        c.local_ts = c.cfg->local_ts;
        c.remote_ts = c.cfg->remote_ts;
        c.key_in = key(36, 8);
        c.key_out = key(36, 9);
        s->children.push_back(std::move(c));
        e.set_ciphers(*s);
        // The peer's sealing key: initiator to responder (SK_ei, SK_ai), RFC 7296 §2.14.
        peer_out = sk_cipher::create(s->suite.encr, s->suite.encr_key_bits, s->suite.integ, s->keys.sk_ei,
                                     s->keys.sk_ai);
        sa = s.get();
        e.sas()[spi_r] = std::move(s);
    }

    /// The responder's configuration: PSK, AES-GCM/CBC, one child 192.0.2.0/24 <-> 10.0.1.0/24.
    static peer_config config() {
        connection_config c;
        c.name = "b-from-a";
        c.local_addr = local_addr;
        c.remote_addr = peer_addr;
        c.local_id = identity::key_id("b");
        c.remote_id = identity::fqdn("a.zplex.test");
        c.psk = "zplex shared secret";
        ike_proposal cbc;
        cbc.encr = {{encr_id::aes_cbc, 256}};
        cbc.integ = {integ_id::hmac_sha2_256_128};
        c.proposals = {ike_proposal{}, cbc};
        child_config ch;
        ch.name = "net";
        ch.local_ts = {traffic_selector{0, 0, 65535, 0xc0000200, 0xc00002ff}};
        ch.remote_ts = {traffic_selector{0, 0, 65535, 0x0a000100, 0x0a0001ff}};
        ch.proposals[0].dh = {dh_group::ecp_256};
        c.children = {ch};
        peer_config p;
        p.connections = {c};
        return p;
    }

    /// A datagram from the peer: header, then SK { @p chain } sealed with the peer's key.
    /// @p chain is a plaintext payload chain whose first payload is @p first.
    datagram protect(exchange_type x, std::uint8_t flags, std::uint32_t mid, std::uint8_t first,
                     std::span<const std::uint8_t> chain) const {
        const std::size_t block = peer_out->block_size(), iv = peer_out->iv_size(), icv = peer_out->icv_size();
        bytes plain(chain.begin(), chain.end());
        std::size_t pad = (block - (plain.size() + 1) % block) % block;
        plain.insert(plain.end(), pad, 0);
        plain.push_back(static_cast<std::uint8_t>(pad));
        bytes b(28 + 4 + iv + plain.size() + icv);
        detail::put64(b.data(), spi_i);
        detail::put64(b.data() + 8, spi_r);
        b[16] = static_cast<std::uint8_t>(payload_type::sk);
        b[17] = 0x20;
        b[18] = static_cast<std::uint8_t>(x);
        b[19] = flags;
        detail::put32(b.data() + 20, mid);
        detail::put32(b.data() + 24, static_cast<std::uint32_t>(b.size()));
        b[28] = first;
        detail::put16(b.data() + 30, static_cast<std::uint16_t>(b.size() - 28));
        std::memcpy(b.data() + 32 + iv, plain.data(), plain.size());
        std::span<std::uint8_t> all(b);
        peer_out->seal(all.subspan(0, 32), all.subspan(32, iv), all.subspan(32 + iv, plain.size()),
                       all.subspan(32 + iv + plain.size(), icv));
        return datagram{endpoint{peer_addr, 500}, endpoint{local_addr, 500}, std::move(b)};
    }

    /// A request from the peer carrying @p m's payloads (encoded in the clear, then sealed).
    datagram request(const message& m, std::uint32_t mid) const {
        bytes clear = encode(m);  // header (28) + chain
        std::span<const std::uint8_t> chain(clear);
        return protect(m.exchange, header_flags::initiator, mid, clear.size() > 16 ? clear[16] : 0,
                       chain.subspan(28));
    }

    output deliver(const datagram& d) { return e.receive(d, now); }

    /// Received payloads of a datagram the engine sent (opened with the peer's key), or an empty message.
    message open_reply(const datagram& d) const {
        auto in = sk_cipher::create(sa->suite.encr, sa->suite.encr_key_bits, sa->suite.integ, sa->keys.sk_er,
                                    sa->keys.sk_ar);
        auto dec = decode(d.data);
        if (!dec.ok() || !sk_open(dec, d.data, *in)) {
            return {};
        }
        return dec.msg;
    }

    detail::engine e;
    detail::ike_sa* sa = nullptr;  ///< owned by e
    std::unique_ptr<sk_cipher> peer_out;
    time_point now{std::chrono::seconds(5000)};

private:
    static secret key(std::size_t n, std::uint8_t seed) {
        bytes b(n);
        for (std::size_t i = 0; i < n; ++i) {
            b[i] = static_cast<std::uint8_t>(seed * 31 + i);
        }
        return secret(std::move(b));
    }
};

}  // namespace zplex::ike::test
