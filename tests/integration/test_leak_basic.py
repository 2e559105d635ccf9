# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""leak_basic: exact bytes for leak_here, nothing at all for balanced."""

from ltharness import LTTestCase


class LeakBasicTest(LTTestCase):

    def check(self, *args):
        t, lt, expect, final, proc = self.trace_target("leak_basic", *args)
        self.assert_expect(expect, proc, final, lt, absent=("balanced",))
        self.assert_no_bad_losses(final)

    def test_defaults(self):
        """10 blocks of 4096 bytes"""
        self.check()

    def test_many_small(self):
        """1000 blocks of 24 bytes (tcache/fastbin sizes)"""
        self.check(1000, 24)

    def test_odd_sizes(self):
        """37 blocks of 1001 bytes"""
        self.check(37, 1001)

    def test_above_mmap_threshold(self):
        """4 blocks of 300000 bytes (malloc's mmap threshold is 128 KiB)"""
        self.check(4, 300000)
