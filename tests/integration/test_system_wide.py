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
