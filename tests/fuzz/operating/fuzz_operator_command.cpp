// SPDX-License-Identifier: Apache-2.0
// The operator command parser and router on any text, the run record parser and the
// EZZ8260I reader of zplex topology: never a
// crash or hang; a command is routed, or refused with a message; a record that parses
// formats back to text that parses to the same record.
#include <zplex/operating/command.hpp>
#include <zplex/operating/run.hpp>
#include <zplex/operating/topology.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    auto r = zplex::operating::route(text);
    if (r.where == zplex::operating::target::invalid && r.error.empty()) std::abort();
    if (r.where == zplex::operating::target::route) {
        std::string err;
        auto t = zplex::operating::route_targets(r.systems, {"MVS1", "MVS2", "MVS3"}, "MVS1", err);
        if (t.empty() && err.empty() && !r.systems.empty()) std::abort();
    }
    zplex::operating::tokens tk;
    std::string err;
    if (!zplex::operating::tokenize(text, tk, err) && err.empty()) std::abort();

    // A stack's EZZ8260I as zplex topology reads it: every DVIPA drawn, whatever came.
    zplex::operating::topology topo;
    topo.sysplex = "FUZZ";
    topo.dvipas = zplex::operating::dvipas_from_sysplex_display(text);
    for (const auto& d : topo.dvipas)
        if (d.address.empty() || d.address.size() > 45) std::abort();
    auto dot = zplex::operating::to_dot(topo);
    if (dot.empty() || dot.back() != '\n') std::abort();
    (void)zplex::operating::to_text(topo);

    zplex::operating::run_record rec;
    if (zplex::operating::parse_run(text, rec, err)) {
        std::string again;
        try {
            again = zplex::operating::format_run(rec);
        } catch (const std::invalid_argument&) {
            return 0;  // a field the writer refuses (blank inside): the parser cannot produce one
        }
        zplex::operating::run_record back;
        if (!zplex::operating::parse_run(again, back, err) || zplex::operating::format_run(back) != again) std::abort();
    }
    return 0;
}
