# SPDX-License-Identifier: Apache-2.0
# The zplex image nucleus: a standalone ESA/390 program each image IPLs (ipl nucleus.ins).
#
#  - subchannel 0 is the CF link (0E00 CFL), subchannel 1 the XCF signalling path (0E10 XCFS)
#  - it joins the sysplex and XCF group ZPXIMAGE (member name = SYSNAME), then loops:
#      status update (CCW x'17' on the XCFS device): the system's heartbeat
#      receive one XCF message; a TAKE request is answered (see below)
#      wait 50 ms on the clock comparator (enabled wait: no CPU burnt), unless a
#      request was just answered (the next may be queued)
#  - `stop` at the Hercules console stops the loop, so the heartbeat stops and the
#    sysplex partitions the image; a heartbeat the device refuses because the image
#    was partitioned loads disabled wait x'0A2' (like z/OS after SFM partitioning)
#
# The first TAKE for a structure CONNECTs to it (again, when the structure changes).
# TAKE request (XCF message, 48 bytes):   NUMS reply (XCF message to the sender):
#   +0  'TAKE'                              +0  'NUMS'
#   +4  list number                         +4  function, rc, reason of the last CF response
#   +8  n: numbers per LISTKEYINC           +8  blocks taken (k')
#   +12 k: LISTKEYINC requests (<= 256)     +12 n
#   +16 structure name (16)                 +16 k' x 8 bytes: the first number of each block
#   +32 connector name (16)
#
# Status area at x'F00' (r F00.20 at the console): 'ZPXN', heartbeats, requests answered,
# last CF response word, last XCF response word, state (1 joined, 2 connected).
# Failure waits: 000A0000 00BADxxx. All operands below 4 KiB use base register 0.

        .text
        .org    0x0
ipl_psw:  .long 0x00080000, 0x80000000+start
        .org    0x58
ext_new:  .long 0x00080000, 0x80000000+tmr_pop
svc_new:  .long 0x000A0000, 0x00BAD060
pgm_new:  .long 0x000A0000, 0x00BAD068
mck_new:  .long 0x000A0000, 0x00BAD070
io_new:   .long 0x00080000, 0x80000000+io_pop

        .org    0x200
start:
        lctl    %c6,%c6,cr6               # all I/O interruption subclasses
        lctl    %c0,%c0,cr0               # clock comparator subclass
        mvc     status(4),eyecatcher
        l       %r1,sid_cfl
        bras    %r14,enable
        l       %r1,sid_xcf
        bras    %r14,enable

# JOIN the sysplex and group ZPXIMAGE (member name: the device's SYSNAME)
        lhi     %r4,0x2000
        xc      0(48,%r4),0(%r4)
        mvi     0(%r4),1
        mvc     16(8,%r4),group
        lhi     %r3,48
        bras    %r14,xcfio
        ltr     %r15,%r15
        jnz     bad_join
        lhi     %r6,0x4000
        mvc     status+16(4),0(%r6)
        cli     1(%r6),0
        jne     bad_join
        mvi     status+23,1

loop:
# heartbeat: status update CCW
        l       %r1,sid_xcf
        la      %r2,orb_hb
        bras    %r14,doio
        ltr     %r15,%r15
        jnz     partitioned
        l       %r0,status+4
        ahi     %r0,1
        st      %r0,status+4
# receive one message (no wait)
        lhi     %r4,0x2000
        xc      0(48,%r4),0(%r4)
        mvi     0(%r4),4
        lhi     %r3,48
        bras    %r14,xcfio
        ltr     %r15,%r15
        jnz     sleep
        lhi     %r6,0x4000
        cli     1(%r6),0
        jne     sleep
        clc     32(4,%r6),take_id
        jne     sleep
        bras    %r13,serve
        j       loop                       # more requests may be queued: no wait
sleep:
        stck    tod
        lm      %r6,%r7,tod
        al      %r7,delta
        brc     12,1f                      # cc 0/1: no carry
        ahi     %r6,1
1:      stm     %r6,%r7,ckc
        sckc    ckc
        lpsw    ext_wait                   # resumes at tmr_pop through the external new PSW
tmr_pop:
        j       loop

# serve a TAKE request at x'4020' (r13 = return)
serve:
        lhi     %r6,0x4000
        sr      %r7,%r7                    # blocks taken
        l       %r9,40(%r6)                # n
        cli     status+23,2                # connected to this TAKE's structure?
        jne     3f
        clc     cur_str(16),48(%r6)
        je      take
