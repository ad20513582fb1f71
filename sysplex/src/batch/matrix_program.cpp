// SPDX-License-Identifier: Apache-2.0
// ZPXMATRX: the faults matrix (docs/faults.md) as a job step, on the sysplex the job runs
// against (jcl/FAULTS). PARM='QUICK' runs --quick's rows, PARM='ALL' (or none) every row;
// the rows' lines and the table go to SYSPRINT, and the step ends with the matrix's code:
// 0 every row passed, 4 one could not be checked, 8 one failed or was not run, 12 the
// sysplex is not FIG4's or cannot be used.
#include "batch.hpp"

#include <fmt/format.h>

namespace zplex::cli::batch {

namespace {

constexpr const char* name = "ZPXMATRX";

jes::program_result zpxmatrx(const context& c, const jes::job_step& step, jes::step_io& io) {
    report rep;
    rep.say(fmt::format("{}  FAULTS MATRIX - STEP {}", name, step.name));
    std::string parm;
    for (char ch : step.parm) parm += static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
    if (!parm.empty() && parm != "QUICK" && parm != "ALL") {
        rep.say(fmt::format(" ZPX0640E PARM '{}' NOT VALID: QUICK OR ALL", step.parm.substr(0, 40)));
        rep.raise(12);
        return end_report(io, rep, name);
    }
    auto con = open_console(c, rep, name);
    if (!con) return end_report(io, rep, name);
    if (!con->cat) {
        rep.say(" ZPX0641E THE RUNNING SYSPLEX HAS NO CATALOGUE TO DRIVE THE MATRIX FROM");
        rep.raise(12);
        return end_report(io, rep, name);
    }
    const auto& cfg = con->cat->config();
    if (auto missing = fig4_missing(cfg); !missing.empty()) {
        rep.say(fmt::format(" ZPX1903E THE FAULTS MATRIX IS FIG4'S: SYSPLEX {} HAS NO {}", cfg.name, missing));
        rep.raise(12);
        return end_report(io, rep, name);
    }
    std::string why;
    std::vector<std::string> left_out;
    auto rows = operating::faults::runnable_rows(operating::faults::select_rows(parm == "QUICK", {}, why),
                                                 con->r.hercules, left_out);
    for (const auto& l : left_out) rep.say(" " + l);
    rep.say(fmt::format(" ZPX0642I {} ROW(S) ON SYSPLEX {} RUN {}{}", rows.size(), cfg.name, con->dir.string(),
                        con->r.hercules ? "" : "; NO HERCULES"));
    auto r = run_matrix(*con, cfg, rows, con->dir / "faults" / step.name, [&](const std::string& l) { rep.say(" " + l); });
    rep.raise(r.rc);
    if (r.rc != 0) io.system_message(fmt::format("ZPX0643E {} {} FAULTS MATRIX ENDED RC={}", step.name, name, r.rc));
    return end_report(io, rep, name);
}

}  // namespace

jes::program matrix_program(const context& c) {
    return [c](const jes::job_step& step, jes::step_io& io) { return zpxmatrx(c, step, io); };
}

}  // namespace zplex::cli::batch
