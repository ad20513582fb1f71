// SPDX-License-Identifier: Apache-2.0
// ESP data-plane interop before zplex has IKE: strongSwan negotiates a CHILD_SA between two
// charons (AES-GCM-128, ESP in UDP 4500, tunnel mode), charon a logs the CHILD_SA keys
// (CHD level 4), is killed without a word to its peer, and zplex host mode takes over
// namespace a with exactly those SPIs and keys. Charon b's libipsec and zplex then carry
// ping and TCP both ways: zplex's ESP is accepted by strongSwan and strongSwan's by zplex.
//
//   a: charon -> (SIGKILL) -> zplex-host 198.18.10.1:4500  <== ESP-in-UDP ==>  198.18.10.2:4500 charon (libipsec) :b
#include <zplex/e2e/two_host_test.hpp>
#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/strongswan.hpp>
#include <zplex/e2e/traffic.hpp>
#include <zplex/e2e/zplex_host.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

namespace zplex::e2e {
namespace {

namespace fs = std::filesystem;

class esp_interop : public two_host_test {
protected:
    /// charon a and b with a PSK connection between the inner addresses; the charon
    /// on side @p log_keys_on_a (a or b) logs its CHILD_SA keys (level 4). a initiates.
    void establish(bool log_keys_on_a) {
        charon::options logkeys;
        logkeys.extra_log = "            chd = 4\n";
        ca = std::make_unique<charon>(hosts->a, dir / "a", log_keys_on_a ? logkeys : charon::options{});
        cb = std::make_unique<charon>(hosts->b, dir / "b", log_keys_on_a ? charon::options{} : logkeys);
        load_mirrored(inner_connection());
        auto r = ca->initiate("zpx");
        ASSERT_TRUE(r.ok()) << r.out;
    }

};

TEST_F(esp_interop, zplex_takes_over_a_strongswan_child_sa) {
    ASSERT_NO_FATAL_FAILURE(establish(true));
    auto sa = ca->installed_child("zpx");
    ASSERT_EQ(sa.state, "INSTALLED");
    // RFC 7296 §2.17: initiator-to-responder keys first; a initiated, so "initiator" is a -> b.
    std::string key_ab = logged_key(ca->log_path(), "encryption initiator key");
    std::string key_ba = logged_key(ca->log_path(), "encryption responder key");
    ASSERT_EQ(key_ab.size(), 40u) << "AES-128 key || 4-byte salt";
    ASSERT_EQ(key_ba.size(), 40u);

    ca->kill();  // no DELETE: b keeps the SAs
    for (int i = 0; i < 100 && hosts->a.exec({"ip", "link", "show", "ipsec0"}).ok(); ++i) {
        std::this_thread::sleep_for(20ms);  // the TUN goes with its process, routes with it
    }

    zplex_host_options o;
    o.binary = fs::path(ZPLEX_BINARY_DIR) / "bin" / "zplex-host";
    o.local = two_hosts::outer_a;
    o.peer = two_hosts::outer_b;
    o.local_ts = std::string(two_hosts::inner_a) + "/32";
    o.remote_ts = std::string(two_hosts::inner_b) + "/32";
    o.route_src = two_hosts::inner_a;
    o.spi_in = sa.spi_in;
    o.spi_out = sa.spi_out;
    o.key_in = key_ba;
    o.key_out = key_ab;
    za = std::make_unique<zplex_host_process>(hosts->a, dir / "za", o);

    // zplex -> strongSwan and back: the echo request is zplex's ESP, the reply strongSwan's.
    ASSERT_TRUE(ping_until(hosts->a, two_hosts::inner_a, two_hosts::inner_b)) << "zplex ESP <-> libipsec ESP";
    EXPECT_EQ(ping(hosts->a, two_hosts::inner_a, two_hosts::inner_b, 5), 5);
    EXPECT_EQ(ping(hosts->b, two_hosts::inner_b, two_hosts::inner_a, 3), 3);

    constexpr std::uint64_t size = 4u << 20;
    auto ab = tcp_transfer(hosts->b, two_hosts::inner_b, 5001, hosts->a, two_hosts::inner_a, size);
    ASSERT_TRUE(ab.ok) << ab.error;
    auto ba = tcp_transfer(hosts->a, two_hosts::inner_a, 5002, hosts->b, two_hosts::inner_b, size);
    ASSERT_TRUE(ba.ok) << ba.error;
    std::printf("zplex -> strongSwan %.1f Mbit/s, strongSwan -> zplex %.1f Mbit/s\n", ab.mbit_per_s(), ba.mbit_per_s());

    auto b = cb->installed_child("zpx");
    EXPECT_EQ(b.spi_in, sa.spi_out);
    EXPECT_GE(b.bytes_in, size) << "strongSwan decrypted what zplex sent";
    EXPECT_GE(b.bytes_out, size);
    auto zr = za->stop();
    auto zc = parse_host_counters(zr.out);
    std::printf("--- zplex-host a\n%s", zr.out.c_str());
    EXPECT_GE(zc["child 1 in bytes"], size) << "zplex decrypted what strongSwan sent";
    EXPECT_EQ(zc["drop ESPIN"], 0u) << zr.out;
    EXPECT_EQ(zc["drop NOSAIN"], 0u) << zr.out;
    EXPECT_EQ(zc["drop INNERPOLICY"], 0u) << zr.out;
}

// The other role: zplex takes over the responder's side (b); charon a, the initiator,
// keeps running and sends first.
TEST_F(esp_interop, zplex_takes_over_the_responder_side) {
    ASSERT_NO_FATAL_FAILURE(establish(false));
    auto sb = cb->installed_child("zpx");
    ASSERT_EQ(sb.state, "INSTALLED");
    // b responded: "initiator" keys are a -> b, b's inbound.
    std::string key_ab = logged_key(cb->log_path(), "encryption initiator key");
    std::string key_ba = logged_key(cb->log_path(), "encryption responder key");
    ASSERT_EQ(key_ab.size(), 40u);
    ASSERT_EQ(key_ba.size(), 40u);
    cb->kill();
    for (int i = 0; i < 100 && hosts->b.exec({"ip", "link", "show", "ipsec0"}).ok(); ++i) {
        std::this_thread::sleep_for(20ms);
    }
    zplex_host_options o;
    o.binary = fs::path(ZPLEX_BINARY_DIR) / "bin" / "zplex-host";
    o.local = two_hosts::outer_b;
    o.peer = two_hosts::outer_a;
    o.local_ts = std::string(two_hosts::inner_b) + "/32";
    o.remote_ts = std::string(two_hosts::inner_a) + "/32";
    o.route_src = two_hosts::inner_b;
    o.spi_in = sb.spi_in;
    o.spi_out = sb.spi_out;
    o.key_in = key_ab;
    o.key_out = key_ba;
    za = std::make_unique<zplex_host_process>(hosts->b, dir / "zb", o);

    ASSERT_TRUE(ping_until(hosts->a, two_hosts::inner_a, two_hosts::inner_b)) << "libipsec ESP <-> zplex ESP";
    EXPECT_EQ(ping(hosts->b, two_hosts::inner_b, two_hosts::inner_a, 3), 3);
    constexpr std::uint64_t size = 4u << 20;
    auto ab = tcp_transfer(hosts->b, two_hosts::inner_b, 5001, hosts->a, two_hosts::inner_a, size);
    ASSERT_TRUE(ab.ok) << ab.error;
    auto sa = ca->installed_child("zpx");
    EXPECT_GE(sa.bytes_out, size);
    EXPECT_GE(sa.packets_in, 3u) << "strongSwan decrypted zplex's replies";
    auto zr = za->stop();
    auto zc = parse_host_counters(zr.out);
    EXPECT_GE(zc["child 1 in bytes"], size) << zr.out;
    EXPECT_EQ(zc["drop ESPIN"], 0u) << zr.out;
}

}  // namespace
}  // namespace zplex::e2e
