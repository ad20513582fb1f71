// SPDX-License-Identifier: Apache-2.0
// A small sysplex of Hercules images for e2e tests and benchmarks: a CF (zplex cf_server
// in a child process) with list structure ZNUMBERS, N images (headless Hercules running
// the nucleus with the CFL and XCFS devices), and a host XCF member HOST in group
// ZPXIMAGE that sends the images TAKE requests. A watchdog process stops the images and
// frees the shared memory if the test process dies; the destructor does it otherwise.
#pragma once

#include <zplex/cf/cf_server.hpp>
#include <zplex/cf/connector.hpp>
#include <zplex/hercules/image.hpp>
#include <zplex/xcf/xcf.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace zplex::test {

namespace fs = std::filesystem;

/// A block of numbers [first, first + n) and who took it.
struct number_block {
    std::uint64_t first = 0;
    std::uint64_t n = 0;
    std::string taker;
};

inline fs::path hercules_module_dir() { return fs::path(ZPLEX_BINARY_DIR) / "lib" / "hercules"; }

/// Empty if the modules and the nucleus were built and Hercules is installed; else why not.
inline std::string hercules_missing() {
    for (const char* f : {"hdtcfl.so", "hdtxcfs.so", "nucleus.bin", "nucleus.ins"}) {
        if (!fs::exists(hercules_module_dir() / f)) {
            return std::string("the Hercules device modules were not built (no ") + f + "; ZPLEX_HERCULES=OFF?)";
        }
    }
    if (!fs::exists("/usr/bin/hercules")) {
        return "/usr/bin/hercules is not installed";
    }
    return {};
}

/// Skips the test (with the reason) where Hercules images cannot run.
#define ZPLEX_SKIP_WITHOUT_HERCULES()                                   \
    do {                                                                \
        if (auto why = ::zplex::test::hercules_missing(); !why.empty()) { \
            GTEST_SKIP() << why;                                        \
        }                                                               \
    } while (0)

class hercules_sysplex {
public:
    static constexpr const char* structure = "ZNUMBERS";
    static constexpr const char* group = "ZPXIMAGE";

