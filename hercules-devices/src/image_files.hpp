// SPDX-License-Identifier: Apache-2.0
// Image directories and their files: never through a symlink, only in a directory of
// the caller's that nobody else may enter (0700).
#pragma once

#include <filesystem>
#include <string>

namespace zplex::hercules::detail {

/// Create @p dir (mode 0700) if it is missing; true if it is then a real directory
/// (not a symlink), owned by the caller, mode 0700. Else false with @p error set.
bool secure_dir(const std::filesystem::path& dir, std::string& error);

/// Replace @p name in @p dir by @p text (0600): written to a new file, renamed into
/// place; a symlink planted at the name is replaced, never followed.
bool write_file(const std::filesystem::path& dir, const std::string& name, const std::string& text);

/// The text of @p path (empty if missing, a symlink, or not a regular file).
std::string read_file(const std::filesystem::path& path);

}  // namespace zplex::hercules::detail
