// SPDX-License-Identifier: Apache-2.0
// A packet capture on links of a namespace with Debian's dumpcap, read back with tshark:
// the outside view of what crossed the LAN (a test's witness that does not ask zplex).
#pragma once

#include <zplex/e2e/netns.hpp>
#include <zplex/e2e/process.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace zplex::e2e {

class packet_capture {
public:
    /// dumpcap on @p interfaces of @p ns into @p file (pcapng), with the capture filter
    /// @p filter (BPF, "" for everything), headers only (snap length 128).
    packet_capture(const netns& ns, const std::vector<std::string>& interfaces, const std::filesystem::path& file,
                   const std::string& filter = {});
    /// dumpcap said it captures, bounded.
    bool wait_ready(std::chrono::milliseconds bound = 10s);
    /// SIGTERM: dumpcap writes the rest of the file and ends. True when it ended well.
    bool stop();
    /// tshark -r file -Y @p display_filter -T fields -e f...: one row of fields per packet.
    std::vector<std::vector<std::string>> fields(const std::string& display_filter,
                                                 const std::vector<std::string>& names) const;
    /// The packets dumpcap itself says it dropped, all interfaces (after stop()): a
    /// capture that dropped any is no witness of a packet's absence.
    std::uint64_t dropped() const;
    /// dumpcap's own output (for failure messages).
    std::string log() const;

private:
    std::filesystem::path _file, _log;
    child_process _dumpcap;
};

}  // namespace zplex::e2e
