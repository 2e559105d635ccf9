# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""System-wide mode (no -p): a process started after leaktrace attached is
traced exactly; one that execs into a program with another allocator
(jemalloc linked in, a static musl binary) has it found and probed at
once, and its blocks from before exec dropped."""

import os
import signal
import tempfile

from ltharness import LTTestCase, Target, find_process, target_path

BLOCKS, SIZE = 1017, 3796


class SystemWideTest(LTTestCase):

    def test_late_start(self):
        """leaktrace (all processes), then late_start --now 300"""
        lt = self.start_tracer(["--json", "-T", "1000", "1000"])
        t = self.start_target("late_start", 300, now=True)
        expect = t.wait_expect()
        rc = lt.stop(signal.SIGINT)
        self.assertEqual(rc, 0, "leaktrace exit status\n" + lt.describe())
        final = lt.final_report()
        proc = find_process(final, t.pid)
        self.assert_expect(expect, proc, final, lt)
        t.signal(signal.SIGTERM)
        self.assertEqual(t.wait(10), 0, "late_start exit status")

    def test_many_processes(self):
        """leaktrace (all processes), then 40 late_start --now 300 at once:
        the process table grows while a report is built (issue 11 item 1:
        this crashed at the first report once 17 processes had stacks)."""
        # --min-size keeps the rest of the machine's small blocks out of
        # the reports (the targets leak blocks of 1000 B).
        lt = self.start_tracer(["--json", "-T", "1000", "--min-size", "1000",
                                "1s"])
        targets = [self.start_target("late_start", 300, now=True)
                   for _ in range(40)]
        expects = [t.wait_expect() for t in targets]
        # At least one periodic report with all of them in it, then the final.
        lt.wait_line(lambda l: l.startswith('{"type":"report"') and
                     all('"pid":%d,' % t.pid in l for t in targets),
                     timeout=30, what="a report naming all 40 targets")
        # The final report names every stack of the machine: on a busy one
        # that can take longer than the default stop timeout.
        rc = lt.stop(signal.SIGINT, timeout=60)
        self.assertEqual(rc, 0, "leaktrace exit status\n" + lt.describe())
        final = lt.final_report()
        for t, expect in zip(targets, expects):
            self.assert_expect(expect, find_process(final, t.pid), final, lt)
        for t in targets:
            t.signal(signal.SIGTERM)
        for t in targets:
            self.assertEqual(t.wait(10), 0, "late_start exit status")

    def exec_into(self, program, module):
        """A shell (glibc's malloc, traced) that execs PROGRAM once the
        tracer is up; no periodic report (interval 1000 s), so nothing but
        the exec can have the new allocator probed."""
        gate = tempfile.mktemp(prefix="lt-swexec-gate-")
        self.addCleanup(lambda: os.path.exists(gate) and os.unlink(gate))
        lt = self.start_tracer(["--json", "-T", "1000", "-v", "1000"])
        t = Target(["sh", "-c", "while [ ! -e %s ]; do sleep 0.05; done; "
                    "exec %s %d %d" % (gate, target_path(program), BLOCKS,
                                       SIZE)], name="sh-exec")
        self.addCleanup(t.kill)
        open(gate, "w").close()
        t.wait_ready(timeout=20)
        self.assertEqual(t.ready_pid, t.pid, "the shell did not exec")
        # The target cannot know when the new probes are live: -v says.
        lt.wait_line(lambda l: l.startswith("leaktrace: probe free at")
                     and module in l, key="stderr", timeout=20,
                     what="probes on %s" % module)
        t.go()
        expect = t.wait_expect()
        rc = lt.stop(signal.SIGINT, timeout=60)
        self.assertEqual(rc, 0, "leaktrace exit status\n" + lt.describe())
        final = lt.final_report()
        proc = find_process(final, t.pid)
        self.assert_expect(expect, proc, final, lt, absent=("balanced",))
        # Nothing of the shell's left: its blocks went with its image.
        self.assertEqual(proc["heap_bytes"],
                         sum(e["bytes"] for e in expect["expect"]
                             if e["kind"] == "heap"), lt.describe())
        t.signal(signal.SIGTERM)
        self.assertEqual(t.wait(10), 0, "target exit status")

    def test_exec_into_jemalloc(self):
        """sh execs a -ljemalloc program: jemalloc probed at once, exact"""
        self.exec_into("leak_basic_je", "libjemalloc")

    def test_exec_into_static_musl(self):
        """sh execs a static musl binary: its own malloc probed, exact"""
        if not os.path.exists(target_path("leak_basic_musl")):
            self.skipTest("musl-gcc not installed")
        self.exec_into("leak_basic_musl", "leak_basic_musl")
