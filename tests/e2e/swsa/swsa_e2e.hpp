// SPDX-License-Identifier: Apache-2.0
// What the SWSA e2e tests share: addresses as numbers, lines of a display, and the wait
// for the owner's VDPT to show every target ready.
#pragma once

#include <zplex/e2e/stack_plex.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace zplex::e2e::swsa_e2e {

using namespace std::chrono_literals;

inline constexpr const char* dva1 = "198.18.2.1";

inline std::uint32_t ip(const char* a) {
    in_addr x{};
    ::inet_pton(AF_INET, a, &x);
    return ntohl(x.s_addr);
}

/// The lines of @p text that start with @p key.
inline std::vector<std::string> lines_with(const std::string& text, const std::string& key) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at < text.size()) {
        auto nl = text.find('\n', at);
        if (nl == std::string::npos) nl = text.size();
        auto line = text.substr(at, nl - at);
        if (line.rfind(key, 0) == 0) out.push_back(line);
        at = nl + 1;
    }
    return out;
}

/// The number right after @p key in @p line, 0 when it is not there.
inline std::uint64_t number_after(const std::string& line, const std::string& key) {
    auto at = line.find(key);
    return at == std::string::npos ? 0 : std::stoull(line.substr(at + key.size()));
}

/// Until @p owner's VDPT shows @p n targets of DVA1:60 ready (Rdy 001), bounded.
inline bool wait_ready(const stack_plex& plex, const std::string& owner, std::size_t n) {
    for (int i = 0; i < 400; ++i) {  // a bound, not a timing claim
        std::size_t rdy = 0;
        for (const auto& l : lines_with(plex.control(owner, "NETSTAT VDPT"), "  TotalConn:"))
            rdy += l.find("Rdy: 001") != std::string::npos;
        if (rdy == n) return true;
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

}  // namespace zplex::e2e::swsa_e2e
