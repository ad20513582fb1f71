// SPDX-License-Identifier: Apache-2.0
// The IPsec steps of `zplex up`: an IKE daemon (zplex-iked) per image whose policy has a
// KeyExchangeRule, and strongSwan's charon on each IPsec peer of the LAN.
#pragma once

#include "run_support.hpp"
#include "up_steps.hpp"

#include <zplex/operating/run.hpp>
#include <zplex/sysplex/catalogue.hpp>

#include <functional>
#include <string>
#include <vector>

namespace zplex::cli::run {

/// An image whose Policy Agent policy gets an IKE daemon.
struct iked_plan {
    const sysplex::image_config* image = nullptr;
    std::string policy_dsn;   ///< SYS1.PAGENT(<system>)
    std::size_t rules = 0;    ///< its KeyExchangeRules
};

/// The images whose SYS1.PAGENT(<system>) has at least one KeyExchangeRule (an image
/// without the member, or with filter rules only, runs no IKED). Throws run_error
/// (ZPX1824E) for a policy with errors.
std::vector<iked_plan> plan_ikeds(const sysplex::catalogue& cat);

/// zplex-iked in each planned image's namespace (recorded as kind `iked`, job IKED), each
/// waited for (its control socket; an owner's listening on its DVIPAs, bounded), one
/// @p step line each (ZPX1825I). Throws run_error (ZPX1826E) with its log's tail.
void start_ikeds(operating::run_record& r, const fs::path& dir, const std::vector<iked_plan>& plans,
                 const std::vector<image_plan>& images, const std::function<void(const std::string&)>& step);

/// charon in IPsec peer @p h's namespace with a private /run (peer_run_dir), zplex's
/// strongswan.conf and the user's swanctl.conf data set loaded; waits (10 s at most) for
/// every CHILD_SA with start_action=start (ZPX1827I). False, with a @p note (ZPX1829W),
/// when one is not installed in time or strongSwan is not installed. Throws run_error
/// (ZPX1828E) when the data set is missing, charon does not start or swanctl refuses the file.
bool start_peer(operating::run_record& r, const fs::path& dir, const sysplex::catalogue& cat,
                const sysplex::host_config& h, const std::function<void(const std::string&)>& step,
                const std::function<void(const std::string&)>& note);

/// `RUN/peers/<host>/run`: the /run of IPsec peer @p host's charon and of what `zplex exec`
/// runs there.
fs::path peer_run_dir(const fs::path& dir, const std::string& host);

}  // namespace zplex::cli::run
