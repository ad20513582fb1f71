// SPDX-License-Identifier: Apache-2.0
// The XCF stress run: real member processes, real SIGKILLs, every message counted.
#include <zplex/xcf/stress.hpp>
#include <zplex/xcf/xcf.hpp>

#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <ostream>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace zplex::xcf {

namespace {

constexpr std::uint32_t max_procs = 12;

std::int64_t mono_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct payload {
    std::uint32_t from;
    std::uint32_t pad;
    std::uint64_t seq;
    std::int64_t sent_ns;
};

/// What the processes report, in anonymous shared memory.
struct board {
    std::atomic<int> joined;
    std::atomic<int> stop_sending;   // parent: start draining
    std::atomic<int> done;           // parent: report and exit
    std::atomic<std::uint64_t> sent[max_procs][max_procs];       // sender -> receiver, RC 0
    std::atomic<std::uint64_t> received[max_procs][max_procs];   // receiver <- sender
    std::atomic<std::uint64_t> out_of_order[max_procs];
    std::atomic<std::uint64_t> attempted[max_procs];             // sends tried
    std::atomic<std::uint64_t> lat_hist[4096];                   // microseconds, capped
};

[[noreturn]] void member_proc(const sysplex_options& so, std::uint32_t me, const xcf_stress_options& o, board* b) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a killed run leaves no member waiting forever
    if (::getppid() == 1) {
        ::_exit(12);
    }
    std::unique_ptr<system> sys;
    if (!system::join(so, "SYS" + std::to_string(me), sys)) {
        ::_exit(12);
    }
    sys->start();
    std::unique_ptr<member> m;
    if (!member::join(*sys, "ZSTRESS", "M" + std::to_string(me), me, m)) {
        ::_exit(12);
    }
    b->joined.fetch_add(1);
    while (b->joined.load() < static_cast<int>(o.members) + 1) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::uint64_t per_member = o.messages / o.members;
    std::vector<std::uint8_t> buf(std::max<std::uint32_t>(o.size, sizeof(payload)));
    std::uint64_t last_seq[max_procs] = {};
    std::vector<std::uint8_t> got;
    std::string from;
    auto drain = [&](std::chrono::milliseconds wait) {
        while (m->receive(got, from, wait)) {
            if (got.size() < sizeof(payload)) {
                continue;
            }
            payload p;
            std::memcpy(&p, got.data(), sizeof p);
            if (p.from >= max_procs) {
                continue;
            }
            if (p.seq <= last_seq[p.from]) {
                b->out_of_order[me].fetch_add(1);
            }
            last_seq[p.from] = p.seq;
            b->received[me][p.from].fetch_add(1);
            auto us = static_cast<std::uint64_t>((mono_ns() - p.sent_ns) / 1000);
            b->lat_hist[std::min<std::uint64_t>(us, 4095)].fetch_add(1);
            wait = std::chrono::milliseconds(0);
        }
    };
    std::uint64_t seq = 0;
    std::uint32_t target = me % o.members + 1;
    for (std::uint64_t i = 0; i < per_member && !b->stop_sending.load(); ++i) {
        if (target == me) {
            target = target % o.members + 1;
        }
        payload p{me, 0, ++seq, mono_ns()};
        std::memcpy(buf.data(), &p, sizeof p);
        // Per-receiver sequence: messages to one member are numbered 1, 2, 3...
        b->attempted[me].fetch_add(1);
        auto r = m->send("M" + std::to_string(target), buf);
        if (r) {
            b->sent[me][target].fetch_add(1);
        }
        target = target % o.members + 1;
        if ((i & 15) == 0) {
            drain(std::chrono::milliseconds(0));
        }
    }
    while (!b->done.load()) {
        drain(std::chrono::milliseconds(5));
    }
    drain(std::chrono::milliseconds(0));
    m.reset();
    sys.reset();
    ::_exit(0);
}

}  // namespace

