// SPDX-License-Identifier: Apache-2.0
// Host mode's IKE daemon without a kernel: the Policy Agent policy -> engine config
// adapter, and two iked instances back to back over fake hosts (IKE datagrams passed
// across, add_child/remove_child recorded) through setup, rekeys, SAD expiry, deletes,
// displays and the control verbs.
#include <zplex/host/iked.hpp>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <map>

namespace zplex::host {
namespace {

constexpr const char* policy_a = R"(
IpFilterPolicy
{
  IpFilterRule tunnel_ab
  {
    IpSourceAddr 198.18.20.1
    IpDestAddr   198.18.21.0/24
    IpGenericFilterActionRef permit
    IpDynVpnActionRef gcm
  }
}
IpDynVpnAction gcm
{
  HowToEncap   Tunnel
  HowToEncrypt AES_GCM_16 KeyLength 128
  HowToAuth    ESP NULL
  IpDataOffer { HowToEncap Tunnel HowToEncrypt AES_CBC KeyLength 256 HowToAuth ESP HMAC_SHA2_256_128 }
  Pfs          Group19
  Lifetime     60
  Lifesize     1024
}
KeyExchangePolicy
{
  KeyExchangeRule to_b
  {
    LocalSecurityEndpointRef  a
    RemoteSecurityEndpointRef b
    KeyExchangeActionRef      ike
    SharedKey                 Ascii "zplex-e2e-preshared-key-0123456789"
  }
}
KeyExchangeAction ike
{
  HowToAuthPeers PresharedKey
  KeyExchangeOffer { HowToEncrypt AES_GCM_16 KeyLength 128 PseudoRandomFunction HMAC_SHA2_256 DHGroup Group31 RefreshLifetimeProposed 30 }
  KeyExchangeOffer { HowToEncrypt AES_CBC KeyLength 256 HowToAuthMsgs HMAC_SHA2_384_192 PseudoRandomFunction HMAC_SHA2_384 DHGroup Group14 }
}
LocalSecurityEndpoint a  { Location 198.18.10.1 }
RemoteSecurityEndpoint b { Identity Fqdn b.zplex.test Location 198.18.10.2 }
)";

// The mirror image for b (transport in the policy: host mode makes it tunnel).
constexpr const char* policy_b = R"(
IpFilterPolicy
{
  IpFilterRule tunnel_ba
  {
    IpSourceAddr 198.18.21.0/24
    IpDestAddr   198.18.20.1
    IpGenericFilterActionRef permit
    IpDynVpnActionRef gcm
  }
}
IpDynVpnAction gcm
{
  HowToEncap   Transport
  HowToEncrypt AES_GCM_16 KeyLength 128
  HowToAuth    ESP NULL
  Pfs          Group19
}
KeyExchangePolicy
{
  KeyExchangeRule from_a
  {
    LocalSecurityEndpointRef  b
    RemoteSecurityEndpointRef a
    KeyExchangeActionRef      ike
    SharedKey                 Ascii "zplex-e2e-preshared-key-0123456789"
  }
}
KeyExchangeAction ike
{
  HowToAuthPeers PresharedKey
  KeyExchangeOffer { HowToEncrypt AES_GCM_16 KeyLength 128 PseudoRandomFunction HMAC_SHA2_256 DHGroup Group31 }
}
LocalSecurityEndpoint b  { Identity Fqdn b.zplex.test Location 198.18.10.2 }
RemoteSecurityEndpoint a { Location 198.18.10.0/24 }
)";

iked_config config_of(const char* text) {
    auto r = policy::parse(text, "test.pol");
    EXPECT_LT(r.return_code(), 8) << (r.messages.empty() ? "" : r.messages.front().str());
    return iked_config_from_policy(r.policy);
}

