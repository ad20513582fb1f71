// SPDX-License-Identifier: Apache-2.0
// Drive a device core through hdt_core.h the way the Hercules shim does.
#pragma once

#include "device.hpp"
#include "hdt_core.h"

#include <cstring>
#include <string>
#include <vector>

namespace zplex::test {

inline std::vector<std::string>& core_log() {
    static std::vector<std::string> lines;
    return lines;
}

struct ccw_result {
    unsigned char unitstat = 0;
    unsigned short residual = 0;
    std::vector<std::uint8_t> data;  ///< what a READ-type CCW returned
};

class ccw_driver {
public:
    explicit ccw_driver(std::vector<std::string> args, unsigned short devnum = 0x0E00) {
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        core = zpx_core_open(devnum, static_cast<int>(argv.size()), argv.data(),
                             [](const char* l) { core_log().emplace_back(l); });
    }
    ~ccw_driver() {
        if (core) zpx_core_close(core);
    }
    ccw_driver(const ccw_driver&) = delete;
    ccw_driver& operator=(const ccw_driver&) = delete;

    ccw_result exec(std::uint8_t code, const std::vector<std::uint8_t>& out, std::uint16_t count) {
        std::vector<std::uint8_t> buf(65536);
        if (!out.empty()) {
            std::memcpy(buf.data(), out.data(), out.size());
        }
        zpx_ccw c{};
        c.code = code;
        c.count = count;
        c.iobuf = buf.data();
        zpx_core_exec(core, &c);
        ccw_result r{c.unitstat, c.residual, {}};
        r.data.assign(buf.begin(), buf.begin() + (count - c.residual));
        return r;
    }
    ccw_result write(const std::vector<std::uint8_t>& block) {
        return exec(hdt::ccw_write, block, static_cast<std::uint16_t>(block.size()));
    }
    ccw_result read(std::uint16_t count = 4096) { return exec(hdt::ccw_read, {}, count); }
    ccw_result sense() { return exec(hdt::ccw_sense, {}, 8); }

    /// WRITE then READ: the response block.
    std::vector<std::uint8_t> request(const std::vector<std::uint8_t>& block) {
        auto w = write(block);
        if (w.unitstat != (hdt::us_ce | hdt::us_de)) return {};
        return read().data;
    }

    zpx_core* core = nullptr;
};

/// A 48-byte request header (+ data), names in ASCII.
inline std::vector<std::uint8_t> block(std::uint8_t fn, std::uint32_t arg1, std::uint64_t arg2, const std::string& n1,
                                       const std::string& n2, const std::vector<std::uint8_t>& data = {}) {
    std::vector<std::uint8_t> b(48 + data.size(), 0);
    b[0] = fn;
    hdt::put16(&b[2], static_cast<std::uint16_t>(data.size()));
    hdt::put32(&b[4], arg1);
    hdt::put64(&b[8], arg2);
    std::memcpy(&b[16], n1.data(), n1.size());
    std::memcpy(&b[32], n2.data(), n2.size());
    if (!data.empty()) {
        std::memcpy(&b[48], data.data(), data.size());
    }
    return b;
}

inline std::uint8_t rc_of(const std::vector<std::uint8_t>& resp) { return resp.size() >= 32 ? resp[1] : 0xFF; }
inline std::uint16_t reason_of(const std::vector<std::uint8_t>& resp) {
    return resp.size() >= 32 ? hdt::get16(&resp[2]) : 0xFFFF;
}
inline std::uint64_t value1_of(const std::vector<std::uint8_t>& resp) {
    return resp.size() >= 32 ? hdt::get64(&resp[8]) : ~0ull;
}

}  // namespace zplex::test
