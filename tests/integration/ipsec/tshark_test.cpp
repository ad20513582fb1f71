// SPDX-License-Identifier: Apache-2.0
// The outside check: ESP and AH packets zplex produced, written to a pcap, are decoded
// by tshark (ESP decrypted with the SA's keys) to exactly the payload that went in, and
// their HMAC ICVs are recomputed by the openssl command; a packet built by an
// independent implementation is decoded by tshark and accepted by zplex alike.
#include <zplex/ipsec/ah.hpp>
#include <zplex/ipsec/esp.hpp>
#include <zplex/ipsec/esp_sa_uat.hpp>

#include "hex.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace zplex::ipsec {
namespace {

using zplex::test::hex;
using zplex::test::hex_of;
using zplex::test::range;

namespace fs = std::filesystem;




/// IPv4 198.18.0.200 -> 198.18.2.1, UDP 53 -> 53, carrying @p data.
std::vector<std::uint8_t> udp_packet(const std::string& data) {
    std::size_t len = 28 + data.size();
    const std::uint8_t head[28] = {0x45, 0, static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len), 0, 1,
                                   0, 0, 64, 17, 0, 0, 198, 18, 0, 200, 198, 18, 2, 1, 0, 53, 0, 53,
                                   static_cast<std::uint8_t>((8 + data.size()) >> 8),
                                   static_cast<std::uint8_t>(8 + data.size()), 0, 0};
    std::vector<std::uint8_t> p(len);
    std::memcpy(p.data(), head, sizeof head);
    std::memcpy(p.data() + sizeof head, data.data(), data.size());
    return p;
}

