// SPDX-License-Identifier: Apache-2.0
// ENVIRONMENT CHECK, not a zplex test: it runs strongSwan against strongSwan and touches no
// zplex code. It proves the strongSwan the interop tests rely on works here, so a failure
// of tests/e2e/ike_interop or tests/e2e/interop points at zplex, not the environment. The
// zplex side of each case: PSK/GCM/encap/ping/counters and rekey/terminate in
// ike_interop.zplex_initiates and ike_interop.strongswan_initiates; each DH group in
// ike_interop_dh.zplex_initiates_with_each_group; the INVALID_KE retry in
// ike_interop.zplex_retries_after_invalid_ke_payload.
//
// strongSwan <-> strongSwan: two charons (kernel-libipsec, userspace ESP) in two namespaces
// on a veth, IKEv2 with a PSK, ESP AES-GCM-128 forced into UDP 4500 (encap = yes). Traffic
// between the inner addresses goes through ipsec0 on both sides:
//
//   a: 198.18.20.1 (lo) -- ipsec0 -- 198.18.10.1 ==veth== 198.18.10.2 -- ipsec0 -- 198.18.21.1 (lo) :b
//
// IKE_SA_INIT { SA, KE, Ni, N(NAT_DETECTION_*) } -->  (500; the NAT is faked by encap = yes)
// IKE_AUTH { IDi, AUTH, SA, TSi, TSr } -->            (4500, non-ESP marker)
// ESP-in-UDP 4500 <-> 4500 afterwards.
#include <zplex/e2e/two_host_test.hpp>
#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/strongswan.hpp>
#include <zplex/e2e/traffic.hpp>

#include <gtest/gtest.h>

#include <thread>

#include <filesystem>

