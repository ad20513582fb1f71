// SPDX-License-Identifier: Apache-2.0
// The stack core alone, with recording ports: ARP, ICMP errors, MTU, drops by reason,
// fragments (reassembly where the stack answers, the timeout, fragmentation on output).
#include "stack_sim.hpp"

#include <gtest/gtest.h>

using namespace zplex::test;
namespace tst = zplex::tcpip::stack;
using tst::drop;

namespace {

struct recorder : tst::lan_port, tst::app_port, tst::xcf_link_port, tst::sysplex_port {
    std::vector<std::vector<std::uint8_t>> frames, app, links, control;
    std::vector<tst::link_protection> link_how;  ///< of each of links
    void send_frame(tst::bytes f) noexcept override { frames.emplace_back(f.begin(), f.end()); }
    void send_packet(tst::bytes p) noexcept override { app.emplace_back(p.begin(), p.end()); }
    void send_packet(std::string_view, tst::bytes p, tst::link_protection how) noexcept override {
        links.emplace_back(p.begin(), p.end());
        link_how.push_back(how);
    }
    void send(std::string_view, tst::bytes m) override { control.emplace_back(m.begin(), m.end()); }
    std::vector<std::string> members() const override { return {}; }
};

const char* profile_text =
    "INTERFACE OSA1 DEFINE IPAQENET PORTNAME P1 IPADDR 198.18.0.11/24 MTU 1492\n"
    "IPCONFIG ARPTO 60 TTL 32\n"
    "BEGINROUTES\n"
    "  ROUTE 198.18.0.0/24 = OSA1 MTU 1492\n"
    "  ROUTE 198.18.8.0/24 198.18.0.1 OSA1 MTU 576\n"
    "ENDROUTES\n"
    "START OSA1\n";

const tst::mac_address our_mac{0x02, 0, 0, 0, 0, 0x11};
const tst::mac_address peer_mac{0x02, 0, 0, 0, 1, 0x01};

struct core : ::testing::Test {
    sim_clock clock;
    recorder io;
    std::unique_ptr<tst::stack> s;
    void make(const std::string& text = profile_text, tst::options sizes = {}) {
        zplex::tcpip::profile::parse_options o;
        zplex::tcpip::profile::message_log log;
        auto p = zplex::tcpip::profile::process_initial_text(text, "USER.PROFILE", o, log);
        ASSERT_LE(log.return_code(), 4);
        tst::identity id{"MVS1", "M1", "TCPIPA", "", our_mac};
        s = tst::stack::create(p, id, tst::ports{&io, &io, &io, &io, &clock}, sizes);
    }
    void SetUp() override { make(); }
    std::vector<std::uint8_t> frame(const tst::mac_address& dst, std::uint16_t type,
                                    const std::vector<std::uint8_t>& payload) {
        std::vector<std::uint8_t> f(14 + payload.size());
        std::copy(dst.begin(), dst.end(), f.begin());
        std::copy(peer_mac.begin(), peer_mac.end(), f.begin() + 6);
        put16(f, 12, type);
        std::copy(payload.begin(), payload.end(), f.begin() + 14);
        return f;
    }
    std::vector<std::uint8_t> arp(std::uint16_t op, std::uint32_t spa, std::uint32_t tpa) {
        std::vector<std::uint8_t> a(28, 0);
        put16(a, 0, 1);
        put16(a, 2, 0x0800);
        a[4] = 6;
        a[5] = 4;
        put16(a, 6, op);
        std::copy(peer_mac.begin(), peer_mac.end(), a.begin() + 8);
        put32(a, 14, spa);
        put32(a, 24, tpa);
        return a;
    }
    void learn_peer() {  // 198.18.0.101 at peer_mac, and the gateway 198.18.0.1 too
        s->lan_frame(frame(our_mac, 0x0806, arp(1, ip("198.18.0.101"), ip("198.18.0.11"))));
        s->lan_frame(frame(our_mac, 0x0806, arp(1, ip("198.18.0.1"), ip("198.18.0.11"))));
        io.frames.clear();
    }
    std::uint64_t drops(drop d) const { return s->drops()[d]; }
};

}  // namespace

