// SPDX-License-Identifier: Apache-2.0
// `zplex trace` (PKTTRACE) of a running FIG4 (`zplex up --no-hercules`, which starts
// MVS1's IKED and PEER1's charon: they negotiate DVA1's SA at once). During the trace
// CLIENT1 makes three plain connections to DVA1:60 and three pings, PEER1 three
// connections under the SA (distributed to MVS1, MVS2, MVS4). PREFIX.pcap holds them and
// tshark reads it; PREFIX.esp_sa (0600) holds the SA both ways, from the stacks' SWSA
// KEYS; with it, by the command zplex trace prints, tshark decrypts PEER1's protected
// SYNs (and without it does not); an --out that is a symbolic link is refused.
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

TEST(trace_e2e, fig4_lan_trace_with_the_keys_of_dva1s_sa_decrypts_the_protected_connections) {
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

    // Traffic during the trace: three plain connections to DVA1:60 and three pings from
    // CLIENT1; three connections under DVA1's SA from PEER1.
    for (const char* host : {"CLIENT1", "PEER1"}) {
        int served = 0;
        std::string said_by;
        for (int i = 0; i < 3; ++i) {
            auto c = f.run({"exec", "--run-dir", f.dir.string(), host, "--", "bash", "-c",
                            "exec 3<>/dev/tcp/198.18.2.1/60; head -1 <&3"},
                           20s);
            served += c.status == 0 && c.out.rfind("ZPLEX-APP IMAGE MVS", 0) == 0;
            said_by += c.out;
        }
        EXPECT_EQ(served, 3) << host << "\n" << said_by;
    }
    auto ping = f.run({"exec", "--run-dir", f.dir.string(), "CLIENT1", "--", "ping", "-c", "3", "-i", "0.2", "-W", "1",
                       "198.18.2.1"},
                      20s);
    EXPECT_EQ(ping.status, 0) << ping.out;

    auto end = tr.wait(40s);
    ASSERT_FALSE(end.timed_out) << file_text(log);
    EXPECT_EQ(end.status, 0) << file_text(log);
    auto said = file_text(log);
    EXPECT_NE(said.find("ZPX1887I TRACE ENDED: "), std::string::npos) << said;
    EXPECT_NE(said.find(" 2 ESP SA DIRECTIONS IN " + prefix.string() + ".esp_sa"), std::string::npos) << said;

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

    // The keys: DVA1's SA both ways (PEER1 to DVA1 in, DVA1 to PEER1 out, AES-GCM-128 with
    // its salt), each once though MVS1, MVS2 and MVS4 all hold it; every stack was asked
    // at the start and at the end of the trace.
    auto table = file_text(keys);
    EXPECT_EQ(table.rfind("# zplex trace of " + f.name, 0), 0u) << table;
    EXPECT_EQ(count_lines(table, "\"IPv4\",\"198.18.0.200\",\"198.18.2.1\",\"0x"), 1) << table;
    EXPECT_EQ(count_lines(table, "\"IPv4\",\"198.18.2.1\",\"198.18.0.200\",\"0x"), 1) << table;
    EXPECT_EQ(occurrences(table, "\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x"), 2) << table;
    EXPECT_EQ(count_lines(table, "\"IPv4\""), 2) << table;
    for (const char* sys : {"MVS1", "MVS2", "MVS3", "MVS4", "MVS5"}) {
        bool holds = std::string(sys) != "MVS3" && std::string(sys) != "MVS5";
        auto l = file_text(f.dir / "logs" / (std::string(sys) + ".TCPIPA.log"));
        EXPECT_EQ(occurrences(l, std::string("ZPX1760I THE KEYS OF ") + (holds ? "1" : "0") +
                                     " ESP SAS OF TCPIPA WERE GIVEN OUT FOR A TRACE"),
                  2)
            << sys << ": asked at the start and at the end\n" << l.substr(l.size() > 3000 ? l.size() - 3000 : 0);
    }

    // What it says to run to decrypt runs as said; with the file, tshark finds PEER1's three
    // protected SYNs to DVA1:60 inside ESP; with no keys it finds none.
    auto at = said.find("ZPX1888I TO DECRYPT: ");
    ASSERT_NE(at, std::string::npos) << said;
    std::string recipe = said.substr(at + 21, said.find('\n', at) - at - 21);
    const std::string syn_in_esp = " -Y 'esp && ip.src==198.18.0.200 && tcp.dstport==60 && tcp.flags.syn==1 && "
                                   "tcp.flags.ack==0' -T fields -e esp.spi 2>/dev/null";
    auto opened = zplex::e2e::run({"bash", "-c", recipe + syn_in_esp}, 60s);
    EXPECT_EQ(opened.status, 0) << recipe << "\n" << opened.out;
    EXPECT_EQ(count_lines(opened.out, "0x"), 3) << "PEER1's SYNs, decrypted with the exported keys\n" << opened.out;
    EXPECT_EQ(mode_of(prefix.string() + ".wireshark/esp_sa"), 0600u);
    fs::create_directories(f.tmp / "nokeys");
    auto blind = zplex::e2e::run(
        {"bash", "-c",
         "WIRESHARK_CONFIG_DIR=" + (f.tmp / "nokeys").string() + " tshark -r " + pcap.string() +
             " -o esp.enable_encryption_decode:TRUE -d udp.port==4500,udpencap" + syn_in_esp},
        60s);
    EXPECT_EQ(count_lines(blind.out, "0x"), 0) << "no SYN is seen without the keys\n" << blind.out;
    auto esp = tshark({"-n", "-r", pcap.string(), "-d", "udp.port==4500,udpencap", "-Y", "esp", "-T", "fields", "-e",
                       "esp.spi"});
    EXPECT_GT(count_lines(esp.out, "0x"), 6) << "the protected connections' ESP is in the capture\n" << esp.out;
}

}  // namespace
}  // namespace zplex::e2e
