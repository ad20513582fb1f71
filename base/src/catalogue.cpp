// SPDX-License-Identifier: Apache-2.0
// SYSPLEX.xml reader with a schema check: every rule broken names file, line and why.
#include <zplex/sysplex/catalogue.hpp>
#include <zplex/sysplex/text.hpp>

#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace zplex::sysplex {

namespace {

/// Line numbers from pugixml byte offsets.
class line_map {
public:
    explicit line_map(std::string_view text) {
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '\n') {
                _starts.push_back(i + 1);
            }
        }
    }
    int line_of(std::ptrdiff_t offset) const {
        if (offset < 0) {
            return 0;
        }
        auto it = std::upper_bound(_starts.begin(), _starts.end(), static_cast<std::size_t>(offset));
        return static_cast<int>(it - _starts.begin()) + 1;
    }

private:
    std::vector<std::size_t> _starts;
};

/// Walks the document, checking the schema as it reads.
class reader {
public:
    reader(std::string_view text, std::string file) : _lines(text), _file(std::move(file)) {}

    [[noreturn]] void fail(const pugi::xml_node& n, const std::string& why) const {
        int line = _lines.line_of(n.offset_debug());
        throw catalogue_error(_file, line,
                              "ZPX0201E " + _file + " LINE " + std::to_string(line) + ": " + why);
    }

    /// Only the listed attributes; the required ones present.
    void check_attributes(const pugi::xml_node& n, std::initializer_list<const char*> allowed,
                          std::initializer_list<const char*> required) const {
        for (auto a : n.attributes()) {
            bool ok = std::any_of(allowed.begin(), allowed.end(), [&](const char* x) { return std::strcmp(x, a.name()) == 0; });
            if (!ok) {
                fail(n, "ELEMENT <" + std::string(n.name()) + "> HAS AN UNKNOWN ATTRIBUTE " + a.name());
            }
        }
        for (const char* r : required) {
            if (!n.attribute(r)) {
                fail(n, "ELEMENT <" + std::string(n.name()) + "> NEEDS ATTRIBUTE " + r);
            }
        }
    }

