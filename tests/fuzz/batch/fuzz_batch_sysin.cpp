// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the SYSIN reader of zplex's batch programs (records split at new
// lines, quotes, comments, continuation), its number rule and ZPXFAULT's check of each
// statement's form (KILL, STOP/START CPU, RESTART STACK, IPL sys [WAIT s], WAIT FOR,
// DELAY). A statement it cannot read is a message; any exception, crash, hang or
// sanitizer report is a finding.
#include "batch/batch.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> records;
    std::size_t at = 0;
    while (at <= text.size() && records.size() < 4096) {
        auto nl = text.find('\n', at);
        if (nl == std::string::npos) nl = text.size();
        records.push_back(text.substr(at, nl - at));
        at = nl + 1;
    }
    std::vector<zplex::cli::batch::sysin_statement> out;
    std::string why;
    (void)zplex::cli::batch::read_sysin(records, out, why);
    long v = 0;
    for (const auto& st : out) {
        for (const auto& w : st.words) (void)zplex::cli::batch::number(w, 0, 600, v);
        (void)zplex::cli::batch::fault_statement_form(st);
    }
    return 0;
}
