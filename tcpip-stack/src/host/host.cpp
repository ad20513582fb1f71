// SPDX-License-Identifier: Apache-2.0
// Host mode's event loop: TUN -> SPD -> SAD -> ESP -> UDP 4500, and back.
#include <zplex/host/host.hpp>

#include "tun.hpp"

#include <zplex/ipsec/bundle.hpp>
#include <zplex/ipsec/spd.hpp>
#include <zplex/sysplex/byte_order.hpp>
#include <zplex/sysplex/ipv4.hpp>

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iterator>
#include <system_error>
#include <unordered_map>
#include <vector>

namespace zplex::host {

namespace {

/// Key bytes that are no longer needed: zeroed (so the compiler cannot drop it), then freed.
void wipe_key(std::vector<std::uint8_t>& k) noexcept {
    if (!k.empty()) {
        OPENSSL_cleanse(k.data(), k.size());
    }
    k.clear();
    k.shrink_to_fit();
}


constexpr std::uint8_t proto_esp = 50;
constexpr std::uint8_t proto_ah = 51;
constexpr std::uint8_t proto_udp = 17;
constexpr std::uint8_t proto_tcp = 6;
constexpr std::size_t udp_front = 28;       ///< IPv4 + UDP header the ESP SA expects before ESP
constexpr std::size_t tailroom = 64;        ///< ESP padding and ICV
constexpr int batch = 32;                   ///< packets per syscall batch and per fd per wake-up

using sysplex::get16;
using sysplex::get32;
using sysplex::put32;

/// The selector of an IPv4 packet: addresses, protocol, ports (first fragment only).
ipsec::spd_selector selector_of(const std::uint8_t* ip, std::size_t len, ipsec::spd_direction dir) noexcept {
    ipsec::spd_selector s;
    s.src = get32(ip + 12);
    s.dst = get32(ip + 16);
    s.protocol = ip[9];
    s.direction = dir;
    std::size_t ihl = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
    bool first_fragment = (get16(ip + 6) & 0x1fff) == 0;
    if ((s.protocol == proto_tcp || s.protocol == proto_udp) && first_fragment && len >= ihl + 4) {
        s.src_port = get16(ip + ihl);
        s.dst_port = get16(ip + ihl + 2);
    }
    return s;
}

bool ts_matches(const traffic_selector& ts, std::uint32_t addr, std::uint8_t proto, std::uint16_t port) noexcept {
    return ipsec::in_prefix(addr, ts.addr, ts.prefix_len) && (!ts.protocol || *ts.protocol == proto) &&
           port >= ts.port_lo && port <= ts.port_hi;
}

std::string ip_str(std::uint32_t a) {
    return sysplex::ipv4_address{a}.str();
}

class host_impl final : public host {
public:
    host_impl(const host_config& c, sa_listener on_sa_event) : _c(c), _sad(std::move(on_sa_event)) {
        try {
            _tun = detail::open_tun(c.tun_name, c.mtu, c.disable_ipv6);
            _nat_t = detail::open_udp(c.local_addr, c.nat_t_port);
            if (c.ike_port != 0) {
                _ike = detail::open_udp(c.local_addr, c.ike_port);
            }
            _wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
            _ep = ::epoll_create1(EPOLL_CLOEXEC);
            if (_wake < 0 || _ep < 0) {
                throw std::system_error(errno, std::generic_category(), "eventfd/epoll");
            }
            watch(_tun, EPOLLIN);
            watch(_nat_t, EPOLLIN);
            if (_ike >= 0) {
                watch(_ike, EPOLLIN);
            }
            watch(_wake, EPOLLIN);
        } catch (...) {
            close_all();
            throw;
        }
        _children.reserve(64);
        _by_spi.reserve(128);
        for (std::size_t i = 0; i < static_cast<std::size_t>(batch); ++i) {
            _out_msgs[i].msg_hdr.msg_name = &_out_to[i];
            _out_msgs[i].msg_hdr.msg_iov = &_out_iov[i];
            _out_msgs[i].msg_hdr.msg_iovlen = 1;
            _in_iov[i].iov_base = _in[i].buf.data() + 128 + udp_front;
            _in_iov[i].iov_len = ipsec::packet::capacity - 128 - udp_front;
            _in_msgs[i].msg_hdr.msg_name = &_in_from[i];
            _in_msgs[i].msg_hdr.msg_iov = &_in_iov[i];
            _in_msgs[i].msg_hdr.msg_iovlen = 1;
        }
    }
    ~host_impl() override { close_all(); }

