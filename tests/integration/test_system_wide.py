# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""System-wide mode (no -p): a process started after leaktrace attached is
traced exactly."""

import signal

from ltharness import LTTestCase, find_process


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
