// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: SYSPLEX.xml parsing and the schema check. Only catalogue_error
// may come out; any other exception, crash or sanitizer report is a finding.
#include <zplex/sysplex/catalogue.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        auto cfg = zplex::sysplex::parse_sysplex_xml(text, "FUZZ.xml");
        for (const auto& im : cfg.images) {
            (void)cfg.symbols_for(im);
        }
    } catch (const zplex::sysplex::catalogue_error&) {
        // a clear message for bad input: expected
    }
    return 0;
}
