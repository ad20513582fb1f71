// SPDX-License-Identifier: Apache-2.0
// `zplex trace` (PKTTRACE) of a running FIG4 (`zplex up --no-hercules`): connections and
// pings from CLIENT1 to DVA1 during the trace are in PREFIX.pcap, which tshark reads;
// PREFIX.esp_sa, from every stack's SWSA KEYS, is owner-only and has no SA (no IKE runs
// under `zplex up` yet); the command it prints to decrypt runs as printed; an --out that
// is a symbolic link is refused.
#include "fig4_run.hpp"

#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <thread>

namespace zplex::e2e {
namespace {

namespace fs = std::filesystem;

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    ::lstat(p.c_str(), &st);
    return st.st_mode & 07777;
}

int count_lines(const std::string& s, const std::string& start) {
    int n = 0;
    std::size_t at = 0;
    while (at < s.size()) {
        auto nl = s.find('\n', at);
        if (s.compare(at, start.size(), start) == 0) ++n;
        if (nl == std::string::npos) break;
        at = nl + 1;
    }
    return n;
}

/// tshark's standard output alone (its warnings, e.g. of running as root, left out).
run_result tshark(const std::vector<std::string>& args) {
    std::string line = "tshark";
    for (const auto& a : args) line += " '" + a + "'";
    return zplex::e2e::run({"bash", "-c", line + " 2>/dev/null"}, 60s);
}

int occurrences(const std::string& s, const std::string& what) {
    int n = 0;
    for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + what.size())) ++n;
    return n;
}

