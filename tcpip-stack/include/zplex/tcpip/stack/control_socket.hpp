// SPDX-License-Identifier: Apache-2.0
// Where a running stack takes operator commands: the 0600 line socket zplex-tcpip opens
// in its run directory (one request line, the reply, close; base's line_server).
#pragma once

#include <zplex/sysplex/text.hpp>

#include <filesystem>
#include <string>

namespace zplex::tcpip::stack {

/// `RUN/tcpip-<system, lower case>.sock`: the control socket of @p system's stack.
inline std::filesystem::path control_socket(const std::filesystem::path& run_dir, const std::string& system) {
    return run_dir / ("tcpip-" + sysplex::lower(system) + ".sock");
}

/// `RUN/iked-<system, lower case>.sock`: the control socket of @p system's zplex-iked
/// (`ipsec -k display`).
inline std::filesystem::path iked_socket(const std::filesystem::path& run_dir, const std::string& system) {
    return run_dir / ("iked-" + sysplex::lower(system) + ".sock");
}

}  // namespace zplex::tcpip::stack
