// SPDX-License-Identifier: Apache-2.0
// The `image` command line (start, stop, status, cmd, take), shared by the zplex-image
// tool and `zplex image`.
#pragma once

namespace zplex::hercules {

/// Parse and run `argv[1..]` (argv[0] is how the command names itself in help);
/// returns the exit code: 0, 4, 8, or 2 for a usage error.
int image_command(int argc, char** argv);

}  // namespace zplex::hercules
