// SPDX-License-Identifier: Apache-2.0
// The stack's sysplex and XCF link ports over an XCF group member (IXCMSGO/IXCMSGI, group exit).
#include <zplex/tcpip/stack/xcf_sysplex.hpp>

#include <zplex/xcf/xcf.hpp>

#include <algorithm>

namespace zplex::tcpip::stack {

std::int64_t system_clock::monotonic_ms() const noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::int64_t system_clock::wall_seconds() const noexcept {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

xcf_sysplex::xcf_sysplex(xcf::system& sys, xcf::member& member) : _sys(sys), _member(&member) {
    _out.resize(1 + 65535);
}

bool xcf_sysplex::tagged_send(char tag, std::string_view to, bytes payload, link_protection how) noexcept {
    if (payload.size() + 1 > _out.size()) {
        ++_send_failures;
        return false;
    }
    _out[0] = static_cast<std::uint8_t>(tag);
    std::copy(payload.begin(), payload.end(), _out.begin() + 1);
    try {
        if (_left) {
            ++_send_failures;
            return false;
        }
        std::span<const std::uint8_t> m(_out.data(), payload.size() + 1);
        // Only a link packet the core says came off the LAN as it is goes integrity-only.
        auto r = tag == 'L' && how == link_protection::integrity_only ? _member->send_integrity_only(std::string(to), m)
                                                                      : _member->send(std::string(to), m);
        if (!r) ++_send_failures;
        return static_cast<bool>(r);
    } catch (...) {
        ++_send_failures;
        return false;
    }
}

void xcf_sysplex::send(std::string_view to, bytes message) {
    if (message.size() + 1 > _out.size()) _out.resize(message.size() + 1);
    tagged_send('C', to, message, link_protection::sealed);
}

std::vector<std::string> xcf_sysplex::members() const {
    std::vector<std::string> out;
    if (_left) return out;
    for (const auto& m : _member->query())
        if (m.state == xcf::member_state::active && m.name != _member->name()) out.push_back(m.name);
    return out;
}

void xcf_sysplex::send_packet(std::string_view to, bytes packet, link_protection how) noexcept {
    tagged_send('L', to, packet, how);
}

bool xcf_sysplex::leave_group() {
    if (_left || !_member->leave()) return false;
    _left = true;
    return true;
}

bool xcf_sysplex::join_group() {
    if (!_left) return false;
    std::unique_ptr<xcf::member> m;
    if (!xcf::member::join(_sys, _member->group(), _member->name(), 0, m)) return false;
    _rejoined = std::move(m);  // the earlier one (if ours) goes only now: its names were still needed
    _member = _rejoined.get();
    _left = false;
    return true;
}

void xcf_sysplex::impair_links(std::uint32_t drop_bp, std::chrono::milliseconds delay) {
    _drop_bp = std::min<std::uint32_t>(drop_bp, 10000);
    _delay = std::max(delay, std::chrono::milliseconds(0));
    if (_delay.count() == 0)
        for (auto& h : _held) h.due = std::chrono::steady_clock::now();
}

int xcf_sysplex::next_due_ms() const {
    if (_held.empty()) return -1;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(_held.front().due - std::chrono::steady_clock::now());
    return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

std::size_t xcf_sysplex::poll(stack& s, std::chrono::milliseconds wait) {
    if (_sys.fenced() && !_fence_told) {
        _fence_told = true;
        s.fence();
    }
    if (_left) return 0;  // out of the group: nothing arrives
    for (const auto& e : _member->events()) {
        if (e.member == _member->name()) continue;
        switch (e.what) {
        case xcf::group_event::kind::joined: s.member_joined(e.member); break;
        case xcf::group_event::kind::left: s.member_left(e.member); break;
        case xcf::group_event::kind::failed: s.member_failed(e.member); break;
        }
    }
    std::size_t n = 0;
    // Held link packets whose delay is over, in the order they came.
    const auto now = std::chrono::steady_clock::now();
    while (!_held.empty() && _held.front().due <= now) {
        auto h = std::move(_held.front());
        _held.pop_front();
        s.xcf_link_packet(h.from, bytes(h.packet.data(), h.packet.size()));
        ++n;
    }
    std::string from;
    while (true) {
        xcf::protection how = xcf::protection::sealed;
        auto r = _member->receive(_in, from, how, n == 0 ? wait : std::chrono::milliseconds(0));
        if (!r || _in.empty()) break;
        ++n;
        bytes body(_in.data() + 1, _in.size() - 1);
        if (_in[0] == 'C' && how != xcf::protection::sealed) ++_unsealed_control;  // control is always sealed
        else if (_in[0] == 'C') s.control_message(from, body);
        else if (_in[0] == 'L' && (_drop_bp != 0 || _delay.count() != 0)) {
            _rng = _rng * 6364136223846793005ull + 1442695040888963407ull;
            if ((_rng >> 33) % 10000 < _drop_bp) {
                ++_links_dropped;
            } else if (_delay.count() != 0 && _held.size() < 65536) {
                ++_links_delayed;
                _held.push_back({now + _delay, from, std::vector<std::uint8_t>(body.data(), body.data() + body.size())});
            } else {
                s.xcf_link_packet(from, body);
            }
        } else if (_in[0] == 'L') s.xcf_link_packet(from, body);
        else ++_unknown;
    }
    return n;
}

}  // namespace zplex::tcpip::stack
