// SPDX-License-Identifier: Apache-2.0
// A connection to a CF list structure (IXLCONN) and the list requests on it (IXLLSTE,
// IXLLSTM, IXLLSTC), including the list-key increment (LISTKEYINC).
#pragma once

#include <zplex/cf/rc.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace zplex::cf {

/// A 16-byte entry key, compared as an unsigned big-endian number.
struct entry_key {
    std::array<std::uint8_t, 16> bytes{};
    /// The key whose low 8 bytes are @p v (big-endian), high 8 bytes zero.
    static entry_key of(std::uint64_t v) noexcept;
    /// The low 8 bytes as a number.
    std::uint64_t low() const noexcept;
    friend auto operator<=>(const entry_key&, const entry_key&) = default;
};

using adjunct_area = std::array<std::uint8_t, 64>;

/// ENTRYTYPE: must the entry exist?
enum class entry_type : std::uint8_t { any, old_entry, new_entry };

/// KEYCOMPARE / KEYREQTYPE for a key locator.
enum class key_compare : std::uint8_t { equal, less_or_equal, greater_or_equal };

/// How a request finds its entry (LOCATOR=).
struct locator {
    enum class kind : std::uint8_t { entry_id, entry_name, key, head, tail } by = kind::entry_id;
    std::uint32_t list = 0;        ///< for key, head, tail
    std::uint64_t entry_id = 0;    ///< for entry_id
    std::string name;              ///< for entry_name (1-16 bytes)
    entry_key key;                 ///< for key
    key_compare compare = key_compare::equal;

    static locator by_id(std::uint64_t id) { locator l; l.by = kind::entry_id; l.entry_id = id; return l; }
    static locator by_name(std::string n) { locator l; l.by = kind::entry_name; l.name = std::move(n); return l; }
    static locator by_key(std::uint32_t list, entry_key k, key_compare c = key_compare::equal) {
        locator l; l.by = kind::key; l.list = list; l.key = k; l.compare = c; return l;
    }
    static locator head(std::uint32_t list) { locator l; l.by = kind::head; l.list = list; return l; }
};

/// LOCKOPER on a lock-table entry, checked before the request runs.
enum class lock_oper : std::uint8_t { none, set, reset, held, not_held };

/// Conditions every entry request may carry (VERSCOMP, LOCKINDEX/LOCKOPER).
struct conditions {
    std::optional<std::uint64_t> version_compare;  ///< VERSCOMP: the entry's version must equal
    std::optional<std::uint32_t> lock_index;       ///< LOCKINDEX
    lock_oper lock = lock_oper::none;              ///< LOCKOPER
};

/// IXLLSTE REQUEST=WRITE.
struct write_request {
    locator where = locator::head(0);   ///< ENTRYTYPE=OLD/ANY: the entry to replace
    std::uint32_t list = 0;             ///< list for a new entry
    std::string name;                   ///< ENTRYNAME for a new entry (unique), may be empty
    entry_key key;                      ///< ENTRYKEY, unless assign_list_key
    bool assign_list_key = false;       ///< ASSIGNLISTKEY=CREATE: key = the list key
    std::uint64_t list_key_increment = 0;  ///< LISTKEYINC: list key += this, atomically
    entry_type type = entry_type::new_entry;
    std::optional<std::uint64_t> version_update;  ///< VERSUPDT: the entry's new version
    conditions when;
    std::span<const std::uint8_t> data;
    std::optional<adjunct_area> adjunct;
};

/// What IXLYLAA answers.
struct answer {
    std::uint64_t entry_id = 0;
    entry_key key;
    std::uint64_t version = 0;
    std::uint64_t list_key = 0;   ///< LAALISTKEY: the list key before the increment
};

struct entry {
    std::uint64_t entry_id = 0;
    std::uint32_t list = 0;
    entry_key key;
    std::string name;
    std::uint64_t version = 0;
    adjunct_area adjunct{};
    std::vector<std::uint8_t> data;
};

