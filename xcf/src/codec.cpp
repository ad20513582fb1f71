// SPDX-License-Identifier: Apache-2.0
// AES-256-GCM sealing (or authentication only, GMAC) of XCF messages and the fragment reassembler.
#include "codec.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>
#include <mutex>

namespace zplex::xcf::detail {

struct secret::keyed {
    std::mutex m;                   ///< one message at a time per context
    EVP_CIPHER_CTX* seal = nullptr;  ///< keyed on first use; EVP_CIPHER_CTX_free wipes the schedule
    EVP_CIPHER_CTX* open = nullptr;
    bool seal_keyed = false, open_keyed = false;
    ~keyed() {
        EVP_CIPHER_CTX_free(seal);
        EVP_CIPHER_CTX_free(open);
    }
};

secret::secret() noexcept = default;
secret::secret(std::span<const std::uint8_t> bytes) : _keyed(std::make_unique<keyed>()) {
    std::memcpy(_key.data(), bytes.data(), std::min(bytes.size(), _key.size()));
}
secret::~secret() { OPENSSL_cleanse(_key.data(), _key.size()); }
secret::secret(secret&& o) noexcept : _key(o._key), _keyed(std::move(o._keyed)) {
    OPENSSL_cleanse(o._key.data(), o._key.size());
}
secret& secret::operator=(secret&& o) noexcept {
    _key = o._key;
    _keyed = std::move(o._keyed);
    OPENSSL_cleanse(o._key.data(), o._key.size());
    return *this;
}

void derive(const sysplex_key& key, std::string_view label, std::span<const std::uint8_t> salt,
            std::span<std::uint8_t> out) {
    std::vector<std::uint8_t> msg(label.begin(), label.end());
    msg.insert(msg.end(), salt.begin(), salt.end());
    std::uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), msg.data(), msg.size(), mac, &len);
    std::memcpy(out.data(), mac, std::min<std::size_t>(out.size(), len));
    OPENSSL_cleanse(mac, sizeof mac);
}

namespace {

void nonce_of(const message_context& c, std::uint8_t (&iv)[12]) {
    std::memcpy(iv, &c.sender_incarnation, 4);
    std::memcpy(iv + 4, &c.seq, 8);
}

struct ctx_guard {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    ~ctx_guard() { EVP_CIPHER_CTX_free(ctx); }
};

/// @p ctx keyed with @p k once (@p keyed: it is; else it is keyed now), then the message's IV.
bool init(EVP_CIPHER_CTX* ctx, bool& keyed, const secret& k, const std::uint8_t (&iv)[12], int enc) {
    if (!ctx) return false;
    if (!keyed) {
        if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), nullptr, k.data(), nullptr, enc) != 1) return false;
        keyed = true;
    }
    return EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, iv, enc) == 1;
}

bool seal_in(EVP_CIPHER_CTX* ctx, bool& keyed, const secret& k, const message_context& c,
             std::span<const std::uint8_t> plain, std::vector<std::uint8_t>& out) {
    std::uint8_t iv[12];
    nonce_of(c, iv);
    int len = 0;
    out.resize(plain.size() + 16);
    return init(ctx, keyed, k, iv, 1) &&
           EVP_EncryptUpdate(ctx, nullptr, &len, reinterpret_cast<const std::uint8_t*>(&c), sizeof c) == 1 &&
           EVP_EncryptUpdate(ctx, out.data(), &len, plain.data(), static_cast<int>(plain.size())) == 1 &&
           EVP_EncryptFinal_ex(ctx, out.data() + len, &len) == 1 &&
           EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out.data() + plain.size()) == 1;
}

/// GMAC: the same cipher, nonce and key, the context and then the message as additional
/// data, no plaintext; @p out = message || tag.
bool authenticate_in(EVP_CIPHER_CTX* ctx, bool& keyed, const secret& k, const message_context& c,
                     std::span<const std::uint8_t> message, std::vector<std::uint8_t>& out) {
    std::uint8_t iv[12];
    nonce_of(c, iv);
    int len = 0;
    std::uint8_t none[16];
    out.resize(message.size() + 16);
    if (!message.empty()) std::memcpy(out.data(), message.data(), message.size());
    return init(ctx, keyed, k, iv, 1) &&
           EVP_EncryptUpdate(ctx, nullptr, &len, reinterpret_cast<const std::uint8_t*>(&c), sizeof c) == 1 &&
           (message.empty() ||
            EVP_EncryptUpdate(ctx, nullptr, &len, message.data(), static_cast<int>(message.size())) == 1) &&
           EVP_EncryptFinal_ex(ctx, none, &len) == 1 &&
           EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out.data() + message.size()) == 1;
}

