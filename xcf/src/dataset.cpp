// SPDX-License-Identifier: Apache-2.0
// The couple dataset as a file in /dev/shm: names, formatting, re-formatting, the
// sweep of what dead runs left.
//
// A dataset is formatted complete in a file of its own and then linked to its name,
// so nobody ever maps a half-formatted one. Its name carries a MAC of the sysplex name
// under the key: only a key holder can create or re-format the dataset others with
// that key join. A dataset is re-formatted (a fresh one renamed over it, the old one
// marked retired under its lock) only when no system or member process in it lives.
#include "internal.hpp"

#include <zplex/sysplex/text.hpp>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <ostream>
#include <sys/mman.h>
#include <sys/stat.h>

namespace zplex::xcf {

using namespace detail;

namespace {

constexpr const char* shm_dir = "/dev/shm/";

bool name_chars(std::string_view s, std::size_t max, bool dash) {
    if (s.empty() || s.size() > max) {
        return false;
    }
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        bool ok = std::isalnum(c) || c == '@' || c == '#' || c == '$' || (dash && (c == '_' || c == '-'));
        if (!ok) {
            return false;
        }
    }
    return true;
}

}  // namespace

bool valid_sysplex_name(std::string_view s) { return name_chars(s, 16, true); }
bool valid_system_name(std::string_view s) { return name_chars(s, 8, false); }
bool valid_group_name(std::string_view s) { return name_chars(s, 8, false); }
bool valid_member_name(std::string_view s) { return name_chars(s, 16, true); }

std::string dataset_name(const sysplex_options& o) {
    std::uint8_t fp[8];
    derive(o.key, "zplex xcf couple dataset name",
           std::span(reinterpret_cast<const std::uint8_t*>(o.sysplex.data()), o.sysplex.size()), fp);
    return "zplex." + o.sysplex + ".XCF." + sysplex::hex(std::span<const std::uint8_t>(fp, 8));
}

namespace detail {

std::int64_t monotonic_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

mapping::~mapping() {
    if (_c) {
        ::munmap(_c, _size);
    }
}

void post_event(cds& c, group_event::kind k, const member_slot& m, const std::string& sysname) {
    auto seq = c.event_seq.load();
    auto& e = c.events[seq % max_events];
    e.seq = seq;
    e.kind = static_cast<std::uint32_t>(k);
    std::memcpy(e.group, m.group, sizeof e.group);
    std::memcpy(e.member, m.name, sizeof e.member);
    set_field(e.system, sysname);
    c.event_seq.store(seq + 1, std::memory_order_release);
}

bool anyone_alive(const cds& c, std::uint32_t except_system) {
    for (std::uint32_t i = 0; i < max_systems; ++i) {
        const auto& s = c.systems[i];
        if (i != except_system && s.state.load() != u32(sys_state::unused) && sysplex::process_alive(identity(s))) {
            return true;
        }
    }
    // A failed member (its system partitioned) keeps nothing alive, even while its
    // process, fenced, has not ended yet.
    for (const auto& m : c.members) {
        const auto st = m.state.load();
        if (st != u32(member_state::unused) && st != u32(member_state::failed) && m.system != except_system &&
            sysplex::process_alive(identity(m))) {
            return true;
        }
    }
    return false;
}

namespace {

/// Someone ever joined: slots are not all unused.
bool used(const cds& c) {
    for (const auto& s : c.systems) {
        if (s.state.load() != u32(sys_state::unused)) {
            return true;
        }
    }
    for (const auto& m : c.members) {
        if (m.state.load() != u32(member_state::unused)) {
            return true;
        }
    }
    return false;
}

/// A regular file of ours, for nobody else (0600): the only kind of dataset we map.
bool ours(int fd, off_t& size) {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
        return false;
    }
    size = st.st_size;
    return true;
}

cds* map_fd(int fd, int prot) {
    void* p = ::mmap(nullptr, sizeof(cds), prot, MAP_SHARED, fd, 0);
    return p == MAP_FAILED ? nullptr : static_cast<cds*>(p);
}

/// A complete, freshly formatted dataset in a file of its own; its path, or "" (and
/// nothing left behind) if /dev/shm has no room for it.
std::string format_new(const sysplex_options& o, const std::string& name, const std::uint8_t (&check)[16],
                       std::uint32_t first_incarnation) {
    std::uint32_t r = 0;
    RAND_bytes(reinterpret_cast<std::uint8_t*>(&r), sizeof r);
    std::string path = shm_dir + name + fmt::format(".new.{}.{:08x}", ::getpid(), r);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        return {};
    }
    // Reserve every page now: a full /dev/shm fails here, never as SIGBUS later.
    cds* c = nullptr;
    if (::fchmod(fd, 0600) != 0 || ::posix_fallocate(fd, 0, sizeof(cds)) != 0 || !(c = map_fd(fd, PROT_READ | PROT_WRITE))) {
        ::close(fd);
        ::unlink(path.c_str());
        return {};
    }
    ::close(fd);
    // The file reads as zeros: every atomic and slot starts as 0 (unused).
    set_field(c->sysplex, o.sysplex);
    std::memcpy(c->key_check, check, sizeof check);
    RAND_bytes(c->salt, sizeof c->salt);
    c->interval_ms = o.interval.count();
    sysplex::robust_mutex_init(c->mutex);
    c->next_incarnation.store(std::max<std::uint32_t>(1, first_incarnation));
    std::atomic_thread_fence(std::memory_order_seq_cst);
    c->magic = cds_magic;
    ::munmap(c, sizeof(cds));
    return path;
}

}  // namespace

