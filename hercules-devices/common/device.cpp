// SPDX-License-Identifier: Apache-2.0
// The common CCW set, block codecs and the hdt_core.h entry points.
#include "device.hpp"

#include <zplex/sysplex/text.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace zplex::hdt {

namespace {

/// EBCDIC (code page 037) to ASCII for the characters a name may hold; 0 otherwise.
char from_ebcdic(std::uint8_t b) {
    if (b >= 0xC1 && b <= 0xC9) return static_cast<char>('A' + (b - 0xC1));
    if (b >= 0xD1 && b <= 0xD9) return static_cast<char>('J' + (b - 0xD1));
    if (b >= 0xE2 && b <= 0xE9) return static_cast<char>('S' + (b - 0xE2));
    if (b >= 0x81 && b <= 0x89) return static_cast<char>('A' + (b - 0x81));
    if (b >= 0x91 && b <= 0x99) return static_cast<char>('J' + (b - 0x91));
    if (b >= 0xA2 && b <= 0xA9) return static_cast<char>('S' + (b - 0xA2));
    if (b >= 0xF0 && b <= 0xF9) return static_cast<char>('0' + (b - 0xF0));
    switch (b) {
    case 0x7C: return '@';
    case 0x7B: return '#';
    case 0x5B: return '$';
    case 0x4B: return '.';
    case 0x6D: return '_';
    case 0x60: return '-';
    default: return 0;
    }
}

bool name_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '@' || c == '#' || c == '$' || c == '.' ||
           c == '_' || c == '-';
}

}  // namespace

std::string decode_name(std::span<const std::uint8_t> field) {
    bool ebcdic = std::any_of(field.begin(), field.end(), [](std::uint8_t b) { return b >= 0x80; });
    std::size_t end = field.size();
    auto pad = [&](std::uint8_t b) { return b == 0 || (ebcdic ? b == 0x40 : b == 0x20); };
    while (end > 0 && pad(field[end - 1])) {
        --end;
    }
    std::string out;
    for (std::size_t i = 0; i < end; ++i) {
        char c = 0;
        if (ebcdic) {
            c = from_ebcdic(field[i]);
        } else {
            c = static_cast<char>(field[i]);
            if (c >= 'a' && c <= 'z') {
                c = static_cast<char>(c - 'a' + 'A');
            }
        }
        if (!name_char(c)) {
            throw unit_check(s0_cmdrej, s1_bad_field, "name field holds a character that is not valid in a name");
        }
        out.push_back(c);
    }
    return out;
}

request request::parse(std::span<const std::uint8_t> block) {
    if (block.size() < request_header) {
        throw unit_check(s0_cmdrej, s1_short_request,
                         "request block of " + std::to_string(block.size()) + " bytes, at least 48 needed");
    }
    request r;
    const std::uint8_t* p = block.data();
    r.function = p[0];
    r.flags = p[1];
    std::uint16_t len = get16(p + 2);
    r.arg1 = get32(p + 4);
    r.arg2 = get64(p + 8);
    r.name1 = decode_name(block.subspan(16, 16));
    r.name2 = decode_name(block.subspan(32, 16));
    if (request_header + len > block.size()) {
        throw unit_check(s0_cmdrej, s1_bad_field,
                         "data length " + std::to_string(len) + " runs past the " + std::to_string(block.size()) +
                             "-byte block");
    }
    r.data = block.subspan(request_header, len);
    return r;
}

void response::set_value2(std::uint64_t v) { put64(field.data(), v); }

void response::set_name(const std::string& n) {
    field.fill(' ');
    std::memcpy(field.data(), n.data(), std::min(n.size(), field.size()));
}

std::vector<std::uint8_t> response::encode() const {
    std::vector<std::uint8_t> out(response_header + data.size());
    out[0] = function;
    out[1] = rc;
    put16(&out[2], reason);
    put32(&out[4], static_cast<std::uint32_t>(data.size()));
    put64(&out[8], value1);
    std::memcpy(&out[16], field.data(), field.size());
    std::copy(data.begin(), data.end(), out.begin() + response_header);
    return out;
}

std::map<std::string, std::string> parse_keywords(int argc, char** argv, const std::vector<std::string>& allowed) {
    std::map<std::string, std::string> out;
    for (int i = 0; i < argc; ++i) {
        std::string a = argv[i] ? argv[i] : "";
        auto eq = a.find('=');
        if (eq == std::string::npos || eq == 0) {
            throw std::invalid_argument("operand " + a + " is not KEYWORD=value");
        }
        std::string k = zplex::sysplex::upper(a.substr(0, eq));
        if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
            throw std::invalid_argument("keyword " + k + " is not known");
        }
        out[k] = a.substr(eq + 1);
    }
    return out;
}

std::string device::devnum_text() const {
    return fmt::format("{:04X}", _devnum);
}

void device::say(const std::string& id, const std::string& text) const {
    if (_log) {
        std::string line = id + " " + devnum_text() + " " + text;
        _log(line.c_str());
    }
}

