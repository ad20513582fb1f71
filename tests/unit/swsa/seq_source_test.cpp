// SPDX-License-Identifier: Apache-2.0
// SWSA sequence numbers from a real EZBDVIPA structure in shared memory: blocks bounded
// by the peer's window, a stale held block discarded, several processes taking numbers
// at once (no duplicates; the peer's window fed their merged send order drops nothing),
// a lost CF (EZD0834I RSN=9, rekey) and the last number of the space.
#include "cf_plex.hpp"
#include "swsa_ezbdvipa.hpp"

#include <zplex/ipsec/replay_window.hpp>
#include <zplex/swsa/seq_source.hpp>

#include <algorithm>
#include <random>
#include <sched.h>
#include <sys/mman.h>

namespace zplex::swsa {
namespace {

using cf::test::plex;

/// The senders' clock (microseconds): it moves only when a test says so, so the pause
/// rule (revalidate_us) acts only where a test pauses a sender.
std::int64_t fake_us = 0;

seq_config config(std::uint64_t base, std::uint32_t window = 64) {
    seq_config c;
    c.clock_us = [] { return fake_us; };
    c.list = 1;
    c.base = base;
    c.peer_window = window;
    c.tunnel = "Y5";
    c.spi = 0x1234;
    return c;
}

std::uint64_t list_key(cf::connector& c, std::uint32_t list = 1) {
    cf::list_controls lc;
    EXPECT_TRUE(c.read_list_controls(list, lc));
    return lc.list_key;
}

plex& started(plex& p) {
    p.start("CF01");
    return p;
}

/// Two senders (TCPIPB and TCPIPC, each on a connection of its own) numbering from one
/// counter list of a fresh EZBDVIPA.
struct two_senders {
    plex p;
    std::unique_ptr<cf::connector> ca, cb;
    std::uint64_t base;
    cf_seq_source a, b;
    two_senders()
        : p(zplex::test::swsa_ezbdvipa()), ca(started(p).connect("TCPIPB")), cb(p.connect("TCPIPC")),
          base(list_key(*ca)), a(*ca, config(base)), b(*cb, config(base)) {}
};

TEST(swsa_seq, numbers_run_from_one_in_blocks_bounded_by_half_the_peers_window) {
    plex p(zplex::test::swsa_ezbdvipa());
    p.start("CF01");
    auto c = p.connect("TCPIPB");
    cf_seq_source s(*c, config(list_key(*c)));
    EXPECT_EQ(s.block_limit(), 32u);
    ASSERT_TRUE(s.reserve(100));
    for (std::uint64_t want = 1; want <= 100; ++want) {
        std::uint64_t seq = 0;
        ASSERT_TRUE(s.next(seq));
        EXPECT_EQ(seq, want);
    }
    EXPECT_EQ(s.stats().takes, 4u) << "32 + 32 + 32 + 4";
    EXPECT_EQ(s.stats().reads, 0u);
    EXPECT_EQ(s.held(), 0u);

    auto c2 = p.connect("TCPIPC");
    auto small = config(list_key(*c2));
    small.max_block = 16;
    cf_seq_source t(*c2, small);
    EXPECT_EQ(t.block_limit(), 16u);
    small.max_block = 1000;  // never more than half the window
    EXPECT_EQ(cf_seq_source(*c2, small).block_limit(), 32u);
}

TEST(swsa_seq, a_held_block_that_fell_behind_the_cf_counter_is_discarded_before_use) {
    two_senders t;
    auto &a = t.a, &b = t.b;
    ipsec::replay_window peer(64);

    std::uint64_t seq = 0;
    ASSERT_TRUE(a.reserve(20));  // 20 queued, 5 sent: 15 held
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(a.next(seq));
        ASSERT_TRUE(peer.update(seq));
    }
    EXPECT_EQ(a.held(), 15u);
    // B sends 10: A's next number (6) is 25 behind the counter (31): still usable.
    ASSERT_TRUE(b.reserve(10));
    for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(b.next(seq));
        ASSERT_TRUE(peer.update(seq));
    }
    ASSERT_TRUE(a.reserve(1));
    EXPECT_EQ(a.stats().reads, 1u) << "the held block was revalidated";
    EXPECT_EQ(a.held(), 15u);
    ASSERT_TRUE(a.next(seq));
    EXPECT_EQ(seq, 6u);
    ASSERT_TRUE(peer.update(seq));

