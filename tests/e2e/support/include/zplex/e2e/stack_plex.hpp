// SPDX-License-Identifier: Apache-2.0
// FIG4's stacks as real zplex-tcpip processes in network namespaces, the layout of
// docs/stack.md: a private copy of the FIG4 catalogue (a sysplex name of its own, so the
// XCF shared memory never collides), a LAN namespace with the bridge br0, a namespace per
// image (created when first named), client namespaces on the bridge, and the stacks'
// logs and control sockets. Used by the e2e tests and bench_stack.
#pragma once

#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace zplex::e2e {

/// The whole file, or "" when it cannot be read.
std::string file_text(const std::filesystem::path& p);

/// One command line on a stack's control socket; its answer ("" when nobody answers).
std::string stack_control(const std::filesystem::path& socket, const std::string& command);

class stack_plex {
public:
    /// FIG4 copied into @p dir (a fresh temporary folder, removed with the plex, when
    /// empty) under the sysplex name @p sysplex (one made of the PID and @p tag when empty).
    explicit stack_plex(const std::string& tag, const std::string& sysplex = {}, const std::filesystem::path& dir = {});
    ~stack_plex();
    stack_plex(const stack_plex&) = delete;
    stack_plex& operator=(const stack_plex&) = delete;

    std::filesystem::path dir;        ///< holds FIG4/, run/ and the logs
    std::filesystem::path catalogue;  ///< dir/FIG4
    std::filesystem::path run;        ///< the stacks' run directory (control sockets)
    std::string sysplex;              ///< its name; /dev/shm/zplex.<sysplex>.* go with the plex
    netns lan{"lan"};                 ///< br0, 198.18.0.0/24

    /// The namespace of image @p system ("MVS1"), created on first use.
    netns& image(const std::string& system);
    /// Client n (1, 2 ...) at 198.18.0.(100+n)/24 on the bridge, with on-link routes for
    /// the DVIPA and static-VIPA subnets (198.18.2.0/24, 198.18.3.0/24).
    netns& client(int n);
    static std::string client_address(int n) { return "198.18.0." + std::to_string(100 + n); }
    /// The MAC of image @p system's OSA port ("MVS2": 02:00 and its OSA address 198.18.0.12),
    /// as tshark writes it.
    static std::string osa_mac(const std::string& system) {
        static const char* hex = "0123456789abcdef";
        int last = 10 + std::stoi(system.substr(3));
        return std::string("02:00:c6:12:00:") + hex[last >> 4] + hex[last & 15];
    }

    /// zplex-tcpip for @p system on the bridge, in its image namespace; @p extra are more
    /// arguments (--attach-image, --no-offload). Its output goes to log_path(system, tag).
    child_process start(const std::string& system, const std::vector<std::string>& extra = {},
                        const std::string& log_tag = {});
    std::filesystem::path log_path(const std::string& system, const std::string& log_tag = {}) const;
    /// zplex-cf for coupling facility @p cf ("CF01") of the catalogue, its command socket
    /// in dir/cf, its output in log_path(cf); returns once it allocated its structures
    /// (bounded; throws when it did not start).
    child_process start_cf(const std::string& cf);
    std::string log(const std::string& system, const std::string& log_tag = {}) const;
    /// Wait (bounded by @p bound, not a timing claim) until the log holds @p text.
    bool wait_log(const std::string& system, const std::string& text, std::chrono::milliseconds bound = 20s,
                  const std::string& log_tag = {}) const;
    /// zplex-app (--log-connections) in the image of @p system on port 60: DVA1's and
    /// DVB1's server. Its output goes to app_log_path(system, log_tag).
    child_process app(const std::string& system, const std::string& log_tag = {});
    std::filesystem::path app_log_path(const std::string& system, const std::string& log_tag = {}) const;
    /// A profile variant: in the copy's member SYS1.TCPPARMS(@p member), @p from (which
    /// must be there) becomes @p to. Throws when it is not there.
    void rewrite_member(const std::string& member, const std::string& from, const std::string& to);
    /// A command on the stack's control socket.
    std::string control(const std::string& system, const std::string& command) const;
    /// Poll the control socket with @p command until the answer holds @p text (bounded).
    bool wait_display(const std::string& system, const std::string& command, const std::string& text,
                      std::chrono::milliseconds bound = 20s) const;

private:
    bool _own_dir = false;
    std::map<std::string, std::unique_ptr<netns>> _images;
    std::map<int, std::unique_ptr<netns>> _clients;
};

}  // namespace zplex::e2e