    child_id add_child(const child_config& cc) override {
        if (_by_spi.count(cc.inbound.spi) != 0) {
            return 0;
        }
        const bool bundle = cc.ah_inbound && cc.ah_outbound;
        if (bundle && _by_spi.count(cc.ah_inbound->spi) != 0) {
            return 0;
        }
        if (bundle && _raw < 0) {
            try {
                _raw = detail::open_raw(_c.local_addr, proto_ah);  // AH cannot go in UDP
                watch(_raw, EPOLLIN);
            } catch (const std::system_error&) {
                if (_raw >= 0) {
                    ::close(_raw);
                    _raw = -1;
                }
                return 0;
            }
        }
        ipsec::sa_config in = cc.inbound, out = cc.outbound;
        ipsec::sa_config ah_in = bundle ? *cc.ah_inbound : ipsec::sa_config{};
        ipsec::sa_config ah_out = bundle ? *cc.ah_outbound : ipsec::sa_config{};
        // The SAs keep their own key schedules: the copies made here go at once.
        struct wipe_on_exit {
            std::array<std::vector<std::uint8_t>*, 4> keys;
            ~wipe_on_exit() {
                for (auto* k : keys) wipe_key(*k);
            }
        } wipe_copies{{&in.key, &out.key, &ah_in.key, &ah_out.key}};
        for (auto* s : {&in, &out}) {
            s->mode = ipsec::sa_mode::tunnel;  // RFC 3948 §3: what libipsec and z/OS peers use
            s->udp_encap = !bundle;
        }
        in.tunnel_src = cc.peer_addr;
        in.tunnel_dst = _c.local_addr;
        in.udp_src = _c.nat_t_port;  // the inbound SA checks the datagram's destination port
        in.udp_dst = cc.peer_port;
        out.tunnel_src = _c.local_addr;
        out.tunnel_dst = cc.peer_addr;
        out.udp_src = _c.nat_t_port;
        out.udp_dst = cc.peer_port;
        std::unique_ptr<ipsec::security_association> in_sa, out_sa;
        if (bundle) {
            in_sa = ipsec::sa_bundle::create(in, ah_in);
            out_sa = ipsec::sa_bundle::create(out, ah_out);
        } else {
            in_sa = ipsec::esp_sa::create(in);
            out_sa = ipsec::esp_sa::create(out);
        }
        if (!in_sa || !out_sa) {
            return 0;
        }
        child ch;
        ch.id = ++_next_id;
        ch.name = "child-" + std::to_string(ch.id);
        ch.cfg = cc;
        wipe_key(ch.cfg.inbound.key);  // the record keeps addresses and SPIs, never keys
        wipe_key(ch.cfg.outbound.key);
        if (bundle) {
            wipe_key(ch.cfg.ah_inbound->key);
            wipe_key(ch.cfg.ah_outbound->key);
        }
        ch.in = in_sa.get();
        ch.out = out_sa.get();
        if (bundle) {
            // Under the AH SPI the bundle; under the ESP SPI the refusal of ESP without AH.
            if (!_sad.add_inbound(ah_in.spi, proto_ah, _c.local_addr, cc.peer_addr, std::move(in_sa), cc.life)) {
                return 0;
            }
            if (!_sad.add_inbound(in.spi, proto_esp, _c.local_addr, cc.peer_addr, ipsec::sa_bundle::esp_alone(in.spi))) {
                _sad.remove_inbound(ah_in.spi, proto_ah, _c.local_addr, cc.peer_addr);
                return 0;
            }
            _by_spi[ah_in.spi] = ch.id;
        } else if (!_sad.add_inbound(in.spi, proto_esp, _c.local_addr, cc.peer_addr, std::move(in_sa), cc.life)) {
            return 0;
        }
        _sad.add_outbound(ch.name, std::move(out_sa), cc.life);
        // Dynamic filters (RFC 4301 §4.4.1): outbound local -> remote, inbound the reverse.
        ipsec::spd_rule r;
        r.action = ipsec::spd_action::ipsec;
        r.sa_name = ch.name;
        r.name = ch.name;
        r.protocol = cc.local_ts.protocol ? cc.local_ts.protocol : cc.remote_ts.protocol;
        r.direction = ipsec::spd_direction::outbound;
        r.src = cc.local_ts.addr;
        r.src_len = cc.local_ts.prefix_len;
        r.src_port_lo = cc.local_ts.port_lo;
        r.src_port_hi = cc.local_ts.port_hi;
        r.dst = cc.remote_ts.addr;
        r.dst_len = cc.remote_ts.prefix_len;
        r.dst_port_lo = cc.remote_ts.port_lo;
        r.dst_port_hi = cc.remote_ts.port_hi;
        ch.rules[0] = r;
        std::swap(r.src, r.dst);
        std::swap(r.src_len, r.dst_len);
        std::swap(r.src_port_lo, r.dst_port_lo);
        std::swap(r.src_port_hi, r.dst_port_hi);
        r.direction = ipsec::spd_direction::inbound;
        ch.rules[1] = r;
        // Make-before-break rekey (RFC 7296 §2.8): the newest pair's filters must match
        // first, so an older pair's filters move behind the new ones (the SPD tries
        // dynamic filters in the order they were added). Older inbound SAs stay in
        // the SAD for packets still in flight until IKE removes them.
        std::vector<const child*> older;
        for (const auto& o : _children) {
            if (_spd.remove_dynamic(o.name) > 0) {
                older.push_back(&o);
            }
        }
        _spd.add_dynamic(ch.rules[0]);
        _spd.add_dynamic(ch.rules[1]);
        for (auto it = older.rbegin(); it != older.rend(); ++it) {  // newest of the old first
            _spd.add_dynamic((*it)->rules[0]);
            _spd.add_dynamic((*it)->rules[1]);
        }
        _by_spi[in.spi] = ch.id;
        _children.push_back(std::move(ch));
        return _children.back().id;
    }

