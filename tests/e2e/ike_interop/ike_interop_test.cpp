// SPDX-License-Identifier: Apache-2.0
// zplex IKE + ESP (zplex-host with a Policy Agent policy) against strongSwan (charon with
// kernel-libipsec): each side initiates; ping and a checksummed TCP transfer through the
// CHILD SA with a child rekey and an IKE rekey during the transfer; deletes from each
// side; `swanctl --list-sas --raw` and `zplex ipsec -y display -r detail` agree on SPIs
// (in/out swapped) and on byte counts.
//
//   a: zplex-host 198.18.10.1 (IKE + ESP, TUN zpx0)  <== IKE 500/4500, ESP-in-UDP ==>  198.18.10.2 charon :b
//      inner 198.18.20.1                                                              inner 198.18.21.1
#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/two_host_test.hpp>
#include <zplex/e2e/strongswan.hpp>
#include <zplex/e2e/traffic.hpp>
#include <zplex/e2e/zplex_host.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

namespace zplex::e2e {
namespace {

namespace fs = std::filesystem;

constexpr const char* psk = "zplex-e2e-preshared-key-0123456789";

/// @p offers: the KeyExchangeOffer lines of the KeyExchangeAction.
std::string policy_text(const std::string& offers =
                            "  KeyExchangeOffer { HowToEncrypt AES_GCM_16 KeyLength 128 PseudoRandomFunction "
                            "HMAC_SHA2_256 DHGroup Group31 }\n") {
    return std::string(R"(# zplex-host in namespace a: strongSwan at 198.18.10.2 protects 198.18.21.1
IpFilterPolicy
{
  IpFilterRule zplex
  {
    IpSourceAddr 198.18.20.1
    IpDestAddr   198.18.21.1
    IpGenericFilterActionRef permit
    IpDynVpnActionRef esp_gcm
  }
}
IpDynVpnAction esp_gcm
{
  HowToEncap   Tunnel
  HowToEncrypt AES_GCM_16 KeyLength 128
  HowToAuth    ESP NULL
  Lifetime     60
}
KeyExchangePolicy
{
  KeyExchangeRule to_swan
  {
    LocalSecurityEndpointRef  zplex_a
    RemoteSecurityEndpointRef swan_b
    KeyExchangeActionRef      ikev2
    SharedKey                 Ascii ")") +
           psk + R"("
  }
}
KeyExchangeAction ikev2
{
  HowToAuthPeers PresharedKey
)" + offers + R"(}
LocalSecurityEndpoint zplex_a  { Location 198.18.10.1 }
RemoteSecurityEndpoint swan_b  { Location 198.18.10.2 }
)";
}

/// `ipsec -y display -r detail` as records of "Key" -> "value".
std::vector<std::map<std::string, std::string>> parse_display(const std::string& text) {
    std::vector<std::map<std::string, std::string>> v;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        auto colon = line.find(':');
        if (colon == std::string::npos || line.empty() || line[0] == ' ') {
            continue;
        }
        std::string key = line.substr(0, colon);
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        if (key == "TunnelID") {
            v.emplace_back();
        }
        if (!v.empty()) {
            v.back()[key] = value;
        }
    }
    return v;
}

std::uint32_t hex(const std::string& s) { return static_cast<std::uint32_t>(std::stoul(s, nullptr, 16)); }

