// SPDX-License-Identifier: Apache-2.0
// XCF message protection (AES-256-GCM with the sysplex key: sealed, or the message as
// additional authenticated data only) and the fragment decoder: everything that reads
// bytes another process wrote.
#pragma once

#include "cds.hpp"

#include <zplex/xcf/xcf.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace zplex::xcf::detail {

/// A 32-byte key that wipes itself, with its AES-256-GCM key schedules: made once, on the
/// first seal and open, so a message costs its IV and its bytes, not a key expansion and
/// an OpenSSL cipher fetch (a forwarded packet is one message). They go with the key.
class secret {
public:
    secret() noexcept;
    explicit secret(std::span<const std::uint8_t> bytes);
    ~secret();
    secret(const secret&) = delete;
    secret& operator=(const secret&) = delete;
    secret(secret&& o) noexcept;
    secret& operator=(secret&& o) noexcept;
    const std::uint8_t* data() const noexcept { return _key.data(); }
    /// The keyed cipher contexts (a mutex, one for sealing, one for opening), made with the
    /// key; null for a default or moved-from secret (seal and open then key a context each time).
    struct keyed;
    keyed* schedules() const noexcept { return _keyed.get(); }

private:
    std::array<std::uint8_t, 32> _key{};
    std::unique_ptr<keyed> _keyed;
};

/// HMAC-SHA256(key, label || salt), truncated to @p out.size() bytes.
void derive(const sysplex_key& key, std::string_view label, std::span<const std::uint8_t> salt,
            std::span<std::uint8_t> out);

/// The header's mode field (fragment_header::flags, message_context::mode) of @p p.
constexpr std::uint32_t mode_of(protection p) noexcept { return static_cast<std::uint32_t>(p); }

/// What the tag also authenticates besides the message: the addressing and the mode,
/// so a message is valid only in the mode it was protected in.
struct message_context {
    char group[8];
    std::uint32_t sender;
    std::uint32_t receiver;
    std::uint32_t sender_incarnation;
    std::uint32_t receiver_incarnation;
    std::uint64_t seq;
    std::uint32_t mode;       ///< mode_of(protection): the header's flags
    std::uint32_t reserved;   ///< zero (no padding in what is authenticated)
};
static_assert(sizeof(message_context) == 40);

/// Encrypt @p plain (@p c.mode must be sealed); @p out = ciphertext || 16-byte tag.
/// Nonce = incarnation || seq: unique because incarnations are unique in a couple
/// dataset and keys are per dataset, and both modes take their seq from one counter.
bool seal(const secret& k, const message_context& c, std::span<const std::uint8_t> plain,
          std::vector<std::uint8_t>& out);
/// Authenticate @p message without encrypting it (@p c.mode must be integrity_only):
/// AES-256-GCM under the same key and nonce rule with @p c then @p message as the
/// additional data and no plaintext (GMAC); @p out = message || 16-byte tag.
bool authenticate(const secret& k, const message_context& c, std::span<const std::uint8_t> message,
                  std::vector<std::uint8_t>& out);
/// seal() or authenticate(), as @p c.mode says.
bool protect(const secret& k, const message_context& c, std::span<const std::uint8_t> message,
             std::vector<std::uint8_t>& out);
/// Verify (and, sealed, decrypt) in the mode @p c.mode names, the one the header said;
/// false (nothing written) if the tag does not verify in that mode.
bool open(const secret& k, const message_context& c, std::span<const std::uint8_t> sealed,
          std::vector<std::uint8_t>& out);

/// Why a completed message was not delivered.
enum class verdict { delivered, integrity, replay, stale };

/// Open a completed message and apply the replay rule: per sender incarnation the
/// sequence only goes up, and incarnations only go up (an older incarnation's message
/// is stale and never moves the state back). On delivery @p last_incarnation /
/// @p last_seq move on.
verdict open_in_order(const secret& k, const message_context& c, std::span<const std::uint8_t> sealed,
                      std::uint32_t& last_incarnation, std::uint64_t& last_seq, std::vector<std::uint8_t>& out);

/// Reassembles one sender's fragments into sealed messages.
class reassembler {
public:
    enum class status { need_more, complete, malformed, stale };

    /// Take one fragment. @p ring_sender / @p me / @p my_incarnation are what the
    /// receiver knows; anything in the header that disagrees is refused.
    status add(const fragment_header& h, std::span<const std::uint8_t> payload, std::uint32_t ring_sender,
               std::uint32_t me, std::uint32_t my_incarnation);
    /// The completed message (valid after add() returned complete).
    const std::vector<std::uint8_t>& sealed() const noexcept { return _buf; }
    const fragment_header& first() const noexcept { return _first; }
    void reset() noexcept;

private:
    std::vector<std::uint8_t> _buf;
    fragment_header _first{};
    std::uint32_t _next = 0;
};

/// A frame header read off a ring is usable: sizes in bounds and consistent.
bool header_valid(const fragment_header& h, std::uint64_t available) noexcept;

/// The fragments of one protected message, the one wire format of every signalling
/// path (rings and TCP). @p base carries the addressing (sender, receiver, both
/// incarnations, seq) and the mode (flags); the rest of each header is filled in here. @p put(h, payload)
/// writes one frame of h.frame_len bytes (header, payload, zero padding to 8) and
/// returns false to stop; the result is false if it did.
template <class Put>
bool for_each_fragment(std::span<const std::uint8_t> sealed, fragment_header base, Put&& put) {
    base.magic = fragment_magic;
    base.ct_len = static_cast<std::uint32_t>(sealed.size());
    base.frag_count = static_cast<std::uint32_t>((sealed.size() + max_fragment - 1) / max_fragment);
    for (std::uint32_t f = 0; f < base.frag_count; ++f) {
        fragment_header h = base;
        h.frag_index = f;
        h.payload_len = std::min<std::uint32_t>(max_fragment, h.ct_len - f * max_fragment);
        h.frame_len = (static_cast<std::uint32_t>(sizeof h) + h.payload_len + 7) & ~7u;
        if (!put(h, sealed.subspan(std::size_t{f} * max_fragment, h.payload_len))) {
            return false;
        }
    }
    return true;
}

/// Counts a fragment the reassembler refused, or a completed message that was not
/// delivered, under its drop reason. True if something was counted (the caller
/// goes on with the next frame).
bool count_refused(reassembler::status st, drop_counters& drops) noexcept;
bool count_refused(verdict v, drop_counters& drops) noexcept;

}  // namespace zplex::xcf::detail
