# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Allocator probes: where the kernel has uprobe sessions (6.13+), one link
per library covers every allocator function and a call --sample leaves out
returns without a trap; --no-sessions (the only way on older kernels) puts a
uprobe and a uretprobe on each function. Both are exact, and how many times
the programs ran shows which returns were trapped."""

import platform
import re

from ltharness import LTTestCase, bpf_state, bpftool_json

STATS = "/proc/sys/kernel/bpf_stats_enabled"
PAIRS = 200000


def kernel_has_sessions():
    major, minor = (int(x) for x in
                    re.match(r"(\d+)\.(\d+)", platform.release()).groups())
    return (major, minor) >= (6, 13)


class ProbeModesTest(LTTestCase):

    def mode_line(self, lt_args):
        t = self.start_target("leak_basic")
        lt = self.trace_started(t, ["-v"] + lt_args)[0]
        lines = [l for l in lt.lines("stderr")
                 if l.startswith("leaktrace: allocator probes: ")]
        self.assertEqual(len(lines), 1, lt.describe())
        return lines[0]

    def test_verbose_names_the_mode(self):
        """-v: sessions on 6.13+, classic probes with --no-sessions"""
        if kernel_has_sessions():
            self.assertIn("uprobe sessions", self.mode_line([]))
        self.assertIn("a uprobe and a uretprobe per function",
                      self.mode_line(["--no-sessions"]))

    def test_api_all_classic(self):
        """api all: exact with --no-sessions"""
        t, lt, expect, final, proc = self.trace_target(
            "api", "all", lt_args=["--no-sessions"])
        self.assertTrue(expect["expect"], "api all: empty expect line")
        self.assert_expect(expect, proc, final, lt)
        self.assert_no_bad_losses(final)
        t.go()
        self.assertEqual(t.wait(10), 0, t.describe())

    def program_runs(self, lt_args):
        """Runs of each of our new programs while one thread makes PAIRS
        malloc/free pairs of 16..4096 bytes, by program name."""
        before = bpf_state()
        with open(STATS) as f:
            old = f.read().strip()
        with open(STATS, "w") as f:
            f.write("1")
        try:
            t = self.start_target("threads", 1, PAIRS, 0)
            lt = self.start_tracer(["--json"] + lt_args +
                                   ["-p", t.ready_pid, "1000"])
            t.go()
            t.wait_expect()
            runs = {}
            for p in self.programs(before):
                runs[p["name"]] = runs.get(p["name"], 0) + p["run_cnt"]
            self.assertEqual(lt.stop(), 0, lt.describe())
        finally:
            with open(STATS, "w") as f:
                f.write(old)
        return runs

    def programs(self, before):
        return [p for p in bpftool_json("prog", "show")
                if p["id"] not in before["progs"] and "run_cnt" in p]

    def test_sampled_out_calls_skip_the_return_trap(self):
        """--sample 512K with sessions: returns trapped only when sampled"""
        if not kernel_has_sessions():
            self.skipTest("uprobe sessions need Linux 6.13")
        runs = self.program_runs(["--sample", "512K"])
        # One run per malloc entry, plus one per trapped return: about
        # 800 samples of 400 MB, far below PAIRS. free has a program and
        # a link of its own, entries only.
        got = runs.get("alloc_session", 0)
        self.assertGreaterEqual(got, PAIRS, runs)
        self.assertLess(got, PAIRS + PAIRS // 20, runs)
        self.assertGreaterEqual(runs.get("free_entry", 0), PAIRS, runs)

    def test_classic_traps_every_return(self):
        """--no-sessions: every malloc's return runs the return program"""
        runs = self.program_runs(["--sample", "512K", "--no-sessions"])
        self.assertGreaterEqual(runs.get("alloc_return", 0), PAIRS, runs)
        self.assertGreaterEqual(runs.get("free_entry", 0), PAIRS, runs)
