// SPDX-License-Identifier: Apache-2.0
// Every reason the IPsec data path drops a packet: a named, described counter each.
#pragma once

#include <zplex/sysplex/drops.hpp>

#include <atomic>
#include <cstdint>

namespace zplex::ipsec {

/// How bad a drop is, as NETSTAT and ipsec displays flag it (VPP's counter severity):
/// info (expected, e.g. a duplicate), warning (peer or network trouble), error (an
/// attack or a bug: forged or malformed packets, a sender out of sequence numbers).
using sysplex::drop_severity;

// X(id, short name, severity, description): one row per drop reason.
#define ZPLEX_IPSEC_DROPS(X)                                                                              \
    X(none, "NONE", info, "packet processed")                                                             \
    X(too_short, "TOOSHORT", error, "packet shorter than its headers")                                    \
    X(no_sa, "NOSA", warning, "no SA for the SPI, protocol and addresses")                                \
    X(replay, "REPLAY", warning, "sequence number already seen or left of the window")                    \
    X(integrity, "INTEGRITY", error, "ICV did not verify")                                                \
    X(bad_padding, "BADPAD", error, "padding or pad length not as RFC 4303 2.4 requires")                 \
    X(bad_next_header, "BADNEXTHDR", error, "next header not allowed for the SA's mode")                  \
    X(seq_exhausted, "SEQEXHAUST", error, "sequence numbers used up: the SA must be rekeyed")             \
    X(no_room, "NOROOM", error, "no headroom or tailroom for encapsulation")                              \
    X(crypto_error, "CRYPTO", error, "the cipher failed")                                                 \
    X(dummy, "DUMMY", info, "dummy packet (next header 59, RFC 4303 2.6) discarded after verification")  \
    X(bundle, "BUNDLE", error, "packet lacks an SA of the AH+ESP bundle its policy requires")

ZPLEX_DROP_TABLE(ZPLEX_IPSEC_DROPS)

/// Per-SA or per-stack drop counters (counted from several threads).
using drop_counters = sysplex::drop_counters<drop, std::atomic<std::uint64_t>>;

}  // namespace zplex::ipsec