    bool remove_child(child_id id) override {
        for (auto it = _children.begin(); it != _children.end(); ++it) {
            if (it->id != id) {
                continue;
            }
            _spd.remove_dynamic(it->name);
            _sad.remove_outbound(it->name);
            _sad.remove_inbound(it->cfg.inbound.spi, proto_esp, _c.local_addr, it->cfg.peer_addr);
            _by_spi.erase(it->cfg.inbound.spi);
            if (it->cfg.ah_inbound) {
                _sad.remove_inbound(it->cfg.ah_inbound->spi, proto_ah, _c.local_addr, it->cfg.peer_addr);
                _by_spi.erase(it->cfg.ah_inbound->spi);
            }
            _children.erase(it);
            return true;
        }
        return false;
    }

    void set_ike_handler(ike_handler h) override { _ike_handler = std::move(h); }
    void set_acquire_handler(acquire_handler h) override { _acquire = std::move(h); }

    bool send_ike(std::uint16_t local_port, std::uint32_t peer, std::uint16_t peer_port,
                  std::span<const std::uint8_t> message) noexcept override {
        int fd = local_port == _c.nat_t_port ? _nat_t : local_port == _c.ike_port ? _ike : -1;
        if (fd < 0 || message.size() + 4 > _ike_buf.size()) {
            return false;
        }
        std::size_t off = 0;
        if (fd == _nat_t) {  // RFC 3948 §2.2: four zero octets where ESP has its SPI
            std::memset(_ike_buf.data(), 0, 4);
            off = 4;
        }
        std::memcpy(_ike_buf.data() + off, message.data(), message.size());
        sockaddr_in to = sock(peer, peer_port);
        ssize_t n = ::sendto(fd, _ike_buf.data(), off + message.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to),
                             sizeof to);
        if (n < 0) {
            _stats.count(drop::send_error);
            return false;
        }
        _stats.ike_out.fetch_add(1, std::memory_order_relaxed);
        return true;
    }

