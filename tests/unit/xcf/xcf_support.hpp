// SPDX-License-Identifier: Apache-2.0
// What the XCF unit tests share: a sysplex of its own per test, an injected clock, and
// joins that fail the test when refused.
#pragma once

#include <zplex/xcf/xcf.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <unistd.h>

namespace zplex::xcf::test {

/// Options for a sysplex no other test uses (@p prefix, the PID, a sequence number).
inline sysplex_options plex_options(const char* prefix, std::chrono::milliseconds interval,
                                    const char* key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff") {
    static int seq = 0;
    sysplex_options o;
    o.sysplex = prefix + std::to_string(::getpid()) + "N" + std::to_string(++seq);
    o.interval = interval;
    parse_key(key, o.key);
    return o;
}

/// An injected clock shared by every system of a test (all in this process).
struct fake_clock {
    std::shared_ptr<std::atomic<std::int64_t>> ns = std::make_shared<std::atomic<std::int64_t>>(1'000'000'000);
    clock_fn fn() const {
        return [p = ns] { return p->load(); };
    }
    void advance(std::chrono::milliseconds d) { ns->fetch_add(d.count() * 1'000'000); }
};

inline std::unique_ptr<system> join_system(const sysplex_options& o, const std::string& name) {
    std::unique_ptr<system> s;
    auto r = system::join(o, name, s);
    EXPECT_TRUE(r) << to_string(r);
    return s;
}

inline std::unique_ptr<member> join_member(system& s, const std::string& group, const std::string& name,
                                           std::uint64_t user_state = 0) {
    std::unique_ptr<member> m;
    auto r = member::join(s, group, name, user_state, m);
    EXPECT_TRUE(r) << to_string(r);
    return m;
}

}  // namespace zplex::xcf::test
