# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Symbolization: function, file:line, inlined calls and module of each
native frame, wherever the debug info is (the binary, a .build-id
directory, .gnu_debuglink, inside a chroot), for shared libraries, JIT
code, binaries replaced on disk and processes that exited.

Expected lines come from SYM-* marker comments in tests/targets/sym/*.c;
nothing here hard-codes a line number.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile

from ltharness import (LTTestCase, ROOT, find_process, tail, target_path,
                       ldd_libraries)

SYM_SRC = os.path.join(ROOT, "tests", "targets", "sym")
DEBUG_ROOT = "/usr/lib/debug"


# ---- helpers ------------------------------------------------------------

def marker_line(source, marker):
    """Line number of the line of tests/targets/sym/SOURCE with MARKER."""
    with open(os.path.join(SYM_SRC, source)) as f:
        for n, line in enumerate(f, 1):
            if re.search(r"/\* %s \*/" % re.escape(marker), line):
                return n
    raise AssertionError("no /* %s */ in %s" % (marker, source))


def build_id(path):
    """The GNU build-id of an ELF file, hex, from readelf."""
    r = subprocess.run(["readelf", "-n", path], capture_output=True,
                       text=True, timeout=10)
    m = re.search(r"Build ID: ([0-9a-f]+)", r.stdout)
    if not m:
        raise AssertionError("%s has no build-id:\n%s" % (path, r.stdout))
    return m.group(1)


def build_id_path(root, bid):
    return os.path.join(root + DEBUG_ROOT, ".build-id", bid[:2],
                        bid[2:] + ".debug")




def copy(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)
    shutil.copymode(src, dst)


def perf_map(target):
    """A JIT target killed by the cleanup leaves its perf map behind."""
    return "/tmp/perf-%d.map" % target.ready_pid


def stacks_with(proc, symbol):
    return [s for s in (proc or {}).get("top_outstanding", [])
            if any(f.get("symbol") == symbol for f in s.get("frames", []))]


def describe_stacks(proc):
    out = []
    for s in (proc or {}).get("top_outstanding", []):
        out.append("  %d bytes:" % s.get("bytes", 0))
        out.extend("      %s  file=%r line=%r inlined=%r" % (
            f.get("text"), f.get("file"), f.get("line"), f.get("inlined"))
            for f in s.get("frames", []))
    return "\n".join(out) or "  (no stacks)"


