// SPDX-License-Identifier: Apache-2.0
// The engine of ZPXTRAF: connections from one network namespace to an address and port,
// each greeted (zplex-app's `ZPLEX-APP IMAGE sys ...` line names the serving image),
// then fed a pseudo-random payload whose echo is checked by SHA-256.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace zplex::cli::batch {

struct traffic_spec {
    std::string netns;                 ///< /run/netns/<name> entered first ("" = this one)
    std::uint32_t address = 0;         ///< host order
    std::uint16_t port = 0;
    long connections = 10;
    long concurrency = 10;             ///< connections open at once
    long bytes = 4096;                 ///< payload of each connection
    std::chrono::milliseconds duration{0};  ///< each connection sends its payload spread over this time
    std::chrono::milliseconds timeout{30000};  ///< a connection not done by then failed
    /// Request/response: when above 0, a connection has at most this many bytes sent and
    /// not yet echoed (a request, then its whole answer before the next); 0: bulk.
    long request = 0;
    std::atomic<long>* greeted = nullptr;  ///< when set, counts the connections greeted so far (owned by the caller)
};

struct connection_result {
    std::string image = "?";  ///< from the greeting; `?` for a server that does not greet
    long sent = 0, echoed = 0;
    bool digest_ok = false;
    bool reset = false;       ///< ECONNRESET or EPIPE
    std::string failed;       ///< why it did not complete (REFUSED, TIMED OUT ...), "" when it did
    std::chrono::steady_clock::time_point started, ended;  ///< its connect() and its end
};

struct traffic_result {
    std::vector<connection_result> connections;
    double seconds = 0;
    std::string error;  ///< the namespace could not be entered
};

/// Run @p spec to its end on the calling thread (which enters the namespace).
traffic_result run_traffic(const traffic_spec& spec);

}  // namespace zplex::cli::batch
