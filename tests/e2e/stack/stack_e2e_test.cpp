// SPDX-License-Identifier: Apache-2.0
// zplex-tcpip for MVS1 of FIG4 in network namespaces: its OSA port a TAP on the LAN
// bridge, its application side a TUN in the image namespace. A client namespace on the
// bridge pings the stack's home addresses and its DVIPA, and talks TCP to a plain Linux
// server listening on the DVIPA in the image namespace.
//
//   client 198.18.0.101 --veth-- [br0 in lan] --TAP ztmvs1-- zplex-tcpip --TUN znmvs1-- image: lo 198.18.2.1 ...
#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace zplex::e2e {
namespace {

namespace fs = std::filesystem;

std::string control(const fs::path& sock, const std::string& command) {
    int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, sock.c_str(), sizeof a.sun_path - 1);
    if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(s);
        return {};
    }
    std::string line = command + "\n";
    (void)::write(s, line.data(), line.size());
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(s, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    ::close(s);
    return out;
}

/// A TCP server on addr:port answering each connection with what it reads, once.
int echo_server(const char* addr, int port) {
    int l = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, addr, &a.sin_addr);
    if (::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(l, 4) != 0) return 3;
    int c = ::accept(l, nullptr, nullptr);
    char buf[256];
    ssize_t n = ::read(c, buf, sizeof buf);
    if (n > 0) (void)::write(c, buf, static_cast<std::size_t>(n));
    ::close(c);
    return 0;
}

int echo_client(const char* addr, int port) {
    for (int attempt = 0; attempt < 50; ++attempt) {
        int s = ::socket(AF_INET, SOCK_STREAM, 0);
        timeval tv{5, 0};
        ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        ::inet_pton(AF_INET, addr, &a.sin_addr);
        if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(s);
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            continue;
        }
        (void)::write(s, "hello dvipa", 11);
        char buf[64];
        ssize_t n = ::read(s, buf, sizeof buf);
        ::close(s);
        return n == 11 && std::string(buf, 11) == "hello dvipa" ? 0 : 4;
    }
    return 5;
}

