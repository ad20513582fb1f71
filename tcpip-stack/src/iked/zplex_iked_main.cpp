// SPDX-License-Identifier: Apache-2.0
// zplex-iked: the IKE daemon of one image for its stack's distributed DVIPAs with DVIPSEC
// (docs/swsa.md, "The IKE daemon of an image"):
//
//   zplex-iked --sysplex DIR --system MVS1 [--run-dir DIR] [--netns NS] [--policy REF]
//              [--peer-window N]
//
// The image's Policy Agent IPSec policy (default: the data set SYS1.PAGENT(<system>) of
// the catalogue) drives the IKEv2 engine (zplex_ike, through zplex_iked's policy adapter).
// Five times a second the daemon asks its stack (`NETSTAT VIPADYN` on the stack's control
// socket) which DVIPAs it distributes now; for each that is the local endpoint of a
// KeyExchangeRule it listens on UDP 500 and 4500 bound to the DVIPA. Each CHILD_SA
// negotiated goes to the stack as `SWSA INSTALL <hex>` (the SA distribution message); a
// rekey is an install that replaces the old tunnel, then `SWSA DELETE <old> REKEYED`; a
// CHILD or IKE delete is `SWSA DELETE <tunnel>`.
#include <zplex/host/iked.hpp>
#include <zplex/ike/peer.hpp>
#include <zplex/policy/policy.hpp>
#include <zplex/swsa/messages.hpp>
#include <zplex/sysplex/catalogue.hpp>
#include <zplex/sysplex/debug_option.hpp>
#include <zplex/sysplex/ipv4.hpp>
#include <zplex/sysplex/line_socket.hpp>
#include <zplex/sysplex/text.hpp>
#include <zplex/tcpip/stack/control_socket.hpp>

#include <CLI/CLI.hpp>
#include <openssl/crypto.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using namespace zplex;

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

std::string dotted(std::uint32_t a) { return sysplex::ipv4_address{a}.str(); }

void say(const std::string& m) { std::cerr << m << "\n" << std::flush; }

/// A string that held key material in hex: wiped before it goes.
struct wiped_string {
    std::string s;
    ~wiped_string() {
        if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
    }
};

/// The prefix length of the range [lo, hi] if it is one prefix, else -1.
int prefix_of(std::uint32_t lo, std::uint32_t hi) {
    for (int len = 0; len <= 32; ++len) {
        std::uint32_t mask = len == 0 ? 0 : ~std::uint32_t{0} << (32 - len);
        if ((lo & mask) == lo && (lo | ~mask) == hi) return len;
    }
    return -1;
}

/// The active DVIPAs this stack distributes, from its `NETSTAT VIPADYN` report.
std::set<std::uint32_t> distributed_dvipas(const std::string& report) {
    std::set<std::uint32_t> out;
    std::istringstream in(report);
    for (std::string line; std::getline(in, line);) {
        std::istringstream f(line);
        std::string addr, mask, status, origin, dist;
        if (!(f >> addr >> mask >> status >> origin)) continue;
        f >> dist;
        auto a = sysplex::ipv4_address::parse(addr);
        if (!a || status != "Active" || dist.rfind("Dist", 0) != 0) continue;
        out.insert(a->value);
    }
    return out;
}

struct listener {
    int fd500 = -1, fd4500 = -1;
};

int bind_udp(std::uint32_t addr, std::uint16_t port, std::string& why) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        why = std::strerror(errno);
        return -1;
    }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ::setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        why = std::strerror(errno);
        ::close(fd);
        return -1;
    }
    return fd;
}

/// What the daemon knows of one CHILD_SA it handed to the stack.
struct child {
    std::string tunnel;
    std::string connection;
    ike::ike_sa_id ike;
    std::uint32_t spi_out = 0;
    std::uint64_t lifesize = 0;   ///< bytes, sysplex-wide; 0: none
    bool rekeying = false;        ///< a lifesize rekey asked for
    std::string name;             ///< the child_config's (the policy's IpFilterRule)
};

/// True if @p ts covers protocol @p proto and port @p port (0: any) for address @p a.
bool covers(const std::vector<ike::traffic_selector>& ts, std::uint32_t a, std::uint8_t proto, std::uint16_t port) {
    for (const auto& t : ts)
        if (a >= t.start_addr && a <= t.end_addr && (t.ip_protocol == 0 || t.ip_protocol == proto) &&
            port >= t.start_port && port <= t.end_port)
            return true;
    return false;
}

/// The share of the lifesize at which the owner's IKE rekeys on the sysplex-wide count.
/// The targets' reports lag by up to their batching threshold (10 % at most each), so
/// the rekey starts early enough for the new SA to be in before the hard limit.
constexpr std::uint64_t lifesize_rekey_percent = 80;

class iked_daemon {
public:
    iked_daemon(host::iked_config cfg, std::string system, std::string stack, fs::path ctl, fs::path own,
                std::uint32_t peer_window)
        : _cfg(std::move(cfg)), _engine(_cfg.peer), _system(std::move(system)), _stack(std::move(stack)),
          _ctl(std::move(ctl)), _own(std::move(own)), _peer_window(peer_window) {
        for (const auto& c : _cfg.peer.connections) _endpoints.insert(c.local_addr);
    }
    ~iked_daemon() {
        for (auto& [a, l] : _listeners) close(l);
    }
    iked_daemon(const iked_daemon&) = delete;
    iked_daemon& operator=(const iked_daemon&) = delete;

