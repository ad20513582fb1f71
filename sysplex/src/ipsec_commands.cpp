// SPDX-License-Identifier: Apache-2.0
// `zplex ipsec -k|-y display [-r detail] --control SOCKET`: the z/OS UNIX ipsec command's
// IKE and dynamic tunnel displays, asked of a running zplex-host over its control socket;
// and the verbs tests use: `zplex ipsec --control S initiate|rekey|delete ...`.
#include "commands.hpp"

#include <zplex/sysplex/line_socket.hpp>

#include <iostream>
#include <memory>
#include <system_error>

namespace zplex::cli {

namespace {

int ask(const std::string& socket, const std::string& line) {
    try {
        std::string reply = sysplex::line_request(socket, line);
        std::cout << reply;
        return reply.rfind("ZPX0909E", 0) == 0 ? 8 : 0;
    } catch (const std::system_error& e) {
        std::cerr << "ZPX0913E CONTROL SOCKET " << socket << " DID NOT ANSWER: " << e.what() << "\n";
        return 12;
    }
}

}  // namespace

void add_ipsec_commands(CLI::App& app, exit_status& status) {
    auto* ip = app.add_subcommand("ipsec", "IPSec displays and IKE control of a running zplex-host");
    auto ike = std::make_shared<bool>(false);
    auto dyn = std::make_shared<bool>(false);
    auto report = std::make_shared<std::string>();
    auto socket = std::make_shared<std::string>();
    auto verb = std::make_shared<std::vector<std::string>>();
    ip->add_flag("-k", *ike, "IKE tunnels (ipsec -k display)");
    ip->add_flag("-y", *dyn, "Dynamic tunnels (ipsec -y display)");
    ip->add_option("-r", *report, "Report format: detail")->check(CLI::IsMember({"detail", "wide"}));
    ip->add_option("--control", *socket, "zplex-host's control socket")->required();
    ip->add_option("request", *verb,
                   "display | initiate RULE | rekey child [SPI] | rekey ike [RULE] | delete child [SPI] | "
                   "delete ike [RULE] | status | counters");
    ip->callback([=, &status] {
        std::string line;
        if (*ike || *dyn) {
            if (*ike && *dyn) {
                std::cerr << "ZPX0913E SPECIFY ONE OF -k AND -y\n";
                status.code = 8;
                return;
            }
            if (verb->size() != 1 || verb->front() != "display") {
                std::cerr << "ZPX0913E ONLY display IS SUPPORTED WITH -k AND -y\n";
                status.code = 8;
                return;
            }
            line = std::string("ipsec ") + (*ike ? "-k" : "-y") + " display" + (*report == "detail" ? " -r detail" : "");
        } else {
            if (verb->empty()) {
                std::cerr << "ZPX0913E NO REQUEST: -k display, -y display or a control verb\n";
                status.code = 8;
                return;
            }
            for (const auto& w : *verb) {
                line += (line.empty() ? "" : " ") + w;
            }
        }
        status.code = ask(*socket, line);
    });
}

}  // namespace zplex::cli
