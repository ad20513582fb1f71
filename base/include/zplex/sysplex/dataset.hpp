// SPDX-License-Identifier: Apache-2.0
// Datasets are files: z/OS dataset names resolved through a sysplex catalogue folder.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace zplex::sysplex {

/// A parsed dataset name: `HLQ.MID.LLQ` or `HLQ.PDS(MEMBER)`.
struct dataset_name {
    std::string dsn;     ///< upper-case qualifiers, without quotes or member
    std::string member;  ///< upper-case member, empty for a sequential dataset

    /// `SYS1.TCPPARMS(PROFMVS1)` or `USER.OBEY`, as z/OS prints it.
    std::string str() const;
};

/// Parse a dataset name as JCL and TSO accept it: optional surrounding quotes,
/// 1-8 character qualifiers starting with a letter or national (@#$), at most
/// 44 characters, an optional member of 1-8 characters.
/// @return the name, or std::nullopt with @p why set to a short reason.
std::optional<dataset_name> parse_dataset_name(std::string_view text, std::string* why = nullptr);

/// True if @p text looks like a dataset name rather than a file path.
bool looks_like_dataset_name(std::string_view text);

/// Maps dataset names to files below a catalogue folder: a PDS is a folder,
/// a member a file in it, a sequential dataset a file.
class dataset_catalogue {
public:
    explicit dataset_catalogue(std::filesystem::path root) : _root(std::move(root)) {}

    const std::filesystem::path& root() const noexcept { return _root; }

    /// The file a dataset name maps to (it may not exist).
    std::filesystem::path path_of(const dataset_name& name) const;

    /// Resolve a reference as a user writes it: a dataset name (quoted or not)
    /// resolves below the root; anything else is taken as a file path.
    /// @return the file, or std::nullopt if it does not exist (@p why says why).
    std::optional<std::filesystem::path> resolve(std::string_view ref, std::string* why = nullptr) const;

private:
    std::filesystem::path _root;
};

}  // namespace zplex::sysplex
