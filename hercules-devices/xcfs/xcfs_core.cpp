// SPDX-License-Identifier: Apache-2.0
// XCFS: an XCF signalling path. The guest joins the sysplex as system SYSNAME (the
// couple dataset of zplex_xcf) and as a member of a group; its status update CCW
// (x'17', or request STATUS) is the system's heartbeat. No thread beats for it: when
// the image's CPU stops, its status stops, and the other systems partition it.
//
//   0E10 XCFS SYSPLEX=ZPLEX1 SYSNAME=MVS1 KEYFILE=/path/SYS1.XCF.KEY [INTERVAL=300]
#include "device.hpp"

#include <zplex/xcf/xcf.hpp>

#include <deque>
#include <fstream>
#include <sstream>

namespace zplex::hdt {
namespace {

enum xcfs_function : std::uint8_t {
    fn_join = 0x01,
    fn_status = 0x02,
    fn_send = 0x03,
    fn_receive = 0x04,
    fn_events = 0x05,
    fn_leave = 0x06,
};

constexpr std::size_t event_size = 48;
constexpr std::size_t max_events = 256;
constexpr std::uint32_t max_wait_ms = 1000;

void put_text(std::uint8_t* p, const std::string& s, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        p[i] = i < s.size() ? static_cast<std::uint8_t>(s[i]) : ' ';
    }
}

class xcfs_device final : public device {
public:
    xcfs_device(std::uint16_t devnum, zpx_log_fn log, std::map<std::string, std::string> kw) : device(devnum, log) {
        _options.sysplex = kw["SYSPLEX"];
        _sysname = kw["SYSNAME"];
        if (!xcf::valid_sysplex_name(_options.sysplex)) {
            throw std::invalid_argument("SYSPLEX= (1-16 of A-Z a-z 0-9 @ # $ _ -) is required");
        }
        if (!xcf::valid_system_name(_sysname)) {
            throw std::invalid_argument("SYSNAME= (1-8 of A-Z a-z 0-9 @ # $) is required");
        }
        if (kw.count("INTERVAL")) {
            long ms = 0;
            try {
                ms = std::stol(kw["INTERVAL"]);
            } catch (const std::exception&) {
                ms = -1;
            }
            if (ms < 10 || ms > 600'000) {
                throw std::invalid_argument("INTERVAL= must be 10-600000 milliseconds");
            }
            _options.interval = std::chrono::milliseconds(ms);
        }
        std::ifstream in(kw["KEYFILE"]);
        std::stringstream text;
        text << in.rdbuf();
        if (kw["KEYFILE"].empty() || !in || !xcf::parse_key(text.str(), _options.key)) {
            throw std::invalid_argument("KEYFILE= must name a file of 64 hex digits (the sysplex key)");
        }
        say("ZPX0720I", "XCF SIGNALLING PATH FOR " + _sysname + " IN SYSPLEX " + _options.sysplex + " ONLINE");
    }

    /// Detach (or shutdown): the system leaves the sysplex normally, as for
    /// V XCF,sys,OFFLINE: its members leave, nobody partitions it.
    ~xcfs_device() override {
        bool joined = _system && !_system->fenced();
        _member.reset();
        _system.reset();
        if (joined) {
            say("ZPX0725I", _sysname + " LEFT THE SYSPLEX");
        }
    }

    std::string query() const override {
        std::ostringstream o;
        o << "SYSNAME=" << _sysname << " " << (_system ? (_system->fenced() ? "PARTITIONED" : "ACTIVE") : "NOT-JOINED")
          << " MEMBER=" << (_member ? _group + "." + _member->name() : "*NONE*") << " STATUS=" << _heartbeats
          << " SENT=" << _sent << " RCVD=" << _received;
        return o.str();
    }

protected:
    bool control(std::uint8_t code) override {
        if (code != ccw_status_update) {
            return false;
        }
        status_update();
        return true;
    }