TEST_F(core, AnswersArpForItsAddressOnlyAndCachesTheAsker) {
    s->lan_frame(frame({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 0x0806, arp(1, ip("198.18.0.101"), ip("198.18.0.11"))));
    ASSERT_EQ(io.frames.size(), 1u);
    auto& r = io.frames[0];
    EXPECT_TRUE(std::equal(peer_mac.begin(), peer_mac.end(), r.begin()));
    EXPECT_EQ(get16(r, 20), 2);
    EXPECT_EQ(get32(r, 28), ip("198.18.0.11"));
    s->lan_frame(frame({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 0x0806, arp(1, ip("198.18.0.102"), ip("198.18.0.12"))));
    EXPECT_EQ(io.frames.size(), 1u);
    EXPECT_EQ(drops(drop::arp_not_for_us), 1u);
    auto a = s->command("NETSTAT ARP ALL");
    ASSERT_EQ(a.size(), 3u);  // the asker for us only (RFC 826: no entry for 0.102)
    EXPECT_EQ(a[1], "Querying ARP cache for address 198.18.0.101");
}

TEST_F(core, ArpEntriesAgeOutAfterArpto) {
    learn_peer();
    EXPECT_EQ(s->command("NETSTAT ARP 198.18.0.101").size(), 3u);
    clock.ms += 59'000;
    s->tick();
    EXPECT_EQ(s->command("NETSTAT ARP 198.18.0.101").size(), 3u);
    clock.ms += 2'000;
    s->tick();
    EXPECT_EQ(s->command("NETSTAT ARP 198.18.0.101"),
              (std::vector<std::string>{s->command("NETSTAT ARP 198.18.0.101")[0],
                                        "Querying ARP cache for address 198.18.0.101"}));
}

TEST_F(core, QueuesAPacketForArpRetriesThenDropsIt) {
    s->lan_frame(frame(our_mac, 0x0800, echo_request(ip("198.18.0.101"), ip("198.18.0.11"), 1)));
    ASSERT_EQ(io.frames.size(), 1u);  // an ARP request for the asker; the reply waits
    EXPECT_EQ(get16(io.frames[0], 12), 0x0806);
    for (int i = 0; i < 5; ++i) {
        clock.ms += 1000;
        s->tick();
    }
    EXPECT_EQ(io.frames.size(), 3u);  // three tries in all
    EXPECT_EQ(drops(drop::arp_unresolved), 1u);
}

TEST_F(core, QueuedPacketLeavesWhenArpIsAnswered) {
    s->lan_frame(frame(our_mac, 0x0800, echo_request(ip("198.18.0.101"), ip("198.18.0.11"), 1)));
    s->lan_frame(frame(our_mac, 0x0806, arp(2, ip("198.18.0.101"), ip("198.18.0.11"))));
    ASSERT_EQ(io.frames.size(), 2u);
    auto& reply = io.frames[1];
    EXPECT_EQ(get16(reply, 12), 0x0800);
    EXPECT_EQ(reply[14 + 20], 0);       // echo reply
    EXPECT_EQ(reply[14 + 8], 32);       // IPCONFIG TTL
    EXPECT_EQ(csum(reply.data() + 14, 20), 0);
}

TEST_F(core, NoRouteAnswersNetUnreachableFromTheInterface) {
    learn_peer();
    s->lan_frame(frame(our_mac, 0x0800, echo_request(ip("198.18.0.101"), ip("203.0.113.9"), 1)));
    ASSERT_EQ(io.frames.size(), 1u);
    auto& r = io.frames[0];
    EXPECT_EQ(r[14 + 9], 1);
    EXPECT_EQ(r[14 + 20], 3);
    EXPECT_EQ(r[14 + 21], 0);
    EXPECT_EQ(get32(r, 14 + 12), ip("198.18.0.11"));
    EXPECT_EQ(get32(r, 14 + 28 + 16), ip("203.0.113.9"));  // the original header is quoted
    EXPECT_EQ(drops(drop::no_route), 1u);
}

TEST_F(core, ApplicationPacketWithNoRouteGetsUnreachableBackOnTheTun) {
    s->app_packet(echo_request(ip("198.18.0.11"), ip("203.0.113.9"), 1));
    ASSERT_EQ(io.app.size(), 1u);
    EXPECT_EQ(io.app[0][20], 3);
    EXPECT_EQ(get32(io.app[0], 16), ip("198.18.0.11"));
    // A source this stack does not own is refused.
    s->app_packet(echo_request(ip("198.18.0.99"), ip("198.18.0.101"), 1));
    EXPECT_EQ(drops(drop::app_bad_source), 1u);
}

TEST_F(core, DfPacketOverTheRouteMtuGetsFragmentationNeeded) {
    learn_peer();
    std::vector<std::uint8_t> payload(700, 0);
    payload[0] = 8;
    auto big = ipv4_packet(ip("198.18.0.101"), ip("198.18.8.5"), 1, payload, 64, true);
    s->lan_frame(frame(our_mac, 0x0800, big));
    ASSERT_EQ(io.frames.size(), 1u);
    EXPECT_EQ(io.frames[0][14 + 20], 3);
    EXPECT_EQ(io.frames[0][14 + 21], 4);
    EXPECT_EQ(get16(io.frames[0], 14 + 26), 576);
    EXPECT_EQ(drops(drop::too_big), 1u);
    // Small enough: forwarded to the gateway's MAC with the TTL one less.
    auto ok = echo_request(ip("198.18.0.101"), ip("198.18.8.5"), 2, 9);
    s->lan_frame(frame(our_mac, 0x0800, ok));
    ASSERT_EQ(io.frames.size(), 2u);
    EXPECT_EQ(io.frames[1][14 + 8], 8);
    EXPECT_EQ(csum(io.frames[1].data() + 14, 20), 0);
}

TEST_F(core, TimeExceededNeverAboutAnIcmpError) {
    learn_peer();
    auto err = ipv4_packet(ip("198.18.0.101"), ip("198.18.8.5"), 1, std::vector<std::uint8_t>(8, 0), 1);
    err[20] = 3;  // an ICMP unreachable itself
    put16(err, 22, csum(err.data() + 20, 8));
    s->lan_frame(frame(our_mac, 0x0800, err));
    EXPECT_TRUE(io.frames.empty());
    EXPECT_EQ(drops(drop::ttl_exceeded), 1u);
}

TEST_F(core, BadFramesAndPacketsAreCountedByReason) {
    s->lan_frame(std::vector<std::uint8_t>(5, 0));
    s->lan_frame(frame({0x02, 9, 9, 9, 9, 9}, 0x0800, echo_request(1, 2, 1)));
    s->lan_frame(frame(our_mac, 0x86DD, std::vector<std::uint8_t>(40, 0)));
    s->lan_frame(frame(our_mac, 0x0806, std::vector<std::uint8_t>(10, 0)));
    auto p = echo_request(ip("198.18.0.101"), ip("198.18.0.11"), 1);
    auto bad_sum = p;
    bad_sum[10] ^= 0xFF;
    s->lan_frame(frame(our_mac, 0x0800, bad_sum));
    auto v6 = p;
    v6[0] = 0x65;
    s->lan_frame(frame(our_mac, 0x0800, v6));
    s->lan_frame(frame(our_mac, 0x0800, std::vector<std::uint8_t>(p.begin(), p.begin() + 12)));
    auto martian = echo_request(ip("224.0.0.1"), ip("198.18.0.11"), 1);
    s->lan_frame(frame(our_mac, 0x0800, martian));
    EXPECT_EQ(drops(drop::frame_short), 1u);
    EXPECT_EQ(drops(drop::frame_not_for_us), 1u);
    EXPECT_EQ(drops(drop::ethertype), 1u);
    EXPECT_EQ(drops(drop::arp_malformed), 1u);
    EXPECT_EQ(drops(drop::ip_checksum), 1u);
    EXPECT_EQ(drops(drop::ip_version), 1u);
    EXPECT_EQ(drops(drop::ip_short), 1u);
    EXPECT_EQ(drops(drop::ip_martian), 1u);
    EXPECT_TRUE(io.frames.empty());
    s->xcf_link_packet("NOBODY", p);
    EXPECT_EQ(drops(drop::xcf_unknown_peer), 1u);
    EXPECT_STREQ(tst::drop_name(drop::ip_checksum), "IPCHKSUM");
    EXPECT_EQ(tst::drop_level(drop::ip_checksum), zplex::sysplex::drop_severity::error);
    // NETSTAT STATS: the total and one line per reason that counted, with its severity.
    auto st = s->command("NETSTAT STATS");
    ASSERT_GE(st.size(), 7u);
    EXPECT_EQ(st[2], "  Packets Discarded        = 0000000009");
    auto line_of = [&](const std::string& reason) {
        for (const auto& l : st)
            if (l.rfind("  " + reason + " ", 0) == 0) return l;
        return std::string();
    };
    EXPECT_EQ(line_of("IPCHKSUM"), "  IPCHKSUM    0000000001  Error     IPv4 header checksum wrong");
    EXPECT_EQ(line_of("NOTFORUS").substr(26, 10), "Info      ");
    EXPECT_EQ(line_of("MARTIAN").substr(26, 10), "Warning   ");
    EXPECT_EQ(line_of("NOROUTE"), "");  // nothing counted, no line
    EXPECT_EQ(st.back(), "9 of 9 records displayed");
}

TEST_F(core, NodatagramfwdDropsTransitPackets) {
    make(std::string(profile_text) + "IPCONFIG NODATAGRAMFWD\n");
    learn_peer();
    s->lan_frame(frame(our_mac, 0x0800, echo_request(ip("198.18.0.101"), ip("198.18.8.5"), 1)));
    EXPECT_TRUE(io.frames.empty());
    EXPECT_EQ(drops(drop::forwarding_disabled), 1u);
}

TEST_F(core, InterfaceNotStartedReceivesNothing) {
    std::string text = profile_text;
    text.erase(text.find("START OSA1"));
    make(text);
    s->lan_frame(frame(our_mac, 0x0806, arp(1, ip("198.18.0.101"), ip("198.18.0.11"))));
    EXPECT_TRUE(io.frames.empty());
    EXPECT_EQ(drops(drop::interface_down), 1u);
    auto dev = s->command("NETSTAT DEVLINKS");
    EXPECT_EQ(dev[1], "IntfName: OSA1              IntfType: IPAQENET    IntfStatus: Not Active");
}

TEST_F(core, ProfileWithoutLanInterfaceIsRefused) {
    zplex::tcpip::profile::parse_options o;
    zplex::tcpip::profile::message_log log;
    auto p = zplex::tcpip::profile::process_initial_text("IPCONFIG DATAGRAMFWD\n", "USER.P", o, log);
    tst::identity id{"MVS1", "M1", "TCPIPA", "", our_mac};
    EXPECT_THROW(tst::stack::create(p, id, tst::ports{&io, &io, &io, &io, &clock}), std::invalid_argument);
}

TEST_F(core, CommandsNotValidSayWhy) {
    EXPECT_EQ(s->command("D TCPIP,TCPIPB,NETSTAT,HOME"),
              (std::vector<std::string>{"ZPX1030I COMMAND 'D TCPIP,TCPIPB,NETSTAT,HOME' NOT VALID: THIS STACK IS TCPIPA"}));
    EXPECT_EQ(s->command("NETSTAT BOGUS")[0].rfind("ZPX1030I NETSTAT REPORT 'BOGUS' IS NOT AVAILABLE", 0), 0u);
    EXPECT_EQ(s->command("V TCPIP,,SYSPLEX,DEACTIVATE,DVIPA=1.2.3")[0],
              "ZPX1031I VARY TCPIP,,SYSPLEX,DEACTIVATE NEEDS DVIPA=ipv4_address, NOT 'DVIPA=1.2.3'");
    EXPECT_EQ(s->command("D TCPIP,,SYSPLEX,VIPADYN")[0], "EZZ8269I TCPIPA MVS1 IS NOT A MEMBER OF A SYSPLEX GROUP");
}

namespace {
/// The image's sockets as a test sets them (the daemon reads them with sock_diag).
struct fake_image : tst::image_port {
    std::vector<tst::tcp_socket> socks;
    std::string fail;
    bool tcp_sockets(std::vector<tst::tcp_socket>& out, std::string& why) override {
        if (!fail.empty()) {
            why = fail;
            return false;
        }
        out = socks;
        return true;
    }
};
}  // namespace

TEST_F(core, NetstatConnAndAllconnShowTheImagesTcpSockets) {
    fake_image image;
    zplex::tcpip::profile::parse_options o;
    zplex::tcpip::profile::message_log log;
    auto p = zplex::tcpip::profile::process_initial_text(profile_text, "USER.PROFILE", o, log);
    tst::identity id{"MVS1", "M1", "TCPIPA", "", our_mac};
    s = tst::stack::create(p, id, tst::ports{&io, &io, &io, &io, &clock, nullptr, &image});
    image.socks = {
        {tst::tcp_state::established, ip("198.18.2.1"), ip("198.18.0.101"), 60, 40001, 0x2B, "ZPLEXAPP"},
        {tst::tcp_state::listen, 0, 0, 60, 0, 0x1A, "ZPLEXAPP"},
        {tst::tcp_state::time_wait, ip("198.18.2.1"), ip("198.18.0.102"), 60, 40002, 0x30, ""},
        {tst::tcp_state::close_wait, ip("198.18.0.11"), ip("198.18.0.102"), 23, 1025, 0x05, "SOCAT"},
    };
    auto conn = s->command("NETSTAT CONN");
    std::vector<std::string> body(conn.begin() + 1, conn.end());
    EXPECT_EQ(conn[0].rfind("MVS TCP/IP NETSTAT CS V2R4       TCPIP Name: TCPIPA           ", 0), 0u) << conn[0];
    EXPECT_EQ(body, (std::vector<std::string>{
                        "User Id  Conn     State",
                        "-------  ----     -----",
                        "SOCAT    00000005 ClosWait",
                        "  Local Socket:   198.18.0.11..23",
                        "  Foreign Socket: 198.18.0.102..1025",
                        "ZPLEXAPP 0000001A Listen",
                        "  Local Socket:   0.0.0.0..60",
                        "  Foreign Socket: 0.0.0.0..0",
                        "ZPLEXAPP 0000002B Establsh",
                        "  Local Socket:   198.18.2.1..60",
                        "  Foreign Socket: 198.18.0.101..40001",
                    }));
    auto all = s->command("NETSTAT ALLCONN");
    ASSERT_EQ(all.size(), 1u + 2 + 4 * 3);
    EXPECT_EQ(all[3], "???????? 00000030 TimeWait");  // ended: ALLCONN only, its owner gone
    auto op = s->command("D TCPIP,,NETSTAT,CONN");
    ASSERT_EQ(op.size(), 1u + 2 + 3 * 3 + 2);
    EXPECT_EQ(op[0].rfind("EZD0101I NETSTAT CS V2R4 TCPIPA ", 0), 0u);
    EXPECT_EQ(op[1], "USER ID  CONN     STATE");
    EXPECT_EQ(op[9], "ZPLEXAPP 0000002B ESTABLSH");
    EXPECT_EQ(op[10], "  LOCAL SOCKET:   198.18.2.1..60");
    EXPECT_EQ(op[12], "3 OF 3 RECORDS DISPLAYED");
    EXPECT_EQ(op[13], "END OF THE REPORT");
    EXPECT_EQ(s->command("NETSTAT CONN X"), (std::vector<std::string>{"ZPX1030I NETSTAT CONN TAKES NO OPERAND: 'X'"}));
    image.fail = "receive: timed out";
    EXPECT_EQ(s->command("D TCPIP,,NETSTAT,ALLCONN"),
              (std::vector<std::string>{"ZPX1034I NETSTAT ALLCONN: THE IMAGE'S CONNECTIONS CANNOT BE READ: RECEIVE: TIMED OUT"}));
}

TEST_F(core, NetstatConnWithoutAnImageShowsNoConnections) {
    auto conn = s->command("NETSTAT CONN");
    EXPECT_EQ(conn.size(), 3u);
}

// ---------------------------------------------------------------- fragments (docs/stack.md "Fragments")

namespace {
/// IPv4 packets out of recorded Ethernet frames, fragments joined again (sorted by offset).
std::vector<std::uint8_t> joined(const std::vector<std::vector<std::uint8_t>>& frames) {
    std::vector<std::vector<std::uint8_t>> f;
    for (const auto& x : frames) f.emplace_back(x.begin() + 14, x.end());
    std::sort(f.begin(), f.end(), [](const auto& a, const auto& b) { return (get16(a, 6) & 0x1FFF) < (get16(b, 6) & 0x1FFF); });
    std::vector<std::uint8_t> out(f[0].begin(), f[0].begin() + 20);
    for (const auto& x : f) {
        EXPECT_EQ(csum(x.data(), 20), 0);
        EXPECT_EQ(std::size_t{get16(x, 6) & 0x1FFFu} * 8, out.size() - 20);  // no gap, no overlap
        out.insert(out.end(), x.begin() + 20, x.end());
    }
    EXPECT_EQ(get16(f.back(), 6) & 0x2000, 0);  // the last has MF clear
    return out;
}
std::string stats_line(const std::vector<std::string>& st, const std::string& label) {
    for (const auto& l : st)
        if (l.rfind("  " + label, 0) == 0) return l;
    return "";
}
}  // namespace

TEST_F(core, FragmentedPingToTheHomeAddressIsAnsweredInFragments) {
    learn_peer();
    // ping -s 4000: 4008 bytes of ICMP in three fragments of 1480.
    auto req = echo_request(ip("198.18.0.101"), ip("198.18.0.11"), 1, 64, 4000);
    auto f = fragments_of(req, 1480);
    ASSERT_EQ(f.size(), 3u);
    s->lan_frame(frame(our_mac, 0x0800, f[2]));
    s->lan_frame(frame(our_mac, 0x0800, f[0]));
    EXPECT_TRUE(io.frames.empty());
    s->lan_frame(frame(our_mac, 0x0800, f[1]));
    EXPECT_TRUE(io.app.empty());  // answered by the stack, not handed to the image
    // The reply, over MTU 1492: fragments of 1472 data bytes, to the asker's MAC.
    ASSERT_EQ(io.frames.size(), 3u);
    for (const auto& x : io.frames) {
        EXPECT_LE(x.size(), 14u + 1492);
        EXPECT_TRUE(std::equal(peer_mac.begin(), peer_mac.end(), x.begin()));
        EXPECT_EQ(get32(x, 14 + 12), ip("198.18.0.11"));
    }
    auto reply = joined(io.frames);
    ASSERT_EQ(reply.size(), req.size());
    EXPECT_EQ(reply[20], 0);  // echo reply
    EXPECT_EQ(csum(reply.data() + 20, reply.size() - 20), 0);
    EXPECT_TRUE(std::equal(req.begin() + 24, req.end(), reply.begin() + 24));  // id, sequence and data
    auto st = s->command("NETSTAT STATS");
    EXPECT_EQ(stats_line(st, "Reassembly Required"), "  Reassembly Required      = 0000000003");
    EXPECT_EQ(stats_line(st, "Reassembly Successful"), "  Reassembly Successful    = 0000000001");
    EXPECT_EQ(stats_line(st, "Reassembly Failures"), "  Reassembly Failures      = 0000000000");
    EXPECT_EQ(stats_line(st, "Datagrams Fragmented"), "  Datagrams Fragmented     = 0000000001");
    EXPECT_EQ(stats_line(st, "Fragments Created"), "  Fragments Created        = 0000000003");
    EXPECT_EQ(s->drops().total(), 0u);
}

TEST_F(core, AMissingLastFragmentTimesOutWithTimeExceeded) {
    learn_peer();
    auto req = echo_request(ip("198.18.0.101"), ip("198.18.0.11"), 1, 64, 4000);
    auto f = fragments_of(req, 1480);
    s->lan_frame(frame(our_mac, 0x0800, f[0]));
    s->lan_frame(frame(our_mac, 0x0800, f[1]));
    clock.ms += 59'900;
    s->tick();
    EXPECT_TRUE(io.frames.empty());
    EXPECT_EQ(drops(drop::reasm_timeout), 0u);
    learn_peer();  // ARPTO is 60 s as well
    clock.ms += 100;
    s->tick();
    EXPECT_EQ(drops(drop::reasm_timeout), 1u);
    // RFC 792: time exceeded, code 1 (fragment reassembly time exceeded), quoting fragment 0.
    ASSERT_EQ(io.frames.size(), 1u);
    auto& r = io.frames[0];
    EXPECT_EQ(r[14 + 9], 1);
    EXPECT_EQ(r[14 + 20], 11);
    EXPECT_EQ(r[14 + 21], 1);
    EXPECT_EQ(get32(r, 14 + 12), ip("198.18.0.11"));
    EXPECT_EQ(get32(r, 14 + 16), ip("198.18.0.101"));
    EXPECT_TRUE(std::equal(f[0].begin(), f[0].begin() + 28, r.begin() + 14 + 28));
    EXPECT_EQ(csum(r.data() + 14 + 20, r.size() - 14 - 20), 0);
    // The last fragment coming after that starts a new datagram, which times out silently
    // (no fragment 0), as does one whose fragment 0 is an ICMP error itself.
    s->lan_frame(frame(our_mac, 0x0800, f[2]));
    std::vector<std::uint8_t> unreach(1600, 0);
    unreach[0] = 3;
    auto unreach_packet = ipv4_packet(ip("198.18.0.101"), ip("198.18.0.11"), 1, unreach);
    put16(unreach_packet, 4, 0x4321);
    auto err = fragments_of(unreach_packet, 1480);
    s->lan_frame(frame(our_mac, 0x0800, err[0]));
    clock.ms += 59'900;
    s->tick();
    learn_peer();
    clock.ms += 100;
    s->tick();
    EXPECT_EQ(drops(drop::reasm_timeout), 3u);
    EXPECT_TRUE(io.frames.empty());
    EXPECT_EQ(stats_line(s->command("NETSTAT STATS"), "Reassembly Timeouts"), "  Reassembly Timeouts      = 0000000003");
}

TEST_F(core, AFullReassemblyPoolRefusesOnlyTheNewDatagram) {
    tst::options sizes;
    sizes.reassembly_datagrams = 2;
    make(profile_text, sizes);
    learn_peer();
    std::vector<std::vector<std::vector<std::uint8_t>>> pings;
    for (std::uint16_t i = 0; i < 3; ++i) {
        auto req = echo_request(ip("198.18.0.101"), ip("198.18.0.11"), i, 64, 2000);
        put16(req, 4, static_cast<std::uint16_t>(0x100 + i));
        put16(req, 10, 0);
        put16(req, 10, csum(req.data(), 20));
        pings.push_back(fragments_of(req, 1480));
    }
    for (auto& p : pings) s->lan_frame(frame(our_mac, 0x0800, p[0]));
    EXPECT_EQ(drops(drop::reasm_full), 1u);  // the third: both buffers in use
    s->lan_frame(frame(our_mac, 0x0800, pings[0][1]));
    s->lan_frame(frame(our_mac, 0x0800, pings[1][1]));
    // The first two were answered, two fragments each.
    ASSERT_EQ(io.frames.size(), 4u);
    EXPECT_EQ(joined({io.frames[0], io.frames[1]})[20], 0);
    EXPECT_EQ(get16(joined({io.frames[2], io.frames[3]}), 20 + 6), 1);  // sequence 1
    // The third, sent again (as ping would, a new request), finds room now.
    for (auto& x : pings[2]) s->lan_frame(frame(our_mac, 0x0800, x));
    ASSERT_EQ(io.frames.size(), 6u);
    EXPECT_EQ(get16(joined({io.frames[4], io.frames[5]}), 20 + 6), 2);
    EXPECT_EQ(drops(drop::reasm_full), 1u);
    EXPECT_EQ(drops(drop::reasm_timeout), 0u);
}

TEST_F(core, FragmentsTheStackNeedNotSeeGoToTheImageAsTheyCame) {
    learn_peer();
    // UDP to the home address: the image's kernel reassembles (z/OS's own stack would;
    // here the image is the z/OS side).
    std::vector<std::uint8_t> data(3000, 7);
    auto f = fragments_of(ipv4_packet(ip("198.18.0.101"), ip("198.18.0.11"), 17, data), 1480);
    ASSERT_EQ(f.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) s->lan_frame(frame(our_mac, 0x0800, f.at(i)));
    ASSERT_EQ(io.app.size(), 3u);
    EXPECT_EQ(io.app[1], f[1]);
    EXPECT_EQ(stats_line(s->command("NETSTAT STATS"), "Reassembly Required"), "  Reassembly Required      = 0000000000");
}

TEST_F(core, TheImagesLargeDatagramsLeaveInFragmentsUnlessDf) {
    learn_peer();
    std::vector<std::uint8_t> payload(3000, 9);
    s->app_packet(ipv4_packet(ip("198.18.0.11"), ip("198.18.0.101"), 17, payload));
    ASSERT_EQ(io.frames.size(), 3u);
    auto whole = joined(io.frames);
    EXPECT_TRUE(std::equal(payload.begin(), payload.end(), whole.begin() + 20));
    // With DF: fragmentation needed back to the image, nothing on the LAN.
    s->app_packet(ipv4_packet(ip("198.18.0.11"), ip("198.18.0.101"), 17, payload, 64, true));
    EXPECT_EQ(io.frames.size(), 3u);
    ASSERT_EQ(io.app.size(), 1u);
    EXPECT_EQ(io.app[0][20], 3);
    EXPECT_EQ(io.app[0][21], 4);
    EXPECT_EQ(drops(drop::too_big), 1u);
}
