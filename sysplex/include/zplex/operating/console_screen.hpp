// SPDX-License-Identifier: Apache-2.0
// The screen of `zplex console`, laid out as an MCS console's: a title line, the held
// action messages (ids ending in A, D or E) at the top until K E deletes them, the message
// area (SYSLOG and command responses, newest at the bottom, scrollable), the command
// line with its history, and IEE612I naming the console and the system commands go to.
// Pure: keys in, lines out; the terminal is the caller's.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace zplex::operating {

class console_screen {
public:
    console_screen(std::string sysplex, std::string cmdsys);

    /// A message for the message area (one line); action messages are held too.
    void message(std::string_view line);
    /// A SYSLOG line (`N 0000000 SYS DATE TIME JOB ROUTE  text`) shown as
    /// `SYS      hh.mm.ss JOB      text`; other text is shown as it is.
    void syslog(std::string_view line);

    /// What the keyboard gave, decoded by the caller.
    enum class key { none, enter, backspace, up, down, page_up, page_down, end_console };
    /// A printable character typed at the cursor (the end of the command line).
    void type(char c);
    /// A key. enter returns the command typed (also kept in the history); else empty.
    std::string press(key k);

    /// Console commands the console answers itself: K V,CMDSYS=sys (CONTROL V) and K E
    /// (delete the held messages). True if @p command was one (its response is in the
    /// message area); @p systems are the names CMDSYS may take.
    bool local_command(std::string_view command, const std::vector<std::string>& systems);

    /// The screen, @p rows lines of at most @p cols characters; cursor_column() is where
    /// the cursor stands on the last-but-one row (the command line).
    std::vector<std::string> render(std::size_t rows, std::size_t cols, std::string_view clock) const;
    std::size_t cursor_column() const { return prompt.size() + _input.size(); }

    const std::string& cmdsys() const { return _cmdsys; }
    const std::string& input() const { return _input; }
    bool ended() const { return _ended; }

    static constexpr std::string_view prompt = "===> ";
    static constexpr std::size_t max_lines = 5000, max_held = 4, max_history = 100;

private:
    std::string _sysplex, _cmdsys, _input;
    std::deque<std::string> _lines, _held;
    std::vector<std::string> _history;
    std::size_t _history_at = 0, _scroll = 0;
    bool _ended = false;
};

}  // namespace zplex::operating
