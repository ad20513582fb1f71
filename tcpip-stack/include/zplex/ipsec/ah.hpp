// SPDX-License-Identifier: Apache-2.0
// AH (RFC 4302) for IPv4 with HMAC-SHA-256-128 (RFC 4868), transport and tunnel mode.
#pragma once

#include <zplex/ipsec/esp.hpp>

#include <memory>

namespace zplex::ipsec {

/// AH SA config: `key` is the 32-byte HMAC key; `alg` is ignored.
class ah_sa {
public:
    static std::unique_ptr<ah_sa> create(const sa_config& c, std::unique_ptr<seq_source> seqs = nullptr);
    virtual ~ah_sa() = default;
    /// Outbound: insert AH (transport) or an outer header and AH (tunnel).
    virtual drop encapsulate(packet& p) noexcept = 0;
    /// Inbound: check the ICV over the immutable fields, the replay window, remove AH.
    virtual drop decapsulate(packet& p) noexcept = 0;
    virtual std::uint32_t spi() const noexcept = 0;
    virtual const drop_counters& drops() const noexcept = 0;
    virtual std::uint64_t bytes() const noexcept = 0;
};

}  // namespace zplex::ipsec
