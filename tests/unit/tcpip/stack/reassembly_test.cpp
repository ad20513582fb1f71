// SPDX-License-Identifier: Apache-2.0
// The reassembler alone (reassembly.hpp): in order, out of order, duplicates, overlaps,
// inconsistent fragments, the size limit, a full pool, the timeout.
#include "reassembly.hpp"
#include "stack_sim.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace zplex::test;
namespace tst = zplex::tcpip::stack;
using tst::drop;
using tst::reassembler;
using outcome = reassembler::outcome;

namespace {

struct reasm : ::testing::Test {
    reassembler r{reassembler::limits{}};
    std::vector<std::uint8_t> out = std::vector<std::uint8_t>(65535);
    std::size_t out_len = 0;
    drop why = drop::count_;
    std::int64_t now = 1000;

    outcome add(const std::vector<std::uint8_t>& f, reassembler* with = nullptr) {
        why = drop::count_;
        return (with ? *with : r).add(f.data(), f.size(), 0, now, out.data(), out_len, why);
    }
    std::vector<std::uint8_t> result() const { return {out.begin(), out.begin() + static_cast<std::ptrdiff_t>(out_len)}; }
    /// A UDP datagram of @p n data bytes, identification @p id.
    static std::vector<std::uint8_t> datagram(std::size_t n, std::uint16_t id = 0x1234, const char* src = "198.18.0.101") {
        std::vector<std::uint8_t> payload(n);
        for (std::size_t i = 0; i < n; ++i) payload[i] = static_cast<std::uint8_t>(i * 7 + 3);
        auto p = ipv4_packet(ip(src), ip("198.18.0.11"), 17, payload);
        put16(p, 4, id);
        put16(p, 10, 0);
        put16(p, 10, csum(p.data(), 20));
        return p;
    }
};

}  // namespace

TEST_F(reasm, InOrderFragmentsGiveTheDatagramBack) {
    auto d = datagram(3000);
    auto f = fragments_of(d, 1480);
    ASSERT_EQ(f.size(), 3u);
    EXPECT_EQ(add(f[0]), outcome::held);
    EXPECT_EQ(add(f[1]), outcome::held);
    EXPECT_EQ(r.in_use(), 1u);
    ASSERT_EQ(add(f[2]), outcome::complete);
    EXPECT_EQ(result(), d);  // header as fragment 0 had it, total length, no MF/offset, checksum
    EXPECT_EQ(csum(out.data(), 20), 0);
    EXPECT_EQ(r.in_use(), 0u);
    EXPECT_EQ(r.stats().required, 3u);
    EXPECT_EQ(r.stats().successful, 1u);
    EXPECT_EQ(r.stats().failures, 0u);
}

TEST_F(reasm, OutOfOrderFragmentsToo) {
    auto d = datagram(5000);
    auto f = fragments_of(d, 1000);
    ASSERT_EQ(f.size(), 5u);
    for (std::size_t i : {4u, 2u, 0u, 3u}) EXPECT_EQ(add(f[i]), outcome::held) << i;
    ASSERT_EQ(add(f[1]), outcome::complete);
    EXPECT_EQ(result(), d);
}

TEST_F(reasm, ADuplicateIsDiscardedAndTheDatagramCompletes) {
    auto d = datagram(3000);
    auto f = fragments_of(d, 1480);
    EXPECT_EQ(add(f[1]), outcome::held);
    EXPECT_EQ(add(f[1]), outcome::dropped);
    EXPECT_EQ(why, drop::reasm_duplicate);
    EXPECT_EQ(add(f[0]), outcome::held);
    EXPECT_EQ(add(f[0]), outcome::dropped);
    EXPECT_EQ(why, drop::reasm_duplicate);
    ASSERT_EQ(add(f[2]), outcome::complete);
    EXPECT_EQ(result(), d);
    EXPECT_EQ(r.stats().failures, 0u);
}

TEST_F(reasm, AnOverlapWithOtherDataDropsTheWholeDatagram) {
    auto d = datagram(3000);
    auto f = fragments_of(d, 1480);
    EXPECT_EQ(add(f[0]), outcome::held);
    // Bytes 1472..2951 with other data: overlaps fragment 0's last block.
    auto g = fragments_of(datagram(3000), 1472)[1];
    g[25] ^= 0xFF;
    put16(g, 10, 0);
    put16(g, 10, csum(g.data(), 20));
    EXPECT_EQ(add(g), outcome::dropped);
    EXPECT_EQ(why, drop::reasm_overlap);
    EXPECT_EQ(r.in_use(), 0u);
    // What is left starts a new datagram and cannot complete without fragment 0.
    EXPECT_EQ(add(f[1]), outcome::held);
    EXPECT_EQ(add(f[2]), outcome::held);
    EXPECT_EQ(r.stats().successful, 0u);
    // The same range again with different bytes: an overlap as well (RFC 5722 spirit).
    auto h = f[1];
    h[30] ^= 0x01;
    EXPECT_EQ(add(h), outcome::dropped);
    EXPECT_EQ(why, drop::reasm_overlap);
    // A partial overlap with the same bytes is still an overlap.
    EXPECT_EQ(add(f[0]), outcome::held);
    auto same = fragments_of(d, 1472);
    EXPECT_EQ(add(same[1]), outcome::dropped);
    EXPECT_EQ(why, drop::reasm_overlap);
}

