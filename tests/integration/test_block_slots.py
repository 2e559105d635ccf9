# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A freed block keeps its entry in the kernel's block map, as a slot for
the next block at its address; once slots pile up they are swept.
slot_churn frees 100 000 blocks at once, leaks 10, then allocates and
frees at the swept addresses again: the bytes stay exact, and the sweep
deleted every slot it left."""

import os
import re

from ltharness import LTTestCase

CHURNED = 100000


class BlockSlotsTest(LTTestCase):

    def run_churn(self, env=None):
        t = self.start_target("slot_churn", CHURNED)
        lt, expect, final, proc = self.trace_started(t, ["-v"], env=env)
        self.assert_expect(expect, proc, final, lt,
                           absent=("churn", "churn_again"))
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

    def test_deleted_at_each_free(self):
        """without slots (kernels before 5.14): exact, nothing to sweep"""
        lt = self.run_churn(dict(os.environ, LEAKTRACE_NO_BLOCK_REUSE="1"))
        err = lt.text("stderr")
        self.assertIn("freed blocks: deleted at each free", err)
        self.assertNotIn("slots of freed blocks", err)
