# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Run inside gdb (gdb -batch -x gdb_frames.py): the oracle of test_unwind.

At every malloc/calloc/realloc whose physical stack (the frames really on
the stack: gdb's inlined and tail-call frames left out) contains one of the
marker functions in $LT_GDB_MARKERS, record the size asked for and, from the
allocator's caller up to main, each frame's [name, module, offset in the
module]. Prints one line "LTGDB {marker: [[size, [frame, ...]], ...]}".
The signal trampoline frame is named __restore_rt.
"""
import json
import os

import gdb

MARKERS = os.environ["LT_GDB_MARKERS"].split(",")
SIZE_ARG = {"malloc": "$rdi", "calloc": "$rdi * $rsi", "realloc": "$rsi"}
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


def physical_frames():
    frames = []
    maps = None
    f = gdb.newest_frame().older()  # the allocator's caller first
    while f is not None:
        if f.type() not in (gdb.INLINE_FRAME, gdb.TAILCALL_FRAME):
            if maps is None:
                maps = mappings()
            name = "__restore_rt" if f.type() == gdb.SIGTRAMP_FRAME \
                else (f.name() or "??")
            frames.append([name] + list(locate(maps, f.pc())))
        if f.name() == "main":
            break
        f = f.older()
    return frames


class AllocBreak(gdb.Breakpoint):
    def __init__(self, func):
        super().__init__(func, internal=True)
        self.func = func

    def stop(self):
        names = []
        f = gdb.newest_frame()
        while f is not None and len(names) < 100000:
            names.append(f.name())
            if f.name() == "main":
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
gdb.execute("run")
print("LTGDB " + json.dumps(hits))
