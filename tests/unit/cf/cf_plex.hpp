// SPDX-License-Identifier: Apache-2.0
// The coupling facility tests' fixture: a private namespace and run folder, CFs in
// this process or in children, connectors, and the CFs' logs.
#pragma once

#include "forked_child.hpp"
#include "instance.hpp"

#include <zplex/cf/cf_server.hpp>
#include <zplex/cf/connector.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace zplex::cf::test {

namespace fs = std::filesystem;

inline int g_seq = 0;

inline sysplex::structure_config policy(bool duplex = false, std::uint32_t max_entries = 8) {
    sysplex::structure_config s;
    s.name = "EZBDVIPA";
    s.list_count = 4;
    s.entry_size = 32;
    s.max_entries = max_entries;
    s.size_kb = 64;
    s.preflist = duplex ? std::vector<std::string>{"CF01", "CF02"} : std::vector<std::string>{"CF01"};
    s.duplex = duplex;
    return s;
}

/// A private sysplex namespace and run folder; every CF it started is ended.
struct plex {
    std::string ns = "T" + std::to_string(::getpid()) + "X" + std::to_string(++g_seq);
    fs::path run = fs::temp_directory_path() / ("zplex-cf-test-" + ns);
    sysplex::structure_config str;
    std::vector<std::unique_ptr<cf_server>> servers;
    std::vector<pid_t> children;
    std::atomic<bool> stop_serving{false};
    std::vector<std::thread> serving;
    std::mutex log_mutex;
    std::vector<std::string> logs;  // every in-process CF's log lines

    explicit plex(sysplex::structure_config s = policy()) : str(std::move(s)) {
        // What a test process that died before its destructors (a sanitizer's abort) left
        // in /dev/shm, once per process: the namespaces T<pid>X... of test processes that
        // are gone (a live one's are never touched), of CFs no longer running.
        static std::once_flag swept;
        std::call_once(swept, [] {
            std::set<std::string> gone;
            std::error_code ec;
            for (const auto& e : fs::directory_iterator("/dev/shm", ec)) {
                const auto n = e.path().filename().string();
                const auto x = n.find('X');
                if (n.rfind("zplex.T", 0) != 0 || x == std::string::npos || x == 7) continue;
                const auto digits = n.substr(7, x - 7);
                if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) continue;
                const auto pid = static_cast<pid_t>(std::stol(digits));
                if (::kill(pid, 0) != 0 && errno == ESRCH) gone.insert("T" + digits + "X");
            }
            std::ostringstream ignore;
            for (const auto& prefix : gone) sweep_leftovers(prefix, ignore);
        });
        fs::create_directories(run);
        fs::permissions(run, fs::perms::owner_all);
    }
    ~plex() {
        for (auto pid : children) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
        stop_serving = true;
        for (auto& t : serving) {
            t.join();
        }
        servers.clear();
        for (const auto& cf : {"CF01", "CF02"}) {
            detail::instance::remove(detail::instance::shm_name(ns, cf, str.name));
        }
        std::ostringstream ignore;
        sweep_leftovers(ns, ignore);
        std::error_code ec;
        fs::remove_all(run, ec);
    }
    plex(const plex&) = delete;
    plex& operator=(const plex&) = delete;

    server_options options(const std::string& cf) const {
        server_options o;
        o.sysplex = ns;
        o.cf = cf;
        o.structures = {str};
        o.run_dir = run;
        o.interval = std::chrono::milliseconds(5);
        o.lock_entries = 8;
        auto* self = const_cast<plex*>(this);
        o.log = [self](const std::string& line) {
            std::lock_guard<std::mutex> g(self->log_mutex);
            self->logs.push_back(line);
        };
        return o;
    }
    cf_server& start(const std::string& cf) {
        servers.push_back(std::make_unique<cf_server>(options(cf)));
        servers.back()->start();
        return *servers.back();
    }
    /// Serve @p cf's command socket on a thread (until the plex ends); waits for the socket.
    void serve(cf_server& cf) {
        serving.emplace_back([this, &cf] { cf.run(stop_serving); });
        for (int i = 0; i < 2000 && !fs::exists(cf_server::socket_path(run, cf.name())); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    /// True once some log line contains @p text.
    bool logged(const std::string& text) {
        std::lock_guard<std::mutex> g(log_mutex);
        for (const auto& l : logs) {
            if (l.find(text) != std::string::npos) {
                return true;
            }
        }
        return false;
    }
    /// A CF in a child process (so it can be killed with SIGKILL).
    pid_t start_process(const std::string& cf) {
        pid_t pid = ::fork();
        if (pid == 0) {
            static std::atomic<bool> stop{false};
            auto o = options(cf);
            o.log = nullptr;
            cf_server s(o);
            try {
                s.start();
            } catch (const start_error& e) {
                ::_exit(e.code());
            }
            s.run(stop);
            ::_exit(0);
        }
        children.push_back(pid);
        for (int i = 0; i < 500; ++i) {  // until it allocated
            std::unique_ptr<connector> c;
            if (connector::connect(opts("PROBE"), c)) {
                c->disconnect();
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return pid;
    }
    connect_options opts(const std::string& name) const { return {ns, str.name, name, str.preflist}; }
    std::unique_ptr<connector> connect(const std::string& name) {
        std::unique_ptr<connector> c;
        auto r = connector::connect(opts(name), c);
        EXPECT_TRUE(r) << to_string(r);
        return c;
    }
};

inline std::vector<std::uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

inline write_request new_entry(std::uint32_t list, const std::string& name, const std::string& data, std::uint64_t key = 0) {
    write_request w;
    w.list = list;
    w.name = name;
    w.key = entry_key::of(key);
    w.type = entry_type::new_entry;
    static thread_local std::vector<std::uint8_t> buf;
    buf = bytes(data);
    w.data = buf;
    return w;
}

/// Connector @p name in a child process, holding lock entry @p lock of EZBDVIPA until
/// it is killed (ready() once it holds it).
inline std::unique_ptr<zplex::test::forked_child> lock_holder(plex& p, const std::string& name, std::uint32_t lock) {
    std::unique_ptr<connector> c;
    return std::make_unique<zplex::test::forked_child>(
        [&] { return connector::connect(p.opts(name), c) && c->lock(lock, lock_oper::set); });
}

}  // namespace zplex::cf::test
