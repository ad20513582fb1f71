// SPDX-License-Identifier: Apache-2.0
// SYSPLEX.xml: the images, profiles, symbols, CFRM policy and networks of one sysplex.
#pragma once

#include <zplex/sysplex/dataset.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace zplex::sysplex {

/// A SYSPLEX.xml that cannot be used: the message names file, line and why.
class catalogue_error : public std::runtime_error {
public:
    catalogue_error(std::string file, int line, const std::string& what)
        : std::runtime_error(what), _file(std::move(file)), _line(line) {}
    const std::string& file() const noexcept { return _file; }
    int line() const noexcept { return _line; }

private:
    std::string _file;
    int _line;
};

/// One system image (an LPAR) and its TCP/IP stack.
struct image_config {
    std::string name;           ///< system name, &SYSNAME. (MVS1)
    std::string sysclone;       ///< &SYSCLONE. (two characters, e.g. "M1")
    std::string tcpip_proc;     ///< TCP/IP procedure name (TCPIPA)
    std::string profile_dsn;    ///< PROFILE dataset, e.g. SYS1.TCPPARMS(PROFMVS1)
    std::map<std::string, std::string> symbols;  ///< user symbols, name without & and .
    std::string lan_address;    ///< OSA address on the LAN (CIDR), informational
};

/// A coupling facility (CF01, CF02).
struct cf_config {
    std::string name;
};

/// A CFRM policy STRUCTURE definition.
struct structure_config {
    std::string name;                   ///< EZBDVIPA
    std::uint64_t size_kb = 0;          ///< SIZE
    std::uint64_t initsize_kb = 0;      ///< INITSIZE (0: same as SIZE)
    std::uint32_t list_count = 0;       ///< list headers
    std::uint32_t entry_size = 0;       ///< data element size in bytes
    std::uint32_t max_entries = 0;      ///< entries the structure can hold
    std::vector<std::string> preflist;  ///< PREFLIST, in order
    bool duplex = false;                ///< DUPLEX(ENABLED)
};

/// The LAN all stacks attach to, and its hosts (clients, the IPsec peer).
struct host_config {
    std::string name;
    std::string address;                ///< CIDR on the LAN
    std::string role;                   ///< "client", "server", "ipsec-peer"
    /// ipsec-peer: the data set with the peer's swanctl.conf; `zplex up` runs strongSwan's
    /// charon on the host with it (empty: no IKE daemon runs there).
    std::string swanctl_dsn;
};

struct lan_config {
    std::string name;
    std::string subnet;                 ///< CIDR, in 198.18.0.0/15
    std::vector<host_config> hosts;
};

/// A started procedure (PROCLIB member) as a Linux program: what `S name` and the
/// profile's AUTOLOG run in the image's network namespace.
struct procedure_config {
    std::string name;                   ///< procedure name (APPA), 1-8
    std::string program;                ///< a path, or a name looked up next to zplex and in PATH
    std::vector<std::string> args;      ///< arguments, split at blanks; &SYMBOL. substituted per image
};

/// XCF settings (COUPLExx).
struct xcf_config {
    std::chrono::milliseconds interval{300};   ///< failure detection INTERVAL
    std::string sysplex_key_file;              ///< sysplex key, relative to the catalogue
};

/// The whole SYSPLEX.xml.
struct sysplex_config {
    std::string name;                   ///< sysplex name
    std::filesystem::path file;         ///< the SYSPLEX.xml it was read from
    std::map<std::string, std::string> symbols;  ///< sysplex-wide user symbols
    std::vector<image_config> images;
    std::vector<cf_config> cfs;
    std::vector<structure_config> structures;
    std::optional<lan_config> lan;
    xcf_config xcf;
    std::vector<procedure_config> procedures;
    /// The JES2 PROCLIB concatenation (PROC00) `zplex submit` searches after a job's
    /// JCLLIB ORDER, in order: the `<proclib dsn=.../>` elements, SYS1.PROCLIB if none.
    std::vector<std::string> proclib;

    const procedure_config* find_procedure(std::string_view name) const;
    const image_config* find_image(std::string_view name) const;
    const structure_config* find_structure(std::string_view name) const;

    /// Static system symbols for one image: SYSNAME, SYSCLONE, SYSPLEX, then
    /// sysplex-wide user symbols, then the image's own (which win).
    std::map<std::string, std::string> symbols_for(const image_config& image) const;
};

/// A sysplex folder: SYSPLEX.xml plus the datasets below it.
class catalogue {
public:
    /// Read and schema-check @p dir/SYSPLEX.xml.
    /// @throws catalogue_error naming the file, line and the rule broken.
    static catalogue load(const std::filesystem::path& dir);
    /// The same; with @p require_profiles false a missing image profile is not an
    /// error here (`zplex profile check` of a named file reports what it opens).
    static catalogue load(const std::filesystem::path& dir, bool require_profiles);

    const sysplex_config& config() const noexcept { return _config; }
    const dataset_catalogue& datasets() const noexcept { return _datasets; }

private:
    catalogue(sysplex_config c, dataset_catalogue d) : _config(std::move(c)), _datasets(std::move(d)) {}
    sysplex_config _config;
    dataset_catalogue _datasets;
};

/// Parse SYSPLEX.xml text (for tests and fuzzing); @p file names it in errors.
/// @throws catalogue_error
sysplex_config parse_sysplex_xml(std::string_view text, const std::string& file);

}  // namespace zplex::sysplex
