// SPDX-License-Identifier: Apache-2.0
// Drop counters by named reason, one way for every data path (IPsec, host mode, the
// stack). A path lists its reasons once, as an X-macro of rows
//   X(id, short name, severity, description)
// and gets from it an enum (ZPLEX_DROP_ENUM), a table of names (ZPLEX_DROP_ROW) and a
// counter array (drop_counters), so a reason's name and its counter can never drift.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace zplex::sysplex {

/// How bad a drop is, as NETSTAT and ipsec displays flag it.
enum class drop_severity : std::uint8_t { info, warning, error };

/// A reason's short name (NETSTAT, ipsec displays), severity and description.
struct drop_row {
    const char* name;
    drop_severity level;
    const char* text;
};

inline constexpr drop_row unknown_drop{"?", drop_severity::error, "unknown drop reason"};

/// The row of @p d in @p rows (a table made with ZPLEX_DROP_ROW, in enum order); an
/// out-of-range value gets a row named "?".
template <typename E, std::size_t N>
constexpr const drop_row& drop_row_of(const drop_row (&rows)[N], E d) noexcept {
    auto i = static_cast<std::size_t>(d);
    return i < N ? rows[i] : unknown_drop;
}

/// Counters of enum @p E (whose last enumerator is count_). Plain integers for a path
/// that runs on one thread; std::atomic<std::uint64_t> where several threads count.
template <typename E, typename T = std::uint64_t>
struct drop_counters {
    static constexpr std::size_t size = static_cast<std::size_t>(E::count_);
    std::array<T, size> by_reason{};

    void count(E d) noexcept {
        if constexpr (std::is_integral_v<T>) {
            ++by_reason[static_cast<std::size_t>(d)];
        } else {
            by_reason[static_cast<std::size_t>(d)].fetch_add(1, std::memory_order_relaxed);
        }
    }
    std::uint64_t operator[](E d) const noexcept { return value(by_reason[static_cast<std::size_t>(d)]); }
    std::uint64_t total() const noexcept {
        std::uint64_t t = 0;
        for (const auto& v : by_reason) {
            t += value(v);
        }
        return t;
    }

private:
    static std::uint64_t value(const T& v) noexcept {
        if constexpr (std::is_integral_v<T>) {
            return v;
        } else {
            return v.load(std::memory_order_relaxed);
        }
    }
};

}  // namespace zplex::sysplex

/// In an enum body: `enum class drop : std::uint8_t { LIST(ZPLEX_DROP_ENUM) count_ };`
#define ZPLEX_DROP_ENUM(id, name, severity, text) id,
/// In a table: `constexpr sysplex::drop_row rows[] = { LIST(ZPLEX_DROP_ROW) };`
#define ZPLEX_DROP_ROW(id, name, severity, text) ::zplex::sysplex::drop_row{name, ::zplex::sysplex::drop_severity::severity, text},

/// A path's whole drop vocabulary from its X-macro @p LIST, in the namespace it is used
/// in: `enum class drop` (ending in count_), its table `drop_rows`, and drop_name(),
/// drop_level() and drop_text() of a reason.
#define ZPLEX_DROP_TABLE(LIST)                                                                                \
    enum class drop : std::uint8_t { LIST(ZPLEX_DROP_ENUM) count_ };                                         \
    inline constexpr ::zplex::sysplex::drop_row drop_rows[] = {LIST(ZPLEX_DROP_ROW)};                         \
    inline const char* drop_name(drop d) noexcept { return ::zplex::sysplex::drop_row_of(drop_rows, d).name; } \
    inline ::zplex::sysplex::drop_severity drop_level(drop d) noexcept {                                      \
        return ::zplex::sysplex::drop_row_of(drop_rows, d).level;                                             \
    }                                                                                                         \
    inline const char* drop_text(drop d) noexcept { return ::zplex::sysplex::drop_row_of(drop_rows, d).text; }
