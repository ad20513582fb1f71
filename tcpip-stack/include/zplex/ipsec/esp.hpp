// SPDX-License-Identifier: Apache-2.0
// ESP (RFC 4303) encapsulation and decapsulation for IPv4, transport and tunnel mode,
// with AES-GCM (RFC 4106) or AES-CBC / ENCR_NULL + HMAC-SHA-256-128, -384-192 or
// -512-256 (RFC 3602, RFC 2410, RFC 4868).
#pragma once

#include <zplex/ipsec/counters.hpp>
#include <zplex/ipsec/replay_window.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace zplex::ipsec {

enum class algorithm : std::uint8_t {
    aes_gcm_128,
    aes_gcm_256,
    aes_cbc_128_hmac_sha256,
    aes_cbc_256_hmac_sha256,
    null_hmac_sha256,  ///< ENCR_NULL with integrity (RFC 2410): key = 32-byte HMAC key
    aes_cbc_128_hmac_sha384,
    aes_cbc_256_hmac_sha384,
    aes_cbc_128_hmac_sha512,
    aes_cbc_256_hmac_sha512,
    null_hmac_sha384,
    null_hmac_sha512,
};

/// Bytes of the cipher key (16/32 for AES, 0 for ENCR_NULL).
std::size_t cipher_key_length(algorithm a) noexcept;
/// Bytes of what follows the cipher key: the GCM salt (4) or the HMAC key (32/48/64).
std::size_t second_key_length(algorithm a) noexcept;
/// The whole sa_config::key length the algorithm takes.
inline std::size_t key_length(algorithm a) noexcept { return cipher_key_length(a) + second_key_length(a); }
/// ICV bytes: 16 for GCM and HMAC-SHA-256-128, 24 for -384-192, 32 for -512-256.
std::size_t icv_length(algorithm a) noexcept;
bool is_aead(algorithm a) noexcept;
/// The display name (ipsec -y display): e.g. "AES_GCM_16/128", "AES_CBC/256 HMAC_SHA2_384_192".
const char* algorithm_name(algorithm a) noexcept;
enum class sa_mode : std::uint8_t { transport, tunnel };

/// Where outbound sequence numbers come from: a local counter, or (SWSA) blocks
/// taken from the CF list key by LISTKEYINC. Never hands out a number twice.
class seq_source {
public:
    virtual ~seq_source() = default;
    /// The next number, or false when the space is used up (the SA must be rekeyed).
    virtual bool next(std::uint64_t& seq) noexcept = 0;
};

/// 1, 2, 3 ... up to 2^32 - 1 (or 2^64 - 1 with ESN).
class local_seq_source final : public seq_source {
public:
    explicit local_seq_source(bool esn) noexcept : _limit(esn ? ~std::uint64_t{0} : 0xffffffffull) {}
    bool next(std::uint64_t& seq) noexcept override;
    void set_next(std::uint64_t v) noexcept { _next = v; }  ///< for tests: start near the end

private:
    std::uint64_t _next = 1;
    std::uint64_t _limit;
};

/// What an SA needs. Keys: GCM = AES key || 4-byte salt; CBC/NULL+HMAC = AES key || HMAC key
/// (32, 48 or 64 bytes for SHA-256/384/512). AH takes the HMAC key alone and picks the
/// digest by its length.
struct sa_config {
    std::uint32_t spi = 0;
    algorithm alg = algorithm::aes_gcm_128;
    sa_mode mode = sa_mode::transport;
    std::vector<std::uint8_t> key;
    bool esn = false;
    std::uint32_t replay_window = 64;
    std::uint32_t tunnel_src = 0;   ///< outer addresses, host order (tunnel mode)
    std::uint32_t tunnel_dst = 0;
    bool udp_encap = false;         ///< RFC 3948: ESP in UDP (NAT traversal)
    std::uint16_t udp_src = 4500;
    std::uint16_t udp_dst = 4500;
};

/// A packet buffer with headroom and tailroom: data lives in [head, head + len).
struct packet {
    static constexpr std::size_t capacity = 2048 + 256;
    std::array<std::uint8_t, capacity> buf{};
    std::size_t head = 128;
    std::size_t len = 0;
    std::uint8_t* data() noexcept { return buf.data() + head; }
    const std::uint8_t* data() const noexcept { return buf.data() + head; }
    std::span<const std::uint8_t> view() const noexcept { return {data(), len}; }
    /// Copy @p bytes in as the packet (an IPv4 datagram).
    bool assign(std::span<const std::uint8_t> bytes) noexcept;
};
// A hot struct: pinned so a change of layout is a deliberate one (VPP's habit).
static_assert(sizeof(packet) == packet::capacity + 2 * sizeof(std::size_t), "packet layout changed");

/// One SA, one direction, ESP or AH: what the SAD holds and the packet path calls.
class security_association {
public:
    virtual ~security_association() = default;

    /// Outbound: IPv4 packet in, protected packet out. No allocation, no exceptions.
    virtual drop encapsulate(packet& p) noexcept = 0;
    /// Inbound: protected packet in, the inner packet out. The replay window moves
    /// only after the ICV verified.
    virtual drop decapsulate(packet& p) noexcept = 0;

    virtual std::uint32_t spi() const noexcept = 0;
    virtual std::uint8_t protocol() const noexcept = 0;  ///< 50 (ESP) or 51 (AH)
    virtual const drop_counters& drops() const noexcept = 0;
    virtual std::uint64_t bytes() const noexcept = 0;   ///< payload bytes processed (lifesize)
    virtual std::uint64_t packets() const noexcept = 0;
};

/// One ESP SA, one direction. Its keys are wiped when it goes.
class esp_sa : public security_association {
public:
    /// Nullptr if the key length does not fit the algorithm.
    static std::unique_ptr<esp_sa> create(const sa_config& c, std::unique_ptr<seq_source> seqs = nullptr);

    /// Outbound (transport: the IP header stays, protocol 50; tunnel: a new outer
    /// header). Inbound: a dummy packet (next header 59, RFC 4303 §2.6) is verified
    /// and then discarded, counted as DUMMY.
    std::uint8_t protocol() const noexcept override { return 50; }
};

}  // namespace zplex::ipsec
