# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""One test per allocator API scenario of tests/targets/bin/api, each in its
own process: every expect entry exact, no losses but benign ones."""

import subprocess

from ltharness import LTTestCase, env_with, target_path


def scenario_names():
    try:
        r = subprocess.run([target_path("api"), "list"], capture_output=True,
                           text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, "cannot run %s list: %s" % (target_path("api"), e)
    names = r.stdout.split()
    if r.returncode or not names:
        return None, "%s list failed (status %d): %s" % (
            target_path("api"), r.returncode, r.stderr.strip())
    return names, None


class ApiTest(LTTestCase):

    def check_scenario(self, name):
        t, lt, expect, final, proc = self.trace_target("api", name)
        self.assertTrue(expect["expect"], "api %s: empty expect line" % name)
        self.assert_expect(expect, proc, final, lt)
        self.assert_no_bad_losses(final)


    def test_nested_free(self):
        """realloc(p, 0) frees p through free(): the free is realloc's own,
        counted once, not a free of an unknown block"""
        t, lt, expect, final, proc = self.trace_target("api", "realloc_zero")
        self.assert_expect(expect, proc, final, lt)
        self.assertEqual(final["losses"]["free_unknown"], 0, final["losses"])


def _make(name):
    def test(self):
        self.check_scenario(name)
    test.__doc__ = "api %s" % name
    return test


_NAMES, _ERROR = scenario_names()
if _NAMES is None:
    def test_list(self):
        self.fail(_ERROR + " (run make targets)")
    ApiTest.test_list = test_list
else:
    for _n in _NAMES:
        setattr(ApiTest, "test_" + _n, _make(_n))


# Scenarios whose expects come from the mapping syscalls' tracepoints.
MAPPING_SCENARIOS = ("mmap", "munmap_partial", "mremap", "sbrk", "brk",
                     "realloc_move")


class SyscallTracepointsTest(LTTestCase):
    """Both ways of seeing mapping syscalls give the exact expects: the
    per-syscall tracepoints (5.15+, the default here) and the raw syscall
    tracepoints older kernels use (forced by LEAKTRACE_RAW_SYSCALLS)."""

    def check_mode(self, env, said):
        for name in MAPPING_SCENARIOS:
            with self.subTest(scenario=name):
                t = self.start_target("api", name)
                lt, expect, final, proc = self.trace_started(
                    t, lt_args=["-v"], env=env)
                self.assert_expect(expect, proc, final, lt)
                self.assert_no_bad_losses(final)
                self.assertIn("mapping syscalls: " + said,
                              lt.text("stderr"))

    def test_per_syscall_tracepoints(self):
        self.check_mode(env_with(LEAKTRACE_RAW_SYSCALLS=None),
                        "per-syscall tracepoints")

    def test_raw_syscall_tracepoints(self):
        self.check_mode(env_with(LEAKTRACE_RAW_SYSCALLS="1"),
                        "raw syscall tracepoints, every syscall")
