// SPDX-License-Identifier: Apache-2.0
// The image kernel's TCP sockets through netlink sock_diag (NETLINK_SOCK_DIAG,
// inet_diag): the listeners the stack feeds to its core (VIPARANGE binds, a target's
// ready count) and the connections of NETSTAT CONN/ALLCONN. The reply parser takes the
// kernel's bytes as outside input: every length is checked, nothing is read unaligned
// or past the end, and a malformed message ends the parse with a reason
// (tests/fuzz/tcpip/fuzz_sock_diag.cpp).
#pragma once

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace zplex::tcpip::daemon::sock_diag {

/// One IPv4 TCP socket of the image's kernel. Addresses host order; state the kernel's
/// TCP state number (TCP_ESTABLISHED 1 ... TCP_LISTEN 10, TCP_CLOSING 11).
struct tcp_sock {
    std::uint8_t state = 0;
    std::uint32_t local_ip = 0, remote_ip = 0;
    std::uint16_t local_port = 0, remote_port = 0;
    std::uint32_t uid = 0, inode = 0;
    std::uint64_t cookie = 0;
    std::uint32_t rqueue = 0, wqueue = 0;
};

enum class outcome : std::uint8_t {
    more,       ///< every message was good; the dump goes on in the next datagram
    done,       ///< NLMSG_DONE seen
    error,      ///< NLMSG_ERROR from the kernel (errno in parse_result::error)
    malformed,  ///< a length or a field that cannot be right (parse_result::why)
};

struct parse_result {
    outcome what = outcome::more;
    int error = 0;
    const char* why = "";
};

constexpr std::uint32_t all_states = 0xFFF;  // TCP_ESTABLISHED .. TCP_NEW_SYN_RECV
constexpr std::uint32_t listen_only = 1u << 10;  // TCP_LISTEN

/// Parse one datagram of a SOCK_DIAG_BY_FAMILY dump; IPv4 TCP sockets are appended to
/// @p out. Messages of another sequence number than @p seq are malformed.
inline parse_result parse(const std::uint8_t* data, std::size_t len, std::uint32_t seq, std::vector<tcp_sock>& out) {
    parse_result r;
    std::size_t at = 0;
    while (at < len) {
        if (len - at < sizeof(nlmsghdr)) return {outcome::malformed, 0, "TRUNCATED NETLINK HEADER"};
        nlmsghdr h;
        std::memcpy(&h, data + at, sizeof h);
        if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > len - at)
            return {outcome::malformed, 0, "NETLINK MESSAGE LENGTH OUT OF RANGE"};
        if (h.nlmsg_seq != seq) return {outcome::malformed, 0, "NETLINK SEQUENCE NUMBER NOT OURS"};
        const std::uint8_t* p = data + at + sizeof(nlmsghdr);
        std::size_t plen = h.nlmsg_len - sizeof(nlmsghdr);
        if (h.nlmsg_type == NLMSG_DONE) return {outcome::done, 0, ""};
        if (h.nlmsg_type == NLMSG_ERROR) {
            if (plen < sizeof(int)) return {outcome::malformed, 0, "TRUNCATED NETLINK ERROR"};
            int e;
            std::memcpy(&e, p, sizeof e);
            if (e == 0) return {outcome::done, 0, ""};  // an acknowledgement
            return {outcome::error, e < 0 ? -e : e, "THE KERNEL REFUSED THE DUMP"};
        }
        if (h.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
            if (plen < sizeof(inet_diag_msg)) return {outcome::malformed, 0, "TRUNCATED INET_DIAG MESSAGE"};
            inet_diag_msg m;
            std::memcpy(&m, p, sizeof m);
            if (m.idiag_family == AF_INET) {
                if (m.idiag_state == 0 || m.idiag_state > 12) return {outcome::malformed, 0, "TCP STATE OUT OF RANGE"};
                tcp_sock s;
                s.state = m.idiag_state;
                s.local_port = ntohs(m.id.idiag_sport);
                s.remote_port = ntohs(m.id.idiag_dport);
                s.local_ip = ntohl(m.id.idiag_src[0]);
                s.remote_ip = ntohl(m.id.idiag_dst[0]);
                s.uid = m.idiag_uid;
                s.inode = m.idiag_inode;
                s.cookie = (std::uint64_t{m.id.idiag_cookie[1]} << 32) | m.id.idiag_cookie[0];
                s.rqueue = m.idiag_rqueue;
                s.wqueue = m.idiag_wqueue;
                out.push_back(s);
            } else if (m.idiag_family != AF_INET6) {
                return {outcome::malformed, 0, "ADDRESS FAMILY NOT INET"};
            }
        } else if (h.nlmsg_type >= NLMSG_MIN_TYPE) {
            return {outcome::malformed, 0, "NETLINK MESSAGE TYPE NOT SOCK_DIAG"};
        }
        std::size_t step = NLMSG_ALIGN(h.nlmsg_len);
        if (step > len - at) step = len - at;  // the last message need not be padded
        at += step;
    }
    return r;
}

/// A NETLINK_SOCK_DIAG socket in the namespace of the calling thread.
class socket {
public:
    socket() {
        _fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        timeval tv{1, 0};  // a dump never waits longer for the kernel
        if (_fd >= 0) ::setsockopt(_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~socket() {
        if (_fd >= 0) ::close(_fd);
    }
    socket(const socket&) = delete;
    socket& operator=(const socket&) = delete;
    bool valid() const noexcept { return _fd >= 0; }

    /// Dump the IPv4 TCP sockets whose state is in @p states (a bit per TCP state).
    /// False with @p why on failure (the socket list is then incomplete).
    bool dump(std::uint32_t states, std::vector<tcp_sock>& out, std::string& why) {
        out.clear();
        if (_fd < 0) {
            why = "NO NETLINK SOCK_DIAG SOCKET";
            return false;
        }
        struct {
            nlmsghdr h;
            inet_diag_req_v2 r;
        } req{};
        req.h.nlmsg_len = sizeof req;
        req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
        req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        req.h.nlmsg_seq = ++_seq;
        req.r.sdiag_family = AF_INET;
        req.r.sdiag_protocol = IPPROTO_TCP;
        req.r.idiag_states = states;
        sockaddr_nl k{};
        k.nl_family = AF_NETLINK;
        if (::sendto(_fd, &req, sizeof req, 0, reinterpret_cast<sockaddr*>(&k), sizeof k) < 0) {
            why = std::string("SEND: ") + std::strerror(errno);
            return false;
        }
        for (int datagrams = 0; datagrams < 100000; ++datagrams) {
            ssize_t n = ::recv(_fd, _buf, sizeof _buf, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                why = std::string("RECEIVE: ") + (n < 0 ? std::strerror(errno) : "END OF FILE");
                return false;
            }
            auto r = parse(_buf, static_cast<std::size_t>(n), _seq, out);
            if (r.what == outcome::done) return true;
            if (r.what == outcome::error) {
                why = std::string(r.why) + ": " + std::strerror(r.error);
                return false;
            }
            if (r.what == outcome::malformed) {
                why = r.why;
                drain();
                return false;
            }
        }
        why = "DUMP DID NOT END";
        return false;
    }

private:
    /// Throw away what is left of a dump we gave up on, so the next one starts clean.
    void drain() {
        while (::recv(_fd, _buf, sizeof _buf, MSG_DONTWAIT) > 0) {
        }
    }
    int _fd = -1;
    std::uint32_t _seq = 0;
    alignas(nlmsghdr) std::uint8_t _buf[32768];
};

}  // namespace zplex::tcpip::daemon::sock_diag
