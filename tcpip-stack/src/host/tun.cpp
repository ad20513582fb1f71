// SPDX-License-Identifier: Apache-2.0
// TUN creation (TUNSETIFF), MTU and link up (SIOCSIFMTU/SIOCSIFFLAGS), UDP sockets.
#include "tun.hpp"
#include <zplex/sysplex/ipv4.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

namespace zplex::host::detail {

namespace {

[[noreturn]] void fail(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

/// Closes the fd unless released.
struct fd_guard {
    int fd;
    ~fd_guard() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
    int release() {
        int f = fd;
        fd = -1;
        return f;
    }
};

}  // namespace

int open_tun(const std::string& name, unsigned mtu, bool disable_ipv6) {
    if (name.empty() || name.size() >= IFNAMSIZ) {
        errno = EINVAL;
        fail("TUN name '" + name + "'");
    }
    fd_guard t{::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)};
    if (t.fd < 0) {
        fail("open /dev/net/tun");
    }
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    if (::ioctl(t.fd, TUNSETIFF, &ifr) != 0) {
        fail("TUNSETIFF " + name);
    }
    fd_guard s{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
    if (s.fd < 0) {
        fail("socket");
    }
    ifreq req{};
    std::strncpy(req.ifr_name, name.c_str(), IFNAMSIZ - 1);
    if (disable_ipv6) {  // before it comes up: no link-local address, no solicitations
        std::ofstream("/proc/sys/net/ipv6/conf/" + name + "/disable_ipv6") << "1\n";
    }
    req.ifr_mtu = static_cast<int>(mtu);
    if (::ioctl(s.fd, SIOCSIFMTU, &req) != 0) {
        fail("SIOCSIFMTU " + name);
    }
    if (::ioctl(s.fd, SIOCGIFFLAGS, &req) != 0) {
        fail("SIOCGIFFLAGS " + name);
    }
    req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP | IFF_RUNNING);
    if (::ioctl(s.fd, SIOCSIFFLAGS, &req) != 0) {
        fail("SIOCSIFFLAGS " + name);
    }
    return t.release();
}

int open_udp(std::uint32_t addr, std::uint16_t port) {
    fd_guard s{::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
    if (s.fd < 0) {
        fail("socket");
    }
    int size = 4 << 20;
    // As root the FORCE variants pass net.core.[rw]mem_max; otherwise the plain ones cap.
    if (::setsockopt(s.fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
        ::setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    if (::setsockopt(s.fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0) {
        ::setsockopt(s.fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(addr);
    if (::bind(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        fail("bind UDP " + sysplex::ipv4_address{addr}.str() + ":" + std::to_string(port));
    }
    return s.release();
}

int open_raw(std::uint32_t addr, int protocol) {
    fd_guard s{::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol)};
    if (s.fd < 0) {
        fail("raw socket for IP protocol " + std::to_string(protocol));
    }
    int one = 1;
    if (::setsockopt(s.fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof one) != 0) {
        fail("IP_HDRINCL");
    }
    int size = 4 << 20;
    if (::setsockopt(s.fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
        ::setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(addr);
    if (::bind(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        fail("bind raw " + sysplex::ipv4_address{addr}.str());
    }
    return s.release();
}

}  // namespace zplex::host::detail
