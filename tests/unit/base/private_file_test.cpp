// SPDX-License-Identifier: Apache-2.0
// open_private_file: created 0600; an own file made 0600 and emptied; a symbolic link
// (anyone's), a directory or another user's file refused and left as it was.
#include <zplex/sysplex/private_file.hpp>

#include "tmp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using zplex::test::tmp_dir;

std::string text_of(const fs::path& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    ::lstat(p.c_str(), &st);
    return st.st_mode & 07777;
}

TEST(private_file, is_created_owner_only) {
    tmp_dir t("zplex-private");
    std::string why;
    auto old = ::umask(0);
    int fd = zplex::sysplex::open_private_file((t.dir / "new").string(), why);
    ::umask(old);
    ASSERT_GE(fd, 0) << why;
    EXPECT_EQ(::write(fd, "abc", 3), 3);
    ::close(fd);
    EXPECT_EQ(mode_of(t.dir / "new"), 0600u);
    EXPECT_EQ(text_of(t.dir / "new"), "abc");
}

TEST(private_file, an_own_file_is_made_owner_only_and_emptied) {
    tmp_dir t("zplex-private");
    std::ofstream(t.dir / "old") << "secret of yesterday";
    fs::permissions(t.dir / "old", fs::perms(0644));
    std::string why;
    int fd = zplex::sysplex::open_private_file((t.dir / "old").string(), why);
    ASSERT_GE(fd, 0) << why;
    ::close(fd);
    EXPECT_EQ(mode_of(t.dir / "old"), 0600u);
    EXPECT_EQ(text_of(t.dir / "old"), "");
}

TEST(private_file, a_symbolic_link_or_a_directory_is_refused) {
    tmp_dir t("zplex-private");
    std::ofstream(t.dir / "target") << "kept";
    fs::create_symlink(t.dir / "target", t.dir / "link");
    fs::create_symlink(t.dir / "absent", t.dir / "dangling");
    fs::create_directory(t.dir / "dir");
    std::string why;
    EXPECT_EQ(zplex::sysplex::open_private_file((t.dir / "link").string(), why), -1);
    EXPECT_EQ(why, "IT IS A SYMBOLIC LINK");
    EXPECT_EQ(zplex::sysplex::open_private_file((t.dir / "dangling").string(), why), -1);
    EXPECT_EQ(why, "IT IS A SYMBOLIC LINK");
    EXPECT_FALSE(fs::exists(t.dir / "absent")) << "nothing created through the link";
    EXPECT_EQ(text_of(t.dir / "target"), "kept");
    EXPECT_EQ(zplex::sysplex::open_private_file((t.dir / "dir").string(), why), -1);
    EXPECT_FALSE(why.empty());
}

TEST(private_file, another_users_file_is_refused_untouched) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a file to another user";
    tmp_dir t("zplex-private");
    std::ofstream(t.dir / "theirs") << "their data";
    ASSERT_EQ(::chown((t.dir / "theirs").c_str(), 65534, 65534), 0);
    fs::permissions(t.dir / "theirs", fs::perms(0644));
    std::string why;
    EXPECT_EQ(zplex::sysplex::open_private_file((t.dir / "theirs").string(), why), -1);
    EXPECT_EQ(why, "IT IS NOT A REGULAR FILE OWNED BY THIS USER");
    EXPECT_EQ(text_of(t.dir / "theirs"), "their data");
    EXPECT_EQ(mode_of(t.dir / "theirs"), 0644u);
}

}  // namespace
