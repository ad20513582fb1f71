// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the PROFILE processor (initial profile, then the same text as an
// OBEYFILE over the result). Any crash, sanitizer report or escaped exception is a finding.
#include <zplex/tcpip/profile/parser.hpp>
#include <zplex/tcpip/profile/summary.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace tp = zplex::tcpip::profile;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    tp::parse_options o;
    o.symbols = {{"SYSNAME", "MVS1"}, {"SYSCLONE", "M1"}, {"XCFIP", "198.18.1.1"}, {"MULTI", "1 2 3"}};
    // Every INCLUDE gets the input itself: exercises nesting and the loop limit.
    o.reader = [&text](std::string_view ref, std::string& why) -> std::optional<std::pair<std::string, std::string>> {
        if (ref.size() > 60) {
            why = "NAME TOO LONG";
            return std::nullopt;
        }
        return std::make_pair(text, "'" + std::string(ref) + "'");
    };
    o.max_include_depth = 3;
    tp::message_log log;
    auto p = tp::process_initial_text(text, "'FUZZ.PROFILE'", o, log);
    tp::apply_obeyfile_text(p, text, "'FUZZ.OBEY'", o, log);
    auto summary = tp::format_summary(p, "MVS1", "TCPIPA");
    (void)summary;
    return 0;
}
