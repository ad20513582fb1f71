// SPDX-License-Identifier: Apache-2.0
// zplex-tcpip for MVS1 in namespaces, with fragments (docs/stack.md "Fragments"). The
// client's kernel fragments a 4000-byte ping to the stack's home address and to its DVIPA:
// the stack reassembles it, answers it itself and fragments the reply to the OSA's MTU;
// the client's kernel reassembles the reply. A 6000-byte UDP datagram to a server on the
// DVIPA in the image namespace goes through as fragments both ways: the image's kernel
// reassembles it and fragments its answer (into the TUN's MTU).
#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>
#include <zplex/e2e/stack_plex.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace zplex::e2e {
namespace {

namespace fs = std::filesystem;

std::uint16_t icmp_checksum(const std::uint8_t* p, std::size_t n) {
    std::uint32_t sum = 0;
    for (; n > 1; n -= 2, p += 2) sum += static_cast<std::uint32_t>((p[0] << 8) | p[1]);
    if (n) sum += std::uint32_t{p[0]} << 8;
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

/// An ICMP echo of @p size data bytes from @p src to @p dst over a raw socket (the kernel
/// fragments it and reassembles the reply); up to 10 tries of 2 s. 0 when a reply with
/// the same data came; prints the reply's length.
int big_ping(const char* src, const char* dst, std::size_t size) {
    int s = ::socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (s < 0) return 2;
    sockaddr_in from = socket_address(src, 0), to = socket_address(dst, 0);
    if (::bind(s, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) return 3;
    std::vector<std::uint8_t> req(8 + size), buf(70000);
    for (std::size_t i = 0; i < size; ++i) req[8 + i] = static_cast<std::uint8_t>(i * 13 + 1);
    const std::uint16_t id = static_cast<std::uint16_t>(::getpid());
    for (std::uint16_t seq = 1; seq <= 10; ++seq) {
        req[0] = ICMP_ECHO;
        req[1] = 0;
        req[2] = req[3] = 0;
        req[4] = static_cast<std::uint8_t>(id >> 8);
        req[5] = static_cast<std::uint8_t>(id);
        req[6] = static_cast<std::uint8_t>(seq >> 8);
        req[7] = static_cast<std::uint8_t>(seq);
        std::uint16_t c = icmp_checksum(req.data(), req.size());
        req[2] = static_cast<std::uint8_t>(c >> 8);
        req[3] = static_cast<std::uint8_t>(c);
        if (::sendto(s, req.data(), req.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) return 4;
        pollfd pf{s, POLLIN, 0};
        while (::poll(&pf, 1, 2000) == 1) {
            ssize_t n = ::recv(s, buf.data(), buf.size(), 0);
            if (n < 20) continue;
            std::size_t hl = std::size_t{buf[0] & 0x0Fu} * 4;
            if (static_cast<std::size_t>(n) != hl + req.size() || buf[hl] != ICMP_ECHOREPLY ||
                std::memcmp(buf.data() + hl + 4, req.data() + 4, 4) != 0)
                continue;
            if (std::memcmp(buf.data() + hl + 8, req.data() + 8, size) != 0) return 5;
            std::printf("reply %zd\n", n);
            ::close(s);
            return 0;
        }
    }
    ::close(s);
    return 6;
}

/// A UDP server on addr:port sending back the first datagram it gets.
int udp_echo_server(const char* addr, int port) {
    int s = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a = socket_address(addr, static_cast<std::uint16_t>(port));
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return 3;
    pollfd pf{s, POLLIN, 0};
    if (::poll(&pf, 1, 30000) != 1) return 4;
    std::vector<char> buf(70000);
    sockaddr_in peer{};
    socklen_t pl = sizeof peer;
    ssize_t n = ::recvfrom(s, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&peer), &pl);
    if (n <= 0) return 5;
    (void)::sendto(s, buf.data(), static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&peer), pl);
    return 0;
}

/// @p size bytes to addr:port over UDP until the same come back (up to 10 tries of 2 s).
int udp_echo_client(const char* addr, int port, std::size_t size) {
    int s = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to = socket_address(addr, static_cast<std::uint16_t>(port));
    std::vector<char> out(size), in(70000);
    for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>('A' + i % 23);
    for (int t = 0; t < 10; ++t) {
        (void)::sendto(s, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
        pollfd pf{s, POLLIN, 0};
        if (::poll(&pf, 1, 2000) != 1) continue;
        ssize_t n = ::recv(s, in.data(), in.size(), 0);
        return n == static_cast<ssize_t>(size) && std::memcmp(in.data(), out.data(), size) == 0 ? 0 : 5;
    }
    return 6;
}

std::uint64_t stat_of(const std::string& stats, const std::string& label) {
    auto at = stats.find("  " + label);
    if (at == std::string::npos) return 0;
    auto eq = stats.find("= ", at);
    return eq == std::string::npos ? 0 : std::stoull(stats.substr(eq + 2, 10));
}

TEST(stack_fragments_e2e, big_pings_are_answered_by_the_stack_and_big_udp_reaches_the_image) {
    std::string why;
    if (!can_use_netns(&why)) GTEST_SKIP() << why;
    if (!fs::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun";
    sweep_stale_netns();
    stack_plex plex("frag");
    auto& image = plex.image("MVS1");
    auto& client = plex.client(1);
    auto stack = plex.start("MVS1");
    ASSERT_TRUE(plex.wait_display("MVS1", "NETSTAT VIPADYN", "  198.18.2.1      255.255.255.0   Active    VIPADefine"))
        << plex.log("MVS1");
    const std::string me = stack_plex::client_address(1);
    for (const char* to : {"198.18.0.11", "198.18.2.1"}) {
        auto r = child_process::spawn([=] { return big_ping(me.c_str(), to, 4000); }, client.name()).wait(40s);
        EXPECT_TRUE(r.ok()) << to << ": " << r.status << " " << r.out;
        EXPECT_EQ(r.out, "reply 4028\n") << to;
    }
    auto st = plex.control("MVS1", "NETSTAT STATS");
    EXPECT_GE(stat_of(st, "Reassembly Successful"), 2u) << st;
    EXPECT_GE(stat_of(st, "Datagrams Fragmented"), 2u) << st;
    EXPECT_GE(stat_of(st, "Fragments Created"), 6u) << st;
    EXPECT_EQ(st.find("REASM"), std::string::npos) << st;

    // UDP fragments are the image's: its kernel reassembles them (the stack does not count
    // them as reassembled) and fragments the answer.
    auto before = stat_of(st, "Reassembly Required");
    auto server = child_process::spawn([] { return udp_echo_server("198.18.2.1", 7001); }, image.name());
    auto cl = child_process::spawn([] { return udp_echo_client("198.18.2.1", 7001, 6000); }, client.name()).wait(40s);
    EXPECT_TRUE(cl.ok()) << cl.status << cl.out;
    EXPECT_TRUE(server.wait(10s).ok());
    st = plex.control("MVS1", "NETSTAT STATS");
    EXPECT_EQ(stat_of(st, "Reassembly Required"), before) << st;
    EXPECT_EQ(stack.terminate(5s).status, 0);
}

}  // namespace
}  // namespace zplex::e2e
