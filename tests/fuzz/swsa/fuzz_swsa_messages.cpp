// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the SWSA XCF message decoders (SA distribution, delete, lifesize
// report, NEWCONN) and the EZBDVIPA SA record decoder on arbitrary bytes. Whatever
// decodes must encode back to the same bytes (the codec is canonical) and decode again
// to the same message; anything else must be refused with a reason, never a crash.
// The same bytes are also peeked as an inbound ESP/AH packet by the owner's peek, for
// every algorithm and both modes.
#include <zplex/swsa/messages.hpp>
#include <zplex/swsa/peek.hpp>
#include <zplex/swsa/sa_record.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

using namespace zplex::swsa;

namespace {

template <class M, class Bytes>
void round_trip(std::span<const std::uint8_t> in) {
    M m;
    std::string why;
    if (!decode(in, m, &why)) {
        if (why.empty()) {
            std::abort();  // a refusal always says why
        }
        return;
    }
    Bytes again = encode(m);
    if (again.size() != in.size() || !std::equal(again.begin(), again.end(), in.begin())) {
        std::abort();
    }
    M back;
    if (!decode(std::span<const std::uint8_t>(again.data(), again.size()), back) || !(back == m)) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::span<const std::uint8_t> in(data, size);
    (void)peek_type(in);
    round_trip<sa_distribute_message, secure_bytes>(in);
    round_trip<sa_delete_message, std::vector<std::uint8_t>>(in);
    round_trip<lifesize_report_message, std::vector<std::uint8_t>>(in);
    round_trip<newconn_message, std::vector<std::uint8_t>>(in);
    round_trip<sa_record, std::vector<std::uint8_t>>(in);

    static std::vector<std::unique_ptr<peeker>> peekers = [] {
        std::vector<std::unique_ptr<peeker>> v;
        using zplex::ipsec::algorithm;
        for (auto mode : {zplex::ipsec::sa_mode::transport, zplex::ipsec::sa_mode::tunnel}) {
            for (auto alg : {algorithm::aes_gcm_128, algorithm::aes_gcm_256, algorithm::aes_cbc_128_hmac_sha256,
                             algorithm::aes_cbc_256_hmac_sha512, algorithm::null_hmac_sha256}) {
                v.push_back(peeker::create(50, alg, mode, std::vector<std::uint8_t>(zplex::ipsec::key_length(alg), 9)));
            }
            v.push_back(peeker::create(51, algorithm::aes_gcm_128, mode, std::vector<std::uint8_t>(32, 9)));
        }
        return v;
    }();
    std::vector<std::uint8_t> packet(in.begin(), in.end());
    if (packet.size() >= 20) {
        packet[0] = static_cast<std::uint8_t>(0x40 | (packet[0] & 0x0F));  // mostly IPv4, any header length
    }
    for (auto& p : peekers) {
        peek_result r;
        if (packet.size() >= 10) {
            packet[9] = 50;
            (void)p->peek(packet, r);
            packet[9] = 51;
            (void)p->peek(packet, r);
        }
    }
    return 0;
}
