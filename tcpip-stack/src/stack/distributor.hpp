// SPDX-License-Identifier: Apache-2.0
// The Sysplex Distributor's state in the stack core (docs/distributor.md).
// Lock legend as in stack_impl.hpp: [C] control paths only, [P] also the packet path
// (fixed size there, never reallocated).
#pragma once

#include <zplex/tcpip/profile/model.hpp>

#include "control.hpp"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace zplex::tcpip::stack {

/// What a connection table entry is to the Sysplex Distributor.
enum class conn_dist : std::uint8_t {
    none = 0,      ///< not distributed (or a MOVING connection routed to its old holder)
    local = 1,     ///< distributor: a distributed connection this stack's own image serves
    routed = 2,    ///< distributor: forwarded to another target over its XCF link
    served = 3,    ///< target: a connection a distributor forwards to us
    affinity = 4,  ///< distributor: a TIMEDAFFINITY row (remote port 0)
};

/// One VDPT row: a target of one distributed DVIPA:port.
struct dist_row {
    int peer = -1;                    ///< [C] index into peers; -1: this stack
    std::uint32_t xcf = 0;            ///< [C] the target's dynamic XCF address
    profile::dist_target cfg;         ///< [C] WEIGHT, PREFERRED/BACKUP rank (DESTIP ALL: defaults)
    bool reported = false;            ///< [C] the target has reported at least once
    std::int64_t last_report = 0;     ///< [C] monotonic ms of its last report
    std::uint16_t ready = 0;          ///< [C] Rdy: listeners not quiesced
    std::uint8_t system_weight = 0;   ///< [C] BASEWLM weight 0-64 from the target's load model
    std::uint8_t server_weight = 0;   ///< [C] SERVERWLM weight 0-64
    std::uint32_t target_active = 0;  ///< [C] connections the target says it serves
    std::uint64_t total = 0;          ///< [P] TotalConn: connections given to it
    std::uint32_t active = 0;         ///< [P] ActConn: those still in the table
    std::int64_t credit = 0;          ///< [P] smooth weighted round robin
    std::uint32_t established = 0;    ///< [P] TSR interval: the client completed the handshake
    std::uint32_t failed = 0;         ///< [P] TSR interval: given, but never completed (aged out, reset)
    std::uint8_t tcsr = 100;          ///< [C] target connectivity success rate, %
    bool responsive = true;           ///< [C] EZD1182I said / EZD1183I said
};

/// One distributed DVIPA:port this stack distributes now (its DVIPA is active here).
struct dist_service {
    std::uint32_t address = 0;
    std::uint16_t port = 0;           ///< 0: every port (VIPADISTRIBUTE without PORT)
    profile::distribution_config cfg;
    std::vector<dist_row> rows;       ///< [C] sized on control paths
    std::size_t rr = 0;               ///< [P] ROUNDROBIN cursor
    int hot = -1;                     ///< [P] HOTSTANDBY: the active row
};

/// This stack as a target of a DVIPA another stack distributes.
struct dist_target_entry {
    std::uint32_t address = 0;
    std::string distributor;          ///< member name of the current distributor ("" after it failed)
    int distributor_peer = -1;        ///< index into peers, -1: unknown
    std::uint32_t distributor_xcf = 0;  ///< its dynamic XCF address (the APAR lesson: updated on every takeover)
    std::vector<control::distribute_message::ports> ranges;
    std::uint8_t optlocal = control::distribute_message::no_optlocal;  ///< the distribution's OPTLOCAL
    bool stopped = false;             ///< told to stop: removed once no connection is left
    bool sysplex_ports = false;       ///< SYSPLEXPORTS: this stack's ephemeral ports come from EZBEPORT
};

struct dist_listen {
    std::uint32_t address = 0;        ///< 0: INADDR_ANY
    std::uint16_t port = 0;
    int count = 0;
};

struct dist_ended {
    std::uint32_t address = 0;
    std::uint16_t local_port = 0;
    std::uint32_t remote_ip = 0;
    std::uint16_t remote_port = 0;
};

struct distributor_state {
    std::vector<dist_service> services;          ///< [C] rebuilt by dist_refresh
    std::map<std::uint32_t, std::set<std::string>> told;  ///< [C] DVIPA we distribute: members told
    std::map<std::uint32_t, std::int64_t> term_start;     ///< [C] DVIPA we distribute: since when (rebuild window)
    std::map<std::uint32_t, std::set<std::string>> awaiting;  ///< [C] targets whose connection list has not come
    std::vector<dist_target_entry> targets;      ///< [C]
    std::vector<dist_listen> listeners;        ///< [C] the image's listening sockets
    bool quiesce_target = false;                 ///< [C] V TCPIP,,SYSPLEX,QUIESCE,TARGET
    std::set<std::uint16_t> quiesced_ports;      ///< [C] QUIESCE,PORT=n
    std::uint8_t busy = 0;                       ///< [C] image CPU busy %, the load model's input
    std::vector<dist_ended> ended;               ///< [P] ring of served connections that ended
    std::size_t ended_count = 0;                 ///< [P] entries used in `ended`
    std::vector<std::uint8_t> encap;             ///< [P] outer header + packet under construction
    int encap_link = -1;                         ///< [P] the XCF link a decapsulated packet came on
    std::int64_t last_report = 0;                ///< [C] monotonic ms of the last periodic report
    std::int64_t last_sample = 0;                ///< [C] monotonic ms of the last TSR sample
    std::int64_t last_retell = 0;                ///< [C] monotonic ms targets that never reported were told again
};

inline constexpr std::int64_t dist_half_open_ms = 30000;   ///< a SYN the client never completes
inline constexpr std::int64_t dist_report_ms = 10000;      ///< targets re-report their weights
/// A target that has not reported since it was told (it may have dropped the message
/// while it still held the DVIPA, a move in flight) is told again this often.
inline constexpr std::int64_t dist_retell_ms = 1000;
/// A target silent this long is told again (its reports come every dist_report_ms).
inline constexpr std::int64_t dist_stale_report_ms = 2 * dist_report_ms + 1000;
inline constexpr std::int64_t dist_tsr_interval_ms = 60000;  ///< responsiveness sampling
inline constexpr std::size_t dist_ended_capacity = 4096;
inline constexpr std::uint8_t ipproto_ipip = 4;

}  // namespace zplex::tcpip::stack
