# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""--lib PATH --symbol-prefix PFX: trace another allocator. toy_user leaks
through libtoyalloc's toy_malloc/toy_calloc/toy_realloc (toy_realloc calls
toy_malloc and toy_free itself: nested calls count once) and through libc
malloc, which must not be seen when only the toy allocator is probed."""

import os

from ltharness import LTTestCase, TARGETS

LIB = os.path.join(TARGETS, "libtoyalloc.so")


class LibOptionTest(LTTestCase):

    def test_prefixed_allocator(self):
        """--lib libtoyalloc.so --symbol-prefix toy_: exact, libc unseen"""
        t, lt, expect, final, proc = self.trace_target(
            "toy_user", lt_args=["--lib", LIB, "--symbol-prefix", "toy_"])
        self.assert_expect(expect, proc, final, lt)
        self.assert_no_bad_losses(final)

    def test_lib_without_allocator_symbols(self):
        """--lib on a library without PFXmalloc: one error line"""
        t = self.start_target("toy_user")
        lt = self.start_tracer(["--lib", LIB, "--symbol-prefix", "nope_",
                                "-p", t.ready_pid, "1"], wait=False)
        rc = lt.wait(30)
        self.assertNotEqual(rc, 0)
        errors = [l for l in lt.text("stderr").splitlines() if l]
        self.assertEqual(len(errors), 1, lt.describe())
        self.assertIn("nope_malloc", errors[0])
