// SPDX-License-Identifier: Apache-2.0
// AH+ESP bundles: ESP inside, AH outside (RFC 4301 §4.5), each SA with its own numbers.
#include <zplex/ipsec/bundle.hpp>
#include <zplex/sysplex/log.hpp>

#include <openssl/crypto.h>

#include "wire.hpp"

namespace zplex::ipsec {

namespace {

/// The inbound entry under a bundle's ESP SPI: ESP without AH is refused.
class esp_alone_sa final : public security_association {
public:
    explicit esp_alone_sa(std::uint32_t spi) : _spi(spi) {}
    drop encapsulate(packet&) noexcept override { return refuse(); }
    drop decapsulate(packet&) noexcept override { return refuse(); }
    std::uint32_t spi() const noexcept override { return _spi; }
    std::uint8_t protocol() const noexcept override { return detail::proto_esp; }
    const drop_counters& drops() const noexcept override { return _drops; }
    std::uint64_t bytes() const noexcept override { return 0; }
    std::uint64_t packets() const noexcept override { return 0; }

private:
    drop refuse() noexcept {
        _drops.count(drop::bundle);
        ZPLEX_DBG(esp, packet, "ESP SPI {:08X}: PACKET DROPPED, BUNDLE (ESP WITHOUT THE AH OF ITS BUNDLE)", _spi);
        return drop::bundle;
    }
    std::uint32_t _spi;
    drop_counters _drops;
};

bool carries(const packet& p, std::uint8_t protocol) noexcept {
    return p.len >= detail::ipv4::min_header && detail::ipv4::version(p.data()) == 4 &&
           p.data()[detail::ipv4::protocol] == protocol;
}

}  // namespace

std::unique_ptr<sa_bundle> sa_bundle::create(const sa_config& esp, const sa_config& ah,
                                             std::unique_ptr<seq_source> esp_seqs, std::unique_ptr<seq_source> ah_seqs) {
    if (esp.udp_encap) {
        return nullptr;
    }
    sa_config a = ah;
    a.mode = sa_mode::transport;  // over the (outer) header ESP leaves
    a.udp_encap = false;
    auto e = esp_sa::create(esp, std::move(esp_seqs));
    auto h = ah_sa::create(a, std::move(ah_seqs));
    OPENSSL_cleanse(a.key.data(), a.key.size());
    if (!e || !h) {
        return nullptr;
    }
    auto b = std::unique_ptr<sa_bundle>(new sa_bundle(std::move(e), std::move(h)));
    b->_tunnel = esp.mode == sa_mode::tunnel;
    return b;
}

drop sa_bundle::count(drop d) noexcept {
    if (d != drop::none) {
        _drops.count(d);
    }
    return d;
}

drop sa_bundle::encapsulate(packet& p) noexcept {
    if (drop d = _esp->encapsulate(p); d != drop::none) {
        return count(d);
    }
    // The identification is in AH's ICV: the new tunnel header's (zero) gets a value here,
    // as a kernel sending the packet raw would give it one after AH was computed.
    // Transport mode keeps the sender's header as it is.
    std::uint8_t* ip = p.data();
    if (_tunnel && detail::get16(ip + 4) == 0) {
        if (++_ip_id == 0) {
            ++_ip_id;
        }
        detail::put16(ip + 4, _ip_id);
    }
    return count(_ah->encapsulate(p));
}

drop sa_bundle::decapsulate(packet& p) noexcept {
    if (!carries(p, detail::proto_ah)) {
        return count(drop::bundle);
    }
    if (drop d = _ah->decapsulate(p); d != drop::none) {
        return count(d);
    }
    if (!carries(p, detail::proto_esp)) {
        // AH verified, but what it covered is not this bundle's ESP (RFC 4301 §5.2: the
        // SAs applied must be those the policy asks for).
        ZPLEX_DBG(esp, packet, "AH SPI {:08X}: PACKET DROPPED, BUNDLE (NO ESP UNDER AH)", _ah->spi());
        return count(drop::bundle);
    }
    return count(_esp->decapsulate(p));
}

std::unique_ptr<security_association> sa_bundle::esp_alone(std::uint32_t esp_spi) {
    return std::make_unique<esp_alone_sa>(esp_spi);
}

}  // namespace zplex::ipsec