/// One ICMP echo to @p addr over a raw socket (no ping binary needed); 0 when answered.
int icmp_ping(const char* addr) {
    int s = ::socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (s < 0) return 6;
    timeval tv{3, 0};
    ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ::inet_pton(AF_INET, addr, &a.sin_addr);
    for (int attempt = 0; attempt < 3; ++attempt) {
        unsigned char req[16] = {8, 0, 0, 0, 0x12, 0x34, 0, static_cast<unsigned char>(attempt), 'z', 'p', 'l', 'e', 'x'};
        std::uint32_t sum = 0;
        for (int i = 0; i < 16; i += 2) sum += static_cast<std::uint32_t>((req[i] << 8) | req[i + 1]);
        while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
        req[2] = static_cast<unsigned char>(~sum >> 8);
        req[3] = static_cast<unsigned char>(~sum);
        ::sendto(s, req, sizeof req, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
        unsigned char buf[256];
        sockaddr_in from{};
        socklen_t fl = sizeof from;
        ssize_t n;
        while ((n = ::recvfrom(s, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl)) > 0) {
            std::size_t hl = static_cast<std::size_t>(buf[0] & 0x0F) * 4;
            if (from.sin_addr.s_addr == a.sin_addr.s_addr && static_cast<std::size_t>(n) >= hl + 8 && buf[hl] == 0 &&
                buf[hl + 4] == 0x12 && buf[hl + 5] == 0x34) {
                ::close(s);
                return 0;
            }
        }
    }
    ::close(s);
    return 7;
}

TEST(stack_e2e, client_pings_home_and_dvipa_and_talks_tcp_to_a_server_on_the_dvipa) {
    std::string why;
    if (!can_use_netns(&why)) GTEST_SKIP() << why;
    if (!fs::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun";
    sweep_stale_netns();
    // A private copy of FIG4 with a sysplex name of its own (the XCF shared memory).
    fs::path tmp = fs::temp_directory_path() / ("zpxst-" + std::to_string(::getpid()));
    fs::remove_all(tmp);
    fs::create_directories(tmp / "FIG4");
    fs::copy(fs::path(ZPLEX_SOURCE_DIR) / "profiles/FIG4", tmp / "FIG4", fs::copy_options::recursive);
    {
        std::ifstream in(tmp / "FIG4/SYSPLEX.xml");
        std::stringstream ss;
        ss << in.rdbuf();
        std::string x = ss.str();
        x.replace(x.find("name=\"ZPLEX1\""), 13, "name=\"S" + std::to_string(::getpid() % 100000) + "\"");
        std::ofstream(tmp / "FIG4/SYSPLEX.xml") << x;
    }
    netns lan("lan"), image("mvs1"), client("c1");
    lan.ip({"link", "add", "br0", "type", "bridge"});
    lan.ip({"link", "set", "br0", "up"});
    client.ip({"link", "add", "veth0", "type", "veth", "peer", "name", "vc1", "netns", lan.name()});
    lan.ip({"link", "set", "vc1", "master", "br0", "up"});
    client.ip({"addr", "add", "198.18.0.101/24", "dev", "veth0"});
    client.ip({"link", "set", "veth0", "up"});
    client.ip({"route", "add", "198.18.2.0/24", "dev", "veth0"});  // DVIPAs and static VIPAs on-link
    client.ip({"route", "add", "198.18.3.0/24", "dev", "veth0"});

    fs::path run = tmp / "run";
    auto stack = child_process::exec({std::string(ZPLEX_BINARY_DIR) + "/bin/zplex-tcpip", "--sysplex",
                                      (tmp / "FIG4").string(), "--system", "MVS1", "--run-dir", run.string(),
                                      "--lan-netns", lan.name(), "--bridge", "br0", "--image-netns", image.name()},
                                     {}, tmp / "zplex-tcpip.log");
    fs::path sock = run / "tcpip-mvs1.sock";
    std::string dyn;
    for (int i = 0; i < 200 && dyn.find("Active") == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        dyn = control(sock, "NETSTAT VIPADYN");
    }
    ASSERT_NE(dyn.find("  198.18.2.1      255.255.255.0   Active    VIPADefine"), std::string::npos) << dyn;
    struct stat st {};
    ASSERT_EQ(::stat(sock.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    for (const char* to : {"198.18.0.11", "198.18.3.1", "198.18.2.1"}) {
        auto r = child_process::spawn([to] { return icmp_ping(to); }, client.name()).wait(20s);
        EXPECT_TRUE(r.ok()) << to << ": " << r.status << " " << r.out;
    }
    // A plain Linux server in the image namespace, bound to the DVIPA.
    auto server = child_process::spawn([] { return echo_server("198.18.2.1", 60); }, image.name());
    auto cl = child_process::spawn([] { return echo_client("198.18.2.1", 60); }, client.name());
    auto rc = cl.wait(30s);
    EXPECT_TRUE(rc.ok()) << rc.status << rc.out;
    server.wait(5s);

    auto home = control(sock, "D TCPIP,,NETSTAT,HOME");
    EXPECT_NE(home.find("INTFNAME:   OSAQDIO1"), std::string::npos) << home;
    auto arp = control(sock, "NETSTAT ARP 198.18.0.101");
    EXPECT_NE(arp.find("Querying ARP cache for address 198.18.0.101"), std::string::npos) << arp;
    // V TCPIP,,OBEYFILE: DVA1's distribution becomes HOTSTANDBY (SYS1.TCPPARMS(OBEYDIST)).
    auto obey = control(sock, "V TCPIP,TCPIPA,OBEYFILE,SYS1.TCPPARMS(OBEYDIST)");
    EXPECT_NE(obey.find("EZZ0053I COMMAND VARY OBEY COMPLETED SUCCESSFULLY"), std::string::npos) << obey;
    auto cfg = control(sock, "NETSTAT VIPADCFG");
    EXPECT_NE(cfg.find("        DistMethod: HotStandby  SrvType: Preferred"), std::string::npos) << cfg;
    auto end = stack.terminate(5s);
    EXPECT_EQ(end.status, 0);
    std::ifstream logf(tmp / "zplex-tcpip.log");
    std::stringstream log;
    log << logf.rdbuf();
    EXPECT_NE(log.str().find("EZD1214I INITIAL DYNAMIC VIPA PROCESSING HAS COMPLETED FOR TCPIPA"), std::string::npos)
        << log.str();
    fs::remove_all(tmp);
}

/// FIG4 copied with a sysplex name of its own (the XCF shared memory is named after it).
fs::path private_fig4(const std::string& tag) {
    fs::path tmp = fs::temp_directory_path() / ("zpxst-" + std::to_string(::getpid()) + tag);
    fs::remove_all(tmp);
    fs::create_directories(tmp / "FIG4");
    fs::copy(fs::path(ZPLEX_SOURCE_DIR) / "profiles/FIG4", tmp / "FIG4", fs::copy_options::recursive);
    std::ifstream in(tmp / "FIG4/SYSPLEX.xml");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string x = ss.str();
    x.replace(x.find("name=\"ZPLEX1\""), 13, "name=\"T" + std::to_string(::getpid() % 100000) + "\"");
    std::ofstream(tmp / "FIG4/SYSPLEX.xml") << x;
    return tmp;
}

std::string file_text(const fs::path& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

TEST(stack_e2e, backup_process_takes_the_dvipa_over_when_the_owner_is_killed) {
    std::string why;
    if (!can_use_netns(&why)) GTEST_SKIP() << why;
    if (!fs::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun";
    sweep_stale_netns();
    fs::path tmp = private_fig4("t");
    netns lan("lan"), mvs1("mvs1"), mvs2("mvs2"), client("c1");
    lan.ip({"link", "add", "br0", "type", "bridge"});
    lan.ip({"link", "set", "br0", "up"});
    client.ip({"link", "add", "veth0", "type", "veth", "peer", "name", "vc1", "netns", lan.name()});
    lan.ip({"link", "set", "vc1", "master", "br0", "up"});
    client.ip({"addr", "add", "198.18.0.101/24", "dev", "veth0"});
    client.ip({"link", "set", "veth0", "up"});
    client.ip({"route", "add", "198.18.2.0/24", "dev", "veth0"});
    fs::path run = tmp / "run";
    auto start = [&](const char* sys, const netns& image) {
        return child_process::exec({std::string(ZPLEX_BINARY_DIR) + "/bin/zplex-tcpip", "--sysplex",
                                    (tmp / "FIG4").string(), "--system", sys, "--run-dir", run.string(),
                                    "--lan-netns", lan.name(), "--bridge", "br0", "--image-netns", image.name()},
                                   {}, tmp / (std::string(sys) + ".log"));
    };
    auto p1 = start("MVS1", mvs1);
    auto wait_log = [&](const char* sys, const std::string& text) {
        for (int i = 0; i < 300; ++i) {
            if (file_text(tmp / (std::string(sys) + ".log")).find(text) != std::string::npos) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    };
    ASSERT_TRUE(wait_log("MVS1", "EZD1214I")) << file_text(tmp / "MVS1.log");
    auto p2 = start("MVS2", mvs2);
    ASSERT_TRUE(wait_log("MVS2", "EZD1214I")) << file_text(tmp / "MVS2.log");
    auto ping = [&] { return child_process::spawn([] { return icmp_ping("198.18.2.1"); }, client.name()).wait(20s); };
    EXPECT_TRUE(ping().ok());
    auto before = control(run / "tcpip-mvs2.sock", "D TCPIP,,SYSPLEX,VIPADYN");
    EXPECT_NE(before.find("  TCPIPA   MVS1     ACTIVE"), std::string::npos) << before;

    ::kill(p1.pid(), SIGKILL);  // the owner's process dies; XCF fails its member
    p1.wait(5s);
    ASSERT_TRUE(wait_log("MVS2", "EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1"))
        << file_text(tmp / "MVS2.log");
    EXPECT_TRUE(ping().ok());  // gratuitous ARP moved the client to MVS2
    auto after = control(run / "tcpip-mvs2.sock", "NETSTAT VIPADYN");
    EXPECT_NE(after.find("  198.18.2.1      255.255.255.0   Active    VIPABackup"), std::string::npos) << after;
    EXPECT_EQ(p2.terminate(5s).status, 0);
    fs::remove_all(tmp);
}

}  // namespace
}  // namespace zplex::e2e
