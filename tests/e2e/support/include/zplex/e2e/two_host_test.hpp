// SPDX-License-Identifier: Apache-2.0
// The fixture of the two-namespace e2e tests: a and b on a veth (two_hosts), a scratch
// folder named after them, and the charon and zplex-host processes a test starts there.
// A test that fails prints their logs; everything is ended (by PID) and removed in
// TearDown, failing or not.
#pragma once

#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/strongswan.hpp>
#include <zplex/e2e/zplex_host.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

namespace zplex::e2e {

class two_host_test : public ::testing::Test {
protected:
    enum class needs { namespaces, strongswan, tun };

    explicit two_host_test(needs what = needs::strongswan) : _needs(what) {}

    void SetUp() override {
        std::string why;
        if (!can_use_netns(&why) || (_needs == needs::strongswan && !have_strongswan(&why))) {
            GTEST_SKIP() << why;
        }
        if (_needs == needs::tun && !std::filesystem::exists("/dev/net/tun")) {
            GTEST_SKIP() << "no /dev/net/tun";
        }
        hosts = std::make_unique<two_hosts>();
        dir = std::filesystem::temp_directory_path() / hosts->a.name();
    }

    void TearDown() override {
        if (HasFailure()) {
            for (const auto& [name, c] : {std::pair{"a", ca.get()}, std::pair{"b", cb.get()}}) {
                if (c) {
                    std::printf("--- charon %s log\n%s", name, c->log_tail(60).c_str());
                }
            }
            if (za) {
                std::printf("--- zplex-host a\n%s", za->output().c_str());
            }
        }
        za.reset();
        zb.reset();
        ca.reset();
        cb.reset();
        hosts.reset();
        if (!dir.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(dir, ec);
        }
    }

    /// A PSK connection between the inner addresses, as side a sees it.
    static psk_connection inner_connection() {
        psk_connection c;
        c.local_addr = two_hosts::outer_a;
        c.remote_addr = two_hosts::outer_b;
        c.local_ts = std::string(two_hosts::inner_a) + "/32";
        c.remote_ts = std::string(two_hosts::inner_b) + "/32";
        return c;
    }

    /// @p c (as side a sees it) into charon a, and mirrored into charon b.
    void load_mirrored(psk_connection c) {
        ca->load(c.swanctl_conf());
        std::swap(c.local_addr, c.remote_addr);
        std::swap(c.local_ts, c.remote_ts);
        cb->load(c.swanctl_conf());
    }

    std::unique_ptr<two_hosts> hosts;
    std::filesystem::path dir;
    std::unique_ptr<charon> ca, cb;
    std::unique_ptr<zplex_host_process> za, zb;

private:
    needs _needs;
};

}  // namespace zplex::e2e
