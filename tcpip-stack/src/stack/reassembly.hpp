// SPDX-License-Identifier: Apache-2.0
// IPv4 reassembly (RFC 791 §3.2, RFC 815) for the fragments the stack itself must see
// whole (docs/stack.md "Fragments"). A fixed pool of datagrams, sized at creation:
// add() and expire() neither allocate nor throw.
#pragma once

#include <zplex/tcpip/stack/counters.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace zplex::tcpip::stack {

/// Reassembly as MIB-II counts it (RFC 4293 ipSystemStatsReasm*), for NETSTAT STATS.
struct reassembly_counters {
    std::uint64_t required = 0;    ///< fragments received that needed reassembly
    std::uint64_t successful = 0;  ///< datagrams reassembled
    std::uint64_t failures = 0;    ///< datagrams (or refused fragments) given up, every reason
    std::uint64_t timeouts = 0;    ///< of those, timed out
};

/// Fragmentation of the stack's own packets (RFC 4293 ipSystemStatsOutFrag*).
struct fragmentation_counters {
    std::uint64_t ok = 0;       ///< datagrams sent in fragments
    std::uint64_t failed = 0;   ///< datagrams that needed it and could not be
    std::uint64_t created = 0;  ///< fragments sent
};

class reassembler {
public:
    struct limits {
        std::size_t datagrams = 16;        ///< datagrams in reassembly at once
        std::size_t max_size = 65535;      ///< largest datagram, header included (at most 65535)
        std::int64_t timeout_ms = 60000;   ///< from a datagram's first fragment to give-up
    };

    /// Allocates the whole pool: limits.datagrams buffers of limits.max_size bytes.
    explicit reassembler(limits l);

    enum class outcome : std::uint8_t {
        held,      ///< kept, the datagram is not complete yet
        complete,  ///< the whole datagram is in the output buffer
        dropped,   ///< refused (the reason in @p why); a datagram given up is freed
    };

    /// One fragment (a checked IPv4 header, @p len its total length). On complete the
    /// datagram (the first fragment's header, the offset and MF cleared, total length and
    /// checksum set) is written to @p out, which holds limits.max_size bytes and may be
    /// where the fragment is (the fragment is taken before it is written).
    /// Overlaps (RFC 5722 applied to IPv4): a fragment whose bytes are all held already with
    /// the same values is a duplicate (REASMDUP, nothing else happens); any other overlap
    /// gives up the whole datagram (REASMOVLP).
    outcome add(const std::uint8_t* fragment, std::size_t len, int in_iface, std::int64_t now, std::uint8_t* out,
                std::size_t& out_len, drop& why) noexcept;

    /// Gives up the datagrams older than the timeout. For each one whose first fragment
    /// came, @p f(header, n, in_iface, dst) gets that fragment's header and the first 8
    /// bytes of its data (what ICMP time exceeded quotes), and its destination.
    template <typename F>
    std::size_t expire(std::int64_t now, F&& f) noexcept {
        std::size_t n = 0;
        for (auto& s : _slots) {
            if (!s.used || now - s.started < _limits.timeout_ms) continue;
            ++n;
            ++_stats.timeouts;
            ++_stats.failures;
            if (s.header_len) {
                std::size_t quoted = s.first_len < 8 ? s.first_len : 8;
                std::uint8_t* h = s.data.data() + (header_room - s.header_len);
                f(static_cast<const std::uint8_t*>(h), s.header_len + quoted, s.in_iface, s.dst);
            }
            release(s);
        }
        return n;
    }

    /// Datagrams in reassembly now.
    std::size_t in_use() const noexcept;
    const reassembly_counters& stats() const noexcept { return _stats; }
    const limits& sizes() const noexcept { return _limits; }

private:
    /// The first fragment's header goes just before the data, so header and data are one block.
    static constexpr std::size_t header_room = 60;

    struct slot {
        bool used = false;
        std::uint32_t src = 0, dst = 0;
        std::uint16_t id = 0;
        std::uint8_t protocol = 0;
        int in_iface = -1;              ///< where the first fragment came in (ICMP's source)
        std::int64_t started = 0;       ///< monotonic ms of the first fragment to arrive
        std::size_t total = 0;          ///< data length, known once the last fragment came
        bool total_known = false;
        std::size_t received = 0;       ///< data bytes held (no overlaps are held)
        std::size_t end = 0;            ///< highest data offset held
        std::size_t header_len = 0;     ///< of fragment 0, 0 until it comes
        std::size_t first_len = 0;      ///< data bytes of fragment 0
        std::vector<std::uint8_t> data;     ///< header_room + the datagram's data
        std::vector<std::uint64_t> filled;  ///< one bit per 8-byte block of data held
    };

    slot* find(std::uint32_t src, std::uint32_t dst, std::uint16_t id, std::uint8_t protocol) noexcept;
    void release(slot& s) noexcept;
    outcome give_up(slot& s, drop reason, drop& why) noexcept;

    limits _limits;
    std::vector<slot> _slots;
    reassembly_counters _stats;
};

}  // namespace zplex::tcpip::stack
