// SPDX-License-Identifier: Apache-2.0
// SA database with soft/hard lifetime and lifesize limits.
#include <zplex/ipsec/sad.hpp>

namespace zplex::ipsec {

const char* sa_event_name(sa_event e) noexcept {
    switch (e) {
    case sa_event::soft_expire: return "SOFTEXPIRE";
    case sa_event::hard_expire: return "HARDEXPIRE";
    case sa_event::deleted: return "DELETED";
    case sa_event::seq_exhausted: return "SEQEXHAUST";
    }
    return "?";
}

void sad::notify(sa_event e, std::uint32_t spi, const std::string& name, bool bytes) {
    if (_on_event) {
        _on_event(sa_notice{e, spi, name, bytes});
    }
}

void sad::add_outbound(const std::string& name, std::unique_ptr<security_association> sa, sa_lifetime life,
                       clock::time_point now) {
    if (!sa) {
        return;
    }
    _out[name] = entry{std::move(sa), life, now, false, false};
}

bool sad::add_inbound(std::uint32_t spi, std::uint8_t protocol, std::uint32_t dst, std::optional<std::uint32_t> src,
                      std::unique_ptr<security_association> sa, sa_lifetime life, clock::time_point now) {
    if (!sa || sa->protocol() != protocol || sa->spi() != spi) {
        return false;
    }
    auto [it, inserted] =
        _in.try_emplace(in_key{spi, protocol, dst, src}, entry{std::move(sa), life, now, false, false});
    (void)it;
    return inserted;  // an SPI is unique per destination and protocol (RFC 4301 §4.1)
}

security_association* sad::outbound(const std::string& name) noexcept {
    auto it = _out.find(name);
    return it == _out.end() ? nullptr : it->second.sa.get();
}

drop sad::protect(const std::string& name, packet& p) {
    auto it = _out.find(name);
    if (it == _out.end()) {
        return drop::no_sa;
    }
    drop d = it->second.sa->encapsulate(p);
    if (d == drop::seq_exhausted && !it->second.exhausted_sent) {
        it->second.exhausted_sent = true;
        notify(sa_event::seq_exhausted, it->second.sa->spi(), name, false);
    }
    return d;
}

security_association* sad::inbound(std::uint32_t spi, std::uint8_t protocol, std::uint32_t dst, std::uint32_t src) noexcept {
    auto it = _in.find(in_key{spi, protocol, dst, src});
    if (it == _in.end()) {
        it = _in.find(in_key{spi, protocol, dst, std::nullopt});
    }
    return it == _in.end() ? nullptr : it->second.sa.get();
}

bool sad::remove_outbound(const std::string& name) {
    auto it = _out.find(name);
    if (it == _out.end()) {
        return false;
    }
    auto spi = it->second.sa->spi();
    _out.erase(it);
    notify(sa_event::deleted, spi, name, false);
    return true;
}

bool sad::remove_inbound(std::uint32_t spi, std::uint8_t protocol, std::uint32_t dst, std::optional<std::uint32_t> src) {
    if (_in.erase(in_key{spi, protocol, dst, src}) == 0) {
        return false;
    }
    notify(sa_event::deleted, spi, {}, false);
    return true;
}

bool sad::expire(entry& e, const std::string& name, clock::time_point now) {
    auto bytes = e.sa->bytes();
    auto age = now - e.added;
    bool hard_bytes = e.life.hard_bytes && bytes >= e.life.hard_bytes;
    bool hard_time = e.life.hard_time.count() && age >= e.life.hard_time;
    if (hard_bytes || hard_time) {
        notify(sa_event::hard_expire, e.sa->spi(), name, hard_bytes);
        return true;
    }
    bool soft_bytes = e.life.soft_bytes && bytes >= e.life.soft_bytes;
    bool soft_time = e.life.soft_time.count() && age >= e.life.soft_time;
    if (!e.soft_sent && (soft_bytes || soft_time)) {
        e.soft_sent = true;  // once: IKE starts the rekey
        notify(sa_event::soft_expire, e.sa->spi(), name, soft_bytes);
    }
    return false;
}

void sad::check(clock::time_point now) {
    for (auto it = _out.begin(); it != _out.end();) {
        auto& e = it->second;
        if (!e.exhausted_sent && e.sa->drops()[drop::seq_exhausted] > 0) {
            e.exhausted_sent = true;
            notify(sa_event::seq_exhausted, e.sa->spi(), it->first, false);
        }
        it = expire(it->second, it->first, now) ? _out.erase(it) : std::next(it);
    }
    for (auto it = _in.begin(); it != _in.end();) {
        it = expire(it->second, {}, now) ? _in.erase(it) : std::next(it);
    }
}

}  // namespace zplex::ipsec
