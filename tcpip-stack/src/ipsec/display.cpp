// SPDX-License-Identifier: Apache-2.0
// `ipsec -k display` and `ipsec -y display` report layouts.
#include <zplex/ipsec/display.hpp>
#include <zplex/sysplex/text.hpp>

#include <cstdio>
#include <ctime>

namespace zplex::ipsec {

namespace {

std::string pad(const std::string& s, std::size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }

std::string on_off(bool b) { return b ? "On" : "Off"; }

using sysplex::hex32;

using sysplex::hex64;

std::string heading(const report_heading& h, std::size_t total) {
    std::time_t t = std::chrono::system_clock::to_time_t(h.now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char when[64];
    std::strftime(when, sizeof when, "%a %b %d %H:%M:%S %Y", &tm);
    std::string s = "CS V2R4 ipsec Stack Name: " + h.stack_name + " " + when + "\n";
    s += "Primary:  " + pad(h.primary, 17) + "Function: " + pad(h.function, 19) +
         "Format:   " + (h.detail ? "Detail" : "Short") + "\n";
    s += "Source:   " + pad(h.source, 17) + "Scope:    " + pad(h.scope, 19) + "TotAvail: " + std::to_string(total) +
         "\n";
    s += "Logging:  " + pad(on_off(h.logging), 17) + "Predecap: " + pad(on_off(h.predecap), 19) +
         "DVIPSec:  " + (h.dvipsec ? "Yes" : "No") + "\n";
    s += "NatKeepAlive: " + std::to_string(h.nat_keepalive) + "\n";
    s += "Defensive Mode: Inactive\n";
    return s;
}

/// `Key:` padded to the report's column, then the value.
struct lines {
    std::size_t width;
    std::string out;
    void add(const std::string& key, const std::string& value) { out += pad(key + ":", width) + value + "\n"; }
};

std::string proto_name(std::uint8_t p) {
    switch (p) {
    case 0: return "All";
    case 1: return "ICMP(1)";
    case 6: return "TCP(6)";
    case 17: return "UDP(17)";
    case 50: return "ESP(50)";
    case 51: return "AH(51)";
    default: return std::to_string(p);
    }
}

std::string kilobytes(std::uint64_t kb) { return std::to_string(kb) + "K"; }

std::string separator() { return std::string(72, '*') + "\n"; }

std::string footer(std::size_t n) { return std::to_string(n) + (n == 1 ? " entry" : " entries") + " selected\n"; }

}  // namespace

std::string display_time(std::chrono::system_clock::time_point t) {
    if (t.time_since_epoch().count() == 0) {
        return "n/a";
    }
    std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char b[32];
    std::strftime(b, sizeof b, "%Y/%m/%d %H:%M:%S", &tm);
    return b;
}

std::string format_ike_tunnels(const report_heading& h, const std::vector<ike_tunnel_record>& tunnels) {
    std::string s = heading(h, tunnels.size());
    for (const auto& t : tunnels) {
        s += separator();
        lines l{29, {}};
        l.add("TunnelID", t.tunnel_id);
        l.add("Generation", std::to_string(t.generation));
        l.add("IKEVersion", "2.0");
        l.add("KeyExchangeRuleName", t.key_exchange_rule);
        l.add("KeyExchangeActionName", t.key_exchange_action);
        l.add("LocalEndPoint", t.local_endpoint);
        if (h.detail) {
            l.add("LocalIDType", t.local_id_type);
            l.add("LocalID", t.local_id);
        }
        l.add("RemoteEndPoint", t.remote_endpoint);
        if (h.detail) {
            l.add("RemoteIDType", t.remote_id_type);
            l.add("RemoteID", t.remote_id);
        }
        l.add("ExchangeMode", "n/a");  // IKEv2 has no main/aggressive mode
        l.add("State", t.state);
        l.add("AuthenticationAlgorithm", t.auth_algorithm);
        l.add("EncryptionAlgorithm", t.encryption_algorithm);
        l.add("KeyLength", std::to_string(t.key_length));
        l.add("PseudoRandomFunction", t.prf);
        l.add("DiffieHellmanGroup", std::to_string(t.dh_group));
        if (h.detail) {
            l.add("LocalAuthenticationMethod", t.local_auth);
            l.add("RemoteAuthenticationMethod", t.remote_auth);
            l.add("InitiatorCookie", hex64(t.initiator_spi));
            l.add("ResponderCookie", hex64(t.responder_spi));
            l.add("Lifesize", kilobytes(t.lifesize_kb));
            l.add("CurrentByteCount", std::to_string(t.byte_count) + "b");
            l.add("Lifetime", std::to_string(t.lifetime.count()) + "m");
        }
        l.add("LifetimeRefresh", display_time(t.refresh));
        l.add("LifetimeExpires", display_time(t.expires));
        if (h.detail) {
            l.add("ReauthInterval", std::to_string(t.lifetime.count()) + "m");
        }
        l.add("Role", t.initiator ? "Initiator" : "Responder");
        l.add("AssociatedDynamicTunnels", std::to_string(t.dynamic_tunnels));
        if (h.detail) {
            l.add("NATTSupportLevel", t.nat_traversal ? "RFC" : "None");
            l.add("zOSCanInitiateP1SA", t.can_initiate ? "Yes" : "No");
        }
        s += l.out;
    }
    s += separator();
    s += footer(tunnels.size());
    return s;
}

std::string format_dynamic_tunnels(const report_heading& h, const std::vector<dynamic_tunnel_record>& tunnels) {
    std::string s = heading(h, tunnels.size());
    for (const auto& t : tunnels) {
        s += separator();
        lines l{25, {}};
        l.add("TunnelID", t.tunnel_id);
        l.add("Generation", std::to_string(t.generation));
        l.add("ParentIKETunnelID", t.parent_ike_tunnel.empty() ? "n/a" : t.parent_ike_tunnel);
        l.add("VpnActionName", t.vpn_action);
        if (h.detail) {
            l.add("LocalDynVpnRule", "n/a");
        }
        l.add("State", t.state);
        l.add("HowToEncap", t.how_to_encap);
        l.add("LocalEndPoint", t.local_endpoint);
        l.add("RemoteEndPoint", t.remote_endpoint);
        l.add("LocalAddressBase", t.local_address_base);
        l.add("RemoteAddressBase", t.remote_address_base);
        l.add("Protocol", proto_name(t.protocol));
        l.add("LocalPort", std::to_string(t.local_port));
        l.add("RemotePort", std::to_string(t.remote_port));
        l.add("HowToAuth", t.how_to_auth);
        l.add("AuthAlgorithm", t.auth_algorithm);
        l.add("AuthInboundSpi", hex32(t.inbound_spi));
        l.add("AuthOutboundSpi", hex32(t.outbound_spi));
        bool esp = t.how_to_auth == "ESP";
        l.add("HowToEncrypt", esp ? t.encrypt_algorithm : "n/a");
        l.add("KeyLength", esp ? std::to_string(t.key_length) : "n/a");
        l.add("EncryptInboundSpi", esp ? hex32(t.inbound_spi) : "n/a");
        l.add("EncryptOutboundSpi", esp ? hex32(t.outbound_spi) : "n/a");
        if (h.detail) {
            l.add("OutboundPackets", std::to_string(t.outbound_packets));
            l.add("OutboundBytes", std::to_string(t.outbound_bytes));
            l.add("InboundPackets", std::to_string(t.inbound_packets));
            l.add("InboundBytes", std::to_string(t.inbound_bytes));
            l.add("Lifesize", kilobytes(t.lifesize_kb));
            l.add("LifesizeRefresh", kilobytes(t.lifesize_refresh_kb));
            l.add("CurrentByteCount", std::to_string(t.outbound_bytes + t.inbound_bytes) + "b");
        }
        l.add("LifetimeRefresh", display_time(t.refresh));
        l.add("LifetimeExpires", display_time(t.expires));
        if (h.detail) {
            l.add("CurrentTime", display_time(h.now));
            l.add("VPNLifeExpires", display_time(t.vpn_life_expires));
            l.add("NAT Traversal Topology", std::string("UdpEncap:") + (t.udp_encap ? "Yes" : "No") +
                                                " LclNATed:" + (t.local_nated ? "Yes" : "No") +
                                                " RmtNATed:" + (t.remote_nated ? "Yes" : "No"));
            l.add("Distributed", t.distributed ? "Yes" : "No");
            if (!t.shadow_of.empty()) {
                l.add("ShadowOf", t.shadow_of);
            } else if (t.distributed) {
                l.add("SysplexBytes", std::to_string(t.sysplex_bytes) + " (targets " + std::to_string(t.target_bytes) +
                                          " in " + std::to_string(t.target_reports) + " reports)");
            }
            if (!t.seq_source.empty()) {
                l.add("SeqNumSource", t.seq_source);
                l.add("SeqNumRequests", std::to_string(t.seq_requests) + " for " + std::to_string(t.seq_used) +
                                            " numbers");
            }
        }
        s += l.out;
    }
    s += separator();
    s += footer(tunnels.size());
    return s;
}

}  // namespace zplex::ipsec
