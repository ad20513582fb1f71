// SPDX-License-Identifier: Apache-2.0
// SYSPLEXPORTS (docs/distributor.md "SYSPLEXPORTS"): the ephemeral port blocks of distributed
// DVIPAs, allocated from the EZBEPORT list structure so that no two stacks ever use the same
// (DVIPA, port). Lock legend as in stack_impl.hpp.
#pragma once

#include <zplex/cf/connector.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace zplex::tcpip::stack {

/// Ephemeral ports are 1024-65535, as z/OS's default EPHEMERALPORTS, in blocks of 64.
inline constexpr std::uint32_t eport_low = 1024;
inline constexpr std::uint32_t eport_block_size = 64;
inline constexpr std::uint32_t eport_block_count = (65536 - eport_low) / eport_block_size;  // 1008
/// Blocks a stack takes for a DVIPA when it starts to use it (z/OS sizes ranges for two).
inline constexpr std::size_t eport_blocks_per_stack = 2;
/// EZBEPORT lists: entries (one per block held), and the cursor whose list key spreads
/// the stacks' first tries over the blocks.
inline constexpr std::uint32_t eport_entry_list = 0;
inline constexpr std::uint32_t eport_cursor_list = 1;
inline constexpr std::int16_t eport_owner_unknown = -3;

/// One SYSPLEXPORTS DVIPA this stack distributes or is a target of.
struct eport_dvipa {
    std::uint32_t address = 0;
    std::vector<std::uint16_t> mine;   ///< [C] block numbers this stack holds, ascending
    std::vector<std::int16_t> owner;   ///< [P] per block: -1 this stack, >= 0 a peer, unknown (read from the CF)
    bool distributing = false;         ///< [C]
};

struct eport_state {
    std::vector<eport_dvipa> dvipas;   ///< [C]
    cf::entry scratch;                 ///< [P] an entry read on the packet path (capacity reserved)
    std::uint64_t generation = 0;      ///< [C] changes whenever the blocks held change
    bool full_said = false;            ///< [C] ZPX1803I said once
};

/// The EZBEPORT entry name of a block: EP + the DVIPA in hex + the block in hex (14 bytes,
/// no allocation).
inline std::string eport_entry_name(std::uint32_t address, std::uint32_t block) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string n(14, '0');
    n[0] = 'E';
    n[1] = 'P';
    for (int i = 0; i < 8; ++i) n[static_cast<std::size_t>(2 + i)] = hex[(address >> (28 - 4 * i)) & 0xF];
    for (int i = 0; i < 4; ++i) n[static_cast<std::size_t>(10 + i)] = hex[(block >> (12 - 4 * i)) & 0xF];
    return n;
}

}  // namespace zplex::tcpip::stack
