// SPDX-License-Identifier: Apache-2.0
// Texts of return and reason codes.
#include <zplex/cf/rc.hpp>

#include <fmt/format.h>
#include <cstdio>

namespace zplex::cf {

const char* reason_text(reason r) noexcept {
    switch (r) {
    case reason::none: return "REQUEST COMPLETED";
    case reason::reconnected_failed_persistent: return "RECONNECTED AS FAILED-PERSISTENT CONNECTOR";
    case reason::structure_not_allocated: return "STRUCTURE NOT ALLOCATED IN ANY CF";
    case reason::connector_table_full: return "ALL 32 CONNECTIONS IN USE";
    case reason::duplicate_connector: return "CONNECTION NAME ALREADY ACTIVE";
    case reason::bad_connect_token: return "CONNECT TOKEN NOT VALID";
    case reason::no_entry: return "NO SUCH ENTRY";
    case reason::entry_exists: return "ENTRY NAME ALREADY EXISTS";
    case reason::structure_full: return "STRUCTURE FULL";
    case reason::list_full: return "LIST FULL";
    case reason::version_mismatch: return "VERSION COMPARISON FAILED";
    case reason::key_compare_failed: return "KEY COMPARISON FAILED";
    case reason::list_key_exceeds_max: return "LIST KEY WOULD EXCEED MAXIMUM LIST KEY";
    case reason::lock_held: return "LOCK HELD BY ANOTHER CONNECTION";
    case reason::lock_not_held: return "LOCK NOT HELD BY THIS CONNECTION";
    case reason::bad_list_number: return "LIST NUMBER NOT VALID";
    case reason::bad_lock_index: return "LOCK INDEX NOT VALID";
    case reason::data_too_long: return "DATA LONGER THAN ENTRY SIZE";
    case reason::bad_parameter: return "PARAMETER NOT VALID";
    case reason::structure_lost: return "STRUCTURE LOST: REPOPULATE";
    case reason::structure_rebuilt: return "STRUCTURE MOVED: REQUEST REDONE";
    case reason::duplex_copy_unavailable: return "DUPLEX COPY UNAVAILABLE: NOTHING DONE, RETRY";
    }
    return "UNKNOWN REASON";
}

std::string to_string(result r) {
    return fmt::format("RC={:02} RSN={:04X} {}", static_cast<unsigned>(r.code), static_cast<unsigned>(r.why),
                       reason_text(r.why));
}

}  // namespace zplex::cf
