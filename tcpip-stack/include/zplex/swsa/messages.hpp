// SPDX-License-Identifier: Apache-2.0
// The SWSA messages between the stacks of a distributed DVIPA, carried in the TCP/IP
// XCF group (which authenticates and encrypts them with the sysplex key): an SA with
// its keys and dynamic filters for the targets' shadow caches, its deletion, a
// target's lifesize report, and a target's NEWCONN request. Binary, versioned,
// strictly decoded; every buffer that holds key material wipes itself when freed.
#pragma once

#include <openssl/crypto.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace zplex::swsa {

namespace detail {
/// Tests only: called with each block the cleansing allocator wiped, before it is freed.
inline void (*wiped_observer)(const void* p, std::size_t n) noexcept = nullptr;
}  // namespace detail

/// An allocator whose memory is wiped (OPENSSL_cleanse) before it is given back, so
/// a vector of key bytes leaves nothing behind: not when destroyed, not when it grows,
/// not in its copies.
template <class T>
struct cleansing_allocator {
    using value_type = T;
    cleansing_allocator() noexcept = default;
    template <class U>
    cleansing_allocator(const cleansing_allocator<U>&) noexcept {}
    T* allocate(std::size_t n) {
        if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) {
            throw std::bad_array_new_length();
        }
        return std::allocator<T>().allocate(n);
    }
    void deallocate(T* p, std::size_t n) noexcept {
        OPENSSL_cleanse(p, n * sizeof(T));
        if (detail::wiped_observer) {
            detail::wiped_observer(p, n * sizeof(T));
        }
        std::allocator<T>().deallocate(p, n);
    }
    template <class U>
    friend bool operator==(const cleansing_allocator&, const cleansing_allocator<U>&) noexcept {
        return true;
    }
};

/// Bytes that may hold keys: wiped when freed.
using secure_bytes = std::vector<std::uint8_t, cleansing_allocator<std::uint8_t>>;

enum class message_type : std::uint8_t { sa_distribute = 1, sa_delete = 2, lifesize_report = 3, newconn = 4 };

/// A dynamic filter of the SA for the target's SPD. Host order; protocol 0 is any.
/// direction: 0 inbound, 1 outbound, 2 both (ipsec::spd_direction).
struct dynamic_filter {
    std::uint32_t src = 0;
    std::uint8_t src_len = 32;
    std::uint32_t dst = 0;
    std::uint8_t dst_len = 32;
    std::uint8_t protocol = 0;
    std::uint16_t src_port_lo = 0, src_port_hi = 65535;
    std::uint16_t dst_port_lo = 0, dst_port_hi = 65535;
    std::uint8_t direction = 2;
    friend bool operator==(const dynamic_filter&, const dynamic_filter&) = default;
};

/// Owner to targets: install (or, with `replaces`, rekey) a shadow SA. One SA
/// protocol per message; an AH+ESP bundle is two messages with the same tunnel id.
struct sa_distribute_message {
    std::string owner_system;            ///< MVS1
    std::string owner_stack;             ///< TCPIPA
    std::string tunnel;                  ///< dynamic tunnel id (Y5)
    std::string replaces;                ///< the tunnel this one rekeys (make-before-break), or empty
    std::string vpn_action;              ///< IpDynVpnAction name, for the displays (may be empty)
    std::uint32_t dvipa = 0;
    std::uint32_t peer = 0;
    std::uint8_t protocol = 50;          ///< 50 ESP, 51 AH
    std::uint8_t mode = 0;               ///< ipsec::sa_mode
    std::uint8_t alg = 0;                ///< ipsec::algorithm (ESP); AH's digest follows its key
    bool esn = false;
    bool udp_encap = false;
    bool bundle = false;                 ///< one half of an AH+ESP bundle: the other half has the same tunnel
    std::uint16_t udp_src = 4500, udp_dst = 4500;
    std::uint32_t spi_in = 0;            ///< inbound: chosen by the owner's IKE
    std::uint32_t spi_out = 0;           ///< outbound: chosen by the peer
    secure_bytes key_in;
    secure_bytes key_out;
    std::uint32_t tunnel_src = 0, tunnel_dst = 0;  ///< tunnel mode outer addresses (outbound)
    std::uint32_t replay_window = 64;    ///< the inbound window on the target
    std::uint32_t peer_window = 64;      ///< the peer's window, bounding sequence blocks
    std::uint32_t counter_list = 0;      ///< EZBDVIPA list of the outbound counter
    std::uint64_t base = 0;              ///< its list key of sequence number 1
    std::uint64_t lifesize = 0;          ///< bytes, sysplex-wide; 0: none
    std::uint64_t lifetime_s = 0;
    std::vector<dynamic_filter> filters;
    friend bool operator==(const sa_distribute_message&, const sa_distribute_message&) = default;
};

