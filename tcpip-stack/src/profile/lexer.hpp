// SPDX-License-Identifier: Apache-2.0
// Profile lexer: records to tokens, `;` comments, quotes, system symbols, columns 73-80.
#pragma once

#include <zplex/tcpip/profile/messages.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace zplex::tcpip::profile::detail {

struct token {
    std::string text;     ///< as written, after symbol substitution, quotes removed
    std::string upper;    ///< folded to upper case (z/OS folds all but mixed-case values)
    int line = 0;
    int column = 0;
    bool quoted = false;  ///< was '...' or "..."
    bool seqno = false;   ///< eight digits in columns 73-80: an ISPF sequence number
};

/// Split @p text into tokens. Free format: blanks and end-of-record separate
/// tokens, `;` at the start of a token comments out the rest of the line.
/// Static symbols (&NAME. or &NAME) are substituted; an undefined one stays as
/// written and gets a warning in @p log. @p dataset names the file in messages.
std::vector<token> tokenize(std::string_view text, const std::string& dataset,
                            const std::map<std::string, std::string>& symbols, message_log& log);

}  // namespace zplex::tcpip::profile::detail
