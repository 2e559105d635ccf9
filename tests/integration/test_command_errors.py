# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""-c with an error after the fork, before the command is released (no
allocator symbols with --symbol-prefix, a --lib without malloc):
leaktrace exits at once with one error line and a non-zero status, the
command never runs, no process of leaktrace's stays behind (the forked
child, which still carries leaktrace's command line), and nothing stays
attached. Before the fix leaktrace waited forever for its child, which
waited forever on a pipe it held open itself."""

import os
import signal
import subprocess
import tempfile
import time

from ltharness import LTTestCase, LEAKTRACE, ROOT, bpf_state, \
    assert_nothing_attached

RUN_TIMEOUT = 20


def pids_with(token):
    """Processes whose command line contains token."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % name, "rb") as f:
                if token.encode() in f.read():
                    found.append(int(name))
        except OSError:
            pass
    return found


def kill_all(token):
    for pid in pids_with(token):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


class CommandErrorTest(LTTestCase):

    def run_failing(self, lt_args, message):
        token = "lt-never-ran-%d-%d" % (os.getpid(), time.monotonic_ns())
        marker = os.path.join(tempfile.gettempdir(), token)
        argv = [LEAKTRACE] + lt_args + ["-c", "touch " + marker, "1000"]
        before = bpf_state()
        self.addCleanup(lambda: os.path.exists(marker) and os.unlink(marker))
        self.addCleanup(kill_all, token)
        p = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        try:
            out, err = p.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            # The child holds leaktrace's stderr too: it goes first.
            kill_all(token)
            p.kill()
            out, err = p.communicate(timeout=10)
            self.fail("%s still running after %d s (waiting for its child?)"
                      "\nstderr: %s" % (" ".join(argv), RUN_TIMEOUT, err))
        lines = [l for l in err.splitlines() if l.strip()]
        self.assertNotEqual(p.returncode, 0, "exit status\n" + err)
        self.assertEqual(len(lines), 1, "one error line\n" + err)
        self.assertTrue(lines[0].startswith("leaktrace: error:"), lines[0])
        self.assertIn(message, lines[0])
        # The child is reaped before leaktrace exits: nothing carries the
        # token any more, and the command never ran.
        left = pids_with(token)
        self.assertEqual(left, [], "processes of leaktrace left behind")
        time.sleep(0.3)
        self.assertFalse(os.path.exists(marker), "the command ran")
        assert_nothing_attached(self, before)

    def test_symbol_prefix_without_symbols(self):
        """--symbol-prefix zz_ -c "touch MARKER": libc has no zz_malloc"""
        self.run_failing(["--symbol-prefix", "zz_"], "zz_malloc")

    def test_lib_without_allocator(self):
        """--lib libtoyalloc.so -c "touch MARKER": it has toy_malloc only"""
        lib = os.path.join(ROOT, "tests/targets/bin/libtoyalloc.so")
        self.run_failing(["--lib", lib], "libtoyalloc.so has no malloc")
