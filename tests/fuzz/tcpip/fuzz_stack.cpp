// SPDX-License-Identifier: Apache-2.0
// libFuzzer target on every input of the stack core: LAN frames, TUN packets, XCF link
// packets (distributed ones in IP-in-IP too; fragments of each reach reassembly), sysplex
// control messages (state, take, give, and the Sysplex Distributor's distribute, target
// report and connections), listener events, the image's load, and time. The input is a
// sequence of records: kind(1) length(2) bytes(length).
#include <zplex/tcpip/profile/parser.hpp>
#include <zplex/tcpip/stack/stack.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tst = zplex::tcpip::stack;

namespace {

struct sink : tst::lan_port, tst::app_port, tst::xcf_link_port, tst::sysplex_port, tst::clock {
    std::int64_t ms = 0;
    std::size_t sent = 0;
    void send_frame(tst::bytes f) noexcept override { sent += f.size(); }
    void send_packet(tst::bytes p) noexcept override { sent += p.size(); }
    void send_packet(std::string_view, tst::bytes p, tst::link_protection) noexcept override { sent += p.size(); }
    void send(std::string_view, tst::bytes m) override { sent += m.size(); }
    std::vector<std::string> members() const override { return {"MVS2TCPIPA"}; }
    std::int64_t monotonic_ms() const noexcept override { return ms; }
    std::int64_t wall_seconds() const noexcept override { return 1796112000 + ms / 1000; }
};

const zplex::tcpip::profile::profile& config() {
    static const auto p = [] {
        zplex::tcpip::profile::parse_options o;
        zplex::tcpip::profile::message_log log;
        return zplex::tcpip::profile::process_initial_text(
            "INTERFACE OSA1 DEFINE IPAQENET PORTNAME P1 IPADDR 198.18.0.11/24 MTU 1492\n"
            "DEVICE VIPA1 VIRTUAL 0\nLINK VIPA1L VIRTUAL 0 VIPA1\nHOME\n 198.18.3.1 VIPA1L\n"
            "BEGINROUTES\n ROUTE 198.18.0.0/24 = OSA1 MTU 1492\n ROUTE DEFAULT 198.18.0.254 OSA1 MTU 1492\n"
            "ENDROUTES\n"
            "IPCONFIG DATAGRAMFWD SYSPLEXROUTING DYNAMICXCF 198.18.1.1 255.255.255.0 1\n"
            "VIPADYNAMIC\n VIPADEFINE MOVEABLE IMMEDIATE 255.255.255.0 198.18.2.1\n"
            " VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN TIMEDAFFINITY 30 198.18.2.1 PORT 60\n"
            "  DESTIP 198.18.1.1 198.18.1.2\n"
            " VIPABACKUP 50 MOVEABLE WHENIDLE 255.255.255.0 198.18.2.2\n"
            " VIPARANGE DEFINE MOVEABLE NONDISRUPTIVE 255.255.255.192 198.18.2.64\nENDVIPADYNAMIC\n"
            "START OSA1\n",
            "FUZZ.PROFILE", o, log);
    }();
    return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    sink io;
    tst::options small;
    small.connections = 64;
    small.pending_packets = 2;
    small.arp_entries = 8;
    small.reassembly_datagrams = 2;  // fragments fill the pool soon (REASMFULL), and time out
    tst::identity id{"MVS1", "M1", "TCPIPA", "MVS1TCPIPA", {0x02, 0, 0, 0, 0, 0x11}};
    auto s = tst::stack::create(config(), id, tst::ports{&io, &io, &io, &io, &io}, small);
    s->joined_group();
    std::size_t at = 0;
    while (size - at >= 3) {
        std::uint8_t kind = data[at];
        std::size_t len = static_cast<std::size_t>((data[at + 1] << 8) | data[at + 2]);
        at += 3;
        if (len > size - at) len = size - at;
        tst::bytes b(data + at, len);
        at += len;
        switch (kind % 10) {
        case 0: s->lan_frame(b); break;
        case 1: s->app_packet(b); break;
        case 2: s->xcf_link_packet("MVS2TCPIPA", b); break;
        case 3: s->control_message("MVS2TCPIPA", b); break;
        case 4: io.ms += len * 50; s->tick(); break;
        case 5: s->member_failed("MVS2TCPIPA"); break;
        case 6:
            if (len >= 6) {
                std::uint32_t a = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (b[2] << 8) | b[3];
                std::uint16_t port = static_cast<std::uint16_t>((b[4] << 8) | b[5]);
                if (kind & 0x80) s->listener_removed({a}, port);
                else s->listener_added({a}, port, "FUZZ");
            }
            break;
        case 7: s->command(std::string(reinterpret_cast<const char*>(b.data()), b.size())); break;
        case 9: s->image_load(static_cast<std::uint8_t>(len)); break;
        default: s->member_joined("MVS2TCPIPA"); break;
        }
    }
    for (const char* c : {"NETSTAT HOME", "NETSTAT ROUTE", "NETSTAT VIPADYN", "D TCPIP,,SYSPLEX,VIPADYN",
                          "NETSTAT DEVLINKS", "NETSTAT VIPADCFG", "NETSTAT ARP ALL", "NETSTAT VDPT DETAIL",
                          "NETSTAT VCRT DETAIL", "D TCPIP,,NETSTAT,VCRT", "NETSTAT STATS", "V TCPIP,,SYSPLEX,RESUME,TARGET"})
        s->command(c);
    s->take_messages();
    return 0;
}
