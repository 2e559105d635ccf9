# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""cext_leak.py DIR [--now] [--exit]: a Python line calls a C extension
(DIR/ltext*.so) that leaks 5555 bytes two C frames below its method;
the target protocol of tests/targets/target.h."""
import json
import os
import signal
import sys

sys.path.insert(0, sys.argv[1])
import ltext  # noqa: E402

SIZE = 5555


def caller():
    ltext.leak(SIZE)


def main():
    now = "--now" in sys.argv
    sigs = {signal.SIGUSR1, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    if not now:
        print("ready %d" % os.getpid(), flush=True)
        if signal.sigwait(sigs) == signal.SIGTERM:
            return
    caller()
    print(json.dumps({"target": "cext_leak", "expect": [
        {"func": "ltext_inner", "kind": "heap", "bytes": SIZE,
         "count": 1}]}), flush=True)
    if "--exit" not in sys.argv:
        signal.sigwait(sigs)


main()
