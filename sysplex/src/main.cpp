// SPDX-License-Identifier: Apache-2.0
// zplex: the one command line of the sysplex emulator.
#include "commands.hpp"

#include <zplex/hercules/image_command.hpp>
#include <zplex/sysplex/debug_option.hpp>

#include <cstring>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    CLI::App app{"zplex: a z/OS Parallel Sysplex network plane (CF, XCF, TCP/IP, SWSA) on one Linux machine",
                 "zplex"};
    app.require_subcommand(1);
    zplex::log::add_debug_options(app);
    app.set_version_flag("--version", std::string("zplex 0.1.0"));
    zplex::cli::exit_status status;
    zplex::cli::add_profile_commands(app, status);
    zplex::cli::add_cf_commands(app, status);
    zplex::cli::add_xcf_commands(app, status);
    zplex::cli::add_policy_commands(app, status);
    zplex::cli::add_ipsec_commands(app, status);
    zplex::cli::add_submit_commands(app, status);
    zplex::cli::add_up_commands(app, status);
    zplex::cli::add_cmd_commands(app, status);
    zplex::cli::add_topology_commands(app, status);
    zplex::cli::add_console_commands(app, status);
    zplex::cli::add_trace_commands(app, status);
    zplex::cli::add_faults_commands(app, status);
    // `zplex image ...` is the image command line as it stands (zplex-image).
    app.add_subcommand("image", "Hercules images: start, stop, status, cmd, take; ipl NAME of a running sysplex (zplex image --help)")
        ->allow_extras()
        ->prefix_command();
    if (argc > 2 && std::strcmp(argv[1], "image") == 0 && std::strcmp(argv[2], "ipl") == 0) {
        return zplex::cli::image_ipl_command(argc - 2, argv + 2);  // the run's image, as the HMC's LOAD
    }
    if (argc > 1 && std::strcmp(argv[1], "image") == 0) {
        std::string self = "zplex image";
        argv[1] = self.data();
        return zplex::hercules::image_command(argc - 1, argv + 1);
    }
    if (argc > 1 && argv[1][0] != '-') {
        bool known = false;
        for (const auto* sub : app.get_subcommands({})) {
            known = known || sub->check_name(argv[1]);
        }
        if (!known) {
            std::cerr << "ZPX0001E UNKNOWN COMMAND " << argv[1] << "\n" << app.help();
            return 2;
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version are "errors" with exit code 0; anything else is a
        // usage error: CLI11 prints what was wrong, we exit 2.
        int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    } catch (const std::exception& e) {
        std::cerr << "ZPX0002E INTERNAL ERROR: " << e.what() << "\n";
        return 12;
    }
    return status.code;
}