class SymTestCase(LTTestCase):
    """Trace a sym target and check its frames in the final report."""

    def tmpdir(self, prefix="lt-sym-"):
        d = tempfile.mkdtemp(prefix=prefix)
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def trace(self, name, *args, argv=None, env=None, lt_env=None,
              lt_args=(), exit_after=False):
        """Start, attach, go, wait for the ground truth, stop.

        Returns (target, tracer, expect, final report, process report).
        With exit_after the target exits after its expect line and the
        final report comes from leaktrace noticing it (it symbolizes only
        then, with the process gone).
        """
        t = self.start_target(name, *args, argv=argv, env=env,
                              exit=exit_after)
        lt = self.start_tracer(["--json", "-T", "1000"] + list(lt_args) +
                               ["-p", t.ready_pid, "1000"], env=lt_env)
        t.go()
        expect = t.wait_expect()
        if exit_after:
            rc = lt.wait(30, "exit after its target exited")
        else:
            rc = lt.stop()
        self.assertEqual(rc, 0, lt.describe())
        final = lt.final_report()
        proc = find_process(final, t.ready_pid)
        self.assertIsNotNone(proc, "pid %d not in the final report\n%s"
                             % (t.ready_pid, lt.describe()))
        return t, lt, expect, final, proc

    def leak_frames(self, proc, symbol, lt=None):
        stacks = stacks_with(proc, symbol)
        self.assertTrue(stacks, "no stack with a %s frame:\n%s%s" % (
            symbol, describe_stacks(proc),
            "\n" + tail(lt.text("stderr")) if lt else ""))
        return stacks[0]["frames"]

    def assert_frame(self, frame, symbol, source, line, module,
                     inlined=False, proc=None):
        where = "frame %s\nall stacks:\n%s" % (
            json.dumps(frame), describe_stacks(proc))
        self.assertEqual(frame.get("symbol"), symbol, where)
        self.assertEqual(os.path.basename(frame.get("file", "")), source,
                         where)
        self.assertEqual(frame.get("line"), line, where)
        self.assertEqual(frame.get("module"), module, where)
        self.assertEqual(frame.get("inlined"), inlined, where)
        if inlined:
            text = "%s (%s:%d) [%s] (inlined)" % (symbol, source, line,
                                                  module)
        else:
            self.assertGreater(frame.get("offset", 0), 0, where)
            text = "%s+0x%x (%s:%d) [%s]" % (symbol, frame["offset"],
                                             source, line, module)
        self.assertEqual(frame.get("text"), text, where)

    def assert_leak_frames(self, proc, module, lt=None):
        """sym_leak.c's stack: sym_leak_here then sym_caller, with lines."""
        frames = self.leak_frames(proc, "sym_leak_here", lt)
        self.assert_frame(frames[0], "sym_leak_here", "sym_leak.c",
                          marker_line("sym_leak.c", "SYM-LEAK"), module,
                          proc=proc)
        self.assert_frame(frames[1], "sym_caller", "sym_leak.c",
                          marker_line("sym_leak.c", "SYM-CALL"), module,
                          proc=proc)
        return frames

    def assert_names_only(self, proc, module, lt=None):
        """Names from a symbol table, no file:line."""
        frames = self.leak_frames(proc, "sym_leak_here", lt)
        for f, name in zip(frames, ("sym_leak_here", "sym_caller")):
            self.assertEqual(f.get("symbol"), name, describe_stacks(proc))
            self.assertEqual((f.get("file"), f.get("line")), ("", 0),
                             describe_stacks(proc))
            self.assertEqual(f.get("text"), "%s+0x%x [%s]" % (
                name, f["offset"], module))

    def install_build_id_debug(self, binary, root=""):
        """binary's .debug file where distributions put it, by build-id,
        removed when the test ends (root: a chroot's directory)."""
        dst = build_id_path(root, build_id(binary))
        if os.path.exists(dst):
            self.fail("%s exists already (left over?): remove it" % dst)
        made = []
        d = os.path.dirname(dst)
        while not os.path.isdir(d):
            made.append(d)
            d = os.path.dirname(d)
        copy(binary + ".debug", dst)
        # Cleanups run last registered first: the file, then the
        # directories made for it, innermost first.
        for d in reversed(made):
            self.addCleanup(lambda d=d: os.path.isdir(d) and
                            not os.listdir(d) and os.rmdir(d))
        self.addCleanup(os.unlink, dst)
        return dst


# ---- where the debug info is -------------------------------------------

