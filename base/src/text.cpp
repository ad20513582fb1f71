// SPDX-License-Identifier: Apache-2.0
#include <zplex/sysplex/text.hpp>

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <algorithm>

namespace zplex::sysplex {

namespace {

char fold(char c) noexcept { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

std::string upper(std::string_view s) {
    std::string r(s);
    std::transform(r.begin(), r.end(), r.begin(), fold);
    return r;
}

std::string lower(std::string_view s) {
    std::string r(s);
    std::transform(r.begin(), r.end(), r.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    return r;
}

bool iequal(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return fold(x) == fold(y); });
}

std::string hex32(std::uint32_t v, bool lower) { return lower ? fmt::format("0x{:08x}", v) : fmt::format("0x{:08X}", v); }

std::string hex64(std::uint64_t v, bool lower) { return lower ? fmt::format("0x{:016x}", v) : fmt::format("0x{:016X}", v); }

std::string hex(std::span<const std::uint8_t> bytes) {
    std::string r;
    r.reserve(bytes.size() * 2);
    for (auto b : bytes) {
        fmt::format_to(std::back_inserter(r), "{:02x}", b);
    }
    return r;
}

bool unhex(std::string_view text, std::vector<std::uint8_t>& out, bool allow_space) {
    out.clear();
    out.reserve(text.size() / 2);  // no reallocation: no stray copies of key material
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text.remove_prefix(2);
    }
    int high = -1;
    for (char c : text) {
        if (allow_space && space(c)) {
            continue;
        }
        int v = OPENSSL_hexchar2int(static_cast<unsigned char>(c));
        if (v < 0) {
            OPENSSL_cleanse(out.data(), out.size());
            out.clear();
            return false;
        }
        if (high < 0) {
            high = v;
        } else {
            out.push_back(static_cast<std::uint8_t>(high << 4 | v));
            high = -1;
        }
    }
    if (high >= 0 || out.empty()) {
        OPENSSL_cleanse(out.data(), out.size());
        out.clear();
        return false;
    }
    return true;
}

bool unhex_exact(std::string_view text, std::span<std::uint8_t> out, bool allow_space) {
    std::vector<std::uint8_t> bytes;
    bytes.reserve(out.size());
    bool ok = unhex(text, bytes, allow_space) && bytes.size() == out.size();
    if (ok) {
        std::copy(bytes.begin(), bytes.end(), out.begin());
    } else {
        OPENSSL_cleanse(out.data(), out.size());
    }
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return ok;
}

}  // namespace zplex::sysplex
