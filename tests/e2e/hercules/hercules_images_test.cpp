// SPDX-License-Identifier: Apache-2.0
// Images as an operator runs them: the console is for this host only (proved from
// another network namespace), one console port per image, commands only to the
// image's own console, `start` done once the nucleus has joined, and a normal stop
// that leaves the sysplex instead of failing.
#include "hercules_sysplex.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>

namespace zplex::test {
namespace {

/// A network namespace joined to this one by a veth pair (198.19.a.b/30), removed
/// again on destruction.
struct other_host {
    std::string ns, host_if;
    std::string host_ip, peer_ip;
    bool ok = false;

    other_host() {
        auto pid = static_cast<unsigned>(::getpid());
        ns = "zpxh" + std::to_string(pid);
        host_if = "zh" + std::to_string(pid % 10'000'000) + "a";
        std::string peer_if = "zh" + std::to_string(pid % 10'000'000) + "b";
        unsigned c = pid % 250, d = 4 * (pid / 250 % 63);
        host_ip = "198.19." + std::to_string(c) + "." + std::to_string(d + 1);
        peer_ip = "198.19." + std::to_string(c) + "." + std::to_string(d + 2);
        ok = run("ip netns add " + ns) && run("ip link add " + host_if + " type veth peer name " + peer_if) &&
             run("ip link set " + peer_if + " netns " + ns) && run("ip addr add " + host_ip + "/30 dev " + host_if) &&
             run("ip link set " + host_if + " up") &&
             run("ip -n " + ns + " addr add " + peer_ip + "/30 dev " + peer_if) &&
             run("ip -n " + ns + " link set " + peer_if + " up") && run("ip -n " + ns + " link set lo up");
    }
    ~other_host() {
        run("ip link del " + host_if + " 2>/dev/null");
        run("ip netns del " + ns + " 2>/dev/null");
    }
    static bool run(const std::string& cmd) { return std::system(cmd.c_str()) == 0; }

