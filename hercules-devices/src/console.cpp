// SPDX-License-Identifier: Apache-2.0
// The image's HTTP console (Hercules' HTTP server, reached with libcurl): one command,
// answered only by the image's own Hercules.
//
// Before a command is sent, the listening socket on the console port is looked up in
// /proc/net/tcp and must be among the file descriptors of the Hercules recorded for
// the directory, bound to 127.0.0.1: never another image's console, never one that
// another host could reach.
#include "image_files.hpp"

#include <zplex/hercules/image.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace zplex::hercules {

namespace fs = std::filesystem;

namespace {

/// One GET of the console's command page with libcurl: loopback only, no proxy, HTTP
/// only, basic authentication, bounded by @p timeout. The status code and body.
struct http_reply {
    long status = 0;
    std::string body;
    bool answered = false;
};

std::size_t append_body(char* data, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

http_reply console_get(std::uint16_t port, const std::string& command, const std::string& password,
                       std::chrono::milliseconds timeout) {
    http_reply r;
    static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    CURL* h = initialised ? curl_easy_init() : nullptr;
    if (!h) {
        return r;
    }
    char* escaped = curl_easy_escape(h, command.c_str(), static_cast<int>(command.size()));
    std::string url = "http://127.0.0.1:" + std::to_string(port) + "/cgi-bin/tasks/cmd?cmd=" + (escaped ? escaped : "");
    curl_free(escaped);
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_0);
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(h, CURLOPT_USERNAME, "zplex");
    curl_easy_setopt(h, CURLOPT_PASSWORD, password.c_str());
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<std::int64_t>(timeout.count(), 200)));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
    auto rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    // A reply cut short by the time limit still counts if its status line came.
    r.answered = rc == CURLE_OK || (rc == CURLE_OPERATION_TIMEDOUT && r.status != 0);
    curl_easy_cleanup(h);
    return r;
}

/// The text between <PRE> and </PRE> (the command's output), entities decoded.
std::string html_text(const std::string& html) {
    std::string body = html;
    auto a = html.find("<PRE>");
    auto b = html.rfind("</PRE>");
    if (a != std::string::npos && b != std::string::npos && b > a) {
        body = html.substr(a + 5, b - a - 5);
    }
    std::string out;
    for (std::size_t i = 0; i < body.size(); ++i) {
        if (body[i] == '<') {
            auto e = body.find('>', i);
            if (e == std::string::npos) break;
            i = e;
        } else if (body[i] == '&') {
            auto e = body.find(';', i);
            std::string ent = e == std::string::npos ? "" : body.substr(i + 1, e - i - 1);
            if (ent == "lt") out += '<';
            else if (ent == "gt") out += '>';
            else if (ent == "amp") out += '&';
            else if (ent == "quot") out += '"';
            else out += body.substr(i, e == std::string::npos ? 1 : e - i + 1);
            i = e == std::string::npos ? i : e;
        } else {
            out += body[i];
        }
    }
    return out;
}

/// The console password recorded in dir/image.cnf (empty if none).
std::string http_password_of(const fs::path& dir) {
    std::istringstream in(detail::read_file(dir / "image.cnf"));
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("HTTPPORT", 0) == 0) {
            std::istringstream ls(line.substr(8));
            std::string port, auth, user, pw;
            ls >> port >> auth >> user >> pw;
            return auth == "AUTH" ? pw : std::string();
        }
    }
    return {};
}

}  // namespace

listener listener_of(std::uint16_t port) {
    listener l;
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        std::ifstream in(table);
        std::string line;
        std::getline(in, line);  // header
        while (std::getline(in, line)) {
            // sl local_address rem_address st ... uid timeout inode
            std::istringstream ls(line);
            std::string sl, local, remote, st, queues, tr, retr, uid, timeout, inode;
            ls >> sl >> local >> remote >> st >> queues >> tr >> retr >> uid >> timeout >> inode;
            auto colon = local.rfind(':');
            if (st != "0A" || colon == std::string::npos ||
                std::strtoul(local.c_str() + colon + 1, nullptr, 16) != port) {
                continue;
            }
            auto addr = local.substr(0, colon);
            // 0100007F is 127.0.0.1 (little-endian hex); ::1 is 0...0 01000000.
            bool loop = addr == "0100007F" || addr == "00000000000000000000000001000000";
            l.loopback_only = l.inodes.empty() ? loop : (l.loopback_only && loop);
            l.inodes.push_back(std::strtoull(inode.c_str(), nullptr, 10));
        }
    }
    return l;
}

bool listener_held_by(const listener& l, int pid) {
    if (l.inodes.empty() || pid <= 0) {
        return false;
    }
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path("/proc") / std::to_string(pid) / "fd", ec)) {
        auto target = fs::read_symlink(e.path(), ec).string();
        for (auto inode : l.inodes) {
            if (target == "socket:[" + std::to_string(inode) + "]") {
                return true;
            }
        }
    }
    return false;
}

console_answer console_command(const fs::path& dir, const std::string& command, std::chrono::milliseconds wait) {
    console_answer a;
    int pid = running_pid(dir);
    std::uint16_t port = http_port_of(dir);
    if (pid <= 0 || port == 0) {
        a.what = console_answer::status::not_active;
        return a;
    }
    std::string password = http_password_of(dir);
    auto until = std::chrono::steady_clock::now() + wait;
    while (true) {
        auto l = listener_of(port);
        if (!l.inodes.empty() && !listener_held_by(l, pid)) {
            a.what = console_answer::status::not_ours;
            return a;  // another process holds the port: nothing is sent to it
        }
        if (!l.inodes.empty() && !l.loopback_only) {
            a.what = console_answer::status::not_local;
            return a;
        }
        if (!l.inodes.empty()) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
            auto reply = console_get(port, command, password, left);
            if (reply.answered) {
                if (reply.status != 200) {
                    a.what = console_answer::status::refused;
                    a.text = "HTTP STATUS " + std::to_string(reply.status);
                    return a;
                }
                a.what = console_answer::status::ok;
                a.text = html_text(reply.body);
                return a;
            }
        }
        if (std::chrono::steady_clock::now() >= until) {
            a.what = console_answer::status::no_answer;
            return a;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::string console(const fs::path& dir, const std::string& command, std::chrono::milliseconds wait) {
    auto a = console_command(dir, command, wait);
    return a.what == console_answer::status::ok ? a.text : std::string();
}

std::string to_string(const console_answer& a, const std::string& image) {
    switch (a.what) {
    case console_answer::status::ok: return a.text;
    case console_answer::status::not_active: return "ZPX0737I IMAGE " + image + " IS NOT ACTIVE";
    case console_answer::status::not_ours:
        return "ZPX0743E THE CONSOLE PORT OF IMAGE " + image + " IS HELD BY ANOTHER PROCESS: NOTHING SENT";
    case console_answer::status::not_local:
        return "ZPX0744E THE CONSOLE OF IMAGE " + image + " IS REACHABLE FROM OTHER HOSTS: NOTHING SENT";
    case console_answer::status::refused: return "ZPX0745E THE CONSOLE OF IMAGE " + image + " ANSWERED " + a.text;
    case console_answer::status::no_answer: return "ZPX0746E THE CONSOLE OF IMAGE " + image + " DID NOT ANSWER";
    }
    return {};
}

}  // namespace zplex::hercules
