// SPDX-License-Identifier: Apache-2.0
#include <zplex/e2e/capture.hpp>
#include <zplex/e2e/stack_plex.hpp>

#include <regex>
#include <sstream>
#include <thread>

namespace zplex::e2e {

namespace fs = std::filesystem;

packet_capture::packet_capture(const netns& ns, const std::vector<std::string>& interfaces, const fs::path& file,
                               const std::string& filter)
    : _file(file), _log(file.string() + ".log") {
    fs::remove(_file);
    fs::remove(_log);
    // A 64 MiB kernel buffer, and room in dumpcap's own queue between its per-interface
    // readers and its writer (by default 1000 packets: with two interfaces a burst of
    // 300 connections under the sanitizers overflowed it, "dumpcap:76" dropped), so that
    // bursts of hundreds of connections at once are not dropped.
    std::vector<std::string> argv{"dumpcap", "-n", "-s", "128", "-B", "64", "-N", "1000000",
                                  "-C", "268435456", "-w", _file.string()};
    for (const auto& i : interfaces) {
        argv.push_back("-i");
        argv.push_back(i);
    }
    if (!filter.empty()) {
        argv.push_back("-f");
        argv.push_back(filter);
    }
    _dumpcap = child_process::exec(argv, ns.name(), _log);
}

bool packet_capture::wait_ready(std::chrono::milliseconds bound) {
    auto end = std::chrono::steady_clock::now() + bound;
    while (log().find("Capturing on") == std::string::npos) {
        if (std::chrono::steady_clock::now() > end || !_dumpcap.running()) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // dumpcap says so before every interface's socket reads: give them a moment (with
    // 200 ms a burst of 300 connections that began at once lost its first frames on one
    // of two interfaces).
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    return true;
}

bool packet_capture::stop() {
    // What the kernel holds for dumpcap is written before it is told to end: the file
    // must stop growing first (a burst that just ended is still being read).
    std::error_code ec;
    auto size = fs::file_size(_file, ec);
    for (int i = 0; i < 30; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        auto now = fs::file_size(_file, ec);
        if (now == size) break;
        size = now;
    }
    auto r = _dumpcap.terminate(5s);
    return !r.timed_out && fs::exists(_file);
}

std::vector<std::vector<std::string>> packet_capture::fields(const std::string& display_filter,
                                                             const std::vector<std::string>& names) const {
    std::vector<std::string> argv{"tshark", "-n", "-r", _file.string(), "-Y", display_filter, "-T", "fields",
                                  "-E", "separator=/t"};
    for (const auto& n : names) {
        argv.push_back("-e");
        argv.push_back(n);
    }
    auto r = run(argv, 60s);
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> row;
        std::size_t at = 0;
        while (true) {
            auto tab = line.find('\t', at);
            row.push_back(line.substr(at, tab == std::string::npos ? std::string::npos : tab - at));
            if (tab == std::string::npos) break;
            at = tab + 1;
        }
        if (row.size() == names.size()) rows.push_back(std::move(row));  // tshark's own warnings have no tabs
    }
    return rows;
}

std::string packet_capture::log() const { return file_text(_log); }

std::uint64_t packet_capture::dropped() const {
    // "Packets received/dropped on interface 'vc2': 2072/76 (pcap:0/dumpcap:76/...)"
    static const std::regex line(R"(Packets received/dropped on interface '[^']*': [0-9]+/([0-9]+))");
    std::uint64_t n = 0;
    auto text = log();
    for (std::sregex_iterator it(text.begin(), text.end(), line), end; it != end; ++it)
        n += std::stoull((*it)[1].str());
    return n;
}

}  // namespace zplex::e2e
