// SPDX-License-Identifier: Apache-2.0
// zplex-tcpip for MVS1 in namespaces, with fragments (docs/stack.md "Fragments"). The
// client's kernel fragments a 4000-byte ping to the stack's home address and to its DVIPA:
// the stack reassembles it, answers it itself and fragments the reply to the OSA's MTU;
// the client's kernel reassembles the reply. A 6000-byte UDP datagram to a server on the
// DVIPA in the image namespace goes through as fragments both ways: the image's kernel
// reassembles it and fragments its answer (into the TUN's MTU). A SYN with data in
// fragments to the distributed DVA1 reaches each target whole (MVS2's through the XCF link).
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

void put16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}

/// A SYN carrying @p data_len bytes from src:sport to dst:dport, sent as IPv4 fragments
/// built here (a raw socket with IP_HDRINCL: the kernel sends them as they are), the
/// first with only 8 bytes of TCP (the ports and sequence number). Waits for the SYN-ACK
/// (a raw TCP socket sees it; our kernel then resets the connection it does not know);
/// up to 10 tries of 2 s. 0 when it came.
int fragmented_syn(const char* src, std::uint16_t sport, const char* dst, std::uint16_t dport, std::size_t data_len) {
    int out = ::socket(AF_INET, SOCK_RAW, IPPROTO_RAW), in = ::socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
    if (out < 0 || in < 0) return 2;
    in_addr sa{}, da{};
    ::inet_pton(AF_INET, src, &sa);
    ::inet_pton(AF_INET, dst, &da);
    std::vector<std::uint8_t> tcp(20 + data_len, 0);
    put16(tcp.data(), sport);
    put16(tcp.data() + 2, dport);
    tcp[4] = 0x12;  // sequence number 0x12345678
    tcp[5] = 0x34;
    tcp[6] = 0x56;
    tcp[7] = 0x78;
    tcp[12] = 0x50;
    tcp[13] = 0x02;  // SYN
    put16(tcp.data() + 14, 64240);
    for (std::size_t i = 0; i < data_len; ++i) tcp[20 + i] = static_cast<std::uint8_t>('a' + i % 26);
    std::vector<std::uint8_t> pseudo(12);
    std::memcpy(pseudo.data(), &sa, 4);
    std::memcpy(pseudo.data() + 4, &da, 4);
    pseudo[9] = IPPROTO_TCP;
    put16(pseudo.data() + 10, static_cast<std::uint16_t>(tcp.size()));
    pseudo.insert(pseudo.end(), tcp.begin(), tcp.end());
    put16(tcp.data() + 16, icmp_checksum(pseudo.data(), pseudo.size()));
    const std::uint16_t id = static_cast<std::uint16_t>(::getpid() ^ sport);
    sockaddr_in to = socket_address(dst, 0);
    std::vector<std::uint8_t> buf(70000);
    for (int attempt = 0; attempt < 10; ++attempt) {
        for (std::size_t off = 0; off < tcp.size();) {
            std::size_t n = off == 0 ? 8 : std::min<std::size_t>(1480, tcp.size() - off);
            std::vector<std::uint8_t> f(20 + n, 0);
            f[0] = 0x45;
            put16(f.data() + 2, static_cast<std::uint16_t>(f.size()));
            put16(f.data() + 4, id);
            put16(f.data() + 6, static_cast<std::uint16_t>((off + n < tcp.size() ? 0x2000 : 0) | (off / 8)));
            f[8] = 64;
            f[9] = IPPROTO_TCP;
            std::memcpy(f.data() + 12, &sa, 4);
            std::memcpy(f.data() + 16, &da, 4);
            put16(f.data() + 10, icmp_checksum(f.data(), 20));
            std::memcpy(f.data() + 20, tcp.data() + off, n);
            if (::sendto(out, f.data(), f.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) return 3;
            off += n;
        }
        pollfd pf{in, POLLIN, 0};
        while (::poll(&pf, 1, 2000) == 1) {
            ssize_t n = ::recv(in, buf.data(), buf.size(), 0);
            if (n < 40) continue;
            std::size_t hl = std::size_t{buf[0] & 0x0Fu} * 4;
            const std::uint8_t* t = buf.data() + hl;
            if (std::memcmp(buf.data() + 12, &da, 4) != 0 || ((t[0] << 8) | t[1]) != dport ||
                ((t[2] << 8) | t[3]) != sport)
                continue;
            if ((t[13] & 0x12) != 0x12) return 4;  // a reset: the SYN came, but not as a SYN
            // Its acknowledgement number is our sequence number + 1: the SYN arrived whole.
            std::uint32_t ack = (std::uint32_t{t[8]} << 24) | (std::uint32_t{t[9]} << 16) | (t[10] << 8) | t[11];
            std::printf("syn-ack %08x\n", ack);
            return ack == 0x12345679u ? 0 : 5;
        }
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

namespace zplex::e2e {
namespace {

TEST(stack_fragments_e2e, a_fragmented_syn_to_the_distributed_dvipa_reaches_each_target_whole) {
    std::string why;
    if (!can_use_netns(&why)) GTEST_SKIP() << why;
    if (!fs::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun";
    sweep_stale_netns();
    stack_plex plex("fragsd");
    auto& client = plex.client(1);
    // DVA1's servers: zplex-app in MVS1's and MVS2's images (port 60), MVS1 distributing.
    auto app1 = plex.app("MVS1");
    auto app2 = plex.app("MVS2");
    auto p1 = plex.start("MVS1");
    ASSERT_TRUE(plex.wait_log("MVS1", "EZD1214I")) << plex.log("MVS1");
    auto p2 = plex.start("MVS2");
    ASSERT_TRUE(plex.wait_log("MVS2", "EZD1214I")) << plex.log("MVS2");
    for (const char* xcf : {"198.18.1.1", "198.18.1.2"})
        ASSERT_TRUE(plex.wait_display("MVS1", "NETSTAT VDPT",
                                      std::string("  DestXCF:    ") + xcf + "\n  TotalConn:  0000000000  Rdy: 001"))
            << plex.control("MVS1", "NETSTAT VDPT");
    // Two SYNs of 2000 data bytes each, in three fragments: ROUNDROBIN gives one to MVS1's
    // image and one, reassembled by MVS1 and sent whole over the XCF link, to MVS2's (whose
    // TUN takes the 2040-byte packet although its MTU is 1492).
    const std::string me = stack_plex::client_address(1);
    for (std::uint16_t port : {45001, 45002}) {
        auto r = child_process::spawn([=] { return fragmented_syn(me.c_str(), port, "198.18.2.1", 60, 2000); },
                                      client.name())
                     .wait(40s);
        EXPECT_TRUE(r.ok()) << port << ": " << r.status << " " << r.out;
    }
    auto vdpt = plex.control("MVS1", "NETSTAT VDPT");
    for (const char* xcf : {"198.18.1.1", "198.18.1.2"})
        EXPECT_NE(vdpt.find(std::string("  DestXCF:    ") + xcf + "\n  TotalConn:  0000000001"), std::string::npos)
            << vdpt;
    auto st = plex.control("MVS1", "NETSTAT STATS");
    EXPECT_GE(stat_of(st, "Reassembly Successful"), 2u) << st;
    EXPECT_EQ(st.find("REASM"), std::string::npos) << st;
    EXPECT_EQ(p2.terminate(5s).status, 0);
    EXPECT_EQ(p1.terminate(5s).status, 0);
}

}  // namespace
}  // namespace zplex::e2e
