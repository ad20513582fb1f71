// SPDX-License-Identifier: Apache-2.0
// RFC 4303 §3.4.3 anti-replay window and Appendix A2.2 ESN inference.
#include <zplex/ipsec/replay_window.hpp>

#include <gtest/gtest.h>

namespace zplex::ipsec {
namespace {

TEST(ipsec_replay_window, new_old_duplicate_and_reordered) {
    replay_window w(64);
    EXPECT_FALSE(w.check(0)) << "sequence numbers start at 1";
    EXPECT_TRUE(w.update(1));
    EXPECT_FALSE(w.update(1)) << "duplicate";
    EXPECT_TRUE(w.update(5));
    EXPECT_TRUE(w.update(3)) << "reordered inside the window";
    EXPECT_TRUE(w.update(100));
    EXPECT_TRUE(w.check(37)) << "100 - 37 = 63: still inside a 64-wide window";
    EXPECT_FALSE(w.check(36)) << "left of the window";
    EXPECT_FALSE(w.check(100));
    EXPECT_TRUE(w.check(99));
    EXPECT_EQ(w.top(), 100u);
}

TEST(ipsec_replay_window, a_big_jump_clears_the_bitmap) {
    replay_window w(128);
    for (std::uint64_t s = 1; s <= 128; ++s) {
        ASSERT_TRUE(w.update(s));
    }
    EXPECT_TRUE(w.update(1000));
    EXPECT_TRUE(w.check(999));
    EXPECT_TRUE(w.check(873));
    EXPECT_FALSE(w.check(872));
}

TEST(ipsec_replay_window, sizes_are_bounded) {
    EXPECT_EQ(replay_window(1).size(), 64u);
    EXPECT_EQ(replay_window(4096).size(), 4096u);
    EXPECT_EQ(replay_window(100000).size(), 4096u);
    replay_window big(4096);
    EXPECT_TRUE(big.update(5000));
    EXPECT_TRUE(big.check(905));
    EXPECT_FALSE(big.check(904));
}

TEST(ipsec_replay_window, esn_inference_across_a_2_to_32_boundary) {
    replay_window w(64);
    ASSERT_TRUE(w.update(0xfffffff0ull));
    EXPECT_EQ(w.infer_esn(0xfffffff5u), 0xfffffff5ull);
    EXPECT_EQ(w.infer_esn(0x00000003u), 0x100000003ull) << "wrapped low half: next subspace";
    ASSERT_TRUE(w.update(0x100000010ull));
    EXPECT_EQ(w.infer_esn(0xfffffff8u), 0xfffffff8ull) << "window spans two subspaces";
    EXPECT_EQ(w.infer_esn(0x00000011u), 0x100000011ull);
    replay_window fresh(64);
    EXPECT_EQ(fresh.infer_esn(5), 5u) << "no lower subspace before the first";
}

}  // namespace
}  // namespace zplex::ipsec
