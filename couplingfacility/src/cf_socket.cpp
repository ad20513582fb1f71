// SPDX-License-Identifier: Apache-2.0
// The CF's command socket: operators and the other CF send one line, get the reply.
// The monitor runs on a thread of its own, and clients are served without blocking,
// each with a deadline: no client, idle or slow, delays failure or duplex handling.
#include "server_impl.hpp"

#include <zplex/sysplex/line_socket.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <system_error>
#include <thread>

namespace zplex::cf {

std::filesystem::path cf_server::socket_path(const std::filesystem::path& run_dir, const std::string& cf) {
    return run_dir / (cf + ".sock");
}

int cf_server::run(const std::atomic<bool>& stop) {
    if (!_impl->lock) {
        return 12;  // start() did not make this process the CF
    }
    auto path = socket_path(_impl->o.run_dir, _impl->o.cf);
    // We are the CF (its lock is ours): a socket left there is a dead CF's, and the
    // line server replaces it; anything that is not a stale socket of ours is refused.
    std::unique_ptr<sysplex::line_server> srv;
    try {
        sysplex::line_server::limits l;
        l.max_clients = 64;
        l.max_line = 1024;
        l.deadline = std::chrono::seconds(10);  // to send a line and take the reply
        l.too_long_reply = "IEE305I COMMAND TOO LONG\n";
        srv = std::make_unique<sysplex::line_server>(path.string(), l);
    } catch (const std::system_error&) {
        return 12;
    }

    std::mutex wm;
    std::condition_variable cv;
    bool ending = false;
    std::thread monitor([&] {
        std::unique_lock<std::mutex> wl(wm);
        while (!ending && !stop.load()) {
            wl.unlock();
            {
                std::lock_guard<std::mutex> g(_impl->m);
                _impl->poll();
            }
            wl.lock();
            cv.wait_for(wl, _impl->o.interval, [&] { return ending; });
        }
    });

    auto serve = [this](const std::string& line) { return command(line); };
    while (!stop.load()) {
        srv->wait(serve, std::chrono::milliseconds(100));
    }
    {
        std::lock_guard<std::mutex> wl(wm);
        ending = true;
    }
    cv.notify_all();
    monitor.join();
    return 0;
}

int reply_code(const std::string& reply) {
    if (reply.rfind("IXL158I", 0) == 0) {
        return reply.find("NOT DEFINED") != std::string::npos ? 8 : 12;
    }
    return reply.rfind("IXC341I", 0) == 0 || reply.rfind("IEE305I", 0) == 0 ? 8 : 0;
}

std::string send_command(const std::filesystem::path& run_dir, const std::string& cf, const std::string& command) {
    std::string reply;
    try {
        reply = sysplex::line_request(cf_server::socket_path(run_dir, cf).string(), command);
    } catch (const std::system_error&) {
        return "IXL158I CF " + cf + " CANNOT BE REACHED\n";
    }
    if (reply.empty()) {
        return "IXL158I CF " + cf + " DID NOT ANSWER\n";
    }
    return reply;
}

}  // namespace zplex::cf
