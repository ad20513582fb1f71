// SPDX-License-Identifier: Apache-2.0
// The image's HTTP console: one command, answered only by the image's own Hercules.
//
// Before a command is sent, the listening socket on the console port is looked up in
// /proc/net/tcp and must be among the file descriptors of the Hercules recorded for
// the directory, bound to 127.0.0.1: never another image's console, never one that
// another host could reach.
#include "image_files.hpp"

#include <zplex/hercules/image.hpp>

#include <arpa/inet.h>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <sstream>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace zplex::hercules {

namespace fs = std::filesystem;

namespace {

std::string base64(const std::string& in) {
    static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                     static_cast<unsigned char>(in[i + 2]);
        out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
    }
    if (i + 1 == in.size()) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == in.size()) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8;
        out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
    }
    return out;
}

std::string url_encode(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
            out.push_back(static_cast<char>(c));
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
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
    std::string auth = "zplex:" + http_password_of(dir);
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
        int s = l.inodes.empty() ? -1 : ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (s >= 0 && ::connect(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
            std::string req = "GET /cgi-bin/tasks/cmd?cmd=" + url_encode(command) +
                              " HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Basic " + base64(auth) +
                              "\r\n\r\n";
            (void)!::write(s, req.data(), req.size());
            std::string resp;
            char buf[4096];
            while (true) {
                pollfd pf{s, POLLIN, 0};
                auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
                if (::poll(&pf, 1, static_cast<int>(std::max<long>(left.count(), 200))) <= 0) break;
                ssize_t n = ::read(s, buf, sizeof buf);
                if (n <= 0) break;
                resp.append(buf, static_cast<std::size_t>(n));
            }
            ::close(s);
            auto eol = resp.find("\r\n");
            std::string first = resp.substr(0, eol == std::string::npos ? std::min<std::size_t>(resp.size(), 80) : eol);
            if (first.rfind("HTTP/1.", 0) != 0 || first.size() < 12 || first.compare(9, 3, "200") != 0) {
                a.what = console_answer::status::refused;
                a.text = first;
                return a;
            }
            a.what = console_answer::status::ok;
            a.text = html_text(resp);
            return a;
        }
        if (s >= 0) ::close(s);
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