class ike_interop : public two_host_test {
protected:
    void SetUp() override {
        two_host_test::SetUp();
        if (IsSkipped()) {
            return;
        }
        fs::create_directories(dir / "a");
        std::ofstream(dir / "a" / "zplex.pol") << policy_text();
        cb = std::make_unique<charon>(hosts->b, dir / "b");
        cb->load(zplex_interop(two_hosts::outer_b, two_hosts::outer_a, std::string(two_hosts::inner_b) + "/32",
                               std::string(two_hosts::inner_a) + "/32")
                     .swanctl_conf());
    }
    void start_zplex(std::vector<std::string> initiate) {
        zplex_host_options o;
        o.binary = fs::path(ZPLEX_BINARY_DIR) / "bin" / "zplex-host";
        o.local = two_hosts::outer_a;
        o.remote_ts = std::string(two_hosts::inner_b) + "/32";
        o.route_src = two_hosts::inner_a;
        o.policy = (dir / "a" / "zplex.pol").string();
        o.control = (dir / "a" / "zplex.ctl").string();
        o.initiate = std::move(initiate);
        za = std::make_unique<zplex_host_process>(hosts->a, dir / "a", o);
    }
    /// `zplex ipsec <args> --control <socket>` (the CLI), output.
    std::string zplex(std::vector<std::string> args) {
        std::vector<std::string> argv{(fs::path(ZPLEX_BINARY_DIR) / "bin" / "zplex").string(), "ipsec", "--control",
                                      (dir / "a" / "zplex.ctl").string()};
        argv.insert(argv.end(), args.begin(), args.end());
        auto r = run(argv, 10s);
        EXPECT_TRUE(r.ok()) << r.out;
        return r.out;
    }
    std::vector<std::map<std::string, std::string>> zplex_children() {
        return parse_display(zplex({"-y", "-r", "detail", "display"}));
    }
    /// Wait until strongSwan has an INSTALLED child and zplex shows @p n children whose
    /// newest has strongSwan's SPIs swapped.
    child_sa wait_in_step(std::chrono::milliseconds total = 15s) {
        auto deadline = std::chrono::steady_clock::now() + total;
        child_sa sw;
        while (std::chrono::steady_clock::now() < deadline) {
            sw = cb->installed_child("zplex");
            if (sw.state == "INSTALLED") {
                for (const auto& r : zplex_children()) {
                    if (r.count("EncryptInboundSpi") && hex(r.at("EncryptInboundSpi")) == sw.spi_out &&
                        hex(r.at("EncryptOutboundSpi")) == sw.spi_in) {
                        return sw;
                    }
                }
            }
            std::this_thread::sleep_for(100ms);
        }
        ADD_FAILURE() << "zplex and strongSwan never agreed on a CHILD SA";
        return sw;
    }
    bool zplex_status_is(const std::string& want, std::chrono::milliseconds total = 10s) {
        auto deadline = std::chrono::steady_clock::now() + total;
        while (std::chrono::steady_clock::now() < deadline) {
            if (zplex({"status"}) == want) {
                return true;
            }
            std::this_thread::sleep_for(100ms);
        }
        return false;
    }
    bool swan_has_no_child(std::chrono::milliseconds total = 10s) {
        auto deadline = std::chrono::steady_clock::now() + total;
        while (std::chrono::steady_clock::now() < deadline) {
            if (cb->installed_child("zplex").state != "INSTALLED") {
                return true;
            }
            std::this_thread::sleep_for(100ms);
        }
        return false;
    }
    /// The transfer with a child rekey and an IKE rekey during it; @p zplex_rekeys_child:
    /// zplex rekeys the child and strongSwan the IKE SA, else the other way round.
    void transfer_with_rekeys(bool zplex_rekeys_child) {
        auto before = cb->installed_child("zplex");
        auto transfer = std::async(std::launch::async, [&] {
            return tcp_transfer(hosts->b, two_hosts::inner_b, 5001, hosts->a, two_hosts::inner_a, 48ull << 20, 60s);
        });
        std::this_thread::sleep_for(300ms);
        if (zplex_rekeys_child) {
            zplex({"rekey", "child"});
        } else {
            auto r = cb->rekey_child("zplex");
            EXPECT_TRUE(r.ok()) << r.out;
        }
        std::this_thread::sleep_for(300ms);
        if (zplex_rekeys_child) {
            auto r = cb->rekey_ike("zplex");
            EXPECT_TRUE(r.ok()) << r.out;
        } else {
            zplex({"rekey", "ike"});
        }
        auto res = transfer.get();
        EXPECT_TRUE(res.ok) << res.error;
        EXPECT_EQ(res.sha_sent, res.sha_received);
        std::printf("transfer %llu bytes in %.2f s (%.1f Mbit/s) across a child and an IKE rekey\n",
                    static_cast<unsigned long long>(res.bytes_received), res.seconds, res.mbit_per_s());
        auto after = wait_in_step();
        EXPECT_NE(after.spi_in, before.spi_in) << "the child was rekeyed";
        auto out = za->output();
        EXPECT_NE(out.find("ZPX0902I CHILD SA REKEYED"), std::string::npos) << out;
        EXPECT_NE(out.find("ZPX0910I IKE SA REKEYED"), std::string::npos) << out;
    }
    /// On a fresh CHILD SA: ping, then each side's sent bytes equal the other's received.
    void counters_agree() {
        zplex({"rekey", "child"});
        auto sw = wait_in_step();
        EXPECT_EQ(ping(hosts->a, two_hosts::inner_a, two_hosts::inner_b, 3), 3);
        sw = cb->installed_child("zplex");
        std::map<std::string, std::string> z;
        for (const auto& r : zplex_children()) {
            if (hex(r.at("EncryptInboundSpi")) == sw.spi_out) {
                z = r;
            }
        }
        ASSERT_FALSE(z.empty());
        std::printf("zplex out %s pkts %s bytes / strongSwan in %llu pkts %llu bytes; strongSwan out %llu bytes / "
                    "zplex in %s bytes\n",
                    z["OutboundPackets"].c_str(), z["OutboundBytes"].c_str(),
                    static_cast<unsigned long long>(sw.packets_in), static_cast<unsigned long long>(sw.bytes_in),
                    static_cast<unsigned long long>(sw.bytes_out), z["InboundBytes"].c_str());
        EXPECT_EQ(hex(z.at("EncryptOutboundSpi")), sw.spi_in);
        EXPECT_EQ(std::stoull(z.at("OutboundPackets")), sw.packets_in);
        EXPECT_EQ(std::stoull(z.at("InboundPackets")), sw.packets_out);
        EXPECT_EQ(std::stoull(z.at("OutboundBytes")), sw.bytes_in);
        EXPECT_EQ(std::stoull(z.at("InboundBytes")), sw.bytes_out);
        EXPECT_EQ(sw.packets_in, 3u);
    }
};

