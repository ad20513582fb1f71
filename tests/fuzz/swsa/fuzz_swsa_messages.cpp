// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the SWSA XCF message decoders (SA distribution, delete, lifesize
// report, NEWCONN) and the EZBDVIPA SA record decoder on arbitrary bytes. Whatever
// decodes must encode back to the same bytes (the codec is canonical) and decode again
// to the same message; anything else must be refused with a reason, never a crash.
#include <zplex/swsa/messages.hpp>
#include <zplex/swsa/sa_record.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

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
    return 0;
}