/// Why an SA went: the owner's reason, which the targets' lifesize batching learns from.
enum class delete_reason : std::uint8_t {
    deleted = 0,    ///< by request (operator, policy, the peer's DELETE)
    rekeyed = 1,    ///< replaced by a new SA before it expired: IKE refreshed in time
    expired = 2,    ///< it reached its hard lifetime or lifesize without a refresh
};

/// Owner to targets: the SA is gone (deleted, expired, replaced after a rekey).
struct sa_delete_message {
    std::string owner_system, owner_stack;
    std::string tunnel;
    delete_reason reason = delete_reason::deleted;
    std::uint32_t dvipa = 0;
    std::uint8_t protocol = 50;
    std::uint32_t spi_in = 0, spi_out = 0;
    friend bool operator==(const sa_delete_message&, const sa_delete_message&) = default;
};

/// Target to owner: bytes the target processed under a shadow SA since its last report.
struct lifesize_report_message {
    std::string system, stack;           ///< the reporting target
    std::string tunnel;
    std::uint32_t dvipa = 0;
    std::uint8_t protocol = 50;
    std::uint32_t spi_out = 0;
    std::uint64_t bytes = 0;
    std::uint64_t packets = 0;
    friend bool operator==(const lifesize_report_message&, const lifesize_report_message&) = default;
};

/// Target to owner: an application here connects out from the DVIPA and no SA covers
/// it: negotiate one (patent fig. 11). Host order.
struct newconn_message {
    std::string system, stack;           ///< the asking target
    std::uint32_t dvipa = 0;
    std::uint8_t protocol = 6;
    std::uint16_t local_port = 0;
    std::uint32_t remote = 0;
    std::uint16_t remote_port = 0;
    friend bool operator==(const newconn_message&, const newconn_message&) = default;
};

inline constexpr std::size_t max_filters = 64;
inline constexpr std::uint8_t message_version = 1;

secure_bytes encode(const sa_distribute_message& m);
std::vector<std::uint8_t> encode(const sa_delete_message& m);
std::vector<std::uint8_t> encode(const lifesize_report_message& m);
std::vector<std::uint8_t> encode(const newconn_message& m);

/// The type of a message whose header is good, else nullopt.
std::optional<message_type> peek_type(std::span<const std::uint8_t> in) noexcept;
/// Strict decoders: header, every length, names (z/OS characters), SPIs (not 0-255),
/// key lengths against the algorithm, ranges, no trailing bytes. On failure @p why says
/// what and where; @p out is left as it was.
bool decode(std::span<const std::uint8_t> in, sa_distribute_message& out, std::string* why = nullptr);
bool decode(std::span<const std::uint8_t> in, sa_delete_message& out, std::string* why = nullptr);
bool decode(std::span<const std::uint8_t> in, lifesize_report_message& out, std::string* why = nullptr);
bool decode(std::span<const std::uint8_t> in, newconn_message& out, std::string* why = nullptr);

}  // namespace zplex::swsa