TEST(trace_e2e, fig4_lan_trace_holds_the_traffic_to_dva1_and_an_owner_only_keys_file) {
    std::string why;
    if (!can_use_netns(&why)) GTEST_SKIP() << why;
    if (!fs::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun";
    if (zplex::e2e::run({"sh", "-c", "command -v dumpcap && command -v tshark"}, 10s).status != 0)
        GTEST_SKIP() << "dumpcap or tshark is not installed (scripts/bootstrap installs tshark)";
    fig4_run f("T", 'T');
    auto u = f.up();
    ASSERT_EQ(u.status, 0) << u.out << f.logs();

    // An output path that is a symbolic link is refused; nothing is written through it.
    fs::create_symlink(f.tmp / "elsewhere", f.tmp / "bad.pcap");
    auto bad = f.run({"trace", "--run-dir", f.dir.string(), "--out", (f.tmp / "bad").string(), "--seconds", "1"});
    EXPECT_EQ(bad.status, 8) << bad.out;
    EXPECT_NE(bad.out.find("ZPX1881E " + (f.tmp / "bad.pcap").string() + " CANNOT BE WRITTEN: IT IS A SYMBOLIC LINK"),
              std::string::npos)
        << bad.out;
    EXPECT_FALSE(fs::exists(f.tmp / "elsewhere"));

    const fs::path prefix = f.tmp / "pkttrace";
    const fs::path log = f.tmp / "trace.out";
    auto tr = child_process::exec({std::string(ZPLEX_BINARY_DIR) + "/bin/zplex", "trace", "--run-dir", f.dir.string(),
                                   "--out", prefix.string(), "--seconds", "8"},
                                  "", log);
    for (int i = 0; i < 150 && file_text(log).find("ZPX1886I TRACE OF THE LAN OF " + f.name) == std::string::npos; ++i)
        std::this_thread::sleep_for(100ms);  // a bound
    ASSERT_NE(file_text(log).find("ZPX1886I TRACE OF THE LAN OF " + f.name), std::string::npos) << file_text(log);

    // Traffic during the trace: three connections to DVA1:60, three pings.
    int served = 0;
    for (int i = 0; i < 3; ++i) {
        auto c = f.run({"exec", "--run-dir", f.dir.string(), "CLIENT1", "--", "bash", "-c",
                        "exec 3<>/dev/tcp/198.18.2.1/60; head -1 <&3"},
                       20s);
        served += c.status == 0 && c.out.rfind("ZPLEX-APP IMAGE MVS", 0) == 0;
    }
    EXPECT_EQ(served, 3);
    auto ping = f.run({"exec", "--run-dir", f.dir.string(), "CLIENT1", "--", "ping", "-c", "3", "-i", "0.2", "-W", "1",
                       "198.18.2.1"},
                      20s);
    EXPECT_EQ(ping.status, 0) << ping.out;

    auto end = tr.wait(40s);
    ASSERT_FALSE(end.timed_out) << file_text(log);
    EXPECT_EQ(end.status, 0) << file_text(log);
    auto said = file_text(log);
    EXPECT_NE(said.find("ZPX1887I TRACE ENDED: "), std::string::npos) << said;
    EXPECT_NE(said.find(" 0 ESP SA DIRECTIONS IN " + prefix.string() + ".esp_sa"), std::string::npos) << said;

    // The capture: owner-only, read by tshark, with the connections and the pings.
    const fs::path pcap = prefix.string() + ".pcap", keys = prefix.string() + ".esp_sa";
    EXPECT_EQ(mode_of(pcap), 0600u);
    EXPECT_EQ(mode_of(keys), 0600u);
    auto syn = tshark({"-n", "-r", pcap.string(), "-Y",
                       "ip.dst==198.18.2.1 && tcp.dstport==60 && tcp.flags.syn==1 && tcp.flags.ack==0", "-T", "fields",
                       "-e", "eth.src"});
    EXPECT_EQ(syn.status, 0) << syn.out;
    EXPECT_EQ(count_lines(syn.out, ""), 3) << "CLIENT1's three SYNs to DVA1:60\n" << syn.out;
    auto icmp = tshark({"-n", "-r", pcap.string(), "-Y", "icmp.type==8 && ip.dst==198.18.2.1", "-T", "fields", "-e",
                        "ip.src"});
    EXPECT_EQ(count_lines(icmp.out, "198.18.0."), 3) << icmp.out;
    auto all = tshark({"-n", "-r", pcap.string()});
    EXPECT_EQ(all.status, 0) << all.out;
    EXPECT_NE(said.find("ZPX1887I TRACE ENDED: " + std::to_string(count_lines(all.out, "")) + " FRAMES IN " + pcap.string()),
              std::string::npos)
        << said << "tshark reads every frame zplex trace counted";

    // The keys: no IPsec runs under `zplex up` (no IKED yet), so the table has no SA;
    // every stack was asked, at the start and at the end.
    auto table = file_text(keys);
    EXPECT_EQ(table.rfind("# zplex trace of " + f.name, 0), 0u) << table;
    EXPECT_EQ(table.find("\"IPv4\""), std::string::npos) << table;
    for (const char* sys : {"MVS1", "MVS2", "MVS3", "MVS4", "MVS5"}) {
        auto l = file_text(f.dir / "logs" / (std::string(sys) + ".TCPIPA.log"));
        EXPECT_EQ(occurrences(l, "ZPX1760I THE KEYS OF 0 ESP SAS OF TCPIPA WERE GIVEN OUT FOR A TRACE"), 2)
            << sys << ": asked at the start and at the end\n" << l.substr(l.size() > 3000 ? l.size() - 3000 : 0);
    }

    // What it says to run to decrypt runs as said.
    auto at = said.find("ZPX1888I TO DECRYPT: ");
    ASSERT_NE(at, std::string::npos) << said;
    std::string recipe = said.substr(at + 21, said.find('\n', at) - at - 21);
    auto opened = zplex::e2e::run({"bash", "-c", recipe + " >/dev/null 2>&1"}, 60s);
    EXPECT_EQ(opened.status, 0) << recipe << "\n" << opened.out;
    EXPECT_EQ(mode_of(prefix.string() + ".wireshark/esp_sa"), 0600u);
}

}  // namespace
}  // namespace zplex::e2e
