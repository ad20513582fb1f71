// SPDX-License-Identifier: Apache-2.0
// The image library without running Hercules: generated .cnf, catalogue options,
// PID-file safety, port choice.
#include <zplex/hercules/image.hpp>
#include <zplex/sysplex/catalogue.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace zplex::hercules {
namespace {

namespace fs = std::filesystem;

TEST(hercules_image, config_has_the_timer_port_modules_and_both_devices) {
    image_options o;
    o.name = "MVS1";
    o.sysplex = "ZPLEX1";
    o.cfs = {"CF01", "CF02"};
    o.key_file = "/k/SYS1.XCF.KEY";
    o.http_port = 31001;
    o.module_dir = "/m";
    auto c = config_text(o);
    EXPECT_NE(c.find("TIMERINT  10000\n"), std::string::npos) << c;
    EXPECT_NE(c.find("HTTPPORT  31001 AUTH zplex "), std::string::npos) << c;
    EXPECT_EQ(c.find("NOAUTH"), std::string::npos) << "the console needs its password";
    EXPECT_NE(c.find("SHCMDOPT  DISABLE\n"), std::string::npos) << "no shell commands from the console";
    EXPECT_NE(c.find("LDMOD     /m/hdtcfl.so\n"), std::string::npos) << c;
    EXPECT_NE(c.find("LDMOD     /m/hdtxcfs.so\n"), std::string::npos) << c;
    auto cfl = c.find("0E00 CFL  SYSPLEX=ZPLEX1 CF=CF01,CF02 CONNAME=MVS1CFL\n");
    auto xcfs = c.find("0E10 XCFS SYSPLEX=ZPLEX1 SYSNAME=MVS1 KEYFILE=/k/SYS1.XCF.KEY INTERVAL=300\n");
    ASSERT_NE(cfl, std::string::npos) << c;
    ASSERT_NE(xcfs, std::string::npos) << c;
    EXPECT_LT(cfl, xcfs) << "the nucleus expects the CF link at subchannel 0";
}

TEST(hercules_image, options_from_the_fig4_catalogue) {
    auto cat = sysplex::catalogue::load(fs::path(ZPLEX_SOURCE_DIR) / "profiles" / "FIG4");
    auto o = options_from_catalogue(cat, "MVS3");
    EXPECT_EQ(o.name, "MVS3");
    EXPECT_EQ(o.sysplex, "ZPLEX1");
    EXPECT_EQ(o.cfs, (std::vector<std::string>{"CF01", "CF02"}));
    EXPECT_EQ(o.interval, std::chrono::milliseconds(300));
    EXPECT_EQ(o.key_file.filename(), "SYS1.XCF.KEY");
    EXPECT_TRUE(fs::exists(o.key_file));
    EXPECT_THROW(options_from_catalogue(cat, "MVS9"), std::invalid_argument);
}

TEST(hercules_image, a_pid_file_naming_another_process_is_not_ours) {
    auto dir = fs::path("/tmp") / ("zplex-image-test-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    EXPECT_EQ(running_pid(dir), 0);
    // Our own PID is alive, but it is not a hercules working in that directory.
    std::ofstream(dir / "hercules.pid") << ::getpid() << "\n";
    EXPECT_EQ(running_pid(dir), 0);
    EXPECT_TRUE(stop(dir, std::chrono::milliseconds(10))) << "nothing of ours to stop, and nothing signalled";
    std::string err;
    image_options o;
    EXPECT_EQ(start(o, err), -1);
    EXPECT_EQ(err.rfind("ZPX0730E", 0), 0u) << err;
    fs::remove_all(dir);
}

TEST(hercules_image, free_port_skips_a_port_in_use) {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    std::uint16_t busy = 0;
    for (std::uint16_t p = 31900; p < 31999 && busy == 0; ++p) {
        a.sin_port = htons(p);
        if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(s, 1) == 0) {
            busy = p;
        }
    }
    ASSERT_NE(busy, 0);
    auto got = free_port(busy, static_cast<std::uint16_t>(busy + 5), busy);
    EXPECT_NE(got, busy);
    EXPECT_GT(got, busy);
    EXPECT_EQ(free_port(busy, busy, busy), 0);
    ::close(s);
}

}  // namespace
}  // namespace zplex::hercules
