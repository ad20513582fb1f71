// SPDX-License-Identifier: Apache-2.0
// The SWSA XCF messages: every type round-trips; every cut, trailing byte and bad
// field is refused with a reason; key buffers are wiped when freed, copies too.
#include <zplex/swsa/messages.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

namespace zplex::swsa {
namespace {

sa_distribute_message distribution() {
    sa_distribute_message m;
    m.owner_system = "MVS1";
    m.owner_stack = "TCPIPA";
    m.tunnel = "Y7";
    m.replaces = "Y5";
    m.vpn_action = "ESP_AES_GCM_TUNNEL";
    m.dvipa = 0xc6120301;
    m.peer = 0xc6120064;
    m.protocol = 50;
    m.mode = 1;
    m.alg = 0;  // AES-GCM-128: 16 + 4 bytes
    m.esn = true;
    m.spi_in = 0x4a110007;
    m.spi_out = 0xc0de0007;
    for (int i = 0; i < 20; ++i) {
        m.key_in.push_back(static_cast<std::uint8_t>(0xa0 + i));
        m.key_out.push_back(static_cast<std::uint8_t>(0x50 + i));
    }
    m.tunnel_src = 0xc6120301;
    m.tunnel_dst = 0xc6120064;
    m.replay_window = 128;
    m.peer_window = 64;
    m.counter_list = 3;
    m.base = 12345;
    m.lifesize = 1 << 20;
    m.lifetime_s = 3600;
    m.filters.push_back({0xc6120064, 32, 0xc6120301, 32, 6, 0, 65535, 60, 60, 0});
    m.filters.push_back({0xc6120301, 32, 0xc6120064, 32, 6, 60, 60, 0, 65535, 1});
    return m;
}

template <class M>
void refuses_every_cut(const std::vector<std::uint8_t>& bytes) {
    M out;
    std::string why;
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
        EXPECT_FALSE(decode(std::span(bytes).first(cut), out, &why)) << "cut at " << cut;
        EXPECT_FALSE(why.empty());
    }
    auto longer = bytes;
    longer.push_back(0);
    EXPECT_FALSE(decode(longer, out, &why));
    EXPECT_NE(why.find("TRAILING BYTES"), std::string::npos) << why;
}

TEST(swsa_messages, every_type_round_trips_and_refuses_cuts_and_trailing_bytes) {
    auto d = distribution();
    auto db = encode(d);
    EXPECT_EQ(peek_type(db), message_type::sa_distribute);
    sa_distribute_message d2;
    ASSERT_TRUE(decode(db, d2));
    EXPECT_EQ(d2, d);
    refuses_every_cut<sa_distribute_message>(std::vector<std::uint8_t>(db.begin(), db.end()));

    sa_delete_message del{"MVS1", "TCPIPA", "Y5", delete_reason::expired, 0xc6120301, 50, 0x4a110005, 0xc0de0005};
    auto delb = encode(del);
    EXPECT_EQ(peek_type(delb), message_type::sa_delete);
    sa_delete_message del2;
    ASSERT_TRUE(decode(delb, del2));
    EXPECT_EQ(del2, del);
    refuses_every_cut<sa_delete_message>(delb);

    lifesize_report_message l{"MVS2", "TCPIPB", "Y5", 0xc6120301, 50, 0xc0de0005, 1 << 16, 50};
    auto lb = encode(l);
    lifesize_report_message l2;
    ASSERT_TRUE(decode(lb, l2));
    EXPECT_EQ(l2, l);
    refuses_every_cut<lifesize_report_message>(lb);

    newconn_message n{"MVS2", "TCPIPB", 0xc6120301, 6, 4321, 0xc6120064, 60};
    auto nb = encode(n);
    EXPECT_EQ(peek_type(nb), message_type::newconn);
    newconn_message n2;
    ASSERT_TRUE(decode(nb, n2));
    EXPECT_EQ(n2, n);
    refuses_every_cut<newconn_message>(nb);

    // One type is never taken for another.
    EXPECT_FALSE(decode(nb, del2));
    EXPECT_FALSE(decode(delb, n2));
    EXPECT_FALSE(peek_type(std::vector<std::uint8_t>{'S', 1, 9}));
    EXPECT_FALSE(peek_type(std::vector<std::uint8_t>{'C', 1, 1}));
}

TEST(swsa_messages, bad_fields_are_refused_with_the_reason) {
    struct bad_case {
        const char* what;
        void (*spoil)(sa_distribute_message&);
    };
    const bad_case cases[] = {
        {"INBOUND KEY LENGTH DOES NOT FIT THE ALGORITHM", [](sa_distribute_message& m) { m.key_in.pop_back(); }},
        {"INBOUND KEY LENGTH DOES NOT FIT THE ALGORITHM", [](sa_distribute_message& m) { m.alg = 2; }},
        {"OUTBOUND KEY LENGTH DOES NOT FIT THE ALGORITHM", [](sa_distribute_message& m) { m.key_out.push_back(0); }},
        {"RESERVED SPI IN", [](sa_distribute_message& m) { m.spi_in = 255; }},
        {"PROTOCOL NOT ESP OR AH", [](sa_distribute_message& m) { m.protocol = 6; }},
        {"BAD MODE", [](sa_distribute_message& m) { m.mode = 2; }},
        {"BAD ALGORITHM", [](sa_distribute_message& m) { m.alg = 11; }},
        {"TUNNEL MODE WITHOUT TUNNEL ADDRESSES", [](sa_distribute_message& m) { m.tunnel_dst = 0; }},
        {"BAD REPLAY WINDOW", [](sa_distribute_message& m) { m.replay_window = 16; }},
        {"BAD PEER WINDOW", [](sa_distribute_message& m) { m.peer_window = 0; }},
        {"BAD COUNTER LIST", [](sa_distribute_message& m) { m.counter_list = 0; }},
        {"BAD FILTER", [](sa_distribute_message& m) { m.filters[1].direction = 3; }},
        {"BAD FILTER", [](sa_distribute_message& m) { m.filters[0].dst_port_lo = 61; }},
        {"BAD CHARACTER IN OWNER STACK", [](sa_distribute_message& m) { m.owner_stack = "TCP/IP"; }},
        {"BAD LENGTH OF TUNNEL", [](sa_distribute_message& m) { m.tunnel = "Y123456789"; }},
        {"BAD LENGTH OF TUNNEL", [](sa_distribute_message& m) { m.tunnel.clear(); }},
        {"TOO MANY FILTERS", [](sa_distribute_message& m) { m.filters.resize(max_filters + 1); }},
        {"BAD UDP ENCAPSULATION", [](sa_distribute_message& m) { m.udp_encap = true, m.udp_dst = 0; }},
        {"BAD FLAGS", [](sa_distribute_message& m) { m.udp_encap = true, m.bundle = true; }},  // AH has no UDP
    };
    for (const auto& c : cases) {
        auto m = distribution();
        c.spoil(m);
        sa_distribute_message out;
        std::string why;
        EXPECT_FALSE(decode(encode(m), out, &why)) << c.what;
        EXPECT_NE(why.find(c.what), std::string::npos) << c.what << ": " << why;
        EXPECT_TRUE(out.key_in.empty()) << "nothing half-decoded is left";
    }
    auto ah = distribution();
    ah.protocol = 51;
    ah.key_in.assign(48, 1);
    ah.key_out.assign(64, 2);
    sa_distribute_message out;
    EXPECT_TRUE(decode(encode(ah), out)) << "AH takes HMAC keys of 32, 48 or 64";
    ah.key_in.assign(20, 1);
    EXPECT_FALSE(decode(encode(ah), out));
}

std::size_t g_blocks = 0;
std::size_t g_dirty = 0;
void observe(const void* p, std::size_t n) noexcept {
    ++g_blocks;
    const auto* b = static_cast<const std::uint8_t*>(p);
    g_dirty += static_cast<std::size_t>(std::count_if(b, b + n, [](std::uint8_t x) { return x != 0; }));
}

TEST(swsa_messages, the_halves_of_an_ah_esp_bundle_carry_their_flag) {
    auto esp = distribution();
    esp.bundle = true;
    auto ah = esp;
    ah.protocol = 51;
    ah.key_in.assign(32, 0x41);
    ah.key_out.assign(32, 0x42);
    for (const auto& m : {esp, ah}) {
        auto bytes = encode(m);
        sa_distribute_message out;
        std::string why;
        ASSERT_TRUE(decode(bytes, out, &why)) << why;
        EXPECT_TRUE(out.bundle);
        EXPECT_EQ(out, m);
    }
    auto plain = encode(distribution());
    sa_distribute_message out;
    ASSERT_TRUE(decode(plain, out));
    EXPECT_FALSE(out.bundle);
}

TEST(swsa_messages, key_buffers_are_wiped_when_freed_and_so_are_their_copies) {
    g_blocks = g_dirty = 0;
    detail::wiped_observer = observe;
    {
        auto m = distribution();               // keys in two buffers
        auto copy = m;                         // two more
        for (int i = 0; i < 100; ++i) {        // growth frees the smaller blocks
            copy.key_in.push_back(0xee);
        }
        auto wire = encode(m);                 // the encoded message holds the keys too
        sa_distribute_message back;
        ASSERT_TRUE(decode(wire, back));       // and so does what was decoded
    }
    detail::wiped_observer = nullptr;
    EXPECT_GE(g_blocks, 8u) << "keys of the original, the copy (and its growth), the wire and the decoded copy";
    EXPECT_EQ(g_dirty, 0u) << "every freed block was zero before it went back to the heap";
}

TEST(swsa_messages, the_fuzzers_seed_corpus_decodes) {
    const std::string dir = std::string(ZPLEX_SOURCE_DIR) + "/tests/fuzz/swsa/corpus/";
    auto load = [&](const char* f) {
        std::ifstream in(dir + f, std::ios::binary);
        return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
    };
    std::string why;
    sa_distribute_message d;
    EXPECT_TRUE(decode(load("distribute"), d, &why)) << why;
    EXPECT_EQ(d.replaces, "Y5");
    sa_delete_message del;
    EXPECT_TRUE(decode(load("delete"), del, &why)) << why;
    lifesize_report_message l;
    EXPECT_TRUE(decode(load("lifesize"), l, &why)) << why;
    newconn_message n;
    EXPECT_TRUE(decode(load("newconn"), n, &why)) << why;
}

}  // namespace
}  // namespace zplex::swsa
