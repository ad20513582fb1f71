// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: what a receiver does with bytes found on a signalling path: frame
// header checks, fragment reassembly, AES-GCM open. Any crash or sanitizer report is
// a finding.
#include "codec.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>

using namespace zplex::xcf::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const secret key(std::vector<std::uint8_t>(32, 0x5a));
    reassembler r;
    std::size_t at = 0;
    while (size - at >= sizeof(fragment_header)) {
        fragment_header h;
        std::memcpy(&h, data + at, sizeof h);
        if (!header_valid(h, size - at)) {
            break;
        }
        auto payload = std::span<const std::uint8_t>(data + at + sizeof h, h.payload_len);
        auto st = r.add(h, payload, h.sender, h.receiver, h.receiver_incarnation);
        if (st == reassembler::status::complete) {
            message_context c{};
            c.sender = h.sender;
            c.receiver = h.receiver;
            c.sender_incarnation = r.first().sender_incarnation;
            c.seq = r.first().seq;
            std::vector<std::uint8_t> plain;
            (void)open(key, c, r.sealed(), plain);
        }
        at += h.frame_len;
    }
    return 0;
}
