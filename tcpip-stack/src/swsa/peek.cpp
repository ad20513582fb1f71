// SPDX-License-Identifier: Apache-2.0
#include <zplex/swsa/peek.hpp>
#include <zplex/sysplex/byte_order.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace zplex::swsa {

namespace {

using sysplex::get16;
using sysplex::get32;

constexpr std::size_t peek_bytes = 64;  // an inner IPv4 header with options and the TCP header

class peeker_impl final : public peeker {
public:
    peeker_impl(std::uint8_t protocol, ipsec::algorithm alg, ipsec::sa_mode mode, bool bundle = false)
        : _protocol(protocol), _alg(alg), _mode(mode), _bundle(bundle) {}
    ~peeker_impl() override {
        if (_ctx) {
            EVP_CIPHER_CTX_free(_ctx);
        }
        OPENSSL_cleanse(_salt.data(), _salt.size());
    }
    bool init(std::span<const std::uint8_t> key) {
        if (_protocol == 51 && !_bundle) {
            return key.size() == 32 || key.size() == 48 || key.size() == 64;
        }
        if (key.size() != ipsec::key_length(_alg)) {
            return false;
        }
        std::size_t ck = ipsec::cipher_key_length(_alg);
        if (ck == 0) {
            return true;  // ESP-NULL: nothing to decrypt
        }
        const EVP_CIPHER* c = nullptr;
        if (ipsec::is_aead(_alg)) {
            c = ck == 16 ? EVP_aes_128_ctr() : EVP_aes_256_ctr();  // GCM's keystream is CTR's
            std::copy_n(key.data() + ck, 4, _salt.begin());
        } else {
            c = ck == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();
        }
        _ctx = EVP_CIPHER_CTX_new();
        if (!_ctx || EVP_DecryptInit_ex(_ctx, c, nullptr, key.data(), nullptr) != 1) {
            return false;
        }
        EVP_CIPHER_CTX_set_padding(_ctx, 0);
        return true;
    }

    bool peek(std::span<const std::uint8_t> p, peek_result& out) noexcept override {
        if (p.size() < 20 || (p[0] >> 4) != 4) {
            return false;
        }
        std::size_t hl = std::size_t{p[0] & 0x0Fu} * 4;
        std::uint8_t outer = _bundle ? 51 : _protocol;
        if (hl < 20 || p.size() < hl + 8 || p[9] != outer) {
            return false;
        }
        const std::uint8_t* h = p.data() + hl;
        std::size_t rest = p.size() - hl;
        std::uint8_t plain[peek_bytes];
        std::size_t have = 0;
        std::uint8_t next = 0;
        std::size_t at = hl;  // where the transport (tunnel: the inner IP) header starts
        if (_bundle) {
            // AH over ESP: AH is skipped as it is (its length in its header), then ESP.
            std::size_t ah_len = (std::size_t{h[1]} + 2) * 4;
            if (ah_len < 12 || rest < ah_len + 8 || h[0] != 50) {
                return false;
            }
            out.spi = get32(h + 4);
            out.seq = get32(h + 8);
            h += ah_len;
            rest -= ah_len;
            at += ah_len + 8 + iv_length();
            if (!esp_peek(h + 8, rest - 8, plain, have, next)) {
                return false;
            }
        } else if (_protocol == 51) {
            std::size_t ah_len = (std::size_t{h[1]} + 2) * 4;
            if (rest < ah_len || ah_len < 12) {
                return false;
            }
            next = h[0];
            out.spi = get32(h + 4);
            out.seq = get32(h + 8);
            have = std::min(rest - ah_len, peek_bytes);
            std::memcpy(plain, h + ah_len, have);
            at += ah_len;
        } else {
            out.spi = get32(h);
            out.seq = get32(h + 4);
            at += 8 + iv_length();
            if (!esp_peek(h + 8, rest - 8, plain, have, next)) {
                return false;
            }
        }
        const std::uint8_t* inner = plain;
        if (_mode == ipsec::sa_mode::tunnel) {
            if (next != 4 || have < 20 || (plain[0] >> 4) != 4) {
                return false;
            }
            std::size_t ihl = std::size_t{plain[0] & 0x0Fu} * 4;
            if (ihl < 20 || have < ihl) {
                return false;
            }
            out.protocol = plain[9];
            out.src = get32(plain + 12);
            out.dst = get32(plain + 16);
            inner = plain + ihl;
            have -= ihl;
            at += ihl;
        } else {
            out.protocol = next;
            out.src = get32(p.data() + 12);
            out.dst = get32(p.data() + 16);
        }
        out.src_port = out.dst_port = 0;
        out.tcp_flags = 0;
        out.offset = static_cast<std::uint16_t>(at);
        if (out.protocol == 6 || out.protocol == 17) {
            if (have < (out.protocol == 6 ? 14u : 4u)) {
                return false;
            }
            out.src_port = get16(inner);
            out.dst_port = get16(inner + 2);
            if (out.protocol == 6) {
                out.tcp_flags = inner[13];
            }
        }
        return true;
    }

private:
    std::size_t iv_length() const noexcept {
        return ipsec::cipher_key_length(_alg) == 0 ? 0 : ipsec::is_aead(_alg) ? 8 : 16;
    }