TEST_F(reasm, InconsistentFragmentsAreRefused) {
    auto d = datagram(3000);
    auto f = fragments_of(d, 1480);
    // A non-last fragment that is not whole 8-byte blocks.
    auto odd = f[0];
    odd.pop_back();
    put16(odd, 2, static_cast<std::uint16_t>(odd.size()));
    EXPECT_EQ(add(odd), outcome::dropped);
    EXPECT_EQ(why, drop::reasm_bad);
    EXPECT_EQ(r.in_use(), 0u);
    // Two last fragments with different ends.
    EXPECT_EQ(add(f[2]), outcome::held);
    auto shorter = f[2];
    shorter.resize(shorter.size() - 8);
    put16(shorter, 2, static_cast<std::uint16_t>(shorter.size()));
    EXPECT_EQ(add(shorter), outcome::dropped);
    EXPECT_EQ(why, drop::reasm_bad);
    EXPECT_EQ(r.in_use(), 0u);
    // Data past the end the last fragment gave.
    EXPECT_EQ(add(fragments_of(datagram(2000), 1480)[1]), outcome::held);  // ends at 2000
    EXPECT_EQ(add(f[1]), outcome::dropped);                                // 1480..2960
    EXPECT_EQ(why, drop::reasm_bad);
}

TEST_F(reasm, NothingLargerThan65535BytesIsBuilt) {
    // The last fragment at offset 65528 with 100 bytes: the "ping of death".
    auto f = fragments_of(datagram(16), 8)[1];
    f.resize(20 + 100, 0x11);
    put16(f, 2, 120);
    put16(f, 6, 65528 / 8);
    EXPECT_EQ(add(f), outcome::dropped);
    EXPECT_EQ(why, drop::reasm_too_big);
    // A smaller limit: a datagram over it is given up when it would pass it.
    reassembler small(reassembler::limits{2, 2000, 60000});
    auto g = fragments_of(datagram(3000), 1480);
    EXPECT_EQ(add(g[0], &small), outcome::held);
    EXPECT_EQ(add(g[1], &small), outcome::dropped);
    EXPECT_EQ(why, drop::reasm_too_big);
    EXPECT_EQ(small.in_use(), 0u);
}

TEST_F(reasm, AFullPoolRefusesNewDatagramsAndLosesNothingHeld) {
    reassembler two(reassembler::limits{2, 65535, 60000});
    auto a = fragments_of(datagram(2000, 1), 1480), b = fragments_of(datagram(2000, 2), 1480),
         c = fragments_of(datagram(2000, 3), 1480);
    EXPECT_EQ(add(a[0], &two), outcome::held);
    EXPECT_EQ(add(b[1], &two), outcome::held);
    EXPECT_EQ(add(c[0], &two), outcome::dropped);
    EXPECT_EQ(why, drop::reasm_full);
    ASSERT_EQ(add(a[1], &two), outcome::complete);
    EXPECT_EQ(result(), datagram(2000, 1));
    ASSERT_EQ(add(b[0], &two), outcome::complete);
    EXPECT_EQ(result(), datagram(2000, 2));
    // Room again.
    EXPECT_EQ(add(c[0], &two), outcome::held);
    ASSERT_EQ(add(c[1], &two), outcome::complete);
    EXPECT_EQ(result(), datagram(2000, 3));
}

TEST_F(reasm, DatagramsAreKeyedBySourceDestinationProtocolAndId) {
    auto a = fragments_of(datagram(2000, 7, "198.18.0.101"), 1480);
    auto b = fragments_of(datagram(2000, 7, "198.18.0.102"), 1480);
    EXPECT_EQ(add(a[0]), outcome::held);
    EXPECT_EQ(add(b[1]), outcome::held);
    EXPECT_EQ(r.in_use(), 2u);
    ASSERT_EQ(add(b[0]), outcome::complete);
    EXPECT_EQ(result(), datagram(2000, 7, "198.18.0.102"));
    ASSERT_EQ(add(a[1]), outcome::complete);
    EXPECT_EQ(result(), datagram(2000, 7, "198.18.0.101"));
}

TEST_F(reasm, TheTimeoutGivesUpAndQuotesFragmentZero) {
    auto d = datagram(3000);
    auto f = fragments_of(d, 1480);
    EXPECT_EQ(add(f[0]), outcome::held);
    now += 30000;
    EXPECT_EQ(add(f[1]), outcome::held);
    int calls = 0;
    std::vector<std::uint8_t> quoted;
    auto see = [&](const std::uint8_t* h, std::size_t n, int, std::uint32_t dst) {
        ++calls;
        quoted.assign(h, h + n);
        EXPECT_EQ(dst, ip("198.18.0.11"));
    };
    EXPECT_EQ(r.expire(1000 + 59999, see), 0u);  // 60 s from the first fragment, not the last
    EXPECT_EQ(r.expire(1000 + 60000, see), 1u);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(quoted, std::vector<std::uint8_t>(f[0].begin(), f[0].begin() + 28));
    EXPECT_EQ(r.in_use(), 0u);
    EXPECT_EQ(r.stats().timeouts, 1u);
    // Without fragment 0 it is given up silently.
    EXPECT_EQ(add(f[2]), outcome::held);
    EXPECT_EQ(r.expire(now + 60000, see), 1u);
    EXPECT_EQ(calls, 1);
}