    /// Only the listed child elements (text, comments and declarations are fine).
    void check_children(const pugi::xml_node& n, std::initializer_list<const char*> allowed) const {
        for (auto c : n.children()) {
            if (c.type() != pugi::node_element) {
                if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
                    std::string_view v = c.value();
                    if (v.find_first_not_of(" \t\r\n") != std::string_view::npos) {
                        fail(c, "UNEXPECTED TEXT INSIDE <" + std::string(n.name()) + ">");
                    }
                }
                continue;
            }
            bool ok = std::any_of(allowed.begin(), allowed.end(), [&](const char* x) { return std::strcmp(x, c.name()) == 0; });
            if (!ok) {
                fail(c, "UNKNOWN ELEMENT <" + std::string(c.name()) + "> INSIDE <" + std::string(n.name()) + ">");
            }
        }
    }

    std::uint64_t number(const pugi::xml_node& n, const char* attr, std::uint64_t lo, std::uint64_t hi) const {
        std::string_view v = n.attribute(attr).value();
        std::uint64_t out = 0;
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
        if (v.empty() || ec != std::errc{} || p != v.data() + v.size()) {
            fail(n, std::string(attr) + "=\"" + std::string(v) + "\" IS NOT A WHOLE NUMBER");
        }
        if (out < lo || out > hi) {
            fail(n, std::string(attr) + "=\"" + std::string(v) + "\" IS NOT IN THE RANGE " + std::to_string(lo) +
                        " TO " + std::to_string(hi));
        }
        return out;
    }

    bool boolean(const pugi::xml_node& n, const char* attr, bool dflt) const {
        auto a = n.attribute(attr);
        if (!a) {
            return dflt;
        }
        std::string v = upper(a.value());
        if (v == "YES" || v == "ENABLED" || v == "TRUE") {
            return true;
        }
        if (v == "NO" || v == "DISABLED" || v == "FALSE") {
            return false;
        }
        fail(n, std::string(attr) + "=\"" + a.value() + "\" MUST BE ENABLED OR DISABLED");
    }

    /// A z/OS name: 1..max characters, first a letter or @#$, then also digits.
    std::string name(const pugi::xml_node& n, const char* attr, std::size_t max) const {
        std::string v = upper(n.attribute(attr).value());
        auto bad = v.empty() || v.size() > max || !(std::isalpha(static_cast<unsigned char>(v[0])) || national(v[0])) ||
                   std::any_of(v.begin(), v.end(), [](char c) {
                       return !(std::isalnum(static_cast<unsigned char>(c)) || national(c));
                   });
        if (bad) {
            fail(n, std::string(attr) + "=\"" + n.attribute(attr).value() + "\" IS NOT A VALID NAME OF 1-" +
                        std::to_string(max) + " CHARACTERS (A-Z 0-9 @ # $, NOT STARTING WITH A DIGIT)");
        }
        return v;
    }

    /// A CIDR; inside the emulated range 198.18.0.0/15 when @p emulated (the
    /// networks zplex itself builds). An image's lan-address is the user's own.
    std::string cidr(const pugi::xml_node& n, const char* attr, bool emulated = true) const {
        std::string v = n.attribute(attr).value();
        auto slash = v.find('/');
        unsigned octets[4] = {};
        unsigned bits = 0;
        bool ok = slash != std::string::npos;
        if (ok) {
            std::string_view a(v.data(), slash);
            std::size_t pos = 0;
            for (int i = 0; i < 4 && ok; ++i) {
                auto end = a.find('.', pos);
                if ((i < 3) != (end != std::string_view::npos)) {
                    ok = false;
                    break;
                }
                auto part = a.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
                auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), octets[i]);
                ok = !part.empty() && part.size() <= 3 && ec == std::errc{} && p == part.data() + part.size() &&
                     octets[i] <= 255;
                pos = end + 1;
            }
            std::string_view b(v.data() + slash + 1, v.size() - slash - 1);
            auto [p, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
            ok = ok && !b.empty() && ec == std::errc{} && p == b.data() + b.size() && bits <= 32;
        }
        if (!ok) {
            fail(n, std::string(attr) + "=\"" + v + "\" IS NOT AN ADDRESS/PREFIX LENGTH");
        }
        if (emulated && (octets[0] != 198 || (octets[1] != 18 && octets[1] != 19) || bits < 15)) {
            fail(n, std::string(attr) + "=\"" + v + "\" IS OUTSIDE 198.18.0.0/15, THE RANGE FOR EMULATED NETWORKS");
        }
        return v;
    }

    static bool national(char c) { return c == '@' || c == '#' || c == '$'; }

    void symbols(const pugi::xml_node& parent, std::map<std::string, std::string>& out) const {
        for (auto s : parent.children("symbol")) {
            check_attributes(s, {"name", "value"}, {"name", "value"});
            check_children(s, {});
            auto n = name(s, "name", 8);
            if (n == "SYSNAME" || n == "SYSCLONE" || n == "SYSPLEX") {
                fail(s, "SYMBOL &" + n + ". IS SET BY THE SYSTEM AND CANNOT BE DEFINED");
            }
            if (out.count(n)) {
                fail(s, "SYMBOL &" + n + ". IS DEFINED TWICE");
            }
            out[n] = s.attribute("value").value();
        }
    }

    sysplex_config read(const pugi::xml_document& doc) const {
        sysplex_config cfg;
        auto root = doc.document_element();
        if (std::strcmp(root.name(), "sysplex") != 0) {
            fail(root, "THE ROOT ELEMENT MUST BE <sysplex>, NOT <" + std::string(root.name()) + ">");
        }
        check_attributes(root, {"name"}, {"name"});
        check_children(root, {"symbol", "xcf", "cf", "structure", "image", "lan", "procedure", "proclib"});
        cfg.name = name(root, "name", 8);
        symbols(root, cfg.symbols);

        int xcf_count = 0;
        for (auto x : root.children("xcf")) {
            if (++xcf_count > 1) {
                fail(x, "ONLY ONE <xcf> ELEMENT IS ALLOWED");
            }
            check_attributes(x, {"interval-ms", "key-file"}, {});
            check_children(x, {});
            if (x.attribute("interval-ms")) {
                cfg.xcf.interval = std::chrono::milliseconds(number(x, "interval-ms", 10, 86'400'000));
            }
            cfg.xcf.sysplex_key_file = x.attribute("key-file").value();
        }

        std::set<std::string> cf_names;
        for (auto c : root.children("cf")) {
            check_attributes(c, {"name"}, {"name"});
            check_children(c, {});
            auto n = name(c, "name", 8);
            if (!cf_names.insert(n).second) {
                fail(c, "COUPLING FACILITY " + n + " IS DEFINED TWICE");
            }
            cfg.cfs.push_back(cf_config{n});
        }

        std::set<std::string> str_names;
        for (auto s : root.children("structure")) {
            check_attributes(s, {"name", "size-kb", "initsize-kb", "lists", "entry-size", "max-entries", "preflist",
                                 "duplex"},
                             {"name", "size-kb", "lists", "entry-size", "max-entries", "preflist"});
            check_children(s, {});
            structure_config st;
            st.name = name(s, "name", 16);
            if (!str_names.insert(st.name).second) {
                fail(s, "STRUCTURE " + st.name + " IS DEFINED TWICE");
            }
            st.size_kb = number(s, "size-kb", 1, 64ull * 1024 * 1024);
            st.initsize_kb = s.attribute("initsize-kb") ? number(s, "initsize-kb", 1, st.size_kb) : 0;
            st.list_count = static_cast<std::uint32_t>(number(s, "lists", 1, 4096));
            st.entry_size = static_cast<std::uint32_t>(number(s, "entry-size", 1, 64 * 1024));
            st.max_entries = static_cast<std::uint32_t>(number(s, "max-entries", 1, 16u * 1024 * 1024));
            std::istringstream pl(upper(s.attribute("preflist").value()));
            std::string cf;
            while (pl >> cf) {
                if (!cf_names.count(cf)) {
                    fail(s, "PREFLIST OF " + st.name + " NAMES " + cf + ", WHICH IS NOT A <cf> DEFINED BEFORE IT");
                }
                if (std::find(st.preflist.begin(), st.preflist.end(), cf) != st.preflist.end()) {
                    fail(s, "PREFLIST OF " + st.name + " NAMES " + cf + " TWICE");
                }
                st.preflist.push_back(cf);
            }
            if (st.preflist.empty()) {
                fail(s, "PREFLIST OF " + st.name + " IS EMPTY");
            }
            st.duplex = boolean(s, "duplex", false);
            if (st.duplex && st.preflist.size() < 2) {
                fail(s, "DUPLEX(ENABLED) FOR " + st.name + " NEEDS TWO COUPLING FACILITIES IN ITS PREFLIST");
            }
            std::uint64_t need_kb = (std::uint64_t{st.max_entries} * st.entry_size + 1023) / 1024;
            if (need_kb > st.size_kb) {
                fail(s, "STRUCTURE " + st.name + " OF SIZE-KB " + std::to_string(st.size_kb) + " CANNOT HOLD " +
                            std::to_string(st.max_entries) + " ENTRIES OF " + std::to_string(st.entry_size) +
                            " BYTES (" + std::to_string(need_kb) + " KB)");
            }
            cfg.structures.push_back(std::move(st));
        }

        std::set<std::string> image_names;
        std::set<std::string> clones;
        for (auto i : root.children("image")) {
            check_attributes(i, {"name", "sysclone", "tcpip", "profile", "lan-address"}, {"name", "sysclone", "profile"});
            check_children(i, {"symbol"});
            image_config im;
            im.name = name(i, "name", 8);
            if (!image_names.insert(im.name).second) {
                fail(i, "IMAGE " + im.name + " IS DEFINED TWICE");
            }
            im.sysclone = upper(i.attribute("sysclone").value());
            if (im.sysclone.empty() || im.sysclone.size() > 2 ||
                std::any_of(im.sysclone.begin(), im.sysclone.end(),
                            [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); })) {
                fail(i, "SYSCLONE=\"" + std::string(i.attribute("sysclone").value()) +
                            "\" MUST BE 1-2 LETTERS OR DIGITS");
            }
            if (!clones.insert(im.sysclone).second) {
                fail(i, "SYSCLONE " + im.sysclone + " IS USED BY TWO IMAGES");
            }
            im.tcpip_proc = i.attribute("tcpip") ? name(i, "tcpip", 8) : "TCPIPA";
            std::string why;
            auto dsn = parse_dataset_name(i.attribute("profile").value(), &why);
            if (!dsn) {
                fail(i, "PROFILE=\"" + std::string(i.attribute("profile").value()) + "\" IS NOT A DATA SET NAME: " + why);
            }
            im.profile_dsn = dsn->str();
            if (i.attribute("lan-address")) {
                im.lan_address = cidr(i, "lan-address", false);
            }
            symbols(i, im.symbols);
            cfg.images.push_back(std::move(im));
        }
        if (cfg.images.empty()) {
            fail(root, "A SYSPLEX NEEDS AT LEAST ONE <image>");
        }

        int lan_count = 0;
        for (auto l : root.children("lan")) {
            if (++lan_count > 1) {
                fail(l, "ONLY ONE <lan> ELEMENT IS ALLOWED");
            }
            check_attributes(l, {"name", "subnet"}, {"name", "subnet"});
            check_children(l, {"host"});
            lan_config lan;
            lan.name = name(l, "name", 8);
            lan.subnet = cidr(l, "subnet");
            std::set<std::string> hosts;
            for (auto h : l.children("host")) {
                check_attributes(h, {"name", "address", "role", "swanctl"}, {"name", "address", "role"});
                check_children(h, {});
                host_config hc;
                hc.name = name(h, "name", 8);
                if (!hosts.insert(hc.name).second || image_names.count(hc.name)) {
                    fail(h, "HOST NAME " + hc.name + " IS ALREADY USED");
                }
                hc.address = cidr(h, "address");
                hc.role = h.attribute("role").value();
                if (hc.role != "client" && hc.role != "server" && hc.role != "ipsec-peer") {
                    fail(h, "ROLE=\"" + hc.role + "\" MUST BE client, server OR ipsec-peer");
                }
                if (h.attribute("swanctl")) {
                    if (hc.role != "ipsec-peer") {
                        fail(h, "SWANCTL= IS TAKEN ONLY BY A HOST OF ROLE=\"ipsec-peer\"");
                    }
                    std::string why;
                    auto dsn = parse_dataset_name(h.attribute("swanctl").value(), &why);
                    if (!dsn) {
                        fail(h, "SWANCTL=\"" + std::string(h.attribute("swanctl").value()) + "\" IS NOT A DATA SET NAME: " + why);
                    }
                    hc.swanctl_dsn = dsn->str();
                }
                lan.hosts.push_back(std::move(hc));
            }
            cfg.lan = std::move(lan);
        }

        std::set<std::string> procs;
        for (auto p : root.children("procedure")) {
            check_attributes(p, {"name", "program", "args"}, {"name", "program"});
            check_children(p, {});
            procedure_config pc;
            pc.name = name(p, "name", 8);
            if (!procs.insert(pc.name).second) {
                fail(p, "PROCEDURE " + pc.name + " IS DEFINED TWICE");
            }
            pc.program = p.attribute("program").value();
            if (pc.program.empty() || pc.program.find_first_of(" \t\n") != std::string::npos) {
                fail(p, "PROGRAM=\"" + pc.program + "\" OF PROCEDURE " + pc.name + " MUST BE A PROGRAM NAME OR PATH WITHOUT BLANKS");
            }
            std::istringstream as(p.attribute("args").value());
            std::string a;
            while (as >> a) {
                pc.args.push_back(a);
            }
            cfg.procedures.push_back(std::move(pc));
        }

        for (auto l : root.children("proclib")) {
            check_attributes(l, {"dsn"}, {"dsn"});
            check_children(l, {});
            std::string why;
            auto d = parse_dataset_name(l.attribute("dsn").value(), &why);
            if (!d || !d->member.empty()) {
                fail(l, "DSN=\"" + std::string(l.attribute("dsn").value()) + "\" OF <proclib> IS NOT A PARTITIONED DATA SET NAME" +
                            (d ? std::string(": A MEMBER IS NOT ALLOWED") : ": " + upper(why)));
            }
            if (std::find(cfg.proclib.begin(), cfg.proclib.end(), d->dsn) != cfg.proclib.end()) {
                fail(l, "PROCLIB " + d->dsn + " IS IN THE CONCATENATION TWICE");
            }
            cfg.proclib.push_back(d->dsn);
        }
        if (cfg.proclib.empty()) {
            cfg.proclib.push_back("SYS1.PROCLIB");
        }
        return cfg;
    }

