// SPDX-License-Identifier: Apache-2.0
// Return and reason codes of coupling facility requests, modelled on IXLLSTE/IXLCONN.
#pragma once

#include <cstdint>
#include <string>

namespace zplex::cf {

/// Return codes as the IXL macros give them in register 15.
enum class rc : std::uint8_t {
    ok = 0,           ///< request completed
    warning = 4,      ///< completed with a condition (see reason)
    error = 8,        ///< request failed (see reason); nothing changed
    environment = 12, ///< the environment failed (structure lost, CF gone)
};

/// Reason codes (the xxxx of IXLRSNCODExxxx). Values are zplex's own; names follow z/OS.
enum class reason : std::uint16_t {
    none = 0x0000,
    // connect
    reconnected_failed_persistent = 0x0407,  ///< IXLCONN: reconnected as a failed-persistent connector
    structure_not_allocated = 0x0801,        ///< no CF holds the structure
    connector_table_full = 0x0802,           ///< all 32 connections in use
    duplicate_connector = 0x0803,            ///< CONNAME already active
    bad_connect_token = 0x0804,              ///< request after disconnect or from a foreign token
    // list requests
    no_entry = 0x0810,                       ///< ENTRYTYPE=OLD and no such entry
    entry_exists = 0x0811,                   ///< ENTRYTYPE=NEW and the name is in use
    structure_full = 0x0812,                 ///< IXLRSNCODESTRFULL: no free list entry
    list_full = 0x0813,                      ///< list limit reached
    version_mismatch = 0x0814,               ///< VERSCOMP failed
    key_compare_failed = 0x0815,             ///< KEYCOMPARE failed
    list_key_exceeds_max = 0x0816,           ///< LISTKEYINC would pass the maximum list key
    lock_held = 0x0817,                      ///< LOCKOPER: lock held by another connection
    lock_not_held = 0x0818,                  ///< LOCKOPER=HELD/RESET: caller does not hold it
    bad_list_number = 0x0819,                ///< LISTNUM out of range
    bad_lock_index = 0x081A,                 ///< LOCKINDEX out of range
    data_too_long = 0x081B,                  ///< data longer than the entry size
    bad_parameter = 0x081C,                  ///< an argument out of its domain
    // environment
    structure_lost = 0x0C01,                 ///< the CF failed with no duplex: repopulate
    structure_rebuilt = 0x0C02,              ///< moved by rebuild or duplex switch: reattached, retry
    duplex_copy_unavailable = 0x0C03,        ///< duplexed, but the copy cannot be reached: nothing done, retry
};

/// One request's outcome.
struct result {
    rc code = rc::ok;
    reason why = reason::none;
    explicit operator bool() const noexcept { return code == rc::ok || code == rc::warning; }
};

constexpr result ok() noexcept { return {}; }
constexpr result fail(reason r, rc c = rc::error) noexcept { return {c, r}; }

/// `RC=08 RSN=0812 STRUCTURE FULL`, for messages and displays.
std::string to_string(result r);
const char* reason_text(reason r) noexcept;

}  // namespace zplex::cf
