# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A target in a chroot with its own copy of libc (another inode than the
host's): leaktrace must probe the chroot's libc and trace it exactly."""

import os
import re
import shutil
import subprocess
import tempfile

from ltharness import (LTTestCase, LIBC, target_path, find_process, tail,
                       ldd_libraries)




class ChrootTest(LTTestCase):

    def make_chroot(self):
        root = tempfile.mkdtemp(prefix="lt-chroot-")
        self.addCleanup(shutil.rmtree, root, True)
        exe = target_path("leak_basic")
        libs = ldd_libraries(exe)
        self.assertTrue(any(os.path.basename(p) == LIBC for p in libs),
                        "ldd shows no %s: %s" % (LIBC, libs))
        for src in [exe] + libs:
            rel = "/leak_basic" if src == exe else src
            dst = root + rel
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(src, dst)       # a copy: a new inode
            shutil.copymode(src, dst)
        host_libc = next(p for p in libs if os.path.basename(p) == LIBC)
        return root, host_libc, root + host_libc

    def trace_in_chroot(self, verbose):
        root, host_libc, chroot_libc = self.make_chroot()
        h, c = os.stat(host_libc), os.stat(chroot_libc)
        self.assertNotEqual((h.st_dev, h.st_ino), (c.st_dev, c.st_ino))
        t = self.start_target("leak_basic",
                              argv=["chroot", root, "/leak_basic"])
        pid = t.ready_pid
        lt = self.start_tracer(["--json", "-T", "1000"] +
                               (["-v"] if verbose else []) +
                               ["-p", pid, "1000"])
        return t, lt, pid, host_libc, chroot_libc

    def probe_paths(self, lt):
        paths = {}
        for line in lt.lines("stderr"):
            m = re.match(r"leaktrace: probe (\w+) at (.+)\+0x[0-9a-f]+", line)
            if m:
                paths[m.group(1)] = m.group(2)
        self.assertIn("malloc", paths, 'no "probe malloc at PATH+0x..." '
                      "line in leaktrace -v output\n" + lt.describe())
        return paths

    def test_chroot_exact(self):
        """chroot DIR /leak_basic: leak_here exact, balanced absent"""
        t, lt, pid, _, _ = self.trace_in_chroot(verbose=False)
        t.go()
        expect = t.wait_expect()
        self.assertEqual(lt.stop(), 0, lt.describe())
        final = lt.final_report()
        self.assert_expect(expect, find_process(final, pid), final, lt,
                           absent=("balanced",))
        self.assert_no_bad_losses(final)

    def test_chroot_probes_chroot_libc(self):
        """-v: the probed malloc is in the chroot's libc, not the host's"""
        t, lt, pid, host_libc, chroot_libc = self.trace_in_chroot(True)
        path = self.probe_paths(lt)["malloc"]
        st = os.stat(path)                  # while the target is alive
        c, h = os.stat(chroot_libc), os.stat(host_libc)
        self.assertEqual((st.st_dev, st.st_ino), (c.st_dev, c.st_ino),
                         "probed %s is not the chroot's libc %s (host libc "
                         "is inode %d)\n%s" % (path, chroot_libc, h.st_ino,
                                               tail(lt.text("stderr"))))

    def test_chroot_probe_path_via_proc_root(self):
        """-v: the probed path is the chroot's libc via /proc/PID/root"""
        t, lt, pid, host_libc, chroot_libc = self.trace_in_chroot(True)
        path = self.probe_paths(lt)["malloc"]
        prefix = "/proc/%d/root/" % pid
        self.assertTrue(path.startswith(prefix),
                        "probe path of malloc is %s, not under %s (the "
                        "chroot's libc is %s on the host)"
                        % (path, prefix, chroot_libc))
        st, c = os.stat(path), os.stat(chroot_libc)
        self.assertEqual((st.st_dev, st.st_ino), (c.st_dev, c.st_ino),
                         "%s is not the chroot's libc" % path)
