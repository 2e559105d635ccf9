# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""After lost mapping events (issue 12): a storm of mmap/munmap overflows
the ring buffer while the target maps a known set; at the next report
leaktrace resynchronises its mapping tracker with /proc/PID/maps, and the
final report's mapped total equals what the target holds, exactly, with
the losses counted and the resync said (JSON and text)."""

import re
import signal

from ltharness import LTTestCase, describe_attribution, attribute, tail


class MapResyncTest(LTTestCase):

    def truth(self, expect):
        return sum(e["bytes"] for e in expect["expect"]
                   if e["kind"] == "mapped")

    def test_mapped_total_after_lost_events(self):
        """64 x 64 KiB held through a ring-buffer overflow: 4 MiB exactly"""
        t, lt, expect, final, proc = self.trace_target(
            "mapstorm", 1500, interval="500ms")
        self.assertIsNotNone(proc, lt.describe())
        lost = final["losses"]["events_lost"]
        msg = ("events_lost %d, resyncs %r, mapped %d B (unattributed %r), "
               "truth %d B\n%s\n%s" % (
                   lost, final.get("mapping_resyncs"), proc["mapped_bytes"],
                   proc.get("unattributed_mapped_bytes"), self.truth(expect),
                   describe_attribution(attribute(proc)), tail(lt.text("stderr"))))
        print(msg.splitlines()[0])
        self.assertGreater(lost, 0, "the storm did not overflow the ring "
                           "buffer: nothing tested\n" + msg)
        self.assertGreater(final.get("mapping_resyncs", 0), 0,
                           "losses but no resync said\n" + msg)
        self.assertEqual(proc["mapped_bytes"], self.truth(expect), msg)

    def test_text_report_says_resync(self):
        """the text report: the resync line, 4.0 MiB mapped"""
        t = self.start_target("mapstorm", 1500)
        lt = self.start_tracer(["-T", "5", "-p", t.ready_pid, "500ms"])
        t.go()
        t.wait_expect()
        self.assertEqual(lt.stop(signal.SIGINT), 0, lt.describe())
        text = lt.text("stdout")
        final = text[text.rindex(" final report: "):]
        self.assertRegex(final, r"losses:.* events_lost [1-9]")
        self.assertRegex(final, r"\nmappings resynchronised with "
                         r"/proc/PID/maps after lost events: [1-9][0-9]* "
                         r"times? since attach(\n|$)")
        self.assertIn("pid %d (mapstorm): heap" % t.ready_pid, final)
        self.assertRegex(final, r"\(mapstorm\): heap [^\n]*, mapped 4\.0 MiB "
                         r"in [0-9]+ mappings")
