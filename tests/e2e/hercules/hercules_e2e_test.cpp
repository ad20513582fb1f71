// SPDX-License-Identifier: Apache-2.0
// Three Hercules images and host connectors share one CF list; an image whose CPU is
// stopped at its console is partitioned by XCF, fenced, and comes back when re-IPLed.
//
//   HOST --XCF TAKE--> MVSn nucleus --CFL LISTKEYINC--> CF01 ZNUMBERS list 0
//   HOST <--XCF NUMS-- MVSn nucleus (the first number of every block)
#include "hercules_sysplex.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <fcntl.h>
#include <sys/mman.h>

namespace zplex::test {
namespace {

/// Host connector processes taking blocks of @p n until stopped (at least @p min_blocks
/// each, so they overlap the guests); their numbers arrive by pipe.
struct host_connectors {
    std::vector<pid_t> pids;
    std::vector<int> fds;
    std::atomic<int>* stop_flag = nullptr;

    host_connectors() {
        void* p = ::mmap(nullptr, sizeof(std::atomic<int>), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        stop_flag = new (p) std::atomic<int>(0);
    }
    ~host_connectors() { ::munmap(stop_flag, sizeof(std::atomic<int>)); }

    void start(const std::string& ns, int count, std::uint64_t n, int min_blocks) {
        for (int i = 0; i < count; ++i) {
            int p[2];
            ASSERT_EQ(::pipe(p), 0);
            pid_t pid = ::fork();
            if (pid == 0) {
                ::close(p[0]);
                ::prctl(PR_SET_PDEATHSIG, SIGKILL);
                std::unique_ptr<cf::connector> c;
                if (!cf::connector::connect({ns, hercules_sysplex::structure, "HOSTC" + std::to_string(i), {"CF01"}}, c)) {
                    ::_exit(12);
                }
                for (int b = 0; b < min_blocks || !stop_flag->load(); ++b) {
                    std::uint64_t first = 0;
                    if (!c->take_list_keys(0, n, first)) {
                        ::_exit(8);
                    }
                    if (::write(p[1], &first, sizeof first) != sizeof first) {
                        ::_exit(13);
                    }
                }
                c->disconnect();
                ::_exit(0);
            }
            ::close(p[1]);
            pids.push_back(pid);
            fds.push_back(p[0]);
        }
    }

    /// Reap the children; their blocks are appended to @p out.
    void collect(std::vector<number_block>& out, std::uint64_t n) {
        stop_flag->store(1);
        for (std::size_t i = 0; i < pids.size(); ++i) {
            std::uint64_t first = 0;
            while (::read(fds[i], &first, sizeof first) == sizeof first) {
                out.push_back({first, n, "HOSTC" + std::to_string(i)});
            }
            ::close(fds[i]);
            int status = 0;
            ::waitpid(pids[i], &status, 0);
            EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "host connector " << i;
        }
        pids.clear();
        fds.clear();
    }
};

TEST(hercules_e2e, three_images_and_two_host_connectors_never_share_a_number) {
    ZPLEX_SKIP_WITHOUT_HERCULES();
    // A long INTERVAL: this test is about numbers, and a starved build machine must not
    // get an image partitioned halfway.
    hercules_sysplex plex(std::chrono::milliseconds(3000));
    std::string err;
    ASSERT_TRUE(plex.start_all(3, err)) << err;

    constexpr std::uint32_t n = 16;       // numbers per LISTKEYINC
    constexpr std::uint32_t k = 200;      // LISTKEYINC requests per TAKE
    constexpr int rounds = 5;             // TAKEs per image
    host_connectors hosts;
    hosts.start(plex.ns, 2, n, 1000);

    std::vector<number_block> blocks;
    std::map<std::string, int> replies;
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < rounds; ++r) {
        for (const auto& im : plex.images) {
            ASSERT_TRUE(plex.send_take(im.name, n, k)) << im.name;
        }
        for (std::size_t i = 0; i < plex.images.size(); ++i) {
            std::string from;
            std::uint32_t status = 0;
            ASSERT_TRUE(plex.receive_nums(blocks, from, status, std::chrono::seconds(20)))
                << "no NUMS reply in round " << r;
            EXPECT_EQ(status & 0x00FFFFFF, 0u) << from << ": CF response rc/reason " << std::hex << status;
            ++replies[from];
        }
    }
    double guest_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    hosts.collect(blocks, n);

    for (const auto& im : plex.images) {
        EXPECT_EQ(replies[im.name], rounds) << im.name;
    }
    std::size_t guest_blocks = 0;
    for (const auto& b : blocks) {
        guest_blocks += b.taker.rfind("MVS", 0) == 0;
    }
    EXPECT_EQ(guest_blocks, plex.images.size() * rounds * k);
    EXPECT_GE(blocks.size(), guest_blocks + 2 * 1000);

