// SPDX-License-Identifier: Apache-2.0
// A readable report of what a processed profile configured (for `zplex profile check`).
#pragma once

#include <zplex/tcpip/profile/model.hpp>

#include <string>

namespace zplex::tcpip::profile {

/// The summary printed after the messages: stack settings, DVIPAs with
/// owner/backup rank and distribution, IPsec settings, interfaces and routes.
/// @p system and @p proc name the image and stack (may be empty).
std::string format_summary(const profile& p, const std::string& system, const std::string& proc);

}  // namespace zplex::tcpip::profile
