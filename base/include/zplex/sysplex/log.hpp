// SPDX-License-Identifier: Apache-2.0
// Debug logging by subsystem and level, off by default (strongSwan's DBG1..DBG4 by
// subsystem, OpenBSD's DPRINTF): `--debug IKE=2,ESP=3` on every program.
//
// A disabled line costs one relaxed atomic load and a compare: the arguments are not
// formatted, nothing is allocated. So ZPLEX_DBG may stand on the per-packet path; an
// enabled per-packet line (level 3 and up) is the user's explicit choice.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace zplex::log {

/// Who is speaking. The names are what `--debug` takes (case-insensitive).
enum class subsys : std::uint8_t {
    cf,      // coupling facility, connectors, duplexing
    xcf,     // signalling, membership, failure detection
    ike,     // IKEv2 exchanges
    esp,     // ESP/AH data plane: drops by SA, replay, lifetimes
    policy,  // Policy Agent policy
    host,    // host mode (TUN, UDP 4500)
    stack,   // the TCP/IP stack core: ARP, routing, DVIPAs
    sd,      // Sysplex Distributor
    swsa,    // sysplex-wide security associations
    image,   // Hercules images, device modules
    cli,     // the zplex command and its helpers
    count_
};

/// 1 control (state changes), 2 detail (each message or exchange), 3 packet (each
/// packet), 4 raw (hex dumps).
enum class level : std::uint8_t { off = 0, control = 1, detail = 2, packet = 3, raw = 4 };

inline constexpr std::size_t subsys_count = static_cast<std::size_t>(subsys::count_);

std::string_view name(subsys s) noexcept;

namespace detail {
extern std::array<std::atomic<std::uint8_t>, subsys_count> levels;
void write(subsys s, level l, std::string_view text) noexcept;
}  // namespace detail

inline bool enabled(subsys s, level l) noexcept {
    return detail::levels[static_cast<std::size_t>(s)].load(std::memory_order_relaxed) >=
           static_cast<std::uint8_t>(l);
}

void set_level(subsys s, level l) noexcept;
level get_level(subsys s) noexcept;

/// Applies a `--debug` specification: `SUBSYS=LEVEL[,SUBSYS=LEVEL...]`, where SUBSYS is a
/// name above or ALL and LEVEL is 0-4 or off/control/detail/packet/raw. Returns an empty
/// string when applied, else a message saying which part is wrong (nothing is applied).
std::string configure(std::string_view spec);

/// Where lines go: standard error (the default) or a file (created 0600, appended,
/// never through a symlink). Returns an empty string or a message.
std::string to_file(const std::string& path);
void to_stderr();

template <typename... Args>
void print(subsys s, level l, fmt::format_string<Args...> f, Args&&... args) noexcept {
    try {
        detail::write(s, l, fmt::format(f, std::forward<Args>(args)...));
    } catch (...) {  // a debug line never takes its caller down
    }
}

}  // namespace zplex::log

/// ZPLEX_DBG(ike, detail, "IKE_SA {} rekeyed", spi): formats only when enabled.
#define ZPLEX_DBG(SUBSYS, LEVEL, ...)                                                             \
    do {                                                                                          \
        if (::zplex::log::enabled(::zplex::log::subsys::SUBSYS, ::zplex::log::level::LEVEL)) [[unlikely]] \
            ::zplex::log::print(::zplex::log::subsys::SUBSYS, ::zplex::log::level::LEVEL, __VA_ARGS__); \
    } while (0)
