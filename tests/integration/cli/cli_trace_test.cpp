// SPDX-License-Identifier: Apache-2.0
// `zplex trace` arguments refused before anything is captured or written: no --out, a
// --seconds that is not 1 to 86400, a filter of several lines, no run to trace. (The
// trace itself runs against `zplex up`: tests/e2e/operating/trace_e2e_test.cpp.)
#include "run_command.hpp"
#include "tmp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using zplex::test::shell_quote;
using zplex::test::tmp_dir;

zplex::test::run_result trace(const tmp_dir& t, const std::string& args) {
    return zplex::test::run_command(shell_quote(ZPLEX_BIN) + " trace --run-dir " +
                                    shell_quote((t.dir / "no-run").string()) + " " + args);
}

TEST(cli_trace, refuses_bad_arguments_with_a_message_and_writes_nothing) {
    tmp_dir t("zplex-trace");
    const std::string out = shell_quote((t.dir / "t").string());
    struct bad {
        std::string args, message;
    };
    for (const auto& b : std::vector<bad>{
             {"--seconds 5", "ZPX1880E GIVE --out PREFIX: THE TRACE IS WRITTEN TO PREFIX.pcap AND PREFIX.esp_sa\n"},
             {"--out " + out + " --seconds 0", "ZPX1880E --seconds 0 IS NOT A NUMBER FROM 1 TO 86400\n"},
             {"--out " + out + " --seconds 86401", "ZPX1880E --seconds 86401 IS NOT A NUMBER FROM 1 TO 86400\n"},
             {"--out " + out + " --seconds ten", "ZPX1880E --seconds ten IS NOT A NUMBER FROM 1 TO 86400\n"},
             {"--out " + out + " --seconds 5s", "ZPX1880E --seconds 5s IS NOT A NUMBER FROM 1 TO 86400\n"},
             {"--out " + out + " --seconds -3", "ZPX1880E --seconds -3 IS NOT A NUMBER FROM 1 TO 86400\n"},
             {"--out " + out + " --filter " + shell_quote("host 1\nhost 2"),
              "ZPX1880E --filter IS NOT ONE LINE OF AT MOST 1024 CHARACTERS\n"},
         }) {
        auto r = trace(t, b.args);
        EXPECT_EQ(r.rc, 8) << b.args << "\n" << r.out;
        EXPECT_EQ(r.out, b.message) << b.args;
    }
    // No run there: said as every command that needs one says it.
    auto r = trace(t, "--out " + out + " --seconds 1");
    EXPECT_EQ(r.rc, 8) << r.out;
    EXPECT_NE(r.out.find("ZPX1811I NO SYSPLEX RUNS FROM"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(t.dir / "t.pcap"));
    EXPECT_FALSE(fs::exists(t.dir / "t.esp_sa"));
}

}  // namespace
