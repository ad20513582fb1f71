// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the operator commands a CF accepts on its socket (D CF, D XCF,STR,
// SETXCF ..., JOIN). Any crash, sanitizer report or escaped exception is a finding.
#include <zplex/cf/cf_server.hpp>

#include <cstddef>
#include <cstdlib>
#include <cstdint>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace {

zplex::cf::cf_server* g_server = nullptr;

/// The structure instance is freed when libFuzzer exits.
void free_server() {
    delete g_server;
    g_server = nullptr;
}

zplex::cf::cf_server& server() {
    static auto* s = [] {
        zplex::sysplex::structure_config str;
        str.name = "EZBDVIPA";
        str.list_count = 2;
        str.entry_size = 16;
        str.max_entries = 4;
        str.size_kb = 4;
        str.preflist = {"CF01", "CF02"};
        zplex::cf::server_options o;
        o.sysplex = "FUZZ" + std::to_string(::getpid());
        o.cf = "CF01";
        o.structures = {str};
        o.run_dir = std::filesystem::temp_directory_path() / o.sysplex;  // no CF02 there: JOIN fails cleanly
        g_server = new zplex::cf::cf_server(o);
        g_server->start();
        std::atexit(free_server);
        return g_server;
    }();
    return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string cmd(reinterpret_cast<const char*>(data), size);
    if (cmd.find("REBUILD") != std::string::npos && cmd.find("DUPLEX") == std::string::npos &&
        cmd.find("STOP") == std::string::npos) {
        // A successful rebuild would move the structure away; keep the target stable.
        cmd += ",DUPLEX";
    }
    auto reply = server().command(cmd);
    return reply.empty() ? 1 : 0;
}
