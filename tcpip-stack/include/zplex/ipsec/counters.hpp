// SPDX-License-Identifier: Apache-2.0
// Every reason the IPsec data path drops a packet: a named, described counter each.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace zplex::ipsec {

#define ZPLEX_IPSEC_DROPS(X)                                                                     \
    X(none, "NONE", "packet processed")                                                          \
    X(too_short, "TOOSHORT", "packet shorter than its headers")                                  \
    X(no_sa, "NOSA", "no SA for the SPI, protocol and addresses")                               \
    X(replay, "REPLAY", "sequence number already seen or left of the window")                   \
    X(integrity, "INTEGRITY", "ICV did not verify")                                              \
    X(bad_padding, "BADPAD", "padding or pad length not as RFC 4303 2.4 requires")               \
    X(bad_next_header, "BADNEXTHDR", "next header not allowed for the SA's mode")               \
    X(seq_exhausted, "SEQEXHAUST", "sequence numbers used up: the SA must be rekeyed")          \
    X(no_room, "NOROOM", "no headroom or tailroom for encapsulation")                            \
    X(crypto_error, "CRYPTO", "the cipher failed")

enum class drop : std::uint8_t {
#define ZPLEX_X(id, name, text) id,
    ZPLEX_IPSEC_DROPS(ZPLEX_X)
#undef ZPLEX_X
        count_
};

/// The counter's short name (for NETSTAT and ipsec displays) and description.
const char* drop_name(drop d) noexcept;
const char* drop_text(drop d) noexcept;

/// Per-SA or per-stack drop counters.
struct drop_counters {
    std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(drop::count_)> by_reason{};
    void count(drop d) noexcept { by_reason[static_cast<std::size_t>(d)].fetch_add(1, std::memory_order_relaxed); }
    std::uint64_t operator[](drop d) const noexcept { return by_reason[static_cast<std::size_t>(d)].load(); }
};

}  // namespace zplex::ipsec