    explicit hercules_sysplex(std::chrono::milliseconds interval = std::chrono::milliseconds(300))
        : _interval(interval) {
        ns = "HE" + std::to_string(::getpid());
        dir = fs::path("/tmp") / ("zplex-hercules-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir / "images");
        // Image directories and their parent are the caller's only (zplex-image refuses others).
        fs::permissions(dir, fs::perms::owner_all);
        fs::permissions(dir / "images", fs::perms::owner_all);
        key_file = dir / "SYS1.XCF.KEY";
        std::string hex;
        for (int i = 0; i < 32; ++i) {
            static const char* d = "0123456789abcdef";
            unsigned v = static_cast<unsigned>((i * 37 + ::getpid()) & 0xFF);
            hex += d[v >> 4];
            hex += d[v & 15];
        }
        std::ofstream(key_file) << hex << "\n";
        xcf::parse_key(hex, _key);
        start_watchdog();
    }

    ~hercules_sysplex() {
        _host_member.reset();
        _host.reset();
        cleanup(dir, ns);
        if (_cf_pid > 0) {
            ::kill(_cf_pid, SIGTERM);
            ::waitpid(_cf_pid, nullptr, 0);
        }
        cleanup(dir, ns);  // the CF is gone: its structure too
        fs::remove_all(dir);
        if (_watchdog_fd >= 0) {
            ::close(_watchdog_fd);  // the watchdog sees EOF, finds nothing left, exits
            ::waitpid(_watchdog_pid, nullptr, 0);
        }
    }

    /// The CF (CF01) with structure ZNUMBERS, in a child process.
    bool start_cf(std::string& error) {
        sysplex::structure_config s;
        s.name = structure;
        s.list_count = 4;
        s.entry_size = 256;
        s.max_entries = 64;
        s.size_kb = 256;
        s.preflist = {"CF01"};
        pid_t parent = ::getpid();
        _cf_pid = ::fork();
        if (_cf_pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (::getppid() != parent) ::_exit(0);
            static std::atomic<bool> stop{false};
            ::signal(SIGTERM, [](int) { stop.store(true); });
            cf::server_options so;
            so.sysplex = ns;
            so.cf = "CF01";
            so.structures = {s};
            so.run_dir = dir;
            so.interval = std::chrono::milliseconds(20);
            int rc = 12;
            try {
                cf::cf_server server(so);
                server.start();
                rc = server.run(stop);
            } catch (const cf::start_error& e) {
                rc = e.code();
            }
            ::_exit(rc);
        }
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < until) {
            std::unique_ptr<cf::connector> c;
            if (cf::connector::connect({ns, structure, "PROBE", {"CF01"}}, c)) {
                c->disconnect();
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        error = "structure ZNUMBERS was not allocated";
        return false;
    }

    /// The host system HOSTSYS with member HOST in group ZPXIMAGE (ticking on a thread).
    /// The sysplex's options (namespace, INTERVAL, key) as the images use them.
    xcf::sysplex_options options() const { return {ns, _interval, _key, {}}; }

    bool join_host(std::string& error) {
        xcf::sysplex_options o = options();
        auto r = xcf::system::join(o, "HOSTSYS", _host);
        if (!r) {
            error = "host system join: " + xcf::to_string(r);
            return false;
        }
        _host->start();
        r = xcf::member::join(*_host, group, "HOST", 0, _host_member);
        if (!r) {
            error = "host member join: " + xcf::to_string(r);
            return false;
        }
        return true;
    }

    /// The CF, this process as the host system, and images MVS1..MVSn (@p n), each step
    /// done before the next; false (with the error) at the first that fails.
    bool start_all(int n, std::string& error) {
        return start_cf(error) && join_host(error) && start_images(n, error);
    }

    /// Images MVS1..MVSn; true once every one is an active member of ZPXIMAGE.
    bool start_images(int n, std::string& error) {
        auto first = static_cast<std::uint16_t>(31000 + (::getpid() % 200) * 5);
        for (int i = 1; i <= n; ++i) {
            hercules::image_options o;
            o.name = "MVS" + std::to_string(i);
            o.dir = dir / "images" / o.name;
            o.sysplex = ns;
            o.key_file = key_file;
            o.interval = _interval;
            o.module_dir = hercules_module_dir();
            o.http_port = hercules::free_port(31000, 31999, static_cast<std::uint16_t>(first + i));
            if (o.http_port == 0) {
                error = "no free port in 31000-31999";
                return false;
            }
            first = static_cast<std::uint16_t>(o.http_port + 1);
            if (hercules::start(o, error) < 0) {
                return false;
            }
            images.push_back(o);
        }
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
        while (std::chrono::steady_clock::now() < until) {
            int active = 0;
            for (const auto& m : _host_member->query()) {
                for (const auto& im : images) {
                    active += m.name == im.name && m.state == xcf::member_state::active;
                }
            }
            if (active == n) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        error = "the images did not join group ZPXIMAGE within 15 s; see " + (dir / "images").string();
        return false;
    }

    /// Send TAKE (k blocks of n from list 0) to @p image.
    bool send_take(const std::string& image, std::uint32_t n, std::uint32_t k) {
        std::vector<std::uint8_t> m(48, ' ');
        std::memcpy(m.data(), "TAKE", 4);
        put32(&m[4], 0);
        put32(&m[8], n);
        put32(&m[12], k);
        std::string conname = image + "CFL";
        std::memcpy(&m[16], structure, std::strlen(structure));
        std::memcpy(&m[32], conname.data(), conname.size());
        return static_cast<bool>(_host_member->send(image, m));
    }

    /// Wait for one NUMS reply; its blocks are appended to @p out. False on timeout.
    bool receive_nums(std::vector<number_block>& out, std::string& from, std::uint32_t& status,
                      std::chrono::milliseconds wait) {
        std::vector<std::uint8_t> m;
        auto r = _host_member->receive(m, from, wait);
        if (!r || m.size() < 16 || std::memcmp(m.data(), "NUMS", 4) != 0) {
            return false;
        }
        status = get32(&m[4]);
        std::uint32_t k = get32(&m[8]);
        std::uint32_t n = get32(&m[12]);
        for (std::uint32_t i = 0; i < k && 16 + 8 * (i + 1) <= m.size(); ++i) {
            std::uint64_t first = static_cast<std::uint64_t>(get32(&m[16 + 8 * i])) << 32 | get32(&m[20 + 8 * i]);
            out.push_back({first, n, from});
        }
        return true;
    }

    xcf::member& host_member() { return *_host_member; }

    std::string log_of(const std::string& image) const {
        std::ifstream in(dir / "images" / image / "hercules.log");
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

    std::string ns;
    fs::path dir;
    fs::path key_file;
    std::vector<hercules::image_options> images;

private:
    static void put32(std::uint8_t* p, std::uint32_t v) {
        p[0] = static_cast<std::uint8_t>(v >> 24);
        p[1] = static_cast<std::uint8_t>(v >> 16);
        p[2] = static_cast<std::uint8_t>(v >> 8);
        p[3] = static_cast<std::uint8_t>(v);
    }
    static std::uint32_t get32(const std::uint8_t* p) {
        return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
               static_cast<std::uint32_t>(p[2]) << 8 | p[3];
    }

    /// Stop every image under @p d (only the PIDs its PID files name) and remove the
    /// namespace's shared-memory segments.
    static void cleanup(const fs::path& d, const std::string& ns) {
        std::error_code ec;
        if (fs::exists(d / "images", ec)) {
            for (const auto& e : fs::directory_iterator(d / "images", ec)) {
                hercules::stop(e.path(), std::chrono::milliseconds(3000));
            }
        }
        auto prefix = "zplex." + ns + ".";
        for (const auto& e : fs::directory_iterator("/dev/shm", ec)) {
            if (e.path().filename().string().rfind(prefix, 0) == 0) {
                fs::remove(e.path(), ec);
            }
        }
    }

    void start_watchdog() {
        int p[2];
        if (::pipe(p) != 0) {
            return;
        }
        _watchdog_pid = ::fork();
        if (_watchdog_pid == 0) {
            ::close(p[1]);
            char c;
            while (::read(p[0], &c, 1) > 0) {
            }
            // The test process ended (or its fixture did): nothing of ours may outlive it.
            // (The fixture removes the directory before it closes the pipe: whatever is
            // left belongs to a test process that died.)
            cleanup(dir, ns);
            std::error_code ec;
            fs::remove_all(dir, ec);
            ::_exit(0);
        }
        ::close(p[0]);
        _watchdog_fd = p[1];
        ::fcntl(_watchdog_fd, F_SETFD, FD_CLOEXEC);
    }

    std::chrono::milliseconds _interval;
    xcf::sysplex_key _key{};
    pid_t _cf_pid = -1;
    pid_t _watchdog_pid = -1;
    int _watchdog_fd = -1;
    std::unique_ptr<xcf::system> _host;
    std::unique_ptr<xcf::member> _host_member;
};

}  // namespace zplex::test
