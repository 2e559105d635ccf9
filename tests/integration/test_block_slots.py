# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A freed block keeps its entry in the kernel's block map, as a slot for
the next block at its address; once slots pile up they are swept.
slot_churn frees 100 000 blocks at once, leaks 10, then allocates and
frees at the swept addresses again: the bytes stay exact, and the sweep
deleted every slot it left. With rounds, two threads free and allocate
50 000 blocks each, again and again, while sweeps run."""

import os
import re

from ltharness import LTTestCase

CHURNED = 100000


class BlockSlotsTest(LTTestCase):

    def run_churn(self, env=None, rounds=0):
        t = self.start_target("slot_churn", CHURNED, 10, 4096, rounds)
        lt, expect, final, proc = self.trace_started(t, ["-v"], env=env)
        self.assert_expect(expect, proc, final, lt,
                           absent=("churn_at", "churn_again"))
        self.assert_no_bad_losses(final)
        return lt

    def test_slots_swept_then_reused(self):
        """the slots of 100 000 freed blocks are deleted by the sweep"""
        lt = self.run_churn()
        err = lt.text("stderr")
        self.assertIn("freed blocks: kept for their address's next block",
                      err)
        swept = [int(n) for n in
                 re.findall(r"deleted (\d+) slots of freed blocks", err)]
        self.assertTrue(swept and max(swept) >= CHURNED,
                        "no sweep of %d slots\n%s" % (CHURNED,
                                                      lt.describe()))

    def test_sweeps_while_threads_churn(self):
        """sweeps racing frees and reuses on two threads: still exact"""
        lt = self.run_churn(rounds=8)
        sweeps = re.findall(r"deleted \d+ slots of freed blocks",
                            lt.text("stderr"))
        self.assertGreaterEqual(len(sweeps), 2,
                                "fewer than 2 sweeps\n" + lt.describe())

    def test_deleted_at_each_free(self):
        """without slots (kernels before 5.14): exact, nothing to sweep"""
        lt = self.run_churn(dict(os.environ, LEAKTRACE_NO_BLOCK_REUSE="1"))
        err = lt.text("stderr")
        self.assertIn("freed blocks: deleted at each free", err)
        self.assertNotIn("slots of freed blocks", err)