int run_xcf_stress(const xcf_stress_options& o, xcf_stress_report& r, std::ostream& log) {
    r = xcf_stress_report{};
    if (o.members < 2 || o.members >= max_procs || o.size < sizeof(payload) || o.size > max_message ||
        o.kills >= o.members || o.messages == 0) {
        log << "IXC360I XCF STRESS: MEMBERS 2-11, SIZE 24-1048576, KILLS BELOW MEMBERS\n";
        return 12;
    }
    sysplex_options so;
    so.sysplex = "XSTRESS" + std::to_string(::getpid());
    so.interval = std::chrono::milliseconds(o.interval_ms);
    RAND_bytes(so.key.data(), static_cast<int>(so.key.size()));
    auto* b = static_cast<board*>(::mmap(nullptr, sizeof(board), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    new (b) board{};

    std::unique_ptr<system> observer_sys;
    if (!system::join(so, "OBSERVER", observer_sys)) {
        log << "IXC360I XCF STRESS: CANNOT CREATE THE SYSPLEX\n";
        return 12;
    }
    std::unique_ptr<member> observer;
    member::join(*observer_sys, "ZSTRESS", "OBSERVER", 0, observer);
    r.dataset = "/dev/shm/" + dataset_name(so);
    r.dataset_existed = std::filesystem::exists(r.dataset);

    std::vector<pid_t> pids(o.members + 1, -1);
    for (std::uint32_t i = 1; i <= o.members; ++i) {
        pid_t pid = ::fork();
        if (pid == 0) {
            member_proc(so, i, o, b);
        }
        pids[i] = pid;
    }
    // Only now the observer's status thread: a fork with threads running copies
    // their locks (malloc's among them) but not the threads that would release them.
    observer_sys->start();
    b->joined.fetch_add(1);
    auto t0 = std::chrono::steady_clock::now();
    std::vector<bool> killed(o.members + 1, false);
    std::vector<std::pair<std::string, std::chrono::steady_clock::time_point>> pending;  // killed, awaiting exit
    observer->events();
    auto total_sent = [&] {
        std::uint64_t s = 0;
        for (std::uint32_t a = 1; a <= o.members; ++a) {
            for (std::uint32_t c = 1; c <= o.members; ++c) {
                s += b->sent[a][c].load();
            }
        }
        return s;
    };
    std::uint32_t kills_done = 0;
    auto deadline = t0 + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        auto sent = total_sent();
        if (kills_done < o.kills && sent * (o.kills + 1) >= o.messages * (kills_done + 1) / 2) {
            std::uint32_t victim = o.members - kills_done;  // kill from the top
            ::kill(pids[victim], SIGKILL);
            ::waitpid(pids[victim], nullptr, 0);
            killed[victim] = true;
            pending.emplace_back("M" + std::to_string(victim), std::chrono::steady_clock::now());
            ++kills_done;
        }
        for (const auto& e : observer->events()) {
            if (e.what != group_event::kind::failed) {
                continue;
            }
            for (auto it = pending.begin(); it != pending.end(); ++it) {
                if (it->first == e.member) {
                    r.detect_ms.push_back(
                        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - it->second).count());
                    pending.erase(it);
                    break;
                }
            }
        }
        std::uint64_t live_target = 0;
        for (std::uint32_t a = 1; a <= o.members; ++a) {
            live_target += killed[a] ? 0 : o.messages / o.members;
        }
        std::uint64_t live_attempts = 0;
        for (std::uint32_t a = 1; a <= o.members; ++a) {
            live_attempts += killed[a] ? 0 : b->attempted[a].load();
        }
        if (kills_done == o.kills && pending.empty() && live_attempts >= live_target) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    // Senders to a killed member may stop early (receiver failed): let everyone finish.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    b->stop_sending = 1;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    b->done = 1;
    for (std::uint32_t i = 1; i <= o.members; ++i) {
        if (!killed[i]) {
            ::waitpid(pids[i], nullptr, 0);
        }
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (std::uint32_t a = 1; a <= o.members; ++a) {
        for (std::uint32_t c = 1; c <= o.members; ++c) {
            r.sent += b->sent[a][c].load();
            r.delivered += b->received[c][a].load();
            if (!killed[a] && !killed[c]) {
                auto s = b->sent[a][c].load();
                auto d = b->received[c][a].load();
                r.lost += s > d ? s - d : 0;
            }
        }
        r.out_of_order += b->out_of_order[a].load();
    }
    std::uint64_t n = 0;
    for (auto& h : b->lat_hist) {
        n += h.load();
    }
    std::uint64_t acc = 0;
    bool p50 = false;
    for (std::size_t us = 0; us < 4096; ++us) {
        acc += b->lat_hist[us].load();
        if (!p50 && acc * 2 >= n) {
            r.p50_us = static_cast<double>(us);
            p50 = true;
        }
        if (acc * 100 >= n * 99) {
            r.p99_us = static_cast<double>(us);
            break;
        }
    }
    observer.reset();
    observer_sys.reset();
    r.dataset_removed = !std::filesystem::exists(r.dataset);
    ::munmap(b, sizeof(board));
    bool detect_ok = r.detect_ms.size() == o.kills &&
                     std::all_of(r.detect_ms.begin(), r.detect_ms.end(),
                                 [&](double ms) { return ms <= 3.0 * o.interval_ms; });
    log << "sent " << r.sent << ", delivered " << r.delivered << ", lost " << r.lost << ", out of order "
        << r.out_of_order << ", p50 " << r.p50_us << " us, p99 " << r.p99_us << " us";
    for (double ms : r.detect_ms) {
        log << ", kill detected in " << static_cast<int>(ms) << " ms";
    }
    log << "\n";
    return r.lost == 0 && r.out_of_order == 0 && detect_ok ? 0 : 8;
}

}  // namespace zplex::xcf
