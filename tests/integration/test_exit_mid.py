# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A target that exits mid-trace: leaktrace -p prints a final report by
itself and exits 0 within a few seconds."""

import time

from ltharness import LTTestCase, find_process

EXIT_WITHIN = 8.0


class ExitMidTest(LTTestCase):

    def test_exit_mid(self):
        """exit_mid --exit: final report on process exit, leak kept"""
        t = self.start_target("exit_mid", exit=True)
        lt = self.start_tracer(["--json", "-T", "1000", "-p", t.ready_pid,
                                "1000"])
        t.go()
        expect = t.wait_expect()
        self.assertEqual(t.wait(10), 0, "exit_mid exit status")
        gone = time.monotonic()
        rc = lt.wait(EXIT_WITHIN + 20, "exit by itself after the target "
                     "exited")
        took = time.monotonic() - gone
        self.assertEqual(rc, 0, "leaktrace exit status\n" + lt.describe())
        self.assertLess(took, EXIT_WITHIN, "leaktrace took %.1f s to exit "
                        "after the target did" % took)
        final = lt.final_report()
        proc = find_process(final, t.ready_pid)
        self.assert_expect(expect, proc, final, lt)
        self.assertIs(proc.get("alive"), False,
                      "exited process reported as alive")
        self.assert_no_bad_losses(final)
