// SPDX-License-Identifier: Apache-2.0
// The faults matrix without a sysplex (zplex/operating/faults.hpp): the rows and --row,
// the ESP records of a pcap, numbers used twice and the replay window per SPI, each
// row's verdict and the table.
#include <zplex/operating/faults.hpp>

#include <set>

#include <gtest/gtest.h>

#include <cstring>

namespace zplex::operating::faults {
namespace {

TEST(faults_rows, quick_is_one_row_of_each_kind_and_all_is_a_superset) {
    std::string why;
    auto quick = select_rows(true, {}, why);
    ASSERT_EQ(quick.size(), 10u);
    EXPECT_EQ(quick[0].name, "KILL STACK MVS1");
    EXPECT_EQ(quick[1].name, "KILL STACK MVS4");
    EXPECT_EQ(quick[2].name, "KILL IKED MVS1");
    EXPECT_EQ(quick[3].name, "PLANNED MOVE DVA1");
    EXPECT_EQ(quick[4].name, "KILL CF PRIMARY");
    EXPECT_EQ(quick[4].kind, fault_kind::kill_cf);
    EXPECT_EQ(quick[5].name, "STALL SYSTEM MVS1");
    EXPECT_EQ(quick[5].kind, fault_kind::stall_system);
    EXPECT_EQ(quick[6].name, "KILL CF SIMPLEX");  // EZBDVIPA lost: the SA rekeyed
    EXPECT_EQ(quick[6].kind, fault_kind::kill_cf);
    EXPECT_EQ(quick[7].name, "EZBDVIPA FULL");  // RC 8 RSN 0812: each refresh takes its old SA's record over
    EXPECT_EQ(quick[7].kind, fault_kind::structure_full);
    EXPECT_EQ(quick[7].recovery_bound_ms, 1000);
    EXPECT_EQ(quick[8].name, "IMPAIR LAN PEER1");
    EXPECT_EQ(quick[8].kind, fault_kind::impair_lan);
    EXPECT_EQ(quick[9].name, "DELAY XCF LINKS");
    EXPECT_EQ(quick[9].kind, fault_kind::delay_xcf);
    auto all = select_rows(false, {}, why);
    EXPECT_GT(all.size(), quick.size());
    EXPECT_EQ(all.size(), matrix().size());
}

TEST(faults_rows, a_run_without_hercules_leaves_out_the_image_kill_and_says_so) {
    std::string why;
    auto all = select_rows(false, {}, why);
    std::vector<std::string> said;
    auto without = runnable_rows(all, false, said);
    EXPECT_EQ(without.size(), all.size() - 5);  // one KILL IMAGE row per image
    for (const auto& r : without) EXPECT_FALSE(needs_hercules(r)) << r.name;
    ASSERT_EQ(said.size(), 5u);
    EXPECT_EQ(said[0], "ZPX1914W ROW KILL IMAGE MVS4 IS LEFT OUT: ITS FAULT NEEDS THE IMAGES UNDER HERCULES");
    EXPECT_EQ(said[1], "ZPX1914W ROW KILL IMAGE MVS1 IS LEFT OUT: ITS FAULT NEEDS THE IMAGES UNDER HERCULES");
    EXPECT_EQ(said[4], "ZPX1914W ROW KILL IMAGE MVS5 IS LEFT OUT: ITS FAULT NEEDS THE IMAGES UNDER HERCULES");
    // Every image killed once, every system stalled once.
    std::set<std::string> killed, stalled;
    for (const auto& r : all) {
        if (r.kind == fault_kind::kill_image) killed.insert(r.target);
        if (r.kind == fault_kind::stall_system) stalled.insert(r.target);
    }
    const std::set<std::string> fig4{"MVS1", "MVS2", "MVS3", "MVS4", "MVS5"};
    EXPECT_EQ(killed, fig4);
    EXPECT_EQ(stalled, fig4);
    said.clear();
    EXPECT_EQ(runnable_rows(all, true, said).size(), all.size());
    EXPECT_TRUE(said.empty());
    for (const auto& r : select_rows(true, {}, why)) EXPECT_FALSE(needs_hercules(r)) << r.name << ": --quick runs without Hercules";
}

TEST(faults_rows, row_by_name_in_any_case_or_number_in_matrix_order_once) {
    std::string why;
    auto r = select_rows(true, {"planned move dva1", "1", "KILL STACK MVS1"}, why);
    ASSERT_EQ(r.size(), 2u) << why;
    EXPECT_EQ(r[0].name, "KILL STACK MVS1");
    EXPECT_EQ(r[1].name, "PLANNED MOVE DVA1");
    // --row picks from the whole matrix, --quick or not.
    auto b = select_rows(true, {"KILL STACK MVS2"}, why);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_FALSE(b[0].quick);
}

TEST(faults_rows, unknown_row_is_zpx1901e_listing_the_rows) {
    std::string why;
    EXPECT_TRUE(select_rows(false, {"KILL STACK MVS9"}, why).empty());
    EXPECT_EQ(why.rfind("ZPX1901E --row KILL STACK MVS9 IS NO ROW OF THE MATRIX: 1 KILL STACK MVS1, 2 ", 0), 0u) << why;
    why.clear();
    EXPECT_TRUE(select_rows(false, {"0"}, why).empty());
    EXPECT_NE(why.find("ZPX1901E"), std::string::npos);
    why.clear();
    EXPECT_TRUE(select_rows(false, {std::to_string(matrix().size() + 1)}, why).empty());
    EXPECT_NE(why.find("ZPX1901E"), std::string::npos);
}

TEST(faults_window, accepts_late_within_the_window_refuses_replays_and_the_too_old) {
    replay_window w(128);
    EXPECT_FALSE(w.accept(0));
    EXPECT_TRUE(w.accept(1));
    EXPECT_TRUE(w.accept(200));
    EXPECT_TRUE(w.accept(73));   // 127 behind the top: inside
    EXPECT_FALSE(w.accept(72));  // 128 behind: outside
    EXPECT_FALSE(w.accept(73));  // a replay
    EXPECT_FALSE(w.accept(200));
    EXPECT_TRUE(w.accept(1000));  // a jump clears what it passes
    EXPECT_TRUE(w.accept(999));
}

// ---- a classic pcap of Ethernet frames, written here

void put32(std::string& s, std::uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); }
void be16(std::string& s, std::uint16_t v) {
    s += static_cast<char>(v >> 8);
    s += static_cast<char>(v & 0xff);
}
void be32(std::string& s, std::uint32_t v) {
    be16(s, static_cast<std::uint16_t>(v >> 16));
    be16(s, static_cast<std::uint16_t>(v & 0xffff));
}

std::string pcap_header() {
    std::string h;
    put32(h, 0xa1b2c3d4);
    h += std::string("\x02\x00\x04\x00", 4);
    put32(h, 0);
    put32(h, 0);
    put32(h, 262144);
    put32(h, 1);  // Ethernet
    return h;
}

constexpr std::uint32_t dva1 = 0xc6120201, peer1 = 0xc61200c8;  // 198.18.2.1, 198.18.0.200

/// One frame: IPv4 from @p src to @p dst, ESP in UDP 4500 (or protocol 50 when !udp),
/// @p payload after the UDP header when given (IKE, keepalive), else SPI and number.
std::string frame(std::uint32_t src, std::uint32_t dst, std::uint32_t spi, std::uint32_t seq, bool udp = true,
                  std::string payload = {}, std::uint16_t frag = 0, std::uint32_t sec = 0, std::uint32_t usec = 0) {
    std::string l4;
    if (payload.empty()) {
        be32(payload, spi);
        be32(payload, seq);
        payload += std::string(16, 'x');
    }
    if (udp) {
        be16(l4, 4500);
        be16(l4, 4500);
        be16(l4, static_cast<std::uint16_t>(8 + payload.size()));
        be16(l4, 0);
    }
    l4 += payload;
    std::string ip;
    ip += '\x45';
    ip += '\0';
    be16(ip, static_cast<std::uint16_t>(20 + l4.size()));
    be16(ip, 1);
    be16(ip, frag);
    ip += '\x40';
    ip += static_cast<char>(udp ? 17 : 50);
    be16(ip, 0);
    be32(ip, src);
    be32(ip, dst);
    std::string eth(12, '\x02');
    be16(eth, 0x0800);
    std::string f = eth + ip + l4;
    std::string rec;
    put32(rec, sec);
    put32(rec, usec);
    put32(rec, static_cast<std::uint32_t>(f.size()));
    put32(rec, static_cast<std::uint32_t>(f.size()));
    return rec + f;
}

TEST(faults_capture, esp_records_of_a_pcap_leave_ike_keepalives_and_later_fragments_out) {
    std::string p = pcap_header();
    p += frame(dva1, peer1, 0x1000, 1);
    p += frame(peer1, dva1, 0x2000, 1);
    p += frame(dva1, peer1, 0, 0, true, std::string(4, '\0') + "IKE-MESSAGE");  // non-ESP marker
    p += frame(dva1, peer1, 0, 0, true, std::string(1, '\xff'));                 // NAT keepalive
    p += frame(dva1, peer1, 0x1000, 2, false);                                   // ESP as protocol 50
    p += frame(dva1, peer1, 0x1000, 9, true, {}, 0x0010);                        // a later fragment
    auto r = esp_records(p);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 3u);
    EXPECT_EQ((*r)[0].spi, 0x1000u);
    EXPECT_EQ((*r)[0].seq, 1u);
    EXPECT_EQ((*r)[0].src, dva1);
    EXPECT_EQ((*r)[1].spi, 0x2000u);
    EXPECT_EQ((*r)[2].seq, 2u);
    // The capture time of each (what KILL CF SIMPLEX times the new SA's first packet by).
    std::string timed = pcap_header() + frame(dva1, peer1, 0x3000, 1, true, {}, 0, 1'765'000'000, 250'000);
    auto t = esp_records(timed);
    ASSERT_TRUE(t && t->size() == 1u);
    EXPECT_EQ((*t)[0].us, 1'765'000'000'250'000LL);
    // A record cut short at the end (dumpcap killed) ends the walk, no more.
    std::string cut = p + frame(dva1, peer1, 0x1000, 3).substr(0, 30);
    EXPECT_EQ(esp_records(cut)->size(), 3u);
    EXPECT_FALSE(esp_records("not a pcap at all, not at all"));
    std::string raw = pcap_header();
    raw[20] = 101;  // LINKTYPE_RAW
    EXPECT_FALSE(esp_records(raw));
}

TEST(faults_capture, numbers_used_twice_and_window_drops_per_spi_of_one_direction) {
    std::vector<esp_record> r;
    for (std::uint32_t s = 1; s <= 300; ++s) r.push_back({dva1, peer1, 0xa, s});
    for (std::uint32_t s = 1; s <= 10; ++s) r.push_back({dva1, peer1, 0xb, s});  // another SA: its own numbers
    for (std::uint32_t s = 1; s <= 5; ++s) r.push_back({peer1, dva1, 0xc, 1});   // the other way: not judged
    auto ok = check_esp(r, dva1, peer1, 128);
    EXPECT_EQ(ok.frames, 310);
    EXPECT_EQ(ok.spis, 2);
    EXPECT_EQ(ok.reused, 0);
    EXPECT_EQ(ok.dropped, 0);
    r.push_back({dva1, peer1, 0xa, 250});  // used twice: reused and a replay
    r.push_back({dva1, peer1, 0xa, 400});
    r.push_back({dva1, peer1, 0xa, 301});  // never used, but 99 behind: inside
    r.push_back({dva1, peer1, 0xa, 260});  // never used... it was: 260 <= 300
    r.push_back({dva1, peer1, 0xb, 11});
    auto bad = check_esp(r, dva1, peer1, 128);
    EXPECT_EQ(bad.reused, 2);
    EXPECT_EQ(bad.dropped, 2);
    EXPECT_EQ(bad.worst_late, 140);  // 260 after 400
    // Late beyond the window, never used before: a drop, not a reuse.
    std::vector<esp_record> late{{dva1, peer1, 1, 500}, {dva1, peer1, 1, 372}, {dva1, peer1, 1, 373}};
    auto l = check_esp(late, dva1, peer1, 128);
    EXPECT_EQ(l.reused, 0);
    EXPECT_EQ(l.dropped, 1);
    EXPECT_EQ(l.worst_late, 128);
}

row_outcome passing() {
    row_outcome o;
    o.row = matrix()[0];
    o.detection_ms = 40;
    o.recovery_ms = 120;
    o.kept = 16;
    o.lost = 4;
    o.expected_lost = 4;
    o.esp = esp_check{1000, 2, 0, 0};
    o.charon_failures = 0;
    return o;
}

TEST(faults_verdict, a_row_that_holds_passes) {
    auto o = passing();
    judge(o);
    EXPECT_EQ(o.result, verdict::pass);
    EXPECT_TRUE(o.problems.empty());
    EXPECT_TRUE(o.unchecked.empty());
}

TEST(faults_verdict, each_broken_promise_fails_the_row_and_says_why) {
    struct c {
        void (*breaks)(row_outcome&);
        const char* says;
    } cases[] = {
        {[](row_outcome& o) { o.detection_ms.reset(); }, "NOT DETECTED"},
        {[](row_outcome& o) { o.recovery_ms.reset(); }, "NO NEW CONNECTION SUCCEEDED"},
        {[](row_outcome& o) { o.recovery_ms = o.row.recovery_bound_ms + 1; }, "OVER THE BOUND"},
        {[](row_outcome& o) { ++o.lost, ++o.lost_unexpected; }, "LOST THAT Z/OS KEEPS"},
        {[](row_outcome& o) { --o.lost, ++o.kept; }, "4 CONNECTION(S) OF THE FAILED STACK WERE EXPECTED LOST, 3 WERE"},
        {[](row_outcome& o) { o.digest_bad = 1; }, "SHA-256"},
        {[](row_outcome& o) { o.new_on_failed = 1; }, "SERVED BY THE FAILED STACK"},
        {[](row_outcome& o) { o.esp->reused = 3; }, "3 ESP SEQUENCE NUMBER(S) USED TWICE"},
        {[](row_outcome& o) { o.esp->dropped = 2; }, "ANTI-REPLAY WINDOW DROPS"},
        {[](row_outcome& o) { o.charon_failures = 1; }, "CHARON'S LOG"},
        {[](row_outcome& o) { o.restored = false; }, "NOT RESTORED"},
        {[](row_outcome& o) { o.notes.push_back("THE FAULT WAS NOT MADE"); }, "THE FAULT WAS NOT MADE"},
    };
    for (const auto& k : cases) {
        auto o = passing();
        k.breaks(o);
        judge(o);
        EXPECT_EQ(o.result, verdict::fail) << k.says;
        ASSERT_EQ(o.problems.size(), 1u) << k.says;
        EXPECT_NE(o.problems[0].find(k.says), std::string::npos) << o.problems[0];
    }
}

TEST(faults_verdict, what_cannot_be_checked_is_said_not_passed) {
    auto o = passing();
    o.esp.reset();
    judge(o);
    EXPECT_EQ(o.result, verdict::not_checked);
    ASSERT_EQ(o.unchecked.size(), 1u);
    auto n = passing();
    n.esp->frames = 0;
    n.charon_failures.reset();
    judge(n);
    EXPECT_EQ(n.result, verdict::not_checked);
    EXPECT_EQ(n.unchecked.size(), 2u);
    // A fault without a takeover message to wait for is not failed for having none.
    auto i = passing();
    i.detection_expected = false;
    i.detection_ms.reset();
    judge(i);
    EXPECT_EQ(i.result, verdict::pass);
    EXPECT_EQ(exit_code({o, n, i}), 4);
    EXPECT_EQ(exit_code({i}), 0);
    auto f = passing();
    f.restored = false;
    judge(f);
    EXPECT_EQ(exit_code({i, o, f}), 8);
}

TEST(faults_verdict, a_row_not_run_is_not_run_and_fails_the_matrix) {
    row_outcome o;
    o.row = matrix()[3];
    o.ran = false;
    o.notes.push_back("NOT RUN: INTERRUPTED");
    judge(o);
    EXPECT_EQ(o.result, verdict::not_run);
    ASSERT_EQ(o.problems.size(), 1u);
    EXPECT_TRUE(o.unchecked.empty());
    EXPECT_EQ(exit_code({o}), 8);
    EXPECT_EQ(format_table("P", {o}),
              "ZPX1910I FAULTS MATRIX OF P: 1 ROW(S)\n"
              "FAULT              DETECT MS RECOVER MS  KEPT  LOST  EXP LOST  REUSED  DROPS  VERDICT\n"
              "PLANNED MOVE DVA1          -          -     -     -         -       -      -  NOT RUN\n"
              "ZPX1911E PLANNED MOVE DVA1: NOT RUN: INTERRUPTED\n");
}

TEST(faults_table, one_line_per_row_then_the_problems) {
    auto a = passing();
    judge(a);
    auto b = passing();
    b.row = matrix()[2];
    b.detection_expected = false;
    b.detection_ms.reset();
    b.esp->reused = 1;
    judge(b);
    auto t = format_table("ZPLEX1", {a, b});
    EXPECT_EQ(t,
              "ZPX1910I FAULTS MATRIX OF ZPLEX1: 2 ROW(S)\n"
              "FAULT              DETECT MS RECOVER MS  KEPT  LOST  EXP LOST  REUSED  DROPS  VERDICT\n"
              "KILL STACK MVS1           40        120    16     4         4       0      0  PASS\n"
              "KILL IKED MVS1             -        120    16     4         4       1      0  FAIL\n"
              "ZPX1911E KILL IKED MVS1: 1 ESP SEQUENCE NUMBER(S) USED TWICE\n");
    auto c = passing();
    c.recovery_ms.reset();
    c.esp.reset();
    judge(c);
    auto u = format_table("P", {c});
    EXPECT_NE(u.find("KILL STACK MVS1           40       NONE    16     4         4       -      -  FAIL\n"),
              std::string::npos)
        << u;
    EXPECT_NE(u.find("ZPX1912W KILL STACK MVS1: NO LAN CAPTURE"), std::string::npos) << u;
}

}  // namespace
}  // namespace zplex::operating::faults