bool open_in(EVP_CIPHER_CTX* ctx, bool& keyed, const secret& k, const message_context& c,
             std::span<const std::uint8_t> sealed, std::vector<std::uint8_t>& out) {
    std::uint8_t iv[12];
    nonce_of(c, iv);
    std::size_t n = sealed.size() - 16;
    std::vector<std::uint8_t> plain(n);
    std::uint8_t tag[16];
    std::memcpy(tag, sealed.data() + n, 16);
    int len = 0;
    // GCM checks the tag in constant time inside OpenSSL; nothing is returned unless it verifies.
    if (!init(ctx, keyed, k, iv, 0) ||
        EVP_DecryptUpdate(ctx, nullptr, &len, reinterpret_cast<const std::uint8_t*>(&c), sizeof c) != 1 ||
        EVP_DecryptUpdate(ctx, plain.data(), &len, sealed.data(), static_cast<int>(n)) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1 ||
        EVP_DecryptFinal_ex(ctx, plain.data() + len, &len) != 1) {
        OPENSSL_cleanse(plain.data(), plain.size());
        return false;
    }
    out = std::move(plain);
    return true;
}

/// The GMAC of authenticate_in() checked (in constant time, by OpenSSL's GCM final);
/// the message is copied out only if it verifies.
bool verify_in(EVP_CIPHER_CTX* ctx, bool& keyed, const secret& k, const message_context& c,
               std::span<const std::uint8_t> authenticated, std::vector<std::uint8_t>& out) {
    std::uint8_t iv[12];
    nonce_of(c, iv);
    std::size_t n = authenticated.size() - 16;
    std::uint8_t tag[16];
    std::memcpy(tag, authenticated.data() + n, 16);
    std::uint8_t none[16];
    int len = 0;
    if (!init(ctx, keyed, k, iv, 0) ||
        EVP_DecryptUpdate(ctx, nullptr, &len, reinterpret_cast<const std::uint8_t*>(&c), sizeof c) != 1 ||
        (n > 0 && EVP_DecryptUpdate(ctx, nullptr, &len, authenticated.data(), static_cast<int>(n)) != 1) ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1 || EVP_DecryptFinal_ex(ctx, none, &len) != 1) {
        return false;
    }
    out.assign(authenticated.begin(), authenticated.begin() + static_cast<std::ptrdiff_t>(n));
    return true;
}

/// @p f(ctx, keyed) with the secret's own context (@p which of its schedules) under its
/// mutex, or with a fresh one for a secret that has none.
template <class F>
bool with_context(const secret& k, EVP_CIPHER_CTX* secret::keyed::*which, bool secret::keyed::*keyed, F f) {
    if (auto* s = k.schedules()) {
        std::lock_guard<std::mutex> l(s->m);
        if (!(s->*which)) s->*which = EVP_CIPHER_CTX_new();
        return f(s->*which, s->*keyed);
    }
    ctx_guard g;
    bool fresh = false;
    return f(g.ctx, fresh);
}

}  // namespace

bool seal(const secret& k, const message_context& c, std::span<const std::uint8_t> plain,
          std::vector<std::uint8_t>& out) {
    return c.mode == mode_of(protection::sealed) && c.reserved == 0 &&
           with_context(k, &secret::keyed::seal, &secret::keyed::seal_keyed,
                        [&](EVP_CIPHER_CTX* ctx, bool& keyed) { return seal_in(ctx, keyed, k, c, plain, out); });
}

bool authenticate(const secret& k, const message_context& c, std::span<const std::uint8_t> message,
                  std::vector<std::uint8_t>& out) {
    return c.mode == mode_of(protection::integrity_only) && c.reserved == 0 &&
           with_context(k, &secret::keyed::seal, &secret::keyed::seal_keyed, [&](EVP_CIPHER_CTX* ctx, bool& keyed) {
               return authenticate_in(ctx, keyed, k, c, message, out);
           });
}

bool protect(const secret& k, const message_context& c, std::span<const std::uint8_t> message,
             std::vector<std::uint8_t>& out) {
    return c.mode == mode_of(protection::integrity_only) ? authenticate(k, c, message, out) : seal(k, c, message, out);
}

