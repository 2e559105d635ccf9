# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""One test per allocator API scenario of tests/targets/bin/api, each in its
own process: every expect entry exact, no losses but benign ones."""

import subprocess

from ltharness import LTTestCase, target_path


def scenario_names():
    try:
        r = subprocess.run([target_path("api"), "list"], capture_output=True,
                           text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, "cannot run %s list: %s" % (target_path("api"), e)
    names = r.stdout.split()
    if r.returncode or not names:
        return None, "%s list failed (status %d): %s" % (
            target_path("api"), r.returncode, r.stderr.strip())
    return names, None


class ApiTest(LTTestCase):

    def check_scenario(self, name):
        t, lt, expect, final, proc = self.trace_target("api", name)
        self.assertTrue(expect["expect"], "api %s: empty expect line" % name)
        self.assert_expect(expect, proc, final, lt)
        self.assert_no_bad_losses(final)


def _make(name):
    def test(self):
        self.check_scenario(name)
    test.__doc__ = "api %s" % name
    return test


_NAMES, _ERROR = scenario_names()
if _NAMES is None:
    def test_list(self):
        self.fail(_ERROR + " (run make targets)")
    ApiTest.test_list = test_list
else:
    for _n in _NAMES:
        setattr(ApiTest, "test_" + _n, _make(_n))