/// A classic pcap of raw IPv4 packets (LINKTYPE_RAW), removed with the object.
struct pcap_file {
    fs::path path = fs::temp_directory_path() / ("zplex-esp-" + std::to_string(::getpid()) + ".pcap");
    explicit pcap_file(const std::vector<std::vector<std::uint8_t>>& packets) {
        std::ofstream f(path, std::ios::binary);
        auto put32 = [&](std::uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
        auto put16 = [&](std::uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
        put32(0xa1b2c3d4);
        put16(2);
        put16(4);
        put32(0);
        put32(0);
        put32(65535);
        put32(101);
        for (const auto& p : packets) {
            put32(0);
            put32(0);
            put32(static_cast<std::uint32_t>(p.size()));
            put32(static_cast<std::uint32_t>(p.size()));
            f.write(reinterpret_cast<const char*>(p.data()), static_cast<std::streamsize>(p.size()));
        }
    }
    ~pcap_file() {
        std::error_code ec;
        fs::remove(path, ec);
    }
    pcap_file(const pcap_file&) = delete;
    pcap_file& operator=(const pcap_file&) = delete;
};

/// The esp_sa record of @p k as `-o uat:esp_sa:` takes it (the line, without its end).
std::string esp_sa_line(const esp_sa_keys& k) {
    std::string l;
    EXPECT_TRUE(append_esp_sa_line(l, k));
    if (!l.empty()) l.pop_back();
    return l;
}

bool have_tshark() { return std::system("command -v tshark >/dev/null 2>&1") == 0; }

/// Every line @p cmd prints on stdout, without line ends.
std::vector<std::string> run_lines(const std::string& cmd) {
    std::vector<std::string> lines;
    FILE* f = ::popen(cmd.c_str(), "r");
    if (!f) {
        return lines;
    }
    std::array<char, 8192> buf{};
    while (std::fgets(buf.data(), buf.size(), f)) {
        std::string l(buf.data());
        while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) {
            l.pop_back();
        }
        lines.push_back(l);
    }
    ::pclose(f);
    return lines;
}

/// tshark's decoding of every frame, one line a frame: the data ESP contained and
/// the ICV as tshark framed it, tab-separated.
std::vector<std::string> tshark_contained(const pcap_file& pcap, const std::string& sa, bool udp_encap) {
    return run_lines("tshark -n -r " + pcap.path.string() + " -o esp.enable_encryption_decode:TRUE -o 'uat:esp_sa:" +
                     sa + "'" + (udp_encap ? " -d udp.port==4500,udpencap" : "") +
                     " -T fields -e esp.contained_data -e esp.icv 2>/dev/null");
}

/// HMAC-SHA-256/384/512 (by the key length, as RFC 4868 keys them) of @p data under
/// @p key, computed by the openssl command (an implementation outside zplex), as
/// lower-case hex; empty if it failed.
std::string openssl_hmac_sha2(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) {
    fs::path file = fs::temp_directory_path() / ("zplex-icv-" + std::to_string(::getpid()) + ".bin");
    {
        std::ofstream f(file, std::ios::binary);
        f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    }
    std::size_t bits = key.size() * 8;
    auto out = run_lines("openssl dgst -sha" + std::to_string(bits) + " -mac HMAC -macopt hexkey:" + hex_of(key) +
                         " -r " + file.string() + " 2>/dev/null");
    std::error_code ec;
    fs::remove(file, ec);
    return out.empty() ? std::string() : out[0].substr(0, bits / 4);
}

struct sa_case {
    const char* name;
    algorithm alg;
    sa_mode mode;
    bool udp;
};

class ipsec_tshark_decrypts : public ::testing::TestWithParam<sa_case> {};

TEST_P(ipsec_tshark_decrypts, what_zplex_encapsulated) {
    if (!have_tshark()) {
        GTEST_SKIP() << "tshark is not installed (scripts/bootstrap installs it)";
    }
    auto [name, alg, mode, udp] = GetParam();
    sa_config c;
    c.spi = 0x1000;
    c.alg = alg;
    c.mode = mode;
    c.udp_encap = udp;
    c.tunnel_src = 0xc61200c8;  // 198.18.0.200
    c.tunnel_dst = 0xc6120201;  // 198.18.2.1
    bool gcm = is_aead(alg);
    std::size_t mac_key = gcm ? 0 : second_key_length(alg);
    std::size_t icv_len = icv_length(alg);
    std::size_t cipher_key = cipher_key_length(alg);
    c.key = range(0, static_cast<int>(cipher_key));
    auto tail = gcm ? range(0xa0, 4) : range(64, static_cast<int>(mac_key));
    c.key.insert(c.key.end(), tail.begin(), tail.end());
    auto sa = esp_sa::create(c);
    ASSERT_TRUE(sa);
    std::vector<std::vector<std::uint8_t>> frames;
    std::vector<std::vector<std::uint8_t>> inner;
    for (const std::string& text : {std::string("zplex SWSA one"), std::string("two"), std::string(700, 'x')}) {
        auto orig = udp_packet(text);
        packet p;
        ASSERT_TRUE(p.assign(orig));
        ASSERT_EQ(sa->encapsulate(p), drop::none);
        frames.emplace_back(p.data(), p.data() + p.len);
        // What ESP carries: the transport payload, or the whole inner packet.
        inner.emplace_back(mode == sa_mode::tunnel ? orig.begin() : orig.begin() + 20, orig.end());
    }
    pcap_file pcap(frames);
    // The line zplex trace writes (the product's esp_sa formatting), with the real addresses.
    std::string sa_line = esp_sa_line({0xc61200c8, 0xc6120201, 0x1000, alg, c.key});
    auto got = tshark_contained(pcap, sa_line, udp);
    ASSERT_EQ(got.size(), frames.size()) << name;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const auto& f = frames[i];
        std::span<const std::uint8_t> icv(f.data() + f.size() - icv_len, icv_len);
        EXPECT_EQ(got[i], hex_of(inner[i]) + "\t" + hex_of(icv)) << name << " frame " << i + 1;
        if (!gcm) {
            // Wireshark 4.0 decrypts but does not report an ICV verdict: the openssl
            // command checks the ICV instead. RFC 4303 §2.8: HMAC over ESP header, IV
            // and ciphertext; RFC 4868 §2.3: the first half of the HMAC.
            std::size_t esp_off = 20 + (udp ? 8 : 0);
            auto mac = openssl_hmac_sha2(std::span(c.key.data() + cipher_key, mac_key),
                                         std::span(f.data() + esp_off, f.size() - esp_off - icv_len));
            ASSERT_EQ(mac.size(), mac_key * 2) << "openssl dgst failed";
            EXPECT_EQ(mac.substr(0, icv_len * 2), hex_of(icv)) << name << " frame " << i + 1 << ": ICV good";
        }
    }
}

