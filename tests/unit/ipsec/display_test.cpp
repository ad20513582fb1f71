// SPDX-License-Identifier: Apache-2.0
// `ipsec -k display` and `ipsec -y display`: the heading block, the field column,
// short versus detail, shadows.
#include <zplex/ipsec/display.hpp>

#include <gtest/gtest.h>

#include <sstream>

namespace zplex::ipsec {
namespace {

std::chrono::system_clock::time_point at(std::int64_t unix_seconds) {
    return std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
}

std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> v;
    std::istringstream in(s);
    std::string l;
    while (std::getline(in, l)) {
        v.push_back(l);
    }
    return v;
}

TEST(ipsec_display, dynamic_tunnels_detail_with_shadow_lines) {
    report_heading h;
    h.stack_name = "TCPIPC";
    h.function = "Display (shadows)";
    h.detail = true;
    h.dvipsec = true;
    h.now = at(1710240067);  // 2024-03-12 10:41:07 UTC
    dynamic_tunnel_record t;
    t.tunnel_id = "Y3";
    t.vpn_action = "ESP_AES_SHA";
    t.local_endpoint = t.local_address_base = "198.18.2.1";
    t.remote_endpoint = t.remote_address_base = "198.18.0.200";
    t.protocol = 6;
    t.local_port = 60;
    t.auth_algorithm = "Hmac_Sha2_256_128";
    t.encrypt_algorithm = "AES_CBC";
    t.inbound_spi = 0x3a0f11c2;
    t.outbound_spi = 0x9d1e4470;
    t.outbound_packets = 12034;
    t.outbound_bytes = 9876543;
    t.refresh = at(1710253267);
    t.udp_encap = true;
    t.distributed = true;
    t.shadow_of = "TCPIPA";
    t.seq_source = "CF";
    t.seq_requests = 3;
    t.seq_used = 96;
    auto out = format_dynamic_tunnels(h, {t});
    auto l = lines_of(out);
    ASSERT_GE(l.size(), 8u);
    EXPECT_EQ(l[0], "CS V2R4 ipsec Stack Name: TCPIPC Tue Mar 12 10:41:07 2024");
    EXPECT_EQ(l[1], "Primary:  Dynamic tunnel   Function: Display (shadows)  Format:   Detail");
    EXPECT_EQ(l[2], "Source:   Stack            Scope:    Current            TotAvail: 1");
    EXPECT_EQ(l[3], "Logging:  On               Predecap: Off                DVIPSec:  Yes");
    EXPECT_EQ(l[4], "NatKeepAlive: 20");
    EXPECT_NE(out.find("\nTunnelID:                Y3\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nParentIKETunnelID:       n/a\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nProtocol:                TCP(6)\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nAuthInboundSpi:          0x3A0F11C2\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nEncryptOutboundSpi:      0x9D1E4470\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nOutboundBytes:           9876543\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nLifetimeRefresh:         2024/03/12 14:21:07\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nLifetimeExpires:         n/a\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nNAT Traversal Topology:  UdpEncap:Yes LclNATed:No RmtNATed:No\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nShadowOf:                TCPIPA\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nSeqNumSource:            CF\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nSeqNumRequests:          3 for 96 numbers\n"), std::string::npos) << out;
    EXPECT_EQ(out.find("SysplexBytes"), std::string::npos) << "a shadow has no sysplex-wide count";
    EXPECT_EQ(l.back(), "1 entry selected");
    // The owner's master: no ShadowOf, the sysplex-wide count instead.
    t.shadow_of.clear();
    t.sysplex_bytes = 5000;
    t.target_bytes = 4000;
    t.target_reports = 2;
    out = format_dynamic_tunnels(h, {t});
    EXPECT_NE(out.find("\nSysplexBytes:            5000 (targets 4000 in 2 reports)\n"), std::string::npos) << out;
    EXPECT_EQ(out.find("ShadowOf"), std::string::npos) << out;
}

TEST(ipsec_display, short_format_leaves_out_counters_and_ah_has_no_cipher) {
    report_heading h;
    h.now = at(0);
    dynamic_tunnel_record a;
    a.tunnel_id = "Y1";
    a.how_to_auth = "AH";
    a.auth_algorithm = "Hmac_Sha2_384_192";
    dynamic_tunnel_record b = a;
    b.tunnel_id = "Y2";
    auto out = format_dynamic_tunnels(h, {a, b});
    EXPECT_NE(out.find("Format:   Short"), std::string::npos);
    EXPECT_EQ(out.find("OutboundPackets"), std::string::npos) << "detail only";
    EXPECT_NE(out.find("\nHowToEncrypt:            n/a\n"), std::string::npos) << out;
    EXPECT_NE(out.find("2 entries selected"), std::string::npos);
    EXPECT_NE(format_dynamic_tunnels(h, {}).find("0 entries selected"), std::string::npos);
}

TEST(ipsec_display, ike_tunnels_detail) {
    report_heading h;
    h.stack_name = "TCPIPA";
    h.primary = "IKE tunnel";
    h.source = "IKED";
    h.detail = true;
    h.now = at(1710240067);
    ike_tunnel_record k;
    k.tunnel_id = "K1";
    k.key_exchange_rule = "DVIPA_peer";
    k.key_exchange_action = "IKEv2_Main";
    k.local_endpoint = k.local_id = "198.18.2.1";
    k.remote_endpoint = k.remote_id = "198.18.0.200";
    k.auth_algorithm = "None";
    k.encryption_algorithm = "AES_GCM_16";
    k.prf = "Hmac_Sha2_256";
    k.dh_group = 31;
    k.initiator_spi = 0x1a2b3c4d5e6f7081ull;
    k.responder_spi = 0x8192a3b4c5d6e7f8ull;
    k.byte_count = 288;
    k.dynamic_tunnels = 1;
    k.nat_traversal = true;
    auto out = format_ike_tunnels(h, {k});
    EXPECT_NE(out.find("Primary:  IKE tunnel       Function: Display            Format:   Detail"), std::string::npos)
        << out;
    EXPECT_NE(out.find("Source:   IKED             Scope:    Current"), std::string::npos) << out;
    EXPECT_NE(out.find("\nTunnelID:                    K1\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nIKEVersion:                  2.0\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nDiffieHellmanGroup:          31\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nInitiatorCookie:             0x1A2B3C4D5E6F7081\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nCurrentByteCount:            288b\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nAssociatedDynamicTunnels:    1\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nNATTSupportLevel:            RFC\n"), std::string::npos) << out;
    h.detail = false;
    auto brief = format_ike_tunnels(h, {k});
    EXPECT_EQ(brief.find("InitiatorCookie"), std::string::npos);
    EXPECT_NE(brief.find("\nState:                       DONE\n"), std::string::npos) << brief;
}

}  // namespace
}  // namespace zplex::ipsec
