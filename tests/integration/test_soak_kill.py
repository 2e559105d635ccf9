# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Kill soak (issue 11, reliability suite): leaktrace is SIGKILLed at
random moments -- while attaching, while tracing, right after a report,
during teardown -- again and again while a deterministic multi-threaded C
target and a Python workload run, in each probe mode (uprobe sessions
where the kernel has them, classic uprobes with --no-sessions, and
--sample). The targets' checksums must equal an untraced run's, they must
exit 0, leaktrace must never die on its own, and bpftool must show nothing
of leaktrace left.

Kernel-log lines "failed to unregister, leaking uprobe" (classic uprobes
torn down by a SIGKILL, issue 11 item 4) are counted and printed, not
failed on: a kernel limit (README, Production safety) that uprobe
sessions share (7 in one 40 s run with sessions, none in others).

Bounded: LT_SOAK_SECONDS (default 40) of killing per mode.
"""

import os
import random
import select
import signal
import subprocess
import sys
import time

from ltharness import LTTestCase, LEAKTRACE, ROOT, bpf_state, \
    assert_nothing_attached, target_path

SOAK_SECONDS = float(os.environ.get("LT_SOAK_SECONDS", "40"))
C_ROUNDS = 500000       # about 2 s untraced on 2 cores
PY_ROUNDS = 200000      # about 2 s untraced
PHASES = ("attach", "tracing", "report", "teardown")
LEAK_LINE = "leaking uprobe"


def kernel_log_count(pattern):
    r = subprocess.run(["dmesg"], capture_output=True, text=True)
    return sum(pattern in l for l in r.stdout.splitlines())


def run_workloads(which=(0, 1)):
    """Start the C (0) and Python (1) workloads asked for; returns their
    Popen objects (None for one not asked for)."""
    c = py = None
    if 0 in which:
        c = subprocess.Popen([target_path("checksum"), str(C_ROUNDS), "4"],
                             stdout=subprocess.PIPE, text=True, cwd=ROOT)
    if 1 in which:
        py = subprocess.Popen([sys.executable,
                               os.path.join(ROOT, "tests", "targets", "py",
                                            "checksum.py"), str(PY_ROUNDS)],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    return c, py


def finish(p, timeout=120):
    out, _ = p.communicate(timeout=timeout)
    return p.returncode, out.strip()


class KillSoakTest(LTTestCase):

    @classmethod
    def setUpClass(cls):
        c, py = run_workloads()
        cls.reference = (finish(c), finish(py))

    def setUp(self):
        super().setUp()
        self.before = bpf_state()
        self.rng = random.Random(int(os.environ.get("LT_SOAK_SEED",
                                                    time.time())))

    def kill_once(self, lt_args, pids, phase):
        """Start leaktrace on pids, SIGKILL it in phase. Returns False when
        the targets were gone before it attached."""
        lt = subprocess.Popen([LEAKTRACE, "--json"] + lt_args +
                              sum((["-p", str(p)] for p in pids), []) +
                              ["200ms"], cwd=ROOT, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
        try:
            if phase == "attach":
                time.sleep(self.rng.uniform(0, 0.4))
            else:
                if not self.wait_for(lt.stderr, "leaktrace: tracing"):
                    return self.ended(lt)
                if phase == "tracing":
                    time.sleep(self.rng.uniform(0, 1.0))
                elif phase == "report":
                    self.wait_for(lt.stdout, '{"type":"report"')
                else:
                    lt.send_signal(signal.SIGINT)
                    time.sleep(self.rng.uniform(0, 0.05))
            rc = lt.poll()
            if rc is None:
                lt.kill()
                lt.wait(10)
                return True
            return self.ended(lt, rc)
        finally:
            if lt.poll() is None:
                lt.kill()
                lt.wait(10)
            lt.stdout.close()
            lt.stderr.close()

    def ended(self, lt, rc=None):
        """leaktrace ended by itself: fine only as a clean exit."""
        rc = lt.wait(20) if rc is None else rc
        err = lt.stderr.read().decode(errors="replace")
        self.assertIn(rc, (0, 1), "leaktrace died by itself (status %d):\n"
                      "%s" % (rc, err[-2000:]))
        return False

    @staticmethod
    def wait_for(stream, prefix, timeout=15):
        """A line starting with prefix within timeout (never blocks past
        it, whatever leaktrace does)."""
        fd = stream.fileno()
        buf = b""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return False
            chunk = os.read(fd, 65536)
            if not chunk:
                return False
            buf += chunk
            lines = buf.split(b"\n")
            buf = lines.pop()
            if any(l.startswith(prefix.encode()) for l in lines):
                return True

    def soak(self, lt_args):
        """Kill leaktrace again and again for SOAK_SECONDS; a workload
        that finished is checked against the reference and started again."""
        leaks_before = kernel_log_count(LEAK_LINE)
        procs = {}
        self.addCleanup(lambda: [p.kill() for p in procs.values()
                                 if p.poll() is None])
        kills = {ph: 0 for ph in PHASES}
        runs = 0
        deadline = time.monotonic() + SOAK_SECONDS
        while True:
            for i, p in list(procs.items()):
                if p.poll() is not None:
                    self.assertEqual(finish(p), self.reference[i],
                                     "workload %d differs from the untraced "
                                     "run (status, checksum) after kills %s"
                                     % (i, kills))
                    runs += 1
                    del procs[i]
            if time.monotonic() >= deadline:
                break
            if len(procs) < 2:
                c, py = run_workloads(which=[i for i in (0, 1)
                                             if i not in procs])
                procs.update({k: v for k, v in ((0, c), (1, py)) if v})
            phase = self.rng.choice(PHASES)
            pids = [p.pid for p in procs.values()]
            if self.kill_once(lt_args, pids, phase):
                kills[phase] += 1
        for i, p in procs.items():
            self.assertEqual(finish(p), self.reference[i],
                             "workload %d differs from the untraced run "
                             "(status, checksum) after kills %s"
                             % (i, kills))
            runs += 1
        assert_nothing_attached(self, self.before)
        leaked = kernel_log_count(LEAK_LINE) - leaks_before
        print("kill soak %s: %d kills (%s) over %d workload runs; kernel "
              "log: %d leaked uprobes"
              % (" ".join(lt_args) or "(sessions)", sum(kills.values()),
                 ", ".join("%s %d" % kv for kv in kills.items()), runs,
                 leaked))
        self.assertGreater(sum(kills.values()), 4, "too few kills: %s"
                           % kills)
        return leaked

    def test_kill_soak_default(self):
        """uprobe sessions where the kernel has them"""
        self.soak([])

    def test_kill_soak_no_sessions(self):
        """--no-sessions: one uprobe and one uretprobe per function"""
        self.soak(["--no-sessions"])

    def test_kill_soak_sampled(self):
        """--sample 64K"""
        self.soak(["--sample", "64K"])