INSTANTIATE_TEST_SUITE_P(esp, ipsec_tshark_decrypts,
                         ::testing::Values(sa_case{"gcm_transport", algorithm::aes_gcm_128, sa_mode::transport, false},
                                           sa_case{"gcm_tunnel", algorithm::aes_gcm_128, sa_mode::tunnel, false},
                                           sa_case{"cbc_hmac_transport", algorithm::aes_cbc_128_hmac_sha256,
                                                   sa_mode::transport, false},
                                           sa_case{"cbc_hmac_tunnel_udp4500", algorithm::aes_cbc_128_hmac_sha256,
                                                   sa_mode::tunnel, true},
                                           sa_case{"cbc_hmac384_transport", algorithm::aes_cbc_128_hmac_sha384,
                                                   sa_mode::transport, false},
                                           sa_case{"cbc_hmac512_tunnel", algorithm::aes_cbc_128_hmac_sha512,
                                                   sa_mode::tunnel, false},
                                           sa_case{"gcm256_tunnel_udp4500", algorithm::aes_gcm_256, sa_mode::tunnel,
                                                   true},
                                           sa_case{"cbc256_hmac256_transport", algorithm::aes_cbc_256_hmac_sha256,
                                                   sa_mode::transport, false},
                                           sa_case{"null_hmac256_transport", algorithm::null_hmac_sha256,
                                                   sa_mode::transport, false},
                                           sa_case{"null_hmac512_tunnel", algorithm::null_hmac_sha512, sa_mode::tunnel,
                                                   false}),
                         [](const ::testing::TestParamInfo<sa_case>& i) { return std::string(i.param.name); });

// zplex trace's esp_sa file as its ZPX1888I says to use it: the file as `esp_sa` in a
// Wireshark configuration folder named by WIRESHARK_CONFIG_DIR, lines for several SAs
// and a comment line; tshark decrypts with it, and without it does not.
TEST(ipsec_tshark_decrypts, with_the_esp_sa_file_in_a_configuration_folder) {
    if (!have_tshark()) {
        GTEST_SKIP() << "tshark is not installed (scripts/bootstrap installs it)";
    }
    std::vector<std::vector<std::uint8_t>> frames;
    std::string table = "# zplex trace of ZPLEX1: Wireshark's esp_sa table of the ESP SAs of its stacks\n";
    std::vector<std::string> expect;
    std::uint32_t spi = 0x2000;
    for (auto alg : {algorithm::aes_gcm_256, algorithm::aes_cbc_256_hmac_sha384, algorithm::null_hmac_sha512}) {
        sa_config c;
        c.spi = ++spi;
        c.alg = alg;
        c.key = range(static_cast<int>(spi & 0x3f), static_cast<int>(key_length(alg)));
        auto sa = esp_sa::create(c);
        ASSERT_TRUE(sa);
        auto orig = udp_packet("zplex trace " + std::to_string(spi));
        packet p;
        ASSERT_TRUE(p.assign(orig));
        ASSERT_EQ(sa->encapsulate(p), drop::none);
        frames.emplace_back(p.data(), p.data() + p.len);
        expect.push_back(hex_of(std::span(orig.data() + 20, orig.size() - 20)));
        ASSERT_TRUE(append_esp_sa_line(table, {0xc61200c8, 0xc6120201, c.spi, alg, c.key}));
    }
    pcap_file pcap(frames);
    fs::path conf = fs::temp_directory_path() / ("zplex-wireshark-" + std::to_string(::getpid()));
    fs::create_directories(conf);
    std::ofstream(conf / "esp_sa") << table;
    wipe(table);
    auto contained = [&](const std::string& env) {
        return run_lines(env + " tshark -n -r " + pcap.path.string() +
                         " -o esp.enable_encryption_decode:TRUE -T fields -e esp.contained_data 2>/dev/null");
    };
    auto got = contained("WIRESHARK_CONFIG_DIR=" + conf.string());
    auto without = contained("WIRESHARK_CONFIG_DIR=" + (conf / "none").string());
    std::error_code ec;
    fs::remove_all(conf, ec);
    EXPECT_EQ(got, expect);
    ASSERT_EQ(without.size(), frames.size());
    EXPECT_NE(without[0], expect[0]) << "GCM is not decrypted without the keys";
}

