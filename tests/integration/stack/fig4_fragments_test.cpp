// SPDX-License-Identifier: Apache-2.0
// FIG4 in one process: fragments the stacks must see whole (docs/stack.md "Fragments").
// A fragmented SYN with data and fragmented data to the distributed DVA1 reach one
// target, whole; fragmented pings to a home address and to a DVIPA are answered by the
// stack in fragments; a kept connection of a MOVING DVIPA is routed whole to the old holder;
// an incomplete ping to a DVIPA times out with ICMP time exceeded from the DVIPA.
#include "stack_sim.hpp"

#include <gtest/gtest.h>

#include <map>

using namespace zplex::test;
using zplex::tcpip::stack::drop;
using zplex::tcpip::stack::dvipa_status;

namespace {

const std::uint32_t dva1 = ip("198.18.2.1");

std::vector<std::uint8_t> with_id(std::vector<std::uint8_t> p, std::uint16_t id) {
    put16(p, 4, id);
    put16(p, 10, 0);
    put16(p, 10, csum(p.data(), 20));
    return p;
}

bool is_fragment(const std::vector<std::uint8_t>& p) { return (get16(p, 6) & 0x3FFF) != 0; }

/// The IPv4 datagrams @p h received from @p src, fragments joined by identification.
std::vector<std::vector<std::uint8_t>> datagrams_from(const sim_sysplex::host& h, std::uint32_t src) {
    std::map<std::uint16_t, std::map<std::size_t, std::vector<std::uint8_t>>> parts;
    std::vector<std::vector<std::uint8_t>> out;
    for (const auto& p : h.received) {
        if (get32(p, 12) != src) continue;
        if (!is_fragment(p)) {
            out.push_back(p);
            continue;
        }
        parts[get16(p, 4)][std::size_t{get16(p, 6) & 0x1FFFu} * 8] = p;
    }
    for (auto& [id, byoff] : parts) {
        std::vector<std::uint8_t> d(byoff.begin()->second.begin(), byoff.begin()->second.begin() + 20);
        for (auto& [off, f] : byoff) {
            if (off != d.size() - 20) break;  // a gap: incomplete
            d.insert(d.end(), f.begin() + 20, f.end());
        }
        put16(d, 2, static_cast<std::uint16_t>(d.size()));
        put16(d, 6, 0);
        out.push_back(d);
    }
    return out;
}

struct fragments_fixture {
    fig4 s;
    fragments_fixture() { s.start_fig4_quietly(); }
    sim_node& n(const char* sys) { return s.node(sys); }
    /// The nodes whose image got @p whole exactly as sent, and whether any image got a
    /// fragment of a TCP packet to DVA1.
    std::vector<std::string> got(const std::vector<std::uint8_t>& whole, bool& fragments) {
        std::vector<std::string> out;
        fragments = false;
        for (auto& x : s.nodes)
            for (const auto& p : x->app_in) {
                if (p.size() >= 20 && p[9] == 6 && get32(p, 16) == dva1 && is_fragment(p)) fragments = true;
                if (p.size() == whole.size() && std::equal(p.begin() + 20, p.end(), whole.begin() + 20) &&
                    get16(p, 4) == get16(whole, 4))
                    out.push_back(x->sysname);
            }
        return out;
    }
    std::uint64_t reasm_drops(const char* sys) {
        const auto& d = n(sys).s->drops();
        return d[drop::reasm_timeout] + d[drop::reasm_full] + d[drop::reasm_overlap] + d[drop::reasm_duplicate] +
               d[drop::reasm_bad] + d[drop::reasm_too_big];
    }
};

}  // namespace

TEST(Fig4Fragments, AFragmentedSynWithDataAndFragmentedDataReachOneTargetWhole) {
    fragments_fixture f;
    for (const char* sys : {"MVS1", "MVS2", "MVS4"}) {
        f.n(sys).s->listener_added(ipv4_address{dva1}, 60, "SERVER");
        f.s.pump();
    }
    auto& c = f.s.client(1);
    // Three connections (ROUNDROBIN: MVS1, MVS2, MVS4). Each SYN carries 2000 bytes of data
    // and comes in fragments, the first only 8 bytes long (the ports and sequence number:
    // the flags are in the next fragment), sent last-first.
    const char* order[] = {"MVS1", "MVS2", "MVS4"};
    for (std::uint16_t i = 0; i < 3; ++i) {
        auto port = static_cast<std::uint16_t>(42000 + i);
        auto syn = with_id(tcp_segment_sized(c.address, port, dva1, 60, SYN, 2000), static_cast<std::uint16_t>(0x500 + i));
        auto parts = fragments_cut(syn, {8, 1480});
        ASSERT_EQ(parts.size(), 3u);
        for (auto it = parts.rbegin(); it != parts.rend(); ++it) c.send(*it);
        f.s.pump();
        bool fragments = true;
        EXPECT_EQ(f.got(syn, fragments), (std::vector<std::string>{order[i]})) << "connection " << i;
        EXPECT_FALSE(fragments);
        auto& t = f.n(order[i]);
        t.s->app_packet(tcp_segment(dva1, 60, c.address, port, SYN | ACK));
        f.s.pump();
        c.send(tcp_segment(c.address, port, dva1, 60, ACK));
        f.s.pump();
        // 3000 bytes of data in three fragments, out of order, one of them twice.
        auto data = with_id(tcp_segment_sized(c.address, port, dva1, 60, ACK | PSH, 3000),
                            static_cast<std::uint16_t>(0x600 + i));
        auto pieces = fragments_of(data, 1480);
        ASSERT_EQ(pieces.size(), 3u);
        for (std::size_t k : {1u, 2u, 1u, 0u}) c.send(pieces[k]);
        f.s.pump();
        EXPECT_EQ(f.got(data, fragments), (std::vector<std::string>{order[i]})) << "connection " << i;
        EXPECT_FALSE(fragments);
    }
    // The distributor's routing table has the three, one per target.
    std::map<std::string, int> by_xcf;
    for (const auto& l : f.n("MVS1").cmd("NETSTAT VCRT"))
        if (l.rfind("  DestXCF:    ", 0) == 0) ++by_xcf[l.substr(14)];
    EXPECT_EQ(by_xcf, (std::map<std::string, int>{{"198.18.1.1", 1}, {"198.18.1.2", 1}, {"198.18.1.4", 1}}));
    EXPECT_EQ(f.n("MVS1").s->drops()[drop::reasm_duplicate], 3u);
    EXPECT_EQ(f.reasm_drops("MVS1"), 3u);
    for (const char* sys : {"MVS2", "MVS4"}) EXPECT_EQ(f.reasm_drops(sys), 0u) << sys;
    auto st = f.n("MVS1").cmd("NETSTAT STATS");
    EXPECT_NE(std::find(st.begin(), st.end(), "  Reassembly Successful    = 0000000006"), st.end());
}

