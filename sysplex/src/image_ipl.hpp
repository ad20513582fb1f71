// SPDX-License-Identifier: Apache-2.0
// The HMC's LOAD of one image of a running sysplex: what `zplex image ipl NAME` does and
// ZPXFAULT's `IPL sys` statement does from a job. Under Hercules the image's own
// Hercules (the LPAR) IPLs the nucleus again and a new incarnation of the system joins
// the sysplex; then what the system's start brings up follows: its TCP/IP stack (the old
// one, fenced, ends first) and the AUTOLOG procedures of its profile. Without Hercules
// the stack is started again.
#pragma once

#include <iosfwd>
#include <string>

namespace zplex::cli::run {

struct ipl_options {
    std::string name;                           ///< the image (MVS1)
    std::string run_dir;                        ///< "" = the default run of @ref sysplex_dir
    std::string sysplex_dir = "profiles/FIG4";  ///< names the default run directory
    int wait_s = 60;                            ///< for the stack to join with its DVIPAs
};

/// IPL image @p o.name again, its messages (ZPX1840I-ZPX1843I, IXC203I, ...) written to
/// @p out. Returns 0 when it is IPLed and its stack joined with its DVIPAs, 4 when an
/// AUTOLOG procedure of its profile was not found, 8 when the IPL is refused (no running
/// sysplex, an image not in it, the system still active in the sysplex: IXC203I, the run
/// locked by another zplex), 12 when it failed (root needed, the console did not take
/// the IPL, the nucleus or the stack did not join in time).
int ipl_image(const ipl_options& o, std::ostream& out);

}  // namespace zplex::cli::run
