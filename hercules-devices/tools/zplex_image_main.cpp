// SPDX-License-Identifier: Apache-2.0
// zplex-image: the `image` command as a program of its own.
#include <zplex/hercules/image_command.hpp>

int main(int argc, char** argv) { return zplex::hercules::image_command(argc, argv); }
