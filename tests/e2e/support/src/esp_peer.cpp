// SPDX-License-Identifier: Apache-2.0
#include <zplex/e2e/esp_peer.hpp>

#include <zplex/ipsec/esp.hpp>

#include <net/if.h>  // before the linux headers (libc-compat)

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace zplex::e2e {

namespace {

volatile std::sig_atomic_t g_peer_stop = 0;
void on_term(int) { g_peer_stop = 1; }

std::uint32_t get32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

int open_tun(const std::string& name) {
    int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) return -1;
    ifreq ifr{};
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    if (::ioctl(fd, TUNSETIFF, &ifr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

int sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

/// The peer's loop, in the child, inside the namespace.
int run_peer(const esp_peer_options& o) {
    std::signal(SIGTERM, on_term);
    int tun = open_tun(o.tun);
    if (tun < 0) return std::perror("tun"), 10;
    if (sh("ip link set dev " + o.tun + " mtu 1400 up") != 0 ||
        sh("ip route replace " + o.remote + "/32 dev " + o.tun + " src " + o.local) != 0)
        return 11;
    // ESP goes out of veth0 (SO_BINDTODEVICE: the route to the address is the TUN).
    int esp = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ESP);
    int one = 1;
    if (esp < 0 || ::setsockopt(esp, IPPROTO_IP, IP_HDRINCL, &one, sizeof one) != 0 ||
        ::setsockopt(esp, SOL_SOCKET, SO_BINDTODEVICE, "veth0", 6) != 0)
        return std::perror("esp socket"), 12;
    int shut = 0;
    ::setsockopt(esp, SOL_SOCKET, SO_RCVBUF, &shut, sizeof shut);  // it only sends; the capture reads
    int cap = ::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));  // IP on, the MAC in sll_addr
    sockaddr_ll ll{};
    ll.sll_family = AF_PACKET;
    ll.sll_protocol = htons(ETH_P_IP);
    ll.sll_ifindex = static_cast<int>(::if_nametoindex("veth0"));
    if (cap < 0 || ::bind(cap, reinterpret_cast<sockaddr*>(&ll), sizeof ll) != 0) return std::perror("capture"), 13;
    // ESP in UDP comes to port 4500: a socket holds the port (else the kernel answers port
    // unreachable); it is never read, the capture takes the frames.
    int u4500 = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in ua{};
    ua.sin_family = AF_INET;
    ua.sin_port = htons(4500);
    if (o.udp_encap && (u4500 < 0 || ::bind(u4500, reinterpret_cast<sockaddr*>(&ua), sizeof ua) != 0))
        return std::perror("udp 4500"), 16;
    ::setsockopt(u4500, SOL_SOCKET, SO_RCVBUF, &shut, sizeof shut);
    int big = 4 << 20;
    ::setsockopt(cap, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);

    ipsec::sa_config c;
    c.udp_encap = o.udp_encap;
    c.spi = o.spi_out;
    c.key = o.key_out;
    auto out = ipsec::esp_sa::create(c);
    c.spi = o.spi_in;
    c.key = o.key_in;
    c.replay_window = o.window;
    auto in = ipsec::esp_sa::create(c);
    if (!out || !in) return 14;
    std::uint32_t remote = 0;
    ::inet_pton(AF_INET, o.remote.c_str(), &remote);
    remote = ntohl(remote);

    independent_window win(o.window);
    std::vector<esp_frame> frames;
    frames.reserve(1 << 16);
    ipsec::packet p;
    std::vector<std::uint8_t> buf(65536);
    std::printf("ESP PEER READY\n");
    std::fflush(stdout);
    while (!g_peer_stop) {
        pollfd fds[2] = {{tun, POLLIN, 0}, {cap, POLLIN, 0}};
        if (::poll(fds, 2, 100) <= 0) continue;
        if (fds[0].revents & POLLIN) {
            ssize_t n = ::read(tun, buf.data(), buf.size());
            if (n > 20 && p.assign(std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n))) &&
                out->encapsulate(p) == ipsec::drop::none) {
                sockaddr_in to{};
                to.sin_family = AF_INET;
                to.sin_addr.s_addr = htonl(remote);
                (void)::sendto(esp, p.data(), p.len, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
            }
        }
        if (fds[1].revents & POLLIN) {
            sockaddr_ll from{};
            socklen_t fl = sizeof from;
            ssize_t n = ::recvfrom(cap, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
            if (n < 20 + 8 || from.sll_pkttype == PACKET_OUTGOING) continue;
            const std::uint8_t* ip = buf.data();
            std::size_t hl = std::size_t{ip[0] & 0x0Fu} * 4;
            std::size_t at = hl;
            if (o.udp_encap && ip[9] == IPPROTO_UDP && static_cast<std::size_t>(n) >= hl + 16 &&
                (ip[hl + 2] << 8 | ip[hl + 3]) == 4500 && get32(ip + hl + 8) != 0)
                at = hl + 8;  // RFC 3948: ESP after the UDP header (a zero marker is IKE)
            else if (o.udp_encap || ip[9] != IPPROTO_ESP)  // in UDP mode only ESP in UDP counts
                continue;
            if (static_cast<std::size_t>(n) < at + 8) continue;
            esp_frame f;
            std::memcpy(f.mac.data(), from.sll_addr, 6);
            f.src = get32(ip + 12);
            f.spi = get32(ip + at);
            f.seq = get32(ip + at + 4);
            f.window_ok = f.spi == o.spi_in && win.accept(f.seq);
            if (f.spi == o.spi_in && p.assign(std::span<const std::uint8_t>(ip, static_cast<std::size_t>(n))) &&
                in->decapsulate(p) == ipsec::drop::none) {
                f.decrypted = true;
                (void)!::write(tun, p.data(), p.len);
            }
            frames.push_back(f);
        }
    }
    std::ofstream cf(o.capture);
    for (const auto& f : frames)
        cf << mac_text(f.mac) << ' ' << f.src << ' ' << f.spi << ' ' << f.seq << ' ' << f.window_ok << ' '
           << f.decrypted << '\n';
    return cf.good() ? 0 : 15;
}

}  // namespace

std::string mac_text(const std::array<std::uint8_t, 6>& m) {
    char b[18];
    std::snprintf(b, sizeof b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return b;
}

esp_peer::esp_peer(const netns& ns, esp_peer_options o) : _o(std::move(o)) {
    std::filesystem::path log = _o.capture;
    log += ".log";
    _proc = child_process::spawn([this] { return run_peer(_o); }, ns.name(), log);
    for (int i = 0; i < 200; ++i) {
        std::ifstream f(log);
        std::stringstream ss;
        ss << f.rdbuf();
        if (ss.str().find("ESP PEER READY") != std::string::npos) return;
        if (!_proc.running()) break;
        ::usleep(20000);
    }
    throw std::runtime_error("the ESP peer did not start (see " + log.string() + ")");
}

esp_peer::~esp_peer() {
    if (!_stopped) stop();
}

run_result esp_peer::stop() {
    _stopped = true;
    return _proc.terminate(5s);
}

std::vector<esp_frame> esp_peer::capture() const {
    std::vector<esp_frame> out;
    std::ifstream f(_o.capture);
    std::string mac;
    while (f >> mac) {
        esp_frame e;
        unsigned v[6];
        if (std::sscanf(mac.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) break;
        for (int i = 0; i < 6; ++i) e.mac[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v[i]);
        int w = 0, d = 0;
        f >> e.src >> e.spi >> e.seq >> w >> d;
        e.window_ok = w != 0;
        e.decrypted = d != 0;
        out.push_back(e);
    }
    return out;
}

}  // namespace zplex::e2e
