// SPDX-License-Identifier: Apache-2.0
// The Policy Agent style policy parser: a full policy, references in any order,
// several attributes on one line, every kind of error with its place, and nothing
// good lost to a bad neighbour.
#include <zplex/policy/policy.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace zplex::policy {
namespace {

const std::string corpus = std::string(ZPLEX_SOURCE_DIR) + "/tests/policy/";

constexpr std::uint32_t ip(int a, int b, int c, int d) {
    return static_cast<std::uint32_t>(a << 24 | b << 16 | c << 8 | d);
}

std::string all_messages(const parse_result& r) {
    std::string s;
    for (const auto& m : r.messages) {
        s += m.str() + "\n";
    }
    return s;
}

bool has(const parse_result& r, const std::string& id, const std::string& text) {
    return std::any_of(r.messages.begin(), r.messages.end(),
                       [&](const message& m) { return m.id == id && m.text.find(text) != std::string::npos; });
}

TEST(policy, the_swsa_policy_reads_whole) {
    auto r = parse_file(corpus + "swsa.pol");
    EXPECT_EQ(r.return_code(), 0) << all_messages(r);
    const auto& p = r.policy;
    ASSERT_EQ(p.filter_rules.size(), 3u) << all_messages(r);
    // Policy order: inline, by reference, inline.
    EXPECT_EQ(p.filter_rules[0].name, "SWSA_to_partner");
    EXPECT_EQ(p.filter_rules[1].name, "IKE_in");
    EXPECT_EQ(p.filter_rules[2].name, "everything_else");
    const auto& f = p.filter_rules[0];
    EXPECT_EQ(f.src.addr, ip(198, 18, 2, 1));
    EXPECT_EQ(f.src.prefix, 32);
    EXPECT_EQ(f.dst.addr, ip(198, 18, 0, 192));
    EXPECT_EQ(f.dst.prefix, 26);
    ASSERT_TRUE(f.protocol);
    EXPECT_EQ(*f.protocol, 6);
    EXPECT_EQ(f.src_port_lo, 60);
    EXPECT_EQ(f.src_port_hi, 60);
    EXPECT_EQ(f.dst_port_lo, 0);
    EXPECT_EQ(f.dst_port_hi, 65535) << "port 0 is every port";
    EXPECT_EQ(f.direction, ipsec::spd_direction::both);
    EXPECT_EQ(f.dyn_vpn_action, "ESP_AES_SHA");
    EXPECT_EQ(*p.filter_rules[1].protocol, 17) << "IpServiceRef to a service defined after the rule";

    const auto& a = p.dyn_vpn_actions.at("ESP_AES_SHA");
    ASSERT_EQ(a.offers.size(), 2u);
    EXPECT_EQ(a.offers[0].alg, ipsec::algorithm::aes_cbc_128_hmac_sha256) << "the flat attributes are offered first";
    EXPECT_EQ(a.offers[1].alg, ipsec::algorithm::aes_gcm_256);
    EXPECT_EQ(a.offers[0].encap, encap_mode::transport);
    EXPECT_EQ(a.pfs_group, 19u);
    EXPECT_EQ(a.lifesize_kb, 1048576u);
    EXPECT_EQ(a.lifetime, std::chrono::minutes(240));

    ASSERT_EQ(p.key_exchange_rules.size(), 1u);
    const auto& k = p.key_exchange_rules[0];
    EXPECT_EQ(std::string(k.shared_key.begin(), k.shared_key.end()), "zplex swsa secret") << "a quoted key keeps its spaces";
    const auto& act = p.key_exchange_actions.at("IKEv2_Main");
    ASSERT_EQ(act.offers.size(), 2u);
    EXPECT_EQ(act.offers[0].encryption, ike_encryption::aes_gcm_16);
    EXPECT_EQ(act.offers[0].integrity, ike_integrity::none);
    EXPECT_EQ(act.offers[0].dh_group, 31u);
    EXPECT_EQ(act.offers[0].lifetime, std::chrono::minutes(480));
    EXPECT_EQ(act.offers[1].key_length, 256u);
    EXPECT_EQ(act.offers[1].integrity, ike_integrity::hmac_sha2_384_192);
    EXPECT_EQ(act.offers[1].prf, ike_prf::hmac_sha2_384);
    EXPECT_EQ(act.offers[1].dh_group, 14u);
    EXPECT_EQ(p.local_endpoints.at("dvipa1").id->value, "198.18.2.1");
    EXPECT_EQ(p.remote_endpoints.at("partnerGW").id->type, id_type::fqdn);

    EXPECT_EQ(p.rule_for_peer(ip(198, 18, 0, 200)), &k);
    EXPECT_EQ(p.rule_for_peer(ip(198, 18, 0, 10)), nullptr) << "outside the partner's location";
    EXPECT_TRUE(has(r, "ZPX0808I", "3 FILTER RULES AND 1 KEY EXCHANGE RULE INSTALLED"));
}

TEST(policy, filter_rules_become_spd_rules_in_order) {
    auto r = parse_file(corpus + "swsa.pol");
    auto rules = r.policy.spd_rules();
    ASSERT_EQ(rules.size(), 3u);
    EXPECT_EQ(rules[0].action, ipsec::spd_action::ipsec);
    EXPECT_EQ(rules[0].sa_name, "ESP_AES_SHA");
    EXPECT_EQ(rules[1].action, ipsec::spd_action::permit);
    EXPECT_EQ(rules[2].src_len, 0);
    ipsec::spd spd;
    for (auto& s : rules) {
        spd.add(s);
    }
    ipsec::spd_selector to_peer{ip(198, 18, 2, 1), ip(198, 18, 0, 200), 6, 60, 33000, ipsec::spd_direction::outbound};
    EXPECT_EQ(spd.lookup(to_peer).action, ipsec::spd_action::ipsec);
    ipsec::spd_selector other_port{ip(198, 18, 2, 1), ip(198, 18, 0, 200), 6, 61, 33000,
                                   ipsec::spd_direction::outbound};
    EXPECT_EQ(spd.lookup(other_port).action, ipsec::spd_action::permit);
}

TEST(policy, errors_name_their_place_and_lose_nothing_good) {
    auto r = parse_file(corpus + "errors.pol");
    EXPECT_EQ(r.return_code(), 8);
    auto text = all_messages(r);
    // The good rule stays.
    ASSERT_EQ(r.policy.filter_rules.size(), 1u) << text;
    EXPECT_EQ(r.policy.filter_rules[0].name, "good_rule");
    EXPECT_EQ(r.policy.spd_rules()[0].action, ipsec::spd_action::deny);
    EXPECT_TRUE(has(r, "ZPX0803E", "INCORRECT VALUE '198.18.2.300' FOR IPSOURCEADDR IN IPFILTERRULE bad_address AT LINE 12 COLUMN 5"))
        << text;
    EXPECT_TRUE(has(r, "ZPX0804E", "IPFILTERRULE no_action AT LINE 16 COLUMN 3 OF ")) << text;
    EXPECT_TRUE(has(r, "ZPX0804E", "IS NOT INSTALLED: IPGENERICFILTERACTION nowhere IS NOT DEFINED")) << text;
    EXPECT_TRUE(has(r, "ZPX0803E", "KEYLENGTH 128 OR KEYLENGTH 256")) << text;
    EXPECT_TRUE(has(r, "ZPX0803E", "HMAC_SHA1 AND HMAC_MD5 ARE NOT SUPPORTED")) << text;
    EXPECT_TRUE(has(r, "ZPX0804E", "IPFILTERRULE md5")) << text;
    EXPECT_TRUE(has(r, "ZPX0804E", "IPFILTERRULEREF not_there")) << text;
    EXPECT_TRUE(has(r, "ZPX0802E", "UNKNOWN ATTRIBUTE BOGUS AT LINE 30 COLUMN 3")) << text;
    EXPECT_TRUE(has(r, "ZPX0804E", "KEYEXCHANGERULE loose_no_key")) << text;
    EXPECT_TRUE(has(r, "ZPX0804E", "NO SHAREDKEY")) << text;
    EXPECT_TRUE(has(r, "ZPX0801E", "} WITHOUT A MATCHING {")) << text;
    // Endpoints without Identity take their location's address; a range has none.
    EXPECT_EQ(r.policy.local_endpoints.at("here").id->value, "198.18.2.1");
    EXPECT_FALSE(r.policy.remote_endpoints.at("there").id);
}

TEST(policy, shared_keys_in_hex_and_never_in_messages) {
    std::string text = R"(
KeyExchangeAction a { HowToAuthPeers PresharedKey }
LocalSecurityEndpoint l { Location 198.18.2.1 }
RemoteSecurityEndpoint r { Location 198.18.0.200 Identity IpAddr 198.18.0.200 }
KeyExchangePolicy {
  KeyExchangeRule good { LocalSecurityEndpointRef l RemoteSecurityEndpointRef r KeyExchangeActionRef a
                         SharedKey Hex 0x5a504c4558 }
  KeyExchangeRule odd { LocalSecurityEndpointRef l RemoteSecurityEndpointRef r KeyExchangeActionRef a
                        SharedKey Hex 5a5 }
  KeyExchangeRule plain { LocalSecurityEndpointRef l RemoteSecurityEndpointRef r KeyExchangeActionRef a
                          SharedKey Base64 c2VjcmV0c2VjcmV0 }
}
)";
    auto r = parse(text, "INLINE");
    ASSERT_EQ(r.policy.key_exchange_rules.size(), 1u) << all_messages(r);
    EXPECT_EQ(std::string(r.policy.key_exchange_rules[0].shared_key.begin(),
                          r.policy.key_exchange_rules[0].shared_key.end()),
              "ZPLEX");
    EXPECT_TRUE(has(r, "ZPX0803E", "SHAREDKEY HEX IN KEYEXCHANGERULE odd AT LINE 9 COLUMN 25"));
    EXPECT_TRUE(has(r, "ZPX0803E", "NEEDS ASCII OR HEX FIRST"));
    EXPECT_EQ(all_messages(r).find("c2VjcmV0c2VjcmV0"), std::string::npos) << "a key is never echoed";
    EXPECT_EQ(all_messages(r).find("5a5 "), std::string::npos);
}

