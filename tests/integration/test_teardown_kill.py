# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""SIGKILL during --no-sessions teardown, KILLS times: leaktrace traces
TARGETS busy processes with a uprobe and a uretprobe per allocator
function, is asked to stop (SIGINT), and is killed with SIGKILL a random
few milliseconds after its final report, while it removes its probes.

What must hold: nothing of leaktrace's in bpftool, no process of its left,
and every target's checksum equal to an untraced run. What the kernel
leaves is shown, not asserted: a uprobe whose removal the SIGKILL
interrupted stays in the kernel ("failed to unregister, leaking uprobe" in
its log; the kernel cannot read the target's page with a fatal signal
pending), and its breakpoint stays in the target, which traps at each call
from then on. The count of such lines is printed (tests/run -k teardown_kill -- -s).
"""

import json
import os
import random
import signal
import subprocess
import time

import pytest

from ltharness import LTTestCase, Tracer, target_path, bpf_state, \
    assert_nothing_attached

KILLS = 20
TARGETS = 1
CHURN_MS = 600000  # a limit only: the test stops them with SIGUSR2


def leaked_uprobes():
    r = subprocess.run(["dmesg"], capture_output=True, text=True,
                       timeout=30)
    return sum("leaking uprobe" in l for l in r.stdout.splitlines())


def reference_checksum(rounds):
    r = subprocess.run([target_path("checksum_churn"), "--rounds",
                        str(rounds)], capture_output=True, text=True,
                       timeout=120)
    return json.loads(r.stdout)["checksum"]


def tracers_left(pids, timeout=5.0):
    """Processes still running our command line (tracer or helper)."""
    mark = ("\0-p\0%d\0" % pids[0]).encode()
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for name in os.listdir("/proc"):
            try:
                with open("/proc/%s/cmdline" % name, "rb") as f:
                    cmd = f.read()
                if b"--no-sessions" in cmd and mark in cmd:
                    found.append(int(name))
            except (OSError, ValueError):
                pass
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def is_final(line):
    return line.startswith("{") and '"final":true' in line


class TeardownKillTest(LTTestCase):

    def kill_during_teardown(self, pids, rng):
        args = ["--json", "--no-sessions"]
        for pid in pids:
            args += ["-p", str(pid)]
        lt = Tracer(args + ["1000"])
        self.addCleanup(lt.kill)
        lt.wait_tracing()
        time.sleep(rng.uniform(0.05, 0.3))
        lt.signal(signal.SIGINT)
        lt.wait_line(is_final, timeout=20, what="the final report")
        time.sleep(rng.uniform(0, 0.03))
        killed = time.monotonic()
        lt.signal(signal.SIGKILL)
        # Dying takes the kernel a while: it removes the remaining probes
        # one by one in the exit path.
        lt.wait(120, "die of SIGKILL")
        return time.monotonic() - killed

    @pytest.mark.timeout(300)
    def test_sigkill_during_teardown(self):
        rng = random.Random(1234)
        before_bpf = bpf_state()
        before_log = leaked_uprobes()
        targets = [self.start_target("checksum_churn", CHURN_MS)
                   for _ in range(TARGETS)]
        for t in targets:
            t.go()
        pids = [t.ready_pid for t in targets]
        dying = [self.kill_during_teardown(pids, rng) for _ in range(KILLS)]
        leaked = leaked_uprobes() - before_log
        assert_nothing_attached(self, before_bpf)
        for t in targets:
            t.signal(signal.SIGUSR2)
        for t in targets:
            line = t.wait_line(lambda l: '"checksum"' in l, timeout=20,
                               what="the checksum line")
            got = json.loads(line)
            self.assertEqual(t.wait(10), 0, t.describe())
            self.assertEqual(got["checksum"],
                             reference_checksum(got["rounds"]),
                             "checksum after %d rounds" % got["rounds"])
        self.assertEqual(tracers_left(pids), [], "leaktrace processes left")
        report = ("%d SIGKILLs during --no-sessions teardown of %d busy "
                  "process(es): %d \"leaking uprobe\" lines in the kernel "
                  "log; killed leaktrace took %.1f s at most to die"
                  % (KILLS, TARGETS, leaked, max(dying)))
        print(report)
