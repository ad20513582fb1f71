// SPDX-License-Identifier: Apache-2.0
// Coupling facility: every request type and reason code, crash recovery of the
// structure mutex, failed-persistent connectors, duplexing, rebuild, displays.
#include "cf_plex.hpp"
#include "instance.hpp"

#include <zplex/cf/cf_server.hpp>
#include <zplex/cf/connector.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace zplex::cf {
namespace {

using namespace test;

// ---------------------------------------------------------------- connect

TEST(cf_connect, not_allocated_duplicate_and_table_full) {
    plex p;
    std::unique_ptr<connector> c;
    EXPECT_EQ(connector::connect(p.opts("STACK1"), c).why, reason::structure_not_allocated);
    p.start("CF01");
    auto a = p.connect("STACK1");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->connection_id(), 1u);
    EXPECT_EQ(a->current_cf(), "CF01");
    EXPECT_EQ(connector::connect(p.opts("STACK1"), c).why, reason::duplicate_connector);
    std::vector<std::unique_ptr<connector>> many;
    for (int i = 2; i <= 32; ++i) {
        many.push_back(p.connect("STACK" + std::to_string(i)));
    }
    EXPECT_EQ(connector::connect(p.opts("STACK33"), c).why, reason::connector_table_full);
    EXPECT_EQ(connector::connect(connect_options{p.ns, "EZBDVIPA", "", {"CF01"}}, c).why, reason::bad_parameter);
    EXPECT_TRUE(a->disconnect());
    EXPECT_EQ(a->disconnect().why, reason::bad_connect_token);
    std::uint64_t first = 0;
    EXPECT_EQ(a->take_list_keys(0, 1, first).why, reason::bad_connect_token);
}

// ---------------------------------------------------------------- LISTKEYINC

TEST(cf_listkeyinc, blocks_are_consecutive_and_never_overlap) {
    plex p;
    p.start("CF01");
    auto a = p.connect("A");
    auto b = p.connect("B");
    std::uint64_t f1 = 0, f2 = 0, f3 = 0;
    ASSERT_TRUE(a->take_list_keys(1, 16, f1));
    ASSERT_TRUE(b->take_list_keys(1, 256, f2));
    ASSERT_TRUE(a->take_list_keys(1, 1, f3));
    EXPECT_EQ(f1, 0u);
    EXPECT_EQ(f2, 16u);
    EXPECT_EQ(f3, 272u);
    list_controls lc;
    ASSERT_TRUE(a->read_list_controls(1, lc));
    EXPECT_EQ(lc.list_key, 273u);
    std::uint64_t other = 9;
    ASSERT_TRUE(a->take_list_keys(2, 4, other));
    EXPECT_EQ(other, 0u) << "each list has its own key";
}

TEST(cf_listkeyinc, maximum_list_key_fails_atomically) {
    plex p;
    p.start("CF01");
    auto a = p.connect("A");
    list_controls lc;
    lc.list_key = 100;
    lc.max_list_key = 131;
    ASSERT_TRUE(a->write_list_controls(0, lc));
    std::uint64_t f = 0;
    ASSERT_TRUE(a->take_list_keys(0, 16, f));
    EXPECT_EQ(f, 100u);
    ASSERT_TRUE(a->take_list_keys(0, 16, f));  // 116..131: exactly up to the max
    EXPECT_EQ(f, 116u);
    auto r = a->take_list_keys(0, 1, f);
    EXPECT_EQ(r.code, rc::error);
    EXPECT_EQ(r.why, reason::list_key_exceeds_max);
    ASSERT_TRUE(a->read_list_controls(0, lc));
    EXPECT_EQ(lc.list_key, 132u) << "a failed increment changes nothing";
    EXPECT_EQ(a->take_list_keys(0, 0, f).why, reason::bad_parameter);
    EXPECT_EQ(a->take_list_keys(9, 1, f).why, reason::bad_list_number);
}

TEST(cf_listkeyinc, the_list_key_never_moves_back) {
    plex p;
    p.start("CF01");
    auto a = p.connect("A");
    std::uint64_t f = 0;
    ASSERT_TRUE(a->take_list_keys(0, 50, f));
    list_controls lc;
    lc.list_key = 10;  // would hand out 10..49 again
    ASSERT_TRUE(a->write_list_controls(0, lc));
    ASSERT_TRUE(a->take_list_keys(0, 1, f));
    EXPECT_EQ(f, 50u);
}

