// SPDX-License-Identifier: Apache-2.0
// TCP/IP PROFILE processing: the initial profile at start, OBEYFILE and SYNTAXCHECK later.
#pragma once

#include <zplex/tcpip/profile/messages.hpp>
#include <zplex/tcpip/profile/model.hpp>
#include <zplex/sysplex/dataset.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace zplex::tcpip::profile {

/// How a profile is being processed; z/OS treats some statements differently.
enum class processing_kind : std::uint8_t {
    initial,      ///< the PROFILE read at stack start
    obeyfile,     ///< VARY TCPIP,,OBEYFILE: applied to the running configuration
    syntaxcheck,  ///< VARY TCPIP,,SYNTAXCHECK: parsed, never applied
};

/// Reads a dataset's text: (reference as written, e.g. `SYS1.TCPPARMS(X)`)
/// -> (text, printable name) or nullopt with @p why set.
using dataset_reader = std::function<std::optional<std::pair<std::string, std::string>>(
    std::string_view ref, std::string& why)>;

struct parse_options {
    processing_kind kind = processing_kind::initial;
    /// Static system symbols without & and period: SYSNAME -> MVS1.
    std::map<std::string, std::string> symbols;
    /// Opens INCLUDEd datasets; when empty, INCLUDE fails with a message.
    dataset_reader reader;
    /// INCLUDE nesting limit (an INCLUDE loop stops here with a message).
    int max_include_depth = 16;
    /// INCLUDE statements processed in one run (a member that includes itself
    /// several times fans out; the depth limit alone does not bound the count).
    int max_includes = 256;
    /// Bytes all INCLUDEd files of one run may hold together.
    std::size_t max_include_bytes = 16u * 1024 * 1024;
};

/// A reader that resolves references through a dataset catalogue (and plain paths).
dataset_reader catalogue_reader(const sysplex::dataset_catalogue& catalogue);

/// Process the initial profile @p ref (a dataset name or path) and return the
/// configuration it sets up. Messages go to @p log; nothing throws for bad input.
profile process_initial_profile(std::string_view ref, const parse_options& options, message_log& log);

/// The same from text already in memory; @p name is how messages name it.
profile process_initial_text(std::string_view text, std::string_view name, const parse_options& options,
                             message_log& log);

/// VARY TCPIP,,OBEYFILE: apply @p ref to @p running. Statements before an error
/// stay applied, as on z/OS; DVIPSEC and other initial-only settings are refused.
void apply_obeyfile(profile& running, std::string_view ref, const parse_options& options, message_log& log);
void apply_obeyfile_text(profile& running, std::string_view text, std::string_view name,
                         const parse_options& options, message_log& log);

/// VARY TCPIP,,SYNTAXCHECK: EZZ0061I ... EZZ0062I/EZZ0065I; nothing applied.
void syntax_check(std::string_view ref, const parse_options& options, message_log& log);

}  // namespace zplex::tcpip::profile