class DebugInfoLocationTest(SymTestCase):

    def test_debug_info_in_binary(self):
        """-g: function+0xoff (sym_leak.c:LINE) [sym_g] for each frame"""
        t, lt, expect, final, proc = self.trace("sym/sym_g", 7, 1000)
        self.assert_expect(expect, proc, final, lt)
        frames = self.assert_leak_frames(proc, "sym_g", lt)
        self.assertEqual(frames[0]["build_id"],
                         build_id(target_path("sym/sym_g")))

    def test_stripped_build_id_directory(self):
        """stripped: debug file under /usr/lib/debug/.build-id/xx/"""
        binary = target_path("sym/sym_buildid")
        self.install_build_id_debug(binary)
        t, lt, expect, final, proc = self.trace("sym/sym_buildid", 5, 512)
        self.assert_expect(expect, proc, final, lt)
        self.assert_leak_frames(proc, "sym_buildid", lt)

    def test_stripped_without_debug_info(self):
        """stripped, no debug file, nothing exported: module+0xoffset"""
        t, lt, expect, final, proc = self.trace("sym/sym_buildid", 5, 512)
        stacks = proc.get("top_outstanding", [])
        self.assertEqual(len(stacks), 1, describe_stacks(proc))
        leaf = stacks[0]["frames"][0]
        self.assertEqual(leaf["symbol"], "", describe_stacks(proc))
        self.assertEqual(leaf["module"], "sym_buildid")
        self.assertRegex(leaf["text"], r"^sym_buildid\+0x[0-9a-f]+$")
        self.assertEqual(stacks[0]["bytes"], 5 * 512)

    def debuglink_layout(self, subdir):
        d = self.tmpdir()
        src = target_path("sym/sym_debuglink")
        copy(src, os.path.join(d, "app"))
        copy(src + ".debug", os.path.join(d, subdir, "sym_debuglink.debug"))
        r = subprocess.run(["readelf", "-n", os.path.join(d, "app")],
                           capture_output=True, text=True, timeout=10)
        self.assertNotIn("Build ID", r.stdout, "sym_debuglink has a "
                         "build-id: the test would not test debuglink")
        t, lt, expect, final, proc = self.trace(
            "sym_debuglink", 4, 300, argv=[os.path.join(d, "app")])
        self.assert_expect(expect, proc, final, lt)
        self.assert_leak_frames(proc, "app", lt)

    def test_gnu_debuglink_next_to_binary(self):
        """no build-id: .gnu_debuglink file in the binary's directory"""
        self.debuglink_layout(".")

    def test_gnu_debuglink_in_dot_debug(self):
        """no build-id: .gnu_debuglink file in DIR/.debug/"""
        self.debuglink_layout(".debug")

    def test_symtab_fallback(self):
        """debug info stripped, .symtab kept: names, no file:line"""
        t, lt, expect, final, proc = self.trace("sym/sym_dbgd", 3, 100)
        self.assert_expect(expect, proc, final, lt)
        self.assert_names_only(proc, "sym_dbgd", lt)

    def test_dynsym_fallback(self):
        """stripped of everything, functions exported: .dynsym names"""
        t, lt, expect, final, proc = self.trace("sym/sym_dynsym", 3, 100)
        self.assert_expect(expect, proc, final, lt)
        self.assert_names_only(proc, "sym_dynsym", lt)

    def test_modules_shared_by_processes(self):
        """two processes of one binary: its debug file is opened once"""
        binary = target_path("sym/sym_buildid")
        self.install_build_id_debug(binary)
        a = self.start_target("sym/sym_buildid", 3, 256)
        b = self.start_target("sym/sym_buildid", 5, 256)
        lt = self.start_tracer(["--json", "-v", "-T", "1000", "-p",
                                a.ready_pid, "-p", b.ready_pid, "1000"])
        a.go()
        b.go()
        a.wait_expect()
        b.wait_expect()
        self.assertEqual(lt.stop(), 0, lt.describe())
        final = lt.final_report()
        for t in (a, b):
            self.assert_leak_frames(find_process(final, t.ready_pid),
                                    "sym_buildid", lt)
        found = [l for l in lt.lines("stderr")
                 if re.search(r"sym_buildid: debug info in ", l)]
        self.assertEqual(len(found), 1, "debug file of sym_buildid looked "
                         "up %d times for 2 processes:\n%s" % (
                             len(found), tail(lt.text("stderr"))))


# ---- shared libraries, inlining, JIT ------------------------------------

