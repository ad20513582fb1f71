// SPDX-License-Identifier: Apache-2.0
// CFL: a coupling facility link. The guest writes a request block (CONNECT to a list
// structure, LISTKEYINC, read/write/delete a list entry, read list controls) and reads
// the response, with the return and reason codes the zplex_cf connector gives a host
// program (IXLCONN/IXLLSTE semantics).
//
//   0E00 CFL SYSPLEX=ZPLEX1 CF=CF01,CF02 [STR=EZBDVIPA] [CONNAME=MVS1CFL]
//
// SYSPLEX= names the shared-memory namespace of the sysplex's CFs; CF= is the
// structure's PREFLIST; STR= and CONNAME= are defaults for a CONNECT that leaves them blank.
#include "device.hpp"

#include <zplex/cf/connector.hpp>

#include <sstream>

namespace zplex::hdt {
namespace {

enum cfl_function : std::uint8_t {
    fn_connect = 0x01,
    fn_disconnect = 0x02,
    fn_listkeyinc = 0x03,
    fn_read = 0x04,
    fn_write = 0x05,
    fn_read_lcontrols = 0x06,
    fn_delete = 0x07,
};

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    std::istringstream in(s);
    while (std::getline(in, cur, sep)) {
        if (!cur.empty()) {
            out.push_back(cur);
        }
    }
    return out;
}

class cfl_device final : public device {
public:
    cfl_device(std::uint16_t devnum, zpx_log_fn log, std::map<std::string, std::string> kw) : device(devnum, log) {
        _sysplex = kw["SYSPLEX"];
        _cfs = split(kw.count("CF") ? kw["CF"] : "CF01", ',');
        _structure = kw["STR"];
        _conname = kw["CONNAME"];
        if (_sysplex.empty() || _sysplex.size() > 32) {
            throw std::invalid_argument("SYSPLEX= (1-32 characters) is required");
        }
        if (_cfs.empty()) {
            throw std::invalid_argument("CF= names no coupling facility");
        }
        if (_conname.empty()) {
            _conname = "CFL" + devnum_text();
        }
        say("ZPX0710I", "CF LINK TO " + kw["CF"] + " IN SYSPLEX " + _sysplex + " ONLINE");
    }

    ~cfl_device() override {
        if (_conn) {
            _conn->disconnect();
        }
    }

    std::string query() const override {
        std::ostringstream o;
        o << "SYSPLEX=" << _sysplex << " STR=" << (_conn ? _connected_structure : "*NONE*") << " CONN=" << _conname
          << " REQ=" << _requests << " KEYS=" << _keys;
        return o.str();
    }

protected:
    void handle(const request& req, response& out) override {
        switch (req.function) {
        case fn_connect: connect(req, out); return;
        case fn_disconnect:
            if (_conn) {
                put(out, _conn->disconnect());
                _conn.reset();
            } else {
                put(out, cf::fail(cf::reason::bad_connect_token));
            }
            return;
        default: break;
        }
        if (req.function < fn_listkeyinc || req.function > fn_delete) {
            throw unit_check(s0_cmdrej, s1_bad_function, "request function " + std::to_string(req.function) + " unknown");
        }
        if (!_conn) {
            put(out, cf::fail(cf::reason::bad_connect_token));
            return;
        }
        switch (req.function) {
        case fn_listkeyinc: {
            std::uint64_t first = 0;
            auto r = _conn->take_list_keys(req.arg1, req.arg2, first);
            put(out, r);
            if (r) {
                out.value1 = first;
                out.set_value2(req.arg2);
                _keys += req.arg2;
            }
            return;
        }
        case fn_read: {
            cf::entry e;
            auto where = req.name2.empty() ? cf::locator::head(req.arg1) : cf::locator::by_name(req.name2);
            auto r = _conn->read(where, e);
            put(out, r);
            if (r) {
                out.value1 = e.entry_id;
                out.set_value2(e.version);
                out.data = std::move(e.data);
            }
            return;
        }
        case fn_write: {
            cf::write_request w;
            w.list = req.arg1;
            w.name = req.name2;
            w.type = (req.flags & 0x80) ? cf::entry_type::new_entry : cf::entry_type::any;
            if (!req.name2.empty()) {
                w.where = cf::locator::by_name(req.name2);
            } else {
                w.type = cf::entry_type::new_entry;  // no name: never replace some other entry
            }
            w.key = cf::entry_key::of(req.arg2);
            w.data = req.data;
            cf::answer a;
            auto r = _conn->write(w, &a);
            put(out, r);
            if (r) {
                out.value1 = a.entry_id;
                out.set_value2(a.version);
            }
            return;
        }
        case fn_read_lcontrols: {
            cf::list_controls lc;
            auto r = _conn->read_list_controls(req.arg1, lc);
            put(out, r);
            if (r) {
                out.value1 = lc.list_key;
                out.set_value2(lc.max_list_key);
                out.data.resize(8);
                put32(out.data.data(), lc.count);
                put32(out.data.data() + 4, lc.limit);
            }
            return;
        }
        case fn_delete: {
            if (req.name2.empty()) {
                throw unit_check(s0_cmdrej, s1_bad_field, "DELETE needs an entry name");
            }
            put(out, _conn->remove(cf::locator::by_name(req.name2)));
            return;
        }
        default: return;
        }
    }

private:
    static void put(response& out, cf::result r) {
        out.rc = static_cast<std::uint8_t>(r.code);
        out.reason = static_cast<std::uint16_t>(r.why);
    }

    void connect(const request& req, response& out) {
        std::string str = req.name1.empty() ? _structure : req.name1;
        if (!req.name2.empty()) {
            _conname = req.name2;
        }
        if (str.empty()) {
            throw unit_check(s0_cmdrej, s1_bad_field, "CONNECT names no structure (and STR= gave none)");
        }
        if (_conn) {
            _conn->disconnect();
            _conn.reset();
        }
        cf::connect_options o{_sysplex, str, _conname, _cfs};
        auto r = cf::connector::connect(o, _conn);
        put(out, r);
        if (r) {
            _connected_structure = str;
            out.value1 = _conn->connection_id();
            out.set_name(_conn->current_cf());
            say("ZPX0711I", "CONNECTED TO STRUCTURE " + str + " AS " + _conname + " IN " + _conn->current_cf());
        } else {
            _conn.reset();
            say("ZPX0712W", "CONNECT TO STRUCTURE " + str + " AS " + _conname + " FAILED: " + cf::to_string(r));
        }
    }

    std::string _sysplex;
    std::vector<std::string> _cfs;
    std::string _structure;
    std::string _conname;
    std::string _connected_structure;
    std::unique_ptr<cf::connector> _conn;
    std::uint64_t _keys = 0;
};

}  // namespace

std::uint16_t device_type() { return 0xCF10; }

std::unique_ptr<device> make_device(std::uint16_t devnum, int argc, char** argv, zpx_log_fn log) {
    auto kw = parse_keywords(argc, argv, {"SYSPLEX", "CF", "STR", "CONNAME"});
    return std::make_unique<cfl_device>(devnum, log, std::move(kw));
}

}  // namespace zplex::hdt
