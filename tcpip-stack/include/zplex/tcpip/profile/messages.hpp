// SPDX-License-Identifier: Apache-2.0
// Profile processing messages in z/OS form (EZZ0300I ...), with a severity for return codes.
#pragma once

#include <zplex/tcpip/profile/model.hpp>

#include <string>
#include <vector>

namespace zplex::tcpip::profile {

/// Severity decides the return code of a check: info 0, warning 4, error 8.
enum class severity : std::uint8_t { info, warning, error };

/// One message as the stack would write it to its job log.
struct message {
    std::string id;        ///< EZZ0324I
    severity level = severity::info;
    std::string text;      ///< upper-case text after the id
    source_ref where;      ///< empty dataset when not tied to a line

    /// `EZZ0324I UNRECOGNIZED STATEMENT ...`
    std::string str() const { return id + " " + text; }
};

/// The messages of one profile processing run.
class message_log {
public:
    void add(message m) { _messages.push_back(std::move(m)); }
    void add(std::string id, severity s, std::string text, source_ref where = {}) {
        _messages.push_back(message{std::move(id), s, std::move(text), std::move(where)});
    }

    const std::vector<message>& messages() const noexcept { return _messages; }
    std::size_t count(severity s) const noexcept;
    /// 0 clean, 4 warnings, 8 errors: the return code of a check.
    int return_code() const noexcept;
    /// True if any message carries @p id.
    bool has(std::string_view id) const noexcept;
    void clear() noexcept { _messages.clear(); }

private:
    std::vector<message> _messages;
};

}  // namespace zplex::tcpip::profile