    int run();

private:
    void refresh(ike::time_point now);
    /// The stack was started again: everything it held from this daemon is gone.
    void restarted();
    void close(listener& l) {
        if (l.fd500 >= 0) ::close(l.fd500);
        if (l.fd4500 >= 0) ::close(l.fd4500);
        l = {};
    }
    void receive(int fd, std::uint32_t local, std::uint16_t port, ike::time_point now);
    void handle(ike::output&& o);
    void install(const ike::event& e, bool rekey);
    void remove(std::map<std::uint32_t, child>::iterator it, const char* reason);
    void renegotiate(std::uint32_t dvipa, ike::time_point now);
    void forget(std::uint32_t dvipa);
    void lifesize(ike::time_point now);
    /// The IKE SA of @p connection with @p peer: the established one's id, and whether
    /// one is still being set up.
    std::pair<std::optional<ike::ike_sa_id>, bool> ike_state(const std::string& connection, std::uint32_t peer);
    /// The EZBDVIPA records @p tunnels leave every stack, replaced by @p by (ZPX1742I each).
    void replace_records(const std::vector<std::string>& tunnels, const std::string& by);
    void newconns(ike::time_point now);
    std::string request(const std::string& line);
    /// A request on the IKED's own control socket (`ipsec -k display [-r detail]`,
    /// `ipsec -y refresh -a|tunnelid`).
    std::string control(const std::string& line);
    /// ipsec -y refresh: rekey @p which (a tunnel ID, or -a for every one) now.
    std::string refresh_tunnels(const std::string& which);

    host::iked_config _cfg;
    ike::peer _engine;
    std::string _system, _stack;
    fs::path _ctl, _own;  ///< the stack's control socket; this daemon's
    std::unique_ptr<sysplex::line_server> _control;
    std::uint32_t _peer_window;
    std::map<std::uint64_t, host::ike_display_meta> _ikes;  ///< by SPIi: K<n>, generation, created
    std::uint64_t _next_k = 0;
    std::set<std::uint32_t> _endpoints;           ///< local endpoints of the policy's rules
    std::map<std::uint32_t, listener> _listeners;  ///< by DVIPA
    std::map<std::uint32_t, child> _children;      ///< by inbound SPI
    /// A takeover's renegotiations: by connection, the tunnels of EZBDVIPA records that
    /// the connection's next CHILD_SA replaces (retired on the stack once it is in).
    std::map<std::string, std::vector<std::string>> _rebuild;
    /// NEWCONN: "connection/child" being negotiated, and the children to create on an
    /// IKE SA still being set up (by connection).
    std::set<std::string> _creating;
    std::map<std::string, std::vector<std::string>> _after_ike;
    std::uint64_t _next_y = 0;
    bool _stack_down_said = false;
    std::array<long long, 4> _stack_id{};  ///< the stack's control socket (dev, inode, ctime) when it last answered
};

std::string iked_daemon::request(const std::string& line) {
    try {
        auto r = sysplex::line_request(_ctl.string(), line, std::chrono::seconds(5));
        _stack_down_said = false;
        return r;
    } catch (const std::exception& e) {
        if (!_stack_down_said) say("ZPX1721I STACK " + _stack + " NOT REACHED AT " + _ctl.string() + ": " + e.what());
        _stack_down_said = true;
        return {};
    }
}

void iked_daemon::refresh(ike::time_point now) {
    auto report = request("NETSTAT VIPADYN");
    if (report.empty()) return;
    // A stack that went and came back (its control socket made anew: another inode, or the
    // same inode number made again at another time) is a new stack: the SAs this daemon
    // installed died with the old one.
    struct stat st {};
    if (::stat(_ctl.c_str(), &st) == 0) {
        const std::array<long long, 4> id{static_cast<long long>(st.st_dev), static_cast<long long>(st.st_ino),
                                          static_cast<long long>(st.st_ctim.tv_sec), st.st_ctim.tv_nsec};
        if (_stack_id[1] && id != _stack_id) restarted();
        _stack_id = id;
    }
    auto mine = distributed_dvipas(report);
    for (auto it = _listeners.begin(); it != _listeners.end();) {
        if (!mine.count(it->first)) {
            say("ZPX1723I DVIPA " + dotted(it->first) + " NO LONGER DISTRIBUTED BY " + _stack + ": IKE STOPS LISTENING ON IT");
            close(it->second);
            forget(it->first);
            it = _listeners.erase(it);
        } else {
            ++it;
        }
    }
    for (auto a : mine) {
        if (!_endpoints.count(a) || _listeners.count(a)) continue;
        std::string why;
        listener l;
        l.fd500 = bind_udp(a, 500, why);
        if (l.fd500 >= 0) l.fd4500 = bind_udp(a, _cfg.peer.natt_port, why);
        if (l.fd4500 < 0) {
            close(l);
            say("ZPX1724E IKE CANNOT LISTEN ON DVIPA " + dotted(a) + ": " + why);
            continue;
        }
        _listeners[a] = l;
        say("ZPX1722I IKE LISTENING ON DVIPA " + dotted(a) + " PORTS 500 AND " + std::to_string(_cfg.peer.natt_port));
        renegotiate(a, now);
    }
}

