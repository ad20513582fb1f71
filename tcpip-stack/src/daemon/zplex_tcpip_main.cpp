// SPDX-License-Identifier: Apache-2.0
// zplex-tcpip: the TCP/IP address space of one image. It processes the image's PROFILE,
// holds its OSA port as a TAP on the LAN bridge and its application side as a TUN in
// the image's namespace, joins the TCP/IP sysplex group over XCF and answers operator
// commands on a 0600 control socket.
//
//   zplex-tcpip --sysplex DIR --system MVS1 [--run-dir DIR] [--lan-netns NS --bridge BR]
//               [--image-netns NS] [--attach-image] [--no-offload] [--connections N]
#include <zplex/sysplex/catalogue.hpp>
#include <zplex/tcpip/profile/parser.hpp>
#include <zplex/tcpip/stack/control_socket.hpp>
#include <zplex/tcpip/stack/stack.hpp>
#include <zplex/tcpip/stack/xcf_sysplex.hpp>
#include <zplex/xcf/xcf.hpp>
#include <zplex/sysplex/debug_option.hpp>
#include <zplex/sysplex/line_socket.hpp>
#include <zplex/sysplex/text.hpp>

#include "offload.hpp"
#include "sock_diag.hpp"
#include "eport_link.hpp"
#include "swsa_link.hpp"

#include <CLI/CLI.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <map>
#include <filesystem>
#include <functional>
#include <fstream>
#include <set>
#include <optional>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
namespace tst = zplex::tcpip::stack;

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct env_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void enter_netns(const std::string& name) {
    if (name.empty()) return;
    std::string path = "/run/netns/" + name;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
        if (fd >= 0) ::close(fd);
        throw env_error("CANNOT ENTER NETWORK NAMESPACE " + name + ": " + std::strerror(errno));
    }
    ::close(fd);
}

