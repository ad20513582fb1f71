// SPDX-License-Identifier: Apache-2.0
// Debug lines on spdlog: one logger, standard error or an owner-only file.
#include <zplex/sysplex/log.hpp>
#include <zplex/sysplex/text.hpp>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>

namespace zplex::log {
namespace detail {
std::array<std::atomic<std::uint8_t>, subsys_count> levels{};
}  // namespace detail

namespace {

constexpr std::array<std::string_view, subsys_count> names = {
    "CF", "XCF", "IKE", "ESP", "POLICY", "HOST", "STACK", "SD", "SWSA", "IMAGE", "CLI"};
constexpr std::array<std::string_view, 5> level_names = {"off", "control", "detail", "packet", "raw"};

// Writes whole lines to a file descriptor this sink owns.
class fd_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit fd_sink(int fd) : _fd(fd) {}
    ~fd_sink() override { ::close(_fd); }
    fd_sink(const fd_sink&) = delete;
    fd_sink& operator=(const fd_sink&) = delete;

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t buf;
        formatter_->format(msg, buf);
        const char* p = buf.data();
        std::size_t left = buf.size();
        while (left > 0) {
            ssize_t n = ::write(_fd, p, left);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return;  // a full disk loses debug lines, never the program
            }
            p += n;
            left -= static_cast<std::size_t>(n);
        }
    }
    void flush_() override {}

private:
    int _fd;
};

std::mutex logger_mutex;
std::shared_ptr<spdlog::logger> current;

std::shared_ptr<spdlog::logger> make(spdlog::sink_ptr sink) {
    auto l = std::make_shared<spdlog::logger>("zplex", std::move(sink));
    l->set_pattern("%Y-%m-%d %H.%M.%S.%e %v");
    l->set_level(spdlog::level::trace);
    l->flush_on(spdlog::level::trace);
    return l;
}

std::shared_ptr<spdlog::logger> logger() {
    std::lock_guard lock(logger_mutex);
    if (!current) {
        current = make(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    }
    return current;
}


}  // namespace

std::string_view name(subsys s) noexcept {
    auto i = static_cast<std::size_t>(s);
    return i < names.size() ? names[i] : "?";
}

void set_level(subsys s, level l) noexcept {
    detail::levels[static_cast<std::size_t>(s)].store(static_cast<std::uint8_t>(l), std::memory_order_relaxed);
}

level get_level(subsys s) noexcept {
    return static_cast<level>(detail::levels[static_cast<std::size_t>(s)].load(std::memory_order_relaxed));
}

std::string configure(std::string_view spec) {
    std::array<int, subsys_count> wanted;
    wanted.fill(-1);
    if (spec.empty()) {
        return "EMPTY DEBUG SPECIFICATION: EXPECTED SUBSYS=LEVEL";
    }
    while (!spec.empty()) {
        auto comma = spec.find(',');
        std::string_view item = spec.substr(0, comma);
        spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
        auto eq = item.find('=');
        if (eq == std::string_view::npos || eq == 0 || eq + 1 == item.size()) {
            return fmt::format("'{}' IS NOT SUBSYS=LEVEL", item.substr(0, 40));
        }
        std::string_view who = item.substr(0, eq);
        std::string_view what = item.substr(eq + 1);
        int lv = -1;
        if (what.size() == 1 && what[0] >= '0' && what[0] <= '4') {
            lv = what[0] - '0';
        } else {
            for (std::size_t i = 0; i < level_names.size(); ++i) {
                if (sysplex::iequal(what, level_names[i])) {
                    lv = static_cast<int>(i);
                }
            }
        }
        if (lv < 0) {
            return fmt::format("LEVEL '{}' FOR {} IS NOT 0-4 OR OFF, CONTROL, DETAIL, PACKET, RAW",
                               what.substr(0, 20), who.substr(0, 20));
        }
        bool found = false;
        for (std::size_t i = 0; i < names.size(); ++i) {
            if (sysplex::iequal(who, "ALL") || sysplex::iequal(who, names[i])) {
                wanted[i] = lv;
                found = true;
            }
        }
        if (!found) {
            return fmt::format("SUBSYSTEM '{}' IS NOT ALL, CF, XCF, IKE, ESP, POLICY, HOST, STACK, SD, SWSA, IMAGE OR CLI",
                               who.substr(0, 20));
        }
    }
    for (std::size_t i = 0; i < wanted.size(); ++i) {
        if (wanted[i] >= 0) {
            set_level(static_cast<subsys>(i), static_cast<level>(wanted[i]));
        }
    }
    return {};
}

std::string to_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        return fmt::format("CANNOT OPEN DEBUG FILE {}: {}", path,
                           errno == ELOOP ? "IT IS A SYMBOLIC LINK" : std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) {
        ::close(fd);
        return fmt::format("DEBUG FILE {} IS NOT A REGULAR FILE OWNED BY THIS USER", path);
    }
    if ((st.st_mode & 0077) != 0 && ::fchmod(fd, 0600) != 0) {
        ::close(fd);
        return fmt::format("CANNOT MAKE DEBUG FILE {} OWNER-ONLY: {}", path, std::strerror(errno));
    }
    auto l = make(std::make_shared<fd_sink>(fd));
    std::lock_guard lock(logger_mutex);
    current = std::move(l);
    return {};
}

void to_stderr() {
    auto l = make(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    std::lock_guard lock(logger_mutex);
    current = std::move(l);
}

namespace detail {
void write(subsys s, level l, std::string_view text) noexcept {
    try {
        logger()->info("{:<6} {} {}", name(s), static_cast<int>(l), text);
    } catch (...) {
    }
}
}  // namespace detail

}  // namespace zplex::log
