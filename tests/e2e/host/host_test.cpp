// SPDX-License-Identifier: Apache-2.0
// zplex host mode <-> zplex host mode: two zplex-host processes with statically keyed
// AES-GCM-128 SAs, each owning a TUN in its namespace; the kernels route the inner
// addresses into the TUNs, the hosts carry them as ESP in UDP 4500 (RFC 3948):
//
//   a: 198.18.20.1 (lo) -- zpx0 -- zplex-host 198.18.10.1:4500 ==veth== 198.18.10.2:4500 zplex-host -- zpx0 -- 198.18.21.1 :b
#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/traffic.hpp>
#include <zplex/e2e/zplex_host.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

namespace zplex::e2e {
namespace {

namespace fs = std::filesystem;

const std::string key_ab = "000102030405060708090a0b0c0d0e0fa0a1a2a3";  // AES-128 key || salt
const std::string key_ba = "101112131415161718191a1b1c1d1e1fb0b1b2b3";

class host_e2e : public ::testing::Test {
protected:
    void SetUp() override {
        std::string why;
        if (!can_use_netns(&why)) {
            GTEST_SKIP() << why;
        }
        if (!fs::exists("/dev/net/tun")) {
            GTEST_SKIP() << "no /dev/net/tun";
        }
        hosts = std::make_unique<two_hosts>();
        dir = fs::temp_directory_path() / hosts->a.name();
    }
    void TearDown() override {
        ha.reset();
        hb.reset();
        hosts.reset();
        if (!dir.empty()) {
            std::error_code ec;
            fs::remove_all(dir, ec);
        }
    }
    zplex_host_options side_a() const {
        zplex_host_options o;
        o.binary = fs::path(ZPLEX_BINARY_DIR) / "bin" / "zplex-host";
        o.local = two_hosts::outer_a;
        o.peer = two_hosts::outer_b;
        o.local_ts = std::string(two_hosts::inner_a) + "/32";
        o.remote_ts = std::string(two_hosts::inner_b) + "/32";
        o.route_src = two_hosts::inner_a;
        o.spi_in = 0xc0de0a01;   // b -> a
        o.spi_out = 0xc0de0b01;  // a -> b
        o.key_in = key_ba;
        o.key_out = key_ab;
        return o;
    }
    zplex_host_options side_b() const {
        auto o = side_a();
        std::swap(o.local, o.peer);
        std::swap(o.local_ts, o.remote_ts);
        o.route_src = two_hosts::inner_b;
        std::swap(o.spi_in, o.spi_out);
        std::swap(o.key_in, o.key_out);
        return o;
    }

    std::unique_ptr<two_hosts> hosts;
    fs::path dir;
    std::unique_ptr<zplex_host_process> ha, hb;
};

TEST_F(host_e2e, static_sas_ping_and_tcp) {
    ha = std::make_unique<zplex_host_process>(hosts->a, dir / "a", side_a());
    hb = std::make_unique<zplex_host_process>(hosts->b, dir / "b", side_b());

    ASSERT_TRUE(ping_until(hosts->a, two_hosts::inner_a, two_hosts::inner_b));
    EXPECT_EQ(ping(hosts->a, two_hosts::inner_a, two_hosts::inner_b, 5), 5);
    EXPECT_EQ(ping(hosts->b, two_hosts::inner_b, two_hosts::inner_a, 3), 3);

    constexpr std::uint64_t size = 8u << 20;
    auto t = tcp_transfer(hosts->b, two_hosts::inner_b, 5001, hosts->a, two_hosts::inner_a, size);
    ASSERT_TRUE(t.ok) << t.error;
    std::printf("zplex<->zplex: %llu bytes in %.3f s = %.1f Mbit/s\n",
                static_cast<unsigned long long>(t.bytes_received), t.seconds, t.mbit_per_s());

    auto ra = ha->stop();
    auto rb = hb->stop();
    ASSERT_EQ(ra.status, 0) << ra.out;
    ASSERT_EQ(rb.status, 0) << rb.out;
    std::printf("--- a\n%s--- b\n%s", ra.out.c_str(), rb.out.c_str());
    auto ca = parse_host_counters(ra.out);
    auto cb = parse_host_counters(rb.out);
    EXPECT_GE(ca["child 1 out bytes"], size);
    EXPECT_GE(cb["child 1 in bytes"], size);
    EXPECT_GE(ca["esp_sent"], cb["esp_received"]);
    EXPECT_EQ(cb["esp_received"], cb["tun_out"] + cb["drop ESPIN"] + cb["drop NOSAIN"] + cb["drop INNERPOLICY"] +
                                      cb["drop TUNWRITE"]);
    EXPECT_EQ(cb["drop ESPIN"], 0u);
    EXPECT_EQ(cb["drop INNERPOLICY"], 0u);
    EXPECT_EQ(ca["drop ESPIN"], 0u);
}

TEST_F(host_e2e, wrong_key_is_counted_not_delivered) {
    auto a = side_a();
    ha = std::make_unique<zplex_host_process>(hosts->a, dir / "a", a);
    auto b = side_b();
    b.key_in = "ffffffffffffffffffffffffffffffffb0b1b2b3";  // not what a encrypts with
    hb = std::make_unique<zplex_host_process>(hosts->b, dir / "b", b);
    EXPECT_EQ(ping(hosts->a, two_hosts::inner_a, two_hosts::inner_b, 3, 300ms), 0);
    auto rb = hb->stop();
    auto cb = parse_host_counters(rb.out);
    EXPECT_GE(cb["drop ESPIN"], 3u) << rb.out;
    EXPECT_GE(cb["esp_drop INTEGRITY"], 3u) << rb.out;
    EXPECT_EQ(cb["tun_out"], 0u);
}

TEST_F(host_e2e, unknown_spi_and_unrouted_traffic_are_counted) {
    auto a = side_a();
    ha = std::make_unique<zplex_host_process>(hosts->a, dir / "a", a);
    auto b = side_b();
    b.spi_in = 0x0badbad0;  // a sends on 0xc0de0b01, which b does not know
    hb = std::make_unique<zplex_host_process>(hosts->b, dir / "b", b);
    EXPECT_EQ(ping(hosts->a, two_hosts::inner_a, two_hosts::inner_b, 2, 300ms), 0);
    // Outside the SA's selectors: routed into the TUN, but no policy covers it.
    hosts->a.ip({"route", "add", "198.18.22.0/24", "dev", "zpx0", "src", two_hosts::inner_a});
    EXPECT_EQ(ping(hosts->a, two_hosts::inner_a, "198.18.22.1", 2, 300ms), 0);
    auto ra = ha->stop();
    auto rb = hb->stop();
    auto ca = parse_host_counters(ra.out);
    auto cb = parse_host_counters(rb.out);
    EXPECT_GE(cb["drop NOSAIN"], 2u) << rb.out;
    EXPECT_GE(ca["drop POLICYDENY"], 2u) << ra.out;
}

}  // namespace
}  // namespace zplex::e2e
