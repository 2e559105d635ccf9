# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""threads: 8 threads, 1M malloc/free pairs in total, 800 leaked blocks,
with each thread's state in task storage (the default where the kernel
has it) and in the LRU hash older kernels use."""

from ltharness import LTTestCase, env_with


class ThreadsTest(LTTestCase):

    def check_threads(self, env, said):
        t = self.start_target("threads")
        lt, expect, final, proc = self.trace_started(
            t, lt_args=["-v"], expect_timeout=120, env=env)
        self.assertEqual(final["losses"].get("alloc_map_full"), 0,
                         "allocations not tracked, live-block map full: %s"
                         % final["losses"])
        self.assert_expect(expect, proc, final, lt)
        self.assert_no_bad_losses(final)
        self.assertIn("thread states: " + said, lt.text("stderr"))

    def test_threads(self):
        """8 threads x 125000 pairs: thread_leak exact, churn 0"""
        self.check_threads(env_with(LEAKTRACE_NO_TASK_STORAGE=None),
                           "task storage")

    def test_threads_lru_hash(self):
        """the same with thread states in the LRU hash (older kernels)"""
        self.check_threads(env_with(LEAKTRACE_NO_TASK_STORAGE="1"),
                           "an LRU hash of 32768 threads")
