// SPDX-License-Identifier: Apache-2.0
// What a careless policy file must not get away with: a built-in action name redefined,
// a duplicate IpService, a repeated attribute, and files that are no policy at all
// (a device such as /dev/zero, a directory, a FIFO, an oversized file).
#include <zplex/policy/policy.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

namespace zplex::policy {
namespace {

namespace fs = std::filesystem;

std::string all_messages(const parse_result& r) {
    std::string s;
    for (const auto& m : r.messages) {
        s += m.str() + "\n";
    }
    return s;
}

bool has(const parse_result& r, const std::string& id, const std::string& text) {
    return std::any_of(r.messages.begin(), r.messages.end(),
                       [&](const message& m) { return m.id == id && m.text.find(text) != std::string::npos; });
}

TEST(policy_input, builtin_action_names_are_reserved) {
    auto r = parse(R"(
IpGenericFilterAction deny { IpFilterAction permit }
IpFilterPolicy { IpFilterRule r1 { IpSourceAddr All IpDestAddr All IpGenericFilterActionRef deny } }
)",
                   "INLINE");
    EXPECT_EQ(r.return_code(), 8);
    EXPECT_TRUE(has(r, "ZPX0804E", "IPGENERICFILTERACTION deny AT LINE 2 COLUMN 1 OF INLINE IS NOT INSTALLED"))
        << all_messages(r);
    EXPECT_TRUE(has(r, "ZPX0804E", "RESERVED")) << all_messages(r);
    auto rules = r.policy.spd_rules();
    ASSERT_EQ(rules.size(), 1u);
    EXPECT_EQ(rules[0].action, ipsec::spd_action::deny);  // deny still means deny
    for (const char* n : {"Permit", "IPSEC"}) {
        auto q = parse(std::string("IpGenericFilterAction ") + n + " { IpFilterAction deny }\n", "INLINE");
        EXPECT_EQ(q.return_code(), 8) << n;
        EXPECT_TRUE(q.policy.generic_actions.empty()) << n;
    }
}

TEST(policy_input, a_duplicate_ipservice_is_reported_and_the_first_kept) {
    auto r = parse(R"(
IpService web { Protocol TCP DestinationPortRange 80 80 }
IpService web { Protocol UDP }
)",
                   "INLINE");
    EXPECT_EQ(r.return_code(), 8);
    EXPECT_TRUE(has(r, "ZPX0805E", "DUPLICATE IPSERVICE web AT LINE 3 COLUMN 1 OF INLINE")) << all_messages(r);
}

TEST(policy_input, a_repeated_attribute_is_reported_with_both_lines) {
    auto r = parse(R"(
IpGenericFilterAction a
{
  IpFilterAction permit
  IpFilterAction deny
}
)",
                   "INLINE");
    EXPECT_EQ(r.return_code(), 8);
    EXPECT_TRUE(has(r, "ZPX0809E", "REPEATED ATTRIBUTE IPFILTERACTION AT LINE 5 COLUMN 3 OF INLINE: IT WAS GIVEN AT LINE 4"))
        << all_messages(r);
    ASSERT_EQ(r.policy.generic_actions.count("a"), 1u);
    EXPECT_EQ(r.policy.generic_actions.at("a").action, filter_action::permit);
    // Lists of references may repeat.
    auto ok = parse(R"(
IpFilterRule r1 { IpSourceAddr All IpDestAddr All IpGenericFilterActionRef permit }
IpFilterRule r2 { IpSourceAddr All IpDestAddr All IpGenericFilterActionRef deny }
IpFilterPolicy { IpFilterRuleRef r1 IpFilterRuleRef r2 }
)",
                    "INLINE");
    EXPECT_EQ(ok.return_code(), 0) << all_messages(ok);
    EXPECT_EQ(ok.policy.filter_rules.size(), 2u);
}

struct temp_dir {
    fs::path p = fs::temp_directory_path() / ("zplex-pol-" + std::to_string(::getpid()) + "-" +
                                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    temp_dir() {
        fs::remove_all(p);
        fs::create_directory(p);
    }
    ~temp_dir() { fs::remove_all(p); }
};

TEST(policy_input, a_device_a_directory_and_a_fifo_are_not_policies) {
    auto z = parse_file("/dev/zero");  // would grow without bound if read
    EXPECT_EQ(z.return_code(), 8);
    EXPECT_TRUE(has(z, "ZPX0800E", "POLICY FILE /dev/zero COULD NOT BE READ: IT IS NOT A REGULAR FILE"))
        << all_messages(z);
    temp_dir d;
    auto dir = parse_file(d.p.string());
    EXPECT_EQ(dir.return_code(), 8);
    EXPECT_TRUE(has(dir, "ZPX0800E", "IT IS A DIRECTORY")) << all_messages(dir);
    auto fifo = (d.p / "fifo").string();
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    auto f = parse_file(fifo);  // no writer: must not wait for one
    EXPECT_TRUE(has(f, "ZPX0800E", "IT IS NOT A REGULAR FILE")) << all_messages(f);
}

TEST(policy_input, an_oversized_file_is_refused_and_one_at_the_limit_is_read) {
    temp_dir d;
    auto big = (d.p / "big.pol").string();
    {
        std::ofstream o(big);
        std::string line(1023, '#');
        for (std::size_t i = 0; i <= max_policy_file_bytes / 1024; ++i) {
            o << line << '\n';
        }
    }
    auto r = parse_file(big);
    EXPECT_TRUE(has(r, "ZPX0800E", "IT IS LARGER THAN")) << all_messages(r);
    fs::resize_file(big, max_policy_file_bytes);  // comments only: an empty, clean policy
    auto ok = parse_file(big);
    EXPECT_FALSE(has(ok, "ZPX0800E", "")) << all_messages(ok);
}

}  // namespace
}  // namespace zplex::policy
