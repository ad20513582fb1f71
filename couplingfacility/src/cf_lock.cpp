// SPDX-License-Identifier: Apache-2.0
// One live process per CF: the CF lock file in /dev/shm. And the sweep of what dead
// runs left there.
#include "instance.hpp"

#include <zplex/cf/cf_server.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <ostream>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace zplex::cf {

namespace detail {

namespace {

constexpr const char* lock_suffix = "lock~";  // never a structure name (those are A-Z 0-9 @#$_)

struct lock_record {
    std::int32_t pid;
    std::int32_t pad;
    std::uint64_t start_time;
};

sysplex::process_identity read_record(int fd) {
    lock_record r{};
    if (::pread(fd, &r, sizeof r, 0) != static_cast<ssize_t>(sizeof r)) {
        return {};
    }
    return {r.pid, r.start_time};
}

}  // namespace

std::string cf_lock::path(const std::string& ns, const std::string& cf) {
    return "/dev/shm/zplex." + ns + "." + cf + "." + lock_suffix;
}

std::unique_ptr<cf_lock> cf_lock::acquire(const std::string& ns, const std::string& cf,
                                          sysplex::process_identity& holder) {
    auto p = path(ns, cf);
    holder = {};
    // A lock held by a process that is gone is one being released, or taken by a
    // starter that has not written its record yet: try again for a while.
    for (int attempt = 0; attempt < 200; ++attempt) {
        int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            return nullptr;
        }
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) {
            ::close(fd);  // not ours: never write through it
            return nullptr;
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            holder = read_record(fd);
            ::close(fd);
            if (holder.pid != 0 && sysplex::process_alive(holder)) {
                return nullptr;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            continue;
        }
        // The file may have been removed by the previous holder after we opened it.
        struct stat now {};
        if (::stat(p.c_str(), &now) != 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
            ::close(fd);
            continue;
        }
        auto self = sysplex::self_identity();
        lock_record r{self.pid, 0, self.start_time};
        if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, &r, sizeof r, 0) != static_cast<ssize_t>(sizeof r)) {
            ::unlink(p.c_str());
            ::close(fd);
            return nullptr;
        }
        holder = self;
        return std::unique_ptr<cf_lock>(new cf_lock(p, fd));
    }
    return nullptr;
}

sysplex::process_identity cf_lock::holder(const std::string& ns, const std::string& cf) {
    int fd = ::open(path(ns, cf).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        return {};
    }
    auto id = read_record(fd);
    ::close(fd);
    return id.pid != 0 && sysplex::process_alive(id) ? id : sysplex::process_identity{};
}

cf_lock::~cf_lock() {
    ::unlink(_path.c_str());  // while holding it: a waiter re-checks the inode
    ::close(_fd);
}

}  // namespace detail

std::size_t sweep_leftovers(const std::string& ns_prefix, std::ostream& log) {
    using namespace detail;
    namespace fs = std::filesystem;
    // zplex.<ns>.<cf>.<structure or lock~>, grouped by (ns, cf).
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> groups;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/dev/shm", ec)) {
        auto n = e.path().filename().string();
        if (n.rfind("zplex.", 0) != 0) {
            continue;
        }
        auto a = n.find('.', 6);
        auto b = a == std::string::npos ? a : n.find('.', a + 1);
        if (b == std::string::npos || n.find('.', b + 1) != std::string::npos) {
            continue;  // not a CF object (the XCF couple dataset is zplex.<sysplex>.XCF)
        }
        auto ns = n.substr(6, a - 6);
        if (ns.rfind(ns_prefix, 0) != 0) {
            continue;
        }
        groups[{ns, n.substr(a + 1, b - a - 1)}].push_back(n);
    }
    std::size_t removed = 0;
    for (const auto& [key, names] : groups) {
        const auto& [ns, cf] = key;
        sysplex::process_identity holder;
        // Holding the CF's lock, nobody can allocate in that CF while we look.
        auto lock = cf_lock::acquire(ns, cf, holder);
        if (!lock) {
            continue;  // a live CF: nothing of it is a leftover
        }
        for (const auto& n : names) {
            if (n.size() > 5 && n.compare(n.size() - 5, 5, lock_suffix) == 0) {
                continue;
            }
            bool dead = false;
            if (auto in = instance::open(n)) {
                dead = !in->owner_alive();
                if (dead) {
                    // Connectors still mapping it must learn it is gone.
                    in->hdr().fenced.store(1, std::memory_order_seq_cst);
                    if (!in->hdr().duplex_active.load()) {
                        in->hdr().lost.store(1);
                    }
                }
            } else {
                // Not a complete instance. One with no magic yet was being allocated by a
                // CF that died (allocation happens only under the lock we now hold); one of
                // the older layout (ZPLEXCF1) has its owner's PID at offset 72.
                int fd = ::open(("/dev/shm/" + n).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                std::uint64_t magic = 0;
                std::int32_t pid = 0;
                if (fd >= 0) {
                    auto got = ::pread(fd, &magic, sizeof magic, 0);
                    if (got == 0 || (got == sizeof magic && magic == 0)) {
                        dead = true;
                    } else if (got == sizeof magic && magic == 0x5a504c4558434631ull &&
                               ::pread(fd, &pid, sizeof pid, 72) == sizeof pid) {
                        dead = !sysplex::process_alive(pid);
                    }
                }
                if (fd >= 0) {
                    ::close(fd);
                }
            }
            if (dead) {
                instance::remove(n);
                log << "IXL164I LEFTOVER " << n << " OF A CF THAT IS NOT ACTIVE REMOVED\n";
                ++removed;
            }
        }
    }
    return removed;
}

}  // namespace zplex::cf
