// SPDX-License-Identifier: Apache-2.0
// Small host services every component needs: process identity and liveness, console time stamps.
#pragma once

#include <cstdint>
#include <string>

namespace zplex::sysplex {

/// A process as the kernel knows it: its PID and the time it started (field 22 of
/// /proc/PID/stat, clock ticks since boot). A PID is reused once its process is gone;
/// the pair never is, so liveness is decided by both.
struct process_identity {
    std::int32_t pid = 0;
    std::uint64_t start_time = 0;

    friend bool operator==(const process_identity&, const process_identity&) = default;
};

/// The start time of @p pid (clock ticks since boot), or 0 when there is no such process.
std::uint64_t process_start_time(std::int32_t pid);

/// This process's identity (cached, and read again in a forked child).
process_identity self_identity();

/// The identity of @p pid now ({pid, 0} when there is no such process).
process_identity identity_of(std::int32_t pid);

/// True if @p pid is a live process: it exists and is not a zombie (a killed
/// process stays a zombie until its parent reaps it, but never runs again).
/// PID alone: prefer the identity overload wherever a start time was recorded.
bool process_alive(std::int32_t pid);

/// True if the process @p id names still runs: its PID is alive and started at the
/// recorded time. A start time of 0 (not recorded) is decided by PID alone.
bool process_alive(const process_identity& id);

/// The time as operator messages show it: `hh.mm.ss`.
std::string console_time();

}  // namespace zplex::sysplex