TEST(ipsec_tshark_and_zplex, agree_on_a_packet_from_an_independent_implementation) {
    if (!have_tshark()) {
        GTEST_SKIP() << "tshark is not installed (scripts/bootstrap installs it)";
    }
    // AES-128-CBC + HMAC-SHA-256-128, SPI 0x1000, seq 7, built with Python's
    // cryptography package (keys 0x20.. and 0x40..).
    auto esp = hex("00001000000000076465666768696a6b6c6d6e6f707172730d1a44b1cd5fb6f8231f512086eb2193e3e4a37c43f6732"
                   "480bc50223e85c053df8f788d88893bc92c52b2e8ad943da2");
    std::vector<std::uint8_t> ip = {0x45, 0, 0, 0, 0, 1, 0, 0, 64, 50, 0, 0, 198, 18, 0, 200, 198, 18, 2, 1};
    ip[3] = static_cast<std::uint8_t>(20 + esp.size());
    ip.insert(ip.end(), esp.begin(), esp.end());
    pcap_file pcap({ip});
    auto keys = range(32, 16);
    auto hmac = range(64, 32);
    keys.insert(keys.end(), hmac.begin(), hmac.end());
    std::string sa_line = esp_sa_line({0, 0, 0x1000, algorithm::aes_cbc_128_hmac_sha256, keys});
    auto got = tshark_contained(pcap, sa_line, false);
    ASSERT_EQ(got.size(), 1u);
    auto payload = udp_packet("zplex!!!");
    payload.erase(payload.begin(), payload.begin() + 20);
    EXPECT_EQ(got[0], hex_of(payload) + "\t" + hex_of(std::span(esp.data() + esp.size() - 16, 16)))
        << "tshark decodes it";
    sa_config c;
    c.spi = 0x1000;
    c.alg = algorithm::aes_cbc_128_hmac_sha256;
    c.key = range(32, 16);
    auto hk = range(64, 32);
    c.key.insert(c.key.end(), hk.begin(), hk.end());
    auto sa = esp_sa::create(c);
    packet p;
    ASSERT_TRUE(p.assign(ip));
    ASSERT_EQ(sa->decapsulate(p), drop::none) << "zplex accepts it";
    EXPECT_EQ(hex_of(std::span(p.data() + 20, p.len - 20)), hex_of(payload));
}

TEST(ipsec_tshark_dissects, ah_zplex_produced_and_openssl_checks_the_icv) {
    if (!have_tshark()) {
        GTEST_SKIP() << "tshark is not installed (scripts/bootstrap installs it)";
    }
    for (auto mode : {sa_mode::transport, sa_mode::tunnel}) {
        sa_config c;
        c.spi = 0x2000;
        c.mode = mode;
        c.key = range(0x40, 32);
        c.tunnel_src = 0xc612000b;  // 198.18.0.11
        c.tunnel_dst = 0xc61200c8;  // 198.18.0.200
        auto sa = ah_sa::create(c);
        ASSERT_TRUE(sa);
        std::vector<std::vector<std::uint8_t>> frames;
        std::vector<std::string> payloads = {"zplex AH one", "two", std::string(300, 'y')};
        for (const auto& text : payloads) {
            auto orig = udp_packet(text);
            orig[20] = 0x9c;  // ports 40000 -> 40001: tshark shows the payload as bytes
            orig[21] = 0x40;
            orig[22] = 0x9c;
            orig[23] = 0x41;
            packet p;
            ASSERT_TRUE(p.assign(orig));
            ASSERT_EQ(sa->encapsulate(p), drop::none);
            frames.emplace_back(p.data(), p.data() + p.len);
        }
        pcap_file pcap(frames);
        auto got = run_lines("tshark -n -r " + pcap.path.string() +
                             " -T fields -E occurrence=f -e ah.spi -e ah.sequence -e ah.icv -e udp.payload 2>/dev/null");
        ASSERT_EQ(got.size(), frames.size());
        for (std::size_t i = 0; i < frames.size(); ++i) {
            auto f = frames[i];
            std::span<const std::uint8_t> icv(f.data() + 32, 16);
            EXPECT_EQ(got[i], "0x00002000\t" + std::to_string(i + 1) + "\t" + hex_of(icv) + "\t" +
                                  hex_of(std::span(reinterpret_cast<const std::uint8_t*>(payloads[i].data()),
                                                   payloads[i].size())))
                << "mode " << static_cast<int>(mode) << " frame " << i + 1;
            // RFC 4302 §3.3.3.1: the ICV covers the outer header with TOS, flags and
            // offset, TTL and checksum zeroed, AH with a zero ICV, and what follows.
            std::vector<std::uint8_t> covered = f;
            covered[1] = 0;
            covered[6] = covered[7] = 0;
            covered[8] = 0;
            covered[10] = covered[11] = 0;
            std::memset(covered.data() + 32, 0, 16);
            auto mac = openssl_hmac_sha2(c.key, covered);
            EXPECT_EQ(mac.substr(0, 32), hex_of(icv)) << "frame " << i + 1 << ": ICV good";
        }
    }
}

}  // namespace
}  // namespace zplex::ipsec
