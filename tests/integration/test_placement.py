# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Probe placement: -v says where each probe went and why; every allocator
API gives the same exact results with probes placed past the entry as at
the entry (--no-placement), and the target's own checks still pass."""

import re

from ltharness import LTTestCase

PROBE_LINE = re.compile(
    r"leaktrace: probe (\w+) at (.+)\+0x([0-9a-f]+)"
    r"(, entry and return|, session)? "
    r"\((.*)\)$")
PLACED = re.compile(r"^(\S+), emulated; (\d+) bytes in: .*\S emulated$")
AT_ENTRY = re.compile(r"^(\S+), (emulated|single-stepped); at entry: .+$")


class PlacementTest(LTTestCase):

    def probe_lines(self, lt_args):
        t = self.start_target("leak_basic")
        lt = self.trace_started(t, ["-v"] + lt_args)[0]
        probes = {}
        for line in lt.lines("stderr"):
            m = PROBE_LINE.match(line)
            if m:
                probes[m.group(1)] = (int(m.group(3), 16), m.group(5),
                                      bool(m.group(4)))
        for name in ("malloc", "free"):
            self.assertIn(name, probes, "no -v line for %s\n%s"
                          % (name, lt.describe()))
        self.assertFalse(probes["free"][2], "free has a return probe")
        self.assertTrue(probes["malloc"][2], "malloc's return is not probed")
        return probes, lt

    def test_verbose_says_where_and_why(self):
        """-v: each probe at entry or N bytes in on an emulated instruction"""
        probes, lt = self.probe_lines([])
        emulated = 0
        for name, (offset, how, _) in probes.items():
            placed, entry = PLACED.match(how), AT_ENTRY.match(how)
            self.assertTrue(placed or entry, "%s: unexpected placement "
                            "note %r\n%s" % (name, how, lt.describe()))
            if placed:
                self.assertLess(int(placed.group(2)), 64, how)
            emulated += bool(placed) or entry.group(2) == "emulated"
        self.assertGreater(emulated, 0, "no probe on an emulated "
                           "instruction:\n%s" % lt.describe())

    def test_no_placement_probes_entries(self):
        """--no-placement: every probe at its function's entry"""
        placed, _ = self.probe_lines([])
        entries, lt = self.probe_lines(["--no-placement"])
        self.assertEqual(sorted(placed), sorted(entries))
        for name, (offset, how, _) in entries.items():
            self.assertIn("--no-placement", how, lt.describe())
            m = PLACED.match(placed[name][1])
            skipped = int(m.group(2)) if m else 0
            self.assertEqual(placed[name][0], offset + skipped,
                             "%s: placed at 0x%x, entry 0x%x, note %r" % (
                                 name, placed[name][0], offset,
                                 placed[name][1]))

    def check_api(self, lt_args):
        t, lt, expect, final, proc = self.trace_target("api", "all",
                                                       lt_args=lt_args)
        self.assertTrue(expect["expect"], "api all: empty expect line")
        self.assert_expect(expect, proc, final, lt)
        self.assert_no_bad_losses(final)
        # The target checked its own results (alignment, contents) before
        # its expect line; released, it exits 0.
        t.go()
        self.assertEqual(t.wait(10), 0, t.describe())

    def test_api_all_placed(self):
        """api all: exact with probes placed"""
        self.check_api([])

    def test_api_all_at_entries(self):
        """api all: exact with --no-placement"""
        self.check_api(["--no-placement"])