/// READ_LCONTROLS / WRITE_LCONTROLS.
struct list_controls {
    std::uint64_t list_key = 0;
    std::uint64_t max_list_key = ~std::uint64_t{0};
    std::uint32_t limit = 0;       ///< 0: no limit
    std::uint32_t count = 0;       ///< read only
    std::uint64_t authority = 0;
};

/// IXLCONN parameters.
struct connect_options {
    std::string sysplex;           ///< shared-memory namespace (the sysplex name, or a test's)
    std::string structure;         ///< STRNAME
    std::string conname;           ///< CONNAME (1-16); a failed-persistent one reconnects
    std::vector<std::string> cfs;  ///< PREFLIST of the structure
};

/// A connection to one list structure. Not thread-safe: one per thread.
class connector {
public:
    /// IXLCONN. On success @p out holds the connection; rc 4 reason 0407 when it
    /// took back a failed-persistent connection of the same name.
    static result connect(const connect_options& options, std::unique_ptr<connector>& out);

    virtual ~connector() = default;

    /// IXLDISC: the connection ends normally (its lock entries are released).
    virtual result disconnect() = 0;

    /// The list-key increment on its own: atomically returns the list key in
    /// @p first and adds @p n, so the caller owns numbers [first, first + n).
    /// Never hands out a number twice, across any crash of connectors or of one
    /// CF of a duplexed structure. Fails with list_key_exceeds_max and changes
    /// nothing if the block would pass the maximum list key.
    virtual result take_list_keys(std::uint32_t list, std::uint64_t n, std::uint64_t& first) = 0;

    /// IXLLSTE WRITE: create (ENTRYTYPE=NEW/ANY) or replace (OLD/ANY) an entry.
    virtual result write(const write_request& request, answer* ans = nullptr) = 0;
    /// IXLLSTE READ.
    virtual result read(const locator& where, entry& out, const conditions& when = {}) = 0;
    /// IXLLSTE DELETE (optionally returning the entry, READ_DELETE).
    virtual result remove(const locator& where, const conditions& when = {}, entry* out = nullptr) = 0;
    /// IXLLSTE MOVE to another list; optionally a new key, or one assigned from the
    /// target list key (ASSIGNLISTKEY=MOVE) with an increment.
    virtual result move(const locator& where, std::uint32_t to_list, std::optional<entry_key> to_key,
                        const conditions& when = {}, answer* ans = nullptr, bool assign_list_key = false,
                        std::uint64_t list_key_increment = 0) = 0;
    /// IXLLSTM READ_LIST: every entry of a list in key order.
    virtual result read_list(std::uint32_t list, std::vector<entry>& out) = 0;
    /// IXLLSTM DELETE_LIST.
    virtual result delete_list(std::uint32_t list, std::uint32_t& deleted) = 0;
    /// IXLLSTC READ_LCONTROLS / WRITE_LCONTROLS.
    virtual result read_list_controls(std::uint32_t list, list_controls& out) = 0;
    virtual result write_list_controls(std::uint32_t list, const list_controls& in) = 0;
    /// IXLLSTC LOCK: set (conditionally) or reset a lock-table entry.
    virtual result lock(std::uint32_t index, lock_oper op) = 0;

    /// CONACONID (1..32) and the structure's current CF.
    virtual std::uint32_t connection_id() const noexcept = 0;
    virtual std::string current_cf() const = 0;

    /// Whether the structure is still there: a CF that died is noticed now, not at the
    /// next 4096th request. A duplexed structure switches to its copy (rc 4, reason
    /// structure_rebuilt); one lost without a copy fails with structure_lost, and so
    /// does every request after it until reconnect().
    virtual result probe() = 0;
    /// After structure_lost: IXLCONN again, to the structure a CF has allocated anew
    /// (empty: what the lost one held is gone). The generation counts these: a user of
    /// an earlier generation's contents (a list key, an entry) must not trust them in
    /// this one. Fails, still lost, while no CF holds the structure.
    virtual result reconnect() = 0;
    /// 0 at connect, one more at each successful reconnect().
    virtual std::uint32_t generation() const noexcept = 0;
    /// The structure was lost and not connected again yet.
    virtual bool lost() const noexcept = 0;
};

}  // namespace zplex::cf