    int run_once(int timeout_ms) noexcept override {
        epoll_event ev[8];
        int n = ::epoll_wait(_ep, ev, 8, timeout_ms);
        int handled = 0;
        for (int i = 0; i < n; ++i) {
            int fd = ev[i].data.fd;
            if (fd == _tun) {
                handled += from_tun();
            } else if (fd == _nat_t) {
                if ((ev[i].events & EPOLLOUT) && _out_ready > 0 && flush_out()) {
                    handled += from_tun();  // the TUN was paused: catch up now
                }
                if (ev[i].events & EPOLLIN) {
                    handled += from_nat_t();
                }
            } else if (fd == _ike) {
                handled += from_ike_port();
            } else if (fd == _raw) {
                handled += from_raw();
            } else if (fd == _wake) {
                std::uint64_t v;
                while (::read(_wake, &v, sizeof v) > 0) {
                }
            }
        }
        // Lifetimes and lifesizes, about once a second (RFC 4301 §4.4.2.1).
        auto now = ipsec::sad::clock::now();
        if (now - _last_check >= std::chrono::seconds(1)) {
            _last_check = now;
            _sad.check(now);
        }
        if (_c.keepalive_seconds > 0 && now - _last_keepalive >= std::chrono::seconds(_c.keepalive_seconds)) {
            _last_keepalive = now;
            send_keepalives();
        }
        return handled;
    }

    void run() noexcept override {
        while (!_stop.load(std::memory_order_relaxed)) {
            run_once(1000);
        }
    }

    void stop() noexcept override {
        _stop.store(true);
        wake();
    }

    void wake() noexcept override {
        std::uint64_t one = 1;
        [[maybe_unused]] auto r = ::write(_wake, &one, sizeof one);
    }

    const counters& stats() const noexcept override { return _stats; }

    std::optional<child_stats> stats(child_id id) const noexcept override {
        for (const auto& ch : _children) {
            if (ch.id == id) {
                return child_stats{ch.in->spi(), ch.out->spi(), ch.in->packets(), ch.in->bytes(), ch.out->packets(),
                                   ch.out->bytes()};
            }
        }
        return std::nullopt;
    }
    const host_config& config() const noexcept override { return _c; }

    std::string format_counters() const override {
        std::string o;
        auto out = std::back_inserter(o);
        for (const auto& ch : _children) {
            fmt::format_to(out, "child {} {}/{} === {}/{} peer {}:{}\n", ch.id, ip_str(ch.cfg.local_ts.addr),
                           ch.cfg.local_ts.prefix_len, ip_str(ch.cfg.remote_ts.addr), ch.cfg.remote_ts.prefix_len,
                           ip_str(ch.cfg.peer_addr), ch.cfg.peer_port);
            fmt::format_to(out, "  in  spi 0x{:x} packets {} bytes {}\n", ch.in->spi(), ch.in->packets(), ch.in->bytes());
            fmt::format_to(out, "  out spi 0x{:x} packets {} bytes {}\n", ch.out->spi(), ch.out->packets(), ch.out->bytes());
        }
        fmt::format_to(out, "tun_in {}\nesp_sent {}\nesp_received {}\ntun_out {}\nike_in {}\nike_out {}\nkeepalives {}\n",
                       _stats.tun_in, _stats.esp_sent, _stats.esp_received, _stats.tun_out, _stats.ike_in, _stats.ike_out,
                       _stats.keepalives);
        for (std::size_t i = 1; i < static_cast<std::size_t>(drop::count_); ++i) {
            auto d = static_cast<drop>(i);
            if (_stats[d] != 0) fmt::format_to(out, "drop {} {}\n", drop_name(d), _stats[d]);
        }
        for (std::size_t i = 1; i < static_cast<std::size_t>(ipsec::drop::count_); ++i) {
            auto d = static_cast<ipsec::drop>(i);
            if (_stats.esp[d] != 0) fmt::format_to(out, "esp_drop {} {}\n", ipsec::drop_name(d), _stats.esp[d]);
        }
        return o;
    }

private:
    struct child {
        child_id id = 0;
        std::string name;             ///< the outbound SA's name in the SAD and SPD
        child_config cfg;
        ipsec::security_association* in = nullptr;  ///< owned by the SAD (ESP, or a bundle)
        ipsec::security_association* out = nullptr;
        std::array<ipsec::spd_rule, 2> rules;  ///< outbound, inbound dynamic filters
    };

