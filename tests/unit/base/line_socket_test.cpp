// SPDX-License-Identifier: Apache-2.0
// The line socket every command socket is: what it may replace at its path (only a stale
// socket of ours), and that a slow or silent client never holds up the loop that serves
// it (the deadlines run on the clock the test hands in).
#include <zplex/sysplex/line_socket.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <thread>
#include <atomic>

namespace zplex::sysplex {
namespace {

namespace fs = std::filesystem;
using clk = line_server::clock;

struct temp_dir {
    fs::path p = fs::temp_directory_path() / ("zplex-ctl-" + std::to_string(::getpid()) + "-" +
                                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    temp_dir() {
        fs::remove_all(p);
        fs::create_directory(p);
        fs::permissions(p, fs::perms::owner_all);
    }
    ~temp_dir() { fs::remove_all(p); }
    std::string operator/(const std::string& n) const { return (p / n).string(); }
};

int connect_to(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

std::string read_all(int fd) {
    std::string s;
    char buf[256];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) {
        s.append(buf, static_cast<std::size_t>(n));
    }
    return s;
}

TEST(line_socket, a_regular_file_at_the_path_is_refused_and_kept) {
    temp_dir d;
    auto path = d / "important.txt";
    std::ofstream(path) << "do not delete\n";
    EXPECT_THROW(line_server{path}, std::system_error);
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "do not delete");
}

TEST(line_socket, a_symlink_or_directory_at_the_path_is_refused_and_kept) {
    temp_dir d;
    auto target = d / "target";
    std::ofstream(target) << "x";
    auto link = d / "link";
    fs::create_symlink(target, link);
    EXPECT_THROW(line_server{link}, std::system_error);
    EXPECT_TRUE(fs::is_symlink(link));
    EXPECT_TRUE(fs::exists(target));
    auto dir = d / "dir";
    fs::create_directory(dir);
    EXPECT_THROW(line_server{dir}, std::system_error);
    EXPECT_TRUE(fs::is_directory(dir));
}

TEST(line_socket, a_live_server_is_not_taken_over_but_a_stale_socket_is_replaced) {
    temp_dir d;
    auto path = d / "zplex.ctl";
    {
        line_server live(path);
        EXPECT_THROW(line_server{path}, std::system_error);
        EXPECT_TRUE(fs::is_socket(path));
    }
    EXPECT_FALSE(fs::exists(path));  // removed at the end: it was ours
    // A stale socket (bound, never unlinked, nobody listening) is replaced.
    int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ::close(s);
    ASSERT_TRUE(fs::is_socket(path));
    line_server again(path);
    struct stat st{};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(line_socket, a_client_sending_its_line_in_pieces_is_served_once_with_the_whole_line) {
    temp_dir d;
    line_server srv(d / "zplex.ctl");
    std::vector<std::string> got;
    auto serve = [&](const std::string& l) {
        got.push_back(l);
        return std::string("reply to ") + l + "\n";
    };
    int c = connect_to(srv.path());
    ASSERT_GE(c, 0);
    ASSERT_EQ(::write(c, "sta", 3), 3);
    auto t = clk::now();
    // The loop goes on while the line is incomplete: nothing served, nothing waited for.
    EXPECT_EQ(srv.poll(serve, t), 0u);
    EXPECT_EQ(srv.poll(serve, t), 0u);
    EXPECT_TRUE(got.empty());
    EXPECT_EQ(srv.clients(), 1u);
    ASSERT_EQ(::write(c, "tus\n", 4), 4);
    EXPECT_EQ(srv.poll(serve, t), 1u);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], "status");
    EXPECT_EQ(read_all(c), "reply to status\n");
    ::close(c);
    EXPECT_EQ(srv.clients(), 0u);
}

TEST(line_socket, silent_clients_are_bounded_in_number_and_time_and_others_are_still_served) {
    temp_dir d;
    line_server srv(d / "zplex.ctl");
    std::size_t calls = 0;
    auto serve = [&](const std::string&) {
        ++calls;
        return std::string("ok\n");
    };
    auto t = clk::now();
    std::vector<int> silent;
    for (std::size_t i = 0; i < line_server::limits{}.max_clients; ++i) {
        silent.push_back(connect_to(srv.path()));
        ASSERT_GE(silent.back(), 0);
    }
    EXPECT_EQ(srv.poll(serve, t), 0u);
    for (int i = 0; i < 3; ++i) {  // these wait in the listen backlog
        silent.push_back(connect_to(srv.path()));
        ASSERT_GE(silent.back(), 0);
    }
    EXPECT_EQ(srv.poll(serve, t), 0u);
    EXPECT_EQ(srv.clients(), line_server::limits{}.max_clients);
    // Past the deadline the silent ones are closed unanswered; then the rest get in.
    srv.poll(serve, t + line_server::limits{}.deadline + std::chrono::milliseconds(1));
    EXPECT_EQ(calls, 0u);
    for (int fd : silent) {
        ::close(fd);
    }
    srv.poll(serve, t + 2 * line_server::limits{}.deadline + std::chrono::seconds(1));
    int c = connect_to(srv.path());
    ASSERT_EQ(::write(c, "status\n", 7), 7);
    for (int i = 0; i < 3 && calls == 0; ++i) {
        srv.poll(serve, t + 3 * line_server::limits{}.deadline);
    }
    EXPECT_EQ(calls, 1u);
    EXPECT_EQ(read_all(c), "ok\n");
    ::close(c);
}

TEST(line_socket, an_overlong_line_gets_the_too_long_reply_when_there_is_one) {
    temp_dir d;
    line_server::limits l;
    l.max_line = 64;
    l.too_long_reply = "IEE305I COMMAND TOO LONG\n";
    line_server srv(d / "zplex.ctl", l);
    std::size_t calls = 0;
    auto serve = [&](const std::string&) {
        ++calls;
        return std::string("ok\n");
    };
    int c = connect_to(srv.path());
    std::string big(200, 'x');
    ASSERT_EQ(::write(c, big.data(), big.size()), static_cast<ssize_t>(big.size()));
    auto t = clk::now();
    for (int i = 0; i < 4; ++i) {
        srv.poll(serve, t);
    }
    EXPECT_EQ(calls, 0u);
    EXPECT_EQ(srv.clients(), 0u);
    EXPECT_EQ(read_all(c), "IEE305I COMMAND TOO LONG\n");
    ::close(c);
}

TEST(line_socket, a_request_gets_its_reply_through_line_request_and_wait) {
    temp_dir d;
    line_server srv(d / "zplex.ctl");
    std::atomic<bool> done{false};
    std::thread server([&] {
        while (!done.load()) {
            srv.wait([](const std::string& l) { return "echo " + l + "\n"; }, std::chrono::milliseconds(50));
        }
    });
    EXPECT_EQ(line_request(srv.path(), "D XCF"), "echo D XCF\n");
    done = true;
    server.join();
    EXPECT_THROW(line_request(d / "nobody.sock", "D XCF", std::chrono::milliseconds(100)), std::system_error);
}

TEST(line_socket, an_overlong_line_is_closed_unanswered) {
    temp_dir d;
    line_server srv(d / "zplex.ctl");
    std::size_t calls = 0;
    auto serve = [&](const std::string&) {
        ++calls;
        return std::string("ok\n");
    };
    int c = connect_to(srv.path());
    std::string big(line_server::limits{}.max_line + 100, 'x');
    ASSERT_EQ(::write(c, big.data(), big.size()), static_cast<ssize_t>(big.size()));
    auto t = clk::now();
    for (int i = 0; i < 4; ++i) {
        srv.poll(serve, t);
    }
    EXPECT_EQ(calls, 0u);
    EXPECT_EQ(srv.clients(), 0u);
    ::close(c);
}

}  // namespace
}  // namespace zplex::sysplex
