# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The allocator that serves malloc, found with no options, the way the
dynamic linker binds it (first module in lookup order defining malloc):
jemalloc linked in or preloaded, tcmalloc and mimalloc preloaded, the
executable itself (static musl), by -p and by -c; -v says which module and
why; a prefixed je_malloc next to libc's malloc is said once, and probed
when asked for (--lib, --symbol-prefix)."""

import os

from ltharness import LTTestCase, TARGETS, target_path
import test_command

LIBDIR = "/usr/lib/x86_64-linux-gnu"
BLOCKS, SIZE = 1017, 3796        # 3.86 MB in 1017 blocks


def preload(lib):
    return dict(os.environ, LD_PRELOAD=lib)


class AllocatorsTest(LTTestCase):

    def check(self, name, env=None, lt_args=(), want_module=None):
        t = self.start_target(name, BLOCKS, SIZE, env=env)
        lt, expect, final, proc = self.trace_started(t, ["-v"] +
                                                     list(lt_args))
        self.assert_expect(expect, proc, final, lt, absent=("balanced",))
        self.assert_no_bad_losses(final)
        if want_module:
            why = [l for l in lt.lines("stderr")
                   if "is the first module to define malloc" in l]
            self.assertEqual(len(why), 1, lt.describe())
            self.assertIn(want_module, why[0])
        return lt

    def test_linked_jemalloc(self):
        """-ljemalloc, -p, no options: exact"""
        self.check("leak_basic_je", want_module="libjemalloc.so.2")

    def test_preloaded_jemalloc(self):
        """LD_PRELOAD=libjemalloc.so.2: exact"""
        self.check("leak_basic", env=preload("libjemalloc.so.2"),
                   want_module="libjemalloc.so.2")

    def test_preloaded_tcmalloc(self):
        """LD_PRELOAD=libtcmalloc.so.4 (tc_ aliases probed once): exact"""
        self.check("leak_basic", env=preload("libtcmalloc.so.4"),
                   want_module="libtcmalloc.so.4")

    def test_preloaded_mimalloc(self):
        """LD_PRELOAD=libmimalloc.so.2: exact"""
        if not os.path.exists(os.path.join(LIBDIR, "libmimalloc.so.2")):
            self.fail("libmimalloc.so.2 missing: make deps installs it")
        self.check("leak_basic", env=preload("libmimalloc.so.2"),
                   want_module="libmimalloc.so.2")

    def test_static_musl(self):
        """a static musl binary: its own malloc, no options: exact"""
        self.check("leak_basic_musl", want_module="leak_basic_musl")

    def test_glibc_says_why(self):
        """plain glibc: -v names libc.so.6 and why"""
        self.check("leak_basic", want_module="libc.so.6")

    def test_mixed_prefixed_allocator(self):
        """je_malloc in a library next to libc: said once; --lib probes it"""
        t = self.start_target("toy_user_je")
        lt = self.start_tracer(["-p", t.ready_pid, "1000"])
        lt.stop()
        mixed = [l for l in lt.lines("stderr") if "mixed allocators" in l]
        self.assertEqual(len(mixed), 1, lt.describe())
        self.assertIn("libjetoy.so", mixed[0])
        self.assertIn("--symbol-prefix je_", mixed[0])
        lt2, expect, final, proc = self.trace_started(t, [
            "--lib", os.path.join(TARGETS, "libjetoy.so"),
            "--symbol-prefix", "je_"])
        self.assert_expect(expect, proc, final, lt2)


class AllocatorCommandTest(LTTestCase):
    """-c: the allocator of the command, found before it starts."""

    run_command = test_command.CommandTest.run_command

    def test_command_linked_jemalloc(self):
        """-c with -ljemalloc: exact"""
        self.run_command("%s --now --exit --linger %d %d" % (
            target_path("leak_basic_je"), BLOCKS, SIZE))

    def test_command_preloaded_tcmalloc(self):
        """-c with LD_PRELOAD=libtcmalloc.so.4: exact"""
        self.run_command("%s --now --exit --linger %d %d" % (
            target_path("leak_basic"), BLOCKS, SIZE),
            env=preload("libtcmalloc.so.4"))
