// SPDX-License-Identifier: Apache-2.0
// The security association database: outbound SAs by name, inbound by SPI, protocol,
// destination and (as a target's shadow SA cache keys them) source; lifetimes in
// seconds and lifesize in bytes with soft and hard limits raising events.
#pragma once

#include <zplex/ipsec/ah.hpp>
#include <zplex/ipsec/esp.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

namespace zplex::ipsec {

struct sa_lifetime {
    std::uint64_t soft_bytes = 0;                 ///< 0: no lifesize
    std::uint64_t hard_bytes = 0;
    std::chrono::seconds soft_time{0};            ///< 0: no lifetime
    std::chrono::seconds hard_time{0};
};

/// soft_expire: rekey soon; hard_expire: the SA is gone; deleted: removed by request;
/// seq_exhausted: an outbound SA ran out of sequence numbers (RFC 4303 §3.3.3): it sends
/// no more, IKE must rekey now.
enum class sa_event : std::uint8_t { soft_expire, hard_expire, deleted, seq_exhausted };
const char* sa_event_name(sa_event e) noexcept;

/// An SA lifecycle event for IKE (rekey) and SWSA distribution (delete shadows).
struct sa_notice {
    sa_event what = sa_event::soft_expire;
    std::uint32_t spi = 0;
    std::string name;                             ///< outbound SA name, empty for inbound
    bool by_bytes = false;                        ///< lifesize (true) or lifetime (false)
};

class sad {
public:
    using clock = std::chrono::steady_clock;
    using listener = std::function<void(const sa_notice&)>;

    explicit sad(listener on_event = {}) : _on_event(std::move(on_event)) {}

    /// Install an outbound SA (ESP or AH) under @p name (a policy's SA name); replaces one there.
    void add_outbound(const std::string& name, std::unique_ptr<security_association> sa, sa_lifetime life = {},
                      clock::time_point now = clock::now());
    /// Install an inbound SA (ESP or AH). @p src empty: any source. False if the key
    /// is taken or @p protocol is not the SA's.
    bool add_inbound(std::uint32_t spi, std::uint8_t protocol, std::uint32_t dst, std::optional<std::uint32_t> src,
                     std::unique_ptr<security_association> sa, sa_lifetime life = {},
                     clock::time_point now = clock::now());

    security_association* outbound(const std::string& name) noexcept;
    /// Exact source first, then an any-source entry.
    security_association* inbound(std::uint32_t spi, std::uint8_t protocol, std::uint32_t dst,
                                  std::uint32_t src) noexcept;

    /// Protect @p p with the outbound SA @p name. A packet the SA has no sequence
    /// number for is dropped (SEQEXHAUST) and seq_exhausted raised, once per SA.
    drop protect(const std::string& name, packet& p);

    bool remove_outbound(const std::string& name);
    bool remove_inbound(std::uint32_t spi, std::uint8_t protocol, std::uint32_t dst, std::optional<std::uint32_t> src);

    /// Compare every SA's bytes and age with its limits: soft limits raise soft_expire
    /// once; hard limits raise hard_expire and remove the SA. An outbound SA that ran
    /// out of sequence numbers (however it was called) raises seq_exhausted once.
    void check(clock::time_point now = clock::now());

    std::size_t size() const noexcept { return _out.size() + _in.size(); }

private:
    struct entry {
        std::unique_ptr<security_association> sa;
        sa_lifetime life;
        clock::time_point added;
        bool soft_sent = false;
        bool exhausted_sent = false;
    };
    using in_key = std::tuple<std::uint32_t, std::uint8_t, std::uint32_t, std::optional<std::uint32_t>>;
    void notify(sa_event e, std::uint32_t spi, const std::string& name, bool bytes);
    /// True if the entry passed a hard limit (the caller removes it).
    bool expire(entry& e, const std::string& name, clock::time_point now);

    listener _on_event;
    std::map<std::string, entry> _out;
    std::map<in_key, entry> _in;
};

}  // namespace zplex::ipsec