3:
        lhi     %r4,0x1000                 # CONNECT structure, connector
        xc      0(48,%r4),0(%r4)
        mvi     0(%r4),1
        mvc     16(16,%r4),48(%r6)
        mvc     32(16,%r4),64(%r6)
        lhi     %r3,48
        bras    %r14,cflio
        mvi     status+23,1                # the device dropped any old connection
        mvc     status+12(4),0x100(%r4)
        ltr     %r15,%r15
        jnz     reply
        cli     0x101(%r4),4               # rc 0 or 4 (reconnected): connected
        jh      reply
        mvi     status+23,2
        mvc     cur_str(16),48(%r6)
take:
        l       %r8,36(%r6)                # list
        l       %r9,40(%r6)                # n
        l       %r10,44(%r6)               # k
        lhi     %r0,256
        cr      %r10,%r0
        jnh     1f
        lr      %r10,%r0
1:      lhi     %r11,0x2040                # next block slot in the reply
        ltr     %r10,%r10
        jz      reply
2:      lhi     %r4,0x1000                 # LISTKEYINC list, n
        xc      0(48,%r4),0(%r4)
        mvi     0(%r4),3
        st      %r8,4(%r4)
        st      %r9,12(%r4)
        lhi     %r3,48
        bras    %r14,cflio
        lhi     %r4,0x1000
        mvc     status+12(4),0x100(%r4)
        ltr     %r15,%r15
        jnz     reply
        cli     0x101(%r4),0
        jne     reply
        mvc     0(8,%r11),0x108(%r4)
        ahi     %r11,8
        ahi     %r7,1
        brct    %r10,2b
reply:
        lhi     %r4,0x2000                 # SEND 'NUMS' to the requester
        xc      0(48,%r4),0(%r4)
        mvi     0(%r4),3
        mvc     32(16,%r4),16(%r6)         # target: who sent the TAKE
        mvc     48(4,%r4),nums_id
        mvc     52(4,%r4),status+12
        st      %r7,56(%r4)
        st      %r9,60(%r4)
        lr      %r3,%r7
        sll     %r3,3
        ahi     %r3,16
        sth     %r3,2(%r4)                 # data length
        ahi     %r3,48
        bras    %r14,xcfio
        l       %r0,status+8
        ahi     %r0,1
        st      %r0,status+8
        br      %r13

# write the request block (r4, r3 bytes) to the CF link, read its response to r4+x'100'
cflio:
        l       %r1,sid_cfl
        la      %r5,0x100(%r4)
        j       rwio
# write the request block (r4, r3 bytes) to the XCF path, read its response to x'4000'
xcfio:
        l       %r1,sid_xcf
        lhi     %r5,0x4000
rwio:
        sth     %r3,ccw_rw+2
        st      %r4,ccw_rw+4
        st      %r5,ccw_rw+12
        la      %r2,orb_rw
# start the channel program (ORB at r2) on subchannel r1 and wait for its end
# r15: 0 CE+DE, 4 unit check, 8 subchannel status, 12 SSCH not accepted
doio:
        ssch    0(%r2)
        brc     7,2f
        lpsw    io_wait                    # resumes at io_pop through the I/O new PSW
io_pop:
        tsch    irb
        sr      %r15,%r15
        tm      irb+8,0x02
        jz      1f
        lhi     %r15,4
1:      cli     irb+9,0
        ber     %r14
        lhi     %r15,8
        br      %r14
2:      lhi     %r15,12
        br      %r14

# enable subchannel r1
enable:
        stsch   schib
        oi      schib+5,0x80
        msch    schib
        br      %r14

bad_join:
        lpsw    wait_join
partitioned:
        lpsw    wait_0a2

        .align  8
io_wait:    .long 0x020A0000, 0x80000000
ext_wait:   .long 0x010A0000, 0x80000000
wait_join:  .long 0x000A0000, 0x00BAD101
wait_0a2:   .long 0x000A0000, 0x000000A2
tod:        .quad 0
ckc:        .quad 0
delta:      .long 0x0C350000               # 50 ms in TOD units (bit 51 = 1 us)
cr0:        .long 0x00000800
cr6:        .long 0xFF000000
sid_cfl:    .long 0x00010000
sid_xcf:    .long 0x00010001
group:      .ascii "ZPXIMAGE"
take_id:    .ascii "TAKE"
nums_id:    .ascii "NUMS"
eyecatcher: .ascii "ZPXN"
cur_str:    .fill 16, 1, 0                 # the structure connected to
        .align  8
orb_hb:     .long 0, 0x0080FF00, ccw_hb, 0, 0, 0, 0, 0
orb_rw:     .long 0, 0x0080FF00, ccw_rw, 0, 0, 0, 0, 0
ccw_hb:     .long 0x17200001, hb_byte
ccw_rw:     .long 0x01600000, 0x1000
            .long 0x02201020, 0x4000
hb_byte:    .long 0
        .align  8
schib:      .fill 64, 1, 0
irb:        .fill 96, 1, 0

        .org    0xF00
status:     .fill 32, 1, 0