TEST(cf_listkeyinc, threads_in_one_process_get_disjoint_blocks) {
    plex p;
    p.start("CF01");
    std::vector<std::vector<std::uint64_t>> got(4);
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t) {
        ts.emplace_back([&, t] {
            auto c = p.connect("T" + std::to_string(t));
            for (int i = 0; i < 20000; ++i) {
                std::uint64_t f = 0;
                ASSERT_TRUE(c->take_list_keys(0, 3, f));
                got[t].push_back(f);
            }
        });
    }
    for (auto& t : ts) {
        t.join();
    }
    std::vector<std::uint64_t> all;
    for (auto& g : got) {
        all.insert(all.end(), g.begin(), g.end());
    }
    std::sort(all.begin(), all.end());
    for (std::size_t i = 0; i < all.size(); ++i) {
        ASSERT_EQ(all[i], i * 3);
    }
}

// ---------------------------------------------------------------- entries

TEST(cf_entries, write_read_by_name_id_and_key) {
    plex p;
    p.start("CF01");
    auto a = p.connect("A");
    answer ans;
    ASSERT_TRUE(a->write(new_entry(0, "SA00000001", "keys", 5), &ans));
    EXPECT_EQ(ans.entry_id, 1u);
    entry e;
    ASSERT_TRUE(a->read(locator::by_name("SA00000001"), e));
    EXPECT_EQ(std::string(e.data.begin(), e.data.end()), "keys");
    EXPECT_EQ(e.key.low(), 5u);
    ASSERT_TRUE(a->read(locator::by_id(ans.entry_id), e));
    ASSERT_TRUE(a->read(locator::by_key(0, entry_key::of(5)), e));
    EXPECT_EQ(a->read(locator::by_key(0, entry_key::of(6)), e).why, reason::no_entry);
    ASSERT_TRUE(a->read(locator::by_key(0, entry_key::of(6), key_compare::less_or_equal), e));
    EXPECT_EQ(a->read(locator::by_key(0, entry_key::of(6), key_compare::greater_or_equal), e).why, reason::no_entry);
    EXPECT_EQ(a->write(new_entry(0, "SA00000001", "again")).why, reason::entry_exists);
    auto big = new_entry(0, "BIG", std::string(33, 'x'));
    EXPECT_EQ(a->write(big).why, reason::data_too_long);
    EXPECT_EQ(a->write(new_entry(7, "BADLIST", "x")).why, reason::bad_list_number);
}

TEST(cf_entries, replace_with_version_compare_and_update) {
    plex p;
    p.start("CF01");
    auto a = p.connect("A");
    auto w = new_entry(0, "E1", "v0");
    w.version_update = 1;
    ASSERT_TRUE(a->write(w));
    auto upd = new_entry(0, "", "v2");
    upd.type = entry_type::old_entry;
    upd.where = locator::by_name("E1");
    upd.when.version_compare = 7;
    EXPECT_EQ(a->write(upd).why, reason::version_mismatch);
    upd.when.version_compare = 1;
    upd.version_update = 2;
    ASSERT_TRUE(a->write(upd));
    entry e;
    ASSERT_TRUE(a->read(locator::by_name("E1"), e));
    EXPECT_EQ(e.version, 2u);
    EXPECT_EQ(std::string(e.data.begin(), e.data.end()), "v2");
    upd.where = locator::by_name("NOPE");
    EXPECT_EQ(a->write(upd).why, reason::no_entry);
}

TEST(cf_entries, structure_full_and_list_full) {
    plex p(policy(false, 3));
    p.start("CF01");
    auto a = p.connect("A");
    list_controls lc;
    lc.limit = 1;
    ASSERT_TRUE(a->write_list_controls(1, lc));
    ASSERT_TRUE(a->write(new_entry(1, "L1", "a")));
    EXPECT_EQ(a->write(new_entry(1, "L2", "b")).why, reason::list_full);
    ASSERT_TRUE(a->write(new_entry(0, "E2", "b")));
    ASSERT_TRUE(a->write(new_entry(0, "E3", "c")));
    auto r = a->write(new_entry(0, "E4", "d"));
    EXPECT_EQ(r.code, rc::error);
    EXPECT_EQ(r.why, reason::structure_full);
    EXPECT_EQ(to_string(r), "RC=08 RSN=0812 STRUCTURE FULL");
}