    // B sends 64 more: A's held 7..20 would now be left of the peer's window.
    ASSERT_TRUE(b.reserve(64));
    for (int i = 0; i < 64; ++i) {
        ASSERT_TRUE(b.next(seq));
        ASSERT_TRUE(peer.update(seq));
    }
    EXPECT_FALSE(peer.check(7)) << "sending the held number 7 now would be dropped by the peer";
    ASSERT_TRUE(a.reserve(1));
    EXPECT_EQ(a.stats().reads, 2u);
    EXPECT_EQ(a.stats().discarded, 14u);
    ASSERT_TRUE(a.next(seq));
    EXPECT_EQ(seq, 95u) << "a fresh block after B's 21..94";
    EXPECT_TRUE(peer.update(seq));
}

TEST(swsa_seq, a_sender_that_paused_mid_burst_reads_the_counter_before_its_next_number) {
    two_senders t;
    auto &a = t.a, &b = t.b;
    ipsec::replay_window peer(64);
    std::uint64_t seq = 0;

    // A's burst: 16 numbers held, 2 sent, then a pause shorter than revalidate_us.
    ASSERT_TRUE(a.reserve(16));
    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(a.next(seq));
        ASSERT_TRUE(peer.update(seq));
    }
    fake_us += 900;
    ASSERT_TRUE(a.next(seq));
    EXPECT_EQ(seq, 3u);
    ASSERT_TRUE(peer.update(seq));
    EXPECT_EQ(a.stats().reads, 0u) << "no request within the bound";

    // A is descheduled in the middle of the same burst while B sends 100.
    ASSERT_TRUE(b.reserve(16));
    for (int i = 0; i < 100; ++i) {
        ASSERT_TRUE(b.next(seq));
        ASSERT_TRUE(peer.update(seq));
    }
    fake_us += 5000;
    EXPECT_FALSE(peer.check(4)) << "A's held number 4 would now be left of the peer's window";
    ASSERT_TRUE(a.next(seq));
    EXPECT_EQ(a.stats().paused, 1u);
    EXPECT_EQ(a.stats().reads, 1u);
    EXPECT_EQ(a.stats().discarded, 13u) << "4..16 thrown away";
    EXPECT_GT(seq, 100u) << "a fresh block after B's numbers";
    EXPECT_TRUE(peer.update(seq));
}

