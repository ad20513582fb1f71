// SPDX-License-Identifier: Apache-2.0
#include <zplex/swsa/seq_source.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace zplex::swsa {

cf_seq_source::cf_seq_source(cf::connector& cf, seq_config c, seq_failure on_failure)
    : _cf(cf), _c(std::move(c)), _on_failure(std::move(on_failure)) {
    _c.peer_window = std::max<std::uint32_t>(_c.peer_window, 32);
    _c.senders = std::clamp<std::uint32_t>(_c.senders, 2, 16);
    _block = _c.peer_window / _c.senders;
    if (_c.max_block != 0 && _c.max_block < _block) {
        _block = _c.max_block;
    }
    if (_c.esn || _c.base > ~std::uint64_t{0} - 0xffffffffull) {
        _limit = ~std::uint64_t{0};
    } else {
        _limit = _c.base + 0xffffffffull;  // key of number 2^32 - 1 is base + 2^32 - 2
    }
    _known = _c.base;
    _generation = _cf.generation();
}

std::int64_t cf_seq_source::now_us() const noexcept {
    if (_c.clock_us) {
        try {
            return _c.clock_us();
        } catch (...) {
            return 0;
        }
    }
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void cf_seq_source::fail(const cf::result& r, bool exhausted) noexcept {
    ++_stats.failures;
    bool rekey = exhausted || r.why == cf::reason::structure_lost;
    if (rekey) {
        _retired = true;
        _next = _end;  // nothing held is used any more
    }
    if (_failing) {
        return;  // said once per failure streak
    }
    _failing = true;
    if (!_on_failure) {
        return;
    }
    try {
        std::string line =
            exhausted ? fmt::format("EZD0834I ENCAPSULATION FAILED FOR TUNNEL {} SPI X'{:08X}' RSN=9: THE SEQUENCE "
                                    "NUMBERS IN EZBDVIPA LIST {} ARE USED UP, THE SA IS REKEYED",
                                    _c.tunnel, _c.spi, _c.list)
                      : fmt::format("EZD0834I ENCAPSULATION FAILED FOR TUNNEL {} SPI X'{:08X}' RSN=9: NO SEQUENCE "
                                    "NUMBER FROM EZBDVIPA LIST {}: {}{}",
                                    _c.tunnel, _c.spi, _c.list, cf::to_string(r), rekey ? ", THE SA IS REKEYED" : "");
        _on_failure(line, rekey);
    } catch (...) {  // a handler that throws must not take the packet path with it
    }
}

bool cf_seq_source::take(std::uint64_t n) noexcept {
    if (!_retired && _cf.generation() != _generation) {
        // The structure was lost and connected again since: this SA's counter list
        // went with it (the list of that number in the new one is another SA's).
        fail(cf::fail(cf::reason::structure_lost, cf::rc::environment), false);
    }
    if (_retired) {
        fail(cf::fail(cf::reason::structure_lost, cf::rc::environment), false);
        return false;
    }
    n = std::clamp<std::uint64_t>(n, 1, _block);
    std::uint64_t first = 0;
    cf::result r;
    for (int attempt = 0; attempt < 2; ++attempt) {  // RSN 0C03: nothing was done, one retry
        ++_stats.takes;
        try {
            r = _cf.take_list_keys(_c.list, n, first);
        } catch (...) {
            r = cf::fail(cf::reason::bad_parameter);
        }
        if (r || r.why != cf::reason::duplex_copy_unavailable) {
            break;
        }
    }
    if (!r) {
        fail(r, r.why == cf::reason::list_key_exceeds_max);
        return false;
    }
    _stats.taken += n;
    if (first < _c.base || first >= _limit) {  // before the SA's numbering, or past its last number
        _stats.discarded += n;
        fail(r, true);
        return false;
    }
    _failing = false;
    _next = first;
    _end = std::min(first + n, _limit);
    _stats.discarded += n - (_end - _next);
    _known = std::max(_known, first + n);
    if (_c.revalidate_us > 0) {
        _known_at = now_us();
    }
    return true;
}

std::uint64_t cf_seq_source::keep() const noexcept {
    // A number may go while known - key <= window - (senders - 1) * block: between the
    // moment the counter was known and the packet, the others may take one more block
    // each and the peer's highest number is still less than key + window (docs/swsa.md).
    return _c.peer_window - std::uint64_t{_block} * (_c.senders - 1);
}

void cf_seq_source::discard_if_stale() noexcept {
    const std::uint64_t keep = this->keep();
    if (_next < _end && _known > _next && _known - _next > keep) {
        _stats.discarded += _end - _next;
        _next = _end;
    }
}

void cf_seq_source::observe(std::uint64_t list_key) noexcept {
    _known = std::max(_known, list_key);
    discard_if_stale();
}

bool cf_seq_source::refresh() noexcept {
    if (!_retired && _cf.generation() != _generation) {
        fail(cf::fail(cf::reason::structure_lost, cf::rc::environment), false);
    }
    if (_retired) {
        return false;
    }
    ++_stats.reads;
    cf::list_controls lc;
    cf::result r;
    try {
        r = _cf.read_list_controls(_c.list, lc);
    } catch (...) {
        r = cf::fail(cf::reason::bad_parameter);
    }
    if (!r) {
        fail(r, false);
        _next = _end;  // a block we cannot judge is not used
        return false;
    }
    observe(lc.list_key);
    if (_c.revalidate_us > 0) {
        _known_at = now_us();
    }
    return true;
}

bool cf_seq_source::reserve(std::uint32_t n) noexcept {
    if (_retired) {
        return false;
    }
    // Every burst starts here: what is still held was left by an earlier one, and the
    // others may have sent far past it since.
    if (held() > 0 && !refresh()) {
        return false;
    }
    _pending = std::max<std::uint32_t>(n, 1);
    if (held() > 0) {
        return true;  // used first; the rest is taken when it runs out, in one increasing run
    }
    return take(_pending);
}

bool cf_seq_source::confirm_last() noexcept {
    if (_c.revalidate_us <= 0 || _stats.used == 0 || now_us() - _known_at <= _c.revalidate_us) {
        return true;
    }
    const std::uint64_t key = _next - 1;  // the last number handed out
    ++_stats.paused;
    if (!refresh() || (_known > key && _known - key > keep())) {
        ++_stats.late;
        return false;
    }
    return true;
}

bool cf_seq_source::next(std::uint64_t& seq) noexcept {
    // A pause since the counter was learned (the sender descheduled mid-burst): the
    // others may have gone far past the held block meanwhile, so it is judged again.
    if (_next < _end && _c.revalidate_us > 0 && now_us() - _known_at > _c.revalidate_us) {
        ++_stats.paused;
        refresh();  // a failed read drops the block: the take below then says why
    }
    if (_next == _end && !take(std::max<std::uint32_t>(_pending, 1))) {
        return false;
    }
    seq = _next - _c.base + 1;
    ++_next;
    ++_stats.used;
    if (_pending > 0) {
        --_pending;
    }
    return true;
}

}  // namespace zplex::swsa
