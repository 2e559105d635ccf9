# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Run inside gdb (gdb -batch -x gdb_frames.py): the oracle of test_unwind.

At every malloc/calloc/realloc whose physical stack (the frames really on
the stack: gdb's inlined and tail-call frames left out) contains one of the
marker functions in $LT_GDB_MARKERS, record the size asked for and, from the
allocator's caller up to main, each frame's [name, module, offset in the
module]. Prints one line "LTGDB {marker: [[size, [frame, ...]], ...]}".
The signal trampoline frame is named __restore_rt.

Go: past runtime.asmcgocall (where a cgo call runs C on the thread's
system stack) gdb's unwinding reads garbage, so the goroutine's frames are
found as Go's own traceback finds them, from the syscallpc and syscallsp
that runtime.cgocall saved in the goroutine (m.curg of the g in the
thread's TLS slot), up to its outermost frame, runtime.goexit.
"""
import json
import os
import sys

import gdb

MARKERS = os.environ["LT_GDB_MARKERS"].split(",")
SIZE_ARG = {"malloc": "$rdi", "calloc": "$rdi * $rsi", "realloc": "$rsi"}
GO_CGO_SWITCH = "runtime.asmcgocall"  # gdb's name of its .abi0 code
GO_OUTERMOST = "runtime.goexit"
GO_TLS_G = -8  # the g of the running code, at fs_base - 8
hits = {}


def mappings():
    """(start, end, module, module base) of each file mapping."""
    out, bases = [], {}
    text = gdb.execute("info proc mappings", to_string=True)
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 5 or not parts[0].startswith("0x") or \
                not parts[-1].startswith("/"):
            continue
        start, end = int(parts[0], 16), int(parts[1], 16)
        mod = os.path.basename(parts[-1])
        bases.setdefault(mod, start)
        out.append((start, end, mod))
    return [(s, e, m, bases[m]) for s, e, m in out]


def locate(maps, pc):
    for start, end, mod, base in maps:
        if start <= pc < end:
            return mod, pc - base
    return "?", pc


def frames_from(f, maps, outermost):
    """[name, module, offset] of f and its callers, physical ones only,
    up to a frame named outermost (or a cgo call, then the goroutine's)."""
    frames = []
    while f is not None:
        if f.type() not in (gdb.INLINE_FRAME, gdb.TAILCALL_FRAME):
            name = "__restore_rt" if f.type() == gdb.SIGTRAMP_FRAME \
                else (f.name() or "??")
            frames.append([name] + list(locate(maps, f.pc())))
        if f.name() == outermost:
            break
        if f.name() == GO_CGO_SWITCH and outermost == "main":
            return frames + goroutine_frames(maps)
        f = f.older()
    return frames


def goroutine_frames(maps):
    """The frames of the goroutine in a cgo call, from its syscallpc and
    syscallsp (in runtime.cgocall), as Go's traceback finds them."""
    g_ptr = gdb.lookup_type("runtime.g").pointer()
    fs = int(gdb.parse_and_eval("$fs_base"))
    g = gdb.Value(fs + GO_TLS_G).cast(g_ptr.pointer()).dereference()
    curg = g["m"]["curg"]
    saved = [int(gdb.parse_and_eval(r)) for r in ("$pc", "$sp")]
    gdb.execute("set backtrace past-main on")
    gdb.execute("set $pc = %d" % int(curg["syscallpc"]))
    gdb.execute("set $sp = %d" % int(curg["syscallsp"]))
    try:
        return frames_from(gdb.newest_frame(), maps, GO_OUTERMOST)
    finally:
        gdb.execute("set $pc = %d" % saved[0])
        gdb.execute("set $sp = %d" % saved[1])
        gdb.execute("set backtrace past-main off")


def physical_frames():
    # the allocator's caller first
    return frames_from(gdb.newest_frame().older(), mappings(), "main")


class AllocBreak(gdb.Breakpoint):
    def __init__(self, func):
        super().__init__(func, internal=True)
        self.func = func

    def stop(self):
        names = []
        f = gdb.newest_frame()
        while f is not None and len(names) < 100000:
            names.append(f.name())
            if f.name() in ("main", GO_CGO_SWITCH):
                break
            f = f.older()
        for m in MARKERS:
            if m in names:
                size = int(gdb.parse_and_eval(SIZE_ARG[self.func]))
                hits.setdefault(m, []).append([size, physical_frames()])
                break
        return False


gdb.execute("set pagination off")
gdb.execute("set breakpoint pending on")
gdb.execute("set backtrace limit 100000")
gdb.execute("handle SIGUSR1 SIGUSR2 nostop noprint pass")
for fn in SIZE_ARG:
    AllocBreak(fn)
try:
    gdb.execute("run")
except gdb.error as e:
    # Go's threads exiting can race gdb ("Couldn't get registers: No such
    # process", "Cannot find user-level thread for LWP"): the frames seen
    # so far are still gdb's, and a test missing one says so.
    print("gdb: %s" % e, file=sys.stderr)
print("LTGDB " + json.dumps(hits))
