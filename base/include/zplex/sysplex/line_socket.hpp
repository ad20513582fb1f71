// SPDX-License-Identifier: Apache-2.0
// The one way zplex's programs take operator commands: a unix stream socket (mode 0600),
// one request line per connection, the reply, then close. The CF's command socket,
// zplex-host's control socket and each stack's control socket are one of these.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace zplex::sysplex {

/// Served from its owner's loop without ever blocking it: every socket is non-blocking,
/// at most `max_clients` connections are open at once (more are closed unanswered), a
/// client has `deadline` to send its line and take its reply, and a request line is at
/// most `max_line` bytes: a longer one gets `too_long_reply`, or is closed unanswered
/// when that is empty.
class line_server {
public:
    using clock = std::chrono::steady_clock;
    using handler = std::function<std::string(const std::string&)>;
    struct limits {
        std::size_t max_clients = 8;
        std::size_t max_line = 4096;
        std::chrono::milliseconds deadline{2000};
        std::string too_long_reply;
        /// Requests and replies may carry key material (an SA for the stack, SWSA KEYS):
        /// each client's request buffer is reserved once, so it never moves, and both
        /// are wiped when the client is done (the handler builds its reply in place).
        bool secret = false;
    };

    /// Binds @p path (created 0600). Something already there is replaced only if it is
    /// a stale socket (nobody listening) owned by this user; anything else (a file, a
    /// directory, a symlink, another user's socket, a live server) is refused. Throws
    /// std::system_error (EEXIST, EPERM, EADDRINUSE, ENAMETOOLONG, ...) saying why.
    explicit line_server(std::string path);
    line_server(std::string path, limits l);
    ~line_server();
    line_server(const line_server&) = delete;
    line_server& operator=(const line_server&) = delete;

    /// Accept, read, answer and write whatever is ready now, without waiting. Returns
    /// the number of requests handed to @p serve. @p now: for the client deadlines.
    std::size_t poll(const handler& serve, clock::time_point now = clock::now());
    /// Wait up to @p timeout for the listener or a client to be ready, then poll().
    std::size_t wait(const handler& serve, std::chrono::milliseconds timeout);

    const std::string& path() const noexcept { return _path; }
    int fd() const noexcept { return _fd; }
    std::size_t clients() const noexcept { return _clients.size(); }

private:
    struct client {
        int fd = -1;
        std::string in, out;
        std::size_t sent = 0;
        bool answered = false;
        clock::time_point deadline;
    };
    /// False once the client is done with (answered and written, or given up).
    bool step(client& c, const handler& serve, std::size_t& served, clock::time_point now);
    /// Close the client's connection (and wipe its request when requests are secret).
    void finish(client& c) noexcept;
    std::string _path;
    limits _limits;
    int _fd = -1;
    std::uint64_t _dev = 0, _ino = 0;  ///< what we bound: only that is unlinked at the end
    std::vector<client> _clients;
};

/// Client side: send @p line to the socket at @p path and return the whole reply.
/// Throws std::system_error if nobody listens there or it does not answer within
/// @p timeout. @p secret: the reply carries keys (SWSA KEYS): it grows without leaving an
/// unwiped buffer behind, and the caller wipes what is returned.
std::string line_request(const std::string& path, const std::string& line,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10), bool secret = false);

}  // namespace zplex::sysplex