    static sockaddr_in sock(std::uint32_t addr, std::uint16_t port) noexcept {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(addr);
        return a;
    }

    void watch(int fd, std::uint32_t events) {
        epoll_event e{};
        e.events = events;
        e.data.fd = fd;
        if (::epoll_ctl(_ep, EPOLL_CTL_ADD, fd, &e) != 0) {
            throw std::system_error(errno, std::generic_category(), "epoll_ctl");
        }
    }

    void rewatch(int fd, std::uint32_t events) noexcept {
        epoll_event e{};
        e.events = events;
        e.data.fd = fd;
        ::epoll_ctl(_ep, EPOLL_CTL_MOD, fd, &e);
    }

    void close_all() noexcept {
        for (int* fd : {&_ep, &_wake, &_ike, &_nat_t, &_tun, &_raw}) {
            if (*fd >= 0) {
                ::close(*fd);
                *fd = -1;
            }
        }
    }

    const child* child_by_spi(std::uint32_t spi) const noexcept {
        auto it = _by_spi.find(spi);
        if (it == _by_spi.end()) {
            return nullptr;
        }
        for (const auto& c : _children) {
            if (c.id == it->second) {
                return &c;
            }
        }
        return nullptr;
    }

    /// Outbound: TUN -> SPD -> SAD -> ESP, up to `batch` packets, then one sendmmsg.
    /// While the socket is full what is left waits and the TUN is not read.
    int from_tun() noexcept {
        if (_out_ready > 0 && !flush_out()) {
            return 0;
        }
        int handled = 0;
        while (_out_ready < batch) {
            ipsec::packet& p = _out[_out_ready];
            p.head = 128;
            ssize_t n = ::read(_tun, p.buf.data() + p.head, ipsec::packet::capacity - p.head - tailroom);
            if (n <= 0) {
                break;
            }
            ++handled;
            _stats.tun_in.fetch_add(1, std::memory_order_relaxed);
            p.len = static_cast<std::size_t>(n);
            const std::uint8_t* ip = p.data();
            if (p.len < 20 || (ip[0] >> 4) != 4) {
                _stats.count(drop::not_ipv4);
                continue;
            }
            if (static_cast<std::size_t>(n) >= ipsec::packet::capacity - p.head - tailroom) {
                _stats.count(drop::too_big);
                continue;
            }
            auto sel = selector_of(ip, p.len, ipsec::spd_direction::outbound);
            auto m = _spd.lookup(sel);
            if (m.action != ipsec::spd_action::ipsec || m.rule == nullptr) {
                _stats.count(m.action == ipsec::spd_action::permit ? drop::policy_bypass : drop::policy_deny);
                if (m.action == ipsec::spd_action::deny && _acquire) {
                    _acquire(sel);
                }
                continue;
            }
            ipsec::security_association* sa = _sad.outbound(m.rule->sa_name);
            if (sa == nullptr) {
                _stats.count(drop::no_outbound_sa);
                continue;
            }
            ipsec::drop d = sa->encapsulate(p);
            if (d != ipsec::drop::none) {
                _stats.esp.count(d);
                _stats.count(drop::esp_out);
                continue;
            }
            const std::uint8_t* outer = p.data();
            if (outer[9] == proto_ah) {
                // A bundle: the whole packet (outer IPv4, AH, ESP) on the raw socket.
                sockaddr_in to = sock(get32(outer + 16), 0);
                if (::sendto(_raw, outer, p.len, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) {
                    _stats.count(drop::send_error);
                } else {
                    _stats.esp_sent.fetch_add(1, std::memory_order_relaxed);
                }
                continue;
            }
            // The SA wrote outer IPv4 + UDP; the socket supplies both, so send from ESP on.
            std::size_t i = _out_ready++;
            _out_to[i] = sock(get32(outer + 16), get16(outer + 20 + 2));
            _out_iov[i].iov_base = p.data() + udp_front;
            _out_iov[i].iov_len = p.len - udp_front;
        }
        if (_out_ready > 0) {
            flush_out();
        }
        return handled;
    }

    /// sendmmsg what is ready. False if the socket is full: EPOLLOUT is armed, the TUN
    /// paused, and the rest goes when the socket drains (backpressure, no drop).
    bool flush_out() noexcept {
        while (_out_sent < _out_ready) {
            for (std::size_t i = _out_sent; i < _out_ready; ++i) {
                _out_msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);  // sendmmsg reads, never writes it
            }
            int k = ::sendmmsg(_nat_t, &_out_msgs[_out_sent], static_cast<unsigned>(_out_ready - _out_sent),
                               MSG_DONTWAIT);
            if (k > 0) {
                _out_sent += static_cast<std::size_t>(k);
                _stats.esp_sent.fetch_add(static_cast<std::uint64_t>(k), std::memory_order_relaxed);
                continue;
            }
            if (k < 0 && errno == EINTR) {
                continue;
            }
            if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (!_waiting_out) {
                    _waiting_out = true;
                    rewatch(_nat_t, EPOLLIN | EPOLLOUT);
                    rewatch(_tun, 0);
                }
                return false;
            }
            _stats.count(drop::send_error);  // this datagram is refused (ENOBUFS, EMSGSIZE ...)
            ++_out_sent;
        }
        _out_ready = _out_sent = 0;
        if (_waiting_out) {
            _waiting_out = false;
            rewatch(_nat_t, EPOLLIN);
            rewatch(_tun, EPOLLIN);
        }
        return true;
    }

