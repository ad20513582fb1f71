// SPDX-License-Identifier: Apache-2.0
// Text helpers every component shares: case folding as z/OS does it (EBCDIC upper case
// of the Latin letters only, the national characters @ # $ unchanged), hex both ways.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace zplex::sysplex {

/// @p s with a-z folded to A-Z; nothing else changes.
std::string upper(std::string_view s);

/// @p s with A-Z folded to a-z (file and namespace names made from z/OS names).
std::string lower(std::string_view s);

/// Equal when folded to upper case.
bool iequal(std::string_view a, std::string_view b) noexcept;

/// `0x` and 8 hex digits, as z/OS displays an SPI (upper case digits unless @p lower).
std::string hex32(std::uint32_t v, bool lower = false);

/// `0x` and 16 hex digits.
std::string hex64(std::uint64_t v, bool lower = false);

/// Bytes as hex digits, lower case, no separators.
std::string hex(std::span<const std::uint8_t> bytes);

/// Decode hex digits (either case; an optional `0x` prefix; ASCII white space between
/// digit pairs allowed when @p allow_space). False, with @p out cleared, on anything
/// else, on an odd number of digits or on no digits at all.
bool unhex(std::string_view text, std::vector<std::uint8_t>& out, bool allow_space = false);

/// Decode exactly out.size() bytes of hex into @p out; false if the text holds another
/// number of bytes or is not hex (then @p out is zeroed).
bool unhex_exact(std::string_view text, std::span<std::uint8_t> out, bool allow_space = false);

}  // namespace zplex::sysplex
