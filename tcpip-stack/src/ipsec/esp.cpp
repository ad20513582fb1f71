// SPDX-License-Identifier: Apache-2.0
// ESP for IPv4 (RFC 4303): AES-GCM (RFC 4106) and AES-CBC or ENCR_NULL with
// HMAC-SHA-256/384/512 (RFC 3602, RFC 2410, RFC 4868), transport and tunnel mode,
// ESN, anti-replay.
#include <zplex/ipsec/esp.hpp>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>

#include "crypto.hpp"
#include "sa_base.hpp"
#include "wire.hpp"

namespace zplex::ipsec {

std::size_t cipher_key_length(algorithm a) noexcept {
    switch (a) {
    case algorithm::aes_gcm_128:
    case algorithm::aes_cbc_128_hmac_sha256:
    case algorithm::aes_cbc_128_hmac_sha384:
    case algorithm::aes_cbc_128_hmac_sha512:
        return 16;
    case algorithm::aes_gcm_256:
    case algorithm::aes_cbc_256_hmac_sha256:
    case algorithm::aes_cbc_256_hmac_sha384:
    case algorithm::aes_cbc_256_hmac_sha512:
        return 32;
    case algorithm::null_hmac_sha256:
    case algorithm::null_hmac_sha384:
    case algorithm::null_hmac_sha512:
        return 0;
    }
    return 0;
}

std::size_t second_key_length(algorithm a) noexcept {
    switch (a) {
    case algorithm::aes_gcm_128:
    case algorithm::aes_gcm_256:
        return 4;  // RFC 4106 §8.1: the salt
    case algorithm::aes_cbc_128_hmac_sha256:
    case algorithm::aes_cbc_256_hmac_sha256:
    case algorithm::null_hmac_sha256:
        return 32;
    case algorithm::aes_cbc_128_hmac_sha384:
    case algorithm::aes_cbc_256_hmac_sha384:
    case algorithm::null_hmac_sha384:
        return 48;
    case algorithm::aes_cbc_128_hmac_sha512:
    case algorithm::aes_cbc_256_hmac_sha512:
    case algorithm::null_hmac_sha512:
        return 64;
    }
    return 0;
}

bool is_aead(algorithm a) noexcept { return a == algorithm::aes_gcm_128 || a == algorithm::aes_gcm_256; }

std::size_t icv_length(algorithm a) noexcept {
    // RFC 4868 §2.3: the HMAC is truncated to half its length.
    return is_aead(a) ? 16 : second_key_length(a) / 2;
}

const char* algorithm_name(algorithm a) noexcept {
    switch (a) {
    case algorithm::aes_gcm_128: return "AES_GCM_16/128";
    case algorithm::aes_gcm_256: return "AES_GCM_16/256";
    case algorithm::aes_cbc_128_hmac_sha256: return "AES_CBC/128 HMAC_SHA2_256_128";
    case algorithm::aes_cbc_256_hmac_sha256: return "AES_CBC/256 HMAC_SHA2_256_128";
    case algorithm::null_hmac_sha256: return "NULL HMAC_SHA2_256_128";
    case algorithm::aes_cbc_128_hmac_sha384: return "AES_CBC/128 HMAC_SHA2_384_192";
    case algorithm::aes_cbc_256_hmac_sha384: return "AES_CBC/256 HMAC_SHA2_384_192";
    case algorithm::aes_cbc_128_hmac_sha512: return "AES_CBC/128 HMAC_SHA2_512_256";
    case algorithm::aes_cbc_256_hmac_sha512: return "AES_CBC/256 HMAC_SHA2_512_256";
    case algorithm::null_hmac_sha384: return "NULL HMAC_SHA2_384_192";
    case algorithm::null_hmac_sha512: return "NULL HMAC_SHA2_512_256";
    }
    return "?";
}

bool local_seq_source::next(std::uint64_t& seq) noexcept {
    if (_next == 0 || _next > _limit) {
        return false;  // never wrap (RFC 4303 §3.3.3): rekey
    }
    seq = _next++;
    return true;
}

bool packet::assign(std::span<const std::uint8_t> bytes) noexcept {
    head = 128;
    if (bytes.size() > capacity - head) {
        return false;
    }
    std::memcpy(buf.data() + head, bytes.data(), bytes.size());
    len = bytes.size();
    return true;
}

namespace {

using detail::get32;
using detail::proto_esp;
using detail::proto_ipip;
using detail::proto_udp;
using detail::put16;
using detail::put32;

constexpr std::size_t esp_header = 8;
constexpr std::size_t udp_header = 8;
constexpr std::size_t max_icv = 32;
constexpr std::uint8_t proto_none = 59;  // RFC 4303 §2.6: a dummy (traffic-flow confidentiality) packet

class esp_sa_impl final : public detail::sa_base<esp_sa_impl, esp_sa, proto_esp> {
    using base = detail::sa_base<esp_sa_impl, esp_sa, proto_esp>;
    friend base;

public:
    esp_sa_impl(const sa_config& c, std::unique_ptr<seq_source> s) : base(c, std::move(s)) {
        _gcm = is_aead(c.alg);
        _key_len = cipher_key_length(c.alg);
        bool null = !_gcm && _key_len == 0;
        _mac_key_len = _gcm ? 0 : second_key_length(c.alg);
        _icv_len = icv_length(c.alg);
        _block = _gcm || null ? 4 : 16;  // RFC 4303 §2.4: 4-byte alignment at least
        _iv_len = _gcm ? 8 : null ? 0 : 16;
        // Key schedules once per SA; packets only set their IV.
        if (_gcm) {
            _keyed = c.key.size() >= _key_len && _aead.init(c.key.data(), _key_len);
        } else {
            _ctx = EVP_CIPHER_CTX_new();
            _dctx = EVP_CIPHER_CTX_new();
            _cipher = null ? EVP_enc_null() : _key_len == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();
            _keyed = _ctx && _dctx && c.key.size() == _key_len + _mac_key_len &&
                     EVP_EncryptInit_ex(_ctx, _cipher, nullptr, null ? nullptr : c.key.data(), nullptr) == 1 &&
                     EVP_DecryptInit_ex(_dctx, _cipher, nullptr, null ? nullptr : c.key.data(), nullptr) == 1 &&
                     EVP_CIPHER_CTX_set_padding(_ctx, 0) == 1 && EVP_CIPHER_CTX_set_padding(_dctx, 0) == 1 &&
                     _hmac.init(c.key.data() + _key_len, _mac_key_len);
        }
    }
    ~esp_sa_impl() override {
        EVP_CIPHER_CTX_free(_ctx);
        EVP_CIPHER_CTX_free(_dctx);
    }

