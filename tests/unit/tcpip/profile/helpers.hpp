// SPDX-License-Identifier: Apache-2.0
// Test helpers: process profile text from strings, look at messages.
#pragma once

#include <zplex/tcpip/profile/parser.hpp>

#include <map>
#include <string>
#include <string_view>

namespace zplex::tcpip::profile::test {

struct result {
    profile cfg;
    message_log log;
    int rc() const { return log.return_code(); }
    /// Every message, one a line (for failure output).
    std::string text() const;
    /// The first message with @p id, or nullptr.
    const message* find(std::string_view id) const;
    /// True if a message with @p id contains @p fragment.
    bool has(std::string_view id, std::string_view fragment = {}) const;
};

/// Process @p text as an initial profile named 'TEST.PROFILE' with @p symbols.
/// @p includes maps dataset names to member texts for INCLUDE.
result initial(std::string_view text, std::map<std::string, std::string> symbols = {},
               std::map<std::string, std::string> includes = {});

/// Apply @p obey to @p running as an OBEYFILE named 'TEST.OBEY'.
message_log obey(profile& running, std::string_view obey_text);

}  // namespace zplex::tcpip::profile::test
