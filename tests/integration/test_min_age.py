# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""--min-age: a report leaves out blocks younger than the age given and
counts older ones exactly. The growth target keeps a cache, waits, then
leaks: a report soon after the leak shows the cache alone, a report once
the leak is old enough shows both, each with the target's own totals.
Ages come from the allocation time the kernel records only when
--min-age asks for it."""

import time

from ltharness import LTTestCase, attribute, find_process

CACHE, CACHE_SIZE, LEAKS, LEAK_SIZE = 64, 32768, 16, 4096
MIN_AGE_S = 3


class MinAgeTest(LTTestCase):

    def report_after(self, lt, t0, timeout=20):
        """The first JSON report printed after monotonic time t0."""
        n = len(lt.reports())
        deadline = time.monotonic() + timeout
        while True:
            reps = lt.reports()
            if len(reps) > n and time.monotonic() > t0:
                return reps[-1]
            self.assertLess(time.monotonic(), deadline, lt.describe())
            time.sleep(0.05)

    def heap_of(self, report, pid):
        proc = find_process(report, pid) or {}
        return proc.get("heap_bytes"), proc.get("heap_count")

    def test_young_blocks_left_out(self):
        """--min-age 3s: the new leak is left out until it is 3 s old"""
        t = self.start_target("growth", CACHE, CACHE_SIZE, LEAKS, LEAK_SIZE,
                              0)
        lt = self.start_tracer(["--json", "-T", "250", "--min-age",
                                "%ds" % MIN_AGE_S, "-p", t.ready_pid, "250ms"])
        t.go()
        t.wait_line(lambda l: l == "cache filled", timeout=10,
                    what='"cache filled"')
        # Older than the age plus an age bucket (a quarter of it).
        time.sleep(MIN_AGE_S * 1.25 + 1)
        t.go()
        t.wait_expect()
        leaked_at = time.monotonic()
        soon = self.report_after(lt, leaked_at)
        self.assertLess(time.monotonic() - leaked_at, MIN_AGE_S - 1,
                        "the machine is too slow for this test")
        pid = t.ready_pid
        self.assertEqual(self.heap_of(soon, pid), (CACHE * CACHE_SIZE, CACHE),
                         "the cache alone, not the leak younger than "
                         "--min-age")
        late = self.report_after(lt, leaked_at + MIN_AGE_S * 1.25 + 0.5)
        self.assertEqual(self.heap_of(late, pid),
                         (CACHE * CACHE_SIZE + LEAKS * LEAK_SIZE,
                          CACHE + LEAKS))
        self.assertEqual(lt.stop(), 0, lt.describe())
        # The final report's stacks: both, each exact.
        funcs = attribute(find_process(lt.final_report(), pid))
        self.assertEqual(
            {f: (funcs[f]["heap_bytes"], funcs[f]["heap_count"])
             for f in ("fill_cache", "leak_slowly") if f in funcs},
            {"fill_cache": (CACHE * CACHE_SIZE, CACHE),
             "leak_slowly": (LEAKS * LEAK_SIZE, LEAKS)})
