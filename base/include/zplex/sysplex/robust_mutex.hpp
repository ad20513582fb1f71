// SPDX-License-Identifier: Apache-2.0
// A mutex in shared memory that survives its holder's death: process-shared and robust.
// The CF's structures and the XCF couple dataset are each guarded by one.
#pragma once

#include <pthread.h>

#include <cerrno>
#include <utility>

namespace zplex::sysplex {

/// Make @p m a process-shared robust mutex (in memory every process maps).
inline void robust_mutex_init(pthread_mutex_t& m) noexcept {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&m, &a);
    pthread_mutexattr_destroy(&a);
}

/// Holds @p m for its lifetime. When the previous holder died holding it (EOWNERDEAD),
/// @p recover runs first, under the lock (undo what the dead holder half did), and the
/// mutex is then marked consistent, so it never becomes unrecoverable.
class robust_lock {
public:
    template <typename Recover>
    robust_lock(pthread_mutex_t& m, Recover&& recover) : _m(m) {
        if (pthread_mutex_lock(&_m) == EOWNERDEAD) {
            std::forward<Recover>(recover)();
            pthread_mutex_consistent(&_m);
        }
    }
    /// For data whose every change under the lock is a single store: nothing to undo.
    explicit robust_lock(pthread_mutex_t& m) : robust_lock(m, [] {}) {}
    ~robust_lock() { pthread_mutex_unlock(&_m); }
    robust_lock(const robust_lock&) = delete;
    robust_lock& operator=(const robust_lock&) = delete;

private:
    pthread_mutex_t& _m;
};

}  // namespace zplex::sysplex