    /// Inbound on the NAT-T port: IKE (non-ESP marker), keepalive or ESP (RFC 3948 §2).
    int from_nat_t() noexcept {
        for (auto& m : _in_msgs) {
            m.msg_hdr.msg_namelen = sizeof(sockaddr_in);
        }
        int k = ::recvmmsg(_nat_t, _in_msgs.data(), batch, MSG_DONTWAIT, nullptr);
        for (int i = 0; i < k; ++i) {
            ipsec::packet& p = _in[static_cast<std::size_t>(i)];
            p.head = 128;
            std::uint8_t* d = p.buf.data() + p.head + udp_front;
            const sockaddr_in& from = _in_from[static_cast<std::size_t>(i)];
            std::size_t len = _in_msgs[static_cast<std::size_t>(i)].msg_len;
            std::uint32_t peer = ntohl(from.sin_addr.s_addr);
            std::uint16_t peer_port = ntohs(from.sin_port);
            if (_in_msgs[static_cast<std::size_t>(i)].msg_hdr.msg_flags & MSG_TRUNC) {
                _stats.count(drop::too_big);  // over 2 KiB: no ESP of ours; IKE must fragment (RFC 7383)
                continue;
            }
            if (len == 1 && d[0] == 0xff) {
                _stats.count(drop::keepalive);
                continue;
            }
            if (len < 8) {
                _stats.count(drop::udp_short);
                continue;
            }
            std::uint32_t spi = get32(d);
            if (spi == 0) {
                to_ike(_c.nat_t_port, peer, peer_port, std::span<const std::uint8_t>(d + 4, len - 4));
                continue;
            }
            _stats.esp_received.fetch_add(1, std::memory_order_relaxed);
            ipsec::security_association* sa = _sad.inbound(spi, proto_esp, _c.local_addr, peer);
            const child* ch = sa ? child_by_spi(spi) : nullptr;
            if (ch == nullptr) {
                _stats.count(drop::no_inbound_sa);
                continue;
            }
            // Rebuild the outer IPv4 + UDP header the SA checks (the socket removed it).
            std::uint8_t* ip = p.data();
            std::size_t total = udp_front + len;
            std::memset(ip, 0, udp_front);
            ip[0] = 0x45;
            ip[2] = static_cast<std::uint8_t>(total >> 8);
            ip[3] = static_cast<std::uint8_t>(total);
            ip[8] = 64;
            ip[9] = proto_udp;
            put32(ip + 12, peer);
            put32(ip + 16, _c.local_addr);
            std::uint8_t* u = ip + 20;
            u[0] = static_cast<std::uint8_t>(peer_port >> 8);
            u[1] = static_cast<std::uint8_t>(peer_port);
            u[2] = static_cast<std::uint8_t>(_c.nat_t_port >> 8);
            u[3] = static_cast<std::uint8_t>(_c.nat_t_port);
            u[4] = static_cast<std::uint8_t>((len + 8) >> 8);
            u[5] = static_cast<std::uint8_t>(len + 8);
            p.len = total;
            deliver(*sa, *ch, p);
        }
        return k > 0 ? k : 0;
    }

