// SPDX-License-Identifier: Apache-2.0
// The kill test: real connector processes, real SIGKILLs, every number accounted for.
#include <zplex/cf/cf_server.hpp>
#include <zplex/cf/connector.hpp>
#include <zplex/cf/stress.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <ostream>
#include <poll.h>
#include <random>
#include <sstream>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace zplex::cf {

namespace {

struct record {
    std::uint64_t first;
    std::uint64_t n;
};
static_assert(sizeof(record) <= PIPE_BUF);

struct shared_state {
    std::atomic<std::uint64_t> issued;  // blocks claimed by workers
};

std::atomic<bool> g_stop{false};

/// A CF in a child process; returns its pid.
pid_t start_cf(const stress_options& o, const std::string& cf, const sysplex::structure_config& s) {
    pid_t pid = ::fork();
    if (pid != 0) {
        return pid;
    }
    ::signal(SIGTERM, [](int) { g_stop.store(true); });
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // ends (and frees its structures) with the run
    server_options so;
    so.sysplex = o.sysplex;
    so.cf = cf;
    so.structures = {s};
    so.run_dir = o.run_dir;
    so.interval = std::chrono::milliseconds(5);
    int rc = 12;
    try {
        cf_server server(so);
        server.start();
        rc = server.run(g_stop);
    } catch (const start_error& e) {
        rc = e.code();
    }
    ::_exit(rc);
}

bool wait_allocated(const stress_options& o, std::chrono::milliseconds limit) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        std::unique_ptr<connector> c;
        connect_options co{o.sysplex, o.structure, "PROBE", o.cfs};
        if (connector::connect(co, c)) {
            c->disconnect();
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

[[noreturn]] void worker(const stress_options& o, std::uint32_t id, int out_fd, shared_state* st,
                         std::uint64_t total_blocks) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    std::unique_ptr<connector> c;
    connect_options co{o.sysplex, o.structure, "STRESS" + std::to_string(id), o.cfs};
    if (auto r = connector::connect(co, c); !r) {
        // On the run's log (the test's output): why this connector could not connect.
        auto line = "IXL013I STRESS: " + co.conname + " CANNOT CONNECT: " + to_string(r) + "\n";
        [[maybe_unused]] auto n = ::write(2, line.data(), line.size());
        ::_exit(12);
    }
    while (st->issued.fetch_add(1) < total_blocks) {
        record r{0, o.block};
        auto res = c->take_list_keys(0, o.block, r.first);
        if (!res) {
            ::_exit(res.why == reason::structure_lost ? 11 : 10);
        }
        if (::write(out_fd, &r, sizeof r) != static_cast<ssize_t>(sizeof r)) {
            ::_exit(13);
        }
    }
    c->disconnect();
    ::_exit(0);
}

}  // namespace

