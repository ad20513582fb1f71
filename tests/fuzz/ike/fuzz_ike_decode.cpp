// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the IKEv2 decoder on arbitrary datagrams, then SK verification and
// decryption with fixed keys (AES-GCM-16 and AES-CBC + HMAC-SHA-256-128), then the
// inner payload chain. The first byte picks the cipher; a second mode re-protects the
// input's payloads with the fixed key so the fuzzer reaches the inner parser with
// valid ICVs. Any crash or sanitizer report is a finding.
#include <zplex/ike/keys.hpp>
#include <zplex/ike/message.hpp>

#include <cstddef>
#include <cstdint>

using namespace zplex::ike;

namespace {

const sk_cipher& cipher(bool gcm) {
    static auto g = sk_cipher::create(encr_id::aes_gcm_16, 128, integ_id::none, secret(bytes(20, 0x42)), secret());
    static auto c = sk_cipher::create(encr_id::aes_cbc, 128, integ_id::hmac_sha2_256_128, secret(bytes(16, 0x42)),
                                      secret(bytes(32, 0x24)));
    return gcm ? *g : *c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) {
        return 0;
    }
    const bool gcm = data[0] & 1;
    const bool wrap = data[0] & 2;
    std::span<const std::uint8_t> in(data + 1, size - 1);
    auto d = decode(in);
    if (d.ok() && d.protected_) {
        sk_open(d, in, cipher(gcm));
    }
    if (wrap && d.ok()) {
        // Re-encode what decoded, protected: the round trip must decode and open again.
        message m = d.msg;
        bytes wire = encode(m, &cipher(gcm));
        if (!wire.empty()) {
            auto e = decode(wire);
            if (!e.ok() || !sk_open(e, wire, cipher(gcm)) || e.msg.payloads.size() != m.payloads.size()) {
                __builtin_trap();
            }
        }
    }
    return 0;
}