    /// Decapsulate @p p with @p sa, check the inner header against the child's
    /// selectors (RFC 4301 §5.2 step 4) and write it to the TUN.
    void deliver(ipsec::security_association& sa, const child& ch, ipsec::packet& p) noexcept {
        ipsec::drop r = sa.decapsulate(p);
        if (r != ipsec::drop::none) {
            _stats.esp.count(r);
            _stats.count(drop::esp_in);
            return;
        }
        const std::uint8_t* inner = p.data();
        if (p.len < 20 || (inner[0] >> 4) != 4) {
            _stats.count(drop::inner_policy);
            return;
        }
        auto s = selector_of(inner, p.len, ipsec::spd_direction::inbound);
        if (!ts_matches(ch.cfg.remote_ts, s.src, s.protocol, s.src_port) ||
            !ts_matches(ch.cfg.local_ts, s.dst, s.protocol, s.dst_port)) {
            _stats.count(drop::inner_policy);
            return;
        }
        if (::write(_tun, inner, p.len) < 0) {
            _stats.count(drop::tun_write_error);
            return;
        }
        _stats.tun_out.fetch_add(1, std::memory_order_relaxed);
    }

    /// Inbound AH (bundles): the raw socket gives whole IPv4 packets, header and all.
    int from_raw() noexcept {
        int handled = 0;
        for (; handled < batch; ++handled) {
            ipsec::packet& p = _in[0];
            p.head = 128;
            ssize_t n = ::recv(_raw, p.buf.data() + p.head, ipsec::packet::capacity - p.head, MSG_DONTWAIT | MSG_TRUNC);
            if (n < 0) {
                break;
            }
            if (static_cast<std::size_t>(n) > ipsec::packet::capacity - p.head) {
                _stats.count(drop::too_big);
                continue;
            }
            p.len = static_cast<std::size_t>(n);
            const std::uint8_t* ip = p.data();
            std::size_t ihl = p.len >= 20 ? static_cast<std::size_t>(ip[0] & 0x0f) * 4 : 0;
            if (ihl < 20 || p.len < ihl + 12 || (ip[0] >> 4) != 4 || ip[9] != proto_ah) {
                _stats.count(drop::ah_short);
                continue;
            }
            _stats.esp_received.fetch_add(1, std::memory_order_relaxed);
            std::uint32_t spi = get32(ip + ihl + 4);
            ipsec::security_association* sa = _sad.inbound(spi, proto_ah, _c.local_addr, get32(ip + 12));
            const child* ch = sa ? child_by_spi(spi) : nullptr;
            if (ch == nullptr) {
                _stats.count(drop::no_inbound_sa);
                continue;
            }
            deliver(*sa, *ch, p);
        }
        return handled;
    }