class CodeKindsTest(SymTestCase):

    def test_shared_library(self):
        """leak in libsymlib.so: its file:line, called from the program"""
        t, lt, expect, final, proc = self.trace("sym/sym_libuser", 6, 700)
        self.assert_expect(expect, proc, final, lt)
        frames = self.leak_frames(proc, "symlib_leak", lt)
        self.assert_frame(frames[0], "symlib_leak", "sym_lib.c",
                          marker_line("sym_lib.c", "SYM-LIB-LEAK"),
                          "libsymlib.so", proc=proc)
        self.assert_frame(frames[1], "main", "sym_libuser.c",
                          marker_line("sym_libuser.c", "SYM-LIB-CALL"),
                          "sym_libuser", proc=proc)

    def test_inlined_frames(self):
        """-O2, two always-inlined calls: one line each, innermost first"""
        folded = os.path.join(self.tmpdir(), "out.folded")
        t, lt, expect, final, proc = self.trace(
            "sym/sym_inline", 8, lt_args=["--folded", folded])
        self.assert_expect(expect, proc, final, lt)
        frames = self.leak_frames(proc, "inl_leaf", lt)
        self.assert_frame(frames[0], "inl_leaf", "sym_inline.c",
                          marker_line("sym_inline.c", "SYM-INL-LEAF"),
                          "sym_inline", inlined=True, proc=proc)
        self.assert_frame(frames[1], "inl_mid", "sym_inline.c",
                          marker_line("sym_inline.c", "SYM-INL-MID"),
                          "sym_inline", inlined=True, proc=proc)
        self.assert_frame(frames[2], "inl_outer", "sym_inline.c",
                          marker_line("sym_inline.c", "SYM-INL-OUTER"),
                          "sym_inline", proc=proc)
        # One return address stands for the three.
        self.assertEqual(len({f["addr"] for f in frames[:3]}), 1)
        self.assertNotEqual(frames[3]["addr"], frames[0]["addr"])
        # Folded: separate frames, root first.
        with open(folded) as f:
            text = f.read()
        self.assertRegex(text, r"(^|;)main;inl_outer;inl_mid;inl_leaf %d\n"
                         % (8 * 512))

    def test_inlined_frames_text_report(self):
        """text report: the inlined frames print '(inlined)' lines"""
        t = self.start_target("sym/sym_inline", 4)
        lt = self.start_tracer(["-T", "1000", "-p", t.ready_pid, "1000"])
        t.go()
        t.wait_expect()
        self.assertEqual(lt.stop(), 0, lt.describe())
        text = lt.text()
        leaf = marker_line("sym_inline.c", "SYM-INL-LEAF")
        mid = marker_line("sym_inline.c", "SYM-INL-MID")
        outer = marker_line("sym_inline.c", "SYM-INL-OUTER")
        want = [r"^\s+inl_leaf \(sym_inline\.c:%d\) \[sym_inline\] "
                r"\(inlined\)$" % leaf,
                r"^\s+inl_mid \(sym_inline\.c:%d\) \[sym_inline\] "
                r"\(inlined\)$" % mid,
                r"^\s+inl_outer\+0x[0-9a-f]+ \(sym_inline\.c:%d\) "
                r"\[sym_inline\]$" % outer]
        lines = lt.lines()
        for i, line in enumerate(lines):
            if re.match(want[0], line):
                self.assertRegex(lines[i + 1], want[1], text)
                self.assertRegex(lines[i + 2], want[2], text)
                return
        self.fail("no inlined frame lines in the text report:\n" + text)

    def test_jit_perf_map(self):
        """JIT code named by /tmp/perf-PID.map"""
        t, lt, expect, final, proc = self.trace("sym/sym_jit", 5,
                                                "perfmap")
        self.addCleanup(lambda: os.path.exists(perf_map(t)) and
                        os.unlink(perf_map(t)))
        frames = self.leak_frames(proc, "jit_leak_thunk", lt)
        module = "perf-%d.map" % t.ready_pid
        self.assertEqual(frames[0]["module"], module)
        self.assertEqual(frames[0]["text"], "jit_leak_thunk+0x%x [%s]"
                         % (frames[0]["offset"], module))
        self.assertEqual(frames[1]["symbol"], "jit_caller")
        self.assertEqual(frames[1]["module"], "sym_jit")
        self.assert_expect(expect, proc, final, lt)

    def test_jit_without_perf_map(self):
        """JIT code without a perf map: [anon]+0xoff"""
        t, lt, expect, final, proc = self.trace("sym/sym_jit", 5, "none")
        frames = self.leak_frames(proc, "jit_caller", lt)
        self.assertEqual(frames[0]["symbol"], "", describe_stacks(proc))
        self.assertEqual(frames[0]["module"], "[anon]")
        self.assertRegex(frames[0]["text"], r"^\[anon\]\+0x[0-9a-f]+$")
        self.assertEqual(frames[1]["symbol"], "jit_caller")


