// SPDX-License-Identifier: Apache-2.0
// `zplex image ipl NAME`: the HMC's LOAD of one image of a running sysplex (image_ipl.hpp).
#include "commands.hpp"
#include "image_ipl.hpp"

#include <iostream>

namespace zplex::cli {

int image_ipl_command(int argc, char** argv) {
    CLI::App app{"zplex image ipl: the HMC's LOAD of one image of a running sysplex (its nucleus, then its stack "
                 "and AUTOLOG procedures)",
                 "zplex image ipl"};
    run::ipl_options o;
    app.add_option("name", o.name, "The image (MVS1)")->required();
    app.add_option("--run-dir", o.run_dir, "Run directory of the sysplex");
    app.add_option("--sysplex", o.sysplex_dir, "Sysplex folder (names the default run directory)");
    app.add_option("--wait", o.wait_s, "Seconds to wait for the stack and its DVIPAs")->check(CLI::Range(1, 600));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    return run::ipl_image(o, std::cout);
}

}  // namespace zplex::cli