TEST(iked_policy, key_exchange_rule_becomes_a_connection) {
    auto c = config_of(policy_a);
    ASSERT_FALSE(c.has_errors());
    ASSERT_EQ(c.peer.connections.size(), 1u);
    const auto& k = c.peer.connections[0];
    EXPECT_EQ(k.name, "to_b");
    EXPECT_EQ(k.local_addr, 0xc6120a01u);
    EXPECT_EQ(k.remote_addr, 0xc6120a02u);
    EXPECT_EQ(k.local_id, ike::identity::ipv4(0xc6120a01u));
    EXPECT_EQ(k.remote_id, ike::identity::fqdn("b.zplex.test"));
    EXPECT_EQ(k.auth, ike::auth_kind::psk);
    EXPECT_EQ(std::string(k.psk.view().begin(), k.psk.view().end()), "zplex-e2e-preshared-key-0123456789");
    static_assert(std::is_same_v<decltype(k.psk), ike::secret>, "the PSK lives in a wiping type");
    ASSERT_EQ(k.proposals.size(), 2u);
    EXPECT_EQ(k.proposals[0].encr, (std::vector<std::pair<std::uint16_t, std::uint16_t>>{{ike::encr_id::aes_gcm_16, 128}}));
    EXPECT_TRUE(k.proposals[0].integ.empty());
    EXPECT_EQ(k.proposals[0].dh, std::vector<std::uint16_t>{ike::dh_group::curve25519});
    EXPECT_EQ(k.proposals[1].encr, (std::vector<std::pair<std::uint16_t, std::uint16_t>>{{ike::encr_id::aes_cbc, 256}}));
    EXPECT_EQ(k.proposals[1].integ, std::vector<std::uint16_t>{ike::integ_id::hmac_sha2_384_192});
    EXPECT_EQ(k.proposals[1].prf, std::vector<std::uint16_t>{ike::prf_id::hmac_sha2_384});
    EXPECT_EQ(k.proposals[1].dh, std::vector<std::uint16_t>{ike::dh_group::modp_2048});
    ASSERT_EQ(c.connections.size(), 1u);
    EXPECT_EQ(c.connections[0].ike_lifetime, std::chrono::minutes(30));
    EXPECT_EQ(c.connections[0].remote_id_type, "ID_FQDN");
}

TEST(iked_policy, filter_rule_with_dyn_vpn_action_becomes_a_child) {
    auto c = config_of(policy_a);
    const auto& k = c.peer.connections[0];
    ASSERT_EQ(k.children.size(), 1u);
    const auto& ch = k.children[0];
    EXPECT_EQ(ch.name, "tunnel_ab");
    EXPECT_EQ(ch.mode, ipsec::sa_mode::tunnel);
    ASSERT_EQ(ch.local_ts.size(), 1u);
    EXPECT_EQ(ch.local_ts[0].start_addr, 0xc6121401u);
    EXPECT_EQ(ch.local_ts[0].end_addr, 0xc6121401u);
    EXPECT_EQ(ch.remote_ts[0].start_addr, 0xc6121500u);
    EXPECT_EQ(ch.remote_ts[0].end_addr, 0xc61215ffu);
    EXPECT_EQ(ch.remote_ts[0].ip_protocol, 0);
    ASSERT_EQ(ch.proposals.size(), 2u);
    EXPECT_EQ(ch.proposals[0].encr, (std::vector<std::pair<std::uint16_t, std::uint16_t>>{{ike::encr_id::aes_gcm_16, 128}}));
    EXPECT_EQ(ch.proposals[0].dh, std::vector<std::uint16_t>{19});
    EXPECT_EQ(ch.proposals[1].integ, std::vector<std::uint16_t>{ike::integ_id::hmac_sha2_256_128});
    ASSERT_EQ(c.children.size(), 1u);
    EXPECT_EQ(c.children[0].lifetime, std::chrono::minutes(60));
    EXPECT_EQ(c.children[0].lifesize_kb, 1024u);
    EXPECT_EQ(c.children[0].vpn_action, "gcm");
}

