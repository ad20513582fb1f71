// SPDX-License-Identifier: Apache-2.0
// Every reason the stack core drops a packet or a control message: a named counter each.
#pragma once

#include <zplex/sysplex/drops.hpp>

#include <array>
#include <cstddef>
#include <cstdint>

namespace zplex::tcpip::stack {

// X(id, short name, severity, description): one row per drop reason. Severity as for
// the IPsec path (ipsec/counters.hpp): info expected, warning peer or network trouble,
// error malformed or forged input, or a table out of room.
#define ZPLEX_STACK_DROPS(X)                                                                                         \
    X(frame_short, "FRAMESHORT", error, "Ethernet frame shorter than its header")                                    \
    X(frame_not_for_us, "NOTFORUS", info, "Ethernet destination neither our MAC nor broadcast")                      \
    X(interface_down, "INTFDOWN", warning, "received on an interface that is not started")                           \
    X(ethertype, "ETHERTYPE", info, "Ethernet type neither IPv4 nor ARP")                                            \
    X(arp_malformed, "ARPBAD", error, "ARP packet not Ethernet/IPv4 or too short")                                   \
    X(arp_not_for_us, "ARPNOTUS", info, "ARP request for an address this stack does not answer for")                 \
    X(arp_cache_full, "ARPFULL", warning, "no free ARP cache entry")                                                 \
    X(arp_unresolved, "ARPUNRES", warning, "next hop did not answer ARP, or no room to queue the packet")            \
    X(ip_short, "IPSHORT", error, "IPv4 packet shorter than its header or total length")                             \
    X(ip_version, "IPVERSION", error, "not IPv4 or header length below 20")                                          \
    X(ip_checksum, "IPCHKSUM", error, "IPv4 header checksum wrong")                                                  \
    X(ip_martian, "MARTIAN", warning, "source address not valid (multicast, broadcast, loopback from outside)")      \
    X(reasm_timeout, "REASMTIME", warning, "datagram not reassembled in time (60 s): its fragments dropped")        \
    X(reasm_full, "REASMFULL", warning, "fragment of a new datagram with every reassembly buffer in use")            \
    X(reasm_overlap, "REASMOVLP", error, "fragment overlapping another with other data: the datagram dropped")       \
    X(reasm_duplicate, "REASMDUP", info, "fragment whose data the stack already holds")                              \
    X(reasm_bad, "REASMBAD", error, "fragment empty, not whole 8-byte blocks, or not fitting the datagram's end")    \
    X(reasm_too_big, "REASMBIG", error, "fragments making a datagram over the reassembly maximum: it is dropped")      \
    X(ttl_exceeded, "TTLEXPIRED", info, "TTL reached zero while forwarding")                                         \
    X(no_route, "NOROUTE", warning, "no route to the destination")                                                   \
    X(forwarding_disabled, "NOFWD", info, "not for this stack and NODATAGRAMFWD")                                    \
    X(too_big, "TOOBIG", info, "larger than the outgoing MTU (DF set: fragmentation needed sent)")                   \
    X(icmp_malformed, "ICMPBAD", error, "ICMP message too short or checksum wrong")                                  \
    X(fenced, "FENCED", warning, "the stack is fenced: its system was partitioned out")                              \
    X(app_bad_source, "APPSRC", warning, "packet from the application side with a source not on this stack")         \
    X(xcf_unknown_peer, "XCFPEER", error, "XCF link packet from a member that is not a known stack")                 \
    X(conn_table_full, "CONNFULL", error, "connection table full: the connection is not tracked")                    \
    X(moving_stale, "MOVESTALE", info, "packet for a MOVING DVIPA that belongs to no kept connection")               \
    X(control_malformed, "CTLBAD", error, "sysplex control message not valid")                                       \
    X(control_unknown_peer, "CTLPEER", warning, "sysplex control message from a member that has not said who it is") \
    X(dist_no_target, "DISTNORDY", warning, "new connection with no ready target: left to this stack's image")       \
    X(dist_target_gone, "DISTGONE", info, "packet of a distributed connection whose target has left")                \
    X(dist_not_target, "DISTNOTGT", warning, "distributed packet for a DVIPA this stack is not a target of")         \
    X(dist_wrong_link, "DISTLINK", error, "distributed packet not from the link of the DVIPA's distributor")         \
    X(dist_plain, "DISTPLAIN", warning, "packet to a target DVIPA that did not come from its distributor")           \
    X(dist_encap_bad, "DISTENCAP", error, "distributed packet with a bad or nested encapsulation")                   \
    X(dist_port_zero, "DISTPORT0", warning, "TCP segment from port 0 to a distributed DVIPA")                        \
    X(dist_ended_full, "DISTENDQ", error, "connection end not queued for the distributor: queue full")               \
    X(dist_rebuilding, "DISTREBLD", info, "segment of an unknown connection while the routing table is rebuilt")     \
    X(dist_eport, "DISTEPORT", warning, "SYN from a SYSPLEXPORTS DVIPA from an ephemeral port outside this stack's blocks") \
    X(swsa_no_sa, "SWSANOSA", warning, "IPsec packet for a DVIPA with no SA or shadow SA for its SPI and source")    \
    X(swsa_peek, "SWSAPEEK", warning, "the owner's peek into an IPsec packet found no connection header")            \
    X(swsa_ipsec, "SWSAIPSEC", error, "IPsec processing under a distributed SA dropped the packet")                  \
    X(swsa_filter, "SWSAFILTER", error, "decapsulated packet not allowed by its SA's inbound filter")                \
    X(swsa_newconn, "SWSANEWCONN", info, "the policy protects it with a dynamic SA not negotiated yet: NEWCONN asked")\
    X(swsa_clear, "SWSACLEAR", warning, "came in clear, but the policy protects it with a dynamic SA: denied on input")

ZPLEX_DROP_TABLE(ZPLEX_STACK_DROPS)

inline constexpr std::size_t drop_count = static_cast<std::size_t>(drop::count_);

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
