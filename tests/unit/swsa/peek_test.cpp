// SPDX-License-Identifier: Apache-2.0
// The owner's peek: for every ESP algorithm (AES-GCM, AES-CBC+HMAC, ESP-NULL) and AH,
// transport and tunnel mode, packets the real ESP/AH code protected are peeked to
// their connection (addresses, ports, SYN) without being changed; cut packets are
// refused or read safely.
#include <zplex/ipsec/ah.hpp>
#include <zplex/ipsec/bundle.hpp>
#include <zplex/ipsec/esp.hpp>
#include <zplex/swsa/peek.hpp>
#include <zplex/sysplex/byte_order.hpp>

#include <gtest/gtest.h>

#include <vector>

namespace zplex::swsa {
namespace {

constexpr std::uint32_t dva1 = 0xc6120201;
constexpr std::uint32_t peer = 0xc6120065;

std::vector<std::uint8_t> tcp(std::uint16_t sport, std::uint16_t dport, std::uint8_t flags, std::size_t data) {
    std::vector<std::uint8_t> b(40 + data, 0x33);
    b[0] = 0x45;
    b[1] = 0;
    sysplex::put16(&b[2], static_cast<std::uint16_t>(b.size()));
    sysplex::put16(&b[6], 0);
    b[8] = 64;
    b[9] = 6;
    sysplex::put32(&b[12], peer);
    sysplex::put32(&b[16], dva1);
    std::uint32_t sum = 0;
    sysplex::put16(&b[10], 0);
    for (int i = 0; i < 20; i += 2) sum += sysplex::get16(&b[i]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    sysplex::put16(&b[10], static_cast<std::uint16_t>(~sum));
    sysplex::put16(&b[20], sport);
    sysplex::put16(&b[22], dport);
    b[32] = 0x50;
    b[33] = flags;
    return b;
}

struct shape {
    const char* name;
    std::uint8_t protocol;
    ipsec::algorithm alg;
    ipsec::sa_mode mode;
    std::size_t key_len;
};

TEST(swsa_peek, every_algorithm_and_mode_peeks_to_the_connection_without_changing_the_packet) {
    const shape shapes[] = {
        {"ESP AES-GCM-128 transport", 50, ipsec::algorithm::aes_gcm_128, ipsec::sa_mode::transport, 20},
        {"ESP AES-GCM-256 tunnel", 50, ipsec::algorithm::aes_gcm_256, ipsec::sa_mode::tunnel, 36},
        {"ESP AES-CBC-128+HMAC-SHA-256 transport", 50, ipsec::algorithm::aes_cbc_128_hmac_sha256,
         ipsec::sa_mode::transport, 48},
        {"ESP AES-CBC-256+HMAC-SHA-512 tunnel", 50, ipsec::algorithm::aes_cbc_256_hmac_sha512, ipsec::sa_mode::tunnel,
         96},
        {"ESP-NULL HMAC-SHA-256 transport (no decryption)", 50, ipsec::algorithm::null_hmac_sha256,
         ipsec::sa_mode::transport, 32},
        {"ESP-NULL HMAC-SHA-384 tunnel (no decryption)", 50, ipsec::algorithm::null_hmac_sha384,
         ipsec::sa_mode::tunnel, 48},
        {"AH HMAC-SHA-256 transport", 51, ipsec::algorithm::aes_gcm_128, ipsec::sa_mode::transport, 32},
        {"AH HMAC-SHA-256 tunnel", 51, ipsec::algorithm::aes_gcm_128, ipsec::sa_mode::tunnel, 32},
    };
    for (const auto& s : shapes) {
        SCOPED_TRACE(s.name);
        ipsec::sa_config c;
        c.spi = 0x4a110005;
        c.alg = s.alg;
        c.mode = s.mode;
        c.tunnel_src = peer;
        c.tunnel_dst = dva1;
        for (std::size_t i = 0; i < s.key_len; ++i) c.key.push_back(static_cast<std::uint8_t>(7 * i + 1));
        std::unique_ptr<ipsec::security_association> sa;
        if (s.protocol == 51) sa = ipsec::ah_sa::create(c);
        else sa = ipsec::esp_sa::create(c);
        ASSERT_NE(sa, nullptr);
        auto pk = peeker::create(s.protocol, s.alg, s.mode, c.key);
        ASSERT_NE(pk, nullptr);
        for (std::size_t data : {0u, 1u, 15u, 100u, 1400u}) {
            for (std::uint8_t flags : {std::uint8_t{0x02}, std::uint8_t{0x18}}) {
                auto plain = tcp(40001, 60, flags, data);
                ipsec::packet p;
                ASSERT_TRUE(p.assign(plain));
                ASSERT_EQ(sa->encapsulate(p), ipsec::drop::none);
                std::vector<std::uint8_t> wire(p.view().begin(), p.view().end());
                peek_result r;
                ASSERT_TRUE(pk->peek(wire, r)) << data;
                EXPECT_EQ(r.spi, 0x4a110005u);
                EXPECT_GE(r.seq, 1u);
                EXPECT_EQ(r.protocol, 6);
                EXPECT_EQ(r.src, peer);
                EXPECT_EQ(r.dst, dva1);
                EXPECT_EQ(r.src_port, 40001);
                EXPECT_EQ(r.dst_port, 60);
                EXPECT_EQ(r.tcp_flags, flags);
                EXPECT_EQ(std::vector<std::uint8_t>(p.view().begin(), p.view().end()), wire) << "nothing changed";
                for (std::size_t cut = 0; cut < wire.size(); cut += 7) {
                    (void)pk->peek(std::span(wire).first(cut), r);  // refused or read in bounds
                }
            }
        }
    }
    EXPECT_EQ(peeker::create(50, ipsec::algorithm::aes_gcm_128, ipsec::sa_mode::transport,
                             std::vector<std::uint8_t>(19, 1)),
              nullptr)
        << "a key that does not fit";
    EXPECT_EQ(peeker::create(6, ipsec::algorithm::aes_gcm_128, ipsec::sa_mode::transport,
                             std::vector<std::uint8_t>(20, 1)),
              nullptr);
}

TEST(swsa_peek, an_ah_esp_bundle_is_peeked_behind_ah_at_the_offset_of_the_esp_mode) {
    struct bundle_shape {
        const char* name;
        ipsec::algorithm alg;
        ipsec::sa_mode mode;
        std::size_t ah_key_len;
        std::size_t tcp_at;  // IP 20, AH 12 + ICV, ESP 8 + IV, tunnel: inner IP 20
    };
    const bundle_shape shapes[] = {
        {"AH-SHA-256 + ESP AES-GCM-128 transport", ipsec::algorithm::aes_gcm_128, ipsec::sa_mode::transport, 32,
         20 + 28 + 8 + 8},
        {"AH-SHA-256 + ESP AES-GCM-128 tunnel", ipsec::algorithm::aes_gcm_128, ipsec::sa_mode::tunnel, 32,
         20 + 28 + 8 + 8 + 20},
        {"AH-SHA-512 + ESP AES-CBC-256+HMAC-SHA-256 transport", ipsec::algorithm::aes_cbc_256_hmac_sha256,
         ipsec::sa_mode::transport, 64, 20 + 44 + 8 + 16},
        {"AH-SHA-384 + ESP AES-CBC-128+HMAC-SHA-256 tunnel", ipsec::algorithm::aes_cbc_128_hmac_sha256,
         ipsec::sa_mode::tunnel, 48, 20 + 36 + 8 + 16 + 20},
        {"AH-SHA-256 + ESP-NULL transport", ipsec::algorithm::null_hmac_sha256, ipsec::sa_mode::transport, 32,
         20 + 28 + 8},
        {"AH-SHA-256 + ESP-NULL tunnel", ipsec::algorithm::null_hmac_sha256, ipsec::sa_mode::tunnel, 32,
         20 + 28 + 8 + 20},
    };
    for (const auto& s : shapes) {
        SCOPED_TRACE(s.name);
        ipsec::sa_config esp, ah;
        esp.spi = 0x4a110050;
        esp.alg = s.alg;
        esp.mode = s.mode;
        esp.tunnel_src = peer;
        esp.tunnel_dst = dva1;
        for (std::size_t i = 0; i < ipsec::key_length(s.alg); ++i) esp.key.push_back(static_cast<std::uint8_t>(3 * i + 1));
        ah.spi = 0x4a110051;
        for (std::size_t i = 0; i < s.ah_key_len; ++i) ah.key.push_back(static_cast<std::uint8_t>(5 * i + 2));
        auto sa = ipsec::sa_bundle::create(esp, ah);
        ASSERT_NE(sa, nullptr);
        auto pk = peeker::create_bundle(s.alg, s.mode, esp.key);
        ASSERT_NE(pk, nullptr);
        for (std::size_t data : {0u, 15u, 1400u}) {
            for (std::uint8_t flags : {std::uint8_t{0x02}, std::uint8_t{0x18}}) {
                auto plain = tcp(40002, 61, flags, data);
                ipsec::packet p;
                ASSERT_TRUE(p.assign(plain));
                ASSERT_EQ(sa->encapsulate(p), ipsec::drop::none);
                std::vector<std::uint8_t> wire(p.view().begin(), p.view().end());
                peek_result r;
                ASSERT_TRUE(pk->peek(wire, r)) << data;
                EXPECT_EQ(r.spi, 0x4a110051u) << "the outer (AH) SPI";
                EXPECT_EQ(r.protocol, 6);
                EXPECT_EQ(r.src, peer);
                EXPECT_EQ(r.dst, dva1);
                EXPECT_EQ(r.src_port, 40002);
                EXPECT_EQ(r.dst_port, 61);
                EXPECT_EQ(r.tcp_flags, flags);
                EXPECT_EQ(r.offset, s.tcp_at);
                if (s.alg == ipsec::algorithm::null_hmac_sha256) {
                    EXPECT_EQ(sysplex::get16(&wire[r.offset]), 40002) << "ESP-NULL: the TCP header is there";
                }
                EXPECT_EQ(std::vector<std::uint8_t>(p.view().begin(), p.view().end()), wire) << "nothing changed";
                for (std::size_t cut = 0; cut < wire.size(); cut += 7) {
                    (void)pk->peek(std::span(wire).first(cut), r);
                }
            }
        }
        // ESP alone is not this bundle's shape.
        auto esp_only = ipsec::esp_sa::create(esp);
        ipsec::packet q;
        ASSERT_TRUE(q.assign(tcp(40002, 61, 0x02, 0)));
        ASSERT_EQ(esp_only->encapsulate(q), ipsec::drop::none);
        peek_result r;
        EXPECT_FALSE(pk->peek(q.view(), r));
    }
}

}  // namespace
}  // namespace zplex::swsa
