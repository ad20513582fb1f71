// SPDX-License-Identifier: Apache-2.0
// The faults matrix of `zplex faults` (docs/faults.md), the parts that need no sysplex:
// its rows and their selection, the ESP records of a LAN capture judged per SPI (numbers
// used twice, an RFC 4303 anti-replay window of the peer's size replayed), each row's
// verdict from what was measured, and the table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zplex::operating::faults {

enum class fault_kind {
    kill_stack,    ///< SIGKILL of an image's zplex-tcpip (ZPXFAULT KILL STACK)
    kill_iked,     ///< SIGKILL of an image's zplex-iked (ZPXFAULT KILL IKED)
    planned_move,  ///< V TCPIP,,SYSPLEX,DEACTIVATE,DVIPA= on the owner, then REACTIVATE
    kill_cf,       ///< SIGKILL of a coupling facility (ZPXFAULT KILL CF)
    /// The owner's system stopped past INTERVAL, then continued: without Hercules SIGSTOP
    /// and SIGCONT of its stack (the stack's process is its XCF system), under Hercules
    /// ZPXFAULT STOP CPU and START CPU. The stack must be fenced, never a second owner.
    stall_system,
    /// SIGKILL of an image's Hercules process (ZPXFAULT KILL IMAGE): the LPAR is gone,
    /// its XCF system with it; its stack, fenced, is ended. Only under Hercules.
    kill_image,
    /// PEER1's LAN port relayed in user space with frames lost, duplicated and reordered
    /// (batch/impair.hpp): nothing lost that TCP and IPsec do not recover, and the peer's
    /// replay window drops the duplicated ESP packets only.
    impair_lan,
    /// The XCF link into DVA1's targets other than the owner (MVS2, MVS4): the packets
    /// the distributor forwards are delayed, and some dropped (the stacks' XCF LINKS IMPAIR).
    delay_xcf,
    /// Every free entry of EZBDVIPA taken (ZPXFAULT FILL STRUCTURE), then DVA1's SAs
    /// refreshed on the owner (ipsec -y refresh -a): each rekey takes over the record and
    /// counter of the SA it replaces (ZPX1764I); FREE STRUCTURE after.
    structure_full,
};

/// One row of the matrix: a fault of FIG4, one at a time, under traffic to DVA1.
struct row_spec {
    std::string name;    ///< what the table says: KILL STACK MVS1
    std::string role;    ///< why this one: OWNER, TARGET, IKED OF THE OWNER ...
    fault_kind kind = fault_kind::kill_stack;
    std::string target;  ///< the system (MVS1) or CF (CF01) the fault hits
    bool quick = false;  ///< part of --quick
    long recovery_bound_ms = 10000;  ///< the verdict's bound on the first new connection
};

/// Every row, in the order run.
const std::vector<row_spec>& matrix();

/// Whether @p r's fault needs the images under Hercules (KILL IMAGE).
bool needs_hercules(const row_spec& r) noexcept;

/// @p rows without those a run without Hercules cannot make, each left out said in
/// @p left_out (ZPX1914W lines); all of them under Hercules.
std::vector<row_spec> runnable_rows(const std::vector<row_spec>& rows, bool hercules, std::vector<std::string>& left_out);

/// The rows of a run: --quick's, or all of them; with @p names (--row, any case, a row's
/// name or its number from 1) only those, in the matrix's order. Empty, with the text of
/// ZPX1901E in @p why, when a name is no row's.
std::vector<row_spec> select_rows(bool quick, const std::vector<std::string>& names, std::string& why);

/// RFC 4303 §3.4.3's anti-replay window of @p w packets, the receiver's view of one SA.
class replay_window {
public:
    explicit replay_window(std::uint32_t w) : _w(w), _bits((w + 63) / 64, 0) {}
    /// Accept (and record) @p s, or refuse it as a replay or too old for the window.
    bool accept(std::uint32_t s);
    /// The highest number accepted so far (0: none).
    std::uint64_t top() const { return _top; }

private:
    std::size_t slot(std::uint64_t s) const { return static_cast<std::size_t>(s % _w); }
    bool test(std::uint64_t s) const { return _bits[slot(s) / 64] >> (slot(s) % 64) & 1; }
    void set(std::uint64_t s) { _bits[slot(s) / 64] |= std::uint64_t{1} << (slot(s) % 64); }
    void clear(std::uint64_t s) { _bits[slot(s) / 64] &= ~(std::uint64_t{1} << (slot(s) % 64)); }
    std::uint64_t _w;
    std::uint64_t _top = 0;
    std::vector<std::uint64_t> _bits;
};