void iked_daemon::restarted() {
    say("ZPX1737I STACK " + _stack + " STARTED AGAIN: THE SAS IKE GAVE IT ARE GONE; EACH IS NEGOTIATED AGAIN FROM "
        "ITS EZBDVIPA RECORD");
    // As after a takeover: the IKE SAs go without a word to the peer (the new IKE SA's
    // INITIAL_CONTACT clears them there), the records stay until their replacements are
    // in, and the DVIPAs are listened on again once the stack distributes them.
    for (auto& [a, l] : _listeners) {
        close(l);
        forget(a);
    }
    _listeners.clear();
    _children.clear();
    _creating.clear();
    _after_ike.clear();
}

void iked_daemon::lifesize(ike::time_point now) {
    // The stack counts each SA's bytes sysplex-wide (its own and its targets' reports);
    // the rekey is IKE's, as on z/OS, where the stack tells IKED of the lifesize. A line
    // that ends REKEY is an SA whose sequence counter is gone (EZBDVIPA was lost, or its
    // numbers ran out): it is rekeyed now, whatever its lifesize.
    if (_children.empty()) return;
    std::istringstream in(request("SWSA USAGE"));
    for (std::string line; std::getline(in, line);) {
        // ZPX1713I SWSA USAGE Y1 SPI IN 0A1B2C3D BYTES n OWN n TARGETS n IN n REPORTS LIFESIZE n
        std::istringstream f(line);
        std::string msg, swsa, usage, tunnel, kw_spi, kw_in, spi, kw_bytes;
        std::uint64_t bytes = 0;
        std::string kw_own, kw_targets;
        std::uint64_t own = 0, targets = 0;
        if (!(f >> msg >> swsa >> usage >> tunnel >> kw_spi >> kw_in >> spi >> kw_bytes >> bytes >> kw_own >> own >>
              kw_targets >> targets) ||
            msg != "ZPX1713I")
            continue;
        const std::string parts = " (OWN " + std::to_string(own) + ", TARGETS " + std::to_string(targets) + ")";
        bool counter_gone = line.size() >= 6 && line.compare(line.size() - 6, 6, " REKEY") == 0;
        for (auto it = _children.begin(); it != _children.end(); ++it) {
            auto& c = it->second;
            if (c.tunnel != tunnel) continue;
            if (counter_gone && !c.rekeying) {
                c.rekeying = true;
                say("ZPX1750I CHILD SA " + tunnel + " IS REKEYED: ITS SEQUENCE COUNTER IN EZBDVIPA IS GONE");
                handle(_engine.rekey_child(it->first, now));
                return;  // handle() may have changed the map
            }
            if (c.lifesize == 0) continue;
            if (bytes >= c.lifesize) {
                // Not refreshed in time: the SA ends everywhere (the targets learn to report sooner).
                say("ZPX1746I CHILD SA " + tunnel + " EXPIRED AT " + std::to_string(bytes) + " OF " +
                    std::to_string(c.lifesize) + " BYTES SYSPLEX-WIDE" + parts);
                std::uint32_t spi_in = it->first;
                remove(it, "EXPIRED");
                handle(_engine.delete_child(spi_in, now));
                return;  // the map changed
            }
            if (!c.rekeying && bytes * 100 >= c.lifesize * lifesize_rekey_percent) {
                c.rekeying = true;
                say("ZPX1745I CHILD SA " + tunnel + " IS REKEYED AT " + std::to_string(bytes) + " OF " +
                    std::to_string(c.lifesize) + " BYTES SYSPLEX-WIDE" + parts);
                handle(_engine.rekey_child(it->first, now));
                return;  // handle() may have changed the map
            }
        }
    }
}

std::pair<std::optional<ike::ike_sa_id>, bool> iked_daemon::ike_state(const std::string& connection,
                                                                      std::uint32_t peer) {
    std::optional<ike::ike_sa_id> id;
    bool setting_up = false;
    for (const auto& st : _engine.status()) {
        if (st.connection != connection || st.remote.addr != peer) continue;
        if (st.established) id = st.id;
        else setting_up = true;
    }
    return {id, setting_up};
}

void iked_daemon::replace_records(const std::vector<std::string>& tunnels, const std::string& by) {
    for (const auto& t : tunnels) {
        auto r = request("SWSA DELETE " + t + " REKEYED");
        say("ZPX1742I SA " + t + " REPLACED BY " + by + ": " + (r.empty() ? "STACK NOT REACHED" : r.substr(0, r.find('\n'))));
    }
}

