// SPDX-License-Identifier: Apache-2.0
// What the survival cases share (stack_survival_test.cpp: the distributor's process
// killed; stack_hercules_test.cpp: its image's CPU stopped): DVA1's servers, zplex-app in
// MVS1's and MVS2's images and a stock socat echo in MVS4's, all on any address port 60,
// and the stacks of MVS1, MVS2 and MVS4 with the three targets ready on MVS1.
#pragma once

#include <zplex/e2e/process.hpp>
#include <zplex/e2e/stack_plex.hpp>

#include <string>
#include <vector>

namespace zplex::e2e {

struct survival_plex {
    explicit survival_plex(stack_plex& p) : plex(p) {}

    /// The servers, then MVS1's stack (with @p mvs1_extra), MVS2's and MVS4's; "" once
    /// MVS1's VDPT shows the three targets ready, else what is missing.
    std::string start(const std::vector<std::string>& mvs1_extra = {}) {
        app1 = plex.app("MVS1");
        app2 = plex.app("MVS2");
        socat = child_process::exec({"socat", "TCP4-LISTEN:60,reuseaddr,fork", "PIPE"}, plex.image("MVS4").name(),
                                    plex.dir / "socat.log");
        p1 = plex.start("MVS1", mvs1_extra);
        if (!plex.wait_log("MVS1", "EZD1214I")) return "MVS1 did not start:\n" + plex.log("MVS1");
        p2 = plex.start("MVS2");
        p4 = plex.start("MVS4");
        for (const char* sys : {"MVS2", "MVS4"})
            if (!plex.wait_log(sys, "EZD1214I")) return std::string(sys) + " did not start:\n" + plex.log(sys);
        // The targets' listeners reached the distributor (sock_diag on each target, then
        // its report): all three ready.
        for (const char* xcf : {"198.18.1.1", "198.18.1.2", "198.18.1.4"})
            if (!plex.wait_display("MVS1", "NETSTAT VDPT",
                                   std::string("  DestXCF:    ") + xcf + "\n  TotalConn:  0000000000  Rdy: 001"))
                return std::string("target ") + xcf + " not ready:\n" + plex.control("MVS1", "NETSTAT VDPT");
        return {};
    }

    /// Ends what still runs (and @p also); the names of those that did not end with 0.
    std::string stop(std::vector<child_process*> also = {}) {
        std::string bad;
        also.insert(also.begin(), {&p4, &p2, &p1});
        for (auto* p : also)
            if (p->running() && p->terminate(std::chrono::seconds(5)).status != 0) bad += " a stack";
        for (auto* a : {&app1, &app2})
            if (a->running() && a->terminate(std::chrono::seconds(5)).status != 0) bad += " zplex-app";
        socat.terminate(std::chrono::seconds(5));
        return bad;
    }

    stack_plex& plex;
    child_process app1, app2, socat, p1, p2, p4;
};

}  // namespace zplex::e2e