/// The clear part of one ESP packet of a capture: outer addresses (host order), SPI,
/// sequence number.
struct esp_record {
    std::uint32_t src = 0, dst = 0, spi = 0, seq = 0;
    std::int64_t us = 0;  ///< when it was captured: microseconds since the epoch (nanosecond pcaps too)
};

/// The ESP packets of a classic pcap file's bytes (Ethernet; IPv4; ESP in UDP port 4500
/// as RFC 3948 puts it, IKE's non-ESP marker and NAT keepalives left out, or IP protocol
/// 50), in capture order. nullopt when @p pcap is not a pcap of Ethernet frames.
std::optional<std::vector<esp_record>> esp_records(std::string_view pcap);

/// What a capture says of the ESP one sender sent one receiver.
struct esp_check {
    long frames = 0;   ///< ESP packets from the sender to the receiver
    long spis = 0;     ///< SAs they were sent under
    long reused = 0;   ///< packets whose (SPI, sequence number) an earlier one had
    long dropped = 0;  ///< packets a receiver's window of the given size refuses
    long worst_late = 0;  ///< of those, the most numbers one came behind the highest before it
};

/// @p records from @p sender to @p receiver judged per SPI; @p window is the receiver's.
esp_check check_esp(const std::vector<esp_record>& records, std::uint32_t sender, std::uint32_t receiver,
                    std::uint32_t window);

enum class verdict { pass, fail, not_checked, not_run };

/// What was measured for one row; judge() turns it into problems and a verdict.
struct row_outcome {
    row_spec row;
    bool detection_expected = true;    ///< the fault has a takeover message (or its like) to wait for
    std::optional<long> detection_ms;  ///< fault to that message
    std::optional<long> recovery_ms;   ///< fault to the first new connection through the survivors
    long kept = 0;            ///< connections that ended whole (long-lived and new after the fault)
    long lost = 0;            ///< connections that did not
    long expected_lost = 0;   ///< long-lived connections served by the failed stack: z/OS loses them
    long lost_unexpected = 0; ///< lost connections z/OS would have kept
    long digest_bad = 0;      ///< ended connections whose echo's SHA-256 differs
    long new_on_failed = 0;   ///< new connections after the fault served by the failed stack
    std::optional<esp_check> esp;      ///< nullopt: no capture to judge
    std::optional<long> charon_failures;  ///< replay and ICV failures in charon's log; nullopt: no log
    /// Of them, the replays of ESP packets the LAN's impairment gave the peer twice: the
    /// window must drop those, and nothing else.
    long charon_expected = 0;
    bool restored = true;     ///< the sysplex was as before once the row ended
    bool ran = true;          ///< false: the row was not run (an earlier one left the sysplex broken, an interrupt)
    std::vector<std::string> notes;       ///< what went wrong that the numbers do not say
    std::vector<std::string> problems;    ///< judge(): why the row fails
    std::vector<std::string> unchecked;   ///< judge(): what could not be checked
    verdict result = verdict::not_checked;
};

/// The row's problems, what it could not check, and its verdict: NOT RUN (its notes say
/// why) when it did not run, FAIL on any problem, else NOT CHECKED when something could
/// not be checked, else PASS.
void judge(row_outcome& o);

const char* verdict_text(verdict v);

/// The table (header, a line per row, then a ZPX1911E line per problem and a ZPX1912W
/// line per thing not checked), each line ending in a newline.
std::string format_table(const std::string& sysplex, const std::vector<row_outcome>& rows);

/// 0 every row passed; 4 none failed but one could not be checked; 8 a row failed or did not run.
int exit_code(const std::vector<row_outcome>& rows);

}  // namespace zplex::operating::faults
