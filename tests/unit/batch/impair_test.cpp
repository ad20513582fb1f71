// SPDX-License-Identifier: Apache-2.0
// The LAN impairment's decisions (batch/impair.hpp): each fate at its rate, the same
// fates from the same seed, and which frames count as ESP given to the host twice.
#include "batch/impair.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace zplex::cli::batch {
namespace {

TEST(batch_impair, each_fate_comes_at_its_rate_and_a_seed_gives_the_same_fates) {
    impairment i;  // 1 % lost, 1 % duplicated, 2 % held for reordering
    impairer a(i, 0), b(i, 0), other(i, 1);
    std::map<impairer::fate, int> n;
    int same = 0, same_other = 0;
    for (int k = 0; k < 100000; ++k) {
        auto f = a.next();
        ++n[f];
        same += f == b.next();
        same_other += f == other.next();
    }
    EXPECT_EQ(same, 100000) << "one seed, one sequence";
    EXPECT_LT(same_other, 100000) << "each direction has its own";
    EXPECT_NEAR(n[impairer::fate::drop], 1000, 150);
    EXPECT_NEAR(n[impairer::fate::duplicate], 1000, 150);
    EXPECT_NEAR(n[impairer::fate::hold], 2000, 200);
    impairment none;
    none.loss_bp = none.duplicate_bp = none.reorder_bp = 0;
    impairer clean(none, 0);
    for (int k = 0; k < 1000; ++k) ASSERT_EQ(clean.next(), impairer::fate::forward);
    impairment all_lost;
    all_lost.loss_bp = 10000;
    impairer lossy(all_lost, 0);
    for (int k = 0; k < 1000; ++k) ASSERT_EQ(lossy.next(), impairer::fate::drop);
}

/// An Ethernet frame (EtherType 0x08, @p type_low) with an IPv4 header to @p dst, protocol @p proto, then @p l4.
std::vector<unsigned char> frame(std::uint32_t dst, unsigned char proto, std::vector<unsigned char> l4,
                                 unsigned char type_low = 0x00) {
    std::vector<unsigned char> f(12, 0x02);
    f.push_back(0x08);
    f.push_back(type_low);
    std::vector<unsigned char> ip(20, 0);
    ip[0] = 0x45;
    ip[9] = proto;
    for (int k = 0; k < 4; ++k) ip[16 + k] = static_cast<unsigned char>(dst >> (24 - 8 * k));
    f.insert(f.end(), ip.begin(), ip.end());
    f.insert(f.end(), l4.begin(), l4.end());
    return f;
}

std::vector<unsigned char> udp(std::uint16_t dport, std::vector<unsigned char> payload) {
    std::vector<unsigned char> u{0x11, 0x94, static_cast<unsigned char>(dport >> 8), static_cast<unsigned char>(dport), 0, 0, 0, 0};
    u.insert(u.end(), payload.begin(), payload.end());
    return u;
}

TEST(batch_impair, esp_to_the_host_is_protocol_50_or_udp_4500_that_is_not_ike) {
    const std::uint32_t peer1 = 0xc61200c8, other = 0xc6120065;
    const std::vector<unsigned char> spi_seq{0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1};
    auto esp = frame(peer1, 50, spi_seq);
    EXPECT_TRUE(esp_to(esp.data(), esp.size(), peer1));
    EXPECT_FALSE(esp_to(esp.data(), esp.size(), other)) << "to another host";
    auto natt = frame(peer1, 17, udp(4500, spi_seq));
    EXPECT_TRUE(esp_to(natt.data(), natt.size(), peer1));
    auto ike = frame(peer1, 17, udp(4500, {0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44}));
    EXPECT_FALSE(esp_to(ike.data(), ike.size(), peer1)) << "IKE behind the non-ESP marker";
    auto ike500 = frame(peer1, 17, udp(500, spi_seq));
    EXPECT_FALSE(esp_to(ike500.data(), ike500.size(), peer1));
    auto tcp = frame(peer1, 6, spi_seq);
    EXPECT_FALSE(esp_to(tcp.data(), tcp.size(), peer1));
    auto arp = frame(peer1, 50, spi_seq, 0x06);  // EtherType 0x0806
    EXPECT_FALSE(esp_to(arp.data(), arp.size(), peer1));
    EXPECT_FALSE(esp_to(esp.data(), 20, peer1)) << "cut short";
}

}  // namespace
}  // namespace zplex::cli::batch
