// SPDX-License-Identifier: Apache-2.0
// The steps `zplex up` takes for each image, which `zplex image ipl` takes again for one:
// what its profile says to wait for and start, its Hercules started with a stamping log
// writer, its stack's command line, the test that the stack has joined with its DVIPAs.
#pragma once

#include "run_support.hpp"

#include <zplex/hercules/image.hpp>
#include <zplex/operating/run.hpp>
#include <zplex/sysplex/catalogue.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace zplex::cli::run {

/// What an image's profile says `up` must wait for and start.
struct image_plan {
    const sysplex::image_config* image = nullptr;
    std::vector<std::string> defines;   ///< DVIPAs it owns by VIPADEFINE
    std::vector<std::string> autolog;   ///< procedures to start
};

/// Every image's profile processed as its stack will; throws run_error (ZPX1817E) when
/// one has errors.
std::vector<image_plan> plan_images(const sysplex::catalogue& cat);

/// True if process @p pid holds a listening TCP socket (in its own network namespace).
bool listens(int pid);

/// One line request to a control socket (3 s); empty when nothing answered.
std::string ask(const fs::path& sock, const std::string& line);

/// True once the stack behind @p sock is in the sysplex group (D TCPIP,,SYSPLEX,VIPADYN
/// is not EZZ8269I) and every address of @p defines is Active on it (NETSTAT VIPADYN).
bool stack_ready(const fs::path& sock, const std::vector<std::string>& defines);


/// Start the image of @p io under Hercules, its output through a log writer that stamps
/// each line into io.dir/hercules.log (so SYSLOG has the time of every HHC and ZPX07xx
/// message); both processes are added to @p r and the record saved. Returns the PID, or
/// -1 with @p error set.
int start_image(operating::run_record& r, const fs::path& dir, hercules::image_options& io, std::string& error);

}  // namespace zplex::cli::run
