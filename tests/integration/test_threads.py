# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""threads: 8 threads, 1M malloc/free pairs in total, 800 leaked blocks."""

from ltharness import LTTestCase


class ThreadsTest(LTTestCase):

    def test_threads(self):
        """8 threads x 125000 pairs: thread_leak exact, churn 0"""
        t, lt, expect, final, proc = self.trace_target(
            "threads", expect_timeout=120)
        self.assertEqual(final["losses"].get("alloc_map_full"), 0,
                         "allocations not tracked, live-block map full: %s"
                         % final["losses"])
        self.assert_expect(expect, proc, final, lt)
