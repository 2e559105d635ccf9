# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Python target with hostile names (same protocol as target.h).

Its comm, and the name, qualified name and file name of the function that
leaks, hold quotes, backslashes, control characters, an escape sequence,
'<&>' and a lone surrogate (invalid UTF-8 once encoded), so every output
format has to escape or repair them. Prints "ready PID", waits for
SIGUSR1, leaks COUNT bytearrays of SIZE bytes, prints one expect line with
the names as UTF-8 bytes (surrogates passed through, base64), waits for
SIGUSR1 or SIGTERM.
"""
import base64
import ctypes
import json
import os
import signal

COUNT, SIZE = 4, 100003
HOSTILE = 'ev"il\\\x01\x1b[31m<&>\udcff'
COMM = b'\x1b[7m"q\\\xff\x01<&'   # at most 15 bytes
kept = []


def leak(size):
    kept.append(bytearray(size))


def raw(s):
    return base64.b64encode(s.encode("utf-8", "surrogatepass")).decode()


def main():
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1, signal.SIGTERM])
    code = leak.__code__
    fields = {"co_name": "n" + HOSTILE,
              "co_filename": "/tmp/f" + HOSTILE + ".py"}
    if hasattr(code, "co_qualname"):
        fields["co_qualname"] = "q" + HOSTILE
    leak.__code__ = code.replace(**fields)
    libc = ctypes.CDLL(None)
    libc.prctl(15, ctypes.c_char_p(COMM), 0, 0, 0)  # PR_SET_NAME
    print("ready %d" % os.getpid(), flush=True)
    signal.sigwait([signal.SIGUSR1])
    for _ in range(COUNT):
        leak(SIZE)
    c = leak.__code__
    print(json.dumps({
        "target": "pyhostile",
        "name": raw(getattr(c, "co_qualname", c.co_name)),
        "file": raw(c.co_filename),
        "comm": base64.b64encode(COMM).decode(),
        "expect": [{"func": "leak", "kind": "heap",
                    "bytes": COUNT * (SIZE + 1), "count": COUNT}]}),
        flush=True)
    signal.sigwait([signal.SIGUSR1, signal.SIGTERM])


if __name__ == "__main__":
    main()
