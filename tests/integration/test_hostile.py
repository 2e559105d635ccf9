# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Hostile targets (issue 11, reliability suite): a fake CPython whose
runtime is garbage, an mmap storm that overflows the ring buffer, 2000
exiting threads, coroutines on heap stacks (swapcontext), a process naming
itself with escape sequences. Each: leaktrace does not crash or hang, the
target's deliberate leak is counted exactly, losses are counted rather
than silent, and the output stays valid (JSON parses; text has no raw
control characters)."""

import json
import re
import signal

from ltharness import LTTestCase, find_process, attribute

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class HostileTest(LTTestCase):

    def trace_hostile(self, name, *args, lt_args=(), expect_timeout=120):
        t, lt, expect, final, proc = self.trace_target(
            name, *args, lt_args=list(lt_args), interval="500ms",
            expect_timeout=expect_timeout)
        self.assert_expect(expect, proc, final, lt)
        # Every report line is one valid JSON object.
        for line in lt.lines("stdout"):
            if line.startswith("{") and '"type":"report"' in line:
                json.loads(line)
        return t, lt, final, proc

    def test_garbage_python_runtime(self):
        """_PyRuntime full of self-pointers, rewritten while traced"""
        t, lt, final, proc = self.trace_hostile("garbage_python", 300)
        self.assertIn("python", proc)

    def test_exiting_threads(self):
        """2000 threads, 50 at a time, each leaks one block and exits"""
        self.trace_hostile("hostile", "threads", 2000)

    def test_coroutines(self):
        """300 swapcontext coroutines on heap stacks, one leak each"""
        self.trace_hostile("hostile", "coroutines", 300)

    def test_mmap_storm(self):
        """4 threads mmap+munmap for 3 s: every mapping is gone again, so
        the storm's outstanding mapped bytes are 0 unless events were lost,
        and then the loss is counted"""
        t, lt, final, proc = self.trace_hostile("hostile", "mmapstorm",
                                                3000)
        storm = attribute(proc).get("storm_main", {})
        mapped = storm.get("mapped_bytes", 0)
        lost = final["losses"]["events_lost"]
        print("mmap storm: %d mapped bytes left on storm_main, %d events "
              "lost" % (mapped, lost))
        if mapped:
            self.assertGreater(lost, 0, "mapped bytes left over without "
                               "any loss counted\n" + lt.describe())

    def test_comm_escape_sequences(self):
        """comm "\\x1b[31m\\n\\"\\\\evil\\x07": JSON keeps it exactly, text
        shows it escaped"""
        raw = "\x1b[31m\n\"\\evil\x07"
        t, lt, final, proc = self.trace_hostile("hostile", "comm")
        self.assertEqual(proc["comm"], raw[:15])
        # Text mode on a second run of the same target.
        t = self.start_target("hostile", "comm")
        lt = self.start_tracer(["-T", "5", "-p", t.ready_pid, "500ms"])
        t.go()
        t.wait_expect()
        self.assertEqual(lt.stop(signal.SIGINT), 0, lt.describe())
        text = lt.text("stdout")
        self.assertIn("\\x1b[31m\\x0a", text, "comm not shown escaped")
        bad = [l for l in text.splitlines() if CONTROL.search(l)]
        self.assertFalse(bad, "raw control characters in the text report")
        bad = [l for l in lt.text("stderr").splitlines()
               if CONTROL.search(l)]
        self.assertFalse(bad, "raw control characters on stderr")
