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
- Go with no cgo (static, no malloc: tests/targets/runtimes/go_mmap.go):
  not refused by -p or -c, one line saying heap blocks are not visible,
  the regions it maps with syscall.Mmap (some unmapped again) exact under
  its mapRegions at the file and line it gives;
- Go with cgo calling C's malloc (go_cgo.go): blocks exact through libc,
  the C function's line, Go's runtime frames in Go's own files, and the
  frames gdb has (tests/integration/gdb_frames.py): the C frames up to
  runtime.asmcgocall, then, past its switch to the system stack, the
  goroutine's up to runtime.goexit, and nothing after;
- Rust on its default (system) allocator, built by Debian's /usr/bin/rustc
  (rust_leak.rs): blocks exact under the leaking function, named as in
  Rust source (no hash, no escapes), at its line.
"""

import json
import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import time

import test_python as tpy
import test_unwind as tun
from ltharness import (BENIGN_LOSSES, LATE_TABLE_LOSSES, LTTestCase, ROOT,
                       find_process, is_expect_line, stack_text)

SOURCES = os.path.join(ROOT, "tests", "targets", "runtimes")


def build(argv, what):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    if r.returncode:
        raise AssertionError("building %s failed:\n$ %s\n%s%s" % (
            what, " ".join(argv), r.stdout, r.stderr))


def build_go(src, exe, cgo):
    """go build with no network and a private cache, static when no cgo."""
    env = dict(os.environ, GOCACHE=os.path.join(os.path.dirname(exe),
                                                "gocache"),
               GOPATH=os.path.join(os.path.dirname(exe), "gopath"),
               GOPROXY="off", GOFLAGS="", GO111MODULE="off",
               CGO_ENABLED="1" if cgo else "0")
    if not shutil.which("go"):
        raise AssertionError("no go on PATH: make deps (golang-go)")
    r = subprocess.run(["go", "build", "-o", exe, src], env=env,
                       capture_output=True, text=True, timeout=300)
    if r.returncode:
        raise AssertionError("go build %s failed:\n%s%s" % (
            src, r.stdout, r.stderr))


def stacks_through(proc, func):
    """The outstanding stacks with a frame of func, anywhere."""
    return [st for st in (proc or {}).get("top_outstanding", [])
            if any((f.get("symbol") or "").split("+")[0] == func
                   for f in st.get("frames", []))]


def summed(stacks, kind):
    return (sum(st[kind + "_bytes"] for st in stacks),
            sum(st[kind + "_count"] for st in stacks))


def run_command(tc, command, go_after=None):
    """leaktrace -c COMMAND until it exits by itself: (tracer, expect line,
    final report, process). go_after: COMMAND waits for the go signal (not
    --now), sent that many seconds after it is ready and traced."""
    lt = tc.start_tracer(["--json", "-T", "1000", "-c", command, "1000"],
                         wait=False)
    if go_after is not None:
        line = lt.wait_line(lambda l: l.startswith("ready "), timeout=30,
                            what='"ready PID"')
        lt.wait_tracing()
        time.sleep(go_after)
        os.kill(int(line.split()[1]), signal.SIGUSR1)
    rc = lt.wait(60, "exit by itself when the command exited")
    tc.assertEqual(rc, 0, lt.describe())
    m = None
    for line in lt.lines("stderr"):
        m = m or re.match(r"leaktrace: tracing command .*\(pid (\d+)\)",
                          line)
    tc.assertTrue(m, lt.describe())
    expects = [json.loads(l) for l in lt.lines("stdout")
               if is_expect_line(l)]
    tc.assertEqual(len(expects), 1, lt.describe())
    final = lt.final_report()
    return lt, expects[0], final, find_process(final, int(m.group(1)))


def mapped_files(pid):
    with open("/proc/%d/maps" % pid) as f:
        return {line.split(None, 5)[5].strip() for line in f
                if len(line.split(None, 5)) == 6}


class EmbeddedPythonTest(LTTestCase):
    """A C program linked with a shared libpython runs pyleak.py through
    PyRun_SimpleString; the executable is called neither python nor
    anything like it."""

    check_heap = tpy.PythonFramesTest.check_heap
    check_expects = tpy.PythonFramesTest.check_expects
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
        self.check_expects(expect, proc)
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


NO_HEAP_LINE = "heap blocks are not visible for this runtime"
GO_COUNT, GO_SIZE = 10, 3 << 20
CGO_COUNT, CGO_SIZE = 1017, 3796


def frames_named(stacks, func):
    return [f for st in stacks for f in st["frames"]
            if (f.get("symbol") or "").split("+")[0] == func]


def exe_base(path):
    """Where a non-PIE executable's first segment sits: gdb's offsets are
    from there. Bounded reads of the ELF header and program headers."""
    with open(path, "rb") as f:
        head = f.read(64)
        e_type, = struct.unpack_from("<H", head, 16)
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        if e_type != 2 or phentsize < 56 or phnum > 64:
            raise AssertionError("%s: not a plain executable (ELF type %d)"
                                 % (path, e_type))
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
    loads = [struct.unpack_from("<IIQQ", ph, i * phentsize)
             for i in range(phnum)]
    return min(vaddr for p_type, _, _, vaddr in loads if p_type == 1) \
        & ~0xfff


def key_of(frame):
    """How a frame [name, module, offset] is compared with gdb's: by
    module and offset, runtime.cgocall by name (gdb starts the goroutine
    at another call in it)."""
    name, module, off = frame
    return name if name == "runtime.cgocall" else "%s+%#x" % (module, off)


def go_runtime_frames(stacks):
    """Frames of Go's runtime (runtime.*, not cgo's C glue)."""
    return [f for st in stacks for f in st["frames"]
            if (f.get("symbol") or "").startswith("runtime.")]


class GoTest(LTTestCase):
    """Go programs: with no cgo (own allocator: mappings, not blocks) and
    with cgo calling C's malloc (blocks, through libc)."""

    def go_binary(self, name, cgo=False):
        d = tempfile.mkdtemp(prefix="lt-go-")
        self.addCleanup(shutil.rmtree, d, True)
        exe = os.path.join(d, name)
        build_go(os.path.join(SOURCES, name + ".go"), exe, cgo)
        return exe

    def check_lines(self, e, stacks, lt):
        """The function's frame at the target's own file and line; Go's
        runtime frames in .go or .s files, not in a C file near them."""
        own = frames_named(stacks, e["func"])
        self.assertTrue(own, lt.describe())
        for f in own:
            self.assertEqual((os.path.basename(f.get("file", "")),
                              f.get("line")), (e["file"], e["line"]), f)
        for f in go_runtime_frames(stacks):
            if f.get("file"):
                self.assertRegex(f["file"], r"\.(go|s)$", f)

    def no_heap_said(self, lt, times):
        said = [l for l in lt.lines("stderr") if NO_HEAP_LINE in l]
        self.assertEqual(len(said), times, lt.describe())
        tracing = [l for l in lt.lines("stderr")
                   if l.startswith("leaktrace: tracing")]
        self.assertEqual(len(tracing), 1, lt.describe())
        if times:
            self.assertIn("allocator none,", tracing[0])

    def check_no_cgo(self, expect, proc, lt):
        self.assertIsNotNone(proc, lt.describe())
        for e in expect["expect"]:
            stacks = stacks_through(proc, e["func"])
            got = summed(stacks, e["kind"])
            self.assertEqual(got, (e["bytes"], e["count"]),
                             "%s %s under %s\n%s" % (
                                 e["kind"], got, e["func"], lt.describe()))
            self.check_lines(e, stacks, lt)
        self.assertEqual(proc["heap_bytes"], 0, lt.describe())
        self.no_heap_said(lt, 1)

    def check_cgo(self, expect, proc, final, lt, exe, early=False,
                  allowed=BENIGN_LOSSES):
        self.assert_expect(expect, proc, final, lt,
                           absent=("go_cgo_balanced",))
        self.assert_no_bad_losses(final, allowed)
        for e in expect["expect"]:
            self.check_lines(e, stacks_through(proc, e["func"]), lt)
            self.check_gdb_frames(exe, e, stacks_through(proc, e["func"]),
                                  early)
        self.no_heap_said(lt, 0)

    def check_gdb_frames(self, exe, e, stacks, early):
        """The leaking stack's frames are gdb's at the same malloc, by
        offset in the executable, from malloc's caller to goexit, and no
        frame follows. runtime.cgocall by name only: gdb's goroutine starts
        at its call of entersyscall (syscallpc), the stack has the return
        from its call of asmcgocall. early (a command leaking from its
        first moments): blocks walked by frame pointers before its tables
        were loaded (README, Limits) end cleanly at asmcgocall, the frame
        pointer checks refusing the goroutine's other stack."""
        hits = tun.gdb_oracle(exe, [2, CGO_SIZE], [e["func"]])
        oracle = [key_of(f) for f in hits.get(e["func"], [[0, []]])[-1][1]]
        base = exe_base(exe)
        got = [[key_of([f.get("symbol") or "??", f.get("module"),
                        int(f["addr"], 16) - base])
                for f in st["frames"]
                if f.get("kind") == "native" and not f.get("inlined")]
               for st in stacks]
        switch = [i for i, f in enumerate(oracle)
                  if f == "runtime.cgocall"][:1]
        fp_walked = [g for g in got if switch and g == oracle[:switch[0]]]
        self.assertEqual(len(got) - len(fp_walked) if early else len(got),
                         1, stacks)
        whole = [g for g in got if g not in fp_walked] or [[]]
        self.assertEqual(whole[0], oracle,
                         "leaktrace's frames differ from gdb's\n"
                         "  leaktrace:\n%s\n  gdb:\n%s" % (
                             "\n".join("    %s" % f for f in whole[0]),
                             "\n".join("    %s" % f for f in oracle)))

    def test_go_no_cgo_pid(self):
        """-p on static Go: not refused, one line, its mmaps exact"""
        exe = self.go_binary("go_mmap")
        t = self.start_target("go_mmap", GO_COUNT, GO_SIZE, argv=[exe])
        lt, expect, final, proc = self.trace_started(t)
        self.check_no_cgo(expect, proc, lt)

    def test_go_no_cgo_command(self):
        """-c on static Go: not refused, one line, its mmaps exact"""
        exe = self.go_binary("go_mmap")
        lt, expect, final, proc = run_command(
            self, "%s --now --linger %d %d" % (exe, GO_COUNT, GO_SIZE))
        self.check_no_cgo(expect, proc, lt)

    def test_go_cgo_pid(self):
        """-p on Go calling C's malloc through cgo: blocks, gdb's frames"""
        exe = self.go_binary("go_cgo", cgo=True)
        t = self.start_target("go_cgo", CGO_COUNT, CGO_SIZE, argv=[exe])
        lt, expect, final, proc = self.trace_started(t)
        self.check_cgo(expect, proc, final, lt, exe)

    def test_go_cgo_command(self):
        """-c on Go calling C's malloc through cgo: blocks, gdb's frames"""
        exe = self.go_binary("go_cgo", cgo=True)
        lt, expect, final, proc = run_command(
            self, "%s --now --linger %d %d" % (exe, CGO_COUNT, CGO_SIZE))
        # Before leaktrace has rescanned it, the walk finds the program's
        # tables through its vmas, unless another of Go's threads holds
        # the mmap lock (bpf_find_vma only tries it): stack_no_table.
        self.check_cgo(expect, proc, final, lt, exe, early=True,
                       allowed=LATE_TABLE_LOSSES)


