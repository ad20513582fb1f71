// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: inbound ESP and AH processing (GCM and CBC+HMAC, transport and tunnel,
// ESN, NULL, UDP encapsulation) on arbitrary packets, plus a valid packet with fuzzed bytes flipped in.
// Any crash or sanitizer report is a finding; every outcome must be a counted drop
// or a delivered packet.
#include <zplex/ipsec/ah.hpp>
#include <zplex/ipsec/esp.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>

using namespace zplex::ipsec;

namespace {

std::unique_ptr<esp_sa> make(algorithm alg, sa_mode mode, bool esn, bool udp) {
    sa_config c;
    c.spi = 0x1000;
    c.alg = alg;
    c.mode = mode;
    c.esn = esn;
    c.udp_encap = udp;
    c.key.assign(key_length(alg), 0x42);
    return esp_sa::create(c);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) {
        return 0;
    }
    constexpr int algorithms = static_cast<int>(algorithm::null_hmac_sha512) + 1;
    auto alg = static_cast<algorithm>(data[0] % algorithms);
    bool udp = data[0] & 16;
    auto mode = (data[0] & 32) ? sa_mode::tunnel : sa_mode::transport;
    bool esn = data[0] & 8;
    auto in = make(alg, mode, esn, udp);
    packet p;
    if (!p.assign(std::span(data + 1, size - 1))) {
        return 0;
    }
    packet a = p;
    auto d = in->decapsulate(p);
    // The same bytes as AH.
    sa_config ac;
    ac.spi = 0x1000;
    ac.mode = mode;
    ac.esn = esn;
    ac.key.assign(32 + 16 * (data[0] % 3), 0x24);  // HMAC-SHA-256, -384, -512
    if (auto ah = ah_sa::create(ac)) {
        (void)ah->decapsulate(a);
    }
    if (d == drop::none && p.len > packet::capacity) {
        __builtin_trap();
    }
    // A genuine packet with the input's bytes XORed in: must be dropped, never crash.
    auto out = make(alg, mode, esn, udp);
    packet q;
    std::uint8_t ip[48] = {0x45, 0, 0, 48, 0, 1, 0, 0, 64, 17, 0, 0, 198, 18, 0, 200, 198, 18, 2, 1};
    q.assign(ip);
    if (out->encapsulate(q) == drop::none) {
        for (std::size_t i = 1; i < size && i - 1 < q.len; ++i) {
            q.data()[i - 1] ^= data[i];
        }
        (void)in->decapsulate(q);
    }
    return 0;
}
