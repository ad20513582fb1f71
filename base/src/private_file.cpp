// SPDX-License-Identifier: Apache-2.0
#include <zplex/sysplex/private_file.hpp>
#include <zplex/sysplex/text.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace zplex::sysplex {

int open_private_file(const std::string& path, std::string& why) {
    // No O_TRUNC here: another user's file is refused before anything of it changes.
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
    if (fd < 0) {
        why = errno == ELOOP ? "IT IS A SYMBOLIC LINK" : upper(std::strerror(errno));
        return -1;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) {
        ::close(fd);
        why = "IT IS NOT A REGULAR FILE OWNED BY THIS USER";
        return -1;
    }
    if (((st.st_mode & 07777) != 0600 && ::fchmod(fd, 0600) != 0) || ::ftruncate(fd, 0) != 0) {
        why = upper(std::strerror(errno));
        ::close(fd);
        return -1;
    }
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return fd;
}

}  // namespace zplex::sysplex
