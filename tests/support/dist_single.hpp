// SPDX-License-Identifier: Apache-2.0
// One distributing stack alone, its targets played by control messages: for the
// allocation test and the distributor benchmark. DVA1 198.18.2.1 port 60 is distributed
// ROUNDROBIN to this stack (198.18.1.1) and to MVS2..MVS<n> (198.18.1.2 ...), which
// report one ready listener each. MVS2 also names this stack a target of DVB1 198.18.2.2.
// Needs tcpip-stack/src/stack on the include path (control.hpp).
#pragma once

#include "control.hpp"
#include "stack_sim.hpp"

#include <memory>
#include <string>
#include <vector>

namespace zplex::test {

struct counting_ports : tst::lan_port, tst::app_port, tst::xcf_link_port, tst::sysplex_port {
    std::size_t frames = 0, app_packets = 0, link_packets = 0, messages = 0;
    std::vector<std::string> group;
    void send_frame(tst::bytes) noexcept override { ++frames; }
    void send_packet(tst::bytes) noexcept override { ++app_packets; }
    void send_packet(std::string_view, tst::bytes, tst::link_protection) noexcept override { ++link_packets; }
    void send(std::string_view, tst::bytes) override { ++messages; }
    std::vector<std::string> members() const override { return group; }
};

struct single_distributor {
    sim_clock clock;
    counting_ports io;
    tst::mac_address mac{2, 0, 0, 0, 0, 0x11};
    std::unique_ptr<tst::stack> s;

    explicit single_distributor(int stacks = 3, std::size_t connections = 4096) {
        std::string destip;
        for (int k = 1; k <= stacks; ++k) destip += " 198.18.1." + std::to_string(k);
        tcpip::profile::parse_options o;
        tcpip::profile::message_log log;
        auto p = tcpip::profile::process_initial_text(
            "INTERFACE OSA1 DEFINE IPAQENET PORTNAME P1 IPADDR 198.18.0.11/24 MTU 1492\n"
            "BEGINROUTES\n ROUTE 198.18.0.0/24 = OSA1 MTU 1492\n ROUTE DEFAULT 198.18.0.254 OSA1 MTU 1492\nENDROUTES\n"
            "IPCONFIG DATAGRAMFWD SYSPLEXROUTING DYNAMICXCF 198.18.1.1 255.255.255.0 1\n"
            "VIPADYNAMIC\n VIPADEFINE MOVEABLE IMMEDIATE 255.255.255.0 198.18.2.1\n"
            " VIPADISTRIBUTE DEFINE DISTMETHOD ROUNDROBIN 198.18.2.1 PORT 60 DESTIP" + destip + "\n"
            "ENDVIPADYNAMIC\nSTART OSA1\n",
            "USER.DIST", o, log);
        for (int k = 2; k <= stacks; ++k) io.group.push_back(member(k));
        tst::options sizes;
        sizes.connections = connections;
        s = tst::stack::create(p, {"MVS1", "M1", "TCPIPA", "MVS1TCPIPA", mac}, {&io, &io, &io, &io, &clock}, sizes);
        s->joined_group();
        for (int k = 2; k <= stacks; ++k) {
            tst::control::state_message st;
            st.sysname = "MVS" + std::to_string(k);
            st.tcpname = "TCPIPA";
            st.sysclone = "M" + std::to_string(k);
            st.xcf_address = ip("198.18.1.0") + static_cast<std::uint32_t>(k);
            s->control_message(member(k), tst::control::encode(st));
        }
        for (int k = 2; k <= stacks; ++k) {
            tst::control::target_report_message r;
            r.address = ip("198.18.2.1");
            r.ports.push_back({60, 1, 64, 64, 0});
            s->control_message(member(k), tst::control::encode(r));
        }
        s->listener_added(ipv4_address{ip("198.18.2.1")}, 60, "SERVER");
        s->listener_added(ipv4_address{ip("198.18.2.2")}, 60, "SERVER");
        if (stacks >= 2) {
            tst::control::distribute_message d;
            d.address = ip("198.18.2.2");
            d.port_ranges.push_back({60, 60});
            s->control_message(member(2), tst::control::encode(d));
        }
        // The client's MAC, so replies do not wait for ARP.
        s->lan_frame(frame(0x0806, arp_reply_packet(ip("198.18.0.101"), ip("198.18.0.11"))));
    }
    static std::string member(int k) { return "MVS" + std::to_string(k) + "TCPIPA"; }
    std::vector<std::uint8_t> frame(std::uint16_t type, const std::vector<std::uint8_t>& p) const {
        std::vector<std::uint8_t> f(14 + p.size());
        std::copy(mac.begin(), mac.end(), f.begin());
        f[6] = 2;
        f[11] = 0x65;
        put16(f, 12, type);
        std::copy(p.begin(), p.end(), f.begin() + 14);
        return f;
    }
    /// A TCP segment from a LAN client to DVA1:60, as the frame the OSA receives.
    std::vector<std::uint8_t> client_segment(std::uint32_t client, std::uint16_t port, std::uint8_t flags) const {
        return frame(0x0800, tcp_segment(client, port, ip("198.18.2.1"), 60, flags));
    }
};

}  // namespace zplex::test
