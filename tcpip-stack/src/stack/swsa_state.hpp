// SPDX-License-Identifier: Apache-2.0
// SWSA in the stack core (swsa.cpp, docs/swsa.md): the SAs of distributed DVIPAs this
// stack owns (masters) and the shadows it holds as a target, its SAD and SPD for them.
#pragma once

#include <zplex/ipsec/sad.hpp>
#include <zplex/ipsec/spd.hpp>
#include <zplex/swsa/messages.hpp>
#include <zplex/swsa/peek.hpp>
#include <zplex/swsa/shadow_cache.hpp>

#include <array>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace zplex::tcpip::stack {

/// An SA this stack negotiated (owns) for one of its distributed DVIPAs.
struct swsa_master {
    swsa::sa_distribute_message sa;       ///< as distributed (keys wiped when it goes)
    /// An AH+ESP bundle: its second half (same tunnel, the other protocol). The bundle is
    /// whole, peeked and sent under, once this is here.
    std::optional<swsa::sa_distribute_message> other;
    std::unique_ptr<swsa::peeker> peek;   ///< the inbound SA's peek (a bundle's: behind AH)
    /// The half of protocol @p proto (50, 51), or null.
    const swsa::sa_distribute_message* half(std::uint8_t proto) const noexcept {
        if (sa.protocol == proto) return &sa;
        return other && other->protocol == proto ? &*other : nullptr;
    }
    std::uint64_t target_bytes = 0;       ///< lifesize reported by the targets
    std::uint64_t reports = 0;
    std::set<std::string> told;           ///< targets (XCF members) that have the SA now
    /// The EZBDVIPA connection's generation its record and counters are in: one of an
    /// earlier generation (the structure was lost since) is rekeyed (docs/swsa.md).
    std::uint32_t generation = 0;
    /// Counter lists whose record a rekey took over (EZBDVIPA was full): the new SA's
    /// now, so this SA's delete leaves them (docs/swsa.md "EZBDVIPA full").
    std::set<std::uint32_t> given;
};

/// An outbound packet of the image that the IPsec policy protects with a dynamic SA
/// none of which is here yet: NEWCONN asks the DVIPA's owner to negotiate one.
struct swsa_newconn_slot {
    bool used = false, sent = false;
    std::uint32_t dvipa = 0, remote = 0;
    std::uint8_t protocol = 0;
    std::uint16_t local_port = 0, remote_port = 0;
    std::int64_t at_ms = 0;               ///< when it was asked for (one request a second per slot)
};

struct swsa_state {
    ipsec::spd needs;                     ///< [C] the policy's filter rules with a dynamic VPN action (docs/swsa.md "NEWCONN")
    std::array<swsa_newconn_slot, 16> asking{};  ///< [P] requests to send on tick
    std::vector<swsa::newconn_message> newconns;  ///< [C] the owner's: for its IKE daemon (SWSA NEWCONNS)
    ipsec::sad sad;                       ///< [P] masters' and shadows' SAs (one SAD: a stack is owner or target per DVIPA)
    ipsec::spd spd;                       ///< [P] their dynamic filters
    std::unique_ptr<swsa::shadow_cache> cache;  ///< [C] built when EZBDVIPA is given
    std::map<std::string, swsa_master> masters;  ///< [C] by tunnel
    ipsec::packet buf;                    ///< [P] a packet being protected or unprotected
    const std::uint8_t* forward = nullptr;  ///< [P] the protected packet dist_encap_send forwards
    std::size_t forward_len = 0;
    std::vector<std::uint8_t> scratch = std::vector<std::uint8_t>(40);  ///< [P] the peeked headers
    std::vector<std::uint8_t> unwrapped = std::vector<std::uint8_t>(65536);  ///< [P] ESP-in-UDP as plain ESP, for the peek
    std::uint32_t burst_left = 0;         ///< [P] app packets still to come of the current TUN burst
    std::array<swsa::cf_seq_source*, 8> burst_reserved{};  ///< [P] sources that reserved for it
    std::size_t burst_count = 0;
    std::int64_t cf_checked_ms = 0;       ///< [C] when EZBDVIPA was last probed (swsa_cf_check)
    bool cf_lost_said = false;            ///< [C] ZPX1762E said for the current loss
};

}  // namespace zplex::tcpip::stack
