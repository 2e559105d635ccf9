# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""--objects on every CPython here (Debian's python3, pyenv 3.8-3.13).

tests/targets/py/census_target.py keeps known numbers of instances of
several classes (plain, __slots__, reference cycles, nested lists, a
closure, the permanent list of gc.freeze()), makes and drops others, and
prints the counts it computes from its own GC lists. The census of a quiet
target must match them exactly; growth between two reports must be what
the target added in between. The referrers of the kept classes must name
the module global (a list, a dict, a tuple), the class attribute (a dict)
and the unnamed closure list holding them, and the instances holding
their partners in attributes (instance dicts up to 3.10, values arrays
and inline values from 3.11), with the counts the target computes; in
JSON on every interpreter, and as the text report prints them."""

import json
import os
import time
import unittest

from ltharness import LTTestCase, ROOT, find_process
from test_export import SCHEMA, validate
from test_python import interpreters

SCRIPT = os.path.join(ROOT, "tests", "targets", "py", "census_target.py")
KEPT = ("Base", "Plain", "Slotted", "Cyclic", "Nested", "ClosureHeld",
        "Keyed")


def objects_of(report, pid):
    proc = find_process(report, pid)
    if proc is None:
        return None, None
    return ({o["type"]: o for o in proc.get("python_objects", [])},
            proc.get("python_census"))


class CensusTest(LTTestCase):

    def wait_reports(self, lt, after, n=2, timeout=20):
        """n reports more than after: the later ones began after now."""
        deadline = time.monotonic() + timeout
        while len(lt.reports()) < after + n:
            if time.monotonic() > deadline or not lt.alive():
                self.fail("no new report\n" + lt.describe())
            time.sleep(0.1)
        return lt.reports()[after + n - 1]

    def phase_line(self, t):
        line = t.wait_line(lambda l: l.startswith('{"phase"'), timeout=60,
                           what="phase line")
        return json.loads(line)

    def check_counts(self, objs, truth, lt):
        for name in KEPT:
            got = objs.get(name, {}).get("count")
            self.assertEqual(got, truth[name], "%s: %s\n%s" % (
                name, objs.get(name), lt.describe()))
        self.assertNotIn("Dropped", objs, lt.describe())

    def check_holders(self, objs, holders, lt):
        """Each kept class: the holders the target names, exactly."""
        for cls, name, container, count, containers in holders:
            refs = objs.get(cls, {}).get("referrers")
            self.assertIsNotNone(refs, "%s: no referrers\n%s" % (
                cls, lt.describe()))
            want = {"holder": name, "container": container,
                    "count": count, "containers": containers}
            self.assertIn(want, refs, "%s\n%s" % (cls, lt.describe()))

    def run_census(self, exe):
        t = self.start_target("census_target", argv=[exe, SCRIPT])
        pid = t.ready_pid
        lt = self.start_tracer(["--json", "--objects", "-T", "100000",
                                "-p", pid, "1"])
        t.go()
        phase1 = self.phase_line(t)
        truth1 = phase1["counts"]
        r1 = self.wait_reports(lt, len(lt.reports()))
        objs1, status1 = objects_of(r1, pid)
        self.assertIsNotNone(objs1, lt.describe())
        self.assertTrue(status1["complete"], status1)
        self.check_counts(objs1, truth1, lt)
        self.check_holders(objs1, phase1["holders"], lt)
        t.go()
        expect = t.wait_expect(60)
        r2 = self.wait_reports(lt, len(lt.reports()))
        self.assertEqual(lt.stop(), 0, lt.describe())
        final = lt.final_report()
        objs2, status2 = objects_of(r2, pid)
        self.assertTrue(status2["complete"], status2)
        self.check_counts(objs2, expect["expect"], lt)
        self.check_holders(objs2, expect["holders"], lt)
        plain1, plain2 = objs1["Plain"], objs2["Plain"]
        self.assertEqual(plain2["count"] - plain1["count"],
                         expect["added"]["Plain"])
        # Growth reports add up to the same between the two reports.
        grown = 0
        for rep in lt.reports():
            if r1["elapsed_s"] < rep["elapsed_s"] <= r2["elapsed_s"]:
                o, _ = objects_of(rep, pid)
                grown += o["Plain"]["count_growth"]
        self.assertEqual(grown, expect["added"]["Plain"])
        # Everything but Base was made after attach (the baseline census).
        objs_f, _ = objects_of(final, pid)
        self.assertEqual(objs_f["Base"]["growth_since_attach"], 0)
        self.assertEqual(objs_f["Plain"]["growth_since_attach"],
                         expect["expect"]["Plain"])
        self.assertGreater(objs_f["Plain"]["bytes"], 0)
        self.assertEqual(final["losses"]["census_incomplete"], 0)
        with open(SCHEMA) as f:
            schema = json.load(f)
        for rep in lt.reports():
            self.assertEqual(validate(rep, schema), [])


class CensusTextTest(LTTestCase):

    def test_census_text_names_holders(self):
        """the text report's held-by lines, as the target computes them"""
        t = self.start_target("census_target",
                              argv=["/usr/bin/python3", SCRIPT])
        lt = self.start_tracer(["--objects", "-T", "20", "-p",
                                t.ready_pid, "1"])
        t.go()
        line = t.wait_line(lambda l: l.startswith('{"phase"'), timeout=60,
                           what="phase line")
        holders = json.loads(line)["holders"]
        time.sleep(2.5)
        self.assertEqual(lt.stop(), 0, lt.describe())
        out = lt.text("stdout")
        self.assertIn("held by (referrers of the", out, lt.describe())
        for cls, name, container, count, containers in holders:
            if name:
                want = "%s (%s) holds %d %s" % (name, container, count, cls)
            else:
                want = "%d %s object%s hold%s %d %s" % (
                    containers, container, "" if containers == 1 else "s",
                    "s" if containers == 1 else "", count, cls)
            self.assertIn("      " + want + "\n", out, lt.describe())


def add_version_tests():
    for label, exe in interpreters():
        name = "test_census_" + label.replace(".", "_")

        def test(self, exe=exe):
            self.run_census(exe)
        test.__doc__ = "census of known objects on %s (%s)" % (label, exe)
        setattr(CensusTest, name, test)


add_version_tests()

if __name__ == "__main__":
    unittest.main()
