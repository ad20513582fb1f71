// SPDX-License-Identifier: Apache-2.0
// The C++ half every zplex device module shares: the CCW set common to all of them
// (WRITE a request block, READ its response, NOP, SENSE, SENSE ID), request and
// response block helpers, sense bytes, and device statement keywords.
// A module supplies make_device() and device_type(); device.cpp turns them into the
// hdt_core.h C functions the shim calls. See docs/hercules-devices.md.
#pragma once

#include "hdt_core.h"

#include <zplex/sysplex/byte_order.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace zplex::hdt {

/// CCW command codes every zplex device accepts.
enum ccw_command : std::uint8_t {
    ccw_write = 0x01,          ///< request block in
    ccw_read = 0x02,           ///< response block out
    ccw_nop = 0x03,            ///< control, no operation
    ccw_sense = 0x04,          ///< the 8 sense bytes
    ccw_status_update = 0x17,  ///< XCFS: the heartbeat (control)
    ccw_sense_id = 0xE4,       ///< FF, CU type/model, device type/model
};

/// CSW unit status bits.
enum unit_status : std::uint8_t { us_ce = 0x08, us_de = 0x04, us_uc = 0x02, us_ux = 0x01 };

/// Sense byte 0 (standard) and byte 1 (zplex detail).
enum sense0 : std::uint8_t { s0_cmdrej = 0x80, s0_intreq = 0x40, s0_eqcheck = 0x10, s0_datacheck = 0x08 };
enum sense1 : std::uint8_t {
    s1_short_request = 0x01,   ///< WRITE shorter than the 48-byte request header
    s1_bad_command = 0x02,     ///< CCW command code not supported
    s1_no_response = 0x03,     ///< READ without a request before it
    s1_bad_function = 0x04,    ///< unknown request function
    s1_bad_field = 0x05,       ///< name not valid, data length past the block
    s1_partitioned = 0x20,     ///< XCFS: this system was partitioned out of the sysplex
    s1_not_joined = 0x21,      ///< XCFS: status update before JOIN
    s1_internal = 0xFF,        ///< the device core failed (an exception); see the log
};

inline constexpr std::size_t request_header = 48;
inline constexpr std::size_t response_header = 32;

/// Thrown by a request handler: the CCW ends with unit check and these sense bytes.
struct unit_check : std::runtime_error {
    unit_check(std::uint8_t s0, std::uint8_t s1, const std::string& what)
        : std::runtime_error(what), byte0(s0), byte1(s1) {}
    std::uint8_t byte0;
    std::uint8_t byte1;
};

/// A request block as the guest wrote it (big-endian, see the docs).
struct request {
    std::uint8_t function = 0;
    std::uint8_t flags = 0;
    std::uint32_t arg1 = 0;                  ///< +4  list number, wait time
    std::uint64_t arg2 = 0;                  ///< +8  count, user state
    std::string name1;                       ///< +16 structure, group
    std::string name2;                       ///< +32 connector, entry, member
    std::span<const std::uint8_t> data;      ///< +48, length from +2

    /// Parse @p block; throws unit_check for a short block or a bad length.
    static request parse(std::span<const std::uint8_t> block);
};

/// A response block under construction.
struct response {
    std::uint8_t function = 0;
    std::uint8_t rc = 0;
    std::uint16_t reason = 0;
    std::uint64_t value1 = 0;                ///< +8
    std::array<std::uint8_t, 16> field{};    ///< +16 second value or a name
    std::vector<std::uint8_t> data;          ///< +32, length at +4

    void set_value2(std::uint64_t v);
    void set_name(const std::string& n);
    std::vector<std::uint8_t> encode() const;
};

/// A name field: EBCDIC or ASCII, padded with blanks or NULs, trimmed, upper case.
/// Throws unit_check (s1_bad_field) if it holds a byte that is not a name character.
std::string decode_name(std::span<const std::uint8_t> field);

using sysplex::get16;
using sysplex::get32;
using sysplex::get64;
using sysplex::put16;
using sysplex::put32;
using sysplex::put64;

/// Device statement arguments `KEYWORD=value`; throws std::invalid_argument with the
/// message to log for a positional or unknown one.
std::map<std::string, std::string> parse_keywords(int argc, char** argv, const std::vector<std::string>& allowed);

/// One device: the common CCW set; a subclass answers requests.
class device {
public:
    device(std::uint16_t devnum, zpx_log_fn log) : _devnum(devnum), _log(log) {}
    virtual ~device() = default;
    device(const device&) = delete;
    device& operator=(const device&) = delete;

    /// Execute one CCW; never throws.
    void exec(zpx_ccw& ccw) noexcept;
    /// devlist text.
    virtual std::string query() const = 0;

protected:
    /// Answer a request block (WRITE); fill @p out. Throw unit_check for a block the
    /// device cannot accept; return codes of the service itself go into @p out.
    virtual void handle(const request& req, response& out) = 0;
    /// A command code beyond the common set; false: command reject.
    virtual bool control(std::uint8_t code) { (void)code; return false; }

    /// `ZPX07nnX 0E00 text` to the Hercules log.
    void say(const std::string& id, const std::string& text) const;
    std::string devnum_text() const;

    std::uint64_t _requests = 0;

private:
    void set_sense(std::uint8_t s0, std::uint8_t s1, std::uint8_t code);

    std::uint16_t _devnum;
    zpx_log_fn _log;
    std::array<std::uint8_t, 8> _sense{};
    std::vector<std::uint8_t> _response;
    bool _have_response = false;
    std::uint8_t _last_function = 0;
};

/// Supplied by each module.
std::unique_ptr<device> make_device(std::uint16_t devnum, int argc, char** argv, zpx_log_fn log);
std::uint16_t device_type();

}  // namespace zplex::hdt
