// SPDX-License-Identifier: Apache-2.0
// The CF link core: the common CCW set, sense bytes, and CF requests answered with the
// connector's return and reason codes.
#include "ccw_driver.hpp"
#include "hercules_sysplex.hpp"

#include <gtest/gtest.h>

namespace zplex::test {
namespace {

constexpr std::uint8_t ce_de = hdt::us_ce | hdt::us_de;
constexpr std::uint8_t ce_de_uc = hdt::us_ce | hdt::us_de | hdt::us_uc;

std::vector<std::string> args(const std::string& ns) { return {"SYSPLEX=" + ns, "CF=CF01"}; }

TEST(hdt_cfl, device_statement_errors_are_refused_with_a_message) {
    core_log().clear();
    ccw_driver none({"CF=CF01"});
    EXPECT_EQ(none.core, nullptr);
    ccw_driver bad({"SYSPLEX=X", "COLOUR=RED"});
    EXPECT_EQ(bad.core, nullptr);
    ccw_driver positional({"SYSPLEX=X", "CF01"});
    EXPECT_EQ(positional.core, nullptr);
    ASSERT_EQ(core_log().size(), 3u);
    EXPECT_EQ(core_log()[1], "ZPX0700E 0E00 DEVICE STATEMENT REJECTED: keyword COLOUR is not known");
}

TEST(hdt_cfl, sense_id_nop_and_command_reject) {
    ccw_driver d(args("HDTU" + std::to_string(::getpid())));
    ASSERT_NE(d.core, nullptr);
    auto id = d.exec(hdt::ccw_sense_id, {}, 7);
    EXPECT_EQ(id.unitstat, ce_de);
    EXPECT_EQ(id.data, (std::vector<std::uint8_t>{0xFF, 0xCF, 0x10, 0x01, 0xCF, 0x10, 0x01}));
    EXPECT_EQ(d.exec(hdt::ccw_nop, {}, 0).unitstat, ce_de);

    EXPECT_EQ(d.exec(0x27, {}, 1).unitstat, ce_de_uc);  // not a CFL command
    auto s = d.sense();
    EXPECT_EQ(s.unitstat, ce_de);
    EXPECT_EQ(s.data, (std::vector<std::uint8_t>{0x80, 0x02, 0x27, 0x00, 0, 0, 0, 0}));
    EXPECT_EQ(d.sense().data[0], 0x00) << "sense is reset once read";
    EXPECT_EQ(d.exec(hdt::ccw_status_update, {}, 1).unitstat, ce_de_uc) << "x'17' is XCFS only";
}

TEST(hdt_cfl, malformed_requests_end_in_unit_check) {
    ccw_driver d(args("HDTU" + std::to_string(::getpid())));
    EXPECT_EQ(d.read().unitstat, ce_de_uc);  // nothing to answer
    EXPECT_EQ(d.sense().data[1], hdt::s1_no_response);
    EXPECT_EQ(d.write(std::vector<std::uint8_t>(20, 0)).unitstat, ce_de_uc);
    EXPECT_EQ(d.sense().data[1], hdt::s1_short_request);
    EXPECT_EQ(d.write(block(0x42, 0, 0, "", "")).unitstat, ce_de_uc);
    auto s = d.sense().data;
    EXPECT_EQ(s[0], hdt::s0_cmdrej);
    EXPECT_EQ(s[1], hdt::s1_bad_function);
    EXPECT_EQ(s[3], 0x42) << "the function is in byte 3";
    auto b = block(0x01, 0, 0, "ZNUMBERS", "");
    hdt::put16(&b[2], 100);  // data past the block
    EXPECT_EQ(d.write(b).unitstat, ce_de_uc);
    EXPECT_EQ(d.sense().data[1], hdt::s1_bad_field);
    EXPECT_EQ(d.write(block(0x01, 0, 0, "ZNUM*", "")).unitstat, ce_de_uc);
    EXPECT_EQ(d.sense().data[1], hdt::s1_bad_field);
}

TEST(hdt_cfl, requests_carry_the_connector_return_and_reason_codes) {
    hercules_sysplex plex;
    ccw_driver d(args(plex.ns));
    // Before the CF allocated the structure: IXLCONN RC 8 RSN 0801.
    auto r = d.request(block(0x01, 0, 0, "ZNUMBERS", "UNIT1"));
    EXPECT_EQ(rc_of(r), 8);
    EXPECT_EQ(reason_of(r), 0x0801);
    // No connection: LISTKEYINC is refused like a request with a stale token.
    r = d.request(block(0x03, 0, 16, "", ""));
    EXPECT_EQ(rc_of(r), 8);
    EXPECT_EQ(reason_of(r), 0x0804);

    std::string err;
    ASSERT_TRUE(plex.start_cf(err)) << err;
    // EBCDIC names work as well as ASCII: ZNUMBERS / UNIT1.
    std::vector<std::uint8_t> b = block(0x01, 0, 0, "", "");
    const std::uint8_t str[] = {0xE9, 0xD5, 0xE4, 0xD4, 0xC2, 0xC5, 0xD9, 0xE2};
    const std::uint8_t con[] = {0xE4, 0xD5, 0xC9, 0xE3, 0xF1, 0x40, 0x40, 0x40};
    std::memcpy(&b[16], str, sizeof str);
    std::memcpy(&b[32], con, sizeof con);
    r = d.request(b);
    ASSERT_EQ(rc_of(r), 0) << std::hex << reason_of(r);
    EXPECT_GE(value1_of(r), 1u) << "CONACONID";
    EXPECT_EQ(std::string(r.begin() + 16, r.begin() + 20), "CF01");

    r = d.request(block(0x03, 0, 16, "", ""));
    ASSERT_EQ(rc_of(r), 0);
    std::uint64_t first = value1_of(r);
    r = d.request(block(0x03, 0, 16, "", ""));
    EXPECT_EQ(value1_of(r), first + 16);
    EXPECT_EQ(hdt::get64(&r[16]), 16u);
    r = d.request(block(0x03, 99999, 16, "", ""));
    EXPECT_EQ(rc_of(r), 8);
    EXPECT_EQ(reason_of(r), 0x0819) << "bad list number";

    // List controls show the key after two blocks; an entry can be written and read back.
    r = d.request(block(0x06, 0, 0, "", ""));
    EXPECT_EQ(value1_of(r), first + 32);
    const std::vector<std::uint8_t> payload{'H', 'E', 'L', 'L', 'O'};
    r = d.request(block(0x05, 1, 7, "", "GREETING", payload));
    ASSERT_EQ(rc_of(r), 0) << std::hex << reason_of(r);
    r = d.request(block(0x04, 1, 0, "", "GREETING"));
    ASSERT_EQ(rc_of(r), 0);
    EXPECT_EQ(hdt::get32(&r[4]), 5u);
    EXPECT_EQ(std::vector<std::uint8_t>(r.begin() + 32, r.end()), payload);
    // A READ shorter than the response: residual 0, more data flagged (SLI is the guest's).
    EXPECT_EQ(d.read(8).data.size(), 8u);
    r = d.request(block(0x07, 1, 0, "", "GREETING"));
    EXPECT_EQ(rc_of(r), 0);
    r = d.request(block(0x04, 1, 0, "", "GREETING"));
    EXPECT_EQ(rc_of(r), 8);
    EXPECT_EQ(reason_of(r), 0x0810);
    r = d.request(block(0x02, 0, 0, "", ""));
    EXPECT_EQ(rc_of(r), 0);
    char q[256];
    zpx_core_query(d.core, q, sizeof q);
    EXPECT_NE(std::string(q).find("KEYS=32"), std::string::npos) << q;
}

}  // namespace
}  // namespace zplex::test
