// SPDX-License-Identifier: Apache-2.0
// AH+ESP bundles: the header order on the wire, round trips in transport and tunnel
// mode, each SA's own sequence numbers, and the packets a bundle refuses.
#include <zplex/ipsec/bundle.hpp>
#include <zplex/ipsec/sad.hpp>

#include "hex.hpp"

#include <gtest/gtest.h>

#include <string>

namespace zplex::ipsec {
namespace {

using zplex::test::hex;
using zplex::test::range;

constexpr std::uint32_t esp_spi = 0x1000;
constexpr std::uint32_t ah_spi = 0x2000;

/// UDP 198.18.0.200 -> 198.18.2.1 carrying "zplex!!!" and @p extra more bytes.
std::vector<std::uint8_t> udp_packet(std::size_t extra = 0) {
    std::vector<std::uint8_t> ip = hex("450000240001000040110000c61200c8c6120201");
    auto udp = hex("0035003500100000");
    ip.insert(ip.end(), udp.begin(), udp.end());
    std::string data = "zplex!!!" + std::string(extra, 'x');
    ip.insert(ip.end(), data.begin(), data.end());
    ip[2] = static_cast<std::uint8_t>(ip.size() >> 8);
    ip[3] = static_cast<std::uint8_t>(ip.size());
    ip[24] = static_cast<std::uint8_t>((ip.size() - 20) >> 8);
    ip[25] = static_cast<std::uint8_t>(ip.size() - 20);
    std::uint32_t sum = 0;  // the header checksum, as transport mode restores it
    for (std::size_t i = 0; i < 20; i += 2) sum += std::uint32_t{ip[i]} << 8 | ip[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    ip[10] = static_cast<std::uint8_t>(~sum >> 8);
    ip[11] = static_cast<std::uint8_t>(~sum);
    return ip;
}

sa_config esp_config(algorithm alg, sa_mode mode) {
    sa_config c;
    c.spi = esp_spi;
    c.alg = alg;
    c.mode = mode;
    c.key = range(0, static_cast<int>(cipher_key_length(alg)));
    auto tail = is_aead(alg) ? hex("cafebabe") : range(64, static_cast<int>(second_key_length(alg)));
    c.key.insert(c.key.end(), tail.begin(), tail.end());
    c.tunnel_src = 0xc612000b;  // 198.18.0.11
    c.tunnel_dst = 0xc61200c8;  // 198.18.0.200
    return c;
}

sa_config ah_config() {
    sa_config c;
    c.spi = ah_spi;
    c.key = range(0x40, 32);
    return c;
}

std::uint32_t be32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

TEST(ipsec_bundle, ah_outside_esp_inside_round_trips_in_transport_and_tunnel_mode) {
    for (auto alg : {algorithm::aes_gcm_128, algorithm::aes_cbc_256_hmac_sha256, algorithm::null_hmac_sha256}) {
        for (auto mode : {sa_mode::transport, sa_mode::tunnel}) {
            SCOPED_TRACE(std::string(algorithm_name(alg)) + (mode == sa_mode::tunnel ? " tunnel" : " transport"));
            auto out = sa_bundle::create(esp_config(alg, mode), ah_config());
            auto in = sa_bundle::create(esp_config(alg, mode), ah_config());
            ASSERT_TRUE(out && in);
            EXPECT_EQ(out->spi(), ah_spi);
            EXPECT_EQ(out->esp_spi(), esp_spi);
            for (std::uint32_t i = 1; i <= 3; ++i) {
                auto plain = udp_packet(i * 300);
                packet p;
                ASSERT_TRUE(p.assign(plain));
                ASSERT_EQ(out->encapsulate(p), drop::none);
                const std::uint8_t* ip = p.data();
                // RFC 4301 §4.5: IP|AH|ESP|..., AH's next header ESP, each SA's number.
                EXPECT_EQ(ip[9], 51);
                const std::uint8_t* ah = ip + 20;
                EXPECT_EQ(ah[0], 50);
                EXPECT_EQ(be32(ah + 4), ah_spi);
                EXPECT_EQ(be32(ah + 8), i);
                const std::uint8_t* esp = ah + (std::size_t{ah[1]} + 2) * 4;
                EXPECT_EQ(be32(esp), esp_spi);
                EXPECT_EQ(be32(esp + 4), i);
                if (mode == sa_mode::tunnel) {
                    EXPECT_EQ(be32(ip + 12), 0xc612000bu);
                    EXPECT_EQ(be32(ip + 16), 0xc61200c8u);
                } else {
                    EXPECT_EQ(be32(ip + 12), be32(plain.data() + 12));
                }
                ASSERT_EQ(in->decapsulate(p), drop::none);
                EXPECT_EQ(std::vector<std::uint8_t>(p.data(), p.data() + p.len), plain);
            }
            EXPECT_EQ(in->packets(), 3u);
            EXPECT_EQ(in->drops().total(), 0u);
        }
    }
}

TEST(ipsec_bundle, each_sa_of_the_bundle_draws_its_own_sequence_numbers) {
    auto esp_seqs = std::make_unique<local_seq_source>(false);
    esp_seqs->set_next(500);
    auto out = sa_bundle::create(esp_config(algorithm::aes_gcm_128, sa_mode::transport), ah_config(),
                                 std::move(esp_seqs), nullptr);
    auto in = sa_bundle::create(esp_config(algorithm::aes_gcm_128, sa_mode::transport), ah_config());
    ASSERT_TRUE(out && in);
    for (std::uint32_t i = 0; i < 4; ++i) {
        packet p;
        ASSERT_TRUE(p.assign(udp_packet()));
        ASSERT_EQ(out->encapsulate(p), drop::none);
        EXPECT_EQ(be32(p.data() + 20 + 8), 1 + i) << "AH";
        EXPECT_EQ(be32(p.data() + 20 + 28 + 4), 500 + i) << "ESP";
        ASSERT_EQ(in->decapsulate(p), drop::none);
    }
}

TEST(ipsec_bundle, esp_without_its_ah_is_dropped_and_counted) {
    auto esp_c = esp_config(algorithm::aes_cbc_128_hmac_sha256, sa_mode::tunnel);
    sad db;
    ASSERT_TRUE(db.add_inbound(ah_spi, 51, 0xc612000b, std::nullopt, sa_bundle::create(esp_c, ah_config())));
    ASSERT_TRUE(db.add_inbound(esp_spi, 50, 0xc612000b, std::nullopt, sa_bundle::esp_alone(esp_spi)));

    // The bundle's own ESP SA, applied alone: the packet verifies under ESP's keys but
    // its policy says AH+ESP.
    auto esp_only = esp_sa::create(esp_c);
    packet p;
    ASSERT_TRUE(p.assign(udp_packet()));
    ASSERT_EQ(esp_only->encapsulate(p), drop::none);
    auto* by_esp = db.inbound(esp_spi, 50, 0xc612000b, 0xc61200c8);
    ASSERT_TRUE(by_esp);
    EXPECT_EQ(by_esp->decapsulate(p), drop::bundle);
    EXPECT_EQ(by_esp->drops()[drop::bundle], 1u);

    // The same packet handed to the bundle itself (as if found by its AH SPI): refused.
    auto* bundle = db.inbound(ah_spi, 51, 0xc612000b, 0xc61200c8);
    ASSERT_TRUE(bundle);
    EXPECT_EQ(bundle->decapsulate(p), drop::bundle);
    EXPECT_EQ(bundle->drops()[drop::bundle], 1u);

    // AH alone (no ESP under it): AH verifies, the bundle still refuses it.
    auto ah_only = ah_sa::create(ah_config());
    packet q;
    ASSERT_TRUE(q.assign(udp_packet()));
    ASSERT_EQ(ah_only->encapsulate(q), drop::none);
    EXPECT_EQ(bundle->decapsulate(q), drop::bundle);
    EXPECT_EQ(bundle->drops()[drop::bundle], 2u);
    EXPECT_STREQ(drop_name(drop::bundle), "BUNDLE");
}

TEST(ipsec_bundle, tampering_with_the_esp_inside_fails_ahs_icv_first) {
    auto out = sa_bundle::create(esp_config(algorithm::aes_gcm_128, sa_mode::tunnel), ah_config());
    auto in = sa_bundle::create(esp_config(algorithm::aes_gcm_128, sa_mode::tunnel), ah_config());
    ASSERT_TRUE(out && in);
    packet p;
    ASSERT_TRUE(p.assign(udp_packet()));
    ASSERT_EQ(out->encapsulate(p), drop::none);
    p.data()[p.len - 20] ^= 1;
    EXPECT_EQ(in->decapsulate(p), drop::integrity);
    EXPECT_EQ(in->ah().drops()[drop::integrity], 1u);
    EXPECT_EQ(in->esp().drops().total(), 0u);
    EXPECT_EQ(in->drops()[drop::integrity], 1u);
}

TEST(ipsec_bundle, bad_keys_and_esp_in_udp_are_refused) {
    auto bad_ah = ah_config();
    bad_ah.key.resize(20);
    EXPECT_FALSE(sa_bundle::create(esp_config(algorithm::aes_gcm_128, sa_mode::transport), bad_ah));
    auto udp = esp_config(algorithm::aes_gcm_128, sa_mode::tunnel);
    udp.udp_encap = true;
    EXPECT_FALSE(sa_bundle::create(udp, ah_config()));
}

}  // namespace
}  // namespace zplex::ipsec
