// SPDX-License-Identifier: Apache-2.0
// strongSwan's charon (5.9.x) in a network namespace with the userspace ESP of the
// kernel-libipsec plugin (this kernel has no XFRM ESP), driven by swanctl over a private
// vici socket. What it takes is written down in docs/strongswan-interop.md.
#pragma once

#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace zplex::e2e {

inline constexpr const char* charon_path = "/usr/lib/ipsec/charon";

/// Plugins the e2e charon loads (load_modular = no, in this order: kernel-libipsec before
/// kernel-netlink, so its kernel-ipsec wins and kernel-netlink only does routes/addresses).
std::vector<std::string> default_charon_plugins();

/// True if charon, swanctl and every default plugin are installed; else the reason.
bool have_strongswan(std::string* why = nullptr);

/// One IKEv2 connection with a PSK and one tunnel-mode CHILD_SA, as swanctl.conf text.
struct psk_connection {
    std::string name = "zpx";
    std::string local_addr, remote_addr;
    std::string local_id, remote_id;           ///< empty: the address
    std::string psk = "zplex-e2e-preshared-key-0123456789";
    std::string ike_proposals = "aes128gcm16-prfsha256-modp2048";
    std::string esp_proposals = "aes128gcm16";
    std::string local_ts, remote_ts;           ///< e.g. 198.18.20.1/32
    bool encap = true;                         ///< force RFC 3948 UDP encapsulation
    std::string start_action = "none";         ///< none | trap | start
    std::string extra_ike;                     ///< more lines in the connection block
    std::string extra_child;                   ///< more lines in the child block
    std::string swanctl_conf() const;          ///< connections { } and secrets { }
};

/// The strongSwan side for interop with zplex's IKE engine (docs/strongswan-interop.md):
/// IKEv2, PSK, IKE AES-GCM-128 + PRF-HMAC-SHA-256 with MODP-2048, ECP-256 or X25519, ESP
/// AES-GCM-128 in tunnel mode, encap = yes (UDP 4500 from IKE_AUTH on), one /32 each way.
psk_connection zplex_interop(const std::string& local_addr, const std::string& remote_addr, const std::string& local_ts,
                             const std::string& remote_ts);

/// A CHILD_SA as `swanctl --list-sas --raw` shows it.
struct child_sa {
    std::string ike;             ///< the IKE_SA's connection name
    std::string name;
    std::string state;           ///< INSTALLED, REKEYED, DELETED ...
    std::string mode;            ///< TUNNEL, TRANSPORT
    bool encap = false;
    std::uint32_t spi_in = 0, spi_out = 0;
    std::uint64_t bytes_in = 0, packets_in = 0, bytes_out = 0, packets_out = 0;
    std::string encr_alg;
    std::string local_ts, remote_ts;
};

/// An IKE_SA as `swanctl --list-sas --raw` shows it, with its CHILD_SAs.
struct ike_sa {
    std::string name;
    std::string state;           ///< ESTABLISHED, CONNECTING ...
    std::map<std::string, std::string> attrs;  ///< every key=value of the IKE_SA
    std::vector<child_sa> children;
};

/// Parse the --raw output (vici's message rendering: `list-sa event {name {k=v ... child-sas
/// {name-n {k=v ...}}}}`). Unknown keys are kept in ike_sa::attrs; never throws on odd text.
std::vector<ike_sa> parse_list_sas(const std::string& raw);

/// A key charon logged at CHD level 4 (charon::options::extra_log = "chd = 4"), e.g.
/// @p what = "encryption initiator key": the hex of the last one in @p log, or "".
std::string logged_key(const std::filesystem::path& log, const std::string& what);

/// A charon of its own: config dir, strongswan.conf, log file, vici socket, and a private
/// /run (charon's pid file is fixed at /var/run/charon.pid, so each charon runs in its own
/// mount namespace with a private directory bound on /run). Stopped by PID when destroyed.
class charon {
public:
    struct options {
        std::vector<std::string> plugins = default_charon_plugins();
        int log_level = 1;                       ///< filelog default; ike/knl/esp/net are +1
        std::chrono::milliseconds start_timeout = 10s;
        std::string extra_conf;                  ///< more lines inside charon { }
        std::string extra_log;                   ///< more lines in the filelog (e.g. "chd = 4")
    };
    /// Start charon in @p ns with its files under @p dir (created). Throws if the vici
    /// socket does not appear in time (the log's tail is in the message).
    charon(const netns& ns, const std::filesystem::path& dir, options o);
    charon(const netns& ns, const std::filesystem::path& dir) : charon(ns, dir, options{}) {}
    ~charon();
    charon(const charon&) = delete;
    charon& operator=(const charon&) = delete;

    /// swanctl with this charon's vici URI, in its namespace, bounded.
    run_result swanctl(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 30s) const;
    /// Write @p swanctl_conf and --load-all it; throws on failure.
    void load(const std::string& swanctl_conf) const;
    run_result initiate(const std::string& child, std::chrono::seconds timeout = 20s) const;
    run_result rekey_child(const std::string& child) const;
    run_result rekey_ike(const std::string& ike) const;
    run_result terminate_ike(const std::string& ike) const;
    std::vector<ike_sa> list_sas() const;
    /// The installed CHILD_SA named @p child (newest), or one with state empty if none.
    child_sa installed_child(const std::string& child) const;

    /// Stop (SIGTERM, SIGKILL after 5 s) by PID; idempotent. SIGTERM makes charon delete
    /// its SAs with the peer first.
    run_result stop();
    /// SIGKILL by PID: charon vanishes without telling the peer (its SAs live on there).
    run_result kill();
    pid_t pid() const noexcept { return _proc.pid(); }
    const std::filesystem::path& log_path() const noexcept { return _log; }
    std::string log_tail(std::size_t lines = 40) const;
    std::string vici_uri() const { return "unix://" + _socket.string(); }

private:
    const netns& _ns;
    std::filesystem::path _dir, _conf, _log, _socket, _swanctl_conf;
    child_process _proc;
};

}  // namespace zplex::e2e
