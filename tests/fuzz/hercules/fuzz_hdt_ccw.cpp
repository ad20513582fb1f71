// SPDX-License-Identifier: Apache-2.0
// A channel program from the fuzzer: CCWs (code, count, data) run against one CFL device
// core. Whatever the guest writes, the core answers with unit status and sense bytes and
// never crashes, hangs or reads past a buffer. (No CF runs: CONNECT fails with RC 8.)
#include "device.hpp"
#include "hdt_core.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static zpx_core* core = [] {
        std::string plex = "SYSPLEX=FUZZ" + std::to_string(::getpid());
        std::string cf = "CF=CF01";
        char* argv[] = {plex.data(), cf.data()};
        return zpx_core_open(0x0E00, 2, argv, nullptr);
    }();
    static std::vector<std::uint8_t> buf(65536);
    // Each CCW: code (1), count (2, big-endian), then min(count, rest) data bytes.
    std::size_t i = 0;
    while (i + 3 <= size) {
        zpx_ccw c{};
        c.code = data[i];
        c.count = static_cast<std::uint16_t>(data[i + 1] << 8 | data[i + 2]);
        i += 3;
        std::size_t n = std::min<std::size_t>(c.count, size - i);
        std::memset(buf.data(), 0, c.count);
        if (n > 0) {
            std::memcpy(buf.data(), data + i, n);
        }
        i += n;
        c.iobuf = buf.data();
        zpx_core_exec(core, &c);
        if (c.residual > c.count) {
            __builtin_trap();  // the channel would move a negative count
        }
    }
    return 0;
}
