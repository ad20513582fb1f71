/* SPDX-License-Identifier: Apache-2.0 */
/* zplex_loopback.so, preloaded into an image's Hercules (LD_PRELOAD): a listening
 * socket bound to the wildcard address (Hercules binds its HTTP console to
 * INADDR_ANY) is bound to loopback instead, so that no other host can reach the
 * console. Every other bind() goes through unchanged. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_fn)(int, const struct sockaddr*, socklen_t);

int bind(int fd, const struct sockaddr* addr, socklen_t len)
{
    static bind_fn real;
    if (real == NULL) {
        real = (bind_fn)dlsym(RTLD_NEXT, "bind");
        if (real == NULL) {
            errno = ENOSYS;
            return -1;
        }
    }
    if (addr != NULL && addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        struct sockaddr_in a;
        memcpy(&a, addr, sizeof a);
        if (a.sin_addr.s_addr == htonl(INADDR_ANY)) {
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            return real(fd, (const struct sockaddr*)&a, sizeof a);
        }
    }
    if (addr != NULL && addr->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 a;
        memcpy(&a, addr, sizeof a);
        if (memcmp(&a.sin6_addr, &in6addr_any, sizeof a.sin6_addr) == 0) {
            a.sin6_addr = in6addr_loopback;
            return real(fd, (const struct sockaddr*)&a, sizeof a);
        }
    }
    return real(fd, addr, len);
}