    /// RFC 3948 §2.3: one 0xff octet from the NAT-T port to each peer keeps NAT state.
    void send_keepalives() noexcept {
        const std::uint8_t ff = 0xff;
        for (const auto& ch : _children) {
            sockaddr_in to = sock(ch.cfg.peer_addr, ch.cfg.peer_port);
            if (::sendto(_nat_t, &ff, 1, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to), sizeof to) == 1) {
                _stats.keepalives.fetch_add(1, std::memory_order_relaxed);
            }
        }
    }

    int from_ike_port() noexcept {
        int handled = 0;
        for (; handled < batch; ++handled) {
            sockaddr_in from{};
            socklen_t fl = sizeof from;
            ssize_t n = ::recvfrom(_ike, _ike_buf.data(), _ike_buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
            if (n < 0) {
                break;
            }
            to_ike(_c.ike_port, ntohl(from.sin_addr.s_addr), ntohs(from.sin_port),
                   std::span<const std::uint8_t>(_ike_buf.data(), static_cast<std::size_t>(n)));
        }
        return handled;
    }

    void to_ike(std::uint16_t port, std::uint32_t peer, std::uint16_t peer_port,
                std::span<const std::uint8_t> msg) noexcept {
        if (!_ike_handler) {
            _stats.count(drop::ike_no_handler);
            return;
        }
        _stats.ike_in.fetch_add(1, std::memory_order_relaxed);
        try {
            _ike_handler(port, peer, peer_port, msg);
        } catch (...) {  // the engine's problem must not stop the data path
        }
    }

    host_config _c;
    ipsec::sad _sad;
    ipsec::spd _spd;
    std::vector<child> _children;
    std::unordered_map<std::uint32_t, child_id> _by_spi;   ///< inbound SPI -> child
    child_id _next_id = 0;
    ike_handler _ike_handler;
    acquire_handler _acquire;
    counters _stats;
    int _tun = -1, _nat_t = -1, _ike = -1, _wake = -1, _ep = -1;
    int _raw = -1;  ///< IP protocol 51 (AH+ESP bundles), opened with the first bundle child
    std::atomic<bool> _stop{false};
    ipsec::sad::clock::time_point _last_check = ipsec::sad::clock::now();
    // The per-packet buffers and message vectors: allocated once with the host.
    std::array<ipsec::packet, batch> _out;
    std::array<iovec, batch> _out_iov{};
    std::array<sockaddr_in, batch> _out_to{};
    std::array<mmsghdr, batch> _out_msgs{};
    std::size_t _out_ready = 0;  ///< ESP datagrams in _out[0, ready)
    std::size_t _out_sent = 0;   ///< of which sent
    std::array<ipsec::packet, batch> _in;
    std::array<iovec, batch> _in_iov{};
    std::array<sockaddr_in, batch> _in_from{};
    std::array<mmsghdr, batch> _in_msgs{};
    std::array<std::uint8_t, 65536> _ike_buf{};
    bool _waiting_out = false;   ///< EPOLLOUT armed, TUN paused
    ipsec::sad::clock::time_point _last_keepalive = ipsec::sad::clock::now();
};

}  // namespace

std::unique_ptr<host> host::create(const host_config& c, sa_listener on_sa_event) {
    return std::make_unique<host_impl>(c, std::move(on_sa_event));
}

}  // namespace zplex::host
