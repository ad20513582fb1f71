// SPDX-License-Identifier: Apache-2.0
// RFC 4303 §3.4.3 anti-replay window, bitmap indexed by sequence number modulo size.
#include <zplex/ipsec/replay_window.hpp>

#include <algorithm>

namespace zplex::ipsec {

replay_window::replay_window(std::uint32_t size) noexcept {
    size = std::clamp<std::uint32_t>(size, 32, max_size);
    _size = (size + 63) / 64 * 64;
}

bool replay_window::test_bit(std::uint64_t seq) const noexcept {
    auto i = seq % _size;
    return (_bits[i / 64] >> (i % 64)) & 1u;
}

void replay_window::set_bit(std::uint64_t seq) noexcept {
    auto i = seq % _size;
    _bits[i / 64] |= std::uint64_t{1} << (i % 64);
}

void replay_window::clear_bit(std::uint64_t seq) noexcept {
    auto i = seq % _size;
    _bits[i / 64] &= ~(std::uint64_t{1} << (i % 64));
}

bool replay_window::check(std::uint64_t seq) const noexcept {
    if (seq == 0) {
        return false;  // sequence numbers start at 1 (RFC 4303 §3.3.3)
    }
    if (seq > _top) {
        return true;  // right of the window: new
    }
    if (_top - seq >= _size) {
        return false;  // left of the window: too old
    }
    return !test_bit(seq);
}

bool replay_window::update(std::uint64_t seq) noexcept {
    if (!check(seq)) {
        return false;
    }
    if (seq > _top) {
        // Slide: clear the bits of the numbers the window passes over.
        std::uint64_t gap = seq - _top;
        if (gap >= _size) {
            _bits.fill(0);
        } else {
            for (std::uint64_t s = _top + 1; s < seq; ++s) {
                clear_bit(s);
            }
        }
        _top = seq;
    }
    set_bit(seq);
    return true;
}

std::uint64_t replay_window::infer_esn(std::uint32_t low) const noexcept {
    // RFC 4303 Appendix A2.2: Tl/Th are the low/high halves of the window top,
    // W the window size, Bl = Tl - W + 1 the bottom.
    std::uint32_t tl = static_cast<std::uint32_t>(_top);
    std::uint32_t th = static_cast<std::uint32_t>(_top >> 32);
    std::uint32_t w = _size;
    std::uint32_t bl = tl - w + 1;  // wraps when the window spans a boundary
    std::uint32_t h = th;
    if (tl >= w - 1) {
        if (low < bl) {
            ++h;  // the window's bottom is above: the number is from the next subspace
        }
    } else if (low >= bl && th > 0) {
        --h;  // the window spans two subspaces and the number is in the lower one
    }
    return (std::uint64_t{h} << 32) | low;
}

}  // namespace zplex::ipsec