void iked_daemon::newconns(ike::time_point now) {
    // A target (or our own image) sent traffic the policy protects with an SA not
    // negotiated yet (docs/swsa.md "NEWCONN"): negotiate it; the stack distributes it.
    std::istringstream in(request("SWSA NEWCONNS"));
    for (std::string line; std::getline(in, line);) {
        // ZPX1715I SWSA NEWCONN FROM MVS4 TCPIPA DVIPA a PROTOCOL 6 PORT p TO r PORT rp
        std::istringstream f(line);
        std::string msg, swsa, nc, kw_from, sys, stack, kw_dvipa, dv, kw_proto, kw_port, kw_to, re, kw_rport;
        unsigned proto = 0, lport = 0, rport = 0;
        if (!(f >> msg >> swsa >> nc >> kw_from >> sys >> stack >> kw_dvipa >> dv >> kw_proto >> proto >> kw_port >>
              lport >> kw_to >> re >> kw_rport >> rport) ||
            msg != "ZPX1715I")
            continue;
        auto d = sysplex::ipv4_address::parse(dv);
        auto r = sysplex::ipv4_address::parse(re);
        if (!d || !r) continue;
        const ike::connection_config* conn = nullptr;
        const ike::child_config* cc = nullptr;
        for (const auto& c : _cfg.peer.connections) {
            if (c.local_addr != d->value || c.remote_addr != r->value || c.remote_prefix != 32) continue;
            for (const auto& ch : c.children)
                if (!cc && covers(ch.local_ts, d->value, static_cast<std::uint8_t>(proto), static_cast<std::uint16_t>(lport)) &&
                    covers(ch.remote_ts, r->value, static_cast<std::uint8_t>(proto), static_cast<std::uint16_t>(rport))) {
                    conn = &c;
                    cc = &ch;
                }
        }
        const std::string what = "NEWCONN FROM " + sys + " FOR " + dv + " PORT " + std::to_string(lport) + " TO " + re +
                                 " PORT " + std::to_string(rport);
        if (!cc) {
            say("ZPX1748I " + what + ": NO KEYEXCHANGERULE OF " + _system + " INITIATES SUCH AN SA");
            continue;
        }
        const std::string key = conn->name + "/" + cc->name;
        bool have = _creating.count(key) > 0;
        for (const auto& [spi, c] : _children) have = have || (c.connection == conn->name && c.name == cc->name);
        if (have) continue;  // negotiated or on its way: the target gets it with the distribution
        say("ZPX1747I " + what + ": IKE NEGOTIATES " + cc->name + " (" + conn->name + ")");
        _creating.insert(key);
        auto [ike_id, setting_up] = ike_state(conn->name, r->value);
        if (ike_id) {
            handle(_engine.create_child(*ike_id, cc->name, now));
        } else if (&conn->children.front() == cc) {
            if (!setting_up) handle(_engine.initiate(conn->name, now));  // IKE_AUTH carries this child
        } else {
            _after_ike[conn->name].push_back(cc->name);
            if (!setting_up) handle(_engine.initiate(conn->name, now));
        }
    }
}

void iked_daemon::forget(std::uint32_t dvipa) {
    // Another stack holds the DVIPA now and renegotiates its SAs: ours are its to retire
    // (the stack keeps them until then). The IKE SAs go here without a word to the peer
    // (forget_ike), whose datagrams no longer reach us: the new IKE SA's INITIAL_CONTACT
    // clears them there.
    std::vector<ike::ike_sa_id> ids;
    for (const auto& st : _engine.status())
        if (st.local.addr == dvipa) ids.push_back(st.id);
    for (const auto& id : ids) {
        for (auto it = _children.begin(); it != _children.end();)
            it = it->second.ike == id ? _children.erase(it) : std::next(it);
        handle(_engine.forget_ike(id));
    }
    for (auto it = _rebuild.begin(); it != _rebuild.end();) {
        bool of_dvipa = false;
        for (const auto& c : _cfg.peer.connections) of_dvipa = of_dvipa || (c.name == it->first && c.local_addr == dvipa);
        it = of_dvipa ? _rebuild.erase(it) : std::next(it);
    }
    if (!ids.empty())
        say("ZPX1744I " + std::to_string(ids.size()) + " IKE SAS ON " + dotted(dvipa) + " FORGOTTEN: THE DVIPA MOVED");
}

