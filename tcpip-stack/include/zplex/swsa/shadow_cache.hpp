// SPDX-License-Identifier: Apache-2.0
// A target stack's shadow SA cache (z/OS: the shadows `ipsec -y display -s` lists):
// the SAs the owner of a distributed DVIPA sent, installed in the target's SAD
// (inbound by SPI, protocol and source; outbound by tunnel) with their dynamic filters
// in its SPD, outbound sequence numbers from EZBDVIPA; make-before-break rekeys;
// the lifesize counted here and reported to the owner in adaptive batches.
#pragma once

#include <zplex/ipsec/display.hpp>
#include <zplex/ipsec/sad.hpp>
#include <zplex/ipsec/spd.hpp>
#include <zplex/swsa/messages.hpp>
#include <zplex/swsa/seq_source.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace zplex::swsa {

/// How often a target reports the bytes of an SA: a share of its lifesize in basis
/// points (1/100 %). It starts at 5 %; each SA the owner had to let expire without a
/// refresh halves it (down to 0.5 %), so the owner learns of the use sooner; each SA
/// refreshed in time raises it by 1 % (additive, up to 10 %), so fewer messages are
/// sent while the sums keep up (docs/swsa.md "Lifesize").
class lifesize_batching {
public:
    static constexpr std::uint32_t initial_bp = 500;
    static constexpr std::uint32_t min_bp = 50;
    static constexpr std::uint32_t max_bp = 1000;
    static constexpr std::uint32_t step_bp = 100;

    std::uint32_t basis_points() const noexcept { return _bp; }
    /// Bytes between reports for an SA of @p lifesize bytes (at least 1).
    std::uint64_t threshold(std::uint64_t lifesize) const noexcept;
    void refreshed_in_time() noexcept;
    void expired_unrefreshed() noexcept;

private:
    std::uint32_t _bp = initial_bp;
};

/// One shadow as the cache keeps it (and the displays show it).
struct shadow {
    std::string tunnel;
    std::string owner_system, owner_stack;
    std::string vpn_action;
    std::uint32_t dvipa = 0, peer = 0;
    std::uint8_t protocol = 50, mode = 0, alg = 0;
    bool udp_encap = false;
    std::uint32_t spi_in = 0, spi_out = 0;
    std::uint32_t tunnel_src = 0, tunnel_dst = 0;  ///< outbound outer addresses (tunnel mode)
    secure_bytes key_in, key_out;       ///< for `SWSA KEYS` (a trace's esp_sa file); wiped when freed
    std::uint64_t lifesize = 0, lifetime_s = 0;
    std::vector<dynamic_filter> filters;
    bool filters_active = false;        ///< false once a rekey moved outbound traffic to its successor
    std::uint64_t reported_bytes = 0;   ///< bytes (in + out) already reported to the owner
    std::uint64_t reported_packets = 0;
    std::chrono::system_clock::time_point installed{};
    cf_seq_source* seqs = nullptr;      ///< owned by the outbound SA in the SAD
    /// An AH+ESP bundle (two distributions, one tunnel): the fields above are its ESP
    /// SA's, these its AH SA's; inbound the SAD holds the bundle under the AH SPI.
    bool bundle = false;
    std::uint32_t ah_spi_in = 0, ah_spi_out = 0;
    cf_seq_source* ah_seqs = nullptr;   ///< AH's own CF counter (owned by the outbound bundle)
    /// The SAD key of the inbound SA: the bundle's AH SPI, or the SA's own.
    std::uint32_t inbound_spi() const noexcept { return bundle ? ah_spi_in : spi_in; }
    std::uint8_t inbound_protocol() const noexcept { return bundle ? std::uint8_t{51} : protocol; }
};

class shadow_cache {
public:
    struct options {
        std::string system;             ///< this target (MVS2)
        std::string stack;              ///< TCPIPB
        cf::connector* cf = nullptr;    ///< EZBDVIPA, for the outbound sequence numbers
        seq_failure on_seq_failure;     ///< EZD0834I RSN=9 lines and rekey requests
        std::uint32_t senders = 2;      ///< stacks sending under one SA at once (seq_config::senders)
    };

    shadow_cache(ipsec::sad& sad, ipsec::spd& spd, options o);
    ~shadow_cache();
    shadow_cache(const shadow_cache&) = delete;
    shadow_cache& operator=(const shadow_cache&) = delete;

    /// Install a shadow. With `replaces`, make-before-break: the new SA and its filters
    /// go in first, then the old SA's filters come out (outbound moves over at once);
    /// the old inbound SA stays until its delete, so packets under it still verify.
    /// False, and @p why, if the keys do not fit or the tunnel is known already.
    /// One half of an AH+ESP bundle (`bundle` set) waits until the other half of the
    /// same tunnel comes; then the bundle goes in whole (ESP inside, AH outside, each
    /// SA with its own CF counter), so nothing is ever sent with one half alone.
    bool install(const sa_distribute_message& m, std::string* why = nullptr);
    /// The owner deleted the SA: inbound, outbound and filters go (a bundle: both SAs,
    /// on the delete of either). Unknown tunnels: false.
    bool remove(const sa_delete_message& m);
    /// Every shadow of one owner's DVIPA (the owner failed: a takeover rebuilds them).
    std::size_t remove_owner(const std::string& owner_system, std::uint32_t dvipa);

    /// Lifesize reports now due: each shadow whose bytes since its last report reached
    /// the batching threshold. The report is counted as sent.
    std::vector<lifesize_report_message> collect_reports();

    const shadow* find(const std::string& tunnel) const;
    std::size_t size() const noexcept { return _shadows.size(); }
    /// Halves of bundles waiting for their other half.
    std::size_t pending() const noexcept { return _halves.size(); }
    const lifesize_batching& batching() const noexcept { return _batching; }

    /// `ipsec -y display -s`: one record per shadow.
    std::vector<ipsec::dynamic_tunnel_record> display_records() const;
    /// Bytes in and out under tunnel @p tunnel here (0 when it is not here).
    std::uint64_t bytes_of(const std::string& tunnel) const;
    /// Wireshark's esp_sa lines of every ESP SA here, both directions (inbound: peer to
    /// DVIPA under spi_in; outbound: DVIPA to peer under spi_out; tunnel mode: the outer
    /// addresses), appended to @p out, which the caller wipes (ipsec::wipe). AH SAs have
    /// no keys to give a dissector and are left out. Returns the number of SAs.
    std::size_t esp_sa_lines(std::string& out) const;

private:
    bool install_bundle(const sa_distribute_message& esp, const sa_distribute_message& ah, std::string* why);
    void add_filters(const sa_distribute_message& m);
    /// The CF sequence source of @p m's outbound SA (its counter list in EZBDVIPA).
    std::unique_ptr<cf_seq_source> seqs_for(const sa_distribute_message& m) const;
    /// The shadow of @p m as installed now: what the displays and lifesize need.
    static shadow shadow_from(const sa_distribute_message& m, cf_seq_source* seqs);
    /// @p s's filters in the SPD, the SA it replaces leaving the SPD, @p s cached.
    void commit(const sa_distribute_message& m, shadow s);
    void remove_sas(const shadow& s);
    void drop_filters(shadow& s);
    std::uint64_t bytes_of(const shadow& s, std::uint64_t* packets) const;

    ipsec::sad& _sad;
    ipsec::spd& _spd;
    options _o;
    lifesize_batching _batching;
    std::map<std::string, shadow> _shadows;
    std::map<std::string, sa_distribute_message> _halves;  ///< bundle halves by tunnel
};

}  // namespace zplex::swsa
