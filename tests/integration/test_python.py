# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Python frames on every CPython the machine has: Debian's python3 and the
pyenv interpreters 3.8 to 3.13. tests/targets/py/pyleak.py leaks known
bytearrays from known lines (nested calls, a generator, a lambda called from
sorted(), after a try/except, in a thread) and many small strings; its
expect line names the Python frames and lines, computed from its own code."""

import glob
import os
import subprocess
import unittest

from ltharness import LTTestCase, ROOT, find_process

SCRIPT = os.path.join(ROOT, "tests", "targets", "py", "pyleak.py")
SUPPORTED = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13")


def pyenv_root():
    try:
        out = subprocess.run(["pyenv", "root"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    return out or os.path.expanduser("~/.pyenv")


def interpreters():
    """(label, path) of every interpreter to test."""
    found = []
    if os.access("/usr/bin/python3", os.X_OK):
        found.append(("debian", "/usr/bin/python3"))
    for d in sorted(glob.glob(os.path.join(pyenv_root(), "versions", "3.*"))):
        version = os.path.basename(d)
        exe = os.path.join(d, "bin", "python3")
        if version.rsplit(".", 1)[0] in SUPPORTED and os.access(exe, os.X_OK):
            found.append((version, exe))
    return found


def python_frames(stack):
    return [(f["symbol"], f.get("line")) for f in stack["frames"]
            if f.get("kind") == "python"]


def starts_with(frames, prefix):
    return frames[:len(prefix)] == [tuple(p) for p in prefix]


def describe(proc):
    lines = []
    for st in proc.get("top_outstanding", []):
        lines.append("  heap %d/%d mapped %d/%d: %s" % (
            st["heap_bytes"], st["heap_count"], st["mapped_bytes"],
            st["mapped_count"], python_frames(st)[:4]))
    return "\n".join(lines)


class PythonFramesTest(LTTestCase):

    def check_heap(self, e, proc):
        """The leak, exactly, under the expected frames. Positions inside a
        line can differ between iterations (3.12 generators), so stacks
        that print the same are added up."""
        hits = [st for st in proc["top_outstanding"]
                if starts_with(python_frames(st), e["python_stack"])]
        got = (sum(st["heap_bytes"] for st in hits),
               sum(st["heap_count"] for st in hits))
        self.assertEqual(got, (e["bytes"], e["count"]),
                         "bytes and blocks under %s\nstacks:\n%s" %
                         (e["python_stack"], describe(proc)))

    def check_mapped(self, e, proc):
        """pymalloc arenas made on the line, within the expected range."""
        total = sum(st["mapped_bytes"] for st in proc["top_outstanding"]
                    if starts_with(python_frames(st), e["python_stack"]))
        self.assertGreaterEqual(total, e["min_bytes"], describe(proc))
        self.assertLessEqual(total, e["max_bytes"], describe(proc))

    def check_expects(self, expect, proc):
        """Each line pyleak expects: its frames and bytes, exact."""
        for e in expect["expect"]:
            with self.subTest(func=e["func"], line=e["line"]):
                if e["kind"] == "heap":
                    self.check_heap(e, proc)
                else:
                    self.check_mapped(e, proc)

    def run_python(self, exe):
        t = self.start_target("pyleak", argv=[exe, SCRIPT])
        lt, expect, final, proc = self.trace_started(t, expect_timeout=60)
        self.assertIsNotNone(proc, lt.describe())
        self.check_expects(expect, proc)


def add_version_tests():
    for label, exe in interpreters():
        name = "test_python_" + label.replace(".", "_")

        def test(self, exe=exe):
            self.run_python(exe)
        test.__doc__ = "Python frames and lines on %s (%s)" % (label, exe)
        setattr(PythonFramesTest, name, test)


add_version_tests()


class UnsupportedPythonTest(LTTestCase):

    def test_python_37_falls_back(self):
        """CPython 3.7: one clear line, native stacks, still exact"""
        exe = os.path.join(pyenv_root(), "versions", "3.7.16", "bin",
                           "python3")
        if not os.access(exe, os.X_OK):
            self.skipTest("no CPython 3.7 here")
        t = self.start_target("pyleak", argv=[exe, SCRIPT])
        lt = self.start_tracer(["--json", "-T", "1000", "-p", t.ready_pid,
                                "1000"])
        t.go()
        t.wait_expect(60)
        self.assertEqual(lt.stop(), 0, lt.describe())
        warnings = [l for l in lt.text("stderr").splitlines()
                    if "Python 3.7" in l]
        self.assertEqual(len(warnings), 1, lt.describe())
        proc = find_process(lt.final_report(), t.ready_pid)
        self.assertTrue(all(f.get("kind") != "python"
                            for st in proc["top_outstanding"]
                            for f in st["frames"]))


if __name__ == "__main__":
    unittest.main()


class PymallocTest(LTTestCase):
    """--pymalloc: per-object tracing where the build calls PyObject_Malloc
    (pyenv's shared builds); Debian's LTO build says it cannot and counts
    arenas instead."""

    def trace(self, exe):
        t = self.start_target("pyleak", argv=[exe, SCRIPT])
        lt = self.start_tracer(["--json", "--pymalloc", "-T", "1000", "-p",
                                t.ready_pid, "1000"])
        t.go()
        expect = t.wait_expect(60)
        self.assertEqual(lt.stop(), 0, lt.describe())
        proc = find_process(lt.final_report(), t.ready_pid)
        small = [e for e in expect["expect"] if e["kind"] == "mapped"][0]
        return lt, proc, small

    def test_pymalloc_objects(self):
        """pyenv 3.12 --pymalloc: each small string is a traced object"""
        exe = os.path.join(pyenv_root(), "versions", "3.12.1", "bin",
                           "python3")
        if not os.access(exe, os.X_OK):
            self.skipTest("no pyenv CPython 3.12 here")
        lt, proc, small = self.trace(exe)
        self.assertEqual(proc.get("python"),
                         {"version": "3.12", "mode": "objects"})
        blocks = sum(st["heap_count"] for st in proc["top_outstanding"]
                     if starts_with(python_frames(st),
                                    small["python_stack"]))
        # 200000 strings, plus the list that holds them
        self.assertGreaterEqual(blocks, 200000, describe(proc))
        self.assertLessEqual(blocks, 200000 + 10, describe(proc))

    def test_pymalloc_lto_build(self):
        """Debian python3 --pymalloc: one warning, arenas mode"""
        lt, proc, small = self.trace("/usr/bin/python3")
        warnings = [l for l in lt.text("stderr").splitlines()
                    if "--pymalloc" in l]
        self.assertEqual(len(warnings), 1, lt.describe())
        self.assertEqual(proc.get("python", {}).get("mode"), "arenas")


class RenamedPythonTest(LTTestCase):
    """Python found by its symbols (_PyRuntime), never by file name."""

    run_python = PythonFramesTest.run_python
    check_expects = PythonFramesTest.check_expects
    check_heap = PythonFramesTest.check_heap
    check_mapped = PythonFramesTest.check_mapped

    def test_renamed_interpreter(self):
        """/usr/bin/python3.11 copied to myapp: Python frames and lines"""
        import shutil
        import tempfile
        d = tempfile.mkdtemp(prefix="lt-myapp-")
        self.addCleanup(shutil.rmtree, d, True)
        exe = os.path.join(d, "myapp")
        shutil.copy2("/usr/bin/python3.11", exe)
        self.run_python(exe)
