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
#include <sys/stat.h>
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

/// A run directory of the test's own (0700), removed afterwards.
struct run_dir {
    fs::path path = fs::path("/tmp") / ("zplex-image-run-" + std::to_string(::getpid()));
    run_dir() {
        fs::remove_all(path);
        fs::create_directory(path);
        fs::permissions(path, fs::perms::owner_all);
    }
    ~run_dir() { fs::remove_all(path); }
    image_options image(const std::string& name) const {
        image_options o;
        o.name = name;
        o.dir = path / name;
        o.sysplex = "PLEX1";
        o.key_file = "/dev/null";
        o.http_port = free_port(31000, 31999, static_cast<std::uint16_t>(31000 + ::getpid() % 900));
        o.hercules = "/bin/true";          // ends at once: these tests are about the files
        o.enforce_local_console = false;   // no module directory here
        o.ipl = false;
        o.module_dir = path;
        return o;
    }
};

mode_t mode_of(const fs::path& p) {
    struct stat st {};
    ::lstat(p.c_str(), &st);
    return st.st_mode;
}

TEST(hercules_image, a_planted_symlink_is_replaced_never_written_through) {
    run_dir run;
    auto o = run.image("MVS1");
    fs::create_directory(o.dir);
    fs::permissions(o.dir, fs::perms::owner_all);
    auto target = run.path / "victim";
    std::ofstream(target) << "precious\n";
    fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
    fs::create_symlink(target, o.dir / "image.cnf");
    fs::create_symlink(target, o.dir / "hercules.log");
    std::string err;
    start(o, err);  // /bin/true ends at once; the files are written before
    std::ifstream in(target);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(text, "precious\n");
    EXPECT_EQ(mode_of(target) & 0777, 0644u) << "the target was chmodded";
    EXPECT_TRUE(S_ISREG(mode_of(o.dir / "image.cnf")));
    EXPECT_EQ(mode_of(o.dir / "image.cnf") & 0777, 0600u);
    EXPECT_FALSE(S_ISLNK(mode_of(o.dir / "hercules.log")));
}

TEST(hercules_image, directories_of_others_or_not_0700_are_refused) {
    run_dir run;
    std::string err;
    // The image directory belongs to someone else (the run directory is /tmp-like).
    auto o = run.image("MVS1");
    fs::create_directory(o.dir);
    fs::permissions(o.dir, fs::perms::owner_all);
    auto target = run.path / "victim";
    std::ofstream(target) << "precious\n";
    fs::create_symlink(target, o.dir / "image.cnf");
    ASSERT_EQ(::lchown(o.dir.c_str(), 65534, 65534), 0);
    EXPECT_EQ(start(o, err), -1);
    EXPECT_EQ(err.rfind("ZPX0740E", 0), 0u) << err;
    std::ifstream in(target);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(text, "precious\n");
    // Ours but 0755.
    auto o2 = run.image("MVS2");
    fs::create_directory(o2.dir);
    fs::permissions(o2.dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
    EXPECT_EQ(start(o2, err), -1);
    EXPECT_EQ(err.rfind("ZPX0740E", 0), 0u) << err;
    EXPECT_FALSE(fs::exists(o2.dir / "image.cnf"));
    // A symlink in place of the image directory.
    auto o3 = run.image("MVS3");
    fs::create_directory(run.path / "elsewhere");
    fs::permissions(run.path / "elsewhere", fs::perms::owner_all);
    fs::create_directory_symlink(run.path / "elsewhere", o3.dir);
    EXPECT_EQ(start(o3, err), -1);
    EXPECT_EQ(err.rfind("ZPX0740E", 0), 0u) << err;
    EXPECT_FALSE(fs::exists(run.path / "elsewhere" / "image.cnf"));
}

TEST(hercules_image, a_console_port_in_use_and_bad_names_are_refused) {
    run_dir run;
    std::string err;
    auto o = run.image("MVS1");
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(o.http_port);
    ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(s, 1), 0);
    EXPECT_EQ(start(o, err), -1);
    EXPECT_EQ(err.rfind("ZPX0741E", 0), 0u) << err;
    ::close(s);
    for (const char* bad : {"a/b", "", "ABCDEFGHIJKLMNOPQ", "../x"}) {
        auto b = run.image("MVS1");
        b.sysplex = bad;
        EXPECT_EQ(start(b, err), -1) << bad;
        EXPECT_EQ(err.rfind("ZPX0730E", 0), 0u) << err;
    }
    for (const char* bad : {"a/b", "", "TOOLONGNM", "../x"}) {
        auto b = run.image(bad);
        EXPECT_EQ(start(b, err), -1) << bad;
        EXPECT_EQ(err.rfind("ZPX0730E", 0), 0u) << err;
    }
    EXPECT_TRUE(valid_sysplex_name("TOOLONGNM"));
}

}  // namespace
}  // namespace zplex::hercules
