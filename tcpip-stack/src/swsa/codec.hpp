// SPDX-License-Identifier: Apache-2.0
// The byte writer and strict reader the SWSA record and messages share (big-endian).
#pragma once

#include <zplex/sysplex/byte_order.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace zplex::swsa::detail {

template <class Bytes>
struct writer {
    Bytes& out;
    void u8(std::uint8_t v) { out.push_back(v); }
    void u16(std::uint16_t v) {
        std::uint8_t b[2];
        sysplex::put16(b, v);
        out.insert(out.end(), b, b + 2);
    }
    void u32(std::uint32_t v) {
        std::uint8_t b[4];
        sysplex::put32(b, v);
        out.insert(out.end(), b, b + 4);
    }
    void u64(std::uint64_t v) {
        std::uint8_t b[8];
        sysplex::put64(b, v);
        out.insert(out.end(), b, b + 8);
    }
    /// A name: one length byte, then the characters.
    void name(std::string_view s) {
        u8(static_cast<std::uint8_t>(s.size()));
        out.insert(out.end(), s.begin(), s.end());
    }
    void bytes(std::span<const std::uint8_t> b) {
        u16(static_cast<std::uint16_t>(b.size()));
        out.insert(out.end(), b.begin(), b.end());
    }
};

/// Reads in order; the first short read or bad value sets ok = false and the reason,
/// and every later read returns zero.
struct reader {
    explicit reader(std::span<const std::uint8_t> bytes) noexcept : in(bytes) {}
    std::span<const std::uint8_t> in;
    std::size_t pos = 0;
    bool ok = true;
    std::string why;

    bool need(std::size_t n, const char* what) {
        if (!ok) {
            return false;
        }
        if (in.size() - pos < n) {
            return bad(std::string("SHORT AT ") + what);
        }
        return true;
    }
    bool bad(std::string reason) {
        if (ok) {
            ok = false;
            why = std::move(reason) + " (OFFSET " + std::to_string(pos) + ")";
        }
        return false;
    }
    std::uint8_t u8(const char* what) { return need(1, what) ? in[pos++] : 0; }
    std::uint16_t u16(const char* what) {
        if (!need(2, what)) {
            return 0;
        }
        pos += 2;
        return sysplex::get16(in.data() + pos - 2);
    }
    std::uint32_t u32(const char* what) {
        if (!need(4, what)) {
            return 0;
        }
        pos += 4;
        return sysplex::get32(in.data() + pos - 4);
    }
    std::uint64_t u64(const char* what) {
        if (!need(8, what)) {
            return 0;
        }
        pos += 8;
        return sysplex::get64(in.data() + pos - 8);
    }
    bool flag(const char* what) {
        auto v = u8(what);
        if (v > 1) {
            bad(std::string("BAD FLAG ") + what);
        }
        return v == 1;
    }
    /// A name of at most @p max characters of A-Z 0-9 @ # $ _ - . (the z/OS set, and
    /// the policy names' punctuation); @p may_be_empty or not.
    std::string name(const char* what, std::size_t max, bool may_be_empty = false) {
        std::size_t n = u8(what);
        if (!ok) {
            return {};
        }
        if (n > max || (n == 0 && !may_be_empty)) {
            bad(std::string("BAD LENGTH OF ") + what);
            return {};
        }
        if (!need(n, what)) {
            return {};
        }
        std::string s(reinterpret_cast<const char*>(in.data() + pos), n);
        for (char c : s) {
            bool good = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '@' ||
                        c == '#' || c == '$' || c == '_' || c == '-' || c == '.';
            if (!good) {
                bad(std::string("BAD CHARACTER IN ") + what);
                return {};
            }
        }
        pos += n;
        return s;
    }
    /// Length-prefixed bytes of at most @p max.
    std::span<const std::uint8_t> bytes(const char* what, std::size_t max) {
        std::size_t n = u16(what);
        if (!ok) {
            return {};
        }
        if (n > max) {
            bad(std::string("BAD LENGTH OF ") + what);
            return {};
        }
        if (!need(n, what)) {
            return {};
        }
        pos += n;
        return in.subspan(pos - n, n);
    }
    bool end() {
        if (ok && pos != in.size()) {
            bad("TRAILING BYTES");
        }
        return ok;
    }
};

}  // namespace zplex::swsa::detail
