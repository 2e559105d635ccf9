# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Native stacks through code without frame pointers (--unwind=dwarf).

Targets are built -O2 -fomit-frame-pointer (tests/targets/o2/). For each
leak, gdb's backtrace at the malloc that made the leaked block is the
oracle (tests/integration/gdb_frames.py, gdb in batch mode): the frames
leaktrace reports for that stack must be the same frames, from the
allocator's caller up to main, compared by module and offset in the
module (and by name in the target's own code), and the stack must hold
exactly the bytes and blocks the target leaked.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from ltharness import (LTTestCase, ROOT, Target, bad_losses, find_process,
                       target_path, tail)

GDB_SCRIPT = os.path.join(ROOT, "tests", "integration", "gdb_frames.py")
CEXT_SRC = os.path.join(ROOT, "tests", "targets", "py", "cext", "ltext.c")
CEXT_DRIVER = os.path.join(ROOT, "tests", "targets", "py", "cext_leak.py")
PYENV_311 = os.path.expanduser("~/.pyenv/versions/3.11.7/bin/python3.11")
EVAL_LOOP = "_PyEval_EvalFrameDefault"
MAX_FRAMES = 127  # LT_MAX_STACK_DEPTH


# gdb 13 sometimes aborts on a thread of a Go program exiting while it
# stops them ("linux-nat.c: internal-error: wait returned unexpected
# status 0x0", seen on CI 2026-12-02): the oracle's own crash, run again.
GDB_TRIES = 3


def gdb_oracle(binary, args, markers, argv=None):
    """{marker: [[size, [[name, module, offset], ...]], ...]} from gdb."""
    env = dict(os.environ, LT_GDB_MARKERS=",".join(markers))
    for _ in range(GDB_TRIES):
        r = subprocess.run(
            ["gdb", "-q", "-batch", "-nx", "-x", GDB_SCRIPT, "--args"] +
            (argv or [binary]) + ["--now", "--exit"] +
            [str(a) for a in args],
            capture_output=True, text=True, timeout=120, env=env)
        for line in r.stdout.splitlines():
            if line.startswith("LTGDB "):
                return json.loads(line[6:])
        if "internal-error" not in r.stdout + r.stderr:
            break
    raise AssertionError("gdb printed no frames (rc %d)\n%s\n%s" % (
        r.returncode, tail(r.stdout), tail(r.stderr)))


def module_bases(pid):
    """Module name -> its first mapping's start, from /proc/PID/maps."""
    bases = {}
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and parts[5].startswith("/"):
                mod = os.path.basename(parts[5])
                bases.setdefault(mod, int(parts[0].split("-")[0], 16))
    return bases


def physical(stack, bases):
    """[name, module, offset] of each frame really on the stack."""
    out = []
    for f in stack.get("frames", []):
        if f.get("kind") != "native" or f.get("inlined"):
            continue
        mod = f.get("module", "?")
        off = int(f["addr"], 16) - bases.get(mod, 0)
        out.append([f.get("symbol") or "??", mod, off])
    return out


def children(pid, timeout=30):
    """The children of pid, once it has some (gcc's cc1)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            kids = [int(c) for c in f.read().split()]
        if kids:
            return kids
        time.sleep(0.02)
    raise AssertionError("process %d started no child" % pid)


def settled(pid, timeout=30):
    """Until pid sleeps (reading its input, waiting for its child): it
    has mapped its libraries."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open("/proc/%d/stat" % pid) as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "S":
                return
        time.sleep(0.01)
    raise AssertionError("process %d did not settle" % pid)


def wait_tables(lt, pid, timeout=60):
    """Until leaktrace -v has said how each file pid runs code from is
    walked ("unwind NAME: dwarf", or frame pointers): its table is built
    (once per file and run, so a line from before counts)."""
    settled(pid)
    mods = set()
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and "x" in parts[1] and \
                    parts[5].startswith("/"):
                mods.add(os.path.basename(parts[5]))
    for mod in sorted(mods):
        lt.wait_line(lambda l, m=mod: ("unwind %s: " % m) in l, key="stderr",
                     timeout=timeout,
                     what="the table of %s (pid %d)" % (mod, pid))


def plain(name):
    """A C++ name without its parameter list: gdb names our own functions
    so (fill_widget), the demangled symbol has it (fill_widget())."""
    if name.endswith(")") and "(" in name and not name.startswith("operator"):
        depth = 0
        for i in range(len(name) - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(name[i], 0)
            if depth == 0:
                return name[:i]
    return name


def describe(frames):
    return "\n".join("    %-40s %s+%#x" % (n, m, o) for n, m, o in frames)


class UnwindTest(LTTestCase):

    def trace_leaks(self, binary, args, lt_args=(), env=None, argv=None):
        t = self.start_target(None, *args, argv=argv or [binary])
        lt, expect, final, proc = self.trace_started(t, lt_args, env=env)
        self.assertIsNotNone(proc, lt.describe())
        return t, lt, expect, final, proc, module_bases(t.ready_pid)

    def check_leak(self, gdb_hits, marker, want, proc, bases, lt,
                   own_module, names=True, depth=None, name_modules=()):
        """The leaked block's stack: gdb's frames and the exact bytes."""
        hits = [h for h in gdb_hits.get(marker, [])
                if h[0] == want["bytes"] // want["count"]]
        self.assertTrue(hits, "gdb saw no allocation of %d bytes under "
                        "%s: %s" % (want["bytes"], marker,
                                    gdb_hits.get(marker)))
        oracle = hits[-1][1]
        if depth is not None:
            oracle = oracle[:depth]
        stacks = [s for s in proc.get("top_outstanding", [])
                  if any(plain(f.get("symbol") or "") == marker or
                         (not names and f["module"] == own_module)
                         for f in s.get("frames", []))
                  and s.get("heap_bytes") == want["bytes"]]
        self.assertEqual(len(stacks), 1, "stacks of %d bytes through %s: "
                         "%d\n%s" % (want["bytes"], marker, len(stacks),
                                     tail(lt.text("stdout"), 20)))
        stack = stacks[0]
        self.assertEqual(stack.get("heap_count"), want["count"])
        got = physical(stack, bases)[:len(oracle)]
        key = (lambda f: f) if names else (lambda f: f[1:])
        own = [[plain(n), m, o] if m == own_module else [n, m, o]
               for n, m, o in got]
        same = [key(g) == key(o) if g[1] == own_module or
                g[1] in name_modules else g[1:] == o[1:]
                for g, o in zip(own, oracle)]
        self.assertTrue(len(got) == len(oracle) and all(same),
                        "%s: leaktrace's frames differ from gdb's bt\n"
                        "  leaktrace:\n%s\n  gdb:\n%s" % (
                            marker, describe(got), describe(oracle)))
        return stack

    def check_all(self, binary, args, markers, lt_args=(), env=None,
                  gdb_binary=None, names=True, name_modules=()):
        gdb_hits = gdb_oracle(gdb_binary or binary, args, markers)
        t, lt, expect, final, proc, bases = self.trace_leaks(
            binary, args, lt_args, env)
        own = os.path.basename(binary)
        if gdb_binary:  # the same code under another name
            for hits in gdb_hits.values():
                for _, frames in hits:
                    for f in frames:
                        if f[1] == os.path.basename(gdb_binary):
                            f[1] = own
        for want in expect["expect"]:
            self.check_leak(gdb_hits, want["func"], want, proc, bases, lt,
                            own, names=names, name_modules=name_modules)
        # Every file's table was in the kernel before the target ran.
        self.assertEqual(final["losses"]["stack_no_table"], 0,
                         final["losses"])
        return lt, final, proc

    # -- C through libc's wrappers ----------------------------------------
    C_MARKERS = ["leak_strdup", "leak_asprintf", "leak_getline",
                 "leak_realpath"]

    def test_c_libc_wrappers_pie(self):
        lt, final, _ = self.check_all(target_path("unwind_c"), ["libc"],
                                   self.C_MARKERS, lt_args=["-v"])
        self.assertIn("unwind libc.so.6: dwarf", lt.text("stderr"))

    def test_c_libc_wrappers_nopie(self):
        self.check_all(target_path("unwind_c_nopie"), ["libc"],
                       self.C_MARKERS)

    def test_c_stripped(self):
        # Same code as unwind_c; gdb needs the symbols to find the leaks.
        self.check_all(target_path("unwind_c_stripped"), ["libc"],
                       self.C_MARKERS, gdb_binary=target_path("unwind_c"),
                       names=False)

    def test_c_bounded_loop_fallback(self):
        lt, final, _ = self.check_all(
            target_path("unwind_c"), ["libc"], self.C_MARKERS,
            lt_args=["-v"], env=dict(os.environ, LEAKTRACE_NO_BPF_LOOP="1"))
        self.assertIn("walk in a bounded loop", lt.text("stderr"))

    # -- C++ through the standard library --------------------------------
    def test_cxx_new_vector_string_map(self):
        """Frames and demangled names (libstdc++'s too) as gdb has them."""
        libstdcxx = os.path.basename(os.path.realpath(
            "/lib/x86_64-linux-gnu/libstdc++.so.6"))
        lt, final, proc = self.check_all(
            target_path("unwind_cxx"), [],
            ["fill_widget", "grow_vector", "make_string", "fill_map"],
            name_modules=(libstdcxx,))
        frames = [f for s in proc["top_outstanding"] for f in s["frames"]]
        new = [f for f in frames if f.get("mangled") == "_Znwm"]
        self.assertTrue(new, "no frame keeps the mangled name _Znwm")
        self.assertEqual(new[0]["symbol"], "operator new(unsigned long)")

    # -- a C extension called from Python ---------------------------------
    def build_extension(self, python):
        out = subprocess.run(
            [python, "-c", "import sysconfig as s; print(s.get_paths()"
             "['include']); print(s.get_config_var('EXT_SUFFIX'))"],
            capture_output=True, text=True, timeout=30, check=True)
        include, suffix = out.stdout.split()
        d = tempfile.mkdtemp(prefix="lt-cext-")
        self.addCleanup(shutil.rmtree, d, True)
        so = os.path.join(d, "ltext" + suffix)
        subprocess.run(["gcc", "-O2", "-g", "-fomit-frame-pointer", "-shared",
                        "-fPIC", "-I" + include, "-o", so, CEXT_SRC],
                       check=True, timeout=60)
        return d, os.path.basename(so)

    def check_extension(self, python):
        """C frames between malloc and the Python line, as gdb has them."""
        d, so = self.build_extension(python)
        argv = [python, CEXT_DRIVER, d]
        gdb_hits = gdb_oracle(None, [], ["ltext_inner"], argv=argv)
        for _, frames in gdb_hits.get("ltext_inner", []):
            names = [f[0] for f in frames]
            if EVAL_LOOP in names:  # the native part ends there
                del frames[names.index(EVAL_LOOP) + 1:]
        t, lt, expect, final, proc, bases = self.trace_leaks(
            None, [], argv=argv)
        stack = self.check_leak(gdb_hits, "ltext_inner", expect["expect"][0],
                                proc, bases, lt, so)
        native = physical(stack, bases)
        self.assertEqual(native[-1][0], EVAL_LOOP, describe(native))
        py = [f for f in stack["frames"] if f.get("kind") == "python"]
        self.assertTrue(py and py[0]["symbol"].endswith("caller"),
                        "the Python caller does not follow the C frames: "
                        "%s" % [f.get("symbol") for f in stack["frames"]])

    def test_python_c_extension_debian(self):
        self.check_extension("/usr/bin/python3.11")

    def test_python_c_extension_pyenv(self):
        if not os.access(PYENV_311, os.X_OK):
            self.skipTest("no pyenv CPython 3.11.7 here")
        self.check_extension(PYENV_311)

    def test_library_dlopened_after_attach(self):
        self.check_all(target_path("unwind_c"), ["dlopen"], ["late_inner"])

    def test_signal_handler(self):
        self.check_all(target_path("unwind_c"), ["signal"], ["on_signal"])

    def test_memo_tells_callers_apart(self):
        """One malloc call reached from twin_a and twin_b (two in three
        calls from twin_a), the stack pointer the same at every return:
        a thread's memo of its last walk must still tell them apart (only
        the outer return address differs), so each has gdb's frames and
        exactly its own bytes."""
        self.check_all(target_path("unwind_c"), ["twins", 300],
                       ["twin_a", "twin_b"])

    def test_deep_recursion_truncated(self):
        binary = target_path("unwind_c")
        gdb_hits = gdb_oracle(binary, ["deep", 200], ["recurse"])
        t, lt, expect, final, proc, bases = self.trace_leaks(
            binary, ["deep", 200])
        want = expect["expect"][0]
        stack = self.check_leak(gdb_hits, "recurse", want, proc, bases, lt,
                                "unwind_c", depth=MAX_FRAMES)
        self.assertEqual(len(physical(stack, bases)), MAX_FRAMES)
        self.assertGreaterEqual(final["losses"].get("stack_truncated", 0), 1)

    # -- programs started after attach ------------------------------------
    SPAWNER = os.path.join(ROOT, "tests", "targets", "py", "spawn_late.py")

    def spawn_late(self, lt_args, env=None):
        """unwind_c libc started by posix_spawn (a vfork) from a traced
        Python after attach, allocating at once in main, before leaktrace
        has rescanned it. unwind_c waiting from before attach gets every
        file's table built then, so only the late process's own entry is
        missing. lt_args(cached pid, parent pid): leaktrace's arguments.
        Returns (tracer, expect line, final report, the late process's
        report, its module bases)."""
        binary = target_path("unwind_c")
        cached = self.start_target(None, "libc", argv=[binary])
        parent = Target(["/usr/bin/python3.11", self.SPAWNER, binary,
                         "--now", "libc"], name="spawn_late")
        self.addCleanup(parent.kill)
        parent.wait_ready()
        lt = self.start_tracer(["--json", "-T", "1000", "-v"] +
                               lt_args(cached.ready_pid, parent.ready_pid) +
                               ["1000"], env=env)
        lt.wait_line(lambda l: "unwind unwind_c: dwarf" in l, key="stderr",
                     timeout=30, what="unwind_c's table loaded")
        time.sleep(0.2)  # the rest of that scan: libc's table
        parent.go()
        child = int(parent.wait_line(lambda l: l.startswith("spawned "),
                                     what='"spawned PID"').split()[1])
        self.addCleanup(lambda: subprocess.run(["kill", "-9", str(child)],
                                               capture_output=True))
        expect = parent.wait_expect()
        bases = module_bases(child)
        rc = lt.stop()
        self.assertEqual(rc, 0, "leaktrace exit status\n" + lt.describe())
        final = lt.final_report()
        proc = find_process(final, child)
        self.assertIsNotNone(proc, "the spawned process is not in the "
                             "report\n" + lt.describe())
        return lt, expect, final, proc, bases

    def test_spawned_after_attach_pid(self):
        """-p on the parent: the child's mappings from its first moments
        (ld.so mapping libc, malloc's first brk under leak_strdup) have
        stacks walked whole by the tables found through its vmas, none
        walked without one. (Its first heap blocks are not seen at all:
        under -p the allocator's probes for a child come when user space
        attaches them.)"""
        lt, expect, final, proc, bases = self.spawn_late(
            lambda c, p: ["-p", c, "-p", p])
        stacks = [s for s in proc["top_outstanding"]
                  if s.get("mapped_bytes")]
        self.assertGreaterEqual(len(stacks), 3, tail(lt.text(), 20))
        for s in stacks:
            self.assertTrue(self.whole(s), self.describe_stack(s))
        brk = [s for s in stacks if any(
            f.get("symbol") == "leak_strdup" for f in s["frames"])]
        self.assertEqual(len(brk), 1, [self.describe_stack(s)
                                       for s in stacks])
        self.assertEqual(final["losses"]["stack_no_table"], 0,
                         final["losses"])

    def test_spawned_without_find_vma_counted(self):
        """Without bpf_find_vma (kernels before 5.17) the late process's
        first stacks (ld.so's mmaps, before any event reached user space)
        are walked by frame pointers: counted, not silent."""
        lt, expect, final, proc = self.spawn_late(
            lambda c, p: ["-p", c, "-p", p],
            env=dict(os.environ, LEAKTRACE_NO_FIND_VMA="1"))[:4]
        self.assertNotIn("vmas by find_vma", lt.text("stderr"))
        self.assertGreaterEqual(final["losses"]["stack_no_table"], 1,
                                final["losses"])
        self.assertIn("stack_no_table", bad_losses(final))

    def test_table_that_does_not_fit_counted(self):
        """libc's CFI left out (no room: LEAKTRACE_UNWIND_ROWS) walks its
        frames by frame pointers: each stack through libc counted once."""
        t = self.start_target(None, "libc", argv=[target_path("unwind_c")])
        lt, expect, final, proc = self.trace_started(
            t, ["-v"], env=dict(os.environ, LEAKTRACE_UNWIND_ROWS="2000"))
        self.assertIn("unwind libc.so.6: frame pointers (no room",
                      lt.text("stderr"))
        self.assertIn("unwind unwind_c: dwarf", lt.text("stderr"))
        # strdup, asprintf, getline, realpath: at least these four stacks.
        self.assertGreaterEqual(final["losses"]["stack_no_table"], 4,
                                final["losses"])
        total = sum(w["bytes"] for w in expect["expect"])
        self.assertGreaterEqual(proc["heap_bytes"], total, lt.describe())
        self.assertIn("stack_no_table", bad_losses(final))

    def test_spawned_after_attach_system_wide(self):
        """System-wide: the heap leaks of the late process are gdb's frames,
        exact bytes (--min-size keeps the machine's small blocks out: the
        777 B leak is left)."""
        binary = target_path("unwind_c")
        gdb_hits = gdb_oracle(binary, ["libc"], self.C_MARKERS)
        lt, expect, final, proc, bases = self.spawn_late(
            lambda c, p: ["--min-size", "256"])
        wants = [w for w in expect["expect"] if w["bytes"] >= 256]
        self.assertEqual(len(wants), 1, expect)
        for want in wants:
            self.check_leak(gdb_hits, want["func"], want, proc, bases, lt,
                            "unwind_c")

    # -- system-wide -----------------------------------------------------
    # A native stack is whole when it reaches the frames every thread
    # starts from: main (named in Debian's stripped programs only through
    # the libc frames around it), _start, or a thread's start.
    OUTERMOST = ("main", "_start", "__libc_start_main",
                 "__libc_start_call_main", "clone3", "__clone3", "clone",
                 "__clone", "start_thread")
    # Of the native stacks of the processes running at attach (whose
    # tables were loaded then), at least this fraction must be whole. The
    # rest are legitimately cut: code mapped since (a dlopen, an exec)
    # whose first blocks came before the rescan, code whose CFI the walk
    # does not follow (stack realignment, hand-written assembly), JIT
    # code without frame pointers. Measured on the development VM, busy
    # with four other test suites: 95 % (21 of 22).
    MIN_WHOLE = 0.75

    def whole(self, stack):
        """Does a stack's native part reach main/_start/a thread start,
        or, with Python frames, the eval loop (the Python frames follow)?"""
        native = [f.get("symbol") or "" for f in stack["frames"]
                  if f.get("kind") == "native" and not f.get("inlined")]
        if native and native[-1] == EVAL_LOOP:
            return True
        return any(n.split("@")[0] in self.OUTERMOST for n in native)

    def describe_stack(self, stack):
        return " <- ".join(f.get("symbol") or f.get("text", "?")
                           for f in stack["frames"]
                           if not f.get("inlined"))

    def test_system_wide_stacks_reach_main(self):
        """All processes while ordinary programs built -O2 without frame
        pointers run: our targets, Debian's sort, gcc (and its cc1) and
        python3 -c. Our targets' leaks are gdb's frames (C) or reach main
        (C++), with the exact bytes; python3's leak reaches the eval loop,
        where the Python frames take over; of the stacks of the processes
        running at attach, at least MIN_WHOLE are whole; every program did
        its work (output checked). sort's, gcc's and cc1's stacks are
        printed, not asserted: they allocate in their first moments,
        before leaktrace has rescanned them."""
        binary = target_path("unwind_c")
        # gdb first: its breakpoints and leaktrace's uprobes share malloc.
        gdb_hits = gdb_oracle(binary, ["libc"], self.C_MARKERS)
        work = tempfile.mkdtemp(prefix="lt-sw-")
        self.addCleanup(shutil.rmtree, work, True)
        lines = ["%08x line %d" % ((i * 2654435761) & 0xffffffff, i)
                 for i in range(50000)]
        before = set(int(d) for d in os.listdir("/proc") if d.isdigit())
        lt = self.start_tracer(["--json", "-T", "50", "--min-size", "256",
                                "-v", "1000"])
        t = self.start_target(None, "libc", argv=[binary])
        cxx = self.start_target(None, argv=[target_path("unwind_cxx")])
        # Their tables are loaded when their mmaps are seen, which can lag
        # on a busy machine (other files' tables being built): wait.
        for mod in ("unwind_c", "unwind_cxx"):
            lt.wait_line(lambda l, m=mod: "unwind %s: dwarf" % m in l,
                         key="stderr", timeout=30,
                         what="%s's table loaded" % mod)
        time.sleep(0.2)  # the rest of that scan: cached tables
        t.go()
        cxx.go()
        expect = t.wait_expect()
        expect_cxx = cxx.wait_expect()
        bases = module_bases(t.ready_pid)
        bases_cxx = module_bases(cxx.ready_pid)
        # Python allocates once its table is loaded (the first moments of
        # a process are walked by frame pointers: README, Limits), and
        # keeps the block until told to exit.
        py = subprocess.Popen(
            ["/usr/bin/python3.11", "-c", "import sys\nsys.stdin.readline()\n"
             "keep = bytearray(300000)\nprint('ready', flush=True)\n"
             "sys.stdin.readline()\nprint(len(keep))"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.addCleanup(py.kill)
        lt.wait_line(lambda l: "unwind python3.11: dwarf" in l, key="stderr",
                     timeout=30, what="python3.11's table loaded")
        time.sleep(0.3)  # the rest of that scan
        py.stdin.write("\n")
        py.stdin.flush()
        self.assertEqual(py.stdout.readline(), "ready\n")
        # Debian's sort and gcc, kept alive (reading their input) until the
        # final report. Both run once before, held until every file they
        # map has its table, so that the second runs' files are all cached
        # (a file is otherwise built at its first mmap, after a program's
        # first allocations: README, Limits).
        src = "#include <stdio.h>\nint main(void) " \
              "{ printf(\"%d\\n\", 6 * 7); return 0; }\n"
        env_c = dict(os.environ, LC_ALL="C")
        warm_gcc = subprocess.Popen(["gcc", "-O2", "-x", "c", "-c", "-o",
                                     os.path.join(work, "warm.o"), "-"],
                                    stdin=subprocess.PIPE, text=True)
        self.addCleanup(warm_gcc.kill)
        warm_sort = subprocess.Popen(["sort"], stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, env=env_c,
                                     text=True)
        self.addCleanup(warm_sort.kill)
        settled(warm_gcc.pid)
        for pid in [warm_sort.pid, warm_gcc.pid] + children(warm_gcc.pid):
            wait_tables(lt, pid)
        warm_gcc.stdin.write(src)
        warm_gcc.stdin.close()
        warm_sort.stdin.write("b\na\n")
        warm_sort.stdin.close()
        self.assertEqual((warm_gcc.wait(120), warm_sort.wait(60)), (0, 0))
        srt = subprocess.Popen(["sort", "-o", os.path.join(work, "out.txt")],
                               stdin=subprocess.PIPE, env=env_c, text=True)
        self.addCleanup(srt.kill)
        srt.stdin.write("\n".join(lines) + "\n")
        srt.stdin.flush()
        gcc = subprocess.Popen(["gcc", "-O2", "-x", "c", "-c", "-o",
                                os.path.join(work, "prog.o"), "-"],
                               stdin=subprocess.PIPE, text=True)
        self.addCleanup(gcc.kill)
        gcc.stdin.write(src)
        gcc.stdin.flush()
        time.sleep(1)  # cc1 has read and parsed what it was given
        cc1 = [int(c) for c in open("/proc/%d/task/%d/children" % (
            gcc.pid, gcc.pid)).read().split()]
        rc = lt.stop(signal.SIGINT, timeout=60)
        self.assertEqual(rc, 0, "leaktrace exit status\n" + lt.describe())
        out, _ = py.communicate("\n", timeout=30)
        srt.stdin.close()
        gcc.stdin.close()
        final = lt.final_report()
        # No target harmed.
        self.assertEqual((py.returncode, out), (0, "300000\n"))
        self.assertEqual(srt.wait(60), 0)
        with open(os.path.join(work, "out.txt")) as f:
            self.assertEqual(f.read().splitlines(), sorted(lines))
        self.assertEqual(gcc.wait(60), 0)
        subprocess.run(["gcc", "-o", os.path.join(work, "prog"),
                        os.path.join(work, "prog.o")], check=True,
                       timeout=60)
        run = subprocess.run([os.path.join(work, "prog")],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(run.stdout, "42\n")
        # Our targets: gdb's frames, exact bytes (--min-size 256 keeps the
        # machine's small blocks out: unwind_c's 777 B leak is left).
        proc = find_process(final, t.ready_pid)
        for want in expect["expect"]:
            if want["bytes"] >= 256:
                self.check_leak(gdb_hits, want["func"], want, proc, bases,
                                lt, "unwind_c")
        proc = find_process(final, cxx.ready_pid)
        for want in expect_cxx["expect"]:
            if want["bytes"] < 256:
                continue
            stacks = [s for s in proc["top_outstanding"]
                      if s.get("heap_bytes") == want["bytes"] and
                      any(plain(f.get("symbol") or "") == want["func"]
                          for f in s["frames"])]
            self.assertEqual(len(stacks), 1, "unwind_cxx %s: %s" % (
                want["func"], [self.describe_stack(s) for s in stacks]))
            self.assertEqual(stacks[0]["heap_count"], want["count"])
            self.assertTrue(self.whole(stacks[0]),
                            self.describe_stack(stacks[0]))
        # Python: the bytearray's block, through the eval loop (then the
        # Python frames, when leaktrace has read the interpreter's state).
        proc = find_process(final, py.pid)
        self.assertIsNotNone(proc, "python3 not in the report")
        stacks = [s for s in proc["top_outstanding"]
                  if s.get("heap_bytes", 0) >= 300000 and
                  s.get("heap_count") == 1]
        self.assertEqual(len(stacks), 1, "\n".join(
            "%d: %s" % (s.get("heap_bytes", 0), self.describe_stack(s))
            for s in proc["top_outstanding"][:8]))
        pyf = [f.get("symbol") for f in stacks[0]["frames"]
               if f.get("kind") == "python"]
        self.assertTrue(self.whole(stacks[0]) and
                        (not pyf or pyf[-1] == "<module>"),
                        self.describe_stack(stacks[0]))
        # Debian's programs started after attach (by vfork: subprocess,
        # gcc's driver) make nearly all their blocks before leaktrace has
        # rescanned them: their files' tables, cached by the first runs,
        # are found by the walk itself (bpf_find_vma), so their stacks
        # are whole too.
        debian = dict([(srt.pid, "sort"), (gcc.pid, "gcc")] +
                      [(c, "cc1") for c in cc1])
        ends, elsewhere, late, cut = {}, [], {}, []
        for p in final["processes"]:
            tops = p.get("top_outstanding", [])
            native = [s for s in tops
                      if any(f.get("kind") == "native" for f in s["frames"])]
            if p["pid"] in debian:
                late[debian[p["pid"]]] = "%d of %d whole" % (
                    sum(self.whole(s) for s in native), len(native))
                cut += ["%s: %s" % (debian[p["pid"]], self.describe_stack(s))
                        for s in native if not self.whole(s)]
            if p["pid"] not in before:
                continue
            # Processes running at attach: their tables were loaded then.
            for s in native:
                ok = self.whole(s)
                ends[ok] = ends.get(ok, 0) + 1
                if not ok:
                    elsewhere.append("%s: %s" % (p.get("comm", "?"),
                                                 self.describe_stack(s)))
        total = sum(ends.values())
        frac = ends.get(True, 0) / max(total, 1)
        print("system-wide: started after attach: %s; running at attach: "
              "%d of %d native stacks (%.0f %%) whole; the others end at:"
              "\n  %s" % (late, ends.get(True, 0), total, 100 * frac,
                         "\n  ".join(elsewhere[:30])))
        self.assertGreaterEqual(total, 10, "too few stacks to judge")
        self.assertGreaterEqual(frac, self.MIN_WHOLE, "\n".join(
            elsewhere[:30]))
        self.assertEqual(sorted(late), ["cc1", "gcc", "sort"], late)
        self.assertFalse(cut, "\n".join(cut[:30]))

    def test_fp_mode_does_not_reach_main(self):
        """The oracle tells the two walks apart: fp loses -O2 callers."""
        binary = target_path("unwind_c")
        t, lt, expect, final, proc, bases = self.trace_leaks(
            binary, ["libc"], lt_args=["--unwind=fp", "-v"])
        self.assertIn("unwind: fp", lt.text("stderr"))
        reached = [s for s in proc["top_outstanding"]
                   if any(f.get("symbol") == "main" for f in s["frames"])
                   and any(f.get("symbol") == "leak_strdup"
                           for f in s["frames"])]
        self.assertEqual(reached, [])


if __name__ == "__main__":
    unittest.main()
