// SPDX-License-Identifier: Apache-2.0
// zplex-tcpip's offload finisher on arbitrary input: 10 bytes of offload header (as the
// TAP hands it over), then the packet. It must never read or write out of bounds, and
// whatever it emits must be a whole IPv4 packet no longer than its buffer.
#include "offload.hpp"

#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace zplex::tcpip::daemon;
    static finisher f;
    if (size < sizeof(vnet_hdr)) return 0;
    vnet_hdr h;
    std::memcpy(&h, data, sizeof h);
    f.finish(data + sizeof h, size - sizeof h, h, [](const std::uint8_t* p, std::size_t n) {
        if (n < 20 || (p[0] >> 4) != 4 || wire::get16(p + 2) != n) std::abort();
    });
    return 0;
}
