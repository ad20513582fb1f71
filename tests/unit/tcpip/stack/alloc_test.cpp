// SPDX-License-Identifier: Apache-2.0
// The packet path does not allocate: operator new is counted over thousands of frames,
// TUN packets and XCF link packets (echo, forwarding, ARP, TCP to a DVIPA, drops).
#include "dist_single.hpp"
#include "stack_sim.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

// The replacements below pair malloc with free; GCC cannot see that they match.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<bool> counting{false};
std::atomic<std::size_t> allocations{0};
}  // namespace

void* operator new(std::size_t n) {
    if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace zplex::test;
namespace tst = zplex::tcpip::stack;

namespace {
struct null_ports : tst::lan_port, tst::app_port, tst::xcf_link_port, tst::sysplex_port {
    std::size_t frames = 0, packets = 0;
    void send_frame(tst::bytes) noexcept override { ++frames; }
    void send_packet(tst::bytes) noexcept override { ++packets; }
    void send_packet(std::string_view, tst::bytes, tst::link_protection) noexcept override { ++packets; }
    void send(std::string_view, tst::bytes) override {}
    std::vector<std::string> members() const override { return {}; }
};

std::vector<std::uint8_t> eth(const tst::mac_address& dst, std::uint16_t type, const std::vector<std::uint8_t>& p) {
    std::vector<std::uint8_t> f(14 + p.size());
    std::copy(dst.begin(), dst.end(), f.begin());
    f[6] = 2;
    f[11] = 0x65;
    put16(f, 12, type);
    std::copy(p.begin(), p.end(), f.begin() + 14);
    return f;
}
}  // namespace

TEST(StackAlloc, PacketPathDoesNotAllocate) {
    zplex::tcpip::profile::parse_options o;
    zplex::tcpip::profile::message_log log;
    auto p = zplex::tcpip::profile::process_initial_text(
        "INTERFACE OSA1 DEFINE IPAQENET PORTNAME P1 IPADDR 198.18.0.11/24 MTU 1492\n"
        "BEGINROUTES\n ROUTE 198.18.0.0/24 = OSA1 MTU 1492\n ROUTE DEFAULT 198.18.0.1 OSA1 MTU 1492\nENDROUTES\n"
        "IPCONFIG DYNAMICXCF 198.18.1.1 255.255.255.0 1\n"
        "VIPADYNAMIC\n VIPADEFINE MOVEABLE IMMEDIATE 255.255.255.0 198.18.2.1\nENDVIPADYNAMIC\n"
        "START OSA1\n",
        "USER.P", o, log);
    sim_clock clock;
    null_ports io;
    tst::mac_address mac{2, 0, 0, 0, 0, 0x11};
    auto s = tst::stack::create(p, {"MVS1", "M1", "TCPIPA", "", mac}, {&io, &io, &io, &io, &clock});
    s->joined_group();
    ASSERT_EQ(s->dvipas()[0].status, tst::dvipa_status::active);

    // ARP replies from the client and the gateway, so output does not wait.
    auto arp_reply = [&](const char* from) {
        return eth(mac, 0x0806, arp_reply_packet(ip(from), ip("198.18.0.11")));
    };
    std::vector<std::vector<std::uint8_t>> frames = {
        eth(mac, 0x0800, echo_request(ip("198.18.0.101"), ip("198.18.0.11"), 1)),
        eth(mac, 0x0800, echo_request(ip("198.18.0.101"), ip("198.18.2.1"), 2)),
        eth(mac, 0x0800, echo_request(ip("198.18.0.101"), ip("203.0.113.5"), 3)),  // forwarded to the gateway
        eth(mac, 0x0800, echo_request(ip("198.18.0.101"), ip("203.0.113.5"), 4, 1)),  // time exceeded
        eth(mac, 0x0800, tcp_segment(ip("198.18.0.101"), 40001, ip("198.18.2.1"), 60, SYN)),
        eth(mac, 0x0800, tcp_segment(ip("198.18.0.101"), 40001, ip("198.18.2.1"), 60, RST)),
        eth(mac, 0x0800, echo_request(ip("198.18.0.101"), ip("198.18.0.77"), 5)),  // ARP, queued, retried
        eth({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 0x0806, std::vector<std::uint8_t>(28, 0)),
        std::vector<std::uint8_t>(7, 0),
    };
    // Fragments: a ping of 4000 bytes to the home address (reassembled, answered in
    // fragments), a SYN with data to the DVIPA, and a datagram whose end never comes.
    for (const auto& f : fragments_of(echo_request(ip("198.18.0.101"), ip("198.18.0.11"), 7, 64, 4000), 1480))
        frames.push_back(eth(mac, 0x0800, f));
    for (const auto& f : fragments_of(tcp_segment_sized(ip("198.18.0.101"), 40003, ip("198.18.2.1"), 60, SYN, 2000), 1480))
        frames.push_back(eth(mac, 0x0800, f));
    auto stuck = echo_request(ip("198.18.0.101"), ip("198.18.0.11"), 8, 64, 2000);
    put16(stuck, 4, 0x0BAD);
    put16(stuck, 10, 0);
    put16(stuck, 10, csum(stuck.data(), 20));
    frames.push_back(eth(mac, 0x0800, fragments_of(stuck, 1480)[0]));
    auto app = tcp_segment(ip("198.18.2.1"), 60, ip("198.18.0.101"), 40002, SYN | ACK);
    auto xcf = echo_request(ip("198.18.1.2"), ip("198.18.1.1"), 6);
    for (const char* a : {"198.18.0.101", "198.18.0.1"}) s->lan_frame(arp_reply(a));

    counting = true;
    for (int round = 0; round < 2000; ++round) {
        for (const auto& f : frames) s->lan_frame(f);
        s->app_packet(app);
        s->xcf_link_packet("MVS2TCPIPA", xcf);
    }
    counting = false;
    EXPECT_EQ(allocations.load(), 0u);
    EXPECT_GT(io.frames, 10000u);
    EXPECT_GT(s->drops()[tst::drop::frame_short], 1000u);
    EXPECT_GT(s->drops()[tst::drop::reasm_duplicate], 1000u);
    auto st = s->command("NETSTAT STATS");
    EXPECT_NE(std::find(st.begin(), st.end(), "  Reassembly Successful    = 0000004000"), st.end());
}

TEST(StackAlloc, DistributorPathDoesNotAllocate) {
    single_distributor d;
    ASSERT_EQ(d.s->dvipas()[0].status, tst::dvipa_status::active);
    // Frames prepared up front: new connections (SYN, ACK, data, RST) from many clients,
    // distributed packets for DVB1 in from MVS2 (this stack is its target) and the replies.
    std::vector<std::vector<std::uint8_t>> frames, inbound, replies;
    for (std::uint16_t k = 0; k < 64; ++k) {
        std::uint32_t client = ip("198.18.0.101");
        auto port = static_cast<std::uint16_t>(40000 + k);
        for (std::uint8_t f : {SYN, ACK, std::uint8_t(ACK | PSH), RST}) frames.push_back(d.client_segment(client, port, f));
        for (std::uint8_t f : {SYN, ACK, RST}) {
            auto inner = tcp_segment(client, port, ip("198.18.2.2"), 60, f);
            inbound.push_back(ipv4_packet(ip("198.18.1.2"), ip("198.18.1.1"), 4, inner));
        }
        replies.push_back(tcp_segment(ip("198.18.2.2"), 60, client, port, SYN | ACK));
    }
    auto plain = tcp_segment(ip("198.18.0.101"), 1, ip("198.18.2.2"), 60, SYN);  // not from the distributor
    counting = true;
    for (int round = 0; round < 200; ++round) {
        for (const auto& f : frames) d.s->lan_frame(f);
        for (std::size_t i = 0; i < inbound.size(); ++i) {
            d.s->xcf_link_packet("MVS2TCPIPA", inbound[i]);
            if (i % 3 == 0) d.s->app_packet(replies[i / 3]);
        }
        d.s->xcf_link_packet("MVS2TCPIPA", plain);
    }
    counting = false;
    EXPECT_EQ(allocations.load(), 0u);
    EXPECT_GT(d.io.link_packets, 10000u);   // distributed to MVS2 and MVS3
    EXPECT_GT(d.io.app_packets, 10000u);    // ours, and DVB1's from MVS2
    EXPECT_EQ(d.s->drops()[tst::drop::dist_plain], 200u);
    EXPECT_EQ(d.s->drops()[tst::drop::conn_table_full], 0u);
}