TEST(swsa_seq, a_packet_numbered_before_a_pause_is_confirmed_or_held_back_before_it_is_written) {
    two_senders t;
    auto &a = t.a, &b = t.b;
    ipsec::replay_window peer(64);
    std::uint64_t seq = 0;

    // Numbered and written at once: one clock read, no request.
    ASSERT_TRUE(a.reserve(4));
    ASSERT_TRUE(a.next(seq));
    EXPECT_TRUE(a.confirm_last());
    ASSERT_TRUE(peer.update(seq));
    EXPECT_EQ(a.stats().reads, 0u);

    // Numbered, then descheduled past revalidate_us before the write while only a little
    // was sent meanwhile: read again, still in the window, written.
    ASSERT_TRUE(a.next(seq));
    ASSERT_TRUE(b.reserve(8));
    for (int i = 0; i < 8; ++i) {
        std::uint64_t s2 = 0;
        ASSERT_TRUE(b.next(s2));
        ASSERT_TRUE(peer.update(s2));
    }
    fake_us += 2000;
    EXPECT_TRUE(a.confirm_last());
    EXPECT_EQ(a.stats().reads, 1u);
    EXPECT_TRUE(peer.update(2));
    EXPECT_EQ(a.stats().late, 0u);

    // Numbered (3), then descheduled while B sends a window's worth: held back, and the
    // packet numbered anew lands in the window.
    ASSERT_TRUE(a.next(seq));
    EXPECT_EQ(seq, 3u);
    ASSERT_TRUE(b.reserve(16));
    for (int i = 0; i < 80; ++i) {
        std::uint64_t s2 = 0;
        ASSERT_TRUE(b.next(s2));
        ASSERT_TRUE(peer.update(s2));
    }
    fake_us += 2000;
    EXPECT_FALSE(peer.check(3)) << "3 would now be left of the peer's window";
    EXPECT_FALSE(a.confirm_last());
    EXPECT_EQ(a.stats().late, 1u);
    ASSERT_TRUE(a.next(seq));
    EXPECT_GT(seq, 80u);
    EXPECT_TRUE(a.confirm_last());
    EXPECT_TRUE(peer.update(seq));
}

/// Memory every forked process sees: the numbers each took, and the LAN.
struct shared_run {
    static constexpr int procs = 4;
    static constexpr int bursts = 1500;
    static constexpr int per_proc = bursts * 40;
    std::atomic<std::uint64_t> turn{0};   // the LAN: whose burst goes next (round robin)
    std::atomic<std::uint64_t> wire_len{0};
    std::atomic<int> ready{0};            // every sender connected: start together
    int count[procs];
    std::uint64_t requests[procs];
    std::uint64_t discarded[procs];
    std::uint64_t taken[procs][per_proc];
    std::uint64_t wire[procs * per_proc];
};

