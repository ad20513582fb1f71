// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the JCL reader and converter, with procedures and INCLUDE groups
// read from the input itself (a member named by EXEC or INCLUDE gets the input's
// text again, so expansion and its nesting limits are exercised). Bad JCL gives
// messages; any exception, crash, hang or sanitizer report is a finding.
#include <zplex/jes/jcl.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    zplex::jes::convert_options o;
    int reads = 0;
    o.read_member = [&text, &reads](const std::string&, const std::string& member) -> std::optional<std::string> {
        if (++reads > 64 || member.empty() || member[0] == 'N') {
            return std::nullopt;
        }
        return text;
    };
    o.proclib = {"SYS1.PROCLIB"};
    auto j = zplex::jes::convert(text, "FUZZ.JCL(JOB)", o);
    for (const auto& m : j.messages) {
        (void)m.str();
    }
    std::vector<zplex::jes::parameter> p;
    (void)zplex::jes::split_parameters(text.substr(0, 4096), p);
    std::string bad;
    (void)zplex::jes::parse_condition(text.substr(0, 4096), &bad);
    return 0;
}