    void handle(const request& req, response& out) override {
        switch (req.function) {
        case fn_join: join(req, out); return;
        case fn_status:
            status_update();
            out.value1 = _heartbeats;
            out.set_name(_sysname);
            return;
        case fn_leave:
            if (_member) {
                put(out, _member->leave());
                _member.reset();
            }
            _system.reset();
            say("ZPX0725I", _sysname + " LEFT THE SYSPLEX");
            return;
        default: break;
        }
        if (req.function < fn_send || req.function > fn_events) {
            throw unit_check(s0_cmdrej, s1_bad_function, "request function " + std::to_string(req.function) + " unknown");
        }
        if (!_member) {
            put(out, xcf::result{xcf::rc::error, xcf::reason::not_joined});
            return;
        }
        switch (req.function) {
        case fn_send: {
            auto r = _member->send(req.name2, req.data);
            put(out, r);
            _sent += r ? 1 : 0;
            return;
        }
        case fn_receive: {
            std::vector<std::uint8_t> msg;
            std::string from;
            auto wait = std::chrono::milliseconds(std::min(req.arg1, max_wait_ms));
            auto r = _member->receive(msg, from, wait);
            put(out, r);
            if (r) {
                ++_received;
                out.set_name(from);
                if (msg.size() > 0xFFFF - response_header) {
                    msg.resize(0xFFFF - response_header);  // a CCW moves at most 64 KiB
                    out.rc = static_cast<std::uint8_t>(xcf::rc::warning);
                    out.reason = static_cast<std::uint16_t>(xcf::reason::message_too_long);
                }
                out.data = std::move(msg);
            }
            return;
        }
        case fn_events: {
            collect_events();
            std::size_t n = std::min<std::size_t>(_events.size(), req.arg1 ? req.arg1 : max_events);
            out.value1 = n;
            out.data.resize(n * event_size);
            for (std::size_t i = 0; i < n; ++i) {
                auto& e = _events.front();
                std::uint8_t* p = out.data.data() + i * event_size;
                p[0] = static_cast<std::uint8_t>(static_cast<int>(e.what) + 1);
                put_text(p + 8, e.group, 8);
                put_text(p + 16, e.member, 16);
                put_text(p + 32, e.system, 8);
                _events.pop_front();
            }
            return;
        }
        default: return;
        }
    }

private:
    static void put(response& out, xcf::result r) {
        out.rc = static_cast<std::uint8_t>(r.code);
        out.reason = static_cast<std::uint16_t>(r.why);
    }

    void join(const request& req, response& out) {
        if (req.name1.empty() || req.name1.size() > 8) {
            throw unit_check(s0_cmdrej, s1_bad_field, "JOIN needs a group name of 1-8 characters");
        }
        _member.reset();
        if (_system && _system->fenced()) {
            _system.reset();  // re-IPL after being partitioned: the system joins afresh
        }
        if (!_system) {
            auto r = xcf::system::join(_options, _sysname, _system);
            if (!r) {
                put(out, r);
                say("ZPX0721E", _sysname + " COULD NOT JOIN SYSPLEX " + _options.sysplex + ": " + xcf::to_string(r));
                return;
            }
            say("ZPX0722I", _sysname + " JOINED SYSPLEX " + _options.sysplex);
        }
        _group = req.name1;
        std::string name = req.name2.empty() ? _sysname : req.name2;
        auto r = xcf::member::join(*_system, _group, name, req.arg2, _member);
        put(out, r);
        out.set_name(_sysname);
        if (r) {
            say("ZPX0723I", "MEMBER " + name + " JOINED GROUP " + _group);
        } else {
            _member.reset();
            say("ZPX0721E", "MEMBER " + name + " COULD NOT JOIN GROUP " + _group + ": " + xcf::to_string(r));
        }
    }

    /// The heartbeat: our status in the couple dataset, failure detection of the others.
    void status_update() {
        if (!_system) {
            throw unit_check(s0_cmdrej, s1_not_joined, "status update before JOIN");
        }
        _system->tick();
        ++_heartbeats;
        for (auto& m : _system->take_messages()) {
            say("ZPX0726I", m);
        }
        collect_events();
        if (_system->fenced()) {
            throw unit_check(s0_intreq, s1_partitioned, _sysname + " WAS PARTITIONED OUT OF THE SYSPLEX");
        }
    }

    /// The group exit: every event is logged and kept for an EVENTS request.
    void collect_events() {
        if (!_member) {
            return;
        }
        for (auto& e : _member->events()) {
            static const char* const kinds[] = {"JOINED", "LEFT", "FAILED"};
            say("ZPX0724I", "GROUP EXIT " + e.group + ": MEMBER " + e.member + " ON " + e.system + " " +
                                kinds[static_cast<int>(e.what)]);
            if (_events.size() == max_events) {
                _events.pop_front();
            }
            _events.push_back(std::move(e));
        }
    }

    xcf::sysplex_options _options;
    std::string _sysname;
    std::string _group;
    std::unique_ptr<xcf::system> _system;
    std::unique_ptr<xcf::member> _member;
    std::deque<xcf::group_event> _events;
    std::uint64_t _heartbeats = 0;
    std::uint64_t _sent = 0;
    std::uint64_t _received = 0;
};

}  // namespace

std::uint16_t device_type() { return 0xCF20; }

std::unique_ptr<device> make_device(std::uint16_t devnum, int argc, char** argv, zpx_log_fn log) {
    auto kw = parse_keywords(argc, argv, {"SYSPLEX", "SYSNAME", "KEYFILE", "INTERVAL"});
    return std::make_unique<xcfs_device>(devnum, log, std::move(kw));
}

}  // namespace zplex::hdt
