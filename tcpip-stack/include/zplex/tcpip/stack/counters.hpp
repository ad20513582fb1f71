// SPDX-License-Identifier: Apache-2.0
// Every reason the stack core drops a packet or a control message: a named counter each.
#pragma once

#include <zplex/sysplex/drops.hpp>

#include <array>
#include <cstddef>
#include <cstdint>

namespace zplex::tcpip::stack {

// X(id, short name, description): one row per drop reason.
#define ZPLEX_STACK_DROPS(X)                                                                         \
    X(frame_short, "FRAMESHORT", "Ethernet frame shorter than its header")                           \
    X(frame_not_for_us, "NOTFORUS", "Ethernet destination neither our MAC nor broadcast")            \
    X(interface_down, "INTFDOWN", "received on an interface that is not started")                    \
    X(ethertype, "ETHERTYPE", "Ethernet type neither IPv4 nor ARP")                                  \
    X(arp_malformed, "ARPBAD", "ARP packet not Ethernet/IPv4 or too short")                          \
    X(arp_not_for_us, "ARPNOTUS", "ARP request for an address this stack does not answer for")       \
    X(arp_cache_full, "ARPFULL", "no free ARP cache entry")                                           \
    X(arp_unresolved, "ARPUNRES", "next hop did not answer ARP, or no room to queue the packet")     \
    X(ip_short, "IPSHORT", "IPv4 packet shorter than its header or total length")                    \
    X(ip_version, "IPVERSION", "not IPv4 or header length below 20")                                 \
    X(ip_checksum, "IPCHKSUM", "IPv4 header checksum wrong")                                         \
    X(ip_martian, "MARTIAN", "source address not valid (multicast, broadcast, loopback from outside)") \
    X(ip_fragment, "FRAGMENT", "fragment for this stack (reassembly not done)")                      \
    X(ttl_exceeded, "TTLEXPIRED", "TTL reached zero while forwarding")                               \
    X(no_route, "NOROUTE", "no route to the destination")                                            \
    X(forwarding_disabled, "NOFWD", "not for this stack and NODATAGRAMFWD")                          \
    X(too_big, "TOOBIG", "larger than the outgoing MTU (DF set: fragmentation needed sent)")         \
    X(icmp_malformed, "ICMPBAD", "ICMP message too short or checksum wrong")                         \
    X(fenced, "FENCED", "the stack is fenced: its system was partitioned out")                       \
    X(app_bad_source, "APPSRC", "packet from the application side with a source not on this stack")  \
    X(xcf_unknown_peer, "XCFPEER", "XCF link packet from a member that is not a known stack")        \
    X(conn_table_full, "CONNFULL", "connection table full: the connection is not tracked")           \
    X(moving_stale, "MOVESTALE", "packet for a MOVING DVIPA that belongs to no kept connection")     \
    X(control_malformed, "CTLBAD", "sysplex control message not valid")                              \
    X(control_unknown_peer, "CTLPEER", "sysplex control message from a member that has not said who it is") \
    X(dist_no_target, "DISTNORDY", "new connection with no ready target: left to this stack's image")  \
    X(dist_target_gone, "DISTGONE", "packet of a distributed connection whose target has left")          \
    X(dist_not_target, "DISTNOTGT", "distributed packet for a DVIPA this stack is not a target of")      \
    X(dist_wrong_link, "DISTLINK", "distributed packet not from the link of the DVIPA's distributor")    \
    X(dist_plain, "DISTPLAIN", "packet to a target DVIPA that did not come from its distributor")        \
    X(dist_encap_bad, "DISTENCAP", "distributed packet with a bad or nested encapsulation")              \
    X(dist_port_zero, "DISTPORT0", "TCP segment from port 0 to a distributed DVIPA")                    \
    X(dist_ended_full, "DISTENDQ", "connection end not queued for the distributor: queue full")          \
    X(dist_rebuilding, "DISTREBLD", "segment of an unknown connection while the routing table is rebuilt")  \
    X(swsa_no_sa, "SWSANOSA", "IPsec packet for a DVIPA with no SA or shadow SA for its SPI and source")   \
    X(swsa_peek, "SWSAPEEK", "the owner's peek into an IPsec packet found no connection header")          \
    X(swsa_ipsec, "SWSAIPSEC", "IPsec processing under a distributed SA dropped the packet")               \
    X(swsa_filter, "SWSAFILTER", "decapsulated packet not allowed by its SA's inbound filter")

enum class drop : std::uint8_t {
#define ZPLEX_X(id, name, text) id,
    ZPLEX_STACK_DROPS(ZPLEX_X)
#undef ZPLEX_X
        count_
};

inline constexpr std::size_t drop_count = static_cast<std::size_t>(drop::count_);

const char* drop_name(drop d) noexcept;
const char* drop_text(drop d) noexcept;

/// Drops by reason. The core runs on one thread: plain integers.
using drop_counters = sysplex::drop_counters<drop>;

/// Interface statistics as NETSTAT DEVLINKS shows them.
struct interface_counters {
    std::uint64_t bytes_in = 0;
    std::uint64_t packets_in = 0;
    std::uint64_t packets_in_error = 0;
    std::uint64_t packets_in_discarded = 0;
    std::uint64_t bytes_out = 0;
    std::uint64_t packets_out = 0;
    std::uint64_t packets_out_discarded = 0;
};

}  // namespace zplex::tcpip::stack