void fail_members_of(cds& c, std::uint32_t s, const std::string& sysname) {
    for (auto& m : c.members) {
        auto st = m.state.load();
        if (m.system == s && st != u32(member_state::unused) && st != u32(member_state::failed)) {
            m.state.store(u32(member_state::failed));
            post_event(c, group_event::kind::failed, m, sysname);
        }
    }
}

result open_dataset(const sysplex_options& o, const std::string& name, std::unique_ptr<mapping>& out,
                    const std::function<result(cds&)>& join, bool create) {
    std::uint8_t check[16];
    derive(o.key, "zplex xcf key check", {}, check);
    const std::string path = shm_dir + name;
    for (int attempt = 0; attempt < 50; ++attempt) {
        int fd = ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            if (errno != ENOENT) {
                return fail(reason::no_dataset, rc::environment);  // a symlink, or not ours to open
            }
            if (!create) {
                return fail(reason::no_such_system);  // no sysplex: no system to attach to
            }
            auto tmp = format_new(o, name, check, 1);
            if (tmp.empty()) {
                return fail(reason::no_dataset, rc::environment);
            }
            // link() creates the name only if nobody did meanwhile: exactly one creator.
            int lr = ::link(tmp.c_str(), path.c_str());
            int le = errno;
            ::unlink(tmp.c_str());
            if (lr != 0 && le != EEXIST) {
                return fail(reason::no_dataset, rc::environment);
            }
            continue;
        }
        off_t size = 0;
        if (!ours(fd, size)) {
            ::close(fd);
            return fail(reason::no_dataset, rc::environment);  // never touch another user's file
        }
        cds* c = size == static_cast<off_t>(sizeof(cds)) ? map_fd(fd, PROT_READ | PROT_WRITE) : nullptr;
        ::close(fd);
        if (!c || c->magic != cds_magic) {
            // Ours, named after our key, but not a dataset of this layout (an older
            // build's): nothing can be using it with us. Replace it.
            if (c) {
                ::munmap(c, sizeof(cds));
            }
            if (!create) {
                return fail(reason::no_such_system);
            }
            auto tmp = format_new(o, name, check, 1);
            if (tmp.empty() || ::rename(tmp.c_str(), path.c_str()) != 0) {
                if (!tmp.empty()) {
                    ::unlink(tmp.c_str());
                }
                return fail(reason::no_dataset, rc::environment);
            }
            continue;
        }
        auto m = std::make_unique<mapping>(c, sizeof(cds));
        if (CRYPTO_memcmp(c->key_check, check, sizeof check) != 0) {
            return fail(reason::bad_key);  // the name matched, the key does not: not ours to join or format
        }
        result r;
        {
            cds_lock l(*c);
            if (c->retired.load() != 0) {
                // Re-formatted or being removed since we opened it: open the name again
                // once its last user has unlinked it.
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                continue;
            }
            if (!create && !anyone_alive(*c)) {
                return fail(reason::no_such_system);  // nobody lives in it: nothing to attach to
            }
            if (used(*c) && !anyone_alive(*c)) {
                // Every system and member in it is dead: a key holder starts it afresh.
                // Incarnations go on from where they were, so nonces never repeat.
                auto tmp = format_new(o, name, check, c->next_incarnation.load());
                if (tmp.empty() || ::rename(tmp.c_str(), path.c_str()) != 0) {
                    if (!tmp.empty()) {
                        ::unlink(tmp.c_str());
                    }
                    return fail(reason::no_dataset, rc::environment);
                }
                c->retired.store(1);
                continue;
            }
            r = join(*c);
        }
        if (r) {
            out = std::move(m);
        }
        return r;
    }
    return fail(reason::no_dataset, rc::environment);
}