TEST(iked_policy, remote_range_is_kept_and_the_identity_must_be_an_address_in_it) {
    auto c = config_of(policy_b);
    ASSERT_FALSE(c.has_errors());
    const auto& k = c.peer.connections[0];
    EXPECT_EQ(k.remote_addr, 0xc6120a00u);  // 198.18.10.0/24, not "any address"
    EXPECT_EQ(k.remote_prefix, 24);
    EXPECT_TRUE(k.remote_id.data.empty());
    EXPECT_TRUE(k.remote_id_in_range);  // not "any identity"
    EXPECT_EQ(c.connections[0].remote_id, "198.18.10.0/24");
    EXPECT_EQ(k.children.at(0).mode, ipsec::sa_mode::tunnel);
    bool told = false;
    for (const auto& m : c.messages) {
        told = told || (m.id == "ZPX0908I" && m.text.find("Tunnel IN HOST MODE") != std::string::npos);
    }
    EXPECT_TRUE(told);
}

TEST(iked_policy, unusable_rules_are_reported) {
    auto r = policy::parse(R"(
KeyExchangePolicy { KeyExchangeRule r { LocalSecurityEndpointRef l RemoteSecurityEndpointRef x KeyExchangeActionRef a } }
KeyExchangeAction a { HowToAuthPeers PresharedKey }
LocalSecurityEndpoint l { Location 198.18.10.0/24 }
RemoteSecurityEndpoint x { Location 198.18.10.2 }
)",
                           "bad.pol");
    auto c = iked_config_from_policy(r.policy);
    EXPECT_TRUE(c.has_errors());
    ASSERT_FALSE(c.messages.empty());
    EXPECT_EQ(c.messages.front().id, "ZPX0907E");
}

TEST(iked_policy, host_selectors_are_prefixes) {
    auto t = to_host_selector(ike::traffic_selector{6, 80, 80, 0xc6121500u, 0xc61215ffu});
    ASSERT_TRUE(t);
    EXPECT_EQ(t->addr, 0xc6121500u);
    EXPECT_EQ(t->prefix_len, 24);
    EXPECT_EQ(t->protocol, std::optional<std::uint8_t>(6));
    EXPECT_EQ(t->port_lo, 80);
    EXPECT_FALSE(to_host_selector(ike::traffic_selector{0, 0, 65535, 0xc6121501u, 0xc6121502u}));
    auto any = to_host_selector(ike::traffic_selector{});
    ASSERT_TRUE(any);
    EXPECT_EQ(any->prefix_len, 0);
}

/// A host without a kernel: IKE goes to the other fake host's handler.
class fake_host final : public host {
public:
    explicit fake_host(std::uint32_t addr) { _c.local_addr = addr; }
    fake_host* other = nullptr;
    std::map<child_id, child_config> children;
    child_id add_child(const child_config& c) override {
        for (const auto& [id, ch] : children) {
            if (ch.inbound.spi == c.inbound.spi) {
                return 0;
            }
        }
        children[++_next] = c;
        return _next;
    }
    bool remove_child(child_id id) override { return children.erase(id) == 1; }
    void set_ike_handler(ike_handler h) override { _h = std::move(h); }
    void set_acquire_handler(acquire_handler h) override { acquire = std::move(h); }
    acquire_handler acquire;
    bool send_ike(std::uint16_t local_port, std::uint32_t peer, std::uint16_t peer_port,
                  std::span<const std::uint8_t> m) noexcept override {
        if (other && other->_h && peer == other->_c.local_addr) {
            other->_h(peer_port, _c.local_addr, local_port, m);
        }
        return true;
    }
    int run_once(int) noexcept override { return 0; }
    void run() noexcept override {}
    void stop() noexcept override {}
    void wake() noexcept override {}
    const counters& stats() const noexcept override { return _stats; }
    std::optional<child_stats> stats(child_id id) const noexcept override {
        auto it = children.find(id);
        if (it == children.end()) {
            return std::nullopt;
        }
        return child_stats{it->second.inbound.spi, it->second.outbound.spi, 3, 300, 4, 400};
    }
    std::string format_counters() const override { return "tun_in 0\n"; }
    const host_config& config() const noexcept override { return _c; }

private:
    host_config _c;
    counters _stats;
    ike_handler _h;
    child_id _next = 0;
};

