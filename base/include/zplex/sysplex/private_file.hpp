// SPDX-License-Identifier: Apache-2.0
// An owner-only output file (a trace's capture and its keys): created 0600, never opened
// through a symbolic link, never another user's file, emptied only once it is known to
// be the caller's own regular file.
#pragma once

#include <string>

namespace zplex::sysplex {

/// Open @p path for writing from its start: created 0600 if absent; an existing one must
/// be a regular file owned by the effective user (made 0600, then truncated). A symbolic
/// link at @p path is refused, whoever owns it (O_NOFOLLOW). Returns the descriptor
/// (close-on-exec), or -1 with @p why in z/OS message style ("IT IS A SYMBOLIC LINK",
/// "IT IS NOT A REGULAR FILE OWNED BY THIS USER", the errno text).
int open_private_file(const std::string& path, std::string& why);

}  // namespace zplex::sysplex