void iked_daemon::renegotiate(std::uint32_t dvipa, ike::time_point now) {
    // The DVIPA is newly this stack's to distribute: after a takeover (or this daemon's
    // restart) EZBDVIPA holds the SAs negotiated for it before, which no IKE of ours
    // knows. New SAs with the same policy replace them (docs/swsa.md "Takeover").
    auto report = request("SWSA RECORDS");
    std::map<std::uint32_t, std::vector<std::string>> by_peer;
    std::map<std::string, std::string> owner_of;
    std::istringstream in(report);
    for (std::string line; std::getline(in, line);) {
        // ZPX1710I SWSA RECORD Y1 OWNER MVS1 TCPIPA DVIPA 198.18.2.1 PEER 198.18.0.200 ...
        std::istringstream f(line);
        std::string msg, swsa, record, tunnel, kw_owner, sys, stack, kw_dvipa, dv, kw_peer, pe;
        if (!(f >> msg >> swsa >> record >> tunnel >> kw_owner >> sys >> stack >> kw_dvipa >> dv >> kw_peer >> pe) ||
            msg != "ZPX1710I")
            continue;
        if (tunnel.size() > 1 && tunnel[0] == 'Y')
            _next_y = std::max<std::uint64_t>(_next_y, std::strtoull(tunnel.c_str() + 1, nullptr, 10));
        auto d = sysplex::ipv4_address::parse(dv);
        auto p = sysplex::ipv4_address::parse(pe);
        if (!d || !p || d->value != dvipa) continue;
        bool mine = false;
        for (const auto& [spi, c] : _children) mine = mine || c.tunnel == tunnel;
        if (mine) continue;
        by_peer[p->value].push_back(tunnel);
        owner_of[tunnel] = stack + " ON " + sys;
    }
    for (const auto& [peer, tunnels] : by_peer) {
        const ike::connection_config* conn = nullptr;
        for (const auto& c : _cfg.peer.connections)
            if (c.local_addr == dvipa && c.remote_addr == peer && c.remote_prefix == 32 && !c.children.empty()) conn = &c;
        for (const auto& t : tunnels) {
            if (!conn) {
                say("ZPX1741I SA " + t + " OF " + owner_of[t] + " FOR " + dotted(dvipa) +
                    " NOT RENEGOTIATED: NO KEYEXCHANGERULE OF " + _system + " INITIATES TO " + dotted(peer));
                continue;
            }
            say("ZPX1740I SA " + t + " OF " + owner_of[t] + " FOR " + dotted(dvipa) + " IS RENEGOTIATED WITH " +
                dotted(peer) + " (" + conn->name + ")");
        }
        if (!conn) continue;
        auto& pending = _rebuild[conn->name];
        bool started = !pending.empty();
        pending.insert(pending.end(), tunnels.begin(), tunnels.end());
        if (started) continue;
        // A NEWCONN may have come first (the stack, started again, sent before this pass):
        // its SA of the same policy replaces the records, and its negotiation under way is
        // the one the records wait for. A second IKE SA would give the targets two SAs.
        std::string have;
        for (const auto& [spi, c] : _children)
            if (c.connection == conn->name) have = c.tunnel;
        if (!have.empty()) {
            replace_records(pending, have);
            _rebuild.erase(conn->name);
            continue;
        }
        auto [ike_id, setting_up] = ike_state(conn->name, peer);
        if (ike_id) handle(_engine.create_child(*ike_id, conn->children.front().name, now));
        else if (!setting_up) handle(_engine.initiate(conn->name, now));
    }
}

void iked_daemon::receive(int fd, std::uint32_t local, std::uint16_t port, ike::time_point now) {
    std::vector<std::uint8_t> buf(65536);
    for (int i = 0; i < 64; ++i) {
        sockaddr_in from{};
        socklen_t fl = sizeof from;
        ssize_t n = ::recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
        if (n < 0) return;
        ike::datagram d;
        d.src = {ntohl(from.sin_addr.s_addr), ntohs(from.sin_port)};
        d.dst = {local, port};
        d.data.assign(buf.begin(), buf.begin() + n);
        handle(_engine.receive(d, now));
    }
}

