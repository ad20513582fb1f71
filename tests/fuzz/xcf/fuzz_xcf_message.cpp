// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: what a receiver does with bytes found on a signalling path: frame
// header checks (the mode field too), fragment reassembly, AES-GCM open in the mode the
// header names (sealed or integrity-only, docs/xcf.md). Any crash or sanitizer report is
// a finding. The seeds (corpus/) are one valid message of each mode under the key below.
#include "codec.hpp"

#include <algorithm>
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
            c.receiver_incarnation = r.first().receiver_incarnation;
            c.seq = r.first().seq;
            c.mode = r.first().flags;
            std::vector<std::uint8_t> plain;
            std::uint32_t last_incarnation = 0;
            std::uint64_t last_seq = 0;
            if (open_in_order(key, c, r.sealed(), last_incarnation, last_seq, plain) == verdict::delivered &&
                c.mode == mode_of(zplex::xcf::protection::integrity_only) &&
                (plain.size() + 16 != r.sealed().size() || !std::equal(plain.begin(), plain.end(), r.sealed().begin()))) {
                __builtin_trap();  // integrity-only delivers the message exactly as it travelled
            }
        }
        at += h.frame_len;
    }
    return 0;
}
