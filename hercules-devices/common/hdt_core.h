/* SPDX-License-Identifier: Apache-2.0 */
/* The plain C boundary between a Hercules C shim (hdt_shim.c) and a zplex C++ device
 * core. Hercules' headers do not compile as C++, so the shim includes them and the core
 * never does; only these functions cross. Every core entry point catches all
 * exceptions: nothing but return values and unit status crosses into Hercules. */
#ifndef ZPLEX_HDT_CORE_H
#define ZPLEX_HDT_CORE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Writes one console line (no trailing newline) to the Hercules log. */
typedef void (*zpx_log_fn)(const char* line);

struct zpx_core;

/* One CCW as the channel hands it to the device, and what the device answers. */
struct zpx_ccw {
    unsigned char code;         /* [in]  CCW command code */
    unsigned short count;       /* [in]  CCW byte count */
    unsigned char* iobuf;       /* [in]  channel buffer (64 KiB): WRITE data in, READ data out */
    unsigned char unitstat;     /* [out] CSW unit status (CE, DE, UC, UX bits) */
    unsigned short residual;    /* [out] bytes of count not transferred */
    unsigned char more;         /* [out] 1: the device had more data than count */
};

/* The device's type as SENSE ID and devlist show it (e.g. 0xCF10). */
unsigned short zpx_core_devtype(void);

/* Parse the device statement's arguments. NULL if they are not valid; the reason is
 * logged through @p log, which the core keeps for the device's life. */
struct zpx_core* zpx_core_open(unsigned short devnum, int argc, char** argv, zpx_log_fn log);

/* Execute one CCW. Never fails: errors become unit check with sense bytes. */
void zpx_core_exec(struct zpx_core* core, struct zpx_ccw* ccw);

/* The devlist text after the device type (at most @p len - 1 bytes). */
void zpx_core_query(struct zpx_core* core, char* buf, size_t len);

/* Detach the device (disconnect, leave) and free it. */
void zpx_core_close(struct zpx_core* core);

#ifdef __cplusplus
}
#endif

#endif