void device::set_sense(std::uint8_t s0, std::uint8_t s1, std::uint8_t code) {
    _sense.fill(0);
    _sense[0] = s0;
    _sense[1] = s1;
    _sense[2] = code;
    _sense[3] = _last_function;
}

void device::exec(zpx_ccw& ccw) noexcept {
    std::uint8_t ok_status = us_ce | us_de;
    ccw.unitstat = ok_status;
    ccw.residual = 0;
    ccw.more = 0;
    try {
        switch (ccw.code) {
        case ccw_write: {
            _have_response = false;
            _last_function = ccw.count > 0 ? ccw.iobuf[0] : 0;
            auto req = request::parse({ccw.iobuf, ccw.count});
            response out;
            out.function = req.function;
            ++_requests;
            handle(req, out);
            _response = out.encode();
            _have_response = true;
            return;
        }
        case ccw_read: {
            if (!_have_response) {
                throw unit_check(s0_cmdrej, s1_no_response, "READ with no request to answer");
            }
            std::size_t n = std::min<std::size_t>(ccw.count, _response.size());
            std::memcpy(ccw.iobuf, _response.data(), n);
            ccw.residual = static_cast<std::uint16_t>(ccw.count - n);
            ccw.more = _response.size() > ccw.count ? 1 : 0;
            return;
        }
        case ccw_nop:
            return;
        case ccw_sense: {
            std::size_t n = std::min<std::size_t>(ccw.count, _sense.size());
            std::memcpy(ccw.iobuf, _sense.data(), n);
            ccw.residual = static_cast<std::uint16_t>(ccw.count - n);
            ccw.more = _sense.size() > ccw.count ? 1 : 0;
            _sense.fill(0);
            return;
        }
        case ccw_sense_id: {
            std::uint16_t t = device_type();
            std::uint8_t id[7] = {0xFF, static_cast<std::uint8_t>(t >> 8), static_cast<std::uint8_t>(t), 0x01,
                                  static_cast<std::uint8_t>(t >> 8), static_cast<std::uint8_t>(t), 0x01};
            std::size_t n = std::min<std::size_t>(ccw.count, sizeof id);
            std::memcpy(ccw.iobuf, id, n);
            ccw.residual = static_cast<std::uint16_t>(ccw.count - n);
            ccw.more = sizeof id > ccw.count ? 1 : 0;
            return;
        }
        default:
            if (!control(ccw.code)) {
                throw unit_check(s0_cmdrej, s1_bad_command,
                                 fmt::format("command code {:02X} is not supported", ccw.code));
            }
            return;
        }
    } catch (const unit_check& e) {
        set_sense(e.byte0, e.byte1, ccw.code);
        say("ZPX0790W", fmt::format("UNIT CHECK, SENSE {:02X}{:02X} {}", e.byte0, e.byte1, e.what()));
    } catch (const std::exception& e) {
        set_sense(s0_eqcheck, s1_internal, ccw.code);
        say("ZPX0791E", std::string("DEVICE CORE FAILED: ") + e.what());
    } catch (...) {
        set_sense(s0_eqcheck, s1_internal, ccw.code);
        say("ZPX0791E", "DEVICE CORE FAILED");
    }
    _have_response = false;
    ccw.unitstat = us_ce | us_de | us_uc;
}

}  // namespace zplex::hdt

// ============================================================== hdt_core.h

using zplex::hdt::device;

extern "C" {

__attribute__((visibility("default"))) unsigned short zpx_core_devtype(void) {
    return zplex::hdt::device_type();
}

__attribute__((visibility("default"))) zpx_core* zpx_core_open(unsigned short devnum, int argc, char** argv,
                                                                zpx_log_fn log) {
    try {
        auto d = zplex::hdt::make_device(devnum, argc, argv, log);
        return reinterpret_cast<zpx_core*>(d.release());
    } catch (const std::exception& e) {
        if (log) {
            std::string line = fmt::format("ZPX0700E {:04X} DEVICE STATEMENT REJECTED: {}", devnum, e.what());
            log(line.c_str());
        }
    } catch (...) {
    }
    return nullptr;
}

__attribute__((visibility("default"))) void zpx_core_exec(zpx_core* core, zpx_ccw* ccw) {
    if (core == nullptr || ccw == nullptr) {
        if (ccw) {
            ccw->unitstat = zplex::hdt::us_ce | zplex::hdt::us_de | zplex::hdt::us_uc;
        }
        return;
    }
    reinterpret_cast<device*>(core)->exec(*ccw);
}

__attribute__((visibility("default"))) void zpx_core_query(zpx_core* core, char* buf, std::size_t len) {
    if (!core || !buf || len == 0) {
        return;
    }
    try {
        auto s = reinterpret_cast<device*>(core)->query();
        auto r = fmt::format_to_n(buf, len - 1, "{}", s);
        *r.out = 0;
    } catch (...) {
        buf[0] = 0;
    }
}

__attribute__((visibility("default"))) void zpx_core_close(zpx_core* core) {
    try {
        delete reinterpret_cast<device*>(core);
    } catch (...) {
    }
}

}  // extern "C"
