// SPDX-License-Identifier: Apache-2.0
// XCF signalling services: systems with status heartbeats, groups and members
// (IXCJOIN/IXCLEAVE/IXCQUERY), messages (IXCMSGO/IXCMSGI), group exits, failure
// detection and partitioning, and the D XCF displays.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace zplex::xcf {

enum class rc : std::uint8_t { ok = 0, warning = 4, error = 8, environment = 12 };

enum class reason : std::uint16_t {
    none = 0x0000,
    bad_key = 0x0801,            ///< the sysplex key does not match the couple dataset's
    sysplex_full = 0x0802,       ///< no free system slot
    system_active = 0x0803,      ///< a live system of that name is already in the sysplex
    group_full = 0x0804,         ///< no free member slot
    member_active = 0x0805,      ///< the member name is active in the group
    no_such_member = 0x0806,     ///< IXCMSGO target not in the group (or not active)
    message_too_long = 0x0807,   ///< more than 1 MiB
    fenced = 0x0808,             ///< this system was partitioned out: sends refused
    not_joined = 0x0809,         ///< the member left
    bad_parameter = 0x080A,
    receiver_failed = 0x080B,    ///< the target failed while the message was sent
    bad_name = 0x080C,           ///< a sysplex, system, group or member name with bad characters or length
    no_such_system = 0x080D,     ///< attach: no live system of that name in the sysplex
    other_key = 0x0401,          ///< warning: another couple dataset of this sysplex is in use under a different key
    no_message = 0x0C01,         ///< IXCMSGI: nothing arrived in the wait time
    no_dataset = 0x0C02,         ///< the couple dataset cannot be created or opened (or is not the caller's)
};

struct result {
    rc code = rc::ok;
    reason why = reason::none;
    explicit operator bool() const noexcept { return code == rc::ok || code == rc::warning; }
};

std::string to_string(result r);

/// The sysplex key: 32 bytes, from SYSPLEX.xml's key file (64 hex digits).
using sysplex_key = std::array<std::uint8_t, 32>;

/// Parse 64 hex digits (blanks and a trailing newline allowed); false if malformed.
bool parse_key(std::string_view hex, sysplex_key& out);

/// Nanoseconds of a monotonic clock. Every system of one sysplex must use the same
/// clock: CLOCK_MONOTONIC (the default) across processes, an injected one in tests
/// that run all their systems in one process.
using clock_fn = std::function<std::int64_t()>;

struct sysplex_options {
    std::string sysplex;                       ///< shared-memory namespace (1-16 of A-Z a-z 0-9 @ # $ _ -)
    std::chrono::milliseconds interval{300};   ///< this system's failure detection INTERVAL
    sysplex_key key{};                         ///< authenticates and encrypts every message
    clock_fn clock;                            ///< empty: CLOCK_MONOTONIC

    /// Wipes the key (every copy is wiped when it goes).
    ~sysplex_options();
};

/// Name rules: sysplex 1-16 of A-Z a-z 0-9 @ # $ _ -; system 1-8 and group 1-8 of
/// A-Z a-z 0-9 @ # $; member 1-16 of those and _ -.
bool valid_sysplex_name(std::string_view s);
bool valid_system_name(std::string_view s);
bool valid_group_name(std::string_view s);
bool valid_member_name(std::string_view s);

/// The couple dataset's shared-memory name for @p o: `zplex.SYSPLEX.XCF.` and 16 hex
/// digits of a MAC of the sysplex name under the key. A different key names a different
/// dataset, so a system with a wrong key can never take the sysplex's dataset.
std::string dataset_name(const sysplex_options& o);

/// What sweep_datasets() found in /dev/shm.
struct sweep_report {
    std::uint32_t removed = 0;   ///< couple datasets no live process used
    std::uint32_t in_use = 0;    ///< left alone: a live system or member
    std::uint32_t foreign = 0;   ///< another user's, or not a regular 0600 file: left alone
    std::uint32_t failed = 0;    ///< could not be removed
};

/// Remove the couple datasets (and unfinished formats) that dead runs left in /dev/shm:
/// those owned by the caller in which no system or member process is alive.
/// Logs one IXC message per dataset on @p log. Returns 0, 4 if one was another
/// user's (left alone), 8 if one could not be removed, 12 if /dev/shm cannot be read.
int sweep_datasets(std::ostream& log, sweep_report& r);

/// Member states as IXCQUERY reports them.
enum class member_state : std::uint32_t { unused = 0, active = 1, quiesced = 2, failed = 3 };

struct member_info {
    std::string group;
    std::string name;
    std::string system;
    member_state state = member_state::unused;
    std::uint64_t user_state = 0;
    std::int32_t pid = 0;
};

/// A group exit event.
struct group_event {
    enum class kind : std::uint8_t { joined, left, failed } what = kind::joined;
    std::string group;
    std::string member;
    std::string system;
};

/// How XCF protects a message (docs/xcf.md, "Message protection"). Both modes
/// authenticate the message, its sender, receiver, sequence and mode with the sysplex's
/// message key; only sealed also encrypts it. A receiver learns the mode from the
/// message, and a message verifies only in the mode it was sent in.
enum class protection : std::uint8_t {
    sealed = 0,          ///< AES-256-GCM: encrypted and authenticated (member::send)
    integrity_only = 1,  ///< AES-256-GCM with the message as additional data only (GMAC)
};