    bool valid() const {
        return _keyed && _c.key.size() == key_length(_c.alg);
    }

private:
    /// HMAC-SHA-2 truncated to half (RFC 4868 §2.3) over @p n bytes, then the ESN high half if used.
    bool hmac(const std::uint8_t* data, std::size_t n, const std::uint8_t* extra, std::size_t extra_len,
              std::uint8_t* out) noexcept {
        std::uint8_t full[detail::hmac_sha2::max_size];
        bool ok = _hmac.mac({std::span(data, n), std::span(extra, extra_len)}, full);
        std::memcpy(out, full, _icv_len);
        OPENSSL_cleanse(full, sizeof full);
        return ok;
    }

    /// RFC 4106 §5: the AAD is SPI || seq low, or SPI || seq high || seq low with ESN.
    std::size_t gcm_aad(std::uint8_t (&aad)[12], std::uint64_t seq) const noexcept {
        put32(aad, _c.spi);
        if (_c.esn) {
            put32(aad + 4, static_cast<std::uint32_t>(seq >> 32));
            put32(aad + 8, static_cast<std::uint32_t>(seq));
            return 12;
        }
        put32(aad + 4, static_cast<std::uint32_t>(seq));
        return 8;
    }

    drop encap(packet& p) noexcept {
        std::size_t ihl = 0;
        std::uint64_t seq = 0;
        if (drop d = begin_outbound(p, ihl, seq); d != drop::none) {
            return d;
        }
        std::size_t plain_off = payload_offset(ihl);
        std::size_t plain_len = p.len - plain_off;
        std::uint8_t next_header = inner_protocol(p);
        std::size_t pad = (_block - (plain_len + 2) % _block) % _block;
        std::size_t outer = outer_length(ihl);
        std::size_t udp = _c.udp_encap ? udp_header : 0;  // RFC 3948 §2.1: UDP header before ESP
        std::size_t front = udp + esp_header + _iv_len;
        std::size_t trailer = pad + 2 + _icv_len;
        if (!has_room(p, front, trailer)) {
            return drop::no_room;
        }
        // Make room in front of the plaintext for [outer IP] [UDP] ESP IV.
        std::uint8_t* ip = open_gap(p, ihl, front);
        std::uint8_t* esp = ip + outer + udp;
        std::uint8_t* iv = esp + esp_header;
        std::uint8_t* plain = iv + _iv_len;
        std::size_t total_plain = plain_len + pad + 2;
        if (udp) {
            std::uint8_t* u = ip + outer;
            std::size_t ulen = udp + esp_header + _iv_len + total_plain + _icv_len;
            put16(u, _c.udp_src);
            put16(u + 2, _c.udp_dst);
            put16(u + 4, static_cast<std::uint16_t>(ulen));
            put16(u + 6, 0);  // RFC 3948 §2.1: a zero UDP checksum is allowed over IPv4
        }
        // Padding 1, 2, 3 ... then pad length and next header (RFC 4303 §2.4).
        for (std::size_t i = 0; i < pad; ++i) {
            plain[plain_len + i] = static_cast<std::uint8_t>(i + 1);
        }
        plain[plain_len + pad] = static_cast<std::uint8_t>(pad);
        plain[plain_len + pad + 1] = next_header;
        put32(esp, _c.spi);
        put32(esp + 4, static_cast<std::uint32_t>(seq));
        std::uint8_t* icv = plain + total_plain;
        std::uint8_t seq_hi[4];
        put32(seq_hi, static_cast<std::uint32_t>(seq >> 32));
        int out = 0;
        if (_gcm) {
            // RFC 4106: nonce = salt || IV; the IV is the sequence number (unique per SA).
            std::uint8_t nonce[12];
            std::memcpy(nonce, _c.key.data() + _key_len, 4);
            put32(iv, static_cast<std::uint32_t>(seq >> 32));
            put32(iv + 4, static_cast<std::uint32_t>(seq));
            std::memcpy(nonce + 4, iv, 8);
            std::uint8_t aad[12];
            std::size_t aad_len = gcm_aad(aad, seq);
            if (!_aead.seal(nonce, std::span(aad, aad_len), plain, total_plain, icv)) {
                return drop::crypto_error;
            }
        } else {
            if ((_iv_len > 0 && RAND_bytes(iv, static_cast<int>(_iv_len)) != 1) ||
                EVP_EncryptInit_ex(_ctx, nullptr, nullptr, nullptr, iv) != 1 ||
                EVP_EncryptUpdate(_ctx, plain, &out, plain, static_cast<int>(total_plain)) != 1 ||
                EVP_EncryptFinal_ex(_ctx, plain + out, &out) != 1 ||
                !hmac(esp, esp_header + _iv_len + total_plain, seq_hi, _c.esn ? 4 : 0, icv)) {
                return drop::crypto_error;
            }
        }
        p.len = outer + front + total_plain + _icv_len;
        set_header(ip, udp ? proto_udp : proto_esp, p.len);
        finish_header(ip, outer);
        account(plain_len);
        return drop::none;
    }

