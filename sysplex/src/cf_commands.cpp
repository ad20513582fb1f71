// SPDX-License-Identifier: Apache-2.0
// `zplex cf stress` and `zplex cf cmd`: the coupling facility from the command line.
#include "commands.hpp"

#include <zplex/cf/cf_server.hpp>
#include <zplex/cf/stress.hpp>

#include <fmt/format.h>

#include <iostream>

namespace zplex::cli {

void add_cf_commands(CLI::App& app, exit_status& status) {
    auto* cf = app.add_subcommand("cf", "Coupling facility: stress test, operator commands");
    cf->require_subcommand(1);

    auto so = std::make_shared<zplex::cf::stress_options>();
    auto* stress = cf->add_subcommand(
        "stress", "N connector processes take M numbers by LISTKEYINC, K killed and restarted; exit 8 on any reuse");
    stress->add_option("--connectors", so->connectors, "Connector processes")->check(CLI::Range(1, 30));
    stress->add_option("--numbers", so->numbers, "Numbers to take in all")->check(CLI::Range(1ull, 1ull << 40));
    stress->add_option("--block", so->block, "Numbers per request (LISTKEYINC)")->check(CLI::Range(1ull, 1ull << 20));
    stress->add_option("--kill", so->kills, "Connectors to kill (SIGKILL) mid-run and restart")
        ->check(CLI::Range(0, 10000));
    stress->add_flag("--duplex", so->duplex, "Duplex the structure over CF01/CF02 and kill the primary CF halfway");
    stress->add_flag("--rival-cf", so->rival_cf, "Start a second CF01 for the same sysplex 40% in: it must be refused");
    stress->callback([so, &status] {
        zplex::cf::stress_report r;
        status.code = zplex::cf::run_stress(*so, r, std::cout);
        std::cout << fmt::format("connectors {}, block {}, kills {}, CF failovers {}, {:.2f} s, {:.1f} M numbers/s\n",
                                 so->connectors, so->block, r.kills, r.cf_failovers, r.seconds,
                                 r.seconds > 0 ? static_cast<double>(r.numbers) / r.seconds / 1e6 : 0.0);
        if (so->rival_cf) {
            std::cout << fmt::format("rival CF01 {} (code {})\n", r.rival_rc == 8 ? "refused" : "NOT REFUSED",
                                     r.rival_rc);
        }
    });

    auto sweep_prefix = std::make_shared<std::string>();
    auto* sweep = cf->add_subcommand(
        "sweep", "Remove what CFs that no longer run left in /dev/shm (a live CF's structures are never touched)");
    sweep->add_option("--namespace-prefix", *sweep_prefix, "Only namespaces starting with this (default: all)");
    sweep->callback([=, &status] {
        auto n = zplex::cf::sweep_leftovers(*sweep_prefix, std::cout);
        std::cout << "IXL164I " << n << " LEFTOVER(S) REMOVED\n";
        status.code = 0;
    });

    auto cmd_cf = std::make_shared<std::string>("CF01");
    auto cmd_dir = std::make_shared<std::string>();
    auto cmd_text = std::make_shared<std::string>();
    auto* cmd = cf->add_subcommand("cmd", "Send an operator command (D CF, D XCF,STR,STRNAME=..., SETXCF ...) to a CF");
    cmd->add_option("--cf", *cmd_cf, "The CF (CF01)");
    cmd->add_option("--run-dir", *cmd_dir, "The CF's run folder")->required()->check(CLI::ExistingDirectory);
    cmd->add_option("command", *cmd_text, "The command")->required();
    cmd->callback([=, &status] {
        auto reply = zplex::cf::send_command(*cmd_dir, *cmd_cf, *cmd_text);
        std::cout << reply;
        status.code = zplex::cf::reply_code(reply);
    });
}

}  // namespace zplex::cli
