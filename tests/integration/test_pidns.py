# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""leaktrace in a PID namespace (a container): the report names processes
by the PIDs of that namespace (the PID the target itself gets from
getpid()), live targets are reported alive with their exact bytes, and
system-wide mode traces only the processes of that namespace.

The namespace is made by `unshare --pid --fork --mount-proc`; the tracer
and the targets enter it with nsenter, so the test (in the initial
namespace) still signals them by their host PIDs."""

import json
import os
import signal
import subprocess
import time

from ltharness import (BENIGN_LOSSES, EXPECT_TIMEOUT, LATE_TABLE_LOSSES,
                       LEAKTRACE, LTTestCase, Proc, Target, Tracer,
                       find_process, is_expect_line, target_path)

CHILD_TIMEOUT = 10


def only_child(pid, timeout=CHILD_TIMEOUT):
    """Host PID of the child pid forked (nsenter and unshare fork one)."""
    path = "/proc/%d/task/%d/children" % (pid, pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                kids = f.read().split()
        except OSError:
            kids = []
        if kids:
            return int(kids[0])
        time.sleep(0.02)
    raise AssertionError("process %d forked no child within %g s"
                         % (pid, timeout))


class PidNamespace:
    """A PID namespace with its own /proc, held open by a sleeping init."""

    def __init__(self, tc):
        self.holder = subprocess.Popen(
            ["unshare", "--pid", "--fork", "--mount-proc", "sleep", "600"],
            stdin=subprocess.DEVNULL)
        tc.addCleanup(self.close)
        self.init = only_child(self.holder.pid)
        self.inode = os.stat("/proc/%d/ns/pid" % self.init).st_ino

    def argv(self, argv):
        return ["nsenter", "-t", str(self.init), "-p", "-m", "--"] + argv

    def host_pid(self, ns_pid):
        """Host PID of the namespace's process ns_pid (from NSpid)."""
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                if os.stat("/proc/%s/ns/pid" % name).st_ino != self.inode:
                    continue
                with open("/proc/%s/status" % name) as f:
                    for line in f:
                        if line.startswith("NSpid:"):
                            if int(line.split()[-1]) == ns_pid:
                                return int(name)
                            break
            except (OSError, ValueError):
                continue
        raise AssertionError("no process %d in the namespace" % ns_pid)

    def close(self):
        """Kill every process of the namespace (its init gone, the
        kernel kills the rest): none keeps a pipe of the test open."""
        if self.holder.poll() is not None:
            return
        try:
            os.kill(self.init, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.holder.wait(10)
        except subprocess.TimeoutExpired:
            self.holder.kill()
            self.holder.wait(10)


class NsTarget(Target):
    """A target inside the namespace: signalled by its host PID."""

    def __init__(self, ns, argv, name):
        super().__init__(ns.argv(argv), name=name)
        self.ns = ns
        self.host = only_child(self.pid)

    def kill(self):
        self.ns.close()
        super().kill()

    def go(self):
        os.kill(self.host, signal.SIGUSR1)

    def signal(self, sig):
        if self.alive():
            os.kill(self.host, sig)


class NsTracer(Tracer):
    """./leaktrace inside the namespace: stopped by its host PID."""

    def __init__(self, ns, args):
        Proc.__init__(self, ns.argv([LEAKTRACE] + args), name="leaktrace")
        self.ns = ns
        self.host = only_child(self.pid)

    def kill(self):
        self.ns.close()
        super().kill()

    def stop(self, sig=signal.SIGINT, timeout=20):
        if not self.alive():
            raise AssertionError("leaktrace exited before it was stopped\n"
                                 + self.describe())
        os.kill(self.host, sig)
        return self.wait(timeout, "exit after %s" % signal.Signals(sig).name)


class PidNamespaceTest(LTTestCase):

    def setUp(self):
        super().setUp()
        self.ns = PidNamespace(self)

    def ns_target(self, name, *args):
        t = NsTarget(self.ns, [target_path(name)] + [str(a) for a in args],
                     name)
        self.addCleanup(t.kill)
        t.wait_ready()
        return t

    def ns_tracer(self, args, wait=True):
        lt = NsTracer(self.ns, [str(a) for a in args])
        self.addCleanup(lt.kill)
        if wait:
            lt.wait_tracing()
        return lt

    def assert_live_process(self, final, lt, expect, ns_pid, comm,
                            allowed=BENIGN_LOSSES):
        """The process is reported under ns_pid, alive, bytes exact."""
        proc = find_process(final, ns_pid)
        self.assertIsNotNone(proc, "PID %d (the target's getpid()) is not "
                             "in the report: %s\n%s" % (
                                 ns_pid, [(p.get("pid"), p.get("comm"))
                                          for p in final["processes"]],
                                 lt.describe()))
        self.assertEqual((proc.get("comm"), proc.get("alive")),
                         (comm, True), lt.describe())
        self.assert_expect(expect, proc, final, lt, absent=("balanced",))
        self.assert_no_bad_losses(final, allowed)

    def check_pid(self, lt_args):
        t = self.ns_target("leak_basic", 7, 1000)
        self.assertNotEqual(t.ready_pid, t.host, "not in a PID namespace")
        lt = self.ns_tracer(["--json", "-T", "1000"] + lt_args +
                            ["-p", t.ready_pid, "1000"])
        t.go()
        expect = t.wait_expect()
        self.assertEqual(lt.stop(), 0, lt.describe())
        self.assert_live_process(lt.final_report(), lt, expect,
                                 t.ready_pid, "leak_basic")

    def test_pid(self):
        """-p NSPID of a target in the same namespace"""
        self.check_pid([])

    def test_pid_classic(self):
        """-p NSPID --no-sessions: the same"""
        self.check_pid(["--no-sessions"])

    def test_dwarf_unwind(self):
        """--unwind=dwarf in the namespace: an -O2 target without frame
        pointers leaks through libc's wrappers, each stack reaches main
        (the walk finds its tables under the namespace's PID)"""
        t = self.ns_target("unwind_c", "libc")
        lt = self.ns_tracer(["--json", "-T", "1000", "--unwind=dwarf",
                             "-p", t.ready_pid, "1000"])
        t.go()
        expect = t.wait_expect()
        self.assertEqual(lt.stop(), 0, lt.describe())
        proc = find_process(lt.final_report(), t.ready_pid)
        self.assertIsNotNone(proc, lt.describe())
        for want in expect["expect"]:
            stacks = [[f.get("symbol") for f in st["frames"]]
                      for st in proc.get("top_outstanding", [])
                      if st.get("heap_bytes") == want["bytes"] and
                      any(f.get("symbol") == want["func"]
                          for f in st["frames"])]
            self.assertEqual(len(stacks), 1, "%s: %s\n%s" % (
                want["func"], stacks, lt.describe()))
            self.assertIn("main", stacks[0], want["func"])

    def wait_events_handled(self, lt):
        """Every event the kernel side sent so far has been handled: a
        report began after this call (reports follow the events read)."""
        for _ in range(2):
            lt.wait_line(lambda l: l.startswith('{"type":"report"'),
                         start=len(lt.lines()), timeout=20,
                         what="a later report")

    def test_command_through_fork(self):
        """-c "sh -c 'leak_basic 7 1000; exit 0'": the shell forks the
        target, a child leaktrace follows from the fork tracepoint"""
        lt = self.ns_tracer(["--json", "-T", "1000", "-c",
                             "sh -c '%s 7 1000; exit 0'"
                             % target_path("leak_basic"), "200ms"],
                            wait=False)
        line = lt.wait_line(lambda l: l.startswith("ready "),
                            timeout=20, what='"ready PID"')
        ns_pid = int(line.split()[1])
        host = self.ns.host_pid(ns_pid)
        self.assertNotEqual(ns_pid, host, "not in a PID namespace")
        # Probes follow a child once its fork is handled, not at once.
        self.wait_events_handled(lt)
        os.kill(host, signal.SIGUSR1)
        expect = json.loads(lt.wait_line(is_expect_line,
                                         timeout=EXPECT_TIMEOUT,
                                         what="expect line"))
        # The final report, then leaktrace waits for its command.
        os.kill(lt.host, signal.SIGINT)
        lt.wait_line(lambda l: l.startswith('{"type":"report"') and
                     '"final":true' in l, timeout=20, what="final report")
        os.kill(host, signal.SIGTERM)
        self.assertEqual(lt.wait(20), 0, lt.describe())
        # leak_basic starts after attach, its file's table at its first
        # mmaps: its first stacks may be walked without it.
        self.assert_live_process(lt.final_report(), lt, expect, ns_pid,
                                 "leak_basic", LATE_TABLE_LOSSES)

    def test_system_wide(self):
        """no -p: the namespace's process under its PID there; a process
        of the initial namespace doing the same is not traced"""
        lt = self.ns_tracer(["--json", "-T", "1000", "1000"])
        inside = self.ns_target("late_start", 0)
        outside = self.start_target("late_start", 0)
        inside.go()
        outside.go()
        expect = inside.wait_expect()
        outside.wait_expect()
        self.assertEqual(lt.stop(), 0, lt.describe())
        final = lt.final_report()
        # Started after attach (and the machine's other programs): first
        # stacks before their files' tables are built.
        self.assert_live_process(final, lt, expect, inside.ready_pid,
                                 "late_start", LATE_TABLE_LOSSES)
        leaking = [p.get("pid") for p in final["processes"]
                   if p.get("comm") == "late_start"]
        self.assertEqual(leaking, [inside.ready_pid],
                         "only the namespace's late_start may be traced "
                         "(outside: host PID %d)\n%s"
                         % (outside.pid, lt.describe()))
