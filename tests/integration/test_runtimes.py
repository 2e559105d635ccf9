# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Runtimes nobody here wrote, each built at test time into a temporary
folder from a source in tests/targets/runtimes/, each computing its own
ground truth:

- an application embedding CPython (tests/targets/runtimes/py_embed.c)
  through Debian's libpython3.11.so, through the same interpreter linked
  into a library whose name says nothing of Python (libscripting.so, from
  Debian's libpython3.11-pic.a), and through pyenv's shared 3.12 when
  present: the interpreter found by its symbols, Python frames with file
  and line under the leaking stacks, bytes exact;
"""

import os
import shutil
import subprocess
import tempfile

import test_python as tpy
from ltharness import LTTestCase, ROOT, find_process

SOURCES = os.path.join(ROOT, "tests", "targets", "runtimes")


def build(argv, what):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    if r.returncode:
        raise AssertionError("building %s failed:\n$ %s\n%s%s" % (
            what, " ".join(argv), r.stdout, r.stderr))


def mapped_files(pid):
    with open("/proc/%d/maps" % pid) as f:
        return {line.split(None, 5)[5].strip() for line in f
                if len(line.split(None, 5)) == 6}


class EmbeddedPythonTest(LTTestCase):
    """A C program linked with a shared libpython runs pyleak.py through
    PyRun_SimpleString; the executable is called neither python nor
    anything like it."""

    check_heap = tpy.PythonFramesTest.check_heap
    check_mapped = tpy.PythonFramesTest.check_mapped

    def tempdir(self):
        d = tempfile.mkdtemp(prefix="lt-embed-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def build_embed(self, include, libdir, lib):
        exe = os.path.join(self.tempdir(), "appmain")
        build(["cc", "-O1", "-g", "-fno-omit-frame-pointer", "-I" + include,
               "-o", exe, os.path.join(SOURCES, "py_embed.c"),
               "-L" + libdir, "-l" + lib, "-Wl,-rpath," + libdir], exe)
        return exe

    def run_embed(self, exe, libname):
        t = self.start_target("py_embed", argv=[exe, tpy.SCRIPT])
        libs = [p for p in mapped_files(t.ready_pid)
                if os.path.basename(p).startswith(libname)]
        self.assertTrue(libs, "%s does not map %s*" % (exe, libname))
        lt, expect, final, proc = self.trace_started(t, expect_timeout=60)
        self.assertIsNotNone(proc, lt.describe())
        self.assertIn((proc.get("python") or {}).get("version"),
                      [expect["version"].rsplit(".", 1)[0]], lt.describe())
        for e in expect["expect"]:
            with self.subTest(func=e["func"], line=e["line"]):
                if e["kind"] == "heap":
                    self.check_heap(e, proc)
                else:
                    self.check_mapped(e, proc)
        self.check_files(expect, proc)

    def check_files(self, expect, proc):
        """The leaking frames name the script's file; the outermost
        Python frame is the code PyRun_SimpleString ran."""
        script = os.path.realpath(tpy.SCRIPT)
        for e in expect["expect"]:
            leaf = tuple(e["python_stack"][0])
            stacks = [st for st in proc["top_outstanding"]
                      if tpy.starts_with(tpy.python_frames(st), [leaf])]
            self.assertTrue(stacks, "no stack under %s" % (leaf,))
            for st in stacks:
                py = [f for f in st["frames"] if f.get("kind") == "python"]
                self.assertEqual(os.path.realpath(py[0].get("file", "")),
                                 script, py[0])
                if e["func"] != "pyleak.in_thread":
                    self.assertEqual(py[-1].get("file"), "<string>", py[-1])

    def test_embed_debian_libpython(self):
        """embedding Debian's libpython3.11.so: Python frames, bytes exact"""
        if not os.path.exists("/usr/include/python3.11/Python.h"):
            self.fail("no /usr/include/python3.11: make deps "
                      "(python3-dev)")
        exe = self.build_embed("/usr/include/python3.11",
                               "/usr/lib/x86_64-linux-gnu", "python3.11")
        self.run_embed(exe, "libpython3.11.so")

    def test_embed_library_not_named_python(self):
        """CPython linked into libscripting.so: found by its symbols"""
        pic = ("/usr/lib/python3.11/config-3.11-x86_64-linux-gnu/"
               "libpython3.11-pic.a")
        if not os.path.exists(pic):
            self.fail("no %s: make deps (libpython3.11-dev)" % pic)
        d = self.tempdir()
        build(["cc", "-shared", "-o", os.path.join(d, "libscripting.so"),
               "-Wl,--whole-archive", pic, "-Wl,--no-whole-archive",
               "-lexpat", "-lz", "-lm"], "libscripting.so")
        exe = self.build_embed("/usr/include/python3.11", d, "scripting")
        self.run_embed(exe, "libscripting.so")

    def test_embed_pyenv_libpython(self):
        """embedding pyenv's shared libpython3.12.so: Python frames"""
        prefix = os.path.join(tpy.pyenv_root(), "versions", "3.12.1")
        if not os.path.exists(os.path.join(prefix, "lib",
                                           "libpython3.12.so")):
            self.skipTest("no pyenv CPython 3.12 with a shared libpython")
        exe = self.build_embed(os.path.join(prefix, "include", "python3.12"),
                               os.path.join(prefix, "lib"), "python3.12")
        self.run_embed(exe, "libpython3.12.so")