struct pair_of_ikeds {
    fake_host ha{0xc6120a01u}, hb{0xc6120a02u};
    std::unique_ptr<iked> a, b;
    ike::time_point now = ike::clock::now();
    pair_of_ikeds() {
        ha.other = &hb;
        hb.other = &ha;
        a = std::make_unique<iked>(ha, config_of(policy_a));
        b = std::make_unique<iked>(hb, config_of(policy_b));
    }
    void pump() {
        for (int i = 0; i < 20; ++i) {
            a->process(now);
            b->process(now);
        }
    }
};

TEST(iked_pair, initiate_installs_matching_children_and_displays_them) {
    pair_of_ikeds p;
    EXPECT_NE(p.a->control("initiate to_b", p.now).find("ZPX0911I"), std::string::npos);
    p.pump();
    ASSERT_EQ(p.ha.children.size(), 1u);
    ASSERT_EQ(p.hb.children.size(), 1u);
    const auto& ca = p.ha.children.begin()->second;
    const auto& cb = p.hb.children.begin()->second;
    EXPECT_EQ(ca.inbound.spi, cb.outbound.spi);
    EXPECT_EQ(ca.outbound.spi, cb.inbound.spi);
    EXPECT_EQ(ca.inbound.alg, ipsec::algorithm::aes_gcm_128);
    EXPECT_EQ(ca.peer_addr, 0xc6120a02u);
    EXPECT_EQ(ca.local_ts.addr, 0xc6121401u);
    EXPECT_EQ(ca.local_ts.prefix_len, 32);
    EXPECT_EQ(ca.remote_ts.prefix_len, 24);
    EXPECT_EQ(ca.life.hard_time, std::chrono::seconds(3600));
    EXPECT_EQ(ca.life.hard_bytes, 1024u * 1024);
    EXPECT_EQ(ca.life.soft_bytes, 1024u * 1024 * 9 / 10);
    auto y = p.a->control("ipsec -y display -r detail", p.now);
    const std::string spi = fmt::format("{:08X}", ca.inbound.spi);
    EXPECT_NE(y.find("Dynamic tunnel"), std::string::npos) << y;
    auto recs = p.a->dynamic_records();
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].inbound_spi, ca.inbound.spi);
    EXPECT_EQ(recs[0].outbound_spi, ca.outbound.spi);
    EXPECT_EQ(recs[0].inbound_bytes, 300u);
    EXPECT_EQ(recs[0].outbound_bytes, 400u);
    EXPECT_EQ(recs[0].vpn_action, "gcm");
    EXPECT_EQ(recs[0].parent_ike_tunnel, "K1");
    auto k = p.a->ike_records();
    ASSERT_EQ(k.size(), 1u);
    EXPECT_EQ(k[0].key_exchange_rule, "to_b");
    EXPECT_EQ(k[0].encryption_algorithm, "AES_GCM_16");
    EXPECT_EQ(k[0].dh_group, 31u);
    EXPECT_TRUE(k[0].initiator);
    EXPECT_NE(p.a->control("ipsec -k display", p.now).find("to_b"), std::string::npos);
    EXPECT_EQ(p.a->control("status", p.now), "ike 1 children 1\n");
}

// InitiateWhen OnDemand: a packet the host could not protect starts the KeyExchangeRule
// whose filter rule covers it; packets outside every rule, and further packets while the
// negotiation runs, start nothing more.
TEST(iked_pair, a_packet_for_an_on_demand_rule_starts_ike) {
    pair_of_ikeds p;
    ASSERT_TRUE(p.ha.acquire);
    ipsec::spd_selector outside{0xc6121401u, 0xc6121601u, 6, 40000, 80, ipsec::spd_direction::outbound};
    p.ha.acquire(outside);  // 198.18.22.1: no rule covers it
    p.pump();
    EXPECT_EQ(p.a->engine().status().size(), 0u);
    ipsec::spd_selector ping{0xc6121401u, 0xc6121505u, 1, 0, 0, ipsec::spd_direction::outbound};
    for (int i = 0; i < 5; ++i) {
        p.ha.acquire(ping);  // 198.18.20.1 -> 198.18.21.5: tunnel_ab
    }
    p.pump();
    ASSERT_EQ(p.ha.children.size(), 1u) << "one negotiation for five packets";
    ASSERT_EQ(p.hb.children.size(), 1u);
    EXPECT_EQ(p.a->engine().status().size(), 1u);
    p.ha.acquire(ping);  // a late packet while the SA is up: nothing new
    p.pump();
    EXPECT_EQ(p.a->engine().status().size(), 1u);
    EXPECT_EQ(p.ha.children.size(), 1u);
    // b's rule names a range of peers: it can answer, not call.
    ipsec::spd_selector back{0xc6121505u, 0xc6121401u, 1, 0, 0, ipsec::spd_direction::outbound};
    p.hb.acquire(back);
    p.pump();
    EXPECT_EQ(p.b->engine().status().size(), 1u);
}

