// SPDX-License-Identifier: Apache-2.0
// The strongSwan peer of the SWSA e2e tests: charon on PEER1 (FIG4's IPsec peer,
// 198.18.0.200) with kernel-libipsec for DVA1, its capture read by tshark with the keys
// charon logged, and PEER1's echo connections to DVA1:60.
#pragma once

#include "swsa_e2e.hpp"

#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>
#include <zplex/e2e/stack_plex.hpp>
#include <zplex/e2e/strongswan.hpp>
#include <zplex/e2e/traffic.hpp>

#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

/// Skips where these tests cannot run (no namespaces, TUN or strongSwan) and sweeps the
/// namespaces dead runs left.
#define ZPLEX_SWSA_NEEDS_STRONGSWAN()                                                  \
    do {                                                                                \
        std::string why_not;                                                            \
        if (!::zplex::e2e::can_use_netns(&why_not)) GTEST_SKIP() << why_not;            \
        if (!std::filesystem::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun"; \
        if (!::zplex::e2e::have_strongswan(&why_not)) GTEST_SKIP() << why_not;          \
        ::zplex::e2e::sweep_stale_netns();                                              \
    } while (0)

namespace zplex::e2e::swsa_e2e {

inline constexpr int peer1 = 100;  // stack_plex client 100: 198.18.0.200, FIG4's PEER1
inline const char* const peer1_addr = "198.18.0.200";

/// libipsec's anti-replay window: 128 packets, fixed (ESP_DEFAULT_WINDOW_SIZE); what the
/// owner's IKED tells the stacks the peer's window is (--peer-window).
inline constexpr std::uint32_t libipsec_window = 128;

/// charon on PEER1 for DVA1. IKE goes to DVA1 itself, and the CHILD_SA's remote traffic
/// selector is DVA1 too: kernel-libipsec must be told to allow that, and charon's own
/// datagrams (marked 0x42 by socket-default) are kept out of the route into ipsec0
/// (kernel-netlink's rule for table 220 skips the mark).
inline charon::options peer_options() {
    charon::options o;
    o.extra_conf =
        "    plugins {\n"
        "        kernel-libipsec {\n            allow_peer_ts = yes\n        }\n"
        "        socket-default {\n            fwmark = 0x42\n        }\n"
        "        kernel-netlink {\n            fwmark = !0x42\n        }\n"
        "    }\n";
    o.extra_log = "            chd = 4\n";  // the CHILD_SA keys, for tshark
    return o;
}

inline psk_connection peer_connection() {
    psk_connection c;
    c.name = "dva1";
    c.local_addr = peer1_addr;
    c.remote_addr = dva1;
    c.psk = "zplex-fig4-dva1-peer1-presharedkey";  // FIG4's SYS1.PAGENT(MVS1)
    c.ike_proposals = "aes128gcm16-prfsha256-x25519";
    c.esp_proposals = "aes128gcm16";
    c.local_ts = std::string(peer1_addr) + "/32[tcp]";
    c.remote_ts = std::string(dva1) + "/32[tcp/60]";
    c.encap = true;  // kernel-libipsec: ESP in UDP 4500
    return c;
}

/// One ESP frame of PEER1's capture, as tshark decoded it.
struct esp_frame {
    double time = 0;        ///< when captured (Unix seconds)
    std::string mac;        ///< Ethernet source
    std::string src;        ///< outer IPv4 source
    std::string inner_src;  ///< decrypted inner source ("" when tshark could not decrypt)
    std::uint32_t spi = 0, seq = 0;
    int inner_sport = -1;
};

/// The esp_sa lines (without their ends) of a `SWSA KEYS` reply, and in @p count its
/// ZPX1761I count (-1 when the reply has none: not complete).
inline std::vector<std::string> keys_lines(const std::string& reply, int& count) {
    std::vector<std::string> out;
    count = -1;
    std::istringstream in(reply);
    for (std::string l; std::getline(in, l);) {
        if (l.rfind("\"IPv4\",", 0) == 0) out.push_back(l);
        if (l.rfind("ZPX1761I ", 0) == 0) count = std::stoi(l.substr(9));
    }
    return out;
}

inline std::vector<std::string> split(const std::string& s, char c) {
    std::vector<std::string> v;
    std::string cur;
    for (char x : s) {
        if (x == c) {
            v.push_back(cur);
            cur.clear();
        } else {
            cur += x;
        }
    }
    v.push_back(cur);
    return v;
}

/// Every ESP frame of @p pcap (ESP in UDP 4500), decrypted with @p sas (esp_sa lines).
inline std::vector<esp_frame> esp_frames(const std::filesystem::path& pcap, const std::vector<std::string>& sas) {
    std::vector<std::string> argv{"tshark", "-n", "-r", pcap.string(), "-d", "udp.port==4500,udpencap",
                                  "-o", "esp.enable_encryption_decode:TRUE"};
    for (const auto& l : sas) {
        argv.push_back("-o");
        argv.push_back("uat:esp_sa:" + l);
    }
    for (const char* x : {"-Y", "esp", "-T", "fields", "-E", "separator=;", "-e", "eth.src", "-e", "ip.src", "-e",
                          "esp.spi", "-e", "esp.sequence", "-e", "tcp.srcport", "-e", "frame.time_epoch"})
        argv.emplace_back(x);
    auto r = run(argv, 120s);
    std::vector<esp_frame> out;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
        auto f = split(line, ';');
        if (f.size() < 5 || f[2].empty() || f[3].empty()) continue;
        esp_frame e;
        e.mac = f[0];
        auto ips = split(f[1], ',');
        e.src = ips[0];
        if (ips.size() > 1) e.inner_src = ips[1];
        e.spi = static_cast<std::uint32_t>(std::stoul(f[2], nullptr, 0));
        e.seq = static_cast<std::uint32_t>(std::stoul(f[3]));
        if (!f[4].empty()) e.inner_sport = std::stoi(split(f[4], ',')[0]);
        if (f.size() > 5 && !f[5].empty()) e.time = std::stod(f[5]);
        out.push_back(e);
    }
    return out;
}

/// @p connections echo connections of @p bytes from PEER1 to DVA1:60, @p at_once at a
/// time; returns how many each image served, "BAD" counting the failures. A round with a
/// failure ends the run (what follows would only wait on the same fault).
inline std::map<std::string, int> connections(const netns& peer, int connections, int at_once, std::size_t bytes,
                                       std::string& failures) {
    std::map<std::string, int> served;
    for (int done = 0; done < connections;) {
        std::vector<child_process> cl;
        for (int k = 0; k < at_once && done + k < connections; ++k)
            cl.push_back(child_process::spawn([bytes] { return app_echo(dva1, 60, bytes); }, peer.name()));
        for (auto& c : cl) {
            auto r = c.wait(60s);
            auto at = r.out.find("IMAGE ");
            if (r.ok() && at != std::string::npos) {
                ++served[r.out.substr(at + 6, 4)];
            } else {
                ++served["BAD"];
                if (failures.size() < 2000) failures += r.out + " (status " + std::to_string(r.status) + ")\n";
            }
        }
        done += static_cast<int>(cl.size());
        if (served.count("BAD")) break;
    }
    return served;
}

/// The daemons of a SWSA e2e test: CF01 and CF02 (EZBDVIPA), the stacks of some of
/// FIG4's images (zplex-app on port 60 in each, when asked), and their IKE daemons.
struct swsa_daemons {
    explicit swsa_daemons(stack_plex& p) : plex(p) {}
    swsa_daemons(const swsa_daemons&) = delete;
    swsa_daemons& operator=(const swsa_daemons&) = delete;
    ~swsa_daemons() { stop(); }

    /// The CFs, then each stack in turn (joined: EZD1214I); "" or what went wrong.
    std::string start(const std::vector<std::string>& systems, bool with_apps) {
        cf1 = plex.start_cf("CF01");
        cf2 = plex.start_cf("CF02");
        for (const auto& sys : systems) {
            stacks[sys] = plex.start(sys);
            if (!plex.wait_log(sys, "EZD1214I")) return sys + " did not start:\n" + plex.log(sys);
            if (with_apps) apps[sys] = plex.app(sys);
        }
        return {};
    }
    /// zplex-iked of @p sys in its image (FIG4's SYS1.PAGENT(sys)), telling the stacks
    /// libipsec's window; its log is the system's log with @p tag.
    child_process& start_iked(const std::string& sys, const std::string& tag = ".iked") {
        return ikeds[sys] = child_process::exec(
                   {std::string(ZPLEX_BINARY_DIR) + "/bin/zplex-iked", "--sysplex", plex.catalogue.string(), "--system",
                    sys, "--run-dir", plex.run.string(), "--netns", plex.image(sys).name(), "--peer-window",
                    std::to_string(libipsec_window)},
                   {}, plex.log_path(sys, tag));
    }
    bool wait_iked(const std::string& sys, const std::string& text, const std::string& tag = ".iked") const {
        return plex.wait_log(sys, text, std::chrono::seconds(20), tag);
    }
    std::string iked_log(const std::string& sys, const std::string& tag = ".iked") const {
        return file_text(plex.log_path(sys, tag));
    }
    /// Everything started, in reverse; the statuses of the stacks and IKEDs that did not
    /// end with 0 ("" when all did).
    std::string stop() {
        std::string bad;
        for (auto& [sys, p] : ikeds)
            if (p.running() && p.terminate(std::chrono::seconds(5)).status != 0) bad += " IKED of " + sys;
        for (auto& [sys, p] : apps) p.terminate(std::chrono::seconds(5));
        for (auto& [sys, p] : stacks)
            if (p.running() && p.terminate(std::chrono::seconds(5)).status != 0) bad += " " + sys;
        cf2.terminate(std::chrono::seconds(5));
        cf1.terminate(std::chrono::seconds(5));
        ikeds.clear();
        apps.clear();
        stacks.clear();
        return bad;
    }

    stack_plex& plex;
    child_process cf1, cf2;
    std::map<std::string, child_process> stacks, apps, ikeds;
};

}  // namespace zplex::e2e::swsa_e2e
