# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Python ground-truth target for leaktrace (same protocol as target.h).

Prints "ready PID", waits for SIGUSR1, leaks known bytearrays from known
lines through nested calls, a generator, a lambda called from sorted(), a
try/except block and a thread, plus many small strings; prints one expect
line computed from this file's own code objects and markers; waits for
SIGUSR1 or SIGTERM to exit. Runs on CPython 3.8 to 3.13.
"""
import json
import os
import signal
import sys
import threading

COUNT = 3
kept = [None] * 64
slot = [0]
small = []


def keep(obj):
    kept[slot[0]] = obj
    slot[0] += 1


def marker_line(tag):
    """Line number of the source line carrying '# @tag'."""
    with open(__file__) as f:
        for number, text in enumerate(f, 1):
            if text.rstrip().endswith("# @" + tag):
                return number
    raise LookupError(tag)


def frame_name(func):
    code = func.__code__
    qualname = getattr(code, "co_qualname", code.co_name)
    return "%s.%s" % (os.path.splitext(os.path.basename(code.co_filename))[0],
                      qualname)


# -- nested calls ----------------------------------------------------------
def inner(size):
    keep(bytearray(size))  # @inner


def middle(size):
    for _ in range(COUNT):
        inner(size)  # @middle


def outer(size):
    middle(size)  # @outer


# -- a generator -----------------------------------------------------------
def produce(size):
    for _ in range(COUNT):
        yield bytearray(size)  # @produce


def consume(size):
    for block in produce(size):  # @consume
        keep(block)


# -- a lambda called from C (sorted) ---------------------------------------
def lambda_sort(size):
    key = lambda i: keep(bytearray(size)) or i  # @lambda
    sorted(range(COUNT), key=key)  # @sorted
    return key


# -- try/except: lines after a handled exception ---------------------------
def after_except(size):
    try:
        raise ValueError("handled")
    except ValueError:
        pass
    for _ in range(COUNT):
        keep(bytearray(size))  # @except


# -- a thread --------------------------------------------------------------
def in_thread(size):
    for _ in range(COUNT):
        keep(bytearray(size))  # @thread


# -- many small objects (pymalloc arenas) ----------------------------------
def small_strings(n):
    for i in range(n):
        small.append(("s%07d" % i) * 2)  # @small


def expect_entry(size, stack):
    """bytearray(size) takes size + 1 bytes from malloc, COUNT times."""
    return {"func": stack[0][0], "line": stack[0][1], "kind": "heap",
            "bytes": COUNT * (size + 1), "count": COUNT,
            "python_stack": [list(f) for f in stack]}


def main():
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1, signal.SIGTERM])
    lam_code = lambda_sort(0)  # warm-up returns the lambda for its name
    slot[0] = 0
    n_small = 200000
    print("ready %d" % os.getpid(), flush=True)
    signal.sigwait([signal.SIGUSR1])

    outer(100003)
    consume(100005)
    lambda_sort(100007)
    after_except(100009)
    t = threading.Thread(target=in_thread, args=(100011,))
    t.start()
    t.join()
    small_strings(n_small)

    # pymalloc serves each string from a 16-byte size class; pool headers
    # and arena alignment add a few percent.
    small_bytes = sum((sys.getsizeof(s) + 15) // 16 * 16 for s in small)
    arena = 1 << 20 if sys.version_info >= (3, 10) else 256 << 10
    expect = [
        expect_entry(100003, [(frame_name(inner), marker_line("inner")),
                              (frame_name(middle), marker_line("middle")),
                              (frame_name(outer), marker_line("outer"))]),
        expect_entry(100005, [(frame_name(produce), marker_line("produce")),
                              (frame_name(consume), marker_line("consume"))]),
        expect_entry(100007, [(frame_name(lam_code), marker_line("lambda")),
                              (frame_name(lambda_sort),
                               marker_line("sorted"))]),
        expect_entry(100009, [(frame_name(after_except),
                               marker_line("except"))]),
        expect_entry(100011, [(frame_name(in_thread),
                               marker_line("thread"))]),
        {"func": frame_name(small_strings), "line": marker_line("small"),
         "kind": "mapped", "min_bytes": small_bytes - 2 * arena,
         "max_bytes": small_bytes * 103 // 100 + 4 * arena,
         "python_stack": [[frame_name(small_strings),
                           marker_line("small")]]},
    ]
    line = json.dumps({"target": "pyleak", "version": sys.version.split()[0],
                       "expect": expect})
    os.write(1, (line + "\n").encode())
    signal.sigwait([signal.SIGUSR1, signal.SIGTERM])


if __name__ == "__main__":
    main()