bool other_dataset_in_use(const std::string& sysplex, const std::string& ours_name) {
    const std::string prefix = "zplex." + sysplex + ".XCF.";
    DIR* d = ::opendir(shm_dir);
    if (!d) {
        return false;
    }
    bool found = false;
    while (auto* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n.size() != prefix.size() + 16 || n.rfind(prefix, 0) != 0 || n == ours_name) {
            continue;
        }
        int fd = ::open((shm_dir + n).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        off_t size = 0;
        cds* c = ours(fd, size) && size == static_cast<off_t>(sizeof(cds)) ? map_fd(fd, PROT_READ) : nullptr;
        ::close(fd);
        if (c) {
            found = found || (c->magic == cds_magic && c->retired.load() == 0 && anyone_alive(*c));
            ::munmap(c, sizeof(cds));
        }
    }
    ::closedir(d);
    return found;
}

}  // namespace detail

int sweep_datasets(std::ostream& log, sweep_report& r) {
    r = {};
    DIR* d = ::opendir(shm_dir);
    if (!d) {
        log << "IXC472E /dev/shm CANNOT BE READ: " << std::strerror(errno) << "\n";
        return 12;
    }
    std::vector<std::string> names;
    while (auto* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n.rfind("zplex.", 0) == 0 && n.find(".XCF.") != std::string::npos) {
            names.push_back(n);
        }
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
        const std::string path = shm_dir + n;
        if (auto at = n.find(".new."); at != std::string::npos) {
            // An unfinished format: its creator's PID follows ".new.".
            int pid = std::atoi(n.c_str() + at + 5);
            if (!sysplex::process_alive(pid)) {
                if (::unlink(path.c_str()) == 0) {
                    ++r.removed;
                    log << "IXC471I UNFINISHED COUPLE DATASET " << n << " REMOVED\n";
                } else {
                    ++r.failed;
                }
            }
            continue;
        }
        int fd = ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        off_t size = 0;
        if (fd < 0 || !ours(fd, size)) {
            if (fd >= 0) {
                ::close(fd);
            }
            ++r.foreign;
            log << "IXC473W COUPLE DATASET " << n << " IS NOT THE CALLER'S: LEFT ALONE\n";
            continue;
        }
        cds* c = size == static_cast<off_t>(sizeof(cds)) ? map_fd(fd, PROT_READ | PROT_WRITE) : nullptr;
        ::close(fd);
        bool remove = false;
        if (!c || c->magic != cds_magic) {
            remove = true;  // not a dataset of this build: nobody can be using it with us
        } else {
            cds_lock l(*c);
            if (c->retired.load() != 0 || !anyone_alive(*c)) {
                c->retired.store(1);
                remove = true;
            }
        }
        if (c) {
            ::munmap(c, sizeof(cds));
        }
        if (!remove) {
            ++r.in_use;
            log << "IXC474I COUPLE DATASET " << n << " IS IN USE: KEPT\n";
        } else if (::unlink(path.c_str()) == 0 || errno == ENOENT) {
            ++r.removed;
            log << "IXC471I COUPLE DATASET " << n << " OF A DEAD RUN REMOVED\n";
        } else {
            ++r.failed;
            log << "IXC473E COUPLE DATASET " << n << " CANNOT BE REMOVED: " << std::strerror(errno) << "\n";
        }
    }
    return r.failed > 0 ? 8 : r.foreign > 0 ? 4 : 0;
}

}  // namespace zplex::xcf