TEST(Fig4Fragments, FragmentedPingsToAHomeAddressAndADvipaAreAnsweredByTheStack) {
    fragments_fixture f;
    auto& c = f.s.client(2);
    for (const char* to : {"198.18.0.12", "198.18.2.1"}) {  // MVS2's OSA, DVA1 on MVS1
        auto req = with_id(echo_request(c.address, ip(to), 9, 64, 4000), 0x700);
        for (const auto& x : fragments_of(req, 1480)) c.send(x);
        f.s.pump();
        auto replies = datagrams_from(c, ip(to));
        ASSERT_EQ(replies.size(), 1u) << to;
        const auto& r = replies[0];
        ASSERT_EQ(r.size(), req.size()) << to;
        EXPECT_EQ(r[20], 0);
        EXPECT_EQ(csum(r.data() + 20, r.size() - 20), 0);
        EXPECT_TRUE(std::equal(req.begin() + 24, req.end(), r.begin() + 24));
        c.received.clear();
        c.received_from.clear();
    }
    for (auto& x : f.s.nodes) EXPECT_TRUE(x->app_in.empty()) << x->sysname;  // no image saw the pings
}

TEST(Fig4Fragments, AKeptConnectionOfAMovingDvipaIsRoutedWholeToTheOldHolder) {
    fragments_fixture f;
    auto& c = f.s.client(1);
    f.s.kill("MVS1");
    auto& m2 = f.n("MVS2");
    m2.new_messages();
    // A connection to DVA1 port 61 (not distributed), served by MVS2 while it holds DVA1.
    c.send(tcp_segment(c.address, 40001, dva1, 61, SYN));
    f.s.pump();
    m2.s->app_packet(tcp_segment(dva1, 61, c.address, 40001, SYN | ACK));
    f.s.pump();
    c.send(tcp_segment(c.address, 40001, dva1, 61, ACK));
    f.s.pump();
    auto& m1 = f.s.start("MVS1");
    ASSERT_EQ(m2.dvipa("198.18.2.1")->status, dvipa_status::moving);
    // Its data in fragments reaches MVS1, which routes it over the XCF link whole.
    auto data = with_id(tcp_segment_sized(c.address, 40001, dva1, 61, ACK | PSH, 2500), 0x800);
    for (const auto& x : fragments_of(data, 1480)) c.send(x);
    f.s.pump();
    int whole = 0;
    for (const auto& p : m2.app_in)
        if (p == data) ++whole;
    EXPECT_EQ(whole, 1);
    for (const auto& p : m1.app_in) EXPECT_FALSE(p.size() > 40 && get16(p, 20) == 40001);
    EXPECT_EQ(m1.dvipa("198.18.2.1")->connections, 0u);
    EXPECT_EQ(m2.dvipa("198.18.2.1")->connections, 1u);
}

TEST(Fig4Fragments, AnIncompletePingToADvipaTimesOutWithTimeExceededFromTheDvipa) {
    fragments_fixture f;
    auto& c = f.s.client(1);
    auto req = with_id(echo_request(c.address, dva1, 3, 64, 3000), 0x900);
    auto parts = fragments_of(req, 1480);
    c.send(parts[0]);
    c.send(parts[2]);  // the middle one is lost
    f.s.pump();
    f.s.advance(59'900);
    EXPECT_EQ(f.n("MVS1").s->drops()[drop::reasm_timeout], 0u);
    c.received.clear();
    f.s.advance(200);
    EXPECT_EQ(f.n("MVS1").s->drops()[drop::reasm_timeout], 1u);
    ASSERT_EQ(c.received.size(), 1u);
    const auto& r = c.received[0];
    EXPECT_EQ(r[9], 1);
    EXPECT_EQ(r[20], 11);  // time exceeded
    EXPECT_EQ(r[21], 1);   // fragment reassembly time exceeded
    EXPECT_EQ(get32(r, 12), dva1);  // from the address the datagram was sent to
    EXPECT_TRUE(std::equal(parts[0].begin(), parts[0].begin() + 28, r.begin() + 28));
    for (const char* sys : {"MVS2", "MVS3", "MVS4", "MVS5"}) EXPECT_EQ(f.reasm_drops(sys), 0u) << sys;
}
