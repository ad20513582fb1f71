// SPDX-License-Identifier: Apache-2.0
#include <zplex/e2e/stack_plex.hpp>
#include <zplex/sysplex/line_socket.hpp>
#include <zplex/sysplex/text.hpp>
#include <zplex/tcpip/stack/control_socket.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace zplex::e2e {

namespace fs = std::filesystem;

std::string file_text(const fs::path& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string stack_control(const fs::path& sock, const std::string& command) {
    try {
        return sysplex::line_request(sock.string(), command, std::chrono::seconds(10));  // a hung stack does not hang the test
    } catch (const std::system_error&) {
        return {};
    }
}

stack_plex::stack_plex(const std::string& tag, const std::string& name_given, const fs::path& where) {
    if (where.empty()) {
        dir = fs::temp_directory_path() / ("zpxst-" + std::to_string(::getpid()) + "-" + tag);
        fs::remove_all(dir);
        _own_dir = true;
    } else {
        dir = where;
    }
    catalogue = dir / "FIG4";
    run = dir / "run";
    fs::create_directories(catalogue);
    fs::copy(fs::path(ZPLEX_SOURCE_DIR) / "profiles/FIG4", catalogue,
             fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    std::string name = name_given;
    if (name.empty()) {
        name = "S" + std::to_string(::getpid() % 100000);
        for (char c : sysplex::upper(tag))
            if (name.size() < 8 && std::isalnum(static_cast<unsigned char>(c))) name.push_back(c);
    }
    std::string x = file_text(catalogue / "SYSPLEX.xml");
    auto at = x.find("name=\"ZPLEX1\"");
    if (at == std::string::npos) throw std::runtime_error("FIG4's SYSPLEX.xml has no name=\"ZPLEX1\"");
    x.replace(at, 13, "name=\"" + name + "\"");
    sysplex = name;
    std::ofstream(catalogue / "SYSPLEX.xml") << x;
    lan.ip({"link", "add", "br0", "type", "bridge"});
    lan.ip({"link", "set", "br0", "up"});
}

stack_plex::~stack_plex() {
    _clients.clear();
    _images.clear();
    // The CFs' structures and XCF's shared memory of this sysplex (its name is the
    // plex's own), also when a CF or a stack was killed and could not remove them.
    std::error_code gone;
    const std::string prefix = "zplex." + sysplex + ".";
    for (const auto& e : fs::directory_iterator("/dev/shm", gone))
        if (e.path().filename().string().rfind(prefix, 0) == 0) fs::remove(e.path(), gone);
    if (_own_dir) {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
}

netns& stack_plex::image(const std::string& system) {
    auto& ns = _images[system];
    if (!ns) {
        ns = std::make_unique<netns>(sysplex::lower(system));
    }
    return *ns;
}

netns& stack_plex::client(int n) {
    auto& ns = _clients[n];
    if (!ns) {
        ns = std::make_unique<netns>("c" + std::to_string(n));
        std::string peer = "vc" + std::to_string(n);
        ns->ip({"link", "add", "veth0", "type", "veth", "peer", "name", peer, "netns", lan.name()});
        lan.ip({"link", "set", peer, "master", "br0", "up"});
        ns->ip({"addr", "add", client_address(n) + "/24", "dev", "veth0"});
        ns->ip({"link", "set", "veth0", "up"});
        ns->ip({"route", "add", "198.18.2.0/24", "dev", "veth0"});  // DVIPAs and static VIPAs on-link
        ns->ip({"route", "add", "198.18.3.0/24", "dev", "veth0"});
    }
    return *ns;
}

child_process stack_plex::start(const std::string& system, const std::vector<std::string>& extra,
                                const std::string& log_tag) {
    std::vector<std::string> argv{std::string(ZPLEX_BINARY_DIR) + "/bin/zplex-tcpip", "--sysplex", catalogue.string(),
                                  "--system", system, "--run-dir", run.string(), "--lan-netns", lan.name(),
                                  "--bridge", "br0", "--image-netns", image(system).name()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return child_process::exec(argv, {}, log_path(system, log_tag));
}

child_process stack_plex::app(const std::string& system, const std::string& log_tag) {
    return child_process::exec({std::string(ZPLEX_BINARY_DIR) + "/bin/zplex-app", "--image", system, "--netns",
                                image(system).name(), "--port", "60", "--log-connections"},
                               {}, app_log_path(system, log_tag));
}

fs::path stack_plex::app_log_path(const std::string& system, const std::string& log_tag) const {
    return dir / ("app-" + system + log_tag + ".log");
}

void stack_plex::rewrite_member(const std::string& member, const std::string& from, const std::string& to) {
    fs::path p = catalogue / "SYS1.TCPPARMS" / member;
    std::string text = file_text(p);
    auto at = text.find(from);
    if (at == std::string::npos) throw std::runtime_error("SYS1.TCPPARMS(" + member + ") has no '" + from + "'");
    text.replace(at, from.size(), to);
    std::ofstream(p) << text;
}

child_process stack_plex::start_cf(const std::string& cf) {
    fs::create_directories(dir / "cf");
    fs::permissions(dir / "cf", fs::perms::owner_all, fs::perm_options::replace);
    auto p = child_process::exec({std::string(ZPLEX_BINARY_DIR) + "/bin/zplex-cf", "--sysplex", catalogue.string(),
                                  "--cf", cf, "--run-dir", (dir / "cf").string()},
                                 {}, log_path(cf));
    if (!wait_log(cf, "IXL157I", 20s)) throw std::runtime_error("zplex-cf " + cf + " did not start: " + log(cf));
    return p;
}

fs::path stack_plex::log_path(const std::string& system, const std::string& log_tag) const {
    return dir / (system + log_tag + ".log");
}

std::string stack_plex::log(const std::string& system, const std::string& log_tag) const {
    return file_text(log_path(system, log_tag));
}

bool stack_plex::wait_log(const std::string& system, const std::string& text, std::chrono::milliseconds bound,
                          const std::string& log_tag) const {
    auto end = std::chrono::steady_clock::now() + bound;
    while (log(system, log_tag).find(text) == std::string::npos) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

std::string stack_plex::control(const std::string& system, const std::string& command) const {
    return stack_control(tcpip::stack::control_socket(run, system), command);
}

bool stack_plex::wait_display(const std::string& system, const std::string& command, const std::string& text,
                              std::chrono::milliseconds bound) const {
    auto end = std::chrono::steady_clock::now() + bound;
    while (control(system, command).find(text) == std::string::npos) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(50ms);
    }
    return true;
}

}  // namespace zplex::e2e
