// SPDX-License-Identifier: Apache-2.0
#include "impair.hpp"
#include "../run_support.hpp"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <future>
#include <vector>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

namespace zplex::cli::batch {

namespace {

constexpr const char* bridge_side = "zimp0";  ///< the relay's end of the new veth pair
constexpr const char* bridge_port = "zimp1";  ///< its other end, on br0

std::uint32_t be32(const unsigned char* p) {
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

/// virtio_net_hdr: what PACKET_VNET_HDR puts before each frame (linux/virtio_net.h).
constexpr std::size_t vnet_size = 10;

/// A packet socket on @p ifname of this thread's namespace: every frame, its own sends
/// not. With PACKET_VNET_HDR: a host's kernel hands its veth frames whose TCP or UDP
/// checksum is still to be filled in and super-frames to be cut (offloads); the header
/// says so and goes out again with the frame, so the kernel finishes them on the other
/// side as it would have over the bridge (without it, every TCP segment of a Linux
/// client reached the stacks with a checksum they refuse).
int packet_socket(const std::string& ifname, std::string& why) {
    int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
    if (fd < 0) {
        why = fmt::format("PACKET SOCKET: {}", std::strerror(errno));
        return -1;
    }
    const unsigned index = ::if_nametoindex(ifname.c_str());
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(index);
    int one = 1;
    packet_mreq mr{};
    mr.mr_ifindex = static_cast<int>(index);
    mr.mr_type = PACKET_MR_PROMISC;
    if (index == 0 || ::setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) != 0 ||
        ::bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0 ||
        ::setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) != 0 ||
        ::setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) != 0) {
        why = fmt::format("PACKET SOCKET ON {}: {}", ifname, index == 0 ? "NO SUCH INTERFACE" : std::strerror(errno));
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

impairer::impairer(const impairment& i, std::uint64_t stream) noexcept
    : _i(i), _state(i.seed ^ (stream * 0x9e3779b97f4a7c15ull)) {}

impairer::fate impairer::next() noexcept {
    // splitmix64: the same seed gives the same fates, frame by frame.
    std::uint64_t z = (_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    const auto roll = static_cast<std::uint32_t>(z % 10000);
    if (roll < _i.loss_bp) return fate::drop;
    if (roll < _i.loss_bp + _i.duplicate_bp) return fate::duplicate;
    if (roll < _i.loss_bp + _i.duplicate_bp + _i.reorder_bp) return fate::hold;
    return fate::forward;
}

bool esp_to(const unsigned char* f, std::size_t n, std::uint32_t host) noexcept {
    if (n < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || (f[14] >> 4) != 4) return false;
    const unsigned char* ip = f + 14;
    const std::size_t ihl = std::size_t{ip[0] & 0x0fu} * 4;
    if (ihl < 20 || n < 14 + ihl || be32(ip + 16) != host) return false;
    if (ip[9] == 50) return true;
    const unsigned char* udp = ip + ihl;
    return ip[9] == 17 && n >= 14 + ihl + 8 + 8 && (udp[2] << 8 | udp[3]) == 4500 && be32(udp + 8) != 0;
}

lan_impairment::~lan_impairment() { stop(); }

bool lan_impairment::start(const std::string& lan_netns, const std::string& port, const impairment& i,
                           std::string& why) {
    _ns = lan_netns;
    _port = port;
    _i = i;
    if (!run::ip_ok({"-n", _ns, "link", "add", bridge_side, "type", "veth", "peer", "name", bridge_port})) {
        why = "THE RELAY'S PORT CANNOT BE MADE IN " + _ns;
        return false;
    }
    run::ip_ok({"-n", _ns, "link", "set", bridge_port, "master", "br0", "up"});
    run::ip_ok({"-n", _ns, "link", "set", bridge_side, "up"});
    // Off the bridge before the relay carries a frame: while both paths were there, a
    // frame took both and the host got it twice, counted as no duplicate of the relay's.
    run::ip_ok({"-n", _ns, "link", "set", _port, "nomaster"});
    std::promise<std::string> ready;
    auto said = ready.get_future();
    _stop = false;
    _thread = std::thread([this, &ready] {
        int fd = ::open(("/run/netns/" + _ns).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
            if (fd >= 0) ::close(fd);
            ready.set_value(fmt::format("CANNOT ENTER {}: {}", _ns, std::strerror(errno)));
            return;
        }
        ::close(fd);
        std::string err;
        int a = packet_socket(_port, err);
        int b = a < 0 ? -1 : packet_socket(bridge_side, err);
        if (b < 0) {
            if (a >= 0) ::close(a);
            ready.set_value(err);
            return;
        }
        ready.set_value("");
        relay(a, b);
        ::close(a);
        ::close(b);
    });
    why = said.get();
    if (!why.empty()) {
        _thread.join();
        run::ip_ok({"-n", _ns, "link", "del", bridge_side});
        run::ip_ok({"-n", _ns, "link", "set", _port, "master", "br0", "up"});
        return false;
    }
    _started = true;
    return true;
}

void lan_impairment::stop() {
    if (!_thread.joinable()) return;
    // The relay ends first, then the port goes back: never two paths at once.
    _stop = true;
    _thread.join();
    run::ip_ok({"-n", _ns, "link", "del", bridge_side});
    if (_started) run::ip_ok({"-n", _ns, "link", "set", _port, "master", "br0", "up"});
    _started = false;
}

void lan_impairment::relay(int a, int b) {
    // Direction 0: from the host (a) to the bridge (b); 1: from the bridge to the host.
    struct held_frame {
        std::vector<unsigned char> bytes;
        std::chrono::steady_clock::time_point since;
    };
    impairer fates[2] = {impairer(_i, 0), impairer(_i, 1)};
    std::vector<held_frame> held(2);
    std::vector<unsigned char> buf(vnet_size + 65536 + 64);  // a super-frame's 64 KiB and its headers
    const int in[2] = {a, b}, out[2] = {b, a};
    auto send = [&](int d, const unsigned char* p, std::size_t n) {
        if (::send(out[d], p, n, 0) < 0 && errno == EMSGSIZE) ++_counts.too_big;
    };
    auto flush = [&](int d) {
        if (held[d].bytes.empty()) return;
        send(d, held[d].bytes.data(), held[d].bytes.size());
        held[d].bytes.clear();
    };
    while (!_stop.load()) {
        pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
        ::poll(p, 2, 1);
        const auto now = std::chrono::steady_clock::now();
        for (int d = 0; d < 2; ++d) {
            if (!held[d].bytes.empty() && now - held[d].since > std::chrono::milliseconds(2)) flush(d);
            if (!(p[d].revents & POLLIN)) continue;
            for (int k = 0; k < 64; ++k) {
                auto n = ::recv(in[d], buf.data(), buf.size(), 0);
                if (n <= 0) break;
                if (static_cast<std::size_t>(n) <= vnet_size) continue;
                const auto len = static_cast<std::size_t>(n);
                ++_counts.frames;
                switch (fates[d].next()) {
                case impairer::fate::drop:
                    ++_counts.lost;
                    break;
                case impairer::fate::duplicate:
                    ++_counts.duplicated;
                    if (d == 1 && esp_to(buf.data() + vnet_size, len - vnet_size, _i.host_address)) ++_counts.esp_duplicated_to_host;
                    send(d, buf.data(), len);
                    send(d, buf.data(), len);
                    flush(d);
                    break;
                case impairer::fate::hold:
                    if (held[d].bytes.empty()) {
                        ++_counts.reordered;
                        held[d].bytes.assign(buf.begin(), buf.begin() + n);
                        held[d].since = now;
                        break;
                    }
                    [[fallthrough]];  // one held at a time: this one goes as it is
                case impairer::fate::forward:
                    send(d, buf.data(), len);
                    flush(d);  // a held frame goes after the one that overtook it
                    break;
                }
            }
        }
    }
    flush(0);
    flush(1);
}

}  // namespace zplex::cli::batch
