// SPDX-License-Identifier: Apache-2.0
// The EZBDVIPA SA record: written by the owner, read back by a takeover stack (on its
// own connection, after the owner's is gone), removed when the SA is deleted; the next
// SA on the list numbers above the previous one; the codec refuses bad bytes.
#include "cf_plex.hpp"
#include "swsa_ezbdvipa.hpp"

#include <zplex/swsa/sa_record.hpp>
#include <zplex/swsa/seq_source.hpp>

#include <fmt/format.h>

#include <set>

namespace zplex::swsa {
namespace {

using cf::test::plex;

sa_record sample(std::uint32_t spi_in = 0x4a110001) {
    sa_record r;
    r.owner_system = "MVS1";
    r.owner_stack = "TCPIPA";
    r.tunnel = "Y5";
    r.dvipa = 0xc6120301;   // 198.18.3.1
    r.peer = 0xc6120064;    // 198.18.0.100
    r.esp = true;
    r.mode = 1;
    r.esp_alg = 0;
    r.esn = true;
    r.esp_spi_in = spi_in;
    r.esp_spi_out = 0xc0de0002;
    r.sel = {0xc6120301, 32, 0xc6120064, 32, 6, 60, 60, 0, 65535};
    r.filter_rule = "DVA1_PEER_TCP60";
    r.vpn_action = "ESP_AES_GCM_TUNNEL";
    r.lifetime_s = 3600;
    r.lifesize = 1ull << 30;
    r.established = 1700000000;
    r.refreshed = 1700000000;
    r.peer_window = 64;
    return r;
}

seq_config counter(const sa_record& r) {
    seq_config c;
    c.list = r.counter_list;
    c.base = r.base;
    c.peer_window = r.peer_window;
    return c;
}

TEST(swsa_record, the_owner_writes_a_takeover_stack_reads_it_back_and_delete_removes_it) {
    plex p(zplex::test::swsa_ezbdvipa());
    p.start("CF01");
    std::vector<sa_record> mine = {sample(0x4a110001), sample(0x4a110002)};
    mine[1].tunnel = "Y6";
    mine[1].ah = true;
    mine[1].ah_spi_in = 0x4a220001;
    mine[1].ah_spi_out = 0xc0de1002;
    {
        auto owner = p.connect("TCPIPA");
        sa_store store(*owner);
        for (auto& r : mine) {
            ASSERT_TRUE(store.publish(r));
        }
        EXPECT_EQ(mine[0].counter_list, 1u);
        EXPECT_EQ(mine[1].counter_list, 2u);
        // The owner's targets send on Y5: its counter moves.
        cf_seq_source s(*owner, counter(mine[0]));
        std::uint64_t seq = 0;
        ASSERT_TRUE(s.reserve(10));
        for (int i = 0; i < 10; ++i) {
            ASSERT_TRUE(s.next(seq));
        }
        EXPECT_EQ(seq, 10u);
        // A refresh rewrites the record in place.
        mine[1].refreshed += 1800;
        ASSERT_TRUE(store.update(mine[1]));
        owner->disconnect();
    }
    auto backup = p.connect("TCPIPB");
    sa_store store(*backup);
    std::vector<sa_record> read;
    std::vector<std::string> bad;
    ASSERT_TRUE(store.read_all(read, &bad));
    EXPECT_TRUE(bad.empty());
    ASSERT_EQ(read.size(), 2u);
    EXPECT_EQ(read[0], mine[0]);
    EXPECT_EQ(read[1], mine[1]);
    EXPECT_EQ(read[1].refreshed, 1700001800u);
    EXPECT_EQ(read[0].sel.local_port_lo, 60);
    EXPECT_EQ(read[0].filter_rule, "DVA1_PEER_TCP60");

    // The takeover stack goes on counting where the counter is, never below.
    cf::list_controls lc;
    ASSERT_TRUE(backup->read_list_controls(read[0].counter_list, lc));
    EXPECT_EQ(lc.list_key - read[0].base, 10u) << "ten numbers were used on Y5";

    // Deleting the old SA frees its list; the next SA there numbers from 1 again, above
    // every key the old one used.
    ASSERT_TRUE(store.remove(read[0].counter_list));
    ASSERT_TRUE(store.read_all(read));
    ASSERT_EQ(read.size(), 1u);
    EXPECT_EQ(read[0].tunnel, "Y6");
    auto fresh = sample(0x4a110003);
    ASSERT_TRUE(store.publish(fresh));
    EXPECT_EQ(fresh.counter_list, 1u);
    EXPECT_EQ(fresh.base, lc.list_key);
    cf_seq_source s(*backup, counter(fresh));
    std::uint64_t seq = 0;
    ASSERT_TRUE(s.next(seq));
    EXPECT_EQ(seq, 1u);
}

TEST(swsa_record, every_list_taken_is_list_full_and_a_record_too_long_for_the_entry_is_refused) {
    plex p(zplex::test::swsa_ezbdvipa(3));  // lists 1 and 2 for SAs
    p.start("CF01");
    auto owner = p.connect("TCPIPA");
    sa_store store(*owner, 1, 3);
    auto a = sample(0x4a110001), b = sample(0x4a110002), c = sample(0x4a110003);
    ASSERT_TRUE(store.publish(a));
    ASSERT_TRUE(store.publish(b));
    auto r = store.publish(c);
    EXPECT_EQ(r.why, cf::reason::list_full) << cf::to_string(r);

    plex q(zplex::test::swsa_ezbdvipa(8, 64));
    q.start("CF01");
    auto o2 = q.connect("TCPIPA");
    sa_store s2(*o2);
    auto d = sample();
    r = s2.publish(d);
    EXPECT_EQ(r.why, cf::reason::data_too_long) << cf::to_string(r);
}

TEST(swsa_record, a_rekey_in_a_full_structure_takes_over_the_old_record_and_both_number_from_its_counter) {
    plex p(zplex::test::swsa_ezbdvipa());
    p.start("CF01");
    auto owner = p.connect("TCPIPA");
    sa_store store(*owner);
    auto old_sa = sample(0x4a110001);
    ASSERT_TRUE(store.publish(old_sa));
    cf_seq_source olds(*owner, counter(old_sa));
    std::uint64_t seq = 0;
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(olds.next(seq));
    // Everything else takes the free entries (list 0 is no SA's).
    int filler = 0;
    for (;; ++filler) {
        cf::write_request w;
        w.list = 0;
        w.name = fmt::format("FILL{:04}", filler);
        auto r = owner->write(w);
        if (!r) {
            ASSERT_EQ(r.why, cf::reason::structure_full) << cf::to_string(r);
            break;
        }
    }
    ASSERT_GT(filler, 0);
    auto new_sa = sample(0x4a110002);
    new_sa.tunnel = "Y7";
    auto full = store.publish(new_sa);
    ASSERT_EQ(full.why, cf::reason::structure_full) << cf::to_string(full);
    // A list that is not the SA's own has no record to take over.
    EXPECT_FALSE(store.take_over(new_sa, 2));
    ASSERT_TRUE(store.take_over(new_sa, old_sa.counter_list));
    EXPECT_EQ(new_sa.counter_list, old_sa.counter_list);
    EXPECT_GE(new_sa.base, old_sa.base + 5) << "above every number the old SA used";

    // Until the old SA is deleted both draw from the one counter: each SA's numbers only
    // grow, and no list key is handed out twice.
    cf_seq_source news(*owner, counter(new_sa));
    std::set<std::uint64_t> keys;
    std::uint64_t last_old = 5, last_new = 0;
    for (int i = 0; i < 40; ++i) {
        auto& src = i % 3 ? news : olds;
        ASSERT_TRUE(src.next(seq));
        auto& last = i % 3 ? last_new : last_old;
        EXPECT_GT(seq, last);
        last = seq;
        EXPECT_TRUE(keys.insert(seq + src.config().base).second) << "list key used twice";
    }
    EXPECT_EQ(last_new > 0, true);
    std::vector<sa_record> read;
    ASSERT_TRUE(store.read_all(read));
    ASSERT_EQ(read.size(), 1u);
    EXPECT_EQ(read[0].tunnel, "Y7");
    EXPECT_EQ(read[0].base, new_sa.base);
}

TEST(swsa_record, the_codec_round_trips_and_refuses_every_bad_field) {
    auto r = sample();
    auto bytes = encode(r);
    EXPECT_LE(bytes.size(), 256u) << "fits EZBDVIPA's 256-byte entries with the longest names";
    sa_record back;
    ASSERT_TRUE(decode(bytes, back));
    EXPECT_EQ(back, r);

    auto longest = r;
    longest.filter_rule.assign(sa_record::max_name, 'F');
    longest.vpn_action.assign(sa_record::max_name, 'V');
    longest.owner_system = "SYSTEM01";
    longest.owner_stack = "TCPIPABC";
    longest.tunnel = "Y1234567";
    EXPECT_LE(encode(longest).size(), 256u);

    std::string why;
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
        EXPECT_FALSE(decode(std::span(bytes).first(cut), back, &why)) << "cut at " << cut;
    }
    auto trailing = bytes;
    trailing.push_back(0);
    EXPECT_FALSE(decode(trailing, back, &why));
    EXPECT_NE(why.find("TRAILING BYTES"), std::string::npos) << why;

    auto bad = r;
    bad.esp_spi_in = 7;
    EXPECT_FALSE(decode(encode(bad), back, &why));
    EXPECT_NE(why.find("RESERVED SPI"), std::string::npos) << why;
    bad = r;
    bad.filter_rule = "BAD RULE";  // a blank
    EXPECT_FALSE(decode(encode(bad), back, &why));
    EXPECT_NE(why.find("BAD CHARACTER IN FILTER RULE"), std::string::npos) << why;
    bad = r;
    bad.esp = false;
    EXPECT_FALSE(decode(encode(bad), back, &why));
    EXPECT_NE(why.find("NEITHER ESP NOR AH"), std::string::npos) << why;
    bad = r;
    bad.sel.local_len = 33;
    EXPECT_FALSE(decode(encode(bad), back, &why));
    EXPECT_NE(why.find("BAD SELECTOR"), std::string::npos) << why;
    bad = r;
    bad.mode = 2;
    EXPECT_FALSE(decode(encode(bad), back, &why));
    EXPECT_NE(why.find("BAD MODE"), std::string::npos) << why;
    EXPECT_EQ(back, r) << "a failed decode leaves the output alone";
}

}  // namespace
}  // namespace zplex::swsa