bool open(const secret& k, const message_context& c, std::span<const std::uint8_t> sealed,
          std::vector<std::uint8_t>& out) {
    if (sealed.size() < 16 || c.reserved != 0) return false;
    if (c.mode == mode_of(protection::sealed)) {
        return with_context(k, &secret::keyed::open, &secret::keyed::open_keyed,
                            [&](EVP_CIPHER_CTX* ctx, bool& keyed) { return open_in(ctx, keyed, k, c, sealed, out); });
    }
    if (c.mode == mode_of(protection::integrity_only)) {
        return with_context(k, &secret::keyed::open, &secret::keyed::open_keyed,
                            [&](EVP_CIPHER_CTX* ctx, bool& keyed) { return verify_in(ctx, keyed, k, c, sealed, out); });
    }
    return false;  // no such mode
}

verdict open_in_order(const secret& k, const message_context& c, std::span<const std::uint8_t> sealed,
                      std::uint32_t& last_incarnation, std::uint64_t& last_seq, std::vector<std::uint8_t>& out) {
    if (!open(k, c, sealed, out)) {
        return verdict::integrity;  // forged, damaged, or sealed with another key
    }
    if (c.sender_incarnation < last_incarnation) {
        OPENSSL_cleanse(out.data(), out.size());
        out.clear();
        return verdict::stale;
    }
    if (last_incarnation == c.sender_incarnation && c.seq <= last_seq) {
        OPENSSL_cleanse(out.data(), out.size());
        out.clear();
        return verdict::replay;
    }
    last_incarnation = c.sender_incarnation;
    last_seq = c.seq;
    return verdict::delivered;
}

bool header_valid(const fragment_header& h, std::uint64_t available) noexcept {
    return h.magic == fragment_magic && h.frame_len >= sizeof(fragment_header) && h.frame_len % 8 == 0 &&
           h.frame_len <= sizeof(fragment_header) + max_fragment + 8 && h.frame_len <= available &&
           h.payload_len <= h.frame_len - sizeof(fragment_header) && h.payload_len <= max_fragment &&
           h.sender < max_members && h.receiver < max_members && h.frag_count >= 1 &&
           h.frag_index < h.frag_count && h.ct_len >= 16 && h.ct_len <= max_message + 16 &&
           h.frag_count == (h.ct_len + max_fragment - 1) / max_fragment &&
           (h.flags == mode_of(protection::sealed) || h.flags == mode_of(protection::integrity_only)) &&
           h.reserved == 0;
}

void reassembler::reset() noexcept {
    _buf.clear();
    _next = 0;
    _first = {};
}

reassembler::status reassembler::add(const fragment_header& h, std::span<const std::uint8_t> payload,
                                     std::uint32_t ring_sender, std::uint32_t me, std::uint32_t my_incarnation) {
    if (h.sender != ring_sender || h.receiver != me || payload.size() != h.payload_len) {
        reset();
        return status::malformed;
    }
    if (h.receiver_incarnation != my_incarnation) {
        reset();
        return status::stale;  // addressed to an earlier member in this slot
    }
    if (_next > 0 && (h.sender_incarnation != _first.sender_incarnation || h.seq != _first.seq)) {
        // A new message while one was half done: the sender died mid-message.
        reset();
        if (h.frag_index != 0) {
            return status::stale;
        }
    }
    if (h.frag_index != _next) {
        reset();
        return status::malformed;
    }
    std::uint32_t expect = h.frag_index + 1 < h.frag_count ? max_fragment : h.ct_len - (h.frag_count - 1) * max_fragment;
    if (h.payload_len != expect) {
        reset();
        return status::malformed;
    }
    if (_next == 0) {
        _first = h;
        _buf.clear();
        _buf.reserve(h.ct_len);
    } else if (h.ct_len != _first.ct_len || h.frag_count != _first.frag_count || h.flags != _first.flags) {
        reset();
        return status::malformed;
    }
    _buf.insert(_buf.end(), payload.begin(), payload.end());
    ++_next;
    if (_next == h.frag_count) {
        _next = 0;
        return status::complete;
    }
    return status::need_more;
}


bool count_refused(reassembler::status st, drop_counters& drops) noexcept {
    switch (st) {
    case reassembler::status::malformed:
        ++drops.malformed;
        return true;
    case reassembler::status::stale:
        ++drops.stale;
        return true;
    case reassembler::status::need_more:
        return true;
    case reassembler::status::complete:
        break;
    }
    return false;
}

bool count_refused(verdict v, drop_counters& drops) noexcept {
    switch (v) {
    case verdict::integrity:
        ++drops.integrity;
        return true;
    case verdict::replay:
        ++drops.replay;
        return true;
    case verdict::stale:
        ++drops.stale;
        return true;
    case verdict::delivered:
        break;
    }
    return false;
}

}  // namespace zplex::xcf::detail
