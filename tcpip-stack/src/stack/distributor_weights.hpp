// SPDX-License-Identifier: Apache-2.0
// The weight model that stands in for WLM (docs/distributor.md): a system weight from
// the image's busy percentage, and a server weight from it, the ready listeners and
// their active connections, both 0-64 as WLM's.
#pragma once

#include <cstdint>

namespace zplex::tcpip::stack {

inline std::uint8_t system_weight_of(std::uint8_t busy) noexcept {
    if (busy >= 100) return 0;
    unsigned w = (64u * (100u - busy) + 50u) / 100u;
    return static_cast<std::uint8_t>(w < 1 ? 1 : w);
}

inline std::uint8_t server_weight_of(std::uint8_t system, std::uint16_t ready, std::uint32_t active) noexcept {
    if (ready == 0 || system == 0) return 0;
    std::uint64_t per_listener = active / ready;
    std::uint64_t w = (std::uint64_t{system} * 64 + (64 + per_listener) / 2) / (64 + per_listener);
    return static_cast<std::uint8_t>(w < 1 ? 1 : w);
}

}  // namespace zplex::tcpip::stack
