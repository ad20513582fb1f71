// SPDX-License-Identifier: Apache-2.0
// The CF as a careless operator or an attacker meets it: a second zplex-cf for a live
// CF, reused PIDs, /dev/shm too small, a duplex copy that cannot be opened, slow
// command clients, bad names, and requests killed halfway in a real process.
#include "cf_plex.hpp"
#include "run_command.hpp"

#include <array>
#include <cstdio>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

namespace zplex::cf {
namespace {

using namespace test;

std::uint64_t instance_id(const std::string& shm) {
    auto in = detail::instance::open(shm);
    return in ? in->hdr().instance_id : 0;
}

/// Run a program, its stdout and stderr in @p out; returns the exit code.
int run_program(const std::string& cmd, std::string& out) {
    auto r = zplex::test::run_command(cmd);
    out = std::move(r.out);
    return r.rc;
}

// ---------------------------------------------------------------- item 1: one live process per CF

TEST(cf_single, a_second_cf_for_a_live_cf_is_refused_and_touches_nothing) {
    plex p;
    pid_t cf1 = p.start_process("CF01");
    auto shm = detail::instance::shm_name(p.ns, "CF01", "EZBDVIPA");
    auto sock = cf_server::socket_path(p.run, "CF01");
    for (int i = 0; i < 2000 && !fs::exists(sock); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    struct stat sock_before {};
    ASSERT_EQ(::stat(sock.c_str(), &sock_before), 0);
    auto id = instance_id(shm);
    ASSERT_NE(id, 0u);
    auto a = p.connect("A");
    std::uint64_t f = 0;
    ASSERT_TRUE(a->take_list_keys(0, 300, f));

    {
        cf_server rival(p.options("CF01"));
        try {
            rival.start();
            FAIL() << "a second CF01 started";
        } catch (const start_error& e) {
            EXPECT_EQ(e.code(), 8);
            EXPECT_NE(std::string(e.what()).find("IXL160E CF CF01"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("PID " + std::to_string(cf1)), std::string::npos) << e.what();
        }
        std::atomic<bool> stop{true};
        EXPECT_EQ(rival.run(stop), 12) << "a CF that did not start serves nothing";
    }  // and its end removes nothing
    EXPECT_EQ(instance_id(shm), id) << "the live structure was left alone";
    struct stat sock_after {};
    ASSERT_EQ(::stat(sock.c_str(), &sock_after), 0);
    EXPECT_EQ(sock_after.st_ino, sock_before.st_ino) << "the command socket was left alone";
    std::uint64_t g = 0;
    ASSERT_TRUE(a->take_list_keys(0, 1, g));
    EXPECT_EQ(g, 300u);
    auto b = p.connect("B");
    ASSERT_TRUE(b->take_list_keys(0, 1, g));
    EXPECT_EQ(g, 301u) << "a new connector continues the same structure";

    // The real program, with a bad run folder and with the live CF's run folder.
    std::string out;
    auto bin = std::string(ZPLEX_CF_BIN) + " --sysplex " + ZPLEX_SOURCE_DIR + "/profiles/FIG4 --cf CF01 --namespace " +
               p.ns;
    EXPECT_EQ(run_program(bin + " --run-dir /nonexistent-" + p.ns + "/x", out), 12) << out;
    EXPECT_NE(out.find("IXL165E"), std::string::npos) << out;
    EXPECT_EQ(run_program(bin + " --run-dir " + p.run.string(), out), 8) << out;
    EXPECT_NE(out.find("IXL160E CF CF01 OF SYSPLEX " + p.ns + " IS ALREADY ACTIVE AS PID " + std::to_string(cf1)),
              std::string::npos)
        << out;
    EXPECT_EQ(instance_id(shm), id);
    ASSERT_EQ(::stat(sock.c_str(), &sock_after), 0);
    EXPECT_EQ(sock_after.st_ino, sock_before.st_ino);
    EXPECT_NE(send_command(p.run, "CF01", "D CF").find("PID " + std::to_string(cf1)), std::string::npos);
}

TEST(cf_single, a_crashed_cf_is_replaced_and_its_keys_carry_on) {
    plex p;
    pid_t cf1 = p.start_process("CF01");
    auto a = p.connect("A");
    std::uint64_t f = 0;
    ASSERT_TRUE(a->take_list_keys(0, 500, f));
    ::kill(cf1, SIGKILL);
    ::waitpid(cf1, nullptr, 0);
    p.children.clear();
    auto& cf = p.start("CF01");  // the stale instance is retired, not a live one
    EXPECT_TRUE(p.logged("IXC522I STRUCTURE EZBDVIPA IN CF01 WAS LOST"));
    EXPECT_EQ(a->take_list_keys(0, 1, f).why, reason::structure_lost);
    auto b = p.connect("B");
    ASSERT_TRUE(b->take_list_keys(0, 1, f));
    EXPECT_GE(f, 500u) << "the new instance starts above every key the old one handed out";
    EXPECT_NE(cf.command("D CF").find("EZBDVIPA"), std::string::npos);
}

// ---------------------------------------------------------------- item 3: /dev/shm too small

TEST(cf_single, a_structure_too_big_for_dev_shm_fails_cleanly_and_removes_only_its_own) {
    auto small = policy();
    auto big = policy();
    big.name = "HUGE";
    big.entry_size = 65536;
    big.max_entries = 4'000'000;  // about 262 GB: more than this machine's /dev/shm
    plex p(small);
    auto o = p.options("CF01");
    o.structures = {small, big};
    // Another CF's structure in the same namespace must survive CF01's failed start.
    plex other(small);
    other.ns = p.ns;
    auto o2 = other.options("CF02");
    o2.structures[0].name = "OTHER";
    o2.structures[0].preflist = {"CF02"};
    cf_server cf2(o2);
    cf2.start();
    cf_server cf1(o);
    try {
        cf1.start();
        FAIL() << "allocated a structure larger than /dev/shm";
    } catch (const start_error& e) {
        std::string m = e.what();
        EXPECT_EQ(e.code(), 12);
        EXPECT_NE(m.find("IXL162E STRUCTURE HUGE CANNOT BE ALLOCATED IN CF01: IT NEEDS "), std::string::npos) << m;
        EXPECT_NE(m.find("/dev/shm HAS "), std::string::npos) << m;
    }
    EXPECT_FALSE(fs::exists("/dev/shm/" + detail::instance::shm_name(p.ns, "CF01", "HUGE")));
    EXPECT_FALSE(fs::exists("/dev/shm/" + detail::instance::shm_name(p.ns, "CF01", "EZBDVIPA")))
        << "what the failed start had allocated is removed";
    EXPECT_FALSE(fs::exists(detail::cf_lock::path(p.ns, "CF01")));
    EXPECT_TRUE(fs::exists("/dev/shm/" + detail::instance::shm_name(p.ns, "CF02", "OTHER")));
    cf_server again(p.options("CF01"));
    EXPECT_NO_THROW(again.start()) << "nothing is left that stops the next start";
}

// ---------------------------------------------------------------- item 2: PID and start time

TEST(cf_liveness, a_reused_pid_keeps_neither_a_connector_nor_a_cf_alive) {
    plex p;
    auto& cf = p.start("CF01");
    auto lock_child = lock_holder(p, "STACK9", 3);
    ASSERT_TRUE(lock_child->ready());
    auto a = p.connect("A");
    ASSERT_EQ(a->lock(3, lock_oper::set).why, reason::lock_held);
    lock_child->kill();
    // The kernel hands the dead connector's PID to another process: here, a live one
    // (started in a later clock tick, as a reused PID always is).
    auto in = detail::instance::open(detail::instance::shm_name(p.ns, "CF01", "EZBDVIPA"));
    detail::connector_slot* slot = nullptr;
    for (auto& c : in->hdr().connectors) {
        if (detail::name_equals(c.name, "STACK9")) {
            slot = &c;
        }
    }
    ASSERT_NE(slot, nullptr);
    pid_t reuser = -1;
    for (int i = 0; i < 500; ++i) {
        reuser = ::fork();
        if (reuser == 0) {
            ::pause();
            ::_exit(0);
        }
        if (sysplex::identity_of(reuser).start_time != slot->start_time.load()) {
            break;
        }
        ::kill(reuser, SIGKILL);
        ::waitpid(reuser, nullptr, 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    slot->pid.store(reuser);
    cf.poll();
    EXPECT_TRUE(a->lock(3, lock_oper::set)) << "the dead connector's lock was released";
    EXPECT_TRUE(p.logged("IXL020I CONNECTOR STACK9"));
    EXPECT_NE(cf.command("D XCF,STR,STRNAME=EZBDVIPA").find("FAILED-PERSISTENT"), std::string::npos);
    std::unique_ptr<connector> again;
    EXPECT_EQ(connector::connect(p.opts("STACK9"), again).why, reason::reconnected_failed_persistent);

    // A CF lock whose recorded PID now belongs to someone else is no live CF.
    int fd = ::open(detail::cf_lock::path(p.ns, "CF03").c_str(), O_RDWR | O_CREAT, 0600);
    ASSERT_GE(fd, 0);
    struct {
        std::int32_t pid, pad;
        std::uint64_t start;
    } rec{reuser, 0, sysplex::identity_of(reuser).start_time + 12345};
    ASSERT_EQ(::pwrite(fd, &rec, sizeof rec, 0), static_cast<ssize_t>(sizeof rec));
    ::close(fd);
    EXPECT_EQ(detail::cf_lock::holder(p.ns, "CF03").pid, 0);
    sysplex::process_identity holder;
    EXPECT_NE(detail::cf_lock::acquire(p.ns, "CF03", holder), nullptr);
    ::kill(reuser, SIGKILL);
    ::waitpid(reuser, nullptr, 0);
}

// ---------------------------------------------------------------- item 4: duplex LISTKEYINC fails closed

TEST(cf_duplex, listkeyinc_never_uses_a_block_the_copy_is_not_past) {
    plex p(policy(true));
    auto& cf1 = p.start("CF01");
    auto& cf2 = p.start("CF02");
    (void)cf1;
    auto s2 = detail::instance::shm_name(p.ns, "CF02", "EZBDVIPA");
    auto hidden = "/dev/shm/" + s2 + ".hidden";
    // The copy cannot be opened (gone from its name; its CF is alive).
    ASSERT_EQ(::rename(("/dev/shm/" + s2).c_str(), hidden.c_str()), 0);
    std::unique_ptr<connector> a;
    ASSERT_TRUE(connector::connect(p.opts("A"), a));
    std::uint64_t f = 0;
    auto r = a->take_list_keys(0, 100, f);
    EXPECT_EQ(r.code, rc::environment);
    EXPECT_EQ(r.why, reason::duplex_copy_unavailable) << to_string(r);
    EXPECT_EQ(a->write(new_entry(0, "SA1", "x")).why, reason::duplex_copy_unavailable);
    ASSERT_EQ(::rename(hidden.c_str(), ("/dev/shm/" + s2).c_str()), 0);
    ASSERT_TRUE(a->take_list_keys(0, 100, f));
    auto copy = detail::instance::open(s2);
    EXPECT_GE(copy->list(0).list_key.load(), f + 100) << "the copy is past every block in use";
    EXPECT_NE(cf2.command("D CF").find("DUPLEXED SECONDARY"), std::string::npos);
}

TEST(cf_duplex, two_cfs_that_start_at_once_allocate_one_structure_and_duplex_it) {
    // Both CFs of EZBDVIPA's PREFLIST started in the same instant: one allocates, the
    // other makes the copy. (Without the CFRM policy's lock both allocated a simplex
    // EZBDVIPA of their own, which never duplexed.)
    for (int round = 0; round < 20; ++round) {
        plex p(policy(true));
        cf_server cf1(p.options("CF01")), cf2(p.options("CF02"));
        std::atomic<int> ready{0};
        auto go = [&](cf_server& s) {
            ++ready;
            while (ready.load() < 2) {
            }
            s.start();
        };
        std::thread a(go, std::ref(cf1)), b(go, std::ref(cf2));
        a.join();
        b.join();
        auto d1 = cf1.command("D CF"), d2 = cf2.command("D CF");
        const bool one_way = d1.find("DUPLEXED PRIMARY") != std::string::npos &&
                             d2.find("DUPLEXED SECONDARY") != std::string::npos;
        const bool other_way = d2.find("DUPLEXED PRIMARY") != std::string::npos &&
                               d1.find("DUPLEXED SECONDARY") != std::string::npos;
        ASSERT_TRUE(one_way || other_way) << "round " << round << "\n" << d1 << "\n" << d2;
        EXPECT_FALSE(fs::exists(detail::cf_lock::path(p.ns, "cfrm"))) << "the policy lock is not left behind";
    }
}

// ---------------------------------------------------------------- item 5: slow clients

TEST(cf_socket, slow_command_clients_never_delay_connector_failure_handling) {
    plex p;
    auto& cf = p.start("CF01");
    p.serve(cf);
    auto sock = cf_server::socket_path(p.run, "CF01");
    // Four clients that trickle a byte at a time and never finish a line.
    std::atomic<bool> done{false};
    std::thread trickle([&] {
        std::vector<int> fds;
        for (int i = 0; i < 4; ++i) {
            int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_un addr{};
            addr.sun_family = AF_UNIX;
            std::strncpy(addr.sun_path, sock.c_str(), sizeof addr.sun_path - 1);
            ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
            fds.push_back(fd);
        }
        while (!done) {
            for (int fd : fds) {
                ::send(fd, "D", 1, MSG_NOSIGNAL);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        for (int fd : fds) {
            ::close(fd);
        }
    });
    auto holder = lock_holder(p, "STACK9", 2);
    ASSERT_TRUE(holder->ready());
    auto a = p.connect("A");
    ASSERT_EQ(a->lock(2, lock_oper::set).why, reason::lock_held);
    holder->kill();
    // The trickling clients never stop; the monitor must release the lock anyway, and
    // another client's command must be answered (bounded wait, generous).
    bool released = false;
    for (int i = 0; i < 1000 && !released; ++i) {
        released = static_cast<bool>(a->lock(2, lock_oper::set));
        if (!released) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    EXPECT_TRUE(released);
    EXPECT_NE(send_command(p.run, "CF01", "D CF").find("IXL150I"), std::string::npos);
    done = true;
    trickle.join();
}

// ---------------------------------------------------------------- item 10: names

TEST(cf_names, bad_names_get_a_message_and_exit_8_cli_mistakes_exit_2) {
    plex p;
    auto bin = std::string(ZPLEX_CF_BIN) + " --sysplex " + ZPLEX_SOURCE_DIR + "/profiles/FIG4 --run-dir " +
               p.run.string();
    std::string out;
    EXPECT_EQ(run_program(bin + " --cf CF01 --namespace a/b", out), 8) << out;
    EXPECT_NE(out.find("IXL163E SYSPLEX NAMESPACE 'a/b' IS NOT VALID"), std::string::npos) << out;
    EXPECT_EQ(run_program(bin + " --cf CF01 --namespace " + std::string(300, 'N'), out), 8) << out;
    EXPECT_NE(out.find("IXL163E SYSPLEX NAMESPACE"), std::string::npos) << out;
    EXPECT_EQ(run_program(bin + " --cf CF09 --namespace " + p.ns, out), 8) << out;
    EXPECT_EQ(run_program(bin, out), 2) << out;  // --cf missing
    EXPECT_EQ(run_program(bin + " --cf CF01 --frob", out), 2) << out;
    cf_server s(p.options("CF01"));
    auto o = p.options("CF01");
    o.sysplex = "../../etc";
    cf_server bad(o);
    EXPECT_THROW(bad.start(), start_error);
}

// ---------------------------------------------------------------- crash safety in a real process

TEST(cf_crash, a_connector_killed_halfway_through_a_real_request_is_undone) {
    plex p;
    auto& cf = p.start("CF01");
    auto a = p.connect("A");
    ASSERT_TRUE(a->write(new_entry(0, "KEEP", "kept", 1)));
    // A child connector runs a real request and stops at the hook, halfway; the parent
    // kills it there with SIGKILL, holding the structure mutex.
    auto killed_halfway = [&](bool deleting) {
        int pipefd[2];
        EXPECT_EQ(::pipe(pipefd), 0);
        pid_t child = ::fork();
        if (child == 0) {
            static int out_fd = -1;
            out_fd = pipefd[1];
            std::unique_ptr<connector> c;
            if (!connector::connect(p.opts("VICTIM"), c)) {
                ::_exit(1);
            }
            detail::mid_request_hook = [] {
                char x = 'h';
                (void)!::write(out_fd, &x, 1);
                ::pause();
            };
            if (deleting) {
                c->remove(locator::by_name("KEEP"));
            } else {
                c->write(new_entry(1, "HALF", "half written"));
            }
            ::_exit(2);  // not reached: killed at the hook
        }
        ::close(pipefd[1]);
        char x = 0;
        EXPECT_EQ(::read(pipefd[0], &x, 1), 1) << "the child reached the middle of its request";
        ::close(pipefd[0]);
        ::kill(child, SIGKILL);
        int st = 0;
        ::waitpid(child, &st, 0);
        EXPECT_TRUE(WIFSIGNALED(st));
    };
    killed_halfway(true);
    entry e;
    ASSERT_TRUE(a->read(locator::by_name("KEEP"), e));  // EOWNERDEAD: the journal undoes it
    EXPECT_EQ(std::string(e.data.begin(), e.data.end()), "kept");
    list_controls lc;
    ASSERT_TRUE(a->read_list_controls(0, lc));
    EXPECT_EQ(lc.count, 1u);
    killed_halfway(false);
    EXPECT_EQ(a->read(locator::by_name("HALF"), e).why, reason::no_entry);
    ASSERT_TRUE(a->read_list_controls(1, lc));
    EXPECT_EQ(lc.count, 0u);
    EXPECT_NE(cf.command("D XCF,STR,STRNAME=EZBDVIPA").find("IN-USE: 1 "), std::string::npos);
    ASSERT_TRUE(a->write(new_entry(1, "AFTER", "ok")));  // not wedged
}

}  // namespace
}  // namespace zplex::cf