TEST(cf_entries, an_entry_without_data_is_written_and_read_back_empty) {
    plex p;
    p.start("CF01");
    auto a = p.connect("A");
    write_request w;
    w.list = 0;
    w.name = "NODATA";
    ASSERT_TRUE(a->write(w));
    entry e;
    ASSERT_TRUE(a->read(locator::by_name("NODATA"), e));
    EXPECT_TRUE(e.data.empty());
    EXPECT_EQ(e.name, "NODATA");
}

TEST(cf_entries, key_order_fifo_within_a_key_move_and_delete) {
    plex p;
    p.start("CF01");
    auto a = p.connect("A");
    ASSERT_TRUE(a->write(new_entry(0, "C", "c", 30)));
    ASSERT_TRUE(a->write(new_entry(0, "A", "a", 10)));
    ASSERT_TRUE(a->write(new_entry(0, "B1", "b1", 20)));
    ASSERT_TRUE(a->write(new_entry(0, "B2", "b2", 20)));
    std::vector<entry> l;
    ASSERT_TRUE(a->read_list(0, l));
    ASSERT_EQ(l.size(), 4u);
    EXPECT_EQ(l[0].name, "A");
    EXPECT_EQ(l[1].name, "B1");
    EXPECT_EQ(l[2].name, "B2");
    EXPECT_EQ(l[3].name, "C");
    answer ans;
    ASSERT_TRUE(a->move(locator::by_name("B2"), 2, entry_key::of(99), {}, &ans));
    EXPECT_EQ(ans.key.low(), 99u);
    ASSERT_TRUE(a->read_list(2, l));
    ASSERT_EQ(l.size(), 1u);
    EXPECT_EQ(l[0].list, 2u);
    list_controls lc;
    ASSERT_TRUE(a->read_list_controls(0, lc));
    EXPECT_EQ(lc.count, 3u);
    entry gone;
    ASSERT_TRUE(a->remove(locator::head(0), {}, &gone));
    EXPECT_EQ(gone.name, "A");
    std::uint32_t n = 0;
    ASSERT_TRUE(a->delete_list(0, n));
    EXPECT_EQ(n, 2u);
    EXPECT_EQ(a->remove(locator::by_name("C")).why, reason::no_entry);
    EXPECT_EQ(a->move(locator::by_name("B2"), 9, std::nullopt).why, reason::bad_list_number);
}

TEST(cf_entries, assignlistkey_with_listkeyinc_on_create_and_move) {
    plex p;
    p.start("CF01");
    auto a = p.connect("A");
    auto w = new_entry(1, "SEQ1", "sa");
    w.assign_list_key = true;
    w.list_key_increment = 256;
    answer ans;
    ASSERT_TRUE(a->write(w, &ans));
    EXPECT_EQ(ans.key.low(), 0u);
    EXPECT_EQ(ans.list_key, 0u);
    w.name = "SEQ2";
    ASSERT_TRUE(a->write(w, &ans));
    EXPECT_EQ(ans.key.low(), 256u);
    ASSERT_TRUE(a->move(locator::by_name("SEQ1"), 3, std::nullopt, {}, &ans, true, 8));
    EXPECT_EQ(ans.key.low(), 0u);
    std::uint64_t f = 0;
    ASSERT_TRUE(a->take_list_keys(3, 1, f));
    EXPECT_EQ(f, 8u);
    // Without an increment the key is the list key and the list key stays.
    w.name = "SEQ3";
    w.list_key_increment = 0;
    ASSERT_TRUE(a->write(w, &ans));
    EXPECT_EQ(ans.key.low(), 512u);
    ASSERT_TRUE(a->take_list_keys(1, 1, f));
    EXPECT_EQ(f, 512u);
    // A failed create leaves the list key alone.
    list_controls lc;
    lc.list_key = 513;
    lc.max_list_key = 513;
    ASSERT_TRUE(a->write_list_controls(1, lc));
    w.name = "SEQ4";
    w.list_key_increment = 2;
    EXPECT_EQ(a->write(w).why, reason::list_key_exceeds_max);
    ASSERT_TRUE(a->read_list_controls(1, lc));
    EXPECT_EQ(lc.list_key, 513u);
}