TEST_F(ike_interop, zplex_initiates) {
    start_zplex({"to_swan"});
    auto sw = wait_in_step();
    ASSERT_EQ(sw.state, "INSTALLED");
    EXPECT_TRUE(sw.encap);
    EXPECT_EQ(sw.mode, "TUNNEL");
    ASSERT_TRUE(ping_until(hosts->a, two_hosts::inner_a, two_hosts::inner_b));
    auto k = zplex({"-k", "display"});
    EXPECT_NE(k.find("to_swan"), std::string::npos) << k;
    transfer_with_rekeys(true);
    counters_agree();
    // zplex deletes the child, then strongSwan (--terminate) the IKE SA.
    zplex({"delete", "child"});
    EXPECT_TRUE(swan_has_no_child());
    EXPECT_TRUE(zplex_status_is("ike 1 children 0\n"));
    auto r = cb->terminate_ike("zplex");
    EXPECT_TRUE(r.ok()) << r.out;
    EXPECT_TRUE(zplex_status_is("ike 0 children 0\n"));
}

// InitiateWhen OnDemand: nobody initiates; the first packet zplex's side sends to
// strongSwan's subnet starts IKE, and the pings after it go through the new CHILD SA.
TEST_F(ike_interop, a_packet_starts_an_on_demand_tunnel) {
    start_zplex({});
    EXPECT_TRUE(zplex_status_is("ike 0 children 0\n"));
    ASSERT_TRUE(ping_until(hosts->a, two_hosts::inner_a, two_hosts::inner_b));
    auto sw = wait_in_step();
    EXPECT_EQ(sw.state, "INSTALLED");
    auto out = za->output();
    EXPECT_NE(out.find("ZPX0914I ON DEMAND: A PACKET FROM"), std::string::npos) << out;
    EXPECT_TRUE(zplex_status_is("ike 1 children 1\n"));
}