    // Zero duplicates: sorted blocks never overlap.
    std::sort(blocks.begin(), blocks.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::uint64_t duplicates = 0;
    for (std::size_t i = 1; i < blocks.size(); ++i) {
        if (blocks[i].first < blocks[i - 1].first + blocks[i - 1].n) {
            ++duplicates;
            ADD_FAILURE() << "block " << blocks[i].first << " of " << blocks[i].taker << " overlaps "
                          << blocks[i - 1].first << " of " << blocks[i - 1].taker;
            if (duplicates > 5) break;
        }
    }
    EXPECT_EQ(duplicates, 0u);
    std::cout << "guest blocks " << guest_blocks << " (" << guest_blocks * n << " numbers) in " << guest_s
              << " s, host blocks " << blocks.size() - guest_blocks << ", duplicates " << duplicates << "\n";
}

TEST(hercules_e2e, stopping_an_images_cpu_partitions_it) {
    ZPLEX_SKIP_WITHOUT_HERCULES();
    constexpr auto interval = std::chrono::milliseconds(300);
    hercules_sysplex plex(interval);
    std::string err;
    ASSERT_TRUE(plex.start_all(3, err)) << err;
    plex.host_member().events();  // the joins so far

    // Stop MVS3's CPU at its console.
    const auto& victim = plex.images[2];
    auto t0 = std::chrono::steady_clock::now();
    auto answer = hercules::console(victim.dir, "stop");
    ASSERT_FALSE(answer.empty()) << "the console of " << victim.name << " did not answer";

    double detect_ms = -1;
    auto until = t0 + std::chrono::seconds(30);  // a bound on waiting, not a timing claim
    while (std::chrono::steady_clock::now() < until && detect_ms < 0) {
        for (const auto& e : plex.host_member().events()) {
            if (e.what == xcf::group_event::kind::failed && e.member == victim.name) {
                detect_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_GE(detect_ms, 0) << victim.name << " was never declared failed";
    // How fast is a figure, printed below; the unit tests prove the rule on an injected clock.

    // The survivors' group exits ran: their devices logged the failure.
    auto until_log = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    std::string needle = "GROUP EXIT ZPXIMAGE: MEMBER " + victim.name + " ON " + victim.name + " FAILED";
    bool seen = false;
    while (!seen && std::chrono::steady_clock::now() < until_log) {
        seen = plex.log_of("MVS1").find(needle) != std::string::npos &&
               plex.log_of("MVS2").find(needle) != std::string::npos;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(seen) << "survivors' logs lack: " << needle << "\n" << plex.log_of("MVS1");
    EXPECT_EQ(plex.log_of("MVS3").find("GROUP EXIT ZPXIMAGE: MEMBER MVS3"), std::string::npos);

    // Started again, the partitioned image is fenced: its next heartbeat is refused and
    // the nucleus loads disabled wait 0A2.
    hercules::console(victim.dir, "start");
    bool waited = false;
    auto until_wait = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (!waited && std::chrono::steady_clock::now() < until_wait) {
        waited = plex.log_of(victim.name).find("000000A2") != std::string::npos;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(waited) << plex.log_of(victim.name);

    // Re-IPLed, it joins again and is an active member once more.
    hercules::console(victim.dir, "ipl " + (hercules_module_dir() / "nucleus.ins").string());
    bool back = false;
    auto until_back = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!back && std::chrono::steady_clock::now() < until_back) {
        for (const auto& m : plex.host_member().query()) {
            back = back || (m.name == victim.name && m.state == xcf::member_state::active);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(back) << plex.log_of(victim.name);
    std::cout << victim.name << " declared failed " << detect_ms << " ms after its CPU was stopped (INTERVAL "
              << interval.count() << " ms)\n";
}

TEST(hercules_e2e, a_module_built_against_another_configuration_is_refused) {
    ZPLEX_SKIP_WITHOUT_HERCULES();
    auto module = fs::path(ZPLEX_BINARY_DIR) / "lib" / "hercules-mismatch" / "hdtcfl.so";
    if (!fs::exists(module)) {
        GTEST_SKIP() << "no mismatched module (ZPLEX_HERCULES_MISMATCH_TEST=OFF or its configure failed)";
    }
    auto dir = fs::path("/tmp") / ("zplex-hercules-mismatch-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "t.cnf") << "CPUSERIAL 000611\nCPUMODEL 2064\nMAINSIZE 2\nNUMCPU 1\nARCHMODE ESA/390\n"
                                 << "TIMERINT 10000\nLDMOD " << module.string() << "\n"
                                 << "0E00 CFL SYSPLEX=NOSUCH CF=CF01\n";
    std::ofstream(dir / "t.rc") << "quit\n";
    pid_t pid = ::fork();
    if (pid == 0) {
        if (::chdir(dir.c_str()) != 0) ::_exit(127);
        int in = ::open("/dev/null", O_RDONLY);
        int log = ::open("hercules.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(in, 0);
        ::dup2(log, 1);
        ::dup2(log, 2);
        ::setenv("HERCULES_RC", "t.rc", 1);
        ::execl("/usr/bin/hercules", "hercules", "-d", "-f", "t.cnf", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ASSERT_GT(pid, 0);
    int status = 0;
    bool exited = false;
    for (int i = 0; i < 1000 && !exited; ++i) {  // 10 s
        exited = ::waitpid(pid, &status, WNOHANG) == pid;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!exited) {
        ::kill(pid, SIGKILL);  // the Hercules this test started
        ::waitpid(pid, &status, 0);
    }
    std::ifstream in(dir / "hercules.log");
    std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fs::remove_all(dir);
    EXPECT_NE(log.find("HHCHD011I Dependency check failed for DEVBLK, size(7648) expected(7656)"), std::string::npos)
        << log;
    EXPECT_NE(log.find("HHCHD014E"), std::string::npos) << log;
    EXPECT_EQ(log.find("ZPX0710I"), std::string::npos) << "the refused module must not have run";
}

}  // namespace
}  // namespace zplex::test
