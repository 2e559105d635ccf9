# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""-p TID: a thread id stands for its process, with one line saying so,
the same in both probe modes: the whole process is traced and reported
under its PID. threads 4 2000 25: every thread leaks 25 blocks, so what
only the given thread did (the old --no-sessions behaviour) falls short."""

import os

from ltharness import LTTestCase, find_process


class TidTest(LTTestCase):

    def check(self, lt_args):
        t = self.start_target("threads", 4, 2000, 25)
        tids = sorted(int(x) for x in os.listdir("/proc/%d/task" % t.pid)
                      if int(x) != t.pid)
        self.assertTrue(tids, "threads has no threads")
        lt = self.start_tracer(["--json", "-T", "1000"] + lt_args +
                               ["-p", tids[0], "1000"])
        t.go()
        expect = t.wait_expect()
        self.assertEqual(lt.stop(), 0, lt.describe())
        final = lt.final_report()
        self.assertIsNone(find_process(final, tids[0]),
                          "a thread reported as a process\n" + lt.describe())
        # Every thread's leaks, under the process's PID.
        self.assert_expect(expect, find_process(final, t.pid), final, lt)
        self.assert_no_bad_losses(final)
        said = [l for l in lt.lines("stderr")
                if "is a thread of process %d" % t.pid in l]
        self.assertEqual(len(said), 1, lt.describe())
        self.assertTrue(any(l.startswith("leaktrace: tracing PID %d "
                                         % t.pid)
                            for l in lt.lines("stderr")), lt.describe())

    def test_tid_sessions(self):
        """-p TID: the whole process, one line"""
        self.check([])

    def test_tid_classic(self):
        """-p TID --no-sessions: the same"""
        self.check(["--no-sessions"])
