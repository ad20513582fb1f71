// SPDX-License-Identifier: Apache-2.0
// EZBDVIPA as the SWSA tests and benchmark allocate it: on CF01 alone, 256-byte entries
// (an SA record fits), one SA per list.
#pragma once

#include <zplex/sysplex/catalogue.hpp>

namespace zplex::test {

inline sysplex::structure_config swsa_ezbdvipa(std::uint32_t lists = 8, std::uint32_t entry_size = 256) {
    sysplex::structure_config s;
    s.name = "EZBDVIPA";
    s.list_count = lists;
    s.entry_size = entry_size;
    s.max_entries = 64;
    s.size_kb = 256;
    s.preflist = {"CF01"};
    return s;
}

}  // namespace zplex::test
