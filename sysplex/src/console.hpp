// SPDX-License-Identifier: Apache-2.0
// The MCS console of a running sysplex: the run record and catalogue it was built from,
// and one operator command routed as z/OS routes it (D/V TCPIP to the stack, D XCF to
// the system's XCF, D XCF,STR/SETXCF/D CF to the CFs, RO, S/P, V XCF,OFFLINE).
// `zplex cmd` and the batch programs of a job (ZPXOPER, ZPXFAULT) share it.
#pragma once

#include <zplex/operating/command.hpp>
#include <zplex/operating/run.hpp>
#include <zplex/sysplex/catalogue.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace zplex::cli {

/// A command's response lines and its exit code (0 answered, 8 refused or not active,
/// 12 a component did not answer).
struct answer {
    std::string text;
    int rc = 0;
};

/// @p s ending in a newline.
std::string with_newline(std::string s);

/// The sysplex as a console sees it: the run record and the catalogue it came from.
struct console {
    std::filesystem::path dir;
    operating::run_record r;
    std::optional<sysplex::catalogue> cat;
    std::vector<std::string> systems;

    /// The run in @p run_dir (or the default one of @p sysplex_dir). nullopt, with the
    /// message in @p why, when there is none or it is down.
    static std::optional<console> open(const std::string& run_dir, const std::string& sysplex_dir, answer& why);

    const sysplex::image_config* image(const std::string& s) const { return cat->config().find_image(s); }

    /// One routed command as issued on @p system's console.
    answer execute(const operating::routed& rt, const std::string& system);
    /// route() and execute(): @p text as typed.
    answer command(const std::string& text, const std::string& system) { return execute(operating::route(text), system); }

    /// A z/OS UNIX command on @p system: `ipsec -y|-f ...` (the stack's IP security
    /// displays) to the stack, `ipsec -k ...` to the image's IKED.
    answer uss(const std::string& text, const std::string& system);

    answer stack(const operating::routed& rt, const std::string& system);
    answer xcf_display(const operating::routed& rt, const std::string& system);
    answer cf_command(const operating::routed& rt, bool all);
    answer start_job(const operating::routed& rt, const std::string& system);
    answer stop_job(const operating::routed& rt, const std::string& system);
    answer vary_offline(const operating::routed& rt);
};

}  // namespace zplex::cli