# ---- files replaced, containers, processes gone --------------------------

class ProcessViewTest(SymTestCase):

    def test_binary_replaced_after_start(self):
        """the binary is replaced on disk (an upgrade) before attaching"""
        d = self.tmpdir()
        app = os.path.join(d, "app")
        copy(target_path("sym/sym_g"), app)
        t = self.start_target("sym_g", 6, 2000, argv=[app])
        # Another program at the same path, as a package upgrade does.
        copy(target_path("sym/sym_inline"), app + ".new")
        os.rename(app + ".new", app)
        lt, expect, final, proc = self.trace_started(t)
        self.assert_expect(expect, proc, final, lt)
        self.assert_leak_frames(proc, "app", lt)

    def test_shared_library_replaced_after_start(self):
        """the shared library is replaced on disk before attaching"""
        d = self.tmpdir()
        copy(target_path("sym/sym_libuser"), os.path.join(d, "user"))
        lib = os.path.join(d, "libsymlib.so")
        copy(target_path("sym/libsymlib.so"), lib)
        t = self.start_target("sym_libuser", 3, 900,
                              argv=[os.path.join(d, "user")])
        copy(target_path("libtoyalloc.so"), lib + ".new")
        os.rename(lib + ".new", lib)
        lt, expect, final, proc = self.trace_started(t)
        frames = self.leak_frames(proc, "symlib_leak", lt)
        self.assert_frame(frames[0], "symlib_leak", "sym_lib.c",
                          marker_line("sym_lib.c", "SYM-LIB-LEAK"),
                          "libsymlib.so", proc=proc)

    def test_binary_deleted_and_process_exited(self):
        """binary deleted while running; report after the process exited"""
        d = self.tmpdir()
        app = os.path.join(d, "app")
        copy(target_path("sym/sym_g"), app)
        t = self.start_target("sym_g", 4, 100, argv=[app], exit=True)
        os.unlink(app)
        lt = self.start_tracer(["--json", "-T", "1000", "-p", t.ready_pid,
                                "1000"])
        t.go()
        t.wait_expect()
        self.assertEqual(lt.wait(30, "exit after its target"), 0,
                         lt.describe())
        proc = find_process(lt.final_report(), t.ready_pid)
        self.assertIs(proc.get("alive"), False)
        self.assert_leak_frames(proc, "app", lt)

    def make_chroot(self, binary, name):
        root = self.tmpdir("lt-sym-chroot-")
        copy(binary, os.path.join(root, "app", name))
        for lib in ldd_libraries(binary):
            copy(lib, root + lib)
        os.makedirs(os.path.join(root, "tmp"), exist_ok=True)
        return root

    def test_chroot_binary_not_on_host(self):
        """chroot: binary and its .build-id debug file only inside it;
        the final report comes after the process exited"""
        binary = target_path("sym/sym_chroot")
        root = self.make_chroot(binary, "sym_chroot")
        self.install_build_id_debug(binary, root)
        self.assertFalse(os.path.exists(build_id_path("", build_id(binary))),
                         "sym_chroot's debug file is on the host too")
        t, lt, expect, final, proc = self.trace(
            "sym_chroot", 5, 640, exit_after=True,
            argv=["chroot", root, "/app/sym_chroot"])
        self.assert_expect(expect, proc, final, lt)
        self.assertIs(proc.get("alive"), False)
        self.assert_leak_frames(proc, "sym_chroot", lt)

    def test_chroot_jit_perf_map(self):
        """chroot: the perf map is read in the process's own /tmp"""
        root = self.make_chroot(target_path("sym/sym_jit"), "sym_jit")
        t, lt, expect, final, proc = self.trace(
            "sym_jit", 3, "perfmap", argv=["chroot", root, "/app/sym_jit"])
        self.assertFalse(os.path.exists("/tmp/perf-%d.map" % t.ready_pid))
        frames = self.leak_frames(proc, "jit_leak_thunk", lt)
        self.assertEqual(frames[0]["module"], "perf-%d.map" % t.ready_pid)
        self.assertEqual(frames[1]["symbol"], "jit_caller")
