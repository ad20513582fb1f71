// SPDX-License-Identifier: Apache-2.0
// The job log as JES2 prints it (job_log::str), the job's exit code, and the JUnit
// report of a run (one testsuite per job, one testcase per step).
#include <zplex/jes/executor.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

namespace zplex::jes {

int job_log::exit_code() const {
    if (jcl_error) {
        return exit_jcl_error;
    }
    if (!abend.empty()) {
        return exit_abend;
    }
    return std::min(maxcc, exit_rc_cap);
}

std::string job_log::str() const {
    std::ostringstream out;
    auto section = [&](const std::vector<std::string>& lines) {
        for (const auto& l : lines) {
            out << l << "\n";
        }
    };
    out << "                    J E S 2  J O B  L O G  --  S Y S T E M  Z P L X  --  N O D E  Z P L E X\n\n";
    section(jesmsglg);
    out << "\n";
    section(jesjcl);
    out << "\n";
    section(jesysmsg);
    for (const auto& so : sysouts) {
        out << fmt::format("\n---- SYSOUT {}{}.{} (CLASS {}) ----\n", so.step, so.procstep.empty() ? "" : "." + so.procstep,
                           so.ddname, so.cls);
        section(so.lines);
    }
    return out.str();
}

namespace {

std::string xml_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        unsigned char u = static_cast<unsigned char>(c);
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default:
            if (u < 0x20 && c != '\n' && c != '\t') {
                out += fmt::format("X'{:02X}'", u);
            } else if (u >= 0x80) {
                out += '?';  // keep the XML valid whatever the SYSOUT holds
            } else {
                out += c;
            }
        }
    }
    return out;
}

}  // namespace

std::string junit_xml(const std::vector<job_log>& jobs) {
    std::ostringstream out;
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n";
    for (const auto& log : jobs) {
        int failures = 0, skipped = 0, errors = log.jcl_error ? 1 : 0;
        for (const auto& s : log.steps) {
            if (s.result == step_record::outcome::abended || (s.result == step_record::outcome::executed && s.rc > 4)) {
                ++failures;
            } else if (s.result != step_record::outcome::executed) {
                ++skipped;
            }
        }
        std::size_t tests = log.steps.size() + (log.jcl_error && log.steps.empty() ? 1 : 0);
        out << fmt::format("  <testsuite name=\"{}\" id=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
                           xml_escape(log.jobname), xml_escape(log.jobid), tests, failures, errors, skipped);
        if (log.jcl_error && log.steps.empty()) {
            std::string text;
            for (const auto& l : log.jesysmsg) {
                text += l + "\n";
            }
            out << fmt::format("    <testcase name=\"JCL\" classname=\"{}\">\n      <error message=\"JCL ERROR\">{}</error>\n    </testcase>\n",
                               xml_escape(log.jobname), xml_escape(text));
        }
        for (const auto& s : log.steps) {
            std::string name = s.procstep.empty() ? s.name : s.name + "." + s.procstep;
            out << fmt::format("    <testcase name=\"{}\" classname=\"{}\">\n", xml_escape(name), xml_escape(log.jobname));
            if (s.result == step_record::outcome::abended || (s.result == step_record::outcome::executed && s.rc > 4)) {
                std::string what = s.result == step_record::outcome::abended ? "ABEND=" + s.abend
                                                                               : fmt::format("COND CODE {:04}", s.rc);
                std::string text;
                for (const auto& l : s.sysout_tail) {
                    text += l + "\n";
                }
                out << fmt::format("      <failure message=\"{}\" type=\"{}\">{}</failure>\n", xml_escape(what),
                                   s.result == step_record::outcome::abended ? "ABEND" : "CONDCODE", xml_escape(what + "\n" + text));
            } else if (s.result != step_record::outcome::executed) {
                out << fmt::format("      <skipped message=\"{}\"/>\n",
                                   xml_escape(s.why.empty() ? "STEP WAS NOT EXECUTED" : s.why));
            }
            out << "    </testcase>\n";
        }
        out << "  </testsuite>\n";
    }
    out << "</testsuites>\n";
    return out.str();
}

}  // namespace zplex::jes
