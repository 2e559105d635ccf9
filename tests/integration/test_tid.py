# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""-p TID: a thread id stands for its process, with one line saying so,
the same in both probe modes: the whole process is traced and reported
under its PID."""

import os

from ltharness import LTTestCase, find_process, is_expect_line


class TidTest(LTTestCase):

    def check(self, lt_args):
        t = self.start_target("busy_threads", 4)
        tids = sorted(int(x) for x in os.listdir("/proc/%d/task" % t.pid)
                      if int(x) != t.pid)
        self.assertTrue(tids, "busy_threads has no threads")
        lt = self.start_tracer(["--json", "-T", "1000"] + lt_args +
                               ["-p", tids[0], "1000"])
        start = len(t.lines())
        t.go()                           # every thread frees all it holds
        t.wait_line(is_expect_line, start=start, what="expect line")
        self.assertEqual(lt.stop(), 0, lt.describe())
        said = [l for l in lt.lines("stderr")
                if "is a thread of process %d" % t.pid in l]
        self.assertEqual(len(said), 1, lt.describe())
        self.assertTrue(any(l.startswith("leaktrace: tracing PID %d "
                                         % t.pid)
                            for l in lt.lines("stderr")), lt.describe())
        final = lt.final_report()
        # Every thread freed all it held: the process holds nothing (and
        # so is not listed), and no thread is reported as a process.
        proc = find_process(final, t.pid) or {}
        self.assertIsNone(find_process(final, tids[0]))
        self.assertEqual((proc.get("heap_bytes", 0),
                          proc.get("heap_count", 0)), (0, 0))

    def test_tid_sessions(self):
        """-p TID: the whole process, one line"""
        self.check([])

    def test_tid_classic(self):
        """-p TID --no-sessions: the same"""
        self.check(["--no-sessions"])
