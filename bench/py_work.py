# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Benchmark workload: build and drop dicts and strings, OPS times, and
print the wall time per operation in nanoseconds. Strings of 16 B to 4 KiB
and dicts of up to 64 keys: the larger ones leave pymalloc's small-object
arenas for libc's malloc, which is what allocator tracers see.
With GATE, waits for that file to exist first, so a tracer can attach to
this very process (interpreter loaded) before the timed work starts.
Usage: python3 py_work.py OPS [GATE]"""
import os
import sys
import time


def work(ops):
    for i in range(ops):
        n = 4 + i % 61
        d = {"key%d" % j: "v" * (16 + (i * 131 + j * 61) % 4081)
             for j in range(n)}
        s = ",".join(d)  # a string as long as all keys together
        t = s.upper() + str(i)
        del d, s, t


def main():
    ops = int(sys.argv[1])
    if len(sys.argv) > 2:
        while not os.path.exists(sys.argv[2]):
            time.sleep(0.01)
    start = time.monotonic_ns()
    work(ops)
    print("%.1f" % ((time.monotonic_ns() - start) / ops))


main()