TEST(iked_pair, rekeys_make_before_break_and_deletes_reach_the_other_side) {
    pair_of_ikeds p;
    p.a->initiate("to_b", p.now);
    p.pump();
    ASSERT_EQ(p.ha.children.size(), 1u);
    auto first = p.ha.children.begin()->second.inbound.spi;
    // A SAD soft expiry on b (inbound SA) rekeys the child from the responder's side.
    auto b_in = p.hb.children.begin()->second.inbound.spi;
    p.b->on_sa_event(ipsec::sa_notice{ipsec::sa_event::soft_expire, b_in, "", true});
    p.pump();
    ASSERT_EQ(p.ha.children.size(), 1u);
    ASSERT_EQ(p.hb.children.size(), 1u);
    EXPECT_NE(p.ha.children.begin()->second.inbound.spi, first);
    EXPECT_EQ(p.a->dynamic_records().at(0).generation, 2u);
    // Forced child rekey from a (control verb), then an IKE rekey: children move over.
    EXPECT_NE(p.a->control("rekey child", p.now).find("ZPX0911I"), std::string::npos);
    p.pump();
    EXPECT_EQ(p.a->dynamic_records().at(0).generation, 3u);
    EXPECT_NE(p.b->control("rekey ike", p.now).find("ZPX0911I"), std::string::npos);
    p.pump();
    auto k = p.a->ike_records();
    ASSERT_EQ(k.size(), 1u);
    EXPECT_EQ(k[0].generation, 2u);
    EXPECT_EQ(p.ha.children.size(), 1u);
    EXPECT_EQ(p.a->dynamic_records().at(0).parent_ike_tunnel, "K1");
    // An outbound (named) soft expiry on a.
    auto a_id = p.ha.children.begin()->first;
    auto before = p.ha.children.begin()->second.inbound.spi;
    p.a->on_sa_event(ipsec::sa_notice{ipsec::sa_event::soft_expire, 0, "child-" + std::to_string(a_id), false});
    p.pump();
    EXPECT_NE(p.ha.children.begin()->second.inbound.spi, before);
    // Delete the child from b, then the IKE SA from a.
    EXPECT_NE(p.b->control("delete child", p.now).find("ZPX0911I"), std::string::npos);
    p.pump();
    EXPECT_TRUE(p.ha.children.empty());
    EXPECT_TRUE(p.hb.children.empty());
    EXPECT_NE(p.a->control("delete ike to_b", p.now).find("ZPX0911I"), std::string::npos);
    p.pump();
    EXPECT_TRUE(p.a->ike_records().empty());
    EXPECT_TRUE(p.b->ike_records().empty());
    EXPECT_NE(p.a->control("rekey ike", p.now).find("ZPX0909E"), std::string::npos);
    EXPECT_NE(p.a->control("bogus", p.now).find("ZPX0909E"), std::string::npos);
}

TEST(iked_pair, deleting_the_ike_sa_removes_its_children) {
    pair_of_ikeds p;
    p.a->initiate("to_b", p.now);
    p.pump();
    ASSERT_EQ(p.hb.children.size(), 1u);
    p.b->delete_ike("", p.now);
    p.pump();
    EXPECT_TRUE(p.ha.children.empty());
    EXPECT_TRUE(p.hb.children.empty());
}

}  // namespace
}  // namespace zplex::host
