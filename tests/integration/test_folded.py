# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""--folded FILE: flame graph input, "root;...;leaf BYTES" per line."""

import os
import re
import shutil
import signal
import tempfile

from ltharness import LTTestCase

LINE = re.compile(r"^(.+) (\d+)$")
HEADER = re.compile(r"^\d\d:\d\d:\d\d leaktrace report:")


class FoldedTest(LTTestCase):

    def folded_path(self):
        d = tempfile.mkdtemp(prefix="lt-folded-")
        self.addCleanup(shutil.rmtree, d, True)
        return os.path.join(d, "out.folded")

    def parse_folded(self, path):
        self.assertTrue(os.path.isfile(path), "%s was not written" % path)
        with open(path) as f:
            text = f.read()
        lines = []
        for i, line in enumerate(text.splitlines(), 1):
            m = LINE.match(line)
            self.assertTrue(m, "%s:%d: not 'frames bytes': %r"
                            % (path, i, line))
            frames = m.group(1).split(";")
            self.assertTrue(all(frames), "%s:%d: empty frame in %r"
                            % (path, i, line))
            lines.append((frames, int(m.group(2))))
        self.assertTrue(lines, "%s is empty" % path)
        return lines, text

    def leaf_bytes(self, lines, func):
        return sum(b for frames, b in lines if frames[-1] == func)

    def expected_heap(self, expect, func):
        return sum(e["bytes"] for e in expect["expect"] if e["func"] == func)

    def test_folded_text_mode(self):
        """text output, 1 s interval: leaf leak_here has the leak bytes"""
        path = self.folded_path()
        t = self.start_target("leak_basic", 13, 3000)
        lt = self.start_tracer(["--folded", path, "-p", t.ready_pid, "1"])
        t.go()
        expect = t.wait_expect()
        def count():
            return sum(1 for l in lt.lines() if HEADER.match(l))
        # Report headers+2 was taken after the workload; once headers+3 is
        # printed, its folded file has been written.
        headers = count()
        while count() < headers + 3:
            lt.wait_line(HEADER.match, timeout=10, start=len(lt.lines()),
                         what="a periodic text report")
        want = self.expected_heap(expect, "leak_here")
        lines, text = self.parse_folded(path)
        self.assertEqual(self.leaf_bytes(lines, "leak_here"), want,
                         "folded lines ending in leak_here (periodic "
                         "report):\n%s" % text)
        self.assertEqual(self.leaf_bytes(lines, "balanced"), 0, text)
        self.assertEqual(lt.stop(signal.SIGINT), 0, lt.describe())
        lines, text = self.parse_folded(path)
        self.assertEqual(self.leaf_bytes(lines, "leak_here"), want,
                         "folded lines ending in leak_here (final "
                         "report):\n%s" % text)

    def test_folded_total_matches_json(self):
        """--json and --folded: lines sum to the final outstanding total"""
        path = self.folded_path()
        t, lt, expect, final, proc = self.trace_target(
            "leak_basic", 11, 5000, lt_args=["--folded", path])
        self.assertIsNotNone(proc, "leak_basic not in the final report\n"
                             + lt.describe())
        lines, text = self.parse_folded(path)
        self.assertEqual(self.leaf_bytes(lines, "leak_here"),
                         self.expected_heap(expect, "leak_here"), text)
        total = proc["heap_bytes"] + proc["mapped_bytes"]
        self.assertEqual(sum(b for _, b in lines), total,
                         "sum of folded lines vs heap_bytes + mapped_bytes "
                         "of the final report (allocator_mapped_bytes %d)"
                         "\n%s" % (proc.get("allocator_mapped_bytes", 0),
                                   text))
