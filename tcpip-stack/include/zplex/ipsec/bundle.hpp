// SPDX-License-Identifier: Apache-2.0
// AH+ESP bundles (RFC 4301 §4.5): one direction, two SAs between the same endpoints.
// Outbound, ESP is applied first and AH over the result, so the packet reads
// IP|AH|ESP|... (transport) or outer IP|AH|ESP|inner IP|... (tunnel); inbound AH is
// verified first, then ESP, and a packet that does not carry both is dropped (BUNDLE).
#pragma once

#include <zplex/ipsec/ah.hpp>
#include <zplex/ipsec/esp.hpp>

#include <memory>

namespace zplex::ipsec {

/// One AH+ESP bundle, one direction; what the SAD holds under the AH SPI (inbound) or
/// the tunnel's name (outbound). Each SA keeps its own sequence numbers and window.
class sa_bundle final : public security_association {
public:
    /// @p esp carries the bundle's mode (transport, or tunnel with its outer addresses);
    /// @p ah is applied in transport mode over what ESP produced (its mode is not read).
    /// Nullptr if either SA's keys do not fit, or ESP is in UDP (AH has no UDP
    /// encapsulation: RFC 3948 is ESP's alone).
    static std::unique_ptr<sa_bundle> create(const sa_config& esp, const sa_config& ah,
                                             std::unique_ptr<seq_source> esp_seqs = nullptr,
                                             std::unique_ptr<seq_source> ah_seqs = nullptr);

    /// ESP, then AH. A drop of either is the bundle's (and its SA's) drop.
    drop encapsulate(packet& p) noexcept override;
    /// The packet must be AH (else BUNDLE); AH verifies and comes off; what is left must
    /// be ESP (else BUNDLE); ESP verifies and comes off.
    drop decapsulate(packet& p) noexcept override;

    std::uint32_t spi() const noexcept override { return _ah->spi(); }    ///< the outer (AH) SPI
    std::uint8_t protocol() const noexcept override { return 51; }        ///< the outer header's
    const drop_counters& drops() const noexcept override { return _drops; }
    std::uint64_t bytes() const noexcept override { return _esp->bytes(); }
    std::uint64_t packets() const noexcept override { return _esp->packets(); }

    std::uint32_t esp_spi() const noexcept { return _esp->spi(); }
    const security_association& esp() const noexcept { return *_esp; }
    const security_association& ah() const noexcept { return *_ah; }

    /// What the SAD holds inbound under the bundle's ESP SPI (protocol 50): every packet
    /// that comes with that SPI and no AH in front is dropped and counted as BUNDLE.
    static std::unique_ptr<security_association> esp_alone(std::uint32_t esp_spi);

private:
    sa_bundle(std::unique_ptr<esp_sa> esp, std::unique_ptr<ah_sa> ah) : _esp(std::move(esp)), _ah(std::move(ah)) {}
    drop count(drop d) noexcept;

    std::unique_ptr<esp_sa> _esp;
    std::unique_ptr<ah_sa> _ah;
    drop_counters _drops;
    bool _tunnel = false;
    std::uint16_t _ip_id = 0;  ///< IPv4 identifications of the tunnel headers ESP builds
};

}  // namespace zplex::ipsec