TEST(cf_locks, set_reset_and_conditions) {
    plex p;
    p.start("CF01");
    auto a = p.connect("A");
    auto b = p.connect("B");
    ASSERT_TRUE(a->lock(3, lock_oper::set));
    EXPECT_EQ(b->lock(3, lock_oper::set).why, reason::lock_held);
    EXPECT_EQ(b->lock(3, lock_oper::reset).why, reason::lock_not_held);
    EXPECT_EQ(b->lock(3, lock_oper::held).why, reason::lock_not_held);
    ASSERT_TRUE(a->lock(3, lock_oper::held));
    auto w = new_entry(0, "LOCKED", "x");
    w.when.lock_index = 3;
    w.when.lock = lock_oper::not_held;
    EXPECT_EQ(b->write(w).why, reason::lock_held);
    ASSERT_TRUE(a->write(w));
    ASSERT_TRUE(a->lock(3, lock_oper::reset));
    ASSERT_TRUE(b->lock(3, lock_oper::set));
    EXPECT_EQ(a->lock(99, lock_oper::set).why, reason::bad_lock_index);
    b->disconnect();  // IXLDISC releases its locks
    ASSERT_TRUE(a->lock(3, lock_oper::set));
}

// ---------------------------------------------------------------- crashes

// A holder killed mid-request: cf_hardening_test (cf_crash.a_connector_killed_halfway_through_a_real_request_is_undone).

TEST(cf_crash, a_killed_connector_becomes_failed_persistent_and_reconnects) {
    plex p;
    auto& cf = p.start("CF01");
    auto holder = lock_holder(p, "STACK9", 2);
    ASSERT_TRUE(holder->ready());
    auto a = p.connect("A");
    EXPECT_EQ(a->lock(2, lock_oper::set).why, reason::lock_held);
    holder->kill();
    cf.poll();
    EXPECT_NE(cf.command("D XCF,STR,STRNAME=EZBDVIPA").find("FAILED-PERSISTENT"), std::string::npos);
    ASSERT_TRUE(a->lock(2, lock_oper::set)) << "the failed connector's lock was released";
    std::unique_ptr<connector> again;
    auto r = connector::connect(p.opts("STACK9"), again);
    EXPECT_EQ(r.code, rc::warning);
    EXPECT_EQ(r.why, reason::reconnected_failed_persistent);
}

TEST(cf_crash, a_lost_simplex_structure_is_reported) {
    plex p;
    pid_t cf = p.start_process("CF01");
    auto a = p.connect("A");
    std::uint64_t f = 0;
    ASSERT_TRUE(a->take_list_keys(0, 10, f));
    ::kill(cf, SIGKILL);
    ::waitpid(cf, nullptr, 0);
    p.children.clear();
    p.start("CF01");  // the CF comes back: the old contents are gone
    auto r = a->take_list_keys(0, 10, f);
    EXPECT_EQ(r.code, rc::environment);
    EXPECT_EQ(r.why, reason::structure_lost);
    auto b = p.connect("B");
    ASSERT_TRUE(b->take_list_keys(0, 1, f));  // a fresh structure to repopulate
}

TEST(cf_crash, a_probe_notices_a_dead_cf_at_once_and_reconnect_takes_the_structure_allocated_anew) {
    plex p;
    pid_t cf = p.start_process("CF01");
    auto a = p.connect("A");
    std::uint64_t f = 0;
    ASSERT_TRUE(a->take_list_keys(0, 10, f));
    ASSERT_TRUE(a->probe());
    EXPECT_EQ(a->generation(), 0u);
    ::kill(cf, SIGKILL);
    ::waitpid(cf, nullptr, 0);
    p.children.clear();
    auto r = a->probe();  // not the 4096th request: the probe itself looks
    EXPECT_EQ(r.why, reason::structure_lost) << to_string(r);
    EXPECT_TRUE(a->lost());
    EXPECT_EQ(a->take_list_keys(0, 1, f).why, reason::structure_lost);
    r = a->reconnect();
    EXPECT_FALSE(r) << "no CF holds it yet";
    EXPECT_TRUE(a->lost());
    EXPECT_EQ(a->generation(), 0u);
    p.start("CF01");
    ASSERT_TRUE(a->reconnect());
    EXPECT_FALSE(a->lost());
    EXPECT_EQ(a->generation(), 1u);
    EXPECT_EQ(a->current_cf(), "CF01");
    std::uint64_t g = 0;
    ASSERT_TRUE(a->take_list_keys(0, 1, g));
    EXPECT_GE(g, f + 10) << "the new structure starts above every key the lost one gave";
    ASSERT_TRUE(a->probe());
    ASSERT_TRUE(a->reconnect()) << "not lost: nothing to do";
    EXPECT_EQ(a->generation(), 1u);
}

