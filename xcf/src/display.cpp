// SPDX-License-Identifier: Apache-2.0
// The D XCF displays.
#include "internal.hpp"

#include <zplex/sysplex/text.hpp>

#include <fmt/format.h>
#include <cctype>
#include <cstdio>
#include <sstream>

namespace zplex::xcf {

using namespace detail;

std::string system::display(const std::string& command) {
    auto& c = _impl->c();
    std::string u = sysplex::upper(command);
    std::ostringstream out;
    auto state_name = [](std::uint32_t s) {
        switch (static_cast<member_state>(s)) {
        case member_state::active: return "ACTIVE";
        case member_state::quiesced: return "QUIESCED";
        case member_state::failed: return "FAILED";
        case member_state::unused: break;
        }
        return "UNUSED";
    };
    if (u == "D XCF" || u == "DISPLAY XCF") {
        out << "IXC334I  " << sysplex::console_time() << "  DISPLAY XCF\n SYSPLEX " << get_field(c.sysplex) << ":";
        for (auto& s : c.systems) {
            if (s.state.load() == static_cast<std::uint32_t>(sys_state::active)) {
                out << "  " << get_field(s.name);
            }
        }
        out << "\n";
        return out.str();
    }
    if (u == "D XCF,GROUP" || u == "D XCF,GRP") {
        out << "IXC331I  " << sysplex::console_time() << "  DISPLAY XCF\n GROUPS(SIZE):";
        std::vector<std::pair<std::string, int>> groups;
        for (auto& m : c.members) {
            if (m.state.load() == static_cast<std::uint32_t>(member_state::unused)) {
                continue;
            }
            auto g = get_field(m.group);
            auto it = std::find_if(groups.begin(), groups.end(), [&](auto& p) { return p.first == g; });
            if (it == groups.end()) {
                groups.emplace_back(g, 1);
            } else {
                ++it->second;
            }
        }
        for (auto& [g, n] : groups) {
            out << "  " << g << "(" << n << ")";
        }
        out << "\n";
        return out.str();
    }
    if (u.rfind("D XCF,GROUP,", 0) == 0) {
        auto rest = u.substr(12);
        auto comma = rest.find(',');
        auto group = rest.substr(0, comma);
        out << "IXC333I  " << sysplex::console_time() << "  DISPLAY XCF\n INFORMATION FOR GROUP " << group << "\n";
        out << "   MEMBER NAME:      SYSTEM:  PID:     STATE:    USER STATE:\n";
        int n = 0;
        for (auto& m : c.members) {
            if (m.state.load() == static_cast<std::uint32_t>(member_state::unused) || get_field(m.group) != group) {
                continue;
            }
            out << fmt::format("   {:<17} {:<8} {:<8} {:<9} {:016X}\n", get_field(m.name),
                               get_field(c.systems[m.system].name), m.pid.load(), state_name(m.state.load()),
                               m.user_state.load());
            ++n;
        }
        if (n == 0) {
            out << "   GROUP " << group << " HAS NO MEMBERS\n";
        }
        return out.str();
    }
    if (u == "D XCF,PATHIN" || u == "D XCF,PATHOUT" || u == "D XCF,PI" || u == "D XCF,PO") {
        bool in = u.find("PATHIN") != std::string::npos || u.ends_with(",PI");
        out << (in ? "IXC355I  " : "IXC356I  ") << sysplex::console_time() << "  DISPLAY XCF\n";
        out << (in ? " PATHIN FROM SYSTEM(MEMBER)       TO MEMBER         MESSAGES  PENDING BYTES\n"
                   : " PATHOUT FROM MEMBER   TO SYSTEM(MEMBER)            MESSAGES  PENDING BYTES\n");
        for (std::uint32_t s = 0; s < max_members; ++s) {
            for (std::uint32_t r = 0; r < max_members; ++r) {
                auto& ring = c.rings[s][r];
                auto msgs = ring.messages.load();
                if (msgs == 0) {
                    continue;
                }
                auto& ms = c.members[s];
                auto& mr = c.members[r];
                out << fmt::format(" {:<8}({:<16}) -> {:<16} {:>10} {:>10}\n", get_field(c.systems[ms.system].name),
                                   get_field(ms.name), get_field(mr.name), msgs, ring.tail.load() - ring.head.load());
            }
        }
        return out.str();
    }
    return "IEE305I " + command.substr(0, 40) + " COMMAND INVALID\n";
}

}  // namespace zplex::xcf
