// SPDX-License-Identifier: Apache-2.0
// AH (RFC 4302) for IPv4 with HMAC-SHA-256-128, -384-192 or -512-256 (RFC 4868),
// transport and tunnel mode.
#pragma once

#include <zplex/ipsec/esp.hpp>

#include <memory>

namespace zplex::ipsec {

/// AH SA config: `key` is the HMAC key, 32, 48 or 64 bytes for HMAC-SHA-256-128,
/// -384-192 or -512-256; `alg` is ignored. Outbound inserts AH (transport) or an outer
/// header and AH (tunnel); inbound checks the ICV over the immutable fields (mutable
/// IPv4 fields and options zeroed, RFC 4302 §3.3.3.1.1), the replay window, removes AH.
class ah_sa : public security_association {
public:
    static std::unique_ptr<ah_sa> create(const sa_config& c, std::unique_ptr<seq_source> seqs = nullptr);
    std::uint8_t protocol() const noexcept override { return 51; }
};

}  // namespace zplex::ipsec
