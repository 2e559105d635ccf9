# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Re-entrancy: a signal handler that interrupts an allocator call and
allocates on the same thread makes calls of its own, not the allocator
calling itself. sigalloc raises the signal from inside its allocator
(sa_malloc, in the executable), so every interruption lands in a call;
with and without sigaltstack and siglongjmp out of the handler, in both
probe modes. after_signals() checks that nothing stale is left."""

from ltharness import LTTestCase, target_path

MODES = ("plain", "altstack", "longjmp", "altstack-longjmp")


class SignalReentryTest(LTTestCase):

    def check(self, mode, lt_args=()):
        exe = target_path("sigalloc")
        t, lt, expect, final, proc = self.trace_target(
            "sigalloc", mode, 200,
            lt_args=["--lib", exe, "--symbol-prefix", "sa_"] + list(lt_args))
        self.assert_expect(expect, proc, final, lt)
        self.assert_no_bad_losses(final)

    def test_plain(self):
        """handler on the interrupted stack, returns"""
        self.check("plain")

    def test_altstack(self):
        """handler on a sigaltstack, returns"""
        self.check("altstack")

    def test_longjmp(self):
        """handler leaves by siglongjmp: the interrupted call never returns"""
        self.check("longjmp")

    def test_altstack_longjmp(self):
        """sigaltstack and siglongjmp"""
        self.check("altstack-longjmp")

    def test_classic_plain(self):
        """--no-sessions: handler returns"""
        self.check("plain", ["--no-sessions"])

    def test_classic_altstack(self):
        """--no-sessions: sigaltstack"""
        self.check("altstack", ["--no-sessions"])

    def test_classic_longjmp(self):
        """--no-sessions: siglongjmp"""
        self.check("longjmp", ["--no-sessions"])

    def test_classic_altstack_longjmp(self):
        """--no-sessions: sigaltstack and siglongjmp"""
        self.check("altstack-longjmp", ["--no-sessions"])
