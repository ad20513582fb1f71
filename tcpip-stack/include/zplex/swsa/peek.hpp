// SPDX-License-Identifier: Apache-2.0
// The owner's peek into an inbound ESP or AH packet for a distributed DVIPA (patent
// fig. 8-9): decrypt only as far as the end of the TCP header (and the ESP trailer's
// next-header byte) to find the connection, without verifying or changing anything;
// the target does the full processing. ESP-NULL and AH are read as they are.
#pragma once

#include <zplex/ipsec/esp.hpp>
#include <zplex/swsa/messages.hpp>

#include <cstdint>
#include <memory>
#include <span>

namespace zplex::swsa {

/// What the peek found: the SA's SPI and sequence number (low 32 bits) and the
/// connection's addresses, ports and TCP flags.
struct peek_result {
    std::uint32_t spi = 0;
    std::uint32_t seq = 0;
    std::uint8_t protocol = 0;     ///< the inner protocol (6 for TCP)
    std::uint32_t src = 0, dst = 0;  ///< the inner addresses (tunnel mode), else the outer ones
    std::uint16_t src_port = 0, dst_port = 0;
    std::uint8_t tcp_flags = 0;
    /// Where the transport header starts in the packet (in ESP's ciphertext for ESP):
    /// after AH (a bundle), ESP's header and IV, and the inner IPv4 header in tunnel mode.
    std::uint16_t offset = 0;
};

/// One inbound SA's peek, keyed once (the per-packet call neither allocates nor throws).
class peeker {
public:
    /// @p protocol 50 or 51; the key is the SA's inbound key (as distributed). Nullptr if
    /// it does not fit the algorithm.
    static std::unique_ptr<peeker> create(std::uint8_t protocol, ipsec::algorithm alg, ipsec::sa_mode mode,
                                          std::span<const std::uint8_t> key);
    /// An AH+ESP bundle (IP|AH|ESP|...): AH is read as it is (length from its header),
    /// ESP is peeked with @p esp_key. @p mode is the ESP SA's (AH is over the outer header).
    static std::unique_ptr<peeker> create_bundle(ipsec::algorithm esp_alg, ipsec::sa_mode mode,
                                                 std::span<const std::uint8_t> esp_key);
    virtual ~peeker() = default;
    /// @p packet: an IPv4 packet with ESP or AH (a bundle: AH then ESP) right after the IP header. False when it
    /// is too short, not of this SA's shape, or the peeked header makes no sense.
    virtual bool peek(std::span<const std::uint8_t> packet, peek_result& out) noexcept = 0;
};

}  // namespace zplex::swsa