    /// From inside the namespace: 0 connected, 1 refused, 2 no answer, 3 setup failed.
    int connect_from_inside(std::uint16_t port) const {
        pid_t child = ::fork();
        if (child == 0) {
            int nsfd = ::open(("/var/run/netns/" + ns).c_str(), O_RDONLY);
            if (nsfd < 0 || ::setns(nsfd, CLONE_NEWNET) != 0) {
                ::_exit(3);
            }
            int s = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(port);
            ::inet_pton(AF_INET, host_ip.c_str(), &a.sin_addr);
            if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
                ::_exit(0);
            }
            if (errno != EINPROGRESS) {
                ::_exit(errno == ECONNREFUSED ? 1 : 2);
            }
            pollfd p{s, POLLOUT, 0};
            if (::poll(&p, 1, 10'000) <= 0) {
                ::_exit(2);
            }
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
            ::_exit(err == 0 ? 0 : err == ECONNREFUSED ? 1 : 2);
        }
        int st = 0;
        ::waitpid(child, &st, 0);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 3;
    }
};

TEST(hercules_images, the_console_cannot_be_reached_from_another_host) {
    ZPLEX_SKIP_WITHOUT_HERCULES();
    hercules_sysplex plex(std::chrono::milliseconds(3000));
    std::string err;
    ASSERT_TRUE(plex.start_all(1, err)) << err;
    const auto& im = plex.images[0];
    ASSERT_FALSE(hercules::console(im.dir, "psw").empty()) << "the console answers on this host";

    other_host other;
    ASSERT_TRUE(other.ok) << "network namespace setup failed";
    // The path from there to here works: a listener on every address is reached...
    int l = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ASSERT_EQ(::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(l, 4), 0);
    socklen_t len = sizeof a;
    ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len);
    EXPECT_EQ(other.connect_from_inside(ntohs(a.sin_port)), 0) << "control: the other host reaches this one";
    ::close(l);
    // ... the image's console is not.
    EXPECT_EQ(other.connect_from_inside(im.http_port), 1) << "the console of " << im.name << " is reachable from "
                                                           << other.peer_ip;
    auto lst = hercules::listener_of(im.http_port);
    EXPECT_TRUE(lst.loopback_only);
}

TEST(hercules_images, a_console_port_is_one_images_and_nobody_elses_console_is_used) {
    ZPLEX_SKIP_WITHOUT_HERCULES();
    hercules_sysplex plex(std::chrono::milliseconds(3000));
    std::string err;
    ASSERT_TRUE(plex.start_all(1, err)) << err;
    auto first = plex.images[0];

    // A second image on the first one's console port is refused.
    auto second = first;
    second.name = "MVS2";
    second.dir = plex.dir / "images" / "MVS2";
    second.ipl = false;
    second.http_password.clear();
    EXPECT_EQ(hercules::start(second, err), -1);
    EXPECT_EQ(err.rfind("ZPX0741E", 0), 0u) << err;

    // On a port of its own it starts; if its image.cnf then names the first one's
    // port, nothing is sent there.
    second.http_port = hercules::free_port(31000, 31999, static_cast<std::uint16_t>(first.http_port + 1));
    ASSERT_GT(hercules::start(second, err), 0) << err;
    auto own = hercules::console_command(second.dir, "psw", std::chrono::seconds(10));
    ASSERT_EQ(own.what, hercules::console_answer::status::ok) << hercules::to_string(own, "MVS2") << "\n"
                                                               << plex.log_of("MVS2");
    std::string cnf;
    {
        std::ifstream in(second.dir / "image.cnf");
        cnf.assign(std::istreambuf_iterator<char>(in), {});
    }
    auto at = cnf.find("HTTPPORT  " + std::to_string(second.http_port));
    ASSERT_NE(at, std::string::npos);
    auto edited = cnf;
    edited.replace(at, 10 + std::to_string(second.http_port).size(), "HTTPPORT  " + std::to_string(first.http_port));
    { std::ofstream(second.dir / "image.cnf", std::ios::trunc) << edited; }
    auto a = hercules::console_command(second.dir, "psw");
    EXPECT_EQ(a.what, hercules::console_answer::status::not_ours) << a.text;
    { std::ofstream(second.dir / "image.cnf", std::ios::trunc) << cnf; }
    EXPECT_TRUE(hercules::stop(second.dir));
    EXPECT_GT(hercules::running_pid(first.dir), 0) << "stopping MVS2 left MVS1 alone";
}

TEST(hercules_images, start_waits_for_the_join_and_a_normal_stop_leaves_the_sysplex) {
    ZPLEX_SKIP_WITHOUT_HERCULES();
    hercules_sysplex plex(std::chrono::milliseconds(3000));
    std::string err;
    ASSERT_TRUE(plex.start_all(2, err)) << err;
    plex.host_member().events();
    auto victim = plex.images[1];
    ASSERT_TRUE(hercules::stop(victim.dir));
    // Like V XCF,MVS2,OFFLINE: MVS2 left; nobody saw it fail.
    bool left = false, failed = false;
    for (int i = 0; i < 1000 && !left; ++i) {
        for (const auto& e : plex.host_member().events()) {
            left = left || (e.member == victim.name && e.what == xcf::group_event::kind::left);
            failed = failed || (e.member == victim.name && e.what == xcf::group_event::kind::failed);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(left) << plex.log_of(victim.name);
    EXPECT_FALSE(failed);
    EXPECT_NE(plex.log_of(victim.name).find("ZPX0725I"), std::string::npos);

    // Started again: once wait_joined() returns, a TAKE is answered at once.
    ASSERT_GT(hercules::start(victim, err), 0) << err;
    ASSERT_TRUE(hercules::wait_joined(victim, std::chrono::seconds(20), err)) << err << "\n" << plex.log_of(victim.name);
    ASSERT_TRUE(plex.send_take(victim.name, 16, 4));
    std::vector<number_block> blocks;
    std::string from;
    std::uint32_t status = 0;
    ASSERT_TRUE(plex.receive_nums(blocks, from, status, std::chrono::seconds(20)));
    EXPECT_EQ(from, victim.name);
    EXPECT_EQ(blocks.size(), 4u);
}

}  // namespace
}  // namespace zplex::test