    drop decap(packet& p) noexcept {
        std::size_t ihl = 0;
        std::size_t udp = _c.udp_encap ? udp_header : 0;
        if (drop d = begin_inbound(p, udp + esp_header + _iv_len + 2 + _icv_len, udp ? proto_udp : proto_esp, ihl);
            d != drop::none) {
            return d;
        }
        std::uint8_t* ip = p.data();
        if (udp) {
            const std::uint8_t* u = ip + ihl;
            // RFC 3948 §2.2: a zero "SPI" is the non-ESP marker of an IKE packet, not ESP.
            if (detail::get16(u + 2) != _c.udp_src || get32(u + 8) == 0) {
                return drop::no_sa;
            }
        }
        std::uint8_t* esp = ip + ihl + udp;
        if (!spi_matches(esp)) {
            return drop::no_sa;
        }
        std::uint32_t low = get32(esp + 4);
        std::uint64_t seq = 0;
        if (drop d = replay_check(low, seq); d != drop::none) {
            return d;
        }
        std::uint8_t* iv = esp + esp_header;
        std::uint8_t* ct = iv + _iv_len;
        std::size_t ct_len = p.len - ihl - udp - esp_header - _iv_len - _icv_len;
        std::uint8_t* icv = ct + ct_len;
        if (ct_len % _block != 0 || ct_len < 2) {
            return drop::bad_padding;
        }
        std::uint8_t seq_hi[4];
        put32(seq_hi, static_cast<std::uint32_t>(seq >> 32));
        int out = 0;
        if (_gcm) {
            std::uint8_t nonce[12];
            std::memcpy(nonce, _c.key.data() + _key_len, 4);
            std::memcpy(nonce + 4, iv, 8);
            std::uint8_t aad[12];
            std::size_t aad_len = gcm_aad(aad, seq);  // seq carries low as its low half
            std::uint8_t tag[16];
            std::memcpy(tag, icv, 16);
            // GCM: the tag is checked (in constant time) before anything is used.
            if (!_aead.open(nonce, std::span(aad, aad_len), ct, ct_len, tag)) {
                return drop::integrity;
            }
        } else {
            std::uint8_t want[max_icv];
            if (!hmac(esp, esp_header + _iv_len + ct_len, seq_hi, _c.esn ? 4 : 0, want)) {
                return drop::crypto_error;
            }
            if (CRYPTO_memcmp(want, icv, _icv_len) != 0) {  // constant time
                return drop::integrity;
            }
            if (EVP_DecryptInit_ex(_dctx, nullptr, nullptr, nullptr, _iv_len ? iv : nullptr) != 1 ||
                EVP_DecryptUpdate(_dctx, ct, &out, ct, static_cast<int>(ct_len)) != 1 ||
                EVP_DecryptFinal_ex(_dctx, ct + out, &out) != 1) {
                return drop::crypto_error;
            }
        }
        if (drop d = replay_advance(seq); d != drop::none) {
            return d;
        }
        std::uint8_t pad = ct[ct_len - 2];
        std::uint8_t next_header = ct[ct_len - 1];
        if (std::size_t{pad} + 2 > ct_len) {
            return drop::bad_padding;
        }
        std::size_t plain_len = ct_len - pad - 2;
        for (std::size_t i = 0; i < pad; ++i) {
            if (ct[plain_len + i] != i + 1) {
                return drop::bad_padding;  // RFC 4303 §2.4: the default padding is 1, 2, 3 ...
            }
        }
        if (next_header == proto_none) {
            return drop::dummy;  // genuine (it verified, the window moved) but carries nothing
        }
        return strip(p, ihl, udp + esp_header + _iv_len, plain_len, next_header);
    }

    bool _gcm = true;
    std::size_t _key_len = 16;
    std::size_t _mac_key_len = 0;
    std::size_t _icv_len = 16;
    std::size_t _block = 4;
    std::size_t _iv_len = 8;
    detail::gcm _aead;                ///< AES-GCM SAs
    EVP_CIPHER_CTX* _ctx = nullptr;   ///< CBC/NULL encryption, keyed at creation
    EVP_CIPHER_CTX* _dctx = nullptr;  ///< CBC/NULL decryption, keyed at creation
    detail::hmac_sha2 _hmac;          ///< CBC/NULL integrity
    bool _keyed = false;
    const EVP_CIPHER* _cipher = nullptr;
};

}  // namespace

std::unique_ptr<esp_sa> esp_sa::create(const sa_config& c, std::unique_ptr<seq_source> seqs) {
    auto sa = std::make_unique<esp_sa_impl>(c, std::move(seqs));
    if (!sa->valid()) {
        return nullptr;
    }
    return sa;
}

}  // namespace zplex::ipsec
