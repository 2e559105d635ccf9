# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""--sample: Poisson byte sampling with unbiased weights. The sizes target
leaks about 1 GiB in blocks of 16 B to 256 KiB; at a 512 KiB mean gap the
estimate of its bytes is within 10 % (about 2000 samples: the standard
error is near 2 %), and the balanced churn next to it stays near 0. Exact
mode on the same target is exact."""

from ltharness import LTTestCase

TOLERANCE = 0.10


class SamplingTest(LTTestCase):

    def leak_estimate(self, proc, func):
        return sum(st["heap_bytes"] for st in proc["top_outstanding"]
                   if st["frames"] and st["frames"][0]["symbol"] == func)

    def check_sampled(self, lt_args):
        t, lt, expect, final, proc = self.trace_target(
            "sizes", lt_args=["--sample", "512K"] + lt_args)
        self.assertEqual(final["mode"], "sampled")
        self.assertEqual(final["sample_bytes"], 512 << 10)
        truth = {e["func"]: e for e in expect["expect"]}
        leak = truth["leak_sizes"]["bytes"]
        got = self.leak_estimate(proc, "leak_sizes")
        self.assertLess(abs(got - leak), TOLERANCE * leak,
                        "estimate %d for %d bytes" % (got, leak))
        churn = self.leak_estimate(proc, "churn_sizes")
        self.assertLess(churn, TOLERANCE * leak)
        # Half the bytes are blocks malloc maps itself (128 KiB and up),
        # also when a call is sampled out: none are the program's own.
        self.assertLess(proc["mapped_bytes"], 16 << 20, proc)
        self.assert_no_bad_losses(final)

    def test_sampled_within_ten_percent(self):
        """--sample 512K: 1 GiB of mixed sizes estimated within 10 %"""
        self.check_sampled([])

    def test_sampled_classic_probes(self):
        """--sample 512K --no-sessions: the same within 10 %"""
        self.check_sampled(["--no-sessions"])

    def test_exact_mode_still_exact(self):
        """the same target without --sample: exact bytes and blocks"""
        t, lt, expect, final, proc = self.trace_target("sizes", "256")
        self.assertEqual(final["mode"], "exact")
        self.assert_expect(expect, proc, final, lt)