private:
    line_map _lines;
    std::string _file;
};

}  // namespace

const image_config* sysplex_config::find_image(std::string_view n) const {
    for (const auto& i : images) {
        if (i.name.size() == n.size() &&
            std::equal(n.begin(), n.end(), i.name.begin(),
                       [](char a, char b) { return std::toupper(static_cast<unsigned char>(a)) == b; })) {
            return &i;
        }
    }
    return nullptr;
}

const procedure_config* sysplex_config::find_procedure(std::string_view n) const {
    for (const auto& p : procedures) {
        if (p.name.size() == n.size() &&
            std::equal(n.begin(), n.end(), p.name.begin(),
                       [](char a, char b) { return std::toupper(static_cast<unsigned char>(a)) == b; })) {
            return &p;
        }
    }
    return nullptr;
}

const structure_config* sysplex_config::find_structure(std::string_view n) const {
    for (const auto& s : structures) {
        if (s.name == n) {
            return &s;
        }
    }
    return nullptr;
}

std::map<std::string, std::string> sysplex_config::symbols_for(const image_config& image) const {
    std::map<std::string, std::string> out = symbols;
    for (const auto& [k, v] : image.symbols) {
        out[k] = v;
    }
    out["SYSNAME"] = image.name;
    out["SYSCLONE"] = image.sysclone;
    out["SYSPLEX"] = name;
    return out;
}