/// Counters of dropped signals, by reason.
struct drop_counters {
    std::uint64_t integrity = 0;   ///< AEAD tag did not verify (forged, wrong key, damaged)
    std::uint64_t replay = 0;      ///< sequence number not above the last delivered one
    std::uint64_t malformed = 0;   ///< frame header not valid
    std::uint64_t stale = 0;       ///< from a failed or earlier incarnation of the sender
};

class member;

/// One system (image) in the sysplex: heartbeats its status and watches the others.
class system {
public:
    /// Join @p sysname to the sysplex. The couple dataset is created (formatted) by the
    /// first joiner holding the key it is named after; a dataset in which no system or
    /// member process is alive any more is re-formatted. RC 4 RSN 0401: joined, but
    /// another dataset of the same sysplex name is in use under a different key.
    static result join(const sysplex_options& o, const std::string& sysname, std::unique_ptr<system>& out);
    /// Attach to the live system @p sysname that another process owns (an image's
    /// system under Hercules), so that members joined here are that system's members:
    /// they fail when it is partitioned, and fenced() turns true. The attached process
    /// never updates the system's status, so it never keeps a dead system alive; its
    /// tick() partitions the system when the status is missing or its owner process
    /// ended, as any survivor would. Nothing is created: RC 8 RSN 080D when no such
    /// system is active (or no couple dataset exists).
    static result attach(const sysplex_options& o, const std::string& sysname, std::unique_ptr<system>& out);
    /// Leaves the sysplex normally (its members leave; no partitioning). An attached
    /// system leaves only its own members; the system stays its owner's.
    ~system();

    /// Update our status and check the others: a system silent for longer than its
    /// interval is declared failed and partitioned; a member whose process died fails.
    /// A pass that finds our own previous status update older than our interval (we
    /// were stopped or starved) partitions nobody: the others may be late only because
    /// we did not look. Call at least every interval/4 (or run start()).
    void tick();
    /// Run tick() on a background thread every interval/4.
    void start();
    void stop();

    /// True once the sysplex partitioned us out: we must stop sending. For an attached
    /// system also once the system left the sysplex or was re-IPLed by its owner.
    bool fenced() const;
    /// True if made by attach().
    bool attached() const;
    const std::string& name() const;
    /// IXC101I/IXC105I and other messages since the last call.
    std::vector<std::string> take_messages();

    /// D XCF / D XCF,GROUP / D XCF,GROUP,name,ALL / D XCF,PATHIN / D XCF,PATHOUT.
    std::string display(const std::string& command);

    struct impl;
    std::unique_ptr<impl> _impl;

private:
    system();
    /// Check the names and INTERVAL; a new unjoined system in @p s.
    static result start_with(const sysplex_options& o, const std::string& sysname, std::unique_ptr<system>& s);
};

/// A member of an XCF group (IXCJOIN): sends and receives messages, hears group events.
class member {
public:
    static result join(system& sys, const std::string& group, const std::string& name, std::uint64_t user_state,
                       std::unique_ptr<member>& out);
    ~member();

    result leave();
    /// IXCMSGO to one member, or to every other active member of the group when @p to is
    /// empty; the message is sealed (encrypted and authenticated).
    result send(const std::string& to, std::span<const std::uint8_t> message);
    /// send(), but the message is authenticated and not encrypted (protection::integrity_only):
    /// only for bytes that are public already, such as a packet forwarded exactly as it came
    /// off a LAN. Never for keys or other control data. Same ordering, replay and fencing
    /// rules, and the same sequence (one nonce per message under the key) as send().
    result send_integrity_only(const std::string& to, std::span<const std::uint8_t> message);
    /// IXCMSGI: the next complete message (in order per sender, whatever its mode), waiting up to @p wait.
    result receive(std::vector<std::uint8_t>& message, std::string& from,
                   std::chrono::milliseconds wait = std::chrono::milliseconds(0));
    /// receive(), telling in @p how which protection the message arrived with.
    result receive(std::vector<std::uint8_t>& message, std::string& from, protection& how,
                   std::chrono::milliseconds wait = std::chrono::milliseconds(0));
    /// The doorbell, for an event loop that sleeps in epoll beside other descriptors:
    /// a descriptor that becomes readable when a sender published a message while this
    /// member was armed (-1 if none can be made). Before sleeping, arm(): false when a
    /// message is there already (do not sleep); after waking, woken(). A sender pays one
    /// FUTEX_WAKE only for a member that sleeps; one that is busy is never rung.
    int wakeup_fd();
    bool arm();
    void woken();
    /// This member as a sender: the sleeping receivers it rang by writing their eventfd
    /// itself (a copy taken with pidfd_getfd), and those it rang by the futex (their bell
    /// thread then writes the eventfd: one more wakeup).
    struct bell_counters {
        std::uint64_t eventfd = 0, futex = 0;
    };
    bell_counters bells() const;
    /// Group exit: joins, leaves and failures in the group since the last call.
    std::vector<group_event> events();
    /// IXCQUERY of the group.
    std::vector<member_info> query() const;
    drop_counters drops() const;
    const std::string& name() const;
    const std::string& group() const;

    struct impl;
    std::unique_ptr<impl> _impl;

private:
    member();
};

inline constexpr std::size_t max_message = 1024 * 1024;

}  // namespace zplex::xcf