TEST_F(ike_interop, strongswan_initiates) {
    start_zplex({});
    auto r = cb->initiate("zplex");
    ASSERT_TRUE(r.ok()) << r.out;
    auto sw = wait_in_step();
    ASSERT_EQ(sw.state, "INSTALLED");
    ASSERT_TRUE(ping_until(hosts->a, two_hosts::inner_a, two_hosts::inner_b));
    transfer_with_rekeys(false);
    counters_agree();
    // strongSwan deletes the child; then zplex initiates again and deletes the IKE SA.
    r = cb->swanctl({"--terminate", "--child", "zplex", "--timeout", "10"});
    EXPECT_TRUE(r.ok()) << r.out;
    EXPECT_TRUE(zplex_status_is("ike 1 children 0\n"));
    zplex({"delete", "ike"});
    EXPECT_TRUE(zplex_status_is("ike 0 children 0\n"));
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!cb->list_sas().empty() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(cb->list_sas().empty()) << "strongSwan saw zplex's IKE delete";
}

std::string offer(const char* group) {
    return std::string("  KeyExchangeOffer { HowToEncrypt AES_GCM_16 KeyLength 128 PseudoRandomFunction HMAC_SHA2_256 "
                       "DHGroup ") +
           group + " }\n";
}

// Each key exchange zplex offers, zplex initiating against strongSwan's responder (the
// zplex side of what tests/e2e/strongswan checks between two charons).
class ike_interop_dh : public ike_interop, public ::testing::WithParamInterface<std::pair<const char*, const char*>> {};

TEST_P(ike_interop_dh, zplex_initiates_with_each_group) {
    if (IsSkipped()) {
        return;
    }
    std::ofstream(dir / "a" / "zplex.pol") << policy_text(offer(GetParam().first));
    start_zplex({"to_swan"});
    auto sw = wait_in_step();
    ASSERT_EQ(sw.state, "INSTALLED");
    auto sas = cb->list_sas();
    ASSERT_FALSE(sas.empty());
    EXPECT_EQ(sas.at(0).attrs["dh-group"], GetParam().second);
    EXPECT_TRUE(ping_until(hosts->a, two_hosts::inner_a, two_hosts::inner_b));
}

INSTANTIATE_TEST_SUITE_P(groups, ike_interop_dh,
                         ::testing::Values(std::pair{"Group14", "MODP_2048"}, std::pair{"Group19", "ECP_256"},
                                           std::pair{"Group31", "CURVE_25519"}),
                         [](const auto& info) { return std::string(info.param.first); });

// The responder's order wins: zplex guesses MODP-2048 for its KE (its first offer) while
// also offering X25519; strongSwan prefers X25519 and answers INVALID_KE_PAYLOAD, and
// zplex retries with X25519 (RFC 7296 §1.3).
TEST_F(ike_interop, zplex_retries_after_invalid_ke_payload) {
    std::ofstream(dir / "a" / "zplex.pol") << policy_text(offer("Group14") + offer("Group31"));
    start_zplex({"to_swan"});
    auto sw = wait_in_step();
    ASSERT_EQ(sw.state, "INSTALLED");
    auto sas = cb->list_sas();
    ASSERT_FALSE(sas.empty());
    EXPECT_EQ(sas.at(0).attrs["dh-group"], "CURVE_25519");
}

}  // namespace
}  // namespace zplex::e2e
