# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Shared helpers of the leaktrace integration tests (stdlib only).

A test starts a ground-truth target (tests/targets/bin/*), attaches
./leaktrace to it, lets the target run its workload, stops the tracer and
compares the final JSON report with what the target says it leaked.

Every wait has a timeout and every process started here is killed when the
test ends, so a hang fails the test instead of blocking the run. pytest runs
the tests (tests/conftest.py), each under pytest-timeout (LT_TEST_TIMEOUT
seconds, default 150).
"""

import json
import os
import re
import signal
import subprocess
import threading
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# LT_LEAKTRACE: another build to test, e.g. ./leaktrace-san (make sanitize-test).
LEAKTRACE = os.environ.get("LT_LEAKTRACE") or os.path.join(ROOT, "leaktrace")
TARGETS = os.path.join(ROOT, "tests", "targets", "bin")
SKELETON = os.path.join(ROOT, "build", "leaktrace.skel.h")
LIBC = "libc.so.6"

ATTACH_TIMEOUT = 20     # until "leaktrace: tracing"
READY_TIMEOUT = 10      # until a target's "ready PID"
EXPECT_TIMEOUT = 60     # until a target's expect line
STOP_TIMEOUT = 20       # until leaktrace exits after SIGINT/SIGTERM

# Losses an exact report may show: returns and frees of calls that began
# before the probes were in place. stack_no_table is not one: a process
# traced from before its start has its files' tables found by the walk
# itself (bpf_find_vma), so a stack walked without its table is a cut
# stack a test should see. Tests of code whose table comes late by design
# (a dlopen'ed library's first call, a file whose table cannot fit) allow
# it or assert it.
BENIGN_LOSSES = ("return_without_entry", "free_unknown")
LATE_TABLE_LOSSES = BENIGN_LOSSES + ("stack_no_table",)

NEED_ROOT = ("integration tests need root (BPF programs and uprobes): "
             "run them as root, e.g. sudo make integration-test")


def ldd_libraries(binary):
    """Shared libraries (with ld.so) ldd lists for binary."""
    r = subprocess.run(["ldd", binary], capture_output=True, text=True,
                       timeout=10)
    paths = []
    for line in r.stdout.splitlines():
        m = re.search(r"=>\s*(/\S+)\s+\(", line) or \
            re.match(r"\s*(/\S+)\s+\(", line)
        if m:
            paths.append(m.group(1))
    if r.returncode or not paths:
        raise AssertionError("ldd %s: %s%s" % (binary, r.stdout, r.stderr))
    return paths


def env_with(**settings):
    """This environment with settings; a setting of None is left out, so
    that a test of a default is not turned by the caller's environment."""
    env = dict(os.environ)
    for k, v in settings.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def target_path(name):
    return os.path.join(TARGETS, name)


def tail(text, n=40):
    lines = text.splitlines()
    if len(lines) > n:
        lines = ["[... %d lines]" % (len(lines) - n)] + lines[-n:]
    return "\n".join(lines)


class Proc:
    """A child process whose stdout and stderr are read line by line."""

    def __init__(self, argv, env=None, cwd=ROOT, name=None):
        self.argv = list(argv)
        self.name = name or os.path.basename(self.argv[0])
        self.popen = subprocess.Popen(
            self.argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.pid = self.popen.pid
        self._cond = threading.Condition()
        self._out = {"stdout": [], "stderr": []}
        self._eof = {"stdout": False, "stderr": False}
        self._threads = [
            threading.Thread(target=self._reader, args=(key, stream),
                             daemon=True)
            for key, stream in (("stdout", self.popen.stdout),
                                ("stderr", self.popen.stderr))]
        for t in self._threads:
            t.start()

    def _reader(self, key, stream):
        try:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\n")
                with self._cond:
                    self._out[key].append(line)
                    self._cond.notify_all()
        finally:
            with self._cond:
                self._eof[key] = True
                self._cond.notify_all()

    # -- output --------------------------------------------------------
    def lines(self, key="stdout"):
        with self._cond:
            return list(self._out[key])

    def text(self, key="stdout"):
        return "\n".join(self.lines(key))

    def describe(self):
        rc = self.popen.poll()
        state = "running" if rc is None else "exited with status %d" % rc
        return ("%s (pid %d, %s)\n  argv: %s\n  --- stderr ---\n%s\n"
                "  --- stdout ---\n%s" % (
                    self.name, self.pid, state, " ".join(self.argv),
                    tail(self.text("stderr")), tail(self.text("stdout"), 10)))

    def wait_line(self, pred, key="stdout", timeout=10.0, what="a line",
                  start=0):
        """First line (from index start) of stream key matching pred."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                lines = self._out[key]
                for i in range(start, len(lines)):
                    if pred(lines[i]):
                        return lines[i]
                start = max(start, len(lines))
                if self._eof[key]:
                    raise AssertionError(
                        "%s: %s ended without %s\n%s" % (
                            self.name, key, what, self.describe()))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        "%s: no %s on %s within %g s\n%s" % (
                            self.name, what, key, timeout, self.describe()))
                self._cond.wait(min(left, 0.5))

    def finish_output(self, timeout=5.0):
        """Wait until both pipes reached EOF (after the process exited)."""
        for t in self._threads:
            t.join(timeout)

    # -- life ----------------------------------------------------------
    def alive(self):
        return self.popen.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def wait(self, timeout, what="exit"):
        try:
            rc = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("%s did not %s within %g s\n%s" % (
                self.name, what, timeout, self.describe())) from None
        self.finish_output()
        return rc

    def kill(self):
        """Cleanup: SIGKILL if still running, reap, close the pipes."""
        if self.popen.poll() is None:
            try:
                self.popen.kill()
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                pass
        self.finish_output(2)
        # A pipe a grandchild still holds open (a spawned process the test
        # could not name) keeps its reader blocked; closing it would wait
        # on the reader's lock forever: leave it to the daemon thread.
        for t, s in zip(self._threads, (self.popen.stdout, self.popen.stderr)):
            if t.is_alive():
                continue
            try:
                s.close()
            except OSError:
                pass


class Target(Proc):
    """A ground-truth target (see tests/targets/target.h)."""

    def __init__(self, argv, now=False, **kw):
        super().__init__(argv, **kw)
        self.now = now
        self.ready_pid = None

    def wait_ready(self, timeout=READY_TIMEOUT):
        line = self.wait_line(lambda l: l.startswith("ready "),
                              timeout=timeout, what='"ready PID"')
        self.ready_pid = int(line.split()[1])
        return self.ready_pid

    def go(self):
        os.kill(self.ready_pid or self.pid, signal.SIGUSR1)

    def wait_expect(self, timeout=EXPECT_TIMEOUT):
        line = self.wait_line(is_expect_line, timeout=timeout,
                              what="expect line")
        return json.loads(line)


def is_expect_line(line):
    if not line.startswith("{"):
        return False
    try:
        obj = json.loads(line)
    except ValueError:
        return False
    return isinstance(obj, dict) and "expect" in obj and "target" in obj


class Tracer(Proc):
    """./leaktrace with some arguments."""

    def __init__(self, args, **kw):
        super().__init__([LEAKTRACE] + list(args), name="leaktrace", **kw)

    def wait_tracing(self, timeout=ATTACH_TIMEOUT):
        return self.wait_line(lambda l: l.startswith("leaktrace: tracing"),
                              key="stderr", timeout=timeout,
                              what='"leaktrace: tracing" line')

    def stop(self, sig=signal.SIGINT, timeout=STOP_TIMEOUT):
        if not self.alive():
            raise AssertionError("leaktrace exited before it was stopped\n"
                                 + self.describe())
        os.kill(self.pid, sig)
        return self.wait(timeout, "exit after %s" % signal.Signals(sig).name)

    def json_lines(self):
        out = []
        for line in self.lines("stdout"):
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def reports(self):
        return [o for o in self.json_lines()
                if isinstance(o, dict) and o.get("type") == "report"]

    def final_report(self):
        reps = self.reports()
        if not reps:
            raise AssertionError("leaktrace printed no JSON report\n"
                                 + self.describe())
        last = reps[-1]
        if last.get("final") is not True:
            raise AssertionError(
                "the last report is not final (\"final\": %r), %d report(s)"
                "\n%s" % (last.get("final"), len(reps), self.describe()))
        return last


# ---- reports ----------------------------------------------------------

def find_process(report, pid):
    for p in report.get("processes", []):
        if p.get("pid") == pid:
            return p
    return None


def frame_name(frame):
    return frame.get("symbol") or frame.get("text") or frame.get("addr", "?")


def attributed_function(stack):
    """The first frame outside libc: the allocator's direct caller."""
    for frame in stack.get("frames", []):
        if frame.get("module") != LIBC:
            return frame_name(frame)
    return "[only libc frames]"


def attribute(proc):
    """Per function: summed heap/mapped bytes and counts, and the stacks."""
    funcs = {}
    for stack in (proc or {}).get("top_outstanding", []):
        f = funcs.setdefault(attributed_function(stack), {
            "heap_bytes": 0, "heap_count": 0, "mapped_bytes": 0,
            "mapped_count": 0, "stacks": []})
        for k in ("heap_bytes", "heap_count", "mapped_bytes",
                  "mapped_count"):
            f[k] += stack.get(k, 0)
        f["stacks"].append(stack)
    return funcs


def stack_text(stack):
    return " <- ".join(
        "%s(%s)" % (frame_name(f), f.get("module", ""))
        for f in stack.get("frames", []))


def describe_attribution(funcs):
    if not funcs:
        return "  (no stacks in top_outstanding)"
    out = []
    for name in sorted(funcs):
        f = funcs[name]
        out.append("  %-28s heap %d B in %d, mapped %d B in %d" % (
            name, f["heap_bytes"], f["heap_count"], f["mapped_bytes"],
            f["mapped_count"]))
        for s in f["stacks"][:4]:
            out.append("      %s" % stack_text(s))
    return "\n".join(out)


def compare_expect(expect, proc, absent=()):
    """Differences between a target's expect entries and a process report.

    Entries are compared exactly after summing per function and kind.
    Functions in absent must have no stack attributed at all.
    """
    funcs = attribute(proc)
    wanted = {}
    for e in expect["expect"]:
        w = wanted.setdefault((e["func"], e["kind"]), [0, 0])
        w[0] += e["bytes"]
        w[1] += e["count"]
    problems = []
    for (func, kind), (nbytes, count) in sorted(wanted.items()):
        if kind not in ("heap", "mapped"):
            problems.append("%s: unknown kind %r in expect line"
                            % (func, kind))
            continue
        got = funcs.get(func, {})
        gb = got.get(kind + "_bytes", 0)
        gc = got.get(kind + "_count", 0)
        if (gb, gc) != (nbytes, count):
            problems.append("%s %s: expected %d bytes in %d, traced %d "
                            "bytes in %d" % (func, kind, nbytes, count,
                                             gb, gc))
    for func in absent:
        if func in funcs:
            problems.append("%s: expected no stack at all, found %d"
                            % (func, len(funcs[func]["stacks"])))
    return problems


def bad_losses(report, allowed=BENIGN_LOSSES):
    return {k: v for k, v in report.get("losses", {}).items()
            if v and k not in allowed}


# ---- BPF state: nothing of ours may stay attached ---------------------

def our_prog_names():
    """Program names from the skeleton (as the kernel keeps them)."""
    names = set()
    try:
        with open(SKELETON) as f:
            text = f.read()
    except OSError:
        text = ""
    m = re.search(r"struct \{([^}]*)\} progs;", text)
    if m:
        names = set(re.findall(r"struct bpf_program \*(\w+);", m.group(1)))
    if not names:
        names = {"alloc_return", "malloc_entry", "free_entry", "sys_enter",
                 "sys_exit", "process_exit"}
    return {n[:15] for n in names}


def bpftool_json(*args):
    r = subprocess.run(["bpftool", "--json"] + list(args),
                       capture_output=True, text=True, timeout=30)
    if r.returncode:
        raise AssertionError("bpftool %s failed: %s" % (
            " ".join(args), r.stderr.strip()))
    return json.loads(r.stdout or "[]") or []


def _comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def bpf_state():
    """Our programs, links to them and perf attachments, by id."""
    names = our_prog_names()
    progs = {p["id"]: p.get("name", "") for p in bpftool_json("prog", "show")
             if p.get("name", "") in names}
    links = {l["id"]: l for l in bpftool_json("link", "show")
             if l.get("prog_id") in progs}
    perf = [p for p in bpftool_json("perf", "show")
            if p.get("prog_id") in progs]
    return {"progs": progs, "links": links, "perf": perf}


def leftovers(before, ignore_pids=()):
    """What appeared since before and is still there, minus what other
    running leaktrace processes (not ours) hold."""
    now = bpf_state()
    foreign = set()
    for p in now["perf"]:
        pid = p.get("pid")
        if (pid and pid not in ignore_pids and _comm(pid) == "leaktrace"):
            foreign.add(p["prog_id"])
    progs = {i: n for i, n in now["progs"].items()
             if i not in before["progs"] and i not in foreign}
    links = {i: l for i, l in now["links"].items()
             if i not in before["links"] and l.get("prog_id") not in foreign}
    perf = [p for p in now["perf"] if p.get("prog_id") in progs]
    return progs, links, perf


def assert_nothing_attached(tc, before, timeout=5.0, ignore_pids=()):
    deadline = time.monotonic() + timeout
    while True:
        progs, links, perf = leftovers(before, ignore_pids)
        if not (progs or links or perf):
            return
        if time.monotonic() > deadline:
            tc.fail("BPF programs/links of leaktrace still attached after it "
                    "exited:\n  programs: %s\n  links: %s\n  perf: %s" % (
                        progs, list(links.values()), perf))
        time.sleep(0.2)


# ---- test case base ---------------------------------------------------

class LTTestCase(unittest.TestCase):
    """Base class: root check, process cleanup."""

    maxDiff = None

    def setUp(self):
        if os.geteuid() != 0:
            self.fail(NEED_ROOT)
        if not os.access(LEAKTRACE, os.X_OK):
            self.fail("%s not built: run make" % LEAKTRACE)
        if not os.path.isdir(TARGETS):
            self.fail("%s not built: run make targets" % TARGETS)

    # -- processes, killed at the end of the test ----------------------
    def start_target(self, name, *args, now=False, exit=False, env=None,
                     wait_ready=True, argv=None):
        argv = argv or [target_path(name)]
        if not os.access(argv[0], os.X_OK) and "/" in argv[0]:
            self.fail("%s not built: run make targets" % argv[0])
        argv = list(argv) + (["--now"] if now else []) + \
            (["--exit"] if exit else []) + [str(a) for a in args]
        t = Target(argv, now=now, env=env, name=name)
        self.addCleanup(t.kill)
        if now:
            t.ready_pid = t.pid
        elif wait_ready:
            t.wait_ready()
        return t

    def start_tracer(self, args, env=None, wait=True):
        lt = Tracer([str(a) for a in args], env=env)
        self.addCleanup(lt.kill)
        if wait:
            lt.wait_tracing()
        return lt

    # -- the common flow -----------------------------------------------
    def trace_started(self, t, lt_args=(), interval="1000",
                      expect_timeout=EXPECT_TIMEOUT, stop_sig=signal.SIGINT,
                      env=None):
        """A waiting target: leaktrace -p attaches; go; expect line; stop.

        Returns (tracer, expect, final report, process report).
        """
        lt = self.start_tracer(["--json", "-T", "1000"] + list(lt_args) +
                               ["-p", t.ready_pid, interval], env=env)
        t.go()
        expect = t.wait_expect(expect_timeout)
        rc = lt.stop(stop_sig)
        self.assertEqual(rc, 0, "leaktrace exit status after %s\n%s" % (
            signal.Signals(stop_sig).name, lt.describe()))
        final = lt.final_report()
        proc = find_process(final, t.ready_pid)
        return lt, expect, final, proc

    def trace_target(self, name, *args, lt_args=(), interval="1000",
                     expect_timeout=EXPECT_TIMEOUT, stop_sig=signal.SIGINT):
        """trace_started on a new target NAME ARGS.

        Returns (target, tracer, expect, final report, process report).
        """
        t = self.start_target(name, *args)
        return (t,) + self.trace_started(t, lt_args, interval,
                                         expect_timeout, stop_sig)

    def assert_expect(self, expect, proc, report, tracer=None, absent=()):
        problems = compare_expect(expect, proc, absent)
        if problems:
            msg = ["traced outstanding memory differs from the target's "
                   "ground truth:"] + ["  " + p for p in problems]
            msg.append("expect line: %s" % json.dumps(expect))
            msg.append("attributed (first non-libc frame) of pid %s:"
                       % (proc or {}).get("pid", "?"))
            msg.append(describe_attribution(attribute(proc)))
            msg.append("losses: %s" % report.get("losses"))
            if proc is None:
                msg.append("(the process is not in the final report; "
                           "processes: %s)" % [
                               p.get("pid") for p in
                               report.get("processes", [])])
            if tracer is not None:
                msg.append("leaktrace stderr:\n" + tail(tracer.text("stderr")))
            self.fail("\n".join(msg))

    def assert_no_bad_losses(self, report, allowed=BENIGN_LOSSES):
        bad = bad_losses(report, allowed)
        self.assertFalse(bad, "unexpected losses in the final report: %s "
                         "(all: %s)" % (bad, report.get("losses")))