int open_tun(const std::string& name, short flags) {
    int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw env_error(std::string("CANNOT OPEN /dev/net/tun: ") + std::strerror(errno));
    ifreq ifr{};
    ifr.ifr_flags = static_cast<short>(flags | IFF_NO_PI);
    std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    // EBUSY: the device is still attached to a stack before this one that is ending (a
    // stack killed while stopped, started again at once, found it so once): the kernel
    // lets it go within moments, so it is asked again for up to 10 s.
    bool said = false;
    for (int tries = 0; ::ioctl(fd, TUNSETIFF, &ifr) != 0; ++tries) {
        if (errno != EBUSY || tries >= 200) {
            int e = errno;
            ::close(fd);
            throw env_error("CANNOT CREATE DEVICE " + name + ": " + std::strerror(e));
        }
        if (!said) {
            std::printf("ZPX1047I DEVICE %s IS STILL HELD BY AN ENDING STACK: ASKED AGAIN FOR UP TO 10 S\n", name.c_str());
            std::fflush(stdout);
            said = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return fd;
}

void link_up(const std::string& name, const std::string& bridge) {
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    bool ok = ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    ok = ok && ::ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
    if (ok && !bridge.empty()) {
        ifreq idx{};
        std::strncpy(idx.ifr_name, name.c_str(), IFNAMSIZ - 1);
        ok = ::ioctl(s, SIOCGIFINDEX, &idx) == 0;
        ifreq br{};
        std::strncpy(br.ifr_name, bridge.c_str(), IFNAMSIZ - 1);
        br.ifr_ifindex = idx.ifr_ifindex;
        ok = ok && ::ioctl(s, SIOCBRADDIF, &br) == 0;
    }
    int err = errno;
    ::close(s);
    if (!ok) throw env_error("CANNOT START DEVICE " + name + (bridge.empty() ? "" : " ON BRIDGE " + bridge) + ": " +
                             std::strerror(err));
}

void ip_command(const std::string& args) {
    std::string cmd = "ip " + args + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) throw env_error("'ip " + args + "' FAILED");
}

namespace off = zplex::tcpip::daemon;

/// The TAP and the TUN. With offloads (IFF_VNET_HDR) every frame carries an offload
/// header; the LAN frame being processed may be a TCP super-frame or have a partial
/// checksum (`in`): if the core delivers it to the image it goes into the TUN as it is,
/// anything else made of it is finished (segmented, checksummed) first.
struct fd_ports : tst::lan_port, tst::app_port, tst::xcf_link_port {
    int tap = -1, tun = -1;
    bool vnet = false;
    tst::xcf_link_port* links = nullptr;
    const off::vnet_hdr* in = nullptr;   ///< the current LAN input's header, when it needs work
    const std::uint8_t* in_ip = nullptr;
    off::finisher fin;
    std::uint64_t write_errors = 0, unfinished = 0;

    void put(int fd, const off::vnet_hdr& h, tst::bytes b) noexcept {
        iovec v[2] = {{const_cast<off::vnet_hdr*>(&h), sizeof h}, {const_cast<std::uint8_t*>(b.data()), b.size()}};
        if (::writev(fd, vnet ? v : v + 1, vnet ? 2 : 1) < 0) ++write_errors;
    }
    /// True if @p ip is the current input packet (forwarded or delivered, TTL aside).
    bool is_input(const std::uint8_t* ip, std::size_t len) const noexcept {
        return in && len >= 20 && len == off::wire::get16(in_ip + 2) && std::memcmp(ip + 4, in_ip + 4, 2) == 0 &&
               std::memcmp(ip + 9, in_ip + 9, 1) == 0 && std::memcmp(ip + 12, in_ip + 12, 8) == 0;
    }
    void send_frame(tst::bytes f) noexcept override {
        off::vnet_hdr none{};
        if (f.size() > 14 && is_input(f.data() + 14, f.size() - 14)) {
            std::uint8_t eth[14];
            std::memcpy(eth, f.data(), 14);
            bool ok = fin.finish(f.data() + 14, f.size() - 14, *in, [&](const std::uint8_t* p, std::size_t n) {
                std::uint8_t frame[14 + 65536];
                std::memcpy(frame, eth, 14);
                std::memcpy(frame + 14, p, n);
                put(tap, none, tst::bytes(frame, 14 + n));
            });
            if (!ok) ++unfinished;
            return;
        }
        put(tap, none, f);
    }
    void send_packet(tst::bytes p) noexcept override {
        off::vnet_hdr h{};
        if (is_input(p.data(), p.size())) h = off::without_ethernet(*in);
        put(tun, h, p);
    }
    void send_packet(std::string_view member, tst::bytes p, tst::link_protection how) noexcept override {
        // The Sysplex Distributor sends the input to a target inside IPv4-in-IPv4: the
        // inner packet is finished, each piece under a copy of the outer header.
        std::size_t ohl = p.size() >= 20 ? static_cast<std::size_t>(p[0] & 0x0F) * 4 : 0;
        if (in && ohl >= 20 && p.size() > ohl + 20 && p[9] == 4 && is_input(p.data() + ohl, p.size() - ohl)) {
            if (!fin.finish(p.data() + ohl, p.size() - ohl, *in, [&](const std::uint8_t* q, std::size_t n) {
                    std::uint8_t pkt[60 + 65536];
                    std::memcpy(pkt, p.data(), ohl);
                    std::memcpy(pkt + ohl, q, n);
                    off::wire::put16(pkt + 2, static_cast<std::uint16_t>(ohl + n));
                    off::wire::put16(pkt + 10, 0);
                    off::wire::put16(pkt + 10, off::wire::checksum(pkt, ohl, 0));
                    links->send_packet(member, tst::bytes(pkt, ohl + n), how);
                }))
                ++unfinished;
            return;
        }
        if (!is_input(p.data(), p.size())) return links->send_packet(member, p, how);
        if (!fin.finish(p.data(), p.size(), *in, [&](const std::uint8_t* q, std::size_t n) {
                links->send_packet(member, tst::bytes(q, n), how);
            }))
            ++unfinished;
    }
};

/// Job names of the image's programs: the owners of socket inodes, from /proc/<pid>/fd,
/// as z/OS names jobs (upper case, A-Z 0-9 @ # $, 8 at most: zplex-app is ZPLEXAPP).
std::map<std::uint32_t, std::string> jobs_of(const std::set<std::uint32_t>& inodes) {
    std::map<std::uint32_t, std::string> out;
    if (inodes.empty()) return out;
    DIR* proc = ::opendir("/proc");
    if (!proc) return out;
    while (dirent* p = ::readdir(proc)) {
        if (p->d_name[0] < '1' || p->d_name[0] > '9') continue;
        std::string base = std::string("/proc/") + p->d_name;
        DIR* fds = ::opendir((base + "/fd").c_str());
        if (!fds) continue;
        while (dirent* f = ::readdir(fds)) {
            char link[64];
            ssize_t n = ::readlink((base + "/fd/" + f->d_name).c_str(), link, sizeof link - 1);
            if (n <= 8 || std::strncmp(link, "socket:[", 8) != 0) continue;
            link[n] = 0;
            auto inode = static_cast<std::uint32_t>(std::strtoul(link + 8, nullptr, 10));
            if (!inodes.count(inode) || out.count(inode)) continue;
            std::ifstream cf(base + "/comm");
            std::string comm, job;
            std::getline(cf, comm);
            for (char c : zplex::sysplex::upper(comm))
                if (job.size() < 8 && (std::isalnum(static_cast<unsigned char>(c)) || c == '@' || c == '#' || c == '$'))
                    job.push_back(c);
            out[inode] = job;
        }
        ::closedir(fds);
    }
    ::closedir(proc);
    return out;
}

/// The image's sockets through netlink sock_diag in its namespace: NETSTAT CONN/ALLCONN,
/// and the listeners the core is told of (VIPARANGE binds, a target's ready count).
struct image_sockets : tst::image_port {
    off::sock_diag::socket diag;  // opened in the image's namespace
    struct listener {
        std::uint32_t address;
        std::uint16_t port;
    };
    std::map<std::uint32_t, listener> listeners;  // by socket inode
    bool failing = false;

    bool tcp_sockets(std::vector<tst::tcp_socket>& out, std::string& why) override {
        std::vector<off::sock_diag::tcp_sock> socks;
        if (!diag.dump(off::sock_diag::all_states, socks, why)) return false;
        std::set<std::uint32_t> inodes;
        for (const auto& k : socks) inodes.insert(k.inode);
        auto jobs = jobs_of(inodes);
        static constexpr tst::tcp_state by_linux[13] = {
            tst::tcp_state::closed,      tst::tcp_state::established, tst::tcp_state::syn_sent,
            tst::tcp_state::syn_received, tst::tcp_state::fin_wait1,  tst::tcp_state::fin_wait2,
            tst::tcp_state::time_wait,   tst::tcp_state::closed,      tst::tcp_state::close_wait,
            tst::tcp_state::last_ack,    tst::tcp_state::listen,      tst::tcp_state::closing,
            tst::tcp_state::syn_received};  // 12: TCP_NEW_SYN_RECV
        for (const auto& k : socks) {
            tst::tcp_socket t;
            t.state = by_linux[k.state];
            t.local_ip = k.local_ip;
            t.remote_ip = k.remote_ip;
            t.local_port = k.local_port;
            t.remote_port = k.remote_port;
            t.id = static_cast<std::uint32_t>(k.cookie);
            auto j = jobs.find(k.inode);
            t.user = j == jobs.end() ? "" : j->second;
            out.push_back(t);
        }
        return true;
    }

    /// Tell the core which listening sockets came and went since the last call.
    void poll_listeners(tst::stack& s) {
        std::vector<off::sock_diag::tcp_sock> socks;
        std::string why;
        if (!diag.dump(off::sock_diag::listen_only, socks, why)) {
            if (!failing) std::printf("ZPX1044W THE IMAGE'S LISTENING SOCKETS CANNOT BE READ: %s\n", why.c_str());
            failing = true;
            return;  // the last known listeners stay
        }
        failing = false;
        std::set<std::uint32_t> now, fresh;
        for (const auto& k : socks) {
            if (k.state != 10) continue;  // TCP_LISTEN
            now.insert(k.inode);
            if (!listeners.count(k.inode)) fresh.insert(k.inode);
        }
        for (auto it = listeners.begin(); it != listeners.end();) {
            if (now.count(it->first)) {
                ++it;
                continue;
            }
            s.listener_removed(zplex::tcpip::profile::ipv4_address{it->second.address}, it->second.port);
            it = listeners.erase(it);
        }
        if (fresh.empty()) return;
        auto jobs = jobs_of(fresh);
        for (const auto& k : socks) {
            if (!fresh.count(k.inode) || listeners.count(k.inode)) continue;
            listeners[k.inode] = {k.local_ip, k.local_port};
            auto j = jobs.find(k.inode);
            s.listener_added(zplex::tcpip::profile::ipv4_address{k.local_ip}, k.local_port,
                             j == jobs.end() || j->second.empty() ? "OMVS" : j->second);
        }
    }
};

/// The faults matrix's XCF link impairment (docs/faults.md, "DELAY XCF LINKS"), a line of
/// the 0600 control socket, as the IKED's SWSA lines are (not an operator command):
///   XCF LINKS IMPAIR DROP bp DELAY ms   (bp: chances in 10000, 0-10000; ms: 0-1000)
///   XCF LINKS IMPAIR OFF
/// -> ZPX1045I with what was dropped and delayed so far, or ZPX1046I saying what is wrong.
std::optional<std::string> xcf_links_line(const std::string& line, tst::xcf_sysplex& port) {
    std::istringstream in(zplex::sysplex::upper(line));
    std::vector<std::string> w;
    for (std::string t; in >> t;) w.push_back(t);
    if (w.size() < 3 || w[0] != "XCF" || w[1] != "LINKS" || w[2] != "IMPAIR") return std::nullopt;
    long bp = -1, ms = -1;
    auto num = [](const std::string& t, long hi, long& v) {
        if (t.empty() || t.size() > 5 || t.find_first_not_of("0123456789") != std::string::npos) return false;
        v = std::stol(t);
        return v <= hi;
    };
    if (w.size() == 4 && w[3] == "OFF") bp = ms = 0;
    else if (!(w.size() == 7 && w[3] == "DROP" && num(w[4], 10000, bp) && w[5] == "DELAY" && num(w[6], 1000, ms)))
        return "ZPX1046I XCF LINKS IMPAIR DROP bp DELAY ms (bp 0-10000 IN 10000, ms 0-1000) OR XCF LINKS IMPAIR OFF\n";
    port.impair_links(static_cast<std::uint32_t>(bp), std::chrono::milliseconds(ms));
    return "ZPX1045I XCF LINK PACKETS IN: DROP " + std::to_string(bp) + " IN 10000, DELAY " + std::to_string(ms) +
           " MS; " + std::to_string(port.links_dropped()) + " DROPPED AND " + std::to_string(port.links_delayed()) +
           " DELAYED SO FAR\n";
}

/// V TCPIP,[proc],OBEYFILE,dsn: apply the dataset to the running profile, then to the stack.
using obey_fn = std::function<std::vector<std::string>(const std::string& dsn)>;

using zplex::sysplex::lower;
using zplex::sysplex::upper;

std::vector<std::string> run_command(const std::string& line, tst::stack& s, const obey_fn& obey) {
    if (auto out = zplex::tcpip::daemon::swsa_line(line, s)) return *out;  // the IKE daemon's SAs
    std::string u = upper(line);
    auto at = u.find(",OBEYFILE,");
    if ((u.rfind("V TCPIP,", 0) == 0 || u.rfind("VARY TCPIP,", 0) == 0) && at != std::string::npos) {
        std::string dsn = line.substr(at + 10);
        while (!dsn.empty() && (dsn.back() == ' ' || dsn.back() == '\r')) dsn.pop_back();
        return obey(dsn);
    }
    return s.command(line);
}

fs::path checked_run_dir(const fs::path& dir) {
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) {
        fs::create_directories(dir);
        ::chmod(dir.c_str(), 0700);
        if (::lstat(dir.c_str(), &st) != 0) throw env_error("CANNOT CREATE RUN DIRECTORY " + dir.native());
    }
    if (S_ISLNK(st.st_mode) && st.st_uid != ::getuid()) throw env_error("RUN DIRECTORY " + dir.native() + " IS A SYMLINK OF ANOTHER USER");
    return dir;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"zplex-tcpip: the TCP/IP stack of one image"};
    zplex::log::add_debug_options(app);
    std::string sysplex_dir, system_name, run_dir = "run", lan_ns, bridge, image_ns;
    app.add_option("--sysplex", sysplex_dir, "Sysplex catalogue folder (SYSPLEX.xml)")->required();
    app.add_option("--system", system_name, "Image (MVS1 ...)")->required();
    app.add_option("--run-dir", run_dir, "Folder of the control socket (created 0700)");
    app.add_option("--lan-netns", lan_ns, "Network namespace of the LAN bridge");
    app.add_option("--bridge", bridge, "LAN bridge the OSA port (a TAP) joins");
    app.add_option("--image-netns", image_ns, "The image's network namespace (its TUN and addresses)");
    bool attach_image = false, no_offload = false;
    // The connection table (and so the Sysplex Distributor's VCRT): 40 bytes an entry, and
    // an ended connection keeps its entry about 2 s, so 65536 entries carry some 30,000
    // new distributed connections a second (4096, the core's default, capped it near 2,000).
    std::size_t connections = 65536;
    app.add_option("--connections", connections, "Entries of the TCP connection table (VCRT), rounded up to a power of two")
        ->check(CLI::Range(std::size_t{64}, std::size_t{1} << 22));
    app.add_flag("--no-offload", no_offload,
                 "Read and write the TAP and the TUN one packet at a time (no IFF_VNET_HDR offloads)");
    app.add_flag("--attach-image", attach_image,
                 "Join XCF on the image's running system (owned by its Hercules process) instead of a system of its own");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGPIPE, SIG_IGN);
    try {
        auto cat = zplex::sysplex::catalogue::load(sysplex_dir);
        const auto* image = cat.config().find_image(system_name);
        if (!image) {
            std::fprintf(stderr, "ZPX1040E SYSTEM %s IS NOT AN IMAGE OF SYSPLEX %s\n", system_name.c_str(),
                         cat.config().name.c_str());
            return 2;
        }
        zplex::tcpip::profile::parse_options po;
        po.symbols = cat.config().symbols_for(*image);
        po.reader = zplex::tcpip::profile::catalogue_reader(cat.datasets());
        zplex::tcpip::profile::message_log log;
        auto profile = zplex::tcpip::profile::process_initial_profile(image->profile_dsn, po, log);
        for (const auto& m : log.messages()) std::printf("%s\n", m.str().c_str());
        if (log.return_code() > 4) return 8;

        zplex::xcf::sysplex_options xo;
        xo.sysplex = cat.config().name;
        xo.interval = cat.config().xcf.interval;
        {
            std::ifstream kf(fs::path(sysplex_dir) / cat.config().xcf.sysplex_key_file);
            std::stringstream ks;
            ks << kf.rdbuf();
            if (!zplex::xcf::parse_key(ks.str(), xo.key)) throw env_error("SYSPLEX KEY FILE NOT VALID");
        }
        const zplex::tcpip::profile::interface_config* osa = nullptr;
        for (const auto& i : profile.interfaces)
            if (i.type == zplex::tcpip::profile::interface_type::ipaqenet && !osa) osa = &i;
        if (!osa) throw env_error("THE PROFILE DEFINES NO IPAQENET INTERFACE");
        tst::identity id;
        id.sysname = image->name;
        id.sysclone = image->sysclone;
        id.tcpname = image->tcpip_proc;
        id.member = image->name + image->tcpip_proc;
        std::uint32_t a = osa->address.value;
        id.mac = {0x02, 0x00, static_cast<std::uint8_t>(a >> 24), static_cast<std::uint8_t>(a >> 16),
                  static_cast<std::uint8_t>(a >> 8), static_cast<std::uint8_t>(a)};

        auto dir = checked_run_dir(run_dir);
        fd_ports io;
        std::string tap = "zt" + lower(image->name), tun = "zn" + lower(image->name);
        io.vnet = !no_offload;
        short vnet = io.vnet ? IFF_VNET_HDR : 0;
        enter_netns(lan_ns);
        io.tap = open_tun(tap, static_cast<short>(IFF_TAP | vnet));
        // The bridge may hand us TCP super-frames and partial checksums: the TUN takes
        // them on, or we finish them (offload.hpp).
        if (io.vnet && ::ioctl(io.tap, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4) != 0)
            throw env_error(std::string("CANNOT SET THE OFFLOADS OF ") + tap + ": " + std::strerror(errno));
        link_up(tap, bridge);
        enter_netns(image_ns);
        // A program of the image may bind to an address of a VIPARANGE before the DVIPA
        // exists: the bind creates it (docs/stack.md). The image's kernel allows that.
        std::FILE* f = image_ns.empty() ? nullptr : std::fopen("/proc/sys/net/ipv4/ip_nonlocal_bind", "w");
        if (f) {
            std::fputs("1\n", f);
            std::fclose(f);
        }
        io.tun = open_tun(tun, static_cast<short>(IFF_TUN | vnet));
        ip_command("link set dev " + tun + " mtu " + std::to_string(osa->mtu ? osa->mtu : 1492) + " up");
        std::set<std::uint32_t> on_lo;
        auto add_lo = [&](std::uint32_t addr) {
            if (on_lo.insert(addr).second)
                ip_command("addr replace " + zplex::tcpip::profile::ipv4_address{addr}.str() + "/32 dev lo");
        };
        // A stack that starts again (after a failure) finds what its predecessor left on lo.
        ip_command("addr flush dev lo scope global");
        add_lo(osa->address.value);
        for (const auto& h : profile.home) add_lo(h.address.value);
        if (profile.ipconfig.dynamic_xcf) add_lo(profile.ipconfig.dynamic_xcf->address.value);
        ip_command("route replace default dev " + tun + " src " + osa->address.str());
        const std::set<std::uint32_t> home_lo = on_lo;  // the rest comes and goes with the DVIPAs
        image_sockets sockets;  // netlink sock_diag in the image's namespace
        if (!sockets.diag.valid())
            throw env_error(std::string("CANNOT OPEN NETLINK SOCK_DIAG IN THE IMAGE'S NAMESPACE: ") + std::strerror(errno));

        std::unique_ptr<zplex::xcf::system> sys;
        // Under Hercules the image's system is its Hercules process's (the XCFS device):
        // the stack's member joins on it, and fails when XCF partitions it.
        auto r = attach_image ? zplex::xcf::system::attach(xo, image->name, sys)
                              : zplex::xcf::system::join(xo, image->name, sys);
        if (!r)
            throw env_error("SYSTEM " + image->name + (attach_image ? " CANNOT BE ATTACHED IN SYSPLEX " : " CANNOT JOIN SYSPLEX ") +
                            xo.sysplex + ": " + to_string(r) +
                            (r.why == zplex::xcf::reason::no_such_system ? " (THE IMAGE IS NOT ACTIVE)" : ""));
        sys->start();
        std::unique_ptr<zplex::xcf::member> member;
        r = zplex::xcf::member::join(*sys, profile.globalconfig.xcf_group(), id.member, 0, member);
        if (!r) throw env_error("MEMBER " + id.member + " CANNOT JOIN GROUP " + profile.globalconfig.xcf_group() + ": " + to_string(r));
        tst::xcf_sysplex port(*sys, *member);
        io.links = &port;
        tst::system_clock clock;
        // EZBDVIPA (SWSA): the SA records and outbound sequence counters of distributed DVIPAs.
        std::string cf_message;
        auto ezbdvipa = zplex::tcpip::daemon::connect_ezbdvipa(cat.config(), id.member, cf_message);
        std::printf("%s\n", cf_message.c_str());
        tst::ports ports{&io, &io, &io, &port, &clock, nullptr, &sockets};
        ports.ezbdvipa = ezbdvipa.get();
        auto ezbeport = zplex::tcpip::daemon::connect_ezbeport(cat.config(), id.member, cf_message);
        std::printf("%s\n", cf_message.c_str());
        ports.ezbeport = ezbeport.get();
        std::uint64_t eport_generation = 0;
        tst::options sizes;
        sizes.connections = connections;
        auto s = tst::stack::create(profile, id, ports, sizes);
        for (const auto& m : zplex::tcpip::daemon::load_swsa_policy(cat, image->name, *s)) std::printf("%s\n", m.c_str());
        s->joined_group();

        obey_fn obey = [&](const std::string& dsn) {
            zplex::tcpip::profile::message_log olog;
            auto updated = profile;
            zplex::tcpip::profile::apply_obeyfile(updated, dsn, po, olog);
            std::vector<std::string> out;
            for (const auto& m : olog.messages()) out.push_back(m.str());
            profile = updated;  // statements before an error stay applied, as on z/OS
            s->apply_profile(profile);
            if (olog.return_code() <= 4) out.push_back("EZZ0053I COMMAND VARY OBEY COMPLETED SUCCESSFULLY");
            else out.push_back("ZPX1043I VARY OBEYFILE " + dsn + " ENDED WITH ERRORS, RC=" + std::to_string(olog.return_code()));
            for (const auto& l : out) std::printf("%s\n", l.c_str());
            return out;
        };
        // The control socket: a stale one of a killed predecessor is replaced, anything
        // else at the path (a file, a symlink, a live stack) is refused.
        fs::path sock = tst::control_socket(dir, image->name);
        std::unique_ptr<zplex::sysplex::line_server> control;
        try {
            zplex::sysplex::line_server::limits l;
            l.max_line = 8192;  // SWSA INSTALL carries an SA distribution in hex
            l.too_long_reply = "IEE305I COMMAND TOO LONG\n";
            l.secret = true;    // ... and so its keys: the request buffers are wiped
            control = std::make_unique<zplex::sysplex::line_server>(sock.string(), l);
        } catch (const std::system_error& e) {
            throw env_error("CANNOT LISTEN ON " + sock.native() + ": " + e.code().message());
        }
        const auto serve = [&](const std::string& line) {
            std::string out;
            if (zplex::tcpip::daemon::swsa_keys_reply(line, *s, out)) return out;  // keys: wiped by the socket
            if (auto said = xcf_links_line(line, port)) return *said;
            for (const auto& l : run_command(line, *s, obey)) out += l + "\n";
            return out;
        };
        const int ctl = control->fd();
        int ep = ::epoll_create1(EPOLL_CLOEXEC);
        // XCF's doorbell: readable when a message came while the loop slept (armed).
        const int bell = member->wakeup_fd();
        for (int fd : {io.tap, io.tun, ctl, bell}) {
            if (fd < 0) continue;
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.fd = fd;
            ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        }
        std::printf("ZPX1041I %s ON %s STARTED: OSA %s ON %s, TUN %s, CONTROL %s\n", id.tcpname.c_str(),
                    id.sysname.c_str(), tap.c_str(), bridge.empty() ? "(no bridge)" : bridge.c_str(), tun.c_str(),
                    sock.c_str());
        std::fflush(stdout);
        std::vector<std::uint8_t> buf(sizeof(off::vnet_hdr) + 14 + 65536), cut(14 + 65536);
        // The TUN has the interface's MTU and no offloads: 64 slots of a whole packet each.
        constexpr std::size_t tun_slots = 64;
        const std::size_t tun_slot = sizeof(off::vnet_hdr) + (osa->mtu ? osa->mtu : 1492) + 64;
        std::vector<std::uint8_t> tun_buf(tun_slots * tun_slot);
        std::array<std::size_t, tun_slots> tun_len{};
        std::int64_t last_tick = clock.monotonic_ms();
        unsigned ticks = 0;
        std::vector<std::uint32_t> want;
        while (!g_stop) {
            // XCF messages (control, and the Sysplex Distributor's forwarded packets) come
            // through shared memory: the loop arms XCF's doorbell before it sleeps, and a
            // sender that publishes meanwhile rings it, so a forwarded packet waits for a
            // wakeup, not for a poll (the owner's ring to a target that polled every 1 ms
            // filled in bulk and stalled the owner: docs/swsa.md "Throughput"). Without a
            // doorbell the wait is 1 ms, as before it.
            epoll_event evs[8];
            int wait_ms = bell < 0 ? 1 : member->arm() ? 5 : 0;
            if (int due = port.next_due_ms(); due >= 0 && due < wait_ms) wait_ms = due;  // a held link packet
            int n = ::epoll_wait(ep, evs, 8, wait_ms);
            // Clients that have not sent their line or taken their reply yet are served
            // on every turn; a new one wakes the loop through the listener.
            if (control->clients() > 0) control->poll(serve);
            for (int i = 0; i < n; ++i) {
                int fd = evs[i].data.fd;
                if (fd == ctl) {
                    control->poll(serve);
                    continue;
                }
                if (fd == bell) {
                    member->woken();
                    continue;
                }
                const std::size_t skip = io.vnet ? sizeof(off::vnet_hdr) : 0;
                if (fd == io.tun) {
                    // The image's packets: drained first, so the stack knows how many
                    // queue (an SA takes their sequence numbers as one block), then sent.
                    std::size_t got = 0;
                    while (got < tun_slots) {
                        ssize_t len = ::read(fd, tun_buf.data() + got * tun_slot, tun_slot);
                        if (len <= static_cast<ssize_t>(skip)) break;
                        tun_len[got++] = static_cast<std::size_t>(len);
                    }
                    s->app_burst(static_cast<std::uint32_t>(got));
                    for (std::size_t k = 0; k < got; ++k)
                        s->app_packet(tst::bytes(tun_buf.data() + k * tun_slot + skip, tun_len[k] - skip));
                    continue;
                }
                for (int k = 0; k < 64; ++k) {
                    ssize_t len = ::read(fd, buf.data(), buf.size());
                    if (len <= static_cast<ssize_t>(skip)) break;
                    tst::bytes b(buf.data() + skip, static_cast<std::size_t>(len) - skip);
                    if (fd != io.tap) {
                        s->app_packet(b);  // the TUN has no offloads: whole packets
                        continue;
                    }
                    off::vnet_hdr h{};
                    if (skip) std::memcpy(&h, buf.data(), sizeof h);
                    if (!skip || !off::needs_work(h) || b.size() < 14 + 20) {
                        s->lan_frame(b);
                        continue;
                    }
                    // A packet for an address the image does not hold is finished first:
                    // the core may forward it onto the LAN (whose MTU a super-frame
                    // exceeds), or queue it for ARP and send it after this turn.
                    std::uint32_t dst = off::wire::get32(b.data() + 14 + 16);
                    if (!on_lo.count(dst)) {
                        std::uint8_t eth[14];
                        std::memcpy(eth, b.data(), 14);
                        std::vector<std::uint8_t>& frame = cut;
                        if (!io.fin.finish(b.data() + 14, b.size() - 14, h, [&](const std::uint8_t* p, std::size_t m) {
                                std::memcpy(frame.data(), eth, 14);
                                std::memcpy(frame.data() + 14, p, m);
                                s->lan_frame(tst::bytes(frame.data(), 14 + m));
                            }))
                            ++io.unfinished;
                        continue;
                    }
                    io.in = &h;
                    io.in_ip = b.data() + 14;
                    s->lan_frame(b);
                    io.in = nullptr;
                }
            }
            port.poll(*s, std::chrono::milliseconds(0));
            if (clock.monotonic_ms() - last_tick >= 100) {
                last_tick = clock.monotonic_ms();
                s->tick();
                if (++ticks % 2 == 0) sockets.poll_listeners(*s);  // every 200 ms
            }
            // The image's kernel holds the DVIPAs active (or kept) on this stack and those
            // distributed to it. (Not from dvipas(): its connection counts walk the whole
            // connection table, which on every turn cost the distributor a quarter of its CPU.)
            s->image_dvipas(want);
            for (std::uint32_t w : want) add_lo(w);
            for (auto it = on_lo.begin(); it != on_lo.end();) {
                if (std::find(want.begin(), want.end(), *it) != want.end() || home_lo.count(*it)) {
                    ++it;
                    continue;
                }
                ip_command("addr del " + zplex::tcpip::profile::ipv4_address{*it}.str() + "/32 dev lo");
                it = on_lo.erase(it);
            }
            // SYSPLEXPORTS: the image's kernel takes its ephemeral ports from the blocks held.
            if (!image_ns.empty() && s->ephemeral_generation() != eport_generation) {
                eport_generation = s->ephemeral_generation();
                auto why = zplex::tcpip::daemon::set_ephemeral_ports(s->ephemeral_ranges());
                if (!why.empty()) std::printf("ZPX1608I EPHEMERAL PORTS OF THE IMAGE NOT SET: %s\n", why.c_str());
            }
            for (const auto& m : s->take_messages()) std::printf("%s\n", m.c_str());
            for (const auto& m : sys->take_messages()) std::printf("%s\n", m.c_str());
            std::fflush(stdout);
        }
        ::unlink(sock.c_str());
        s->release_ephemeral_ports();
        for (const auto& m : s->take_messages()) std::printf("%s\n", m.c_str());
        std::printf("ZPX1042I %s ON %s ENDED\n", id.tcpname.c_str(), id.sysname.c_str());
        return 0;
    } catch (const zplex::sysplex::catalogue_error& e) {
        std::fprintf(stderr, "ZPX1040E %s LINE %d: %s\n", e.file().c_str(), e.line(), e.what());
        return 12;
    } catch (const env_error& e) {
        std::fprintf(stderr, "ZPX1040E %s\n", e.what());
        return 12;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ZPX0002E INTERNAL ERROR: %s\n", e.what());
        return 12;
    }
}