RUSTC = "/usr/bin/rustc"    # Debian's (make deps), not a rustup one
RUST_COUNT, RUST_SIZE = 1017, 3796


class RustTest(LTTestCase):
    """Rust's System allocator is glibc's malloc: blocks, exact."""

    def rust_binary(self):
        if not os.access(RUSTC, os.X_OK):
            self.fail("no %s: make deps (rustc)" % RUSTC)
        d = tempfile.mkdtemp(prefix="lt-rust-")
        self.addCleanup(shutil.rmtree, d, True)
        exe = os.path.join(d, "rust_leak")
        build([RUSTC, "-C", "debuginfo=2", "-C", "opt-level=0", "-o", exe,
               os.path.join(SOURCES, "rust_leak.rs")], exe)
        return exe

    def check_rust(self, expect, proc, final, lt):
        self.assertIsNotNone(proc, lt.describe())
        self.assert_no_bad_losses(final)
        for e in expect["expect"]:
            stacks = stacks_through(proc, e["func"])
            self.assertEqual(summed(stacks, "heap"), (e["bytes"], e["count"]),
                             "heap under %s\n%s\n%s" % (
                                 e["func"], lt.describe(),
                                 "\n".join(stack_text(st) for st in
                                           proc["top_outstanding"][:6])))
            for f in frames_named(stacks, e["func"]):
                self.assertEqual((os.path.basename(f.get("file", "")),
                                  f.get("line")), (e["file"], e["line"]), f)
        self.assertEqual(stacks_through(proc, "rust_leak::balanced_vectors"),
                         [], lt.describe())

    def test_rust_pid(self):
        """-p on Rust: blocks exact under rust_leak::leak_vectors"""
        exe = self.rust_binary()
        t = self.start_target("rust_leak", RUST_COUNT, RUST_SIZE, argv=[exe])
        lt, expect, final, proc = self.trace_started(t)
        self.check_rust(expect, proc, final, lt)

    def test_rust_command(self):
        """-c on Rust: blocks exact under rust_leak::leak_vectors"""
        exe = self.rust_binary()
        # The go signal comes 0.2 s after it is ready: calls in the first
        # milliseconds after exec, before leaktrace rescanned the new
        # image, are walked by frame pointers (README, Limits), which
        # Rust's std does not keep: 100 to 600 of the 1017 blocks then
        # stop after one frame.
        lt, expect, final, proc = run_command(
            self, "%s --exit %d %d" % (exe, RUST_COUNT, RUST_SIZE),
            go_after=0.2)
        self.check_rust(expect, proc, final, lt)
