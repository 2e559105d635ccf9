# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""--objects against hostile targets: garbage where the GC state should be,
a process mutating its containers as fast as it can, and processes that
look like a free-threaded CPython 3.13 (refused in one line)."""

import os
import shutil
import signal
import tempfile
import time

from ltharness import LTTestCase, ROOT, find_process, target_path

CHURN = os.path.join(ROOT, "tests", "targets", "py", "census_churn.py")
# A census overlaps the mutations: objects freed and made during one walk
# can both be counted. A list whose back links stopped matching is marked
# incomplete (part of it can be missed). Stated bound: a complete census
# is within a factor of 2 of the live count; an incomplete one never
# counts more than twice the most that were alive.
FACTOR = 2.0


class CensusGarbageTest(LTTestCase):

    def check_garbage(self, minor):
        t = self.start_target("python_garbage", minor)
        lt = self.start_tracer(["--json", "--objects", "-p", t.ready_pid,
                                "1"])
        t.go()
        expect = t.wait_expect()
        time.sleep(1.5)
        self.assertEqual(lt.stop(), 0, lt.describe())
        warnings = [l for l in lt.text("stderr").splitlines()
                    if "GC state does not look valid" in l]
        self.assertEqual(len(warnings), 1, lt.describe())
        for rep in lt.reports():
            proc = find_process(rep, t.ready_pid)
            if proc:
                self.assertNotIn("python_objects", proc)
        proc = find_process(lt.final_report(), t.ready_pid)
        self.assertIsNotNone(proc, lt.describe())
        self.assertEqual(proc["heap_bytes"], expect["expect"][0]["bytes"])
        self.assertTrue(t.alive(), "the target died")

    def test_garbage_gc_state_38(self):
        """random bytes as a 3.8 _PyRuntime: one warning, no census"""
        self.check_garbage(8)

    def test_garbage_gc_state_311(self):
        """random bytes as a 3.11 _PyRuntime: one warning, no census"""
        self.check_garbage(11)

    def test_garbage_gc_state_313(self):
        """random bytes as a 3.13 _PyRuntime (no debug cookie)"""
        self.check_garbage(13)


class CensusFreeThreadedTest(LTTestCase):
    """No free-threaded build here: synthetic ones, by each sign of it."""

    def check_refused(self, t):
        lt = self.start_tracer(["--json", "--objects", "-p", t.ready_pid,
                                "0.5"])
        t.go()
        expect = t.wait_expect()
        time.sleep(1.5)
        self.assertEqual(lt.stop(), 0, lt.describe())
        lines = [l for l in lt.text("stderr").splitlines()
                 if "free-threaded" in l]
        self.assertEqual(len(lines), 1, lt.describe())
        self.assertIn("not support", lines[0])
        self.assertNotIn("GC state does not look valid", lt.text("stderr"))
        self.assertGreater(len(lt.reports()), 2, lt.describe())
        for rep in lt.reports():
            proc = find_process(rep, t.ready_pid)
            if proc:
                self.assertIsNone(proc["python"], lt.describe())
                self.assertNotIn("python_objects", proc)
        proc = find_process(lt.final_report(), t.ready_pid)
        self.assertIsNotNone(proc, lt.describe())
        self.assertEqual(proc["heap_bytes"], expect["expect"][0]["bytes"])
        self.assertTrue(t.alive(), "the target died")

    def test_free_threaded_debug_offsets(self):
        """_Py_DebugOffsets.free_threaded set: one line, no Python"""
        self.check_refused(self.start_target("python_garbage", 13, 1))

    def test_free_threaded_abi_flag(self):
        """an interpreter file named python3.13t: one line, no Python"""
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        exe = os.path.join(tmp, "python3.13t")
        shutil.copy(target_path("python_garbage"), exe)
        self.check_refused(self.start_target("python_garbage",
                                             argv=[exe, "13"]))


class CensusChurnTest(LTTestCase):

    def test_census_of_churning_process(self):
        """fast mutation: no crash or hang; counts within the bound"""
        t = self.start_target("census_churn",
                              argv=["/usr/bin/python3", CHURN, "5"])
        lt = self.start_tracer(["--json", "--objects", "-T", "100000", "-p",
                                t.ready_pid, "0.3"])
        t.go()
        expect = t.wait_expect(30)
        self.assertEqual(lt.stop(), 0, lt.describe())
        self.assertTrue(t.alive(), "the target died")
        lo, hi = expect["expect"]["min"], expect["expect"]["max"]
        complete = incomplete = 0
        for rep in lt.reports():
            proc = find_process(rep, t.ready_pid)
            self.assertIsNotNone(proc, lt.describe())
            status = proc["python_census"]
            got = {o["type"]: o["count"]
                   for o in proc["python_objects"]}.get("Churn", 0)
            self.assertLessEqual(got, hi * FACTOR, status)
            if not status["complete"]:
                incomplete += 1
                continue
            complete += 1
            self.assertGreaterEqual(got, lo / FACTOR, status)
        self.assertGreater(complete + incomplete, 5, lt.describe())
        # Every incomplete census is in the loss counter (+1: the
        # baseline census at attach is in no report).
        losses = lt.final_report()["losses"]["census_incomplete"]
        self.assertIn(losses, (incomplete, incomplete + 1))
