// SPDX-License-Identifier: Apache-2.0
// SWSA outbound sequence numbers from the CF: a seq_source whose numbers are the list
// key of the SA's counter list in EZBDVIPA, taken by LISTKEYINC a block at a time
// (docs/swsa.md "Sequence numbers").
#pragma once

#include <zplex/cf/connector.hpp>
#include <zplex/ipsec/esp.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace zplex::swsa {

/// Where an SA's numbers live and how they may be handed out.
struct seq_config {
    std::uint32_t list = 1;          ///< EZBDVIPA counter list of the SA (its list key is the counter)
    std::uint64_t base = 0;          ///< list key of sequence number 1: seq = key - base + 1
    std::uint32_t peer_window = 64;  ///< the peer's anti-replay window (RFC 4303: 64 by default)
    std::uint32_t max_block = 0;     ///< numbers per LISTKEYINC at most; 0 or more than peer_window / 2: peer_window / 2
    bool esn = false;                ///< 64-bit numbers (else the last one is 2^32 - 1)
    /// Stacks that may send under the SA at once (2..16): the block is at most
    /// peer_window / senders and a held block is kept only while the others, one block
    /// each, cannot push it out of the peer's window (docs/swsa.md).
    std::uint32_t senders = 2;
    /// A held number is used only this long (microseconds) after the counter was last
    /// known (a take or a read): a sender that paused longer in the middle of a burst
    /// (descheduled after taking its block) reads the counter again before its next
    /// number, so the others' numbers sent meanwhile are counted (docs/swsa.md). 0: no bound.
    std::int64_t revalidate_us = 1000;
    /// Microseconds of a monotonic clock; empty: std::chrono::steady_clock (tests give their own).
    std::function<std::int64_t()> clock_us;
    std::string tunnel;              ///< the SA's name, for messages (e.g. Y5)
    std::uint32_t spi = 0;           ///< outbound SPI, for messages
};

/// What the source did: CF requests (takes and reads) against packets.
struct seq_stats {
    std::uint64_t takes = 0;              ///< LISTKEYINC requests
    std::uint64_t reads = 0;              ///< READ_LCONTROLS requests (a held block revalidated)
    std::uint64_t paused = 0;             ///< of them, after a pause longer than revalidate_us
    std::uint64_t taken = 0;              ///< numbers reserved
    std::uint64_t used = 0;               ///< numbers handed to packets
    std::uint64_t discarded = 0;          ///< reserved, never used (a stale held block)
    std::uint64_t failures = 0;           ///< packets that got no number (EZD0834I RSN=9)
    std::uint64_t late = 0;               ///< numbered packets held back at the last moment (confirm_last())
    std::uint64_t requests() const noexcept { return takes + reads; }
};

/// A failure to get a number: the EZD0834I line, and whether the SA must be rekeyed
/// before anyone sends on it again (the counter can no longer be trusted, or it ran out).
using seq_failure = std::function<void(std::string_view message, bool rekey)>;

/// Sequence numbers of one outbound SA from its EZBDVIPA counter. Several stacks each
/// hold one over the same list; no number is handed out twice (the CF's LISTKEYINC
/// is atomic and its key never moves back). A block is at most half the peer's window,
/// and a held block is thrown away once the CF counter is known to be more than a
/// window less one block past its next number, so no number it sends is left of the
/// peer's window (docs/swsa.md gives the argument and its assumption).
/// The connector is not owned and, like it, the source is used by one thread.
class cf_seq_source final : public ipsec::seq_source {
public:
    cf_seq_source(cf::connector& cf, seq_config c, seq_failure on_failure = {});

    /// The next number; without a held number one LISTKEYINC of as many as reserve()
    /// announced (at least 1). False: no number (the packet is dropped; EZD0834I
    /// RSN=9 once per failure, rekey asked when the CF lost the counter).
    bool next(std::uint64_t& seq) noexcept override;

    /// @p n packets queue for the SA: revalidate a block held from an earlier burst
    /// (one READ_LCONTROLS) and make sure up to min(n, block limit) numbers are held.
    /// False if the CF could not be reached (next() then fails too).
    bool reserve(std::uint32_t n) noexcept;

    /// The CF counter seen by someone else (the owner's distribution, a display):
    /// a held block that fell behind it is discarded without a request.
    void observe(std::uint64_t list_key) noexcept;

    /// Read the counter now (one request) and discard a held block that fell behind.
    bool refresh() noexcept;

    /// The packet numbered last is about to be written. When the counter was learned more
    /// than revalidate_us ago (the sender was descheduled between numbering the packet
    /// and writing it), it is read again: false when the packet would now arrive behind
    /// what the peer's window keeps (the caller numbers the packet anew and sends that).
    /// One clock read otherwise.
    bool confirm_last() noexcept;

    std::uint32_t block_limit() const noexcept { return _block; }
    std::uint64_t held() const noexcept { return _end - _next; }
    /// Set once the counter cannot be trusted or is used up: the SA must be replaced.
    bool retired() const noexcept { return _retired; }
    const seq_stats& stats() const noexcept { return _stats; }
    const seq_config& config() const noexcept { return _c; }

private:
    bool take(std::uint64_t n) noexcept;
    std::uint64_t keep() const noexcept;
    void discard_if_stale() noexcept;
    void fail(const cf::result& r, bool exhausted) noexcept;
    std::int64_t now_us() const noexcept;

    cf::connector& _cf;
    seq_config _c;
    seq_failure _on_failure;
    std::uint32_t _block;
    std::uint64_t _limit;       ///< list key past the last number (base + 2^32 - 1 or the ESN end)
    std::uint64_t _next = 0;    ///< held block [next, end) of list keys
    std::uint64_t _end = 0;
    std::uint64_t _known = 0;   ///< the highest CF counter value this source knows of
    std::uint32_t _pending = 0; ///< packets reserve() announced that have no number yet
    std::int64_t _known_at = 0; ///< when the counter was last learned by a take or a read (now_us)
    std::uint32_t _generation = 0;  ///< the connector's generation the counter list is of
    bool _failing = false;      ///< EZD0834I said for the current failure streak
    bool _retired = false;
    seq_stats _stats;
};

}  // namespace zplex::swsa
