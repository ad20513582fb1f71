// SPDX-License-Identifier: Apache-2.0
// docs/ike.md's walkthrough (zplex-host against strongSwan): the commands the doc shows
// are, line for line, those of docs/examples/ike-strongswan/walkthrough.sh, and that
// script runs to its end from the repository.
#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>
#include <zplex/e2e/strongswan.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace zplex::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path source = ZPLEX_SOURCE_DIR;
const fs::path script = source / "docs" / "examples" / "ike-strongswan" / "walkthrough.sh";

std::string read(const fs::path& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

/// The text between two marker lines (exclusive), with @p indent stripped from each line.
std::string between(const std::string& text, const std::string& from, const std::string& to, std::size_t indent = 0) {
    auto a = text.find(from);
    auto b = a == std::string::npos ? a : text.find(to, a);
    if (b == std::string::npos) {
        return "<" + from + " not found>";
    }
    std::istringstream in(text.substr(a + from.size(), b - a - from.size()));
    std::string out;
    for (std::string line; std::getline(in, line);) {
        if (line.find_first_not_of(' ') == std::string::npos) {
            continue;
        }
        out += line.substr(std::min(indent, line.find_first_not_of(' '))) + "\n";
    }
    return out;
}

TEST(walkthrough, the_doc_shows_the_scripts_own_commands) {
    auto doc = read(source / "docs" / "ike.md");
    auto sh = read(script);
    auto shown = between(doc, "<!-- walkthrough: docs/examples/ike-strongswan/walkthrough.sh -->\n```sh\n",
                         "```\n<!-- end of the walkthrough -->");
    EXPECT_EQ(shown, between(sh, "# --- walkthrough\n", "# --- end of the walkthrough"));
    auto clean = between(doc, "<!-- clean-up: docs/examples/ike-strongswan/walkthrough.sh -->\n```sh\n",
                         "```\n<!-- end of the clean-up -->");
    EXPECT_EQ(clean, between(sh, "    # --- clean up\n", "    # --- end of the clean-up", 4));
    // Everything the commands name is in the repository.
    for (const char* f : {"zplex-a.pol", "swanctl.conf", "strongswan.conf"}) {
        EXPECT_TRUE(fs::exists(script.parent_path() / f)) << f;
    }
}

TEST(walkthrough, zplex_host_against_strongswan_runs_as_shown) {
    std::string why;
    if (!can_use_netns(&why) || !have_strongswan(&why)) {
        GTEST_SKIP() << why;
    }
    if (!fs::exists("/usr/bin/ping")) {
        GTEST_SKIP() << "no ping (scripts/bootstrap installs iputils-ping)";
    }
    auto r = run({"sh", "-c",
                  "cd '" + source.string() + "' && ZPLEX_BIN='" + (fs::path(ZPLEX_BINARY_DIR) / "bin").string() +
                      "' sh docs/examples/ike-strongswan/walkthrough.sh 2>&1"},
                 240s);
    EXPECT_TRUE(r.ok()) << r.out;
    EXPECT_NE(r.out.find("ZPX0917I WALKTHROUGH COMPLETED"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("3 received"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists("/tmp/zplex-walk")) << "the script cleans up";
}

}  // namespace
}  // namespace zplex::e2e
