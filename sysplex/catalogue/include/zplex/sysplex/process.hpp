// SPDX-License-Identifier: Apache-2.0
// Small host services every component needs: process liveness, console time stamps.
#pragma once

#include <cstdint>
#include <string>

namespace zplex::sysplex {

/// True if @p pid is a live process: it exists and is not a zombie (a killed
/// process stays a zombie until its parent reaps it, but never runs again).
bool process_alive(std::int32_t pid);

/// The time as operator messages show it: `hh.mm.ss`.
std::string console_time();

}  // namespace zplex::sysplex
