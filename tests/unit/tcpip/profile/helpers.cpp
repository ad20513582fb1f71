// SPDX-License-Identifier: Apache-2.0
// Test helpers: process profile text from strings, look at messages.
#include "helpers.hpp"

namespace zplex::tcpip::profile::test {

std::string result::text() const {
    std::string s;
    for (const auto& m : log.messages()) {
        s += m.str() + "\n";
    }
    return s;
}

const message* result::find(std::string_view id) const {
    for (const auto& m : log.messages()) {
        if (m.id == id) {
            return &m;
        }
    }
    return nullptr;
}

bool result::has(std::string_view id, std::string_view fragment) const {
    for (const auto& m : log.messages()) {
        if (m.id == id && m.text.find(fragment) != std::string::npos) {
            return true;
        }
    }
    return false;
}

result initial(std::string_view text, std::map<std::string, std::string> symbols,
               std::map<std::string, std::string> includes) {
    result r;
    parse_options o;
    o.symbols = std::move(symbols);
    o.reader = [includes](std::string_view ref, std::string& why) -> std::optional<std::pair<std::string, std::string>> {
        std::string key(ref);
        if (key.size() >= 2 && key.front() == '\'') {
            key = key.substr(1, key.size() - 2);
        }
        auto it = includes.find(key);
        if (it == includes.end()) {
            why = "DATA SET NOT FOUND IN CATALOG";
            return std::nullopt;
        }
        return std::make_pair(it->second, "'" + key + "'");
    };
    r.cfg = process_initial_text(text, "'TEST.PROFILE'", o, r.log);
    return r;
}

message_log obey(profile& running, std::string_view obey_text) {
    message_log log;
    parse_options o;
    apply_obeyfile_text(running, obey_text, "'TEST.OBEY'", o, log);
    return log;
}

}  // namespace zplex::tcpip::profile::test
