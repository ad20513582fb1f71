/* SPDX-License-Identifier: Apache-2.0 */
/* The Hercules side of a zplex device module: the HDL sections and the DEVHND table.
 * It is compiled once per device type with -DZPX_DEVTYPE=<TYPE> (CFL, XCFS) and linked
 * with that type's C++ core, giving hdt<type>.so. Everything the device does lives in
 * the core behind hdt_core.h; this file only translates between DEVBLK and zpx_ccw.
 * Built against the configured Debian 3.13 tree (scripts/fetch-hercules-src): the
 * HDL dependency section makes Hercules refuse the module if DEVBLK or SYSBLK differ. */
#include "hstdinc.h"
#include "hercules.h"
#include "devtype.h"

#include "hdt_core.h"

#ifndef ZPX_DEVTYPE
#error "compile with -DZPX_DEVTYPE=<device type>"
#endif

static void zpx_log(const char* line) { logmsg("%s\n", line); }

/* Device statement: `devnum <TYPE> keyword=value ...` (see docs/hercules-devices.md). */
static int zpx_init(DEVBLK* dev, int argc, char* argv[])
{
    struct zpx_core* core = zpx_core_open(dev->devnum, argc, argv, zpx_log);
    unsigned short type = zpx_core_devtype();
    if (core == NULL) {
        return -1;
    }
    dev->dev_data = core;
    /* Hercules calls the close handler at detach and shutdown only for a device with
     * a file open (dev->fd > 2): hold /dev/null so the core can leave the sysplex. */
    dev->fd = open("/dev/null", O_RDONLY);
    dev->devtype = type;
    dev->numsense = 8;
    memset(dev->sense, 0, sizeof dev->sense);
    /* SENSE ID: FF, control unit type/model, device type/model. */
    dev->devid[0] = 0xFF;
    dev->devid[1] = (BYTE)(type >> 8);
    dev->devid[2] = (BYTE)(type & 0xFF);
    dev->devid[3] = 0x01;
    dev->devid[4] = (BYTE)(type >> 8);
    dev->devid[5] = (BYTE)(type & 0xFF);
    dev->devid[6] = 0x01;
    dev->numdevid = 7;
    return 0;
}

static void zpx_exec(DEVBLK* dev, BYTE code, BYTE flags, BYTE chained, U16 count, BYTE prevcode,
                     int ccwseq, BYTE* iobuf, BYTE* more, BYTE* unitstat, U16* residual)
{
    struct zpx_ccw ccw;
    UNREFERENCED(flags);
    UNREFERENCED(chained);
    UNREFERENCED(prevcode);
    UNREFERENCED(ccwseq);
    ccw.code = code;
    ccw.count = count;
    ccw.iobuf = iobuf;
    ccw.unitstat = CSW_CE | CSW_DE;
    ccw.residual = 0;
    ccw.more = 0;
    zpx_core_exec((struct zpx_core*)dev->dev_data, &ccw);
    *unitstat = ccw.unitstat;
    *residual = ccw.residual;
    *more = ccw.more;
}

static void zpx_query(DEVBLK* dev, char** class, int buflen, char* buffer)
{
    if (class) {
        *class = "CTCA";
    }
    if (buffer && buflen > 0) {
        buffer[0] = 0;
        if (dev->dev_data) {
            zpx_core_query((struct zpx_core*)dev->dev_data, buffer, (size_t)buflen);
        }
    }
}

static int zpx_close(DEVBLK* dev)
{
    if (dev->dev_data) {
        zpx_core_close((struct zpx_core*)dev->dev_data);
        dev->dev_data = NULL;
    }
    if (dev->fd > 2) {
        close(dev->fd);
    }
    dev->fd = -1;
    return 0;
}

static DEVHND zpx_device_hndinfo = {
    .init = &zpx_init,
    .exec = &zpx_exec,
    .close = &zpx_close,
    .query = &zpx_query,
};

HDL_DEPENDENCY_SECTION;
{
    HDL_DEPENDENCY(HERCULES);
    HDL_DEPENDENCY(DEVBLK);
    HDL_DEPENDENCY(SYSBLK);
}
END_DEPENDENCY_SECTION

HDL_DEVICE_SECTION;
{
    HDL_DEVICE(ZPX_DEVTYPE, zpx_device_hndinfo);
}
END_DEVICE_SECTION

HDL_FINAL_SECTION;
{
}
END_FINAL_SECTION
