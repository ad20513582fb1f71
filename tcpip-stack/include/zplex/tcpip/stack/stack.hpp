// SPDX-License-Identifier: Apache-2.0
// The TCP/IP stack of one image, sans-IO: IPv4, ARP, routing, ICMP and dynamic VIPAs.
#pragma once

#include <zplex/tcpip/profile/model.hpp>
#include <zplex/tcpip/stack/counters.hpp>
#include <zplex/tcpip/stack/ports.hpp>
#include <zplex/ipsec/spd.hpp>
#include <zplex/swsa/messages.hpp>
#include <zplex/swsa/sa_record.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zplex::cf {
class connector;
}  // namespace zplex::cf

namespace zplex::tcpip::stack {

using mac_address = std::array<std::uint8_t, 6>;

/// Who this stack is: the image it runs on and its XCF member name.
struct identity {
    std::string sysname;    ///< MVS1 (&SYSNAME.)
    std::string sysclone;   ///< M1 (&SYSCLONE.): names the dynamic XCF links EZAXCFxx on the others
    std::string tcpname;    ///< TCPIPA, the procedure name
    std::string member;     ///< XCF member name in the TCP/IP group (sysname + tcpname)
    mac_address mac{};      ///< the OSA port's MAC address
};

struct ports {
    lan_port* lan = nullptr;
    app_port* app = nullptr;
    xcf_link_port* links = nullptr;
    sysplex_port* sysplex = nullptr;
    const clock* time = nullptr;
    /// EZBDVIPA (SWSA, docs/swsa.md): SA records and the outbound sequence counters of
    /// distributed SAs. Without it the stack neither distributes nor shadows SAs.
    cf::connector* ezbdvipa = nullptr;
    image_port* image = nullptr;  ///< NETSTAT CONN/ALLCONN (none: the image has no sockets)
    /// EZBEPORT (SYSPLEXPORTS, docs/distributor.md): ephemeral port blocks of distributed
    /// DVIPAs. Without it the ports of a SYSPLEXPORTS DVIPA are not coordinated.
    cf::connector* ezbeport = nullptr;
};

/// Sizes fixed at creation, so the packet path never allocates.
struct options {
    std::size_t arp_entries = 256;
    std::size_t connections = 4096;        ///< tracked TCP connections to DVIPAs (power of two)
    std::size_t pending_packets = 32;      ///< packets waiting for ARP
    std::int64_t initial_wait_ms = 2000;   ///< longest wait for the other stacks' state at join
    std::int64_t arp_retry_ms = 1000;      ///< ARP request repeat while a packet waits
    /// A take (giveback asked of a lesser holder) that got no give in this time is asked
    /// again: the holder may not have known us yet when it came (docs/stack.md).
    std::int64_t take_retry_ms = 1000;
    /// IPv4 reassembly of what the stack must see whole (docs/stack.md): datagrams in
    /// reassembly at once, each with a buffer of reassembly_max_size bytes, so the pool
    /// holds at most reassembly_datagrams x reassembly_max_size bytes (1 MiB by default).
    std::size_t reassembly_datagrams = 16;
    std::size_t reassembly_max_size = 65535;  ///< largest datagram reassembled (at most 65535)
    std::int64_t reassembly_timeout_ms = 60000;  ///< RFC 1122 §3.3.2: 60 s from the first fragment
};

/// Dynamic VIPA states as NETSTAT VIPADYN shows them.
enum class dvipa_status : std::uint8_t { active, backup, moving, quiescing, deactivated };
enum class dvipa_origin : std::uint8_t { define, backup, range_bind };

/// One line of the stack's DVIPA table (for tests and displays).
struct dvipa_view {
    profile::ipv4_address address;
    std::uint8_t prefix_len = 32;
    dvipa_status status = dvipa_status::backup;
    dvipa_origin origin = dvipa_origin::define;
    std::uint8_t rank = 0;
    std::size_t connections = 0;
};

const char* to_string(dvipa_status s) noexcept;

class stack {
public:
    /// Build the stack from a processed profile. Ports must outlive the stack.
    /// @throws std::invalid_argument when the profile cannot run (no OSA interface...).
    static std::unique_ptr<stack> create(const profile::profile& config, identity who, ports io,
                                         options sizes = {});
    ~stack();

    // ------------------------------------------------------------ packet path (never throws or allocates)
    void lan_frame(bytes frame) noexcept;
    void app_packet(bytes packet) noexcept;
    /// The next @p packets app_packet calls came out of the TUN in one read burst: an SA
    /// they go under takes its sequence numbers from EZBDVIPA as one block (docs/swsa.md).
    void app_burst(std::uint32_t packets) noexcept;
    void xcf_link_packet(std::string_view from_member, bytes packet) noexcept;

    // ------------------------------------------------------------ sysplex group
    /// The stack has joined the TCP/IP group: say who we are, ask for the others' state.
    void joined_group();
    /// A control message from another member (bad ones are counted and dropped).
    void control_message(std::string_view from_member, bytes message);
    /// Group exit events.
    void member_joined(std::string_view member);
    void member_left(std::string_view member);
    void member_failed(std::string_view member);
    /// Our system was partitioned out of the sysplex: stop sending on every interface.
    void fence();
    bool fenced() const noexcept;