TEST(cf_crash, a_structure_lost_with_its_cf_is_allocated_anew_in_another_cf_of_its_preflist) {
    plex p(policy(false));
    p.str.preflist = {"CF01", "CF02"};
    pid_t cf1 = p.start_process("CF01");
    auto& cf2 = p.start("CF02");
    cf2.poll();
    EXPECT_NE(cf2.command("D XCF,STR,STRNAME=EZBDVIPA").find("CFNAME         : CF01"), std::string::npos)
        << "CF01 holds it while it lives";
    auto a = p.connect("A");
    ASSERT_TRUE(a->write(new_entry(0, "SA1", "spi-1")));
    std::uint64_t f = 0;
    ASSERT_TRUE(a->take_list_keys(1, 100, f));
    ::kill(cf1, SIGKILL);
    ::waitpid(cf1, nullptr, 0);
    p.children.clear();
    cf2.poll();
    EXPECT_TRUE(p.logged("IXC522I STRUCTURE EZBDVIPA IN CF01 WAS LOST")) << "said by the CF that reallocates";
    EXPECT_TRUE(p.logged("IXL015I STRUCTURE EZBDVIPA ALLOCATED IN CF02"));
    EXPECT_EQ(a->probe().why, reason::structure_lost);
    ASSERT_TRUE(a->reconnect());
    EXPECT_EQ(a->current_cf(), "CF02");
    EXPECT_EQ(a->generation(), 1u);
    std::uint64_t g = 0;
    ASSERT_TRUE(a->take_list_keys(1, 1, g));
    EXPECT_GE(g, f + 100) << "keys carried from the lost instance";
    entry e;
    EXPECT_EQ(a->read(locator::by_name("SA1"), e).why, reason::no_entry) << "empty: the contents went with CF01";
    cf2.poll();
    EXPECT_NE(cf2.command("D XCF,STR,STRNAME=EZBDVIPA").find("CFNAME         : CF02"), std::string::npos);
}

TEST(cf_duplex, a_probe_after_the_primary_died_switches_to_the_copy_in_the_same_generation) {
    plex p(policy(true));
    pid_t cf1 = p.start_process("CF01");
    auto& cf2 = p.start("CF02");
    auto a = p.connect("A");
    std::uint64_t f = 0;
    ASSERT_TRUE(a->take_list_keys(1, 100, f));
    ::kill(cf1, SIGKILL);
    ::waitpid(cf1, nullptr, 0);
    p.children.clear();
    cf2.poll();
    auto r = a->probe();
    EXPECT_TRUE(r) << to_string(r);
    EXPECT_FALSE(a->lost());
    EXPECT_EQ(a->generation(), 0u) << "a duplex switch keeps the contents: no new generation";
    EXPECT_EQ(a->current_cf(), "CF02");
    std::uint64_t g = 0;
    ASSERT_TRUE(a->take_list_keys(1, 1, g));
    EXPECT_GE(g, f + 100);
}

// ---------------------------------------------------------------- duplexing and rebuild

TEST(cf_duplex, writes_go_to_both_and_a_killed_primary_loses_nothing) {
    plex p(policy(true));
    pid_t cf1 = p.start_process("CF01");
    auto& cf2 = p.start("CF02");
    EXPECT_NE(cf2.command("D CF").find("DUPLEXED SECONDARY"), std::string::npos);
    auto a = p.connect("A");
    ASSERT_TRUE(a->write(new_entry(0, "SA1", "spi-1")));
    std::uint64_t f = 0;
    ASSERT_TRUE(a->take_list_keys(1, 1000, f));
    ASSERT_TRUE(a->lock(1, lock_oper::set));
    ::kill(cf1, SIGKILL);
    ::waitpid(cf1, nullptr, 0);
    p.children.clear();
    cf2.poll();  // CF02 sees CF01 gone and takes over
    entry e;
    ASSERT_TRUE(a->read(locator::by_name("SA1"), e));
    EXPECT_EQ(std::string(e.data.begin(), e.data.end()), "spi-1");
    EXPECT_EQ(a->current_cf(), "CF02");
    std::uint64_t g = 0;
    ASSERT_TRUE(a->take_list_keys(1, 1, g));
    EXPECT_GE(g, f + 1000) << "the key counter survived";
    ASSERT_TRUE(a->lock(1, lock_oper::held));
    EXPECT_NE(cf2.command("D XCF,STR,STRNAME=EZBDVIPA").find("CFNAME         : CF02"), std::string::npos);
}