    /// ESP payload [iv | ciphertext | icv]: the first bytes of the plaintext and the
    /// trailer's next header.
    bool esp_peek(const std::uint8_t* e, std::size_t n, std::uint8_t* plain, std::size_t& have,
                  std::uint8_t& next) noexcept {
        std::size_t icv = ipsec::icv_length(_alg);
        std::size_t ivl = iv_length();
        if (n < ivl + icv + 2) {
            return false;
        }
        const std::uint8_t* iv = e;
        const std::uint8_t* ct = e + ivl;
        std::size_t ct_len = n - ivl - icv;
        std::uint8_t last[16];
        if (ivl == 0) {  // ESP-NULL: the payload is plain
            have = std::min(ct_len - 2, peek_bytes);
            std::memcpy(plain, ct, have);
            next = ct[ct_len - 1];
            return true;
        }
        int outl = 0;
        if (ipsec::is_aead(_alg)) {
            std::uint8_t ctr[16];
            std::memcpy(ctr, _salt.data(), 4);
            std::memcpy(ctr + 4, iv, 8);
            sysplex::put32(ctr + 12, 2);  // counter 1 is the tag's
            have = std::min(ct_len - 2, peek_bytes);
            if (EVP_DecryptInit_ex(_ctx, nullptr, nullptr, nullptr, ctr) != 1 ||
                EVP_DecryptUpdate(_ctx, plain, &outl, ct, static_cast<int>(have)) != 1) {
                return false;
            }
            // The trailer's last byte: its block's counter is 2 + offset / 16.
            std::size_t off = ct_len - 1;
            sysplex::put32(ctr + 12, static_cast<std::uint32_t>(2 + off / 16));
            std::size_t in_block = off % 16;
            std::uint8_t ks[16] = {};
            std::uint8_t zero[16] = {};
            if (EVP_DecryptInit_ex(_ctx, nullptr, nullptr, nullptr, ctr) != 1 ||
                EVP_DecryptUpdate(_ctx, ks, &outl, zero, 16) != 1) {
                return false;
            }
            next = static_cast<std::uint8_t>(ct[off] ^ ks[in_block]);
            OPENSSL_cleanse(ks, sizeof ks);
            return true;
        }
        if (ct_len % 16 != 0 || ct_len < 16) {
            return false;
        }
        have = std::min<std::size_t>(ct_len, peek_bytes / 16 * 16);
        if (EVP_DecryptInit_ex(_ctx, nullptr, nullptr, nullptr, iv) != 1 ||
            EVP_DecryptUpdate(_ctx, plain, &outl, ct, static_cast<int>(have)) != 1) {
            return false;
        }
        const std::uint8_t* prev = ct_len == 16 ? iv : ct + ct_len - 32;
        if (EVP_DecryptInit_ex(_ctx, nullptr, nullptr, nullptr, prev) != 1 ||
            EVP_DecryptUpdate(_ctx, last, &outl, ct + ct_len - 16, 16) != 1) {
            return false;
        }
        next = last[15];
        if (have > ct_len - 2) {
            have = ct_len - 2;  // the pad length and next header are not data
        }
        OPENSSL_cleanse(last, sizeof last);
        return true;
    }

    std::uint8_t _protocol;
    ipsec::algorithm _alg;
    ipsec::sa_mode _mode;
    bool _bundle = false;
    EVP_CIPHER_CTX* _ctx = nullptr;
    std::array<std::uint8_t, 4> _salt{};
};

}  // namespace

std::unique_ptr<peeker> peeker::create(std::uint8_t protocol, ipsec::algorithm alg, ipsec::sa_mode mode,
                                       std::span<const std::uint8_t> key) {
    if (protocol != 50 && protocol != 51) {
        return nullptr;
    }
    auto p = std::make_unique<peeker_impl>(protocol, alg, mode);
    if (!p->init(key)) {
        return nullptr;
    }
    return p;
}

std::unique_ptr<peeker> peeker::create_bundle(ipsec::algorithm esp_alg, ipsec::sa_mode mode,
                                              std::span<const std::uint8_t> esp_key) {
    auto p = std::make_unique<peeker_impl>(50, esp_alg, mode, true);
    if (!p->init(esp_key)) {
        return nullptr;
    }
    return p;
}

}  // namespace zplex::swsa
