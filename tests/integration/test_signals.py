# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Ctrl-C (SIGINT) and SIGTERM: final report, exit 0, nothing left
attached, and the traced process alive and unharmed."""

import os
import signal
import subprocess
import time

from ltharness import LTTestCase, LEAKTRACE, ROOT, bpf_state, \
    assert_nothing_attached


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

    def test_second_signal_ends_at_once(self):
        """A report stream whose reader stopped reading blocks the final
        report; a second Ctrl-C ends leaktrace anyway, probes gone."""
        before = bpf_state()
        t = self.start_target("leak_basic")
        r, w = os.pipe()           # nobody reads r: writes block when full
        self.addCleanup(os.close, r)
        lt = subprocess.Popen([LEAKTRACE, "--json", "-T", "1000", "-p",
                               str(t.ready_pid), "50ms"], cwd=ROOT,
                              stdout=w, stderr=subprocess.DEVNULL,
                              stdin=subprocess.DEVNULL)
        os.close(w)
        self.addCleanup(lambda: lt.poll() is None and lt.kill())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not self.pipe_full(lt.pid):
            time.sleep(0.1)
        lt.send_signal(signal.SIGINT)
        time.sleep(0.5)
        self.assertIsNone(lt.poll(), "the first Ctrl-C ended it already")
        lt.send_signal(signal.SIGINT)
        self.assertEqual(lt.wait(20), -signal.SIGINT)
        assert_nothing_attached(self, before)
        self.assertTrue(t.alive(), "the target died with leaktrace")

    @staticmethod
    def pipe_full(pid):
        """leaktrace's main thread blocks writing to the pipe."""
        try:
            with open("/proc/%d/wchan" % pid) as f:
                return "pipe" in f.read()
        except OSError:
            return False