shared_run* map_run() {
    void* m = ::mmap(nullptr, sizeof(shared_run), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(m, MAP_FAILED);
    return new (m) shared_run;
}

/// Fork the senders; each sends `bursts` bursts of 1..40 queued packets of which it
/// sends 1..all (a burst cut short leaves a held block for the next one). Without
/// @p lan they run freely (the CF requests race); with it, the bursts go onto the LAN
/// in turns, whole (as a stack writes a burst to its TAP, and frames of several
/// stacks interleave on the LAN), and the merged send order is recorded.
void run_senders(plex& p, shared_run& run, std::uint64_t base, bool lan) {
    std::vector<pid_t> kids;
    for (int k = 0; k < shared_run::procs; ++k) {
        pid_t pid = ::fork();
        if (pid == 0) {
            std::unique_ptr<cf::connector> c;
            if (!cf::connector::connect(p.opts("TCPIP" + std::to_string(k)), c)) {
                ::_exit(3);
            }
            cf_seq_source s(*c, config(base, 64));
            run.ready.fetch_add(1);
            while (run.ready.load() < shared_run::procs) {
                ::sched_yield();
            }
            std::mt19937 rng(static_cast<unsigned>(k) * 7919u + 1u);
            int n = 0;
            for (int b = 0; b < shared_run::bursts; ++b) {
                std::uint32_t queued = 1 + rng() % 40;
                std::uint32_t sent = 1 + rng() % queued;
                if (lan) {
                    while (run.turn.load() % shared_run::procs != static_cast<std::uint64_t>(k)) {
                        ::sched_yield();
                    }
                }
                if (!s.reserve(queued)) {
                    ::_exit(4);
                }
                for (std::uint32_t i = 0; i < sent; ++i) {
                    std::uint64_t seq = 0;
                    if (!s.next(seq)) {
                        ::_exit(5);
                    }
                    run.taken[k][n++] = seq;
                    if (lan) {
                        run.wire[run.wire_len.fetch_add(1)] = seq;
                    }
                }
                if (lan) {
                    run.turn.fetch_add(1);
                }
            }
            run.count[k] = n;
            run.requests[k] = s.stats().requests();
            run.discarded[k] = s.stats().discarded;
            c->disconnect();
            ::_exit(0);
        }
        kids.push_back(pid);
    }
    for (auto pid : kids) {
        int st = 0;
        ASSERT_EQ(::waitpid(pid, &st, 0), pid);
        ASSERT_TRUE(WIFEXITED(st));
        ASSERT_EQ(WEXITSTATUS(st), 0) << "a sender could not get its numbers";
    }
}

std::uint64_t packets(const shared_run& run) {
    std::uint64_t n = 0;
    for (int k = 0; k < shared_run::procs; ++k) {
        n += static_cast<std::uint64_t>(run.count[k]);
    }
    return n;
}

std::size_t duplicates(const shared_run& run) {
    std::vector<std::uint64_t> all;
    for (int k = 0; k < shared_run::procs; ++k) {
        all.insert(all.end(), &run.taken[k][0], &run.taken[k][0] + run.count[k]);
    }
    std::sort(all.begin(), all.end());
    return static_cast<std::size_t>(all.end() - std::unique(all.begin(), all.end()));
}

TEST(swsa_seq, processes_taking_numbers_at_once_never_get_the_same_one) {
    plex p(zplex::test::swsa_ezbdvipa());
    p.start("CF01");
    auto c = p.connect("OWNER");
    auto* run = map_run();
    run_senders(p, *run, list_key(*c), false);
    EXPECT_EQ(duplicates(*run), 0u);
    for (int k = 0; k < shared_run::procs; ++k) {
        EXPECT_TRUE(std::is_sorted(&run->taken[k][0], &run->taken[k][0] + run->count[k]))
            << "one sender's numbers rise";
    }
    ::munmap(run, sizeof(shared_run));
}

TEST(swsa_seq, the_peers_window_fed_the_merged_send_order_of_all_senders_drops_nothing) {
    plex p(zplex::test::swsa_ezbdvipa());
    p.start("CF01");
    auto c = p.connect("OWNER");
    auto* run = map_run();
    run_senders(p, *run, list_key(*c), true);
    ASSERT_EQ(run->wire_len.load(), packets(*run));
    EXPECT_EQ(duplicates(*run), 0u);
    ipsec::replay_window peer(64);
    std::size_t dropped = 0;
    std::uint64_t behind_top = 0;  // the senders did interleave: numbers arrived below the top
    for (std::uint64_t i = 0; i < run->wire_len.load(); ++i) {
        std::uint64_t seq = run->wire[i];
        if (seq < peer.top()) {
            ++behind_top;
        }
        if (!peer.check(seq) || !peer.update(seq)) {
            ++dropped;
        }
    }
    EXPECT_EQ(dropped, 0u);
    EXPECT_GT(behind_top, 0u) << "the senders' numbers interleave on the wire";
    std::uint64_t requests = 0, discarded = 0;
    for (int k = 0; k < shared_run::procs; ++k) {
        requests += run->requests[k];
        discarded += run->discarded[k];
    }
    EXPECT_GT(discarded, 0u) << "some held blocks fell behind and were thrown away";
    EXPECT_LT(requests, packets(*run) / 4) << "blocks: far fewer CF requests than packets";
    ::munmap(run, sizeof(shared_run));
}

TEST(swsa_seq, a_cf_lost_without_duplex_drops_with_ezd0834i_rsn_9_and_asks_for_a_rekey_once) {
    plex p(zplex::test::swsa_ezbdvipa());
    pid_t cf1 = p.start_process("CF01");
    auto c = p.connect("TCPIPB");
    std::vector<std::string> said;
    int rekeys = 0;
    cf_seq_source s(*c, config(list_key(*c)), [&](std::string_view line, bool rekey) {
        said.emplace_back(line);
        rekeys += rekey ? 1 : 0;
    });
    std::uint64_t seq = 0;
    ASSERT_TRUE(s.reserve(2));
    ASSERT_TRUE(s.next(seq));
    ::kill(cf1, SIGKILL);
    ::waitpid(cf1, nullptr, 0);
    p.children.clear();
    p.start("CF01");  // back, without the old contents: the counter cannot be trusted
    ASSERT_TRUE(s.next(seq)) << "a number already held stays good: no one else has it";
    EXPECT_EQ(seq, 2u);
    EXPECT_FALSE(s.next(seq));
    EXPECT_FALSE(s.reserve(5));
    EXPECT_FALSE(s.next(seq));
    EXPECT_TRUE(s.retired());
    ASSERT_EQ(said.size(), 1u) << "said once";
    EXPECT_NE(said[0].find("EZD0834I ENCAPSULATION FAILED FOR TUNNEL Y5 SPI X'00001234' RSN=9"), std::string::npos)
        << said[0];
    EXPECT_NE(said[0].find("RSN=0C01"), std::string::npos) << said[0];
    EXPECT_NE(said[0].find("THE SA IS REKEYED"), std::string::npos) << said[0];
    EXPECT_EQ(rekeys, 1);
    EXPECT_EQ(s.stats().failures, 2u);
}

TEST(swsa_seq, an_sa_of_a_lost_structure_stays_retired_after_the_reconnect_and_a_new_one_counts_from_one) {
    plex p(zplex::test::swsa_ezbdvipa());
    pid_t cf1 = p.start_process("CF01");
    auto c = p.connect("TCPIPB");
    int rekeys = 0;
    cf_seq_source old(*c, config(list_key(*c)), [&](std::string_view, bool rekey) { rekeys += rekey ? 1 : 0; });
    std::uint64_t seq = 0;
    ASSERT_TRUE(old.next(seq));
    EXPECT_EQ(seq, 1u);
    ::kill(cf1, SIGKILL);
    ::waitpid(cf1, nullptr, 0);
    p.children.clear();
    p.start("CF01");
    ASSERT_EQ(c->probe().why, cf::reason::structure_lost);
    ASSERT_TRUE(c->reconnect());
    // The same list of the new structure has a key again, but it is not this SA's counter.
    fake_us += 10'000;  // past the pause bound: the source must go to the CF
    EXPECT_FALSE(old.next(seq));
    EXPECT_TRUE(old.retired());
    EXPECT_EQ(rekeys, 1);
    cf_seq_source fresh(*c, config(list_key(*c)));
    ASSERT_TRUE(fresh.next(seq));
    EXPECT_EQ(seq, 1u) << "the rekeyed SA numbers from its own base in the new structure";
    EXPECT_FALSE(fresh.retired());
}

TEST(swsa_seq, the_last_number_without_esn_is_2_to_the_32_minus_1) {
    plex p(zplex::test::swsa_ezbdvipa());
    p.start("CF01");
    auto c = p.connect("TCPIPB");
    cf::list_controls lc;
    ASSERT_TRUE(c->read_list_controls(1, lc));
    lc.list_key = std::uint64_t{1} << 33;
    ASSERT_TRUE(c->write_list_controls(1, lc));
    std::uint64_t key = list_key(*c);
    std::vector<std::string> said;
    cf_seq_source s(*c, config(key - 0xfffffffcull), [&](std::string_view line, bool) { said.emplace_back(line); });
    std::uint64_t seq = 0;
    ASSERT_TRUE(s.reserve(10));
    for (std::uint64_t want : {0xfffffffdull, 0xfffffffeull, 0xffffffffull}) {
        ASSERT_TRUE(s.next(seq));
        EXPECT_EQ(seq, want);
    }
    EXPECT_FALSE(s.next(seq));
    EXPECT_TRUE(s.retired());
    ASSERT_EQ(said.size(), 1u);
    EXPECT_NE(said[0].find("ARE USED UP"), std::string::npos) << said[0];
}

}  // namespace
}  // namespace zplex::swsa
