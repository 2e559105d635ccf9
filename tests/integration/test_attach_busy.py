# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Attach with no false leaks: busy_threads' 4 threads allocate and free
without pause while leaktrace attaches (20 times, in both probe modes);
then they free everything. Nothing may be outstanding: a block whose free
leaktrace could not see must never be reported. Frees of blocks from
before attach are free_unknown; an address allocated again before its
free was seen is free_missed: counted losses, never leaks."""

import time

from ltharness import LTTestCase, find_process, is_expect_line

ROUNDS = 20


class AttachBusyTest(LTTestCase):

    def attach_rounds(self, lt_args, rounds):
        t = self.start_target("busy_threads", 4)
        false = []
        for i in range(rounds):
            lt = self.start_tracer(["--json", "-T", "1000"] + lt_args +
                                   ["-p", t.ready_pid, "1000"])
            time.sleep(0.2)
            start = len(t.lines())
            t.go()                       # free everything, then wait
            t.wait_line(is_expect_line, start=start, what="expect line")
            self.assertEqual(lt.stop(), 0, lt.describe())
            proc = find_process(lt.final_report(), t.ready_pid)
            heap = (proc or {}).get("heap_bytes", 0)
            blocks = (proc or {}).get("heap_count", 0)
            if heap or blocks:
                false.append((i, heap, blocks))
            t.go()                       # churn again
        self.assertEqual(false, [], "rounds with false outstanding blocks "
                         "(round, bytes, blocks) out of %d" % rounds)

    def test_sessions_or_default(self):
        """20 attaches to 4 busy threads: 0 false blocks"""
        self.attach_rounds([], ROUNDS)

    def test_classic(self):
        """--no-sessions: 10 attaches to 4 busy threads: 0 false blocks"""
        self.attach_rounds(["--no-sessions"], ROUNDS // 2)
