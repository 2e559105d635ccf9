# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A target that mutates its containers as fast as it can, for --objects.

Prints "ready PID", waits for SIGUSR1, then for SECONDS seconds replaces
BATCH of its LIVE Churn instances at a time (in lists and dicts, so the
collector runs and moves lists all the time), keeping the
number alive within [LIVE - BATCH, LIVE + BATCH]. Prints the expect line
with those bounds and the rounds done, then waits for SIGTERM.
"""
import json
import os
import random
import signal
import sys
import time

LIVE, BATCH = 20000, 500
SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 4.0


class Churn:
    __slots__ = ("peer", "pad")

    def __init__(self):
        # No cycle: freed the moment it is dropped, so the live count is
        # exact; the lists and dicts made meanwhile keep the collector busy.
        self.peer = None
        self.pad = [None]


def main():
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
    rows = [Churn() for _ in range(LIVE)]
    table = {}
    print("ready %d" % os.getpid(), flush=True)
    signal.sigwait([signal.SIGUSR1])
    rounds = 0
    lo = hi = len(rows)
    end = time.monotonic() + SECONDS
    while time.monotonic() < end:
        at = random.randrange(0, LIVE - BATCH)
        del rows[at:at + BATCH]
        table.clear()
        fresh = [Churn() for _ in range(BATCH)]
        rows[at:at] = fresh
        for i, c in enumerate(fresh):
            table[i] = c
        rounds += 1
    print(json.dumps({"target": "census_churn",
                      "expect": {"min": lo - BATCH, "max": hi + BATCH},
                      "rounds": rounds}), flush=True)
    while True:
        signal.pause()


main()