void iked_daemon::handle(ike::output&& o) {
    for (const auto& d : o.datagrams) {
        auto l = _listeners.find(d.src.addr);
        if (l == _listeners.end()) continue;  // the DVIPA went meanwhile
        int fd = d.src.port == _cfg.peer.natt_port ? l->second.fd4500 : l->second.fd500;
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(d.dst.port);
        to.sin_addr.s_addr = htonl(d.dst.addr);
        ::sendto(fd, d.data.data(), d.data.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    }
    for (auto& e : o.events) {
        switch (e.type) {
        case ike::event_type::ike_up:
            _ikes[e.ike.spi_i] = {++_next_k, 1, std::chrono::system_clock::now()};
            say("ZPX0901I IKE SA ESTABLISHED " + e.connection + " SPI " + sysplex::hex64(e.ike.spi_i) + ":" +
                sysplex::hex64(e.ike.spi_r));
            if (auto it = _after_ike.find(e.connection); it != _after_ike.end()) {
                auto names = std::move(it->second);
                _after_ike.erase(it);
                for (const auto& n : names) handle(_engine.create_child(e.ike, n, ike::clock::now()));
            }
            break;
        case ike::event_type::ike_rekeyed:
            for (auto& [spi, c] : _children)
                if (c.ike == e.old_ike) c.ike = e.ike;
            if (auto old = _ikes.find(e.old_ike.spi_i); old != _ikes.end()) {
                _ikes[e.ike.spi_i] = {old->second.serial, old->second.generation + 1, std::chrono::system_clock::now()};
                _ikes.erase(e.old_ike.spi_i);
            }
            say("ZPX0910I IKE SA REKEYED " + e.connection);
            break;
        case ike::event_type::ike_down:
            for (auto it = _children.begin(); it != _children.end();) {
                auto next = std::next(it);
                if (it->second.ike == e.ike) remove(it, "");
                it = next;
            }
            _ikes.erase(e.ike.spi_i);
            say("ZPX0904I IKE SA DELETED " + e.connection + (e.reason.empty() ? "" : ": " + e.reason));
            break;
        case ike::event_type::child_up:
            install(e, false);
            break;
        case ike::event_type::child_rekeyed:
            install(e, true);
            break;
        case ike::event_type::child_deleted:
            if (auto it = _children.find(e.child.spi_in); it != _children.end()) remove(it, "");
            break;
        case ike::event_type::failed:
            for (auto it = _creating.begin(); it != _creating.end();)
                it = it->rfind(e.connection + "/", 0) == 0 ? _creating.erase(it) : std::next(it);
            _after_ike.erase(e.connection);
            if (_rebuild.erase(e.connection))
                say("ZPX1743I THE RENEGOTIATION OF " + e.connection + " FAILED: ITS OLD SAS STAY IN EZBDVIPA");
            say("ZPX0905E IKE NEGOTIATION FAILED FOR " + e.connection + ": " + e.reason +
                (e.notify ? " (NOTIFY " + std::to_string(e.notify) + ")" : ""));
            break;
        }
        if (!e.child.inbound.key.empty()) OPENSSL_cleanse(e.child.inbound.key.data(), e.child.inbound.key.size());
        if (!e.child.outbound.key.empty()) OPENSSL_cleanse(e.child.outbound.key.data(), e.child.outbound.key.size());
    }
}

void iked_daemon::remove(std::map<std::uint32_t, child>::iterator it, const char* reason) {
    std::string line = "SWSA DELETE " + it->second.tunnel + (*reason ? std::string(" ") + reason : "");
    auto r = request(line);
    say("ZPX1726I CHILD SA " + it->second.tunnel + " SPI IN " + sysplex::hex32(it->first) + " DELETED: " +
        (r.empty() ? "STACK NOT REACHED" : r.substr(0, r.find('\n'))));
    _children.erase(it);
}

void iked_daemon::install(const ike::event& e, bool rekey) {
    const auto& c = e.child;
    const ike::connection_config* conn = nullptr;
    for (const auto& x : _cfg.peer.connections)
        if (x.name == e.connection) conn = &x;
    const host::iked_child_policy* pol = nullptr;
    for (const auto& x : _cfg.children)
        if (x.connection == e.connection && x.child == c.name) pol = &x;
    std::uint32_t peer = 0;
    for (const auto& s : _engine.status())
        if (s.id == e.ike) peer = s.remote.addr;
    if (!conn || !peer) {
        say("ZPX1727E CHILD SA SPI IN " + sysplex::hex32(c.spi_in) + " OF " + e.connection + " NOT INSTALLED: NO IKE SA");
        return;
    }
    swsa::sa_distribute_message m;
    m.owner_system = _system;
    m.owner_stack = _stack;
    m.tunnel = "Y" + std::to_string(++_next_y);
    m.vpn_action = pol ? pol->vpn_action.substr(0, 48) : "";
    m.dvipa = conn->local_addr;
    m.peer = peer;
    m.protocol = 50;
    m.mode = static_cast<std::uint8_t>(c.outbound.mode);
    m.alg = static_cast<std::uint8_t>(c.outbound.alg);
    m.esn = c.outbound.esn;
    m.udp_encap = c.outbound.udp_encap;
    m.udp_src = c.outbound.udp_src;
    m.udp_dst = c.outbound.udp_dst;
    m.spi_in = c.spi_in;
    m.spi_out = c.spi_out;
    m.key_in.assign(c.inbound.key.begin(), c.inbound.key.end());
    m.key_out.assign(c.outbound.key.begin(), c.outbound.key.end());
    if (c.outbound.mode == ipsec::sa_mode::tunnel) {
        m.tunnel_src = c.outbound.tunnel_src ? c.outbound.tunnel_src : m.dvipa;
        m.tunnel_dst = c.outbound.tunnel_dst ? c.outbound.tunnel_dst : peer;
    }
    m.replay_window = std::clamp<std::uint32_t>(c.inbound.replay_window, 32, 4096);
    m.peer_window = _peer_window;
    m.counter_list = 1;  // the stack claims its own list and base
    m.lifesize = pol ? pol->lifesize_kb * 1024 : 0;
    m.lifetime_s = pol ? static_cast<std::uint64_t>(pol->lifetime.count()) * 60 : 0;
    std::string old_tunnel;
    if (rekey) {
        if (auto it = _children.find(c.replaces_spi_in); it != _children.end()) {
            old_tunnel = it->second.tunnel;
            m.replaces = old_tunnel;
        }
    }
    for (const auto& l : c.local_ts) {
        for (const auto& r : c.remote_ts) {
            int lp = prefix_of(l.start_addr, l.end_addr), rp = prefix_of(r.start_addr, r.end_addr);
            if (lp < 0 || rp < 0 || m.filters.size() + 2 > swsa::max_filters) continue;
            std::uint8_t proto = l.ip_protocol ? l.ip_protocol : r.ip_protocol;
            m.filters.push_back({r.start_addr, static_cast<std::uint8_t>(rp), l.start_addr, static_cast<std::uint8_t>(lp),
                                 proto, r.start_port, r.end_port, l.start_port, l.end_port, 0});
            m.filters.push_back({l.start_addr, static_cast<std::uint8_t>(lp), r.start_addr, static_cast<std::uint8_t>(rp),
                                 proto, l.start_port, l.end_port, r.start_port, r.end_port, 1});
        }
    }
    auto enc = swsa::encode(m);
    wiped_string line;
    line.s.reserve(16 + 2 * enc.size());
    line.s = "SWSA INSTALL ";
    line.s += sysplex::hex(std::span<const std::uint8_t>(enc.data(), enc.size()));
    auto reply = request(line.s);
    auto first = reply.substr(0, reply.find('\n'));
    say("ZPX1725I CHILD SA " + m.tunnel + " OF " + e.connection + " SPI IN " + sysplex::hex32(c.spi_in) + " OUT " +
        sysplex::hex32(c.spi_out) + (rekey ? " REKEYS " + (old_tunnel.empty() ? std::string("?") : old_tunnel) : "") +
        ": " + (first.empty() ? "STACK NOT REACHED" : first));
    if (first.find("ZPX1706I") == std::string::npos) {
        // Not on the stack: tell the peer, so it does not send under an SA nobody has.
        handle(_engine.delete_child(c.spi_in, ike::clock::now()));
        return;
    }
    _children[c.spi_in] = child{m.tunnel, e.connection, e.ike, c.spi_out, m.lifesize, false, c.name};
    _creating.erase(e.connection + "/" + c.name);
    if (!old_tunnel.empty()) remove(_children.find(c.replaces_spi_in), "REKEYED");
    if (auto rb = _rebuild.find(e.connection); rb != _rebuild.end() && !rekey) {
        replace_records(rb->second, m.tunnel);
        _rebuild.erase(rb);
    }
}

std::string iked_daemon::control(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> w;
    for (std::string t; in >> t;) w.push_back(t);
    if (w.size() >= 3 && w[0] == "ipsec" && w[1] == "-k" && w[2] == "display") {
        ipsec::report_heading h;
        h.stack_name = _stack;
        h.primary = "IKE tunnel";
        h.source = "IKED";
        h.dvipsec = true;
        h.detail = std::find(w.begin(), w.end(), "detail") != w.end();
        return ipsec::format_ike_tunnels(h, host::ike_tunnel_records(_engine, _cfg, [this](std::uint64_t spi_i) -> const host::ike_display_meta* {
                                             auto m = _ikes.find(spi_i);
                                             return m == _ikes.end() ? nullptr : &m->second;
                                         }));
    }
    if (w.size() == 4 && w[0] == "ipsec" && w[1] == "-y" && w[2] == "refresh") return refresh_tunnels(w[3]);
    return "ZPX1749I IKED OF " + _system + " TAKES ipsec -k display [-r detail] OR ipsec -y refresh -a|tunnelid, NOT: " +
           line.substr(0, 80) + "\n";
}

std::string iked_daemon::refresh_tunnels(const std::string& which) {
    // z/OS's ipsec -y refresh: each dynamic tunnel named (-a: all) is rekeyed now, as
    // its lifetime would (make-before-break: the new SA replaces it on every stack).
    std::vector<std::uint32_t> spis;
    std::string busy;
    for (const auto& [spi, c] : _children) {
        if (which != "-a" && c.tunnel != which) continue;
        if (c.rekeying) busy += " " + c.tunnel;
        else spis.push_back(spi);
    }
    if (spis.empty() && busy.empty())
        return "ZPX1752I NO DYNAMIC TUNNEL " + (which == "-a" ? std::string("IS ACTIVE") : which + " IS KNOWN") +
               " TO THE IKED OF " + _system + "\n";
    std::string names;
    for (auto spi : spis) {
        auto it = _children.find(spi);
        if (it == _children.end()) continue;  // a rekey before it replaced it
        it->second.rekeying = true;
        names += " " + it->second.tunnel;
        say("ZPX1751I CHILD SA " + it->second.tunnel + " IS REFRESHED BY THE OPERATOR (ipsec -y refresh)");
        handle(_engine.rekey_child(spi, ike::clock::now()));
    }
    return "ZPX1751I " + std::to_string(spis.size()) + " DYNAMIC TUNNEL(S) REFRESHED:" + (names.empty() ? " NONE" : names) +
           (busy.empty() ? "" : "; BEING REKEYED ALREADY:" + busy) + "\n";
}

int iked_daemon::run() {
    std::signal(SIGTERM, on_signal);
    std::signal(SIGINT, on_signal);
    std::signal(SIGPIPE, SIG_IGN);
    try {
        _control = std::make_unique<sysplex::line_server>(_own.string());
    } catch (const std::exception& e) {
        say("ZPX1736E IKED CONTROL SOCKET " + _own.string() + " NOT OPENED: " + e.what());
        return 12;
    }
    say("ZPX1720I IKE DAEMON OF " + _system + " STARTED FOR STACK " + _stack + ": " +
        std::to_string(_cfg.peer.connections.size()) + " KEYEXCHANGERULES");
    auto next_refresh = ike::clock::now(), next_usage = next_refresh;
    while (!g_stop) {
        auto now = ike::clock::now();
        if (now >= next_refresh) {
            refresh(now);
            next_refresh = now + std::chrono::milliseconds(200);
        }
        if (now >= next_usage) {
            lifesize(now);
            newconns(now);
            next_usage = now + std::chrono::milliseconds(50);
        }
        std::vector<pollfd> fds{{_control->fd(), POLLIN, 0}};
        std::vector<std::pair<std::uint32_t, std::uint16_t>> who{{0, 0}};
        for (auto& [a, l] : _listeners) {
            fds.push_back({l.fd500, POLLIN, 0});
            who.emplace_back(a, 500);
            fds.push_back({l.fd4500, POLLIN, 0});
            who.emplace_back(a, _cfg.peer.natt_port);
        }
        auto until = std::min(next_refresh, next_usage);
        if (auto t = _engine.next_timeout(); t && *t < until) until = *t;
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count();
        int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<long long>(ms, 0, 200)));
        now = ike::clock::now();
        if (n > 0)
            for (std::size_t i = 1; i < fds.size(); ++i)
                if (fds[i].revents & POLLIN) receive(fds[i].fd, who[i].first, who[i].second, now);
        _control->poll([this](const std::string& line) { return control(line); });
        handle(_engine.tick(now));
    }
    say("ZPX1729I IKE DAEMON OF " + _system + " ENDING: ITS SAS ARE DELETED ON THE STACK");
    for (auto it = _children.begin(); it != _children.end();) {
        auto next = std::next(it);
        remove(it, "");
        it = next;
    }
    return 0;
}

