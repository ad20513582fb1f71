// SPDX-License-Identifier: Apache-2.0
// The operator console's screen model (console_screen.hpp).
#include <zplex/operating/console_screen.hpp>

#include <zplex/sysplex/text.hpp>

#include <algorithm>

namespace zplex::operating {

namespace {

bool action_message(std::string_view text) {
    auto end = text.find(' ');
    std::string_view id = text.substr(0, end);
    if (id.size() < 5 || id.size() > 10) return false;
    char last = id.back();
    if (last != 'A' && last != 'D' && last != 'E') return false;
    return std::all_of(id.begin(), id.begin() + 3, [](char c) { return c >= 'A' && c <= 'Z'; }) &&
           id[3] >= '0' && id[3] <= '9';
}

std::string fit(std::string s, std::size_t cols) {
    for (auto& c : s)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = ' ';
    if (s.size() > cols) s.resize(cols);
    return s;
}

}  // namespace

console_screen::console_screen(std::string sysplex, std::string cmdsys)
    : _sysplex(std::move(sysplex)), _cmdsys(std::move(cmdsys)) {}

void console_screen::message(std::string_view line) {
    _lines.emplace_back(line);
    if (_lines.size() > max_lines) _lines.pop_front();
    if (_scroll) ++_scroll;  // the operator looking back keeps his place
    // The message text of a console line starts after "SYS      hh.mm.ss JOB      ".
    std::string_view text = line.size() > 27 && line[8] == ' ' && line[11] == '.' ? line.substr(27) : line;
    if (action_message(text)) {
        _held.emplace_back("*" + std::string(line));
        if (_held.size() > max_held) _held.pop_front();
    }
}

void console_screen::syslog(std::string_view line) {
    // N 0000000 MVS2     26336 18:38:33.82 TCPIPA   00000090  EZZ8301I ...
    if (line.size() < 57 || line.substr(0, 10) != "N 0000000 " || line[27] != ':') return message(line);
    std::string time(line.substr(25, 8));
    std::replace(time.begin(), time.end(), ':', '.');
    message(std::string(line.substr(10, 8)) + " " + time + " " + std::string(line.substr(37, 8)) + " " +
            std::string(line.substr(56)));
}

void console_screen::type(char c) {
    if (c >= 0x20 && c < 0x7f && _input.size() < 126) _input += c;
}

std::string console_screen::press(key k) {
    switch (k) {
    case key::enter: {
        std::string cmd = _input;
        _input.clear();
        _scroll = 0;
        auto first = cmd.find_first_not_of(' ');
        if (first == std::string::npos) return {};
        if (_history.empty() || _history.back() != cmd) _history.push_back(cmd);
        if (_history.size() > max_history) _history.erase(_history.begin());
        _history_at = _history.size();
        return cmd;
    }
    case key::backspace:
        if (!_input.empty()) _input.pop_back();
        break;
    case key::up:
        if (_history_at > 0) _input = _history[--_history_at];
        break;
    case key::down:
        if (_history_at < _history.size()) ++_history_at;
        _input = _history_at < _history.size() ? _history[_history_at] : std::string();
        break;
    case key::page_up: _scroll = std::min(_scroll + 10, _lines.size()); break;
    case key::page_down: _scroll = _scroll > 10 ? _scroll - 10 : 0; break;
    case key::end_console: _ended = true; break;
    case key::none: break;
    }
    return {};
}

bool console_screen::local_command(std::string_view command, const std::vector<std::string>& systems) {
    std::string c = sysplex::upper(std::string(command));
    while (!c.empty() && c.back() == ' ') c.pop_back();
    std::string verb = c.substr(0, c.find(' '));
    if (verb != "K" && verb != "CONTROL") return false;
    std::string ops = c.find(' ') == std::string::npos ? "" : c.substr(c.find(' ') + 1);
    ops.erase(0, ops.find_first_not_of(' '));
    if (ops == "E" || ops == "E,D" || ops == "E,HOLD") {
        _held.clear();
        message("IEE712I CONTROL   PROCESSING COMPLETE");
        return true;
    }
    const std::string cmdsys = "V,CMDSYS=";
    if (ops.rfind(cmdsys, 0) == 0) {
        std::string sys = ops.substr(cmdsys.size());
        if (sys == "*") sys = systems.empty() ? _cmdsys : systems.front();
        if (std::find(systems.begin(), systems.end(), sys) == systems.end()) {
            message("IEE345I CONTROL   AUTHORITY INVALID OR SYSTEM " + sys + " IS NOT IN SYSPLEX " + _sysplex);
            return true;
        }
        _cmdsys = sys;
        message("IEE712I CONTROL   PROCESSING COMPLETE");
        return true;
    }
    message("IEE305I K        COMMAND INVALID: THIS CONSOLE TAKES K V,CMDSYS=sys AND K E");
    return true;
}

std::vector<std::string> console_screen::render(std::size_t rows, std::size_t cols, std::string_view clock) const {
    std::vector<std::string> out;
    if (rows < 4 || cols < 20) {
        out.assign(rows, std::string());
        if (rows) out[0] = fit("ZPLEX CONSOLE: TOO SMALL", cols);
        return out;
    }
    std::string title = " ZPLEX CONSOLE   SYSPLEX " + _sysplex + "   CMDSYS=" + _cmdsys;
    std::string right = std::string(clock) + " ";
    if (title.size() + right.size() < cols) title += std::string(cols - title.size() - right.size(), ' ') + right;
    out.push_back(fit(title, cols));
    std::size_t held = std::min(_held.size(), rows > 8 ? max_held : std::size_t{0});
    for (std::size_t i = _held.size() - held; i < _held.size(); ++i) out.push_back(fit(_held[i], cols));
    std::size_t area = rows - out.size() - 3;
    // The newest lines at the bottom of the area, moved up by the scroll.
    std::size_t end = _lines.size() - std::min(_scroll, _lines.size());
    std::size_t begin = end > area ? end - area : 0;
    for (std::size_t i = begin; i < end; ++i) out.push_back(fit(_lines[i], cols));
    while (out.size() < rows - 3) out.push_back({});
    std::string sep = _scroll ? "---- " + std::to_string(_scroll) + " LINES BELOW (PAGE DOWN) " : std::string();
    sep += std::string(cols > sep.size() ? cols - sep.size() : 0, '-');
    out.push_back(fit(sep, cols));
    std::string line = std::string(prompt) + _input;
    if (line.size() > cols) line = line.substr(line.size() - cols);
    out.push_back(line);
    out.push_back(fit("IEE612I CN=ZPLEXCON DEVNUM=TTY SYS=" + _cmdsys + " CMDSYS=" + _cmdsys, cols));
    return out;
}

}  // namespace zplex::operating
