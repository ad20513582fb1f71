// SPDX-License-Identifier: Apache-2.0
// Big-endian (network and z/Architecture) byte order for every wire format zplex reads
// or writes: IP, ESP/AH, IKE, XCF and CF messages, CCW data. Unaligned loads and stores
// through boost::endian; no component writes its own shifts.
#pragma once

#include <boost/endian/conversion.hpp>

#include <cstdint>

namespace zplex::sysplex {

inline std::uint16_t get16(const std::uint8_t* p) noexcept { return boost::endian::load_big_u16(p); }
inline std::uint32_t get32(const std::uint8_t* p) noexcept { return boost::endian::load_big_u32(p); }
inline std::uint64_t get64(const std::uint8_t* p) noexcept { return boost::endian::load_big_u64(p); }
inline void put16(std::uint8_t* p, std::uint16_t v) noexcept { boost::endian::store_big_u16(p, v); }
inline void put32(std::uint8_t* p, std::uint32_t v) noexcept { boost::endian::store_big_u32(p, v); }
inline void put64(std::uint8_t* p, std::uint64_t v) noexcept { boost::endian::store_big_u64(p, v); }

}  // namespace zplex::sysplex