sysplex_config parse_sysplex_xml(std::string_view text, const std::string& file) {
    pugi::xml_document doc;
    auto res = doc.load_buffer(text.data(), text.size(), pugi::parse_default | pugi::parse_declaration,
                               pugi::encoding_utf8);
    if (!res) {
        line_map lines(text);
        int line = lines.line_of(res.offset);
        throw catalogue_error(file, line,
                              "ZPX0200E " + file + " LINE " + std::to_string(line) + ": NOT WELL-FORMED XML: " +
                                  res.description());
    }
    reader r(text, file);
    auto cfg = r.read(doc);
    cfg.file = file;
    return cfg;
}

catalogue catalogue::load(const std::filesystem::path& dir) {
    return load(dir, true);
}

catalogue catalogue::load(const std::filesystem::path& dir, bool require_profiles) {
    auto file = dir / "SYSPLEX.xml";
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw catalogue_error(file.string(), 0, "ZPX0202E " + file.string() + " CANNOT BE READ: NO SYSPLEX CATALOGUE");
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    auto cfg = parse_sysplex_xml(text, file.string());
    dataset_catalogue datasets(dir);
    pugi::xml_document doc;
    doc.load_buffer(text.data(), text.size());  // parsed cleanly above
    line_map lines(text);
    auto image_node = doc.document_element().child("image");
    for (const auto& im : cfg.images) {
        std::string why;
        if (require_profiles && !datasets.resolve(im.profile_dsn, &why)) {
            int line = lines.line_of(image_node.offset_debug());
            throw catalogue_error(file.string(), line,
                                  "ZPX0203E " + file.string() + " LINE " + std::to_string(line) + ": PROFILE '" +
                                      im.profile_dsn + "' OF IMAGE " + im.name + " CANNOT BE FOUND: " + why);
        }
        image_node = image_node.next_sibling("image");
    }
    // A PROCLIB SYSPLEX.xml names is a PDS of the catalogue (JES2 does not start
    // with a PROCLIB it cannot allocate); SYS1.PROCLIB by default need not exist.
    for (auto l : doc.document_element().children("proclib")) {
        auto d = parse_dataset_name(l.attribute("dsn").value());  // checked by the parse above
        std::error_code ec;
        if (require_profiles && !std::filesystem::is_directory(datasets.path_of(*d), ec)) {
            int line = lines.line_of(l.offset_debug());
            throw catalogue_error(file.string(), line,
                                  "ZPX0204E " + file.string() + " LINE " + std::to_string(line) + ": PROCLIB '" +
                                      d->dsn + "' IS NOT A PARTITIONED DATA SET (A FOLDER) OF THE CATALOGUE");
        }
    }
    return catalogue(std::move(cfg), std::move(datasets));
}

}  // namespace zplex::sysplex
