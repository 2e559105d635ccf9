# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Ctrl-C (SIGINT) and SIGTERM: final report, exit 0, nothing left
attached, and the traced process alive and unharmed."""

import signal

from ltharness import LTTestCase, bpf_state, assert_nothing_attached


class SignalsTest(LTTestCase):

    def check_stop(self, sig):
        before = bpf_state()
        t, lt, expect, final, proc = self.trace_target("leak_basic",
                                                       stop_sig=sig)
        self.assert_expect(expect, proc, final, lt, absent=("balanced",))
        finals = [r for r in lt.reports() if r.get("final")]
        self.assertEqual(len(finals), 1, "final reports printed")
        assert_nothing_attached(self, before)
        self.assertTrue(t.alive(), "the target died with leaktrace\n"
                        + t.describe())
        t.signal(signal.SIGUSR1)
        self.assertEqual(t.wait(10, "exit on SIGUSR1"), 0,
                         "target exit status after tracing")

    def test_sigint(self):
        """SIGINT (Ctrl-C)"""
        self.check_stop(signal.SIGINT)

    def test_sigterm(self):
        """SIGTERM"""
        self.check_stop(signal.SIGTERM)
