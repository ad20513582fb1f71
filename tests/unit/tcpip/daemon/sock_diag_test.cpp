// SPDX-License-Identifier: Apache-2.0
// zplex-tcpip's netlink sock_diag reader: the parser on hand-made replies (every way a
// reply can be wrong), and a real dump of this process's namespace, which finds a
// listener and a connection this test opens.
#include "sock_diag.hpp"

#include <arpa/inet.h>
#include <linux/rtnetlink.h>

#include <gtest/gtest.h>

#include <algorithm>

namespace sd = zplex::tcpip::daemon::sock_diag;

namespace {

std::vector<std::uint8_t> message(std::uint16_t type, const std::vector<std::uint8_t>& payload, std::uint32_t seq = 7,
                                  std::uint32_t len_delta = 0) {
    nlmsghdr h{};
    h.nlmsg_len = static_cast<std::uint32_t>(sizeof h + payload.size()) + len_delta;
    h.nlmsg_type = type;
    h.nlmsg_seq = seq;
    std::vector<std::uint8_t> out(NLMSG_ALIGN(sizeof h + payload.size()));
    std::memcpy(out.data(), &h, sizeof h);
    std::copy(payload.begin(), payload.end(), out.begin() + sizeof h);
    return out;
}

std::vector<std::uint8_t> diag(std::uint8_t family, std::uint8_t state, const char* src, std::uint16_t sport,
                               const char* dst, std::uint16_t dport, std::uint32_t inode) {
    inet_diag_msg m{};
    m.idiag_family = family;
    m.idiag_state = state;
    m.id.idiag_sport = htons(sport);
    m.id.idiag_dport = htons(dport);
    ::inet_pton(AF_INET, src, &m.id.idiag_src[0]);
    ::inet_pton(AF_INET, dst, &m.id.idiag_dst[0]);
    m.id.idiag_cookie[0] = 0x1234;
    m.idiag_inode = inode;
    m.idiag_uid = 1000;
    std::vector<std::uint8_t> out(sizeof m);
    std::memcpy(out.data(), &m, sizeof m);
    return out;
}

std::vector<std::uint8_t> cat(std::initializer_list<std::vector<std::uint8_t>> parts) {
    std::vector<std::uint8_t> out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

std::vector<std::uint8_t> errno_payload(int e) {
    std::vector<std::uint8_t> p(sizeof(nlmsgerr), 0);
    int v = -e;
    std::memcpy(p.data(), &v, sizeof v);
    return p;
}

}  // namespace

TEST(sock_diag, ParsesListenersAndConnectionsUntilDone) {
    auto d = cat({message(SOCK_DIAG_BY_FAMILY, diag(AF_INET, 10, "0.0.0.0", 60, "0.0.0.0", 0, 41)),
                  message(SOCK_DIAG_BY_FAMILY, diag(AF_INET6, 10, "0.0.0.0", 22, "0.0.0.0", 0, 42)),
                  message(SOCK_DIAG_BY_FAMILY, diag(AF_INET, 1, "198.18.2.1", 60, "198.18.0.101", 40000, 43)),
                  message(NLMSG_DONE, {0, 0, 0, 0})});
    std::vector<sd::tcp_sock> out;
    auto r = sd::parse(d.data(), d.size(), 7, out);
    EXPECT_EQ(r.what, sd::outcome::done);
    ASSERT_EQ(out.size(), 2u);  // the IPv6 socket is not the stack's
    EXPECT_EQ(out[0].state, 10);
    EXPECT_EQ(out[0].local_port, 60);
    EXPECT_EQ(out[0].inode, 41u);
    EXPECT_EQ(out[1].local_ip, 0xC6120201u);
    EXPECT_EQ(out[1].remote_ip, 0xC6120065u);
    EXPECT_EQ(out[1].remote_port, 40000);
    EXPECT_EQ(out[1].cookie, 0x1234u);
    EXPECT_EQ(out[1].uid, 1000u);
}

TEST(sock_diag, ADumpGoesOnOverSeveralDatagrams) {
    auto d = message(SOCK_DIAG_BY_FAMILY, diag(AF_INET, 10, "0.0.0.0", 60, "0.0.0.0", 0, 41));
    std::vector<sd::tcp_sock> out;
    EXPECT_EQ(sd::parse(d.data(), d.size(), 7, out).what, sd::outcome::more);
    EXPECT_EQ(out.size(), 1u);
    std::vector<std::uint8_t> none;
    EXPECT_EQ(sd::parse(none.data(), 0, 7, out).what, sd::outcome::more);
}

TEST(sock_diag, KernelErrorsAndAcknowledgements) {
    std::vector<sd::tcp_sock> out;
    auto e = message(NLMSG_ERROR, errno_payload(EPERM));
    auto r = sd::parse(e.data(), e.size(), 7, out);
    EXPECT_EQ(r.what, sd::outcome::error);
    EXPECT_EQ(r.error, EPERM);
    auto ack = message(NLMSG_ERROR, errno_payload(0));
    EXPECT_EQ(sd::parse(ack.data(), ack.size(), 7, out).what, sd::outcome::done);
}

TEST(sock_diag, MalformedRepliesSayWhy) {
    std::vector<sd::tcp_sock> out;
    auto good = message(SOCK_DIAG_BY_FAMILY, diag(AF_INET, 10, "0.0.0.0", 60, "0.0.0.0", 0, 41));
    struct bad_case {
        std::vector<std::uint8_t> bytes;
        std::string why;
    };
    std::vector<bad_case> cases = {
        {std::vector<std::uint8_t>(good.begin(), good.begin() + 10), "TRUNCATED NETLINK HEADER"},
        {std::vector<std::uint8_t>(good.begin(), good.end() - 4), "NETLINK MESSAGE LENGTH OUT OF RANGE"},
        {message(SOCK_DIAG_BY_FAMILY, {}, 7, 0), "TRUNCATED INET_DIAG MESSAGE"},
        {message(SOCK_DIAG_BY_FAMILY, diag(AF_INET, 10, "0.0.0.0", 60, "0.0.0.0", 0, 41), 8), "NETLINK SEQUENCE NUMBER NOT OURS"},
        {message(SOCK_DIAG_BY_FAMILY, diag(AF_INET, 0, "0.0.0.0", 60, "0.0.0.0", 0, 41)), "TCP STATE OUT OF RANGE"},
        {message(SOCK_DIAG_BY_FAMILY, diag(AF_INET, 13, "0.0.0.0", 60, "0.0.0.0", 0, 41)), "TCP STATE OUT OF RANGE"},
        {message(SOCK_DIAG_BY_FAMILY, diag(AF_UNIX, 10, "0.0.0.0", 60, "0.0.0.0", 0, 41)), "ADDRESS FAMILY NOT INET"},
        {message(static_cast<std::uint16_t>(RTM_NEWLINK), {1, 2, 3, 4}), "NETLINK MESSAGE TYPE NOT SOCK_DIAG"},
        {message(NLMSG_ERROR, {1, 2}), "TRUNCATED NETLINK ERROR"},
    };
    auto zero_len = good;
    std::memset(zero_len.data(), 0, 4);
    cases.push_back({zero_len, "NETLINK MESSAGE LENGTH OUT OF RANGE"});
    for (const auto& c : cases) {
        out.clear();
        auto r = sd::parse(c.bytes.data(), c.bytes.size(), 7, out);
        EXPECT_EQ(r.what, sd::outcome::malformed) << c.why;
        EXPECT_EQ(std::string(r.why), c.why);
    }
}

TEST(sock_diag, ARealDumpFindsAListenerAndItsConnection) {
    int l = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ASSERT_EQ(::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(l, 1), 0);
    socklen_t al = sizeof a;
    ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &al);
    std::uint16_t port = ntohs(a.sin_port);
    int c = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    sd::socket s;
    ASSERT_TRUE(s.valid());
    std::vector<sd::tcp_sock> socks;
    std::string why;
    ASSERT_TRUE(s.dump(sd::listen_only, socks, why)) << why;
    auto listening = std::count_if(socks.begin(), socks.end(), [&](const sd::tcp_sock& k) {
        return k.local_port == port && k.state == 10 && k.local_ip == 0x7F000001;
    });
    EXPECT_EQ(listening, 1);
    EXPECT_TRUE(std::all_of(socks.begin(), socks.end(), [](const sd::tcp_sock& k) { return k.state == 10; }));
    ASSERT_TRUE(s.dump(sd::all_states, socks, why)) << why;
    auto established = std::count_if(socks.begin(), socks.end(), [&](const sd::tcp_sock& k) {
        return k.state == 1 && (k.remote_port == port || k.local_port == port);
    });
    EXPECT_EQ(established, 2);  // both ends (the accept queue holds the server's)
    ::close(c);
    ::close(l);
    ASSERT_TRUE(s.dump(sd::listen_only, socks, why)) << why;
    EXPECT_TRUE(std::none_of(socks.begin(), socks.end(), [&](const sd::tcp_sock& k) { return k.local_port == port; }));
}
