// SPDX-License-Identifier: Apache-2.0
// zplex-tcpip for MVS1 of FIG4 in network namespaces: its OSA port a TAP on the LAN
// bridge, its application side a TUN in the image namespace. A client namespace on the
// bridge pings the stack's home addresses and its DVIPA, and talks TCP to a plain Linux
// server listening on the DVIPA in the image namespace.
//
//   client 198.18.0.101 --veth-- [br0 in lan] --TAP ztmvs1-- zplex-tcpip --TUN znmvs1-- image: lo 198.18.2.1 ...
#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>
#include <zplex/e2e/stack_plex.hpp>
#include <zplex/e2e/traffic.hpp>

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

/// A TCP server on addr:port answering each connection with what it reads, once.
int echo_server(const char* addr, int port) {
    int l = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = zplex::e2e::socket_address(addr, static_cast<std::uint16_t>(port));
    if (::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(l, 4) != 0) return 3;
    int c = ::accept(l, nullptr, nullptr);
    char buf[256];
    ssize_t n = ::read(c, buf, sizeof buf);
    if (n > 0) (void)::write(c, buf, static_cast<std::size_t>(n));
    ::close(c);
    return 0;
}

/// A TCP connection to addr:port (reads time out after 5 s), retried for a while as the
/// server may not listen yet; -1 when it never came.
int connect_retry(const char* addr, int port) {
    for (int attempt = 0; attempt < 50; ++attempt) {
        int s = ::socket(AF_INET, SOCK_STREAM, 0);
        timeval tv{5, 0};
        ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        sockaddr_in a = zplex::e2e::socket_address(addr, static_cast<std::uint16_t>(port));
        if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(s);
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            continue;
        }
        return s;
    }
    return -1;
}

int echo_client(const char* addr, int port) {
    int s = connect_retry(addr, port);
    if (s < 0) return 5;
    (void)::write(s, "hello dvipa", 11);
    char buf[64];
    ssize_t n = ::read(s, buf, sizeof buf);
    ::close(s);
    return n == 11 && std::string(buf, 11) == "hello dvipa" ? 0 : 4;
}