void enter_netns(const std::string& name) {
    std::string path = "/run/netns/" + name;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
        std::string why = std::strerror(errno);
        if (fd >= 0) ::close(fd);
        throw std::runtime_error("NETWORK NAMESPACE " + name + " NOT ENTERED: " + why);
    }
    ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"zplex-iked: the IKE daemon of one image for its stack's distributed DVIPAs (SWSA)"};
    zplex::log::add_debug_options(app);
    std::string sysplex_dir, system_name, run_dir = "run", netns, policy_ref;
    std::uint32_t peer_window = 64;
    app.add_option("--sysplex", sysplex_dir, "Sysplex catalogue folder (SYSPLEX.xml)")->required();
    app.add_option("--system", system_name, "Image (MVS1 ...)")->required();
    app.add_option("--run-dir", run_dir, "Folder of the stack's control socket");
    app.add_option("--netns", netns, "The image's network namespace");
    app.add_option("--policy", policy_ref, "IPSec policy: a data set name or file (default SYS1.PAGENT(<system>))");
    app.add_option("--peer-window", peer_window, "The peers' anti-replay window (bounds sequence number blocks)")
        ->check(CLI::Range(32u, 65536u));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);
        std::cerr << "ZPX1730E ZPLEX-IKED PARAMETER NOT VALID: " << e.what() << "\n";
        return 2;
    }
    try {
        auto cat = sysplex::catalogue::load(sysplex_dir);
        const auto* image = cat.config().find_image(sysplex::upper(system_name));
        if (!image) {
            std::cerr << "ZPX1731E SYSTEM " << system_name << " IS NOT AN IMAGE OF " << cat.config().name << "\n";
            return 8;
        }
        if (policy_ref.empty()) policy_ref = "SYS1.PAGENT(" + image->name + ")";
        std::string why;
        auto file = cat.datasets().resolve(policy_ref, &why);
        if (!file && fs::is_regular_file(policy_ref)) file = fs::path(policy_ref);
        if (!file) {
            std::cerr << "ZPX1732E IPSEC POLICY " << policy_ref << " OF " << image->name << " NOT FOUND: " << why << "\n";
            return 8;
        }
        auto pr = policy::parse_file(file->string());
        for (const auto& m : pr.messages) std::cerr << m.str() << "\n";
        auto cfg = host::iked_config_from_policy(pr.policy, false);
        for (const auto& m : cfg.messages) std::cerr << m.str() << "\n";
        if (pr.return_code() >= 8 || cfg.has_errors() || cfg.peer.connections.empty()) {
            std::cerr << "ZPX1733E IPSEC POLICY " << policy_ref << " HAS ERRORS OR NO KEYEXCHANGERULE: IKE NOT STARTED\n";
            return 8;
        }
        if (!netns.empty()) enter_netns(netns);
        iked_daemon d(std::move(cfg), image->name, image->tcpip_proc,
                 tcpip::stack::control_socket(run_dir, image->name), tcpip::stack::iked_socket(run_dir, image->name),
                 peer_window);
        return d.run();
    } catch (const sysplex::catalogue_error& e) {
        std::cerr << "ZPX1734E SYSPLEX CATALOGUE NOT USABLE: " << e.what() << "\n";
        return 8;
    } catch (const std::exception& e) {
        std::cerr << "ZPX1735E ZPLEX-IKED ENDED: " << e.what() << "\n";
        return 12;
    }
}