    /// Timers: ARP ageing, the initial-processing deadline. Call at least every 100 ms.
    void tick();

    // ------------------------------------------------------------ the image's applications
    /// A listening socket appeared (or went) in the image: a bind inside a VIPARANGE
    /// creates a DVIPA. The real source is netlink sock_diag.
    void listener_added(profile::ipv4_address address, std::uint16_t port, std::string_view jobname);
    void listener_removed(profile::ipv4_address address, std::uint16_t port);
    /// The image's CPU busy percentage (0-100): the input of the BASEWLM/SERVERWLM
    /// weight model (docs/distributor.md). The real source is /proc/stat.
    void image_load(std::uint8_t busy_percent);

    // ------------------------------------------------------------ SWSA (docs/swsa.md)
    /// Install an SA for a distributed DVIPA this stack owns, as its IKE would (static SAs
    /// stand in for IKE output): the record goes into EZBDVIPA (counter_list and base are
    /// set here), the SA into this stack's SAD and SPD, and a distribution to every target
    /// of the DVIPA. Returns "" or why not.
    std::string swsa_install(swsa::sa_distribute_message sa);
    /// Delete an SA this stack owns: from EZBDVIPA, here, and on every target. Or retire
    /// the SA of a stack that failed or left, whose DVIPA this stack took over and whose
    /// replacement its IKE negotiated: its record leaves EZBDVIPA, its shadows every stack.
    std::string swsa_delete(const std::string& tunnel, swsa::delete_reason why = swsa::delete_reason::deleted);
    /// Every SA record in EZBDVIPA (what a new owner's IKE renegotiates); @p why says
    /// why the structure could not be read.
    std::vector<swsa::sa_record> swsa_records(std::string& why);
    /// What each SA this stack owns has carried sysplex-wide: its own bytes in and out and
    /// what its targets reported; the owner's IKE rekeys on the sum (lifesize).
    struct swsa_usage_row {
        std::string tunnel;
        std::uint32_t spi_in = 0;
        std::uint64_t own_bytes = 0, target_bytes = 0, reports = 0, lifesize = 0;
        /// Its sequence counter cannot be used any more (EZBDVIPA was lost since it was
        /// installed, or its numbers ran out): IKE must rekey it now.
        bool rekey = false;
    };
    std::vector<swsa_usage_row> swsa_usage();
    /// Wireshark's esp_sa lines of the ESP SAs this stack holds (masters and shadows, both
    /// directions) appended to @p out, which the caller wipes (ipsec::wipe); the console
    /// is told keys were given out. Returns the number of SAs.
    std::size_t swsa_keys(std::string& out);
    /// The image's IPsec policy: the filter rules whose traffic a dynamic SA protects. An
    /// outbound packet of the image that one matches with no SA here is dropped, and the
    /// DVIPA's owner is asked to negotiate one (NEWCONN; docs/swsa.md "NEWCONN").
    void swsa_policy(std::vector<ipsec::spd_rule> rules);
    /// The NEWCONN requests this stack, as a DVIPA's owner, has for its IKE daemon (taken).
    std::vector<swsa::newconn_message> swsa_take_newconns();

    // ------------------------------------------------------------ SYSPLEXPORTS (docs/distributor.md)
    /// The ephemeral ports this stack holds from EZBEPORT, merged into ranges (ascending):
    /// the image's kernel may pick its ephemeral ports only from these.
    std::vector<std::pair<std::uint16_t, std::uint16_t>> ephemeral_ranges() const;
    /// Changes whenever the blocks held change.
    std::uint64_t ephemeral_generation() const noexcept;
    /// The stack ends normally: its blocks go back to EZBEPORT (a failed stack's blocks are
    /// returned by the others).
    void release_ephemeral_ports();

    // ------------------------------------------------------------ operator
    /// An operator command (V TCPIP,,SYSPLEX,..., D TCPIP,,NETSTAT,..., D TCPIP,,SYSPLEX,VIPADYN)
    /// or a TSO NETSTAT command. Returns the response lines.
    std::vector<std::string> command(std::string_view text);
    /// V TCPIP,,OBEYFILE: the running profile after the OBEYFILE was applied.
    void apply_profile(const profile::profile& updated);

    /// Console messages (EZZ8301I ...) since the last call.
    std::vector<std::string> take_messages();
    const drop_counters& drops() const noexcept;
    /// Every DVIPA with its kept-connection count (a walk of the connection table: for
    /// displays and tests, not for a packet loop).
    std::vector<dvipa_view> dvipas() const;
    /// Into @p out (cleared first): the addresses the image must hold on its loopback, its
    /// DVIPAs active, MOVING or QUIESCING here and those it is a distributor's target of.
    /// Cheap enough for every turn of a daemon's loop.
    void image_dvipas(std::vector<std::uint32_t>& out) const;
    /// DVIPAs this stack holds as a Sysplex Distributor target (in HOME, not in ARP): the
    /// image needs them on its loopback like its active DVIPAs.
    std::vector<profile::ipv4_address> target_dvipas() const;
    const identity& who() const noexcept;

    struct impl;

private:
    explicit stack(std::unique_ptr<impl> p);
    std::unique_ptr<impl> _impl;
};

}  // namespace zplex::tcpip::stack