TEST(cf_rebuild, setxcf_start_rebuild_moves_the_structure) {
    plex p(policy(false));
    p.str.preflist = {"CF01", "CF02"};
    auto& cf1 = p.start("CF01");
    auto& cf2 = p.start("CF02");
    std::atomic<bool> stop{false};
    std::thread serve([&] { cf2.run(stop); });
    for (int i = 0; i < 200 && !fs::exists(cf_server::socket_path(p.run, "CF02")); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    auto a = p.connect("A");
    ASSERT_TRUE(a->write(new_entry(2, "ENTRY", "data")));
    std::uint64_t f = 0;
    ASSERT_TRUE(a->take_list_keys(0, 500, f));
    auto reply = cf1.command("SETXCF START,REBUILD,STRNAME=EZBDVIPA,LOCATION=OTHER");
    EXPECT_NE(reply.find("NOW IN CF02"), std::string::npos) << reply;
    entry e;
    auto r = a->read(locator::by_name("ENTRY"), e);
    ASSERT_TRUE(r) << to_string(r);
    EXPECT_EQ(a->current_cf(), "CF02");
    std::uint64_t g = 0;
    ASSERT_TRUE(a->take_list_keys(0, 1, g));
    EXPECT_GE(g, 500u);
    // SETXCF is sysplex-wide: sent to CF01 again, it moves the structure back to CF01.
    auto back = cf1.command("SETXCF START,REBUILD,STRNAME=EZBDVIPA");
    EXPECT_NE(back.find("NOW IN CF01"), std::string::npos) << back;
    std::uint64_t h = 0;
    ASSERT_TRUE(a->take_list_keys(0, 1, h));
    EXPECT_GT(h, g) << "the list key never moves back";
    EXPECT_EQ(a->current_cf(), "CF01");
    EXPECT_NE(cf1.command("SETXCF START,REBUILD,STRNAME=NOPE").find("IXC341I"), std::string::npos);
    stop = true;
    serve.join();
}

TEST(cf_security, instances_and_the_socket_are_the_owners_only) {
    plex p;
    auto& cf = p.start("CF01");
    struct stat st {};
    ASSERT_EQ(::stat(("/dev/shm/" + detail::instance::shm_name(p.ns, "CF01", "EZBDVIPA")).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::atomic<bool> stop{false};
    std::thread serve([&] { cf.run(stop); });
    auto sock = cf_server::socket_path(p.run, "CF01");
    for (int i = 0; i < 200 && !fs::exists(sock); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(::stat(sock.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_NE(send_command(p.run, "CF01", "D CF").find("IXL150I"), std::string::npos);
    stop = true;
    serve.join();
}

TEST(cf_display, ixc360i_and_ixl150i) {
    plex p;
    auto& cf = p.start("CF01");
    auto a = p.connect("MVS1TCPIPA");
    auto d = cf.command("d xcf,str,strname=EZBDVIPA");
    EXPECT_EQ(d.rfind("IXC360I", 0), 0u) << d;
    EXPECT_NE(d.find("STRNAME: EZBDVIPA"), std::string::npos);
    EXPECT_NE(d.find("PREFERENCE LIST: CF01"), std::string::npos);
    EXPECT_NE(d.find("MVS1TCPIPA       01"), std::string::npos) << d;
    EXPECT_NE(cf.command("D XCF,STR,STRNAME=EZB*").find("STRNAME: EZBDVIPA"), std::string::npos);
    EXPECT_NE(cf.command("D XCF,STR,STRNAME=NOPE").find("NOT DEFINED"), std::string::npos);
    auto c = cf.command("D CF");
    EXPECT_EQ(c.rfind("IXL150I", 0), 0u) << c;
    EXPECT_NE(c.find("EZBDVIPA"), std::string::npos);
    EXPECT_EQ(cf.command("FROB").rfind("IEE305I", 0), 0u);
}

}  // namespace
}  // namespace zplex::cf