TEST(stack_e2e, client_pings_home_and_dvipa_and_talks_tcp_to_a_server_on_the_dvipa) {
    std::string why;
    if (!can_use_netns(&why)) GTEST_SKIP() << why;
    if (!fs::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun";
    sweep_stale_netns();
    stack_plex plex("home");
    auto& image = plex.image("MVS1");
    auto& client = plex.client(1);
    auto stack = plex.start("MVS1");
    fs::path sock = plex.run / "tcpip-mvs1.sock";
    std::string dyn;
    for (int i = 0; i < 200 && dyn.find("Active") == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        dyn = stack_control(sock, "NETSTAT VIPADYN");
    }
    ASSERT_NE(dyn.find("  198.18.2.1      255.255.255.0   Active    VIPADefine"), std::string::npos) << dyn;
    struct stat st {};
    ASSERT_EQ(::stat(sock.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    for (const char* to : {"198.18.0.11", "198.18.3.1", "198.18.2.1"})
        EXPECT_TRUE(ping_until(client, stack_plex::client_address(1), to, 20s)) << to;
    // A plain Linux server in the image namespace, bound to the DVIPA.
    auto server = child_process::spawn([] { return echo_server("198.18.2.1", 60); }, image.name());
    auto cl = child_process::spawn([] { return echo_client("198.18.2.1", 60); }, client.name());
    auto rc = cl.wait(30s);
    EXPECT_TRUE(rc.ok()) << rc.status << rc.out;
    server.wait(5s);

    auto home = stack_control(sock, "D TCPIP,,NETSTAT,HOME");
    EXPECT_NE(home.find("INTFNAME:   OSAQDIO1"), std::string::npos) << home;
    auto arp = stack_control(sock, "NETSTAT ARP 198.18.0.101");
    EXPECT_NE(arp.find("Querying ARP cache for address 198.18.0.101"), std::string::npos) << arp;
    // V TCPIP,,OBEYFILE: DVA1's distribution becomes HOTSTANDBY (SYS1.TCPPARMS(OBEYDIST)).
    auto obey = stack_control(sock, "V TCPIP,TCPIPA,OBEYFILE,SYS1.TCPPARMS(OBEYDIST)");
    EXPECT_NE(obey.find("EZZ0053I COMMAND VARY OBEY COMPLETED SUCCESSFULLY"), std::string::npos) << obey;
    auto cfg = stack_control(sock, "NETSTAT VIPADCFG");
    EXPECT_NE(cfg.find("        DistMethod: HotStandby  SrvType: Preferred"), std::string::npos) << cfg;
    auto end = stack.terminate(5s);
    EXPECT_EQ(end.status, 0);
    EXPECT_NE(plex.log("MVS1").find("EZD1214I INITIAL DYNAMIC VIPA PROCESSING HAS COMPLETED FOR TCPIPA"),
              std::string::npos)
        << plex.log("MVS1");
}

TEST(stack_e2e, backup_process_takes_the_dvipa_over_when_the_owner_is_killed) {
    std::string why;
    if (!can_use_netns(&why)) GTEST_SKIP() << why;
    if (!fs::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun";
    sweep_stale_netns();
    stack_plex plex("takeover");
    auto& client = plex.client(1);
    auto p1 = plex.start("MVS1");
    ASSERT_TRUE(plex.wait_log("MVS1", "EZD1214I")) << plex.log("MVS1");
    auto p2 = plex.start("MVS2");
    ASSERT_TRUE(plex.wait_log("MVS2", "EZD1214I")) << plex.log("MVS2");
    auto ping = [&] { return ping_until(client, stack_plex::client_address(1), "198.18.2.1", 20s); };
    EXPECT_TRUE(ping());
    auto before = plex.control("MVS2", "D TCPIP,,SYSPLEX,VIPADYN");
    EXPECT_NE(before.find("  TCPIPA   MVS1     ACTIVE"), std::string::npos) << before;

    ::kill(p1.pid(), SIGKILL);  // the owner's process dies; XCF fails its member
    p1.wait(5s);
    ASSERT_TRUE(plex.wait_log("MVS2", "EZZ8301I VIPA 198.18.2.1 TAKEN OVER FROM TCPIPA ON MVS1")) << plex.log("MVS2");
    EXPECT_TRUE(ping());  // gratuitous ARP moved the client to MVS2
    auto after = plex.control("MVS2", "NETSTAT VIPADYN");
    EXPECT_NE(after.find("  198.18.2.1      255.255.255.0   Active    VIPABackup"), std::string::npos) << after;
    EXPECT_EQ(p2.terminate(5s).status, 0);
}

/// Connect to addr:port, read the first line and send "ping\n", expect it back; prints the
/// first line. 0 when all went so.
int greeting_client(const char* addr, int port) {
    int s = connect_retry(addr, port);
    if (s < 0) return 5;
    std::string got;
    char c;
    while (got.size() < 200 && ::read(s, &c, 1) == 1 && c != '\n') got.push_back(c);
    std::printf("%s\n", got.c_str());
    (void)!::write(s, "ping\n", 5);
    char buf[5];
    std::size_t n = 0;
    ssize_t k;
    while (n < 5 && (k = ::read(s, buf + n, 5 - n)) > 0) n += static_cast<std::size_t>(k);
    ::close(s);
    return n == 5 && std::memcmp(buf, "ping\n", 5) == 0 ? 0 : 4;
}

TEST(stack_e2e, a_program_binding_an_address_of_a_viparange_activates_that_dvipa) {
    std::string why;
    if (!can_use_netns(&why)) GTEST_SKIP() << why;
    if (!fs::exists("/dev/net/tun")) GTEST_SKIP() << "no /dev/net/tun";
    sweep_stale_netns();
    stack_plex plex("range");
    auto& client = plex.client(1);
    auto stack = plex.start("MVS1");
    ASSERT_TRUE(plex.wait_log("MVS1", "EZD1214I")) << plex.log("MVS1");
    EXPECT_EQ(plex.control("MVS1", "NETSTAT VIPADYN").find("198.18.2.65"), std::string::npos);
    // zplex-app binds 198.18.2.65 (in MVS1's VIPARANGE 198.18.2.64/26) in the image: the
    // stack sees the listener through sock_diag and creates the DVIPA.
    auto app = child_process::exec({std::string(ZPLEX_BINARY_DIR) + "/bin/zplex-app", "--image", "MVS1", "--netns",
                                     plex.image("MVS1").name(), "--bind", "198.18.2.65", "--port", "7000"},
                                    {}, plex.dir / "app.log");
    ASSERT_TRUE(plex.wait_display("MVS1", "NETSTAT VIPADYN", "  198.18.2.65     255.255.255.192 Active    VIPARange    Bind"))
        << plex.control("MVS1", "NETSTAT VIPADYN") << file_text(plex.dir / "app.log");
    EXPECT_TRUE(plex.wait_display("MVS1", "NETSTAT VIPADYN", "JobName: ZPLEXAPP")) << plex.control("MVS1", "NETSTAT VIPADYN");
    EXPECT_TRUE(ping_until(client, stack_plex::client_address(1), "198.18.2.65", 20s));
    auto r = child_process::spawn([] { return greeting_client("198.18.2.65", 7000); }, client.name()).wait(30s);
    EXPECT_TRUE(r.ok()) << r.status << r.out;
    EXPECT_EQ(r.out.rfind("ZPLEX-APP IMAGE MVS1 STACK TCPIPA LOCAL 198.18.2.65..7000 REMOTE 198.18.0.101..", 0), 0u)
        << r.out;
    // NETSTAT CONN: the image kernel's sockets, the listener among them.
    auto conn = plex.control("MVS1", "D TCPIP,,NETSTAT,CONN");
    EXPECT_NE(conn.find("ZPLEXAPP "), std::string::npos) << conn;
    EXPECT_NE(conn.find(" LISTEN\n  LOCAL SOCKET:   198.18.2.65..7000\n  FOREIGN SOCKET: 0.0.0.0..0\n"), std::string::npos)
        << conn;
    auto all = plex.control("MVS1", "NETSTAT ALLCONN");
    EXPECT_NE(all.find(" Listen\n  Local Socket:   198.18.2.65..7000\n"), std::string::npos) << all;
    // The program ends: its listener goes, and with it the DVIPA.
    EXPECT_EQ(app.terminate(5s).status, 0);
    bool gone = false;
    for (int i = 0; i < 400 && !gone; ++i) {  // a bound, not a timing claim
        gone = plex.control("MVS1", "NETSTAT VIPADYN").find("198.18.2.65") == std::string::npos;
        if (!gone) std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(gone) << plex.control("MVS1", "NETSTAT VIPADYN");
    EXPECT_EQ(stack.terminate(5s).status, 0);
}

}  // namespace
}  // namespace zplex::e2e
