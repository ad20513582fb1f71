// SPDX-License-Identifier: Apache-2.0
// Reading a policy file: only a regular file, bounded in size, so that a device
// (/dev/zero), a FIFO or a directory gets a clear message instead of a hang, unbounded
// memory or an "empty policy".
#include <zplex/policy/policy.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace zplex::policy {

namespace {

parse_result refused(const std::string& path, const std::string& why) {
    parse_result r;
    r.messages.push_back(message{"ZPX0800E", severity::error, "POLICY FILE " + path + " COULD NOT BE READ: " + why});
    return r;
}

}  // namespace

parse_result parse_file(const std::string& path) {
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0) {
        return refused(path, "IT DOES NOT EXIST OR IS NOT READABLE (" + std::string(std::strerror(errno)) + ")");
    }
    if (S_ISLNK(st.st_mode) && st.st_uid != ::geteuid() && st.st_uid != 0) {
        return refused(path, "IT IS A SYMBOLIC LINK OWNED BY ANOTHER USER");
    }
    // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat decides before any read.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        return refused(path, "IT DOES NOT EXIST OR IS NOT READABLE (" + std::string(std::strerror(errno)) + ")");
    }
    struct fd_guard {
        int fd;
        ~fd_guard() { ::close(fd); }
    } guard{fd};
    if (::fstat(fd, &st) != 0) {
        return refused(path, std::strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
        return refused(path, "IT IS A DIRECTORY, NOT A FILE");
    }
    if (!S_ISREG(st.st_mode)) {
        return refused(path, "IT IS NOT A REGULAR FILE (A DEVICE, FIFO OR SOCKET)");
    }
    const std::string too_big = "IT IS LARGER THAN " + std::to_string(max_policy_file_bytes) + " BYTES";
    if (static_cast<std::uint64_t>(st.st_size) > max_policy_file_bytes) {
        return refused(path, too_big);
    }
    std::string text;
    text.resize(static_cast<std::size_t>(st.st_size) + 1);
    std::size_t got = 0;
    for (;;) {
        if (got == text.size()) {
            if (text.size() > max_policy_file_bytes) {
                return refused(path, too_big);  // it grew while we read
            }
            text.resize(std::min(text.size() * 2 + 1, max_policy_file_bytes + 1));
        }
        ssize_t n = ::read(fd, text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return refused(path, std::strerror(errno));
        }
        if (n == 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    text.resize(got);
    return parse(text, path);
}

}  // namespace zplex::policy