namespace zplex::e2e {
namespace {

namespace fs = std::filesystem;

class strongswan_environment : public two_host_test {
protected:
    void SetUp() override {
        two_host_test::SetUp();
        if (IsSkipped()) {
            return;
        }
        fs::create_directories(dir);
        ca = std::make_unique<charon>(hosts->a, dir / "a");
        cb = std::make_unique<charon>(hosts->b, dir / "b");
        load("aes128gcm16-prfsha256-modp2048");
    }
    /// The same connection on both sides, mirrored, with IKE proposals @p ike.
    void load(const std::string& ike) {
        auto c = inner_connection();
        c.ike_proposals = ike;
        load_mirrored(c);
    }
};

TEST_F(strongswan_environment, psk_aes_gcm_encap_ping_tcp_counters) {
    auto r = ca->initiate("zpx");
    ASSERT_TRUE(r.ok()) << r.out;
    auto a = ca->installed_child("zpx");
    auto b = cb->installed_child("zpx");
    ASSERT_EQ(a.state, "INSTALLED");
    ASSERT_EQ(b.state, "INSTALLED");
    EXPECT_EQ(a.spi_in, b.spi_out);
    EXPECT_EQ(a.spi_out, b.spi_in);
    EXPECT_TRUE(a.encap) << "encap = yes must force UDP encapsulation";
    EXPECT_EQ(a.mode, "TUNNEL");
    EXPECT_EQ(a.encr_alg, "AES_GCM_16");
    auto ike = ca->list_sas().at(0);
    EXPECT_EQ(ike.attrs["local-port"], "4500");
    EXPECT_EQ(ike.attrs["remote-port"], "4500");

    ASSERT_TRUE(ping_until(hosts->a, two_hosts::inner_a, two_hosts::inner_b));
    EXPECT_EQ(ping(hosts->a, two_hosts::inner_a, two_hosts::inner_b, 5), 5);
    // Not protected: the outer addresses talk in the clear, the inner need the tunnel.
    EXPECT_EQ(ping(hosts->a, two_hosts::outer_a, two_hosts::outer_b, 1), 1);

    constexpr std::uint64_t size = 8u << 20;
    auto t = tcp_transfer(hosts->b, two_hosts::inner_b, 5001, hosts->a, two_hosts::inner_a, size);
    ASSERT_TRUE(t.ok) << t.error;
    EXPECT_EQ(t.sha_sent, t.sha_received);
    std::printf("strongSwan<->strongSwan: %llu bytes in %.3f s = %.1f Mbit/s\n",
                static_cast<unsigned long long>(t.bytes_received), t.seconds, t.mbit_per_s());

    // charon counts inner IP packets (headers included): at least the payload each way.
    a = ca->installed_child("zpx");
    b = cb->installed_child("zpx");
    EXPECT_GE(a.bytes_out, size);
    EXPECT_GE(b.bytes_in, size);
    // Not equal: under load libipsec loses packets between the sender's ESP and the
    // receiver's (UDP socket and TUN queues); TCP resends them, so out >= in.
    EXPECT_GE(a.packets_out, b.packets_in);
    EXPECT_GE(a.bytes_out, b.bytes_in);
    std::printf("a out %llu packets, b in %llu packets (%llu lost in flight)\n",
                static_cast<unsigned long long>(a.packets_out), static_cast<unsigned long long>(b.packets_in),
                static_cast<unsigned long long>(a.packets_out - b.packets_in));
    EXPECT_GE(a.packets_in, 5u);   // echo replies and ACKs
}

TEST_F(strongswan_environment, rekey_and_terminate) {
    ASSERT_TRUE(ca->initiate("zpx").ok());
    ASSERT_TRUE(ping_until(hosts->a, two_hosts::inner_a, two_hosts::inner_b));
    auto before = ca->installed_child("zpx");

    // CREATE_CHILD_SA { N(REKEY_SA), SA, Ni, TSi, TSr } -->
    auto r = ca->rekey_child("zpx");
    ASSERT_TRUE(r.ok()) << r.out;
    auto after = ca->installed_child("zpx");
    ASSERT_EQ(after.state, "INSTALLED");
    EXPECT_NE(after.spi_in, before.spi_in);
    EXPECT_NE(after.spi_out, before.spi_out);
    EXPECT_EQ(ping(hosts->a, two_hosts::inner_a, two_hosts::inner_b, 3), 3);
    EXPECT_GE(ca->installed_child("zpx").packets_out, 3u) << "traffic moved to the new SA";

    // IKE_SA rekey keeps the CHILD_SA.
    auto ike_before = ca->list_sas();
    ASSERT_EQ(ike_before.size(), 1u);
    r = ca->rekey_ike("zpx");
    ASSERT_TRUE(r.ok()) << r.out;
    // swanctl returns once the rekey is queued: wait (bounded) for the one new IKE_SA,
    // established, with the CHILD_SA moved over to it.
    auto rekeyed = [&] {
        auto sas = ca->list_sas();
        return sas.size() == 1 && sas[0].state == "ESTABLISHED" &&
               sas[0].attrs["initiator-spi"] != ike_before[0].attrs["initiator-spi"] && !sas[0].children.empty();
    };
    for (int i = 0; i < 100 && !rekeyed(); ++i) std::this_thread::sleep_for(100ms);
    ASSERT_TRUE(rekeyed()) << "the IKE_SA was not rekeyed in 10 s";
    EXPECT_EQ(ca->installed_child("zpx").spi_in, after.spi_in);
    EXPECT_EQ(ping(hosts->a, two_hosts::inner_a, two_hosts::inner_b, 2), 2);

    // INFORMATIONAL { D } -->
    r = ca->terminate_ike("zpx");
    ASSERT_TRUE(r.ok()) << r.out;
    EXPECT_TRUE(ca->list_sas().empty());
    EXPECT_EQ(ping(hosts->a, two_hosts::inner_a, two_hosts::inner_b, 1, 300ms), 0)
        << "no SA: the inner addresses must not reach each other";
}

// The key exchanges the zplex IKE engine offers (docs/strongswan-interop.md): each must
// work with the plugin set the harness loads.
class strongswan_environment_dh : public strongswan_environment, public ::testing::WithParamInterface<std::pair<const char*, const char*>> {};

TEST_P(strongswan_environment_dh, establishes_and_carries_traffic) {
    if (IsSkipped()) {
        return;
    }
    // b: exactly the responder config zplex's IKE will meet; a offers one group only.
    auto resp = zplex_interop(two_hosts::outer_b, two_hosts::outer_a, std::string(two_hosts::inner_b) + "/32",
                              std::string(two_hosts::inner_a) + "/32");
    cb->load(resp.swanctl_conf());
    auto init = resp;
    init.ike_proposals = std::string("aes128gcm16-prfsha256-") + GetParam().first;
    std::swap(init.local_addr, init.remote_addr);
    std::swap(init.local_ts, init.remote_ts);
    ca->load(init.swanctl_conf());
    auto r = ca->initiate("zplex");
    ASSERT_TRUE(r.ok()) << r.out;
    auto ike = ca->list_sas().at(0);
    EXPECT_EQ(ike.attrs["dh-group"], GetParam().second);
    EXPECT_EQ(ike.attrs["encr-alg"], "AES_GCM_16");
    EXPECT_EQ(ike.attrs["prf-alg"], "PRF_HMAC_SHA2_256");
    EXPECT_TRUE(ping_until(hosts->a, two_hosts::inner_a, two_hosts::inner_b));
}

// The responder's order wins (charon.prefer_configured_proposals = yes): an initiator
// whose KE guessed MODP-2048 while offering X25519 too is told INVALID_KE_PAYLOAD and
// retries with X25519 (RFC 7296 §1.3). zplex's IKE must do the same retry.
TEST_F(strongswan_environment, responder_order_wins_with_invalid_ke_retry) {
    auto resp = zplex_interop(two_hosts::outer_b, two_hosts::outer_a, std::string(two_hosts::inner_b) + "/32",
                              std::string(two_hosts::inner_a) + "/32");
    cb->load(resp.swanctl_conf());
    auto init = resp;
    init.ike_proposals = "aes128gcm16-prfsha256-modp2048-x25519";
    std::swap(init.local_addr, init.remote_addr);
    std::swap(init.local_ts, init.remote_ts);
    ca->load(init.swanctl_conf());
    auto r = ca->initiate("zplex");
    ASSERT_TRUE(r.ok()) << r.out;
    EXPECT_EQ(ca->list_sas().at(0).attrs["dh-group"], "CURVE_25519");
    EXPECT_NE(r.out.find("N(INVAL_KE)"), std::string::npos) << r.out;  // swanctl logs it so
}

INSTANTIATE_TEST_SUITE_P(groups, strongswan_environment_dh,
                         ::testing::Values(std::pair{"modp2048", "MODP_2048"}, std::pair{"ecp256", "ECP_256"},
                                           std::pair{"x25519", "CURVE_25519"}),
                         [](const auto& info) { return std::string(info.param.first); });

}  // namespace
}  // namespace zplex::e2e
