// SPDX-License-Identifier: Apache-2.0
// The sysplex and dynamic XCF link ports over a real XCF group member (zplex/xcf/xcf.hpp),
// and the clock of the running system.
#pragma once

#include <zplex/tcpip/stack/ports.hpp>
#include <zplex/tcpip/stack/stack.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace zplex::xcf {
class system;
class member;
}  // namespace zplex::xcf

namespace zplex::tcpip::stack {

/// Monotonic and wall time of this machine.
class system_clock final : public clock {
public:
    std::int64_t monotonic_ms() const noexcept override;
    std::int64_t wall_seconds() const noexcept override;
};

/// One XCF member of the TCP/IP group (EZBTCPCS or EZBTvvtt) carrying both the DVIPA
/// control messages and the dynamic XCF IP packets, as XCF messages whose first byte
/// says which ('C' or 'L'). The XCF layer authenticates them with the sysplex key and
/// names the sending member; it encrypts them too, except the link packets the core
/// marks integrity-only (a LAN input forwarded as it came, docs/xcf.md). A control
/// message that arrives integrity-only is refused (unsealed_control()).
class xcf_sysplex final : public sysplex_port, public xcf_link_port {
public:
    /// Both must outlive this object.
    xcf_sysplex(xcf::system& sys, xcf::member& member);

    void send(std::string_view member, bytes message) override;
    std::vector<std::string> members() const override;
    void send_packet(std::string_view member, bytes packet, link_protection how) noexcept override;
    /// LEAVEGROUP: IXCLEAVE. JOINGROUP: IXCJOIN again under the same name (a member of
    /// this object's own from then on).
    bool leave_group() override;
    bool join_group() override;

    /// Deliver to @p s what arrived: fencing of our system, group exit events, messages.
    /// Waits up to @p wait for the first message. Returns how many were delivered.
    std::size_t poll(stack& s, std::chrono::milliseconds wait);

    /// Sends XCF refused (rc/reason other than ok), and messages with an unknown tag.
    std::uint64_t send_failures() const noexcept { return _send_failures; }
    std::uint64_t unknown_messages() const noexcept { return _unknown; }
    /// Control messages refused because they were not sealed.
    std::uint64_t unsealed_control() const noexcept { return _unsealed_control; }

    /// The faults matrix's impairment of the XCF link (docs/faults.md, "DELAY XCF LINKS"):
    /// each link packet that arrives is dropped with @p drop_bp chances in 10000, or held
    /// @p delay before the core gets it. Control messages never are (XCF signalling does
    /// not lose or delay messages). 0 and 0: none (held packets are delivered at once).
    void impair_links(std::uint32_t drop_bp, std::chrono::milliseconds delay);
    std::uint64_t links_dropped() const noexcept { return _links_dropped; }
    std::uint64_t links_delayed() const noexcept { return _links_delayed; }
    /// Milliseconds until the first held packet is due (0 when one is), -1 when none is held.
    int next_due_ms() const;

private:
    bool tagged_send(char tag, std::string_view member, bytes payload, link_protection how) noexcept;

    xcf::system& _sys;
    xcf::member* _member;                 ///< the given member, or the one joined again
    std::unique_ptr<xcf::member> _rejoined;
    bool _left = false;
    std::vector<std::uint8_t> _out;    ///< tag + payload, sized once
    std::vector<std::uint8_t> _in;
    bool _fence_told = false;
    std::uint64_t _send_failures = 0;
    std::uint64_t _unknown = 0;
    std::uint64_t _unsealed_control = 0;
    struct held_packet {
        std::chrono::steady_clock::time_point due;
        std::string from;
        std::vector<std::uint8_t> packet;
    };
    std::deque<held_packet> _held;
    std::uint32_t _drop_bp = 0;
    std::chrono::milliseconds _delay{0};
    std::uint64_t _rng = 0x5a504c58u;
    std::uint64_t _links_dropped = 0, _links_delayed = 0;
};

}  // namespace zplex::tcpip::stack
