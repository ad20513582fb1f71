// SPDX-License-Identifier: Apache-2.0
// Real Linux clients of a distributed DVIPA (docs/distributor.md): one child process that
// opens connections one after the other from several client namespaces in turn (it enters
// each namespace for each socket, so the order the distributor sees is the order they are
// opened in), proves each one both ways with a probe line, and tells from the answer which
// server took it: zplex-app names its image in its first line; a server that says nothing
// first (socat) only echoes. It may hold every connection open until it is told to release
// them, then probe each again and close it cleanly.
#pragma once

#include <zplex/e2e/process.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace zplex::e2e {

/// One connection as its client saw it.
struct dist_connection {
    int index = -1;            ///< the order it was opened in, from 0
    std::string client;        ///< the client's address
    std::uint16_t port = 0;    ///< the client's port
    std::string server;        ///< the image zplex-app named, "-" for a server that only echoes
    std::string opened;        ///< "OK" when it connected and the probe came back, else what failed
    std::string closed;        ///< held connections after the release: "OK" (second probe, clean close) or what failed
    std::string key() const { return client + ".." + std::to_string(port); }
};

struct dist_clients_plan {
    std::vector<std::string> namespaces;  ///< connection i comes from namespaces[i % size]
    std::string address;                  ///< the DVIPA
    std::uint16_t port = 0;
    int count = 0;
    int first_index = 0;                  ///< numbering of the first connection (several batches)
    bool hold = false;                    ///< keep them open until release()
};

/// The clients' child process; its report goes to a file the test reads while it runs.
class dist_clients {
public:
    /// Start the child. @p dir holds its report (clients-<tag>.out) and the release flag.
    dist_clients(const dist_clients_plan& plan, const std::filesystem::path& dir, const std::string& tag);
    /// Every connection opened (held: and still held), bounded by @p bound.
    bool wait_opened(std::chrono::milliseconds bound = 60s);
    /// The connections so far, in order.
    std::vector<dist_connection> connections() const;
    /// Held: probe each again, close them and end. Not held: wait for the end. Bounded.
    run_result finish(std::chrono::milliseconds bound = 60s);
    /// The report as text (for failure messages).
    std::string report() const;

private:
    dist_clients_plan _plan;
    std::filesystem::path _out, _release;
    child_process _child;
};

/// How many connections each server took.
std::map<std::string, int> by_server(const std::vector<dist_connection>& cs);

/// The server of each connection, by the client's socket (address..port).
std::map<std::string, std::string> server_of(const std::vector<dist_connection>& cs);

/// A connection's report line ("CONN i FROM a..p SERVER s OPENED r"), parsed; index -1 if it is not one.
dist_connection parse_connection_line(const std::string& line);

/// NETSTAT VCRT parsed: DestXCF by the client's socket (Source), for connections to @p dest ("198.18.2.1..60").
std::map<std::string, std::string> vcrt_dest_xcf(const std::string& vcrt, const std::string& dest);

/// NETSTAT VDPT parsed for @p dest: per DestXCF, TotalConn and Rdy (and ActConn with DETAIL).
struct vdpt_row {
    std::uint64_t total = 0;
    int ready = -1;
    std::int64_t active = -1;  ///< -1 without DETAIL
    bool active_flag = false;  ///< Flg: Active (HOTSTANDBY)
};
std::map<std::string, vdpt_row> vdpt_rows(const std::string& vdpt, const std::string& dest);

/// The remote sockets (address..port) a zplex-app logged as accepted (ZPX1054I) in @p log.
std::vector<std::string> accepted_by_app(const std::string& log);

}  // namespace zplex::e2e
