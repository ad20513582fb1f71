// SPDX-License-Identifier: Apache-2.0
// The faults matrix's readers of captured frames: a pcap file's ESP records
// (operating::faults::esp_records, then the per-SPI checks over them) and the LAN
// relay's ESP test of one frame (batch::esp_to). Any bytes: no crash, no hang.
#include "batch/impair.hpp"

#include <zplex/operating/faults.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace fx = zplex::operating::faults;
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    if (auto recs = fx::esp_records(bytes)) {
        for (std::uint32_t window : {32u, 128u}) {
            auto c = fx::check_esp(*recs, 0xc6120201, 0xc61200c8, window);
            if (c.reused < 0 || c.dropped < 0 || c.frames < c.reused) __builtin_trap();
        }
    }
    (void)zplex::cli::batch::esp_to(data, size, 0xc61200c8);
    return 0;
}
