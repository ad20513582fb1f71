// SPDX-License-Identifier: Apache-2.0
// A batch step's DDs held in memory, for the batch programs' tests.
#pragma once

#include <zplex/jes/executor.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace zplex::cli::batch {

/// A step's DDs held in memory.
class memory_io : public jes::step_io {
public:
    std::map<std::string, std::vector<std::string>> dds;
    std::vector<std::string> messages;
    bool has(const std::string& dd) const override { return dds.count(dd) > 0; }
    std::optional<std::vector<std::string>> read(const std::string& dd) override {
        if (!has(dd)) return std::nullopt;
        return dds[dd];
    }
    bool write(const std::string& dd, const std::vector<std::string>& lines) override {
        if (!has(dd)) return false;
        dds[dd].insert(dds[dd].end(), lines.begin(), lines.end());
        return true;
    }
    std::optional<std::vector<std::string>> read_dsn(const std::string&) override { return std::nullopt; }
    bool write_dsn(const std::string&, const std::vector<std::string>&, bool) override { return false; }
    int delete_dsn(const std::string&) override { return 8; }
    std::optional<std::filesystem::path> file_of(const std::string&) const override { return std::nullopt; }
    void system_message(const std::string& text) override { messages.push_back(text); }
};

}  // namespace zplex::cli::batch
