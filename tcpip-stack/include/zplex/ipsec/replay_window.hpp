// SPDX-License-Identifier: Apache-2.0
// Inbound anti-replay window (RFC 4303 §3.4.3, with extended sequence numbers).
#pragma once

#include <array>
#include <cstdint>

namespace zplex::ipsec {

/// A sliding window of the last @p size sequence numbers seen (32..4096, a multiple
/// of 64). check() before the ICV is verified, update() only after it verified, so a
/// forged packet never moves the window (RFC 4303 §3.4.3).
class replay_window {
public:
    static constexpr std::uint32_t max_size = 4096;

    /// @p size is rounded up to a multiple of 64 and clamped to 32..4096.
    explicit replay_window(std::uint32_t size = 64) noexcept;

    /// True if @p seq (the full 64-bit number) is new and not left of the window.
    bool check(std::uint64_t seq) const noexcept;
    /// Record @p seq as received (after the ICV verified). Returns false if it was a replay.
    bool update(std::uint64_t seq) noexcept;

    std::uint64_t top() const noexcept { return _top; }
    std::uint32_t size() const noexcept { return _size; }

    /// ESN (RFC 4303 Appendix A2.2): the full sequence number of a received low
    /// 32 bits, given the window; the high half is inferred, never sent.
    std::uint64_t infer_esn(std::uint32_t low) const noexcept;

private:
    bool test_bit(std::uint64_t seq) const noexcept;
    void set_bit(std::uint64_t seq) noexcept;
    void clear_bit(std::uint64_t seq) noexcept;

    std::uint32_t _size;
    std::uint64_t _top = 0;                       ///< highest sequence number accepted
    std::array<std::uint64_t, max_size / 64> _bits{};  ///< bit (seq % size) set: seen
};
// Per-SA, touched by every inbound packet: pinned to its size (512-byte bitmap + top + size).
static_assert(sizeof(replay_window) == 16 + replay_window::max_size / 8, "replay_window layout changed");

}  // namespace zplex::ipsec
