// SPDX-License-Identifier: Apache-2.0
// The state of one zplex-cf, shared by its parts: allocation and monitoring
// (cf_server.cpp), displays (cf_display.cpp), the command socket (cf_socket.cpp).
//
// The truth is the shared memory: every instance's header says who owns it (PID and
// start time), its role, its partner and whether it was fenced. `mine` is only this
// process's handles on what it owns; every pass of the monitor reconciles it with the
// headers, and displays read the headers, so every CF shows the same thing.
#pragma once

#include "instance.hpp"

#include <zplex/cf/cf_server.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace zplex::cf {

struct cf_server::impl {
    server_options o;
    std::unique_ptr<detail::cf_lock> lock;                            // held while we are the CF
    std::map<std::string, std::unique_ptr<detail::instance>> mine;   // structure -> instance held here
    std::mutex m;  // mine and every change of a header's role, between monitor and commands

    void say(const std::string& message) const {
        if (o.log) {
            o.log(message);
        }
    }

    const sysplex::structure_config* policy(const std::string& name) const;
    std::vector<std::string> cfs() const;  // every CF any PREFLIST names
    detail::instance_params params(const sysplex::structure_config& s) const;
    std::string shm(const std::string& cf, const std::string& structure) const {
        return detail::instance::shm_name(o.sysplex, cf, structure);
    }

    /// The instance is the structure (or its valid duplex copy): its owner runs, it is
    /// not fenced, and a secondary is the one its primary points at.
    bool current(detail::instance& in) const;
    /// The current primary (or simplex) instance of @p s, in whichever CF.
    std::unique_ptr<detail::instance> primary_of(const sysplex::structure_config& s) const;
    std::unique_ptr<detail::instance> partner_of(detail::instance& me) const;

    // allocation, duplexing, rebuild (cf_server.cpp); m held
    void start();
    void rollback() noexcept;
    void allocate(const sysplex::structure_config& s);
    /// Fence our own instance of @p s a dead CF left; every old (fenced or ownerless)
    /// instance of @p s, still mapped.
    std::vector<std::unique_ptr<detail::instance>> retire_stale(const sysplex::structure_config& s);
    void establish_duplex(detail::instance& primary, detail::instance& secondary);
    std::string join(const std::string& name, bool rebuild);
    void take_over(const std::string& name, detail::instance& me);
    void drop_partner(detail::instance& me, bool by_operator);
    void switch_to(detail::instance& old_primary, detail::instance& copy);
    void forget(const std::string& name) noexcept;
    void poll();
    void reallocate_lost();
    void leave() noexcept;

    // operator commands (cf_display.cpp); m not held on entry
    std::string command(std::string text);
    std::string display_cf(const std::string& cf);
    std::string display_summary();
    std::string display_str(const std::string& strname);
    std::string display_structure(const sysplex::structure_config& s);
    std::string rebuild(const std::string& name, bool duplex);
    std::string stop_duplex(const std::string& name, bool keep_new);
};

}  // namespace zplex::cf
