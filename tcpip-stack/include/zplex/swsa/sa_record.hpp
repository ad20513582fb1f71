// SPDX-License-Identifier: Apache-2.0
// The EZBDVIPA SA record: what the owner of a DVIPA keeps in the CF about each SA with
// the DVIPA as its endpoint, enough for a takeover stack to renegotiate it (selectors,
// policy names, peer, SPIs, lifetimes), in the entry whose key is the SA's outbound
// sequence counter (docs/swsa.md "The EZBDVIPA record").
#pragma once

#include <zplex/cf/connector.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace zplex::swsa {

/// Traffic selectors of the SA (RFC 4301 §4.4.1.1), local = the DVIPA side. Host order.
struct selectors {
    std::uint32_t local = 0;
    std::uint8_t local_len = 32;
    std::uint32_t remote = 0;
    std::uint8_t remote_len = 32;
    std::uint8_t protocol = 0;                  ///< 0: any
    std::uint16_t local_port_lo = 0, local_port_hi = 65535;
    std::uint16_t remote_port_lo = 0, remote_port_hi = 65535;
    friend bool operator==(const selectors&, const selectors&) = default;
};

/// One SA (or AH+ESP bundle) whose local endpoint is a DVIPA.
struct sa_record {
    static constexpr std::size_t max_name = 48;     ///< policy names (IpFilterRule, IpDynVpnAction)
    static constexpr std::size_t max_tunnel = 8;    ///< tunnel id (Y12)
    static constexpr std::size_t max_stack = 8;     ///< TCP/IP proc and system names

    std::string owner_system;          ///< MVS1: the stack that negotiated and owns it
    std::string owner_stack;           ///< TCPIPA
    std::string tunnel;                ///< dynamic tunnel id, Y5
    std::uint32_t dvipa = 0;           ///< local endpoint
    std::uint32_t peer = 0;            ///< remote security endpoint
    bool esp = true;                   ///< ESP in the bundle
    bool ah = false;                   ///< AH in the bundle
    std::uint8_t mode = 0;             ///< ipsec::sa_mode: 0 transport, 1 tunnel
    std::uint8_t esp_alg = 0;          ///< ipsec::algorithm
    bool esn = false;
    bool udp_encap = false;            ///< NAT-T
    std::uint32_t esp_spi_in = 0, esp_spi_out = 0;
    std::uint32_t ah_spi_in = 0, ah_spi_out = 0;
    selectors sel;
    std::string filter_rule;           ///< IpFilterRule name
    std::string vpn_action;            ///< IpDynVpnAction name
    std::uint64_t lifetime_s = 0;      ///< hard lifetime
    std::uint64_t lifesize = 0;        ///< bytes, 0: none
    std::uint64_t established = 0;     ///< Unix seconds
    std::uint64_t refreshed = 0;       ///< Unix seconds of the last refresh (rekey)
    std::uint32_t peer_window = 64;    ///< the window the sequence-number blocks are bounded by
    // Where the outbound counter is: set by publish(), read back from the entry.
    std::uint32_t counter_list = 0;    ///< EZBDVIPA list whose list key counts the SA's numbers
    std::uint64_t base = 0;            ///< the entry's key: the list key of sequence number 1

    friend bool operator==(const sa_record&, const sa_record&) = default;
};

/// The record's bytes (without counter_list and base, which are where the entry is).
std::vector<std::uint8_t> encode(const sa_record& r);
/// Strict: every length, name and value checked, nothing trailing. False and @p why.
bool decode(std::span<const std::uint8_t> in, sa_record& out, std::string* why = nullptr);

/// The owner's view of EZBDVIPA: list 0 is not used for SAs; lists first..last-1 each
/// hold at most one SA record, entry `EZBSAnn` (nn the list), whose key is its list's
/// list key when it was written: the base of the SA's sequence numbers.
class sa_store {
public:
    explicit sa_store(cf::connector& cf, std::uint32_t first_list = 1, std::uint32_t lists = 64)
        : _cf(cf), _first(first_list), _last(lists) {}

    /// Claim a free counter list and write @p r there (ENTRYTYPE=NEW, ASSIGNLISTKEY):
    /// sets r.counter_list and r.base. RSN 0813 LIST FULL when every list is taken.
    cf::result publish(sa_record& r);
    /// EZBDVIPA full: @p r takes over the record of the SA on @p counter_list, which it
    /// rekeys (ENTRYTYPE=OLD, ASSIGNLISTKEY): its numbers start above every number the
    /// old SA used, and both draw from the one counter while they overlap. Sets
    /// r.counter_list and r.base.
    cf::result take_over(sa_record& r, std::uint32_t counter_list);
    /// Rewrite the record in place (a refresh: new SPIs, lifetimes); the counter stays.
    cf::result update(const sa_record& r);
    /// Remove the record (the SA is deleted); its list may carry the next SA, whose
    /// numbers start above every number this one used.
    cf::result remove(std::uint32_t counter_list);
    /// Every record (a takeover). Entries that do not decode are listed in @p bad.
    cf::result read_all(std::vector<sa_record>& out, std::vector<std::string>* bad = nullptr);

    static std::string entry_name(std::uint32_t list);

private:
    /// Write @p data as list @p list's record (a new entry, or with @p replace the one
    /// there), its key the list key now; sets r.counter_list and r.base.
    cf::result claim(sa_record& r, const std::vector<std::uint8_t>& data, std::uint32_t list, bool replace);

    cf::connector& _cf;
    std::uint32_t _first;
    std::uint32_t _last;
};

}  // namespace zplex::swsa
