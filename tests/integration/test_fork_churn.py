# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Children of a traced process get probes of their own; when a child
exits its probes go at once, not at the next report. fork_churn forks 200
children that live 50 ms each, then leaks a known block in the parent."""

import os
import time

from ltharness import LTTestCase, find_process

# Classic probes go one at a time: each waits in the kernel's
# perf_uprobe_destroy for RCU grace periods under a global mutex (leaktrace's
# release threads were seen all waiting there). That was ~80 a second here
# and ~12 a second on a loaded CI machine (2026-12-02), so the test does not
# time the release: it fails when no probe has gone for RELEASE_STALL
# seconds, which is what holding them until a report (1000 s) looks like.
# The classic run forks fewer children: 30 of them, about 600 probes.
RELEASE_STALL = 30
RELEASE_CAP = 600
CLASSIC_CHILDREN = 30


def our_probes(lt_pid):
    """Probes leaktrace holds: its perf-event fds (classic uprobes, and
    the tracepoints, there from the start) and BPF link fds (uprobe
    sessions). Read from /proc, not bpftool: bpftool queries each probe
    under the kernel's event mutex, which the slow classic releases hold,
    and took more than 30 s on a loaded CI machine."""
    held = 0
    fds = "/proc/%d/fd" % lt_pid
    for fd in os.listdir(fds):
        try:
            target = os.readlink(os.path.join(fds, fd))
        except OSError:
            continue  # closed meanwhile
        if target in ("anon_inode:[perf_event]", "anon_inode:bpf_link"):
            held += 1
    return held


class ForkChurnTest(LTTestCase):

    def check(self, lt_args, children=200):
        t = self.start_target("fork_churn", children, 5000)
        lt = self.start_tracer(["--json", "-T", "1000"] + lt_args +
                               ["-p", t.ready_pid, "1000"])
        parent_only = our_probes(lt.pid)
        self.assertGreater(parent_only, 0, "no probes seen\n" +
                           lt.describe())
        t.go()
        expect = t.wait_expect()
        # Every child has been reaped: only the parent's probes may stay.
        held, waited = self.wait_released(lt.pid, parent_only)
        self.assertEqual(held, parent_only,
                         "probes of exited children still held after "
                         "%.0f s\n" % waited + lt.describe())
        self.assertEqual(lt.stop(), 0, lt.describe())
        final = lt.final_report()
        proc = find_process(final, t.ready_pid)
        self.assert_expect(expect, proc, final, lt)
        self.assert_no_bad_losses(final)

    def wait_released(self, lt_pid, parent_only):
        """Wait while probes keep going; returns (held, seconds waited)."""
        start = last_drop = time.monotonic()
        held = our_probes(lt_pid)
        while held > parent_only:
            now = time.monotonic()
            if now - last_drop > RELEASE_STALL or now - start > RELEASE_CAP:
                break
            time.sleep(0.2)
            now_held = our_probes(lt_pid)
            if now_held < held:
                last_drop = time.monotonic()
            held = now_held
        return held, time.monotonic() - start

    def test_children_probes_go_when_they_exit(self):
        """200 short-lived children: their probes go as they exit"""
        self.check([])

    def test_children_probes_go_classic(self):
        """the same with --no-sessions (fewer children: see above)"""
        self.check(["--no-sessions"], CLASSIC_CHILDREN)
