# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Stack reclaim: the churn_stacks target makes 8 rounds of 128 distinct
stacks (1024 in all), each round freed at once, then leaks 12345 bytes from
leak_named(). The kernel's stack map holds 512 (--max-stacks 512).

With a report (and so a reclaim pass) between rounds, the map never fills:
the leak is attributed exactly to leak_named, no loss at all. Without a
report between rounds (the same run, unpaced, with a long interval), the
map fills: stack_map_full counts what did not fit, which shows the first
test really needs the reclaim."""

import re
import time

from ltharness import LTTestCase

ROUNDS = 8
DEPTH = 7                                   # 2^7 = 128 stacks a round
MAX_STACKS = 512
LEAK = 12345
DISTINCT = ROUNDS << DEPTH                  # 1024
RECLAIMED = re.compile(r"stack reclaim: .*\((\d+) since attach\)")


class ReclaimTest(LTTestCase):

    def wait_reports(self, lt, n, timeout=20.0):
        """Until leaktrace has printed n more reports than now."""
        want = len(lt.reports()) + n
        deadline = time.monotonic() + timeout
        while len(lt.reports()) < want:
            if time.monotonic() > deadline:
                self.fail("no %d new reports within %g s\n%s" % (
                    n, timeout, lt.describe()))
            time.sleep(0.05)

    def run_churn(self, paced, interval):
        t = self.start_target("churn_stacks", ROUNDS, DEPTH, LEAK,
                              1 if paced else 0)
        lt = self.start_tracer(["-v", "--json", "-T", "1000",
                                "--max-stacks", MAX_STACKS,
                                "-p", t.ready_pid, interval])
        t.go()
        for r in range(ROUNDS if paced else 0):
            t.wait_line(lambda l, r=r: l == "round %d done" % r,
                        what="round %d done" % r)
            # Two reports: the first may have begun before the round ended.
            self.wait_reports(lt, 2)
            t.go()
        expect = t.wait_expect()
        self.assertEqual(lt.stop(), 0, lt.describe())
        final = lt.final_report()
        return t, lt, expect, final

    def test_reclaim_keeps_the_map_from_filling(self):
        """1024 stacks through a 512-stack map: exact leak, no loss"""
        t, lt, expect, final = self.run_churn(True, "200ms")
        losses = final["losses"]
        self.assertEqual(losses["stack_map_full"], 0, losses)
        self.assertFalse({k: v for k, v in losses.items() if v},
                         "losses: %s" % losses)
        proc = next(p for p in final["processes"]
                    if p["pid"] == t.ready_pid)
        self.assert_expect(expect, proc, final, lt)
        self.assertEqual(proc["heap_bytes"], LEAK, proc)
        counts = [int(m.group(1)) for m in
                  map(RECLAIMED.search, lt.lines("stderr")) if m]
        self.assertTrue(counts, "no stack reclaim line under -v\n"
                        + lt.describe())
        self.assertGreaterEqual(max(counts), DISTINCT - MAX_STACKS,
                                lt.describe())

    def test_without_reclaim_the_map_fills(self):
        """the same stacks with no report in between overflow the map"""
        t, lt, expect, final = self.run_churn(False, "60s")
        self.assertGreaterEqual(final["losses"]["stack_map_full"],
                                DISTINCT - MAX_STACKS, final["losses"])
