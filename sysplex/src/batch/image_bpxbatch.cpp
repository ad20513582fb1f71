// SPDX-License-Identifier: Apache-2.0
// BPXBATCH on an image (batch.hpp: image_bpxbatch): the step's thread enters the image's
// network namespace for the fork of the shell, and returns to its own after.
#include "batch.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace zplex::cli::batch {

jes::program image_bpxbatch(const context& c, const std::string& system, jes::program bpxbatch) {
    return [c, system, bpxbatch](const jes::job_step& step, jes::step_io& io) -> jes::program_result {
        answer why;
        auto con = console::open(c.run_dir, c.sysplex_dir, why);
        const operating::run_netns* ns = con ? con->r.netns_of(system) : nullptr;
        if (!ns) return bpxbatch(step, io);  // no sysplex runs: on this host
        int own = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        int img = ::open(("/run/netns/" + ns->name).c_str(), O_RDONLY | O_CLOEXEC);
        if (own < 0 || img < 0 || ::setns(img, CLONE_NEWNET) != 0) {
            io.system_message(fmt::format("BPXM036I BPXBATCH FAILED BECAUSE THE NAMESPACE OF {} CANNOT BE ENTERED: {}", system,
                                          std::strerror(errno)));
            if (own >= 0) ::close(own);
            if (img >= 0) ::close(img);
            return {254, {}};
        }
        ::close(img);
        jes::program_result r;
        try {
            r = bpxbatch(step, io);
        } catch (...) {
            (void)::setns(own, CLONE_NEWNET);
            ::close(own);
            throw;
        }
        (void)::setns(own, CLONE_NEWNET);
        ::close(own);
        return r;
    };
}

}  // namespace zplex::cli::batch