int run_stress(const stress_options& in, stress_report& report, std::ostream& log) {
    stress_options o = in;
    report = stress_report{};
    if (o.connectors == 0 || o.connectors > 30 || o.block == 0 || o.numbers == 0) {
        log << "IXL013I STRESS: CONNECTORS MUST BE 1-30, BLOCK AND NUMBERS ABOVE 0\n";
        return 12;
    }
    // Runs that were killed outright (their CFs too) left their structures behind.
    report.swept = sweep_leftovers("STRESS", log);
    if (o.sysplex.empty()) {
        o.sysplex = "STRESS" + std::to_string(::getpid());
    }
    bool own_run_dir = o.run_dir.empty();
    if (own_run_dir) {
        char tmpl[] = "/tmp/zplex-cf-stress-XXXXXX";
        if (!::mkdtemp(tmpl)) {
            log << "IXL013I STRESS: CANNOT CREATE A RUN DIRECTORY\n";
            return 12;
        }
        o.run_dir = tmpl;
    }
    if (o.duplex) {
        o.cfs = {"CF01", "CF02"};
    }
    sysplex::structure_config s;
    s.name = o.structure;
    s.list_count = 4;
    s.entry_size = 64;
    s.max_entries = 64;
    s.size_kb = 64;
    s.preflist = o.cfs;
    s.duplex = o.duplex;

    std::map<std::string, pid_t> cfs;
    cfs[o.cfs[0]] = start_cf(o, o.cfs[0], s);
    bool ok = wait_allocated(o, std::chrono::seconds(10));
    if (ok && o.duplex) {
        cfs[o.cfs[1]] = start_cf(o, o.cfs[1], s);
        // Wait until the copy is established (the CF02 socket answers and shows it).
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        ok = false;
        while (std::chrono::steady_clock::now() < until && !ok) {
            ok = send_command(o.run_dir, o.cfs[1], "D CF").find("DUPLEXED SECONDARY") != std::string::npos;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    pid_t rival = -1;
    auto cleanup = [&] {
        if (rival > 0) {
            // The rival must have ended by itself at once; one still running started.
            int status = 0;
            pid_t got = 0;
            for (int i = 0; i < 1000 && (got = ::waitpid(rival, &status, WNOHANG)) == 0; ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            if (got == rival) {
                report.rival_rc = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
            } else {
                ::kill(rival, SIGKILL);
                ::waitpid(rival, &status, 0);
                report.rival_rc = 0;
            }
            rival = -1;
        }
        for (auto& [name, pid] : cfs) {
            if (pid > 0) {
                ::kill(pid, SIGTERM);
                ::waitpid(pid, nullptr, 0);
            }
        }
        std::ostringstream quiet;
        sweep_leftovers(o.sysplex, quiet);  // what a CF killed on purpose (duplex) left
        if (own_run_dir) {
            std::error_code ec;
            std::filesystem::remove_all(o.run_dir, ec);
        }
    };
    if (!ok) {
        log << "IXL013I STRESS: STRUCTURE " << o.structure << " WAS NOT ALLOCATED\n";
        cleanup();
        return 12;
    }

    auto* st = static_cast<shared_state*>(
        ::mmap(nullptr, sizeof(shared_state), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    new (st) shared_state{};
    std::uint64_t total_blocks = (o.numbers + o.block - 1) / o.block;

    struct worker_proc {
        pid_t pid = -1;
        int fd = -1;
        std::uint32_t id = 0;
    };
    std::vector<worker_proc> workers;
    auto spawn = [&](std::uint32_t id) {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0) {
            return false;
        }
        pid_t pid = ::fork();
        if (pid == 0) {
            ::close(p[0]);
            worker(o, id, p[1], st, total_blocks);
        }
        ::close(p[1]);
        workers.push_back({pid, p[0], id});
        return pid > 0;
    };
    auto t0 = std::chrono::steady_clock::now();
    for (std::uint32_t i = 0; i < o.connectors; ++i) {
        spawn(i + 1);
    }

    std::vector<record> records;
    records.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(total_blocks, 1u << 20)));  // grows as needed
    std::mt19937 rng(12345);
    std::uint32_t kills_done = 0;
    bool cf_killed = false;
    std::vector<std::uint8_t> buf(64 * 1024);
    int bad_exit = 0;
    while (!workers.empty()) {
        std::vector<pollfd> fds;
        for (auto& w : workers) {
            fds.push_back({w.fd, POLLIN, 0});
        }
        ::poll(fds.data(), fds.size(), 10);
        for (std::size_t i = 0; i < workers.size();) {
            auto& w = workers[i];
            auto n = ::read(w.fd, buf.data(), buf.size());
            if (n > 0) {
                for (std::size_t k = 0; k + sizeof(record) <= static_cast<std::size_t>(n); k += sizeof(record)) {
                    record r;
                    std::memcpy(&r, buf.data() + k, sizeof r);
                    records.push_back(r);
                }
                ++i;
                continue;
            }
            if (n == 0) {  // the worker ended (or was killed): reap it
                int status = 0;
                if (w.pid > 0 && ::waitpid(w.pid, &status, 0) == w.pid && WIFEXITED(status) &&
                    WEXITSTATUS(status) != 0) {
                    bad_exit = WEXITSTATUS(status);
                }
                ::close(w.fd);
                workers.erase(workers.begin() + static_cast<std::ptrdiff_t>(i));
                continue;
            }
            ++i;
        }
        std::uint64_t issued = st->issued.load();
        // Kill connectors at even steps through the run, restart each at once.
        if (kills_done < o.kills && issued * (o.kills + 1) >= total_blocks * (kills_done + 1) && !workers.empty()) {
            auto live = std::count_if(workers.begin(), workers.end(), [](const worker_proc& w) { return w.pid > 0; });
            if (live > 0) {
                auto pick = rng() % static_cast<std::uint32_t>(live);
                for (auto& victim : workers) {
                    if (victim.pid > 0 && pick-- == 0) {
                        ::kill(victim.pid, SIGKILL);
                        ::waitpid(victim.pid, nullptr, 0);  // reaped: its pipe is drained below
                        victim.pid = -1;
                        ++kills_done;
                        auto id = victim.id;
                        spawn(id);
                        break;
                    }
                }
            }
        }
        // A second CF01 for the same sysplex and run folder while CF01 lives: refused.
        if (o.rival_cf && rival < 0 && report.rival_rc < 0 && issued * 5 >= total_blocks * 2) {
            rival = start_cf(o, o.cfs[0], s);
        }
        if (rival > 0) {
            int status = 0;
            if (::waitpid(rival, &status, WNOHANG) == rival) {
                report.rival_rc = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
                rival = -1;
                log << "IXL013I STRESS: THE RIVAL " << o.cfs[0] << " ENDED WITH CODE " << report.rival_rc << "\n";
            }
        }
        // Duplex: kill the primary CF halfway; the secondary takes over.
        if (o.duplex && !cf_killed && issued * 2 >= total_blocks && (!o.rival_cf || report.rival_rc >= 0)) {
            ::kill(cfs[o.cfs[0]], SIGKILL);
            ::waitpid(cfs[o.cfs[0]], nullptr, 0);
            cfs[o.cfs[0]] = -1;
            cf_killed = true;
            report.cf_failovers = 1;
        }
    }
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    report.kills = kills_done;

    std::sort(records.begin(), records.end(), [](const record& a, const record& b) { return a.first < b.first; });
    std::uint64_t end = 0;
    std::uint64_t gaps = 0;
    for (std::size_t i = 0; i < records.size(); ++i) {
        const auto& r = records[i];
        report.numbers += r.n;
        if (i > 0 && r.first < end) {
            report.duplicates += std::min(end, r.first + r.n) - r.first;
        } else if (i > 0 && r.first > end) {
            gaps += r.first - end;
        }
        end = std::max(end, r.first + r.n);
    }
    report.blocks = records.size();
    report.lost_blocks = (gaps + o.block - 1) / o.block;
    ::munmap(st, sizeof(shared_state));
    cleanup();
    if (bad_exit != 0) {
        log << "IXL013I STRESS: A CONNECTOR ENDED WITH CODE " << bad_exit << "\n";
    }
    log << "numbers " << report.numbers << ", duplicates " << report.duplicates << ", lost blocks "
        << report.lost_blocks << "\n";
    if (report.duplicates > 0) {
        return 8;
    }
    if (o.rival_cf && report.rival_rc != 8) {
        log << "IXL013I STRESS: THE RIVAL " << o.cfs[0] << " WAS NOT REFUSED (CODE " << report.rival_rc << ")\n";
        return 8;
    }
    return bad_exit != 0 ? 12 : 0;
}

}  // namespace zplex::cf
