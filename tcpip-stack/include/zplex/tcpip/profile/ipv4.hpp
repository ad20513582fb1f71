// SPDX-License-Identifier: Apache-2.0
// IPv4 addresses and masks as profiles write them: the bottom library's parser, under the
// names profile code uses.
#pragma once

#include <zplex/sysplex/ipv4.hpp>

namespace zplex::tcpip::profile {

using sysplex::ipv4_address;
using sysplex::mask_to_prefix;
using sysplex::parse_cidr;
using sysplex::parse_cidr_profile;
using sysplex::prefix_to_mask;

}  // namespace zplex::tcpip::profile
