// SPDX-License-Identifier: Apache-2.0
// Debug logging: --debug specifications, nothing formatted while off, an owner-only file.
#include <zplex/sysplex/debug_option.hpp>
#include <zplex/sysplex/log.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace {

int formatted = 0;
struct counted {};

}  // namespace

template <>
struct fmt::formatter<counted> : fmt::formatter<std::string_view> {
    auto format(const counted&, fmt::format_context& ctx) const {
        ++formatted;
        return fmt::formatter<std::string_view>::format("counted", ctx);
    }
};

namespace zplex::log {
namespace {

namespace fs = std::filesystem;

struct log_test : ::testing::Test {
    fs::path dir;
    void SetUp() override {
        configure("ALL=0");
        char tmpl[] = "/tmp/zplex-log-test.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir = tmpl;
    }
    void TearDown() override {
        configure("ALL=0");
        to_stderr();
        fs::remove_all(dir);
    }
    static std::string slurp(const fs::path& p) {
        std::ifstream in(p);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
};

TEST_F(log_test, off_by_default_and_nothing_formatted) {
    formatted = 0;
    ZPLEX_DBG(esp, packet, "drop {}", counted{});
    EXPECT_EQ(formatted, 0);
    EXPECT_FALSE(enabled(subsys::esp, level::control));
}

TEST_F(log_test, specification_sets_levels) {
    EXPECT_EQ(configure("ike=2,ESP=packet"), "");
    EXPECT_EQ(get_level(subsys::ike), level::detail);
    EXPECT_EQ(get_level(subsys::esp), level::packet);
    EXPECT_EQ(get_level(subsys::cf), level::off);
    EXPECT_TRUE(enabled(subsys::ike, level::control));
    EXPECT_TRUE(enabled(subsys::ike, level::detail));
    EXPECT_FALSE(enabled(subsys::ike, level::packet));
    EXPECT_EQ(configure("ALL=1"), "");
    EXPECT_EQ(get_level(subsys::swsa), level::control);
}

TEST_F(log_test, bad_specification_names_the_part_and_applies_nothing) {
    EXPECT_EQ(configure("CF=1,FROB=2"),
              "SUBSYSTEM 'FROB' IS NOT ALL, CF, XCF, IKE, ESP, POLICY, HOST, STACK, SD, SWSA, IMAGE OR CLI");
    EXPECT_EQ(get_level(subsys::cf), level::off);  // nothing applied
    EXPECT_EQ(configure("IKE=9"), "LEVEL '9' FOR IKE IS NOT 0-4 OR OFF, CONTROL, DETAIL, PACKET, RAW");
    EXPECT_EQ(configure("IKE"), "'IKE' IS NOT SUBSYS=LEVEL");
    EXPECT_EQ(configure("=1"), "'=1' IS NOT SUBSYS=LEVEL");
    EXPECT_EQ(configure(""), "EMPTY DEBUG SPECIFICATION: EXPECTED SUBSYS=LEVEL");
}

TEST_F(log_test, lines_go_to_an_owner_only_file) {
    auto file = dir / "debug.log";
    ASSERT_EQ(to_file(file.string()), "");
    configure("XCF=2");
    ZPLEX_DBG(xcf, detail, "member {} joined", "TCPIPA");
    ZPLEX_DBG(xcf, packet, "not written {}", 1);
    ZPLEX_DBG(cf, control, "not written either");
    to_stderr();
    auto text = slurp(file);
    EXPECT_NE(text.find("XCF    2 member TCPIPA joined\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("not written"), std::string::npos) << text;
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(log_test, a_symlink_is_not_followed) {
    auto target = dir / "target";
    std::ofstream(target) << "keep\n";
    fs::create_symlink(target, dir / "link");
    auto err = to_file((dir / "link").string());
    EXPECT_NE(err.find("IT IS A SYMBOLIC LINK"), std::string::npos) << err;
    EXPECT_EQ(slurp(target), "keep\n");
    EXPECT_NE(to_file(dir.string()), "");  // a directory
}

TEST_F(log_test, the_command_line_option) {
    CLI::App app{"t"};
    add_debug_options(app);
    const char* good[] = {"t", "--debug", "CF=1", "--debug", "SD=3"};
    ASSERT_NO_THROW(app.parse(5, good));
    EXPECT_EQ(get_level(subsys::cf), level::control);
    EXPECT_EQ(get_level(subsys::sd), level::packet);
    CLI::App bad{"t"};
    add_debug_options(bad);
    const char* wrong[] = {"t", "--debug", "CF=x"};
    EXPECT_THROW(bad.parse(3, wrong), CLI::ValidationError);
}

}  // namespace
}  // namespace zplex::log