TEST(policy, gcm_and_integrity_rules) {
    auto r = parse(R"(
IpDynVpnAction gcm_with_hmac { HowToEncrypt AES_GCM_16 HowToAuth ESP HMAC_SHA2_256_128 }
IpDynVpnAction null_sha512 { HowToEncrypt DoNot HowToAuth ESP HMAC_SHA2_512_256 HowToEncap Tunnel }
IpDynVpnAction ah384 { HowToAuth AH HMAC_SHA2_384_192 }
IpDynVpnAction cbc_no_auth { HowToEncrypt AES_CBC HowToAuth ESP NULL }
KeyExchangeAction gcm_hmac { KeyExchangeOffer { HowToEncrypt AES_GCM_16 HowToAuthMsgs HMAC_SHA2_256_128 } }
KeyExchangeAction v1 { IKEVersion 1 }
)",
                   "INLINE");
    EXPECT_FALSE(r.policy.dyn_vpn_actions.count("gcm_with_hmac"));
    ASSERT_TRUE(r.policy.dyn_vpn_actions.count("null_sha512")) << all_messages(r);
    EXPECT_EQ(r.policy.dyn_vpn_actions.at("null_sha512").offers[0].alg, ipsec::algorithm::null_hmac_sha512);
    EXPECT_EQ(r.policy.dyn_vpn_actions.at("null_sha512").offers[0].encap, encap_mode::tunnel);
    ASSERT_TRUE(r.policy.dyn_vpn_actions.count("ah384"));
    EXPECT_EQ(r.policy.dyn_vpn_actions.at("ah384").offers[0].protocol, auth_protocol::ah);
    EXPECT_EQ(r.policy.dyn_vpn_actions.at("ah384").offers[0].ah_hmac_bits, 384u);
    EXPECT_FALSE(r.policy.dyn_vpn_actions.count("cbc_no_auth"));
    EXPECT_FALSE(r.policy.key_exchange_actions.count("gcm_hmac"));
    EXPECT_FALSE(r.policy.key_exchange_actions.count("v1"));
    EXPECT_TRUE(has(r, "ZPX0803E", "ZPLEX SPEAKS IKEV2 ONLY"));
}

TEST(policy, not_emulated_and_structural_errors) {
    auto r = parse(R"(
IpFilterPolicy { PreDecap Yes  AllowOnDemand Yes }
IpService s { Protocol icmp SourcePortRange 10 }
IpFilterRule { IpSourceAddr All }
IpGenericFilterAction x { IpFilterAction permit
)",
                   "INLINE");
    EXPECT_EQ(r.return_code(), 8);
    EXPECT_TRUE(has(r, "ZPX0806I", "PREDECAP AT LINE 2 COLUMN 18 OF INLINE IS ACCEPTED BUT NOT EMULATED"))
        << all_messages(r);
    EXPECT_TRUE(has(r, "ZPX0803E", "PORTS IN IPSERVICE s")) << all_messages(r);
    EXPECT_TRUE(has(r, "ZPX0801E", "IPFILTERRULE NEEDS ONE NAME")) << all_messages(r);
    EXPECT_TRUE(has(r, "ZPX0801E", "A { BLOCK IS NOT CLOSED")) << all_messages(r);
    auto missing = parse_file(corpus + "no-such-file.pol");
    EXPECT_TRUE(has(missing, "ZPX0800E", "COULD NOT BE READ"));
}

}  // namespace
}  // namespace zplex::policy
