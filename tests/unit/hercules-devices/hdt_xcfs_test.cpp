// SPDX-License-Identifier: Apache-2.0
// The XCF signalling core: JOIN, the status update CCW as the heartbeat, messages both
// ways, group exit events, and the unit check a partitioned system gets.
#include "ccw_driver.hpp"
#include "hercules_sysplex.hpp"

#include <gtest/gtest.h>

namespace zplex::test {
namespace {

constexpr std::uint8_t ce_de = hdt::us_ce | hdt::us_de;
constexpr std::uint8_t ce_de_uc = hdt::us_ce | hdt::us_de | hdt::us_uc;

std::vector<std::string> args(const hercules_sysplex& plex, const std::string& sysname, int interval = 300) {
    return {"SYSPLEX=" + plex.ns, "SYSNAME=" + sysname, "KEYFILE=" + plex.key_file.string(),
            "INTERVAL=" + std::to_string(interval)};
}

TEST(hdt_xcfs, device_statement_needs_a_key) {
    hercules_sysplex plex;
    core_log().clear();
    ccw_driver nokey({"SYSPLEX=" + plex.ns, "SYSNAME=MVS1"});
    EXPECT_EQ(nokey.core, nullptr);
    ccw_driver badkey({"SYSPLEX=" + plex.ns, "SYSNAME=MVS1", "KEYFILE=/dev/null"});
    EXPECT_EQ(badkey.core, nullptr);
    ccw_driver longname(args(plex, "MVS123456"));
    EXPECT_EQ(longname.core, nullptr);
    ccw_driver ok(args(plex, "MVS1"));
    EXPECT_NE(ok.core, nullptr);
}

TEST(hdt_xcfs, join_heartbeat_messages_and_events) {
    hercules_sysplex plex;
    std::string err;
    ASSERT_TRUE(plex.join_host(err)) << err;
    ccw_driver d(args(plex, "MVS1"), 0x0E10);
    ASSERT_NE(d.core, nullptr);
    EXPECT_EQ(d.exec(hdt::ccw_status_update, {}, 1).unitstat, ce_de_uc);
    EXPECT_EQ(d.sense().data[1], hdt::s1_not_joined);
    auto r = d.request(block(0x03, 0, 0, "", "HOST", {1, 2, 3}));
    EXPECT_EQ(rc_of(r), 8);
    EXPECT_EQ(reason_of(r), 0x0809) << "SEND before JOIN";

    r = d.request(block(0x01, 0, 0, "ZPXIMAGE", ""));
    ASSERT_EQ(rc_of(r), 0) << std::hex << reason_of(r);
    EXPECT_EQ(std::string(r.begin() + 16, r.begin() + 20), "MVS1");
    EXPECT_EQ(d.exec(hdt::ccw_status_update, {}, 1).unitstat, ce_de);
    r = d.request(block(0x02, 0, 0, "", ""));
    EXPECT_EQ(value1_of(r), 2u) << "two status updates";

    // Guest -> host.
    r = d.request(block(0x03, 0, 0, "", "HOST", {'P', 'I', 'N', 'G'}));
    ASSERT_EQ(rc_of(r), 0) << std::hex << reason_of(r);
    std::vector<std::uint8_t> m;
    std::string from;
    ASSERT_TRUE(plex.host_member().receive(m, from, std::chrono::milliseconds(1000)));
    EXPECT_EQ(from, "MVS1");
    EXPECT_EQ(m, (std::vector<std::uint8_t>{'P', 'I', 'N', 'G'}));
    // Host -> guest.
    r = d.request(block(0x04, 0, 0, "", ""));
    EXPECT_EQ(rc_of(r), 8);
    EXPECT_EQ(reason_of(r), 0x0C01) << "nothing yet";
    ASSERT_TRUE(plex.host_member().send("MVS1", std::vector<std::uint8_t>{'P', 'O', 'N', 'G'}));
    r = d.request(block(0x04, 500, 0, "", ""));
    ASSERT_EQ(rc_of(r), 0) << std::hex << reason_of(r);
    EXPECT_EQ(std::string(r.begin() + 16, r.begin() + 20), "HOST");
    EXPECT_EQ(std::string(r.begin() + 32, r.end()), "PONG");

    // A second system joins and leaves: MVS1's group exit hears both.
    {
        ccw_driver d2(args(plex, "MVS2"), 0x0E10);
        ASSERT_EQ(rc_of(d2.request(block(0x01, 0, 0, "ZPXIMAGE", ""))), 0);
    }
    r = d.request(block(0x05, 0, 0, "", ""));
    ASSERT_EQ(value1_of(r), 2u);
    ASSERT_EQ(r.size(), 32u + 2 * 48);
    EXPECT_EQ(r[32], 1) << "joined";
    EXPECT_EQ(std::string(r.begin() + 32 + 16, r.begin() + 32 + 20), "MVS2");
    EXPECT_EQ(r[32 + 48], 2) << "left";
}

TEST(hdt_xcfs, a_silent_system_is_partitioned_and_its_heartbeat_refused) {
    hercules_sysplex plex(std::chrono::milliseconds(100));
    std::string err;
    ASSERT_TRUE(plex.join_host(err)) << err;
    ccw_driver d(args(plex, "MVS1", 100), 0x0E10);
    ASSERT_EQ(rc_of(d.request(block(0x01, 0, 0, "ZPXIMAGE", ""))), 0);
    plex.host_member().events();
    // No status updates (a stopped CPU), seen by a system whose clock runs 400 ms ahead:
    // the injected clock stands for the time passing, no sleep.
    xcf::sysplex_options ahead = plex.options();
    ahead.clock = [] {
        timespec ts{};
        ::clock_gettime(CLOCK_MONOTONIC, &ts);
        return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec + 400'000'000;
    };
    std::unique_ptr<xcf::system> watcher;
    ASSERT_TRUE(xcf::system::join(ahead, "WATCHER", watcher));
    watcher->tick();
    bool failed = false;
    for (const auto& e : plex.host_member().events()) {
        failed = failed || (e.member == "MVS1" && e.what == xcf::group_event::kind::failed);
    }
    EXPECT_TRUE(failed);
    EXPECT_EQ(d.exec(hdt::ccw_status_update, {}, 1).unitstat, ce_de_uc);
    auto s = d.sense().data;
    EXPECT_EQ(s[0], hdt::s0_intreq);
    EXPECT_EQ(s[1], hdt::s1_partitioned);
    char q[256];
    zpx_core_query(d.core, q, sizeof q);
    EXPECT_NE(std::string(q).find("PARTITIONED"), std::string::npos) << q;

    // Re-IPL: the nucleus JOINs again; the system comes back as a new incarnation.
    auto r = d.request(block(0x01, 0, 0, "ZPXIMAGE", ""));
    EXPECT_EQ(rc_of(r), 0) << std::hex << reason_of(r);
    EXPECT_EQ(d.exec(hdt::ccw_status_update, {}, 1).unitstat, ce_de);
}

TEST(hdt_xcfs, interval_must_be_a_number_in_range) {
    hercules_sysplex plex;
    core_log().clear();
    auto a = args(plex, "MVS1");
    a.back() = "INTERVAL=fast";
    ccw_driver d(a);
    EXPECT_EQ(d.core, nullptr);
    ASSERT_EQ(core_log().size(), 1u);
    EXPECT_NE(core_log()[0].find("INTERVAL= must be 10-600000 milliseconds"), std::string::npos) << core_log()[0];
}

}  // namespace
}  // namespace zplex::test
