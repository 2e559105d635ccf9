# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""pytest plugin of leaktrace's tests (tests/run and make test use it).

- Unit tests: every executable tests/unit/bin/test_* is a cmocka binary.
  Collecting one runs it (TAP output, LT_UNIT_TIMEOUT seconds at most,
  default 300) and makes one item per cmocka test, which passes or fails
  with the result and output cmocka reported. A crash or a test that did
  not report becomes a failing item, so nothing is lost silently.
- Integration tests (tests/integration/test_*.py) are unittest classes that
  pytest runs as they are; each runs under pytest-timeout's signal method,
  LT_TEST_TIMEOUT seconds (default 150) for setup, test and cleanups.
- The last line is "N passed, N failed" over every test that ran (a
  collection error counts as one failure, and so does selecting nothing).
"""

import glob
import os
import re
import subprocess
import sys

import pytest

try:
    import pytest_timeout  # noqa: F401  (only its presence is checked)
except ImportError:
    sys.exit("tests need pytest-timeout: apt-get install "
             "python3-pytest-timeout (or make deps)")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNIT_BIN = os.path.join(ROOT, "tests", "unit", "bin")
UNIT_TIMEOUT = int(os.environ.get("LT_UNIT_TIMEOUT", "300"))
TEST_TIMEOUT = int(os.environ.get("LT_TEST_TIMEOUT", "150"))


# ---- unit tests: cmocka binaries, TAP output ---------------------------

TAP_PLAN = re.compile(r"^1\.\.(\d+)\s*$")
TAP_RESULT = re.compile(r"^(ok|not ok) (\d+)(?: - (.*))?$")
TAP_GROUP = re.compile(r"^# (ok|not ok) - ")


class CmockaFailure(Exception):
    """A cmocka test failed; its text is what cmocka printed."""


def run_cmocka(path):
    """Runs a cmocka binary: (planned, [(name, outcome, details)], status).

    outcome is "ok", "skip" or "fail"; status describes how it ended (None
    when it exited 0) and the output after the last result.
    """
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP")
    try:
        proc = subprocess.run([path], cwd=ROOT, env=env,
                              stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT,
                              timeout=UNIT_TIMEOUT)
        out, rc = proc.stdout, proc.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = e.stdout or b"", None
    except OSError as e:
        return 0, [], ("cannot run %s: %s" % (path, e), "")
    planned = 0
    results = []
    pending = []            # output since the last result line
    for line in out.decode("utf-8", "replace").splitlines():
        m = TAP_PLAN.match(line)
        if m:
            planned += int(m.group(1))
            continue
        m = TAP_RESULT.match(line)
        if m:
            name = m.group(3) or "#" + m.group(2)
            if m.group(1) == "ok":
                outcome = "skip" if "# SKIP" in name else "ok"
                results.append([name, outcome, ""])
            else:
                results.append([name, "fail", "\n".join(pending)])
            pending = []
            continue
        if TAP_GROUP.match(line):
            continue
        if results and results[-1][1] == "fail" and line.startswith("#"):
            results[-1][2] = (results[-1][2] + "\n" + line).strip()
        else:
            pending.append(line)
    status = ("killed after %d s (LT_UNIT_TIMEOUT)" % UNIT_TIMEOUT
              if rc is None else
              "killed by signal %d" % -rc if rc < 0 else
              "exit status %d" % rc if rc else None)
    return planned, results, (status, "\n".join(pending[-30:]))


class CmockaItem(pytest.Item):
    def __init__(self, *, outcome, details, **kw):
        super().__init__(**kw)
        self.outcome = outcome
        self.details = details

    def runtest(self):
        if self.outcome == "skip":
            pytest.skip("skipped by cmocka")
        if self.outcome != "ok":
            raise CmockaFailure(self.details)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, CmockaFailure):
            return str(excinfo.value) or "(cmocka printed nothing)"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, "unit: %s" % self.name


class CmockaBinary(pytest.File):
    def collect(self):
        planned, results, (status, tail) = run_cmocka(str(self.path))
        failed = any(r[1] == "fail" for r in results)
        for name, outcome, details in results:
            yield CmockaItem.from_parent(self, name=name, outcome=outcome,
                                         details=details)
        why = None
        if planned > len(results):
            for i in range(len(results), planned):
                yield CmockaItem.from_parent(
                    self, name="test %d of %d" % (i + 1, planned),
                    outcome="fail", details="did not report a result "
                    "(%s)\n%s" % (status or "exit status 0", tail))
        elif not planned and not results:
            why = "no TAP output (%s); is it a cmocka test?" % (
                status or "exit status 0")
        elif status and not failed:
            why = "%s with no failed test reported" % status
        if why:
            yield CmockaItem.from_parent(self, name="exit", outcome="fail",
                                         details=why + "\n" + tail)


def has_source(name):
    return bool(glob.glob(os.path.join(ROOT, "tests", "unit", "*",
                                       name + ".c")))


def pytest_collect_file(file_path, parent):
    # The binaries have no suffix (their .d files sit next to them); one
    # whose source is gone is a leftover of an older tree.
    if (str(file_path.parent) == UNIT_BIN and
            file_path.name.startswith("test_") and "." not in file_path.name
            and os.access(str(file_path), os.X_OK)
            and has_source(file_path.name)):
        return CmockaBinary.from_parent(parent, path=file_path)
    return None


# ---- integration tests: one timeout each -------------------------------

def pytest_collection_modifyitems(session, config, items):
    for item in items:
        if isinstance(item, CmockaItem):
            continue        # run_cmocka has its own timeout
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TEST_TIMEOUT,
                                                method="signal"))


def pytest_sessionstart(session):
    if os.geteuid() != 0:
        print("integration tests need root: every one of them will fail",
              file=sys.stderr)


# ---- the closing line ---------------------------------------------------

class Tally:
    """One outcome per test id: failed if any phase failed."""

    def __init__(self):
        self.outcome = {}
        self.collect_errors = 0

    def pytest_runtest_logreport(self, report):
        prev = self.outcome.get(report.nodeid)
        if report.failed:
            self.outcome[report.nodeid] = "failed"
        elif report.skipped and prev != "failed":
            self.outcome[report.nodeid] = "skipped"
        elif report.when == "call" and prev is None:
            self.outcome[report.nodeid] = "passed"

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors += 1

    def counts(self):
        values = list(self.outcome.values())
        failed = values.count("failed") + self.collect_errors
        if not values and not self.collect_errors:
            failed = 1      # nothing ran: a wrong -k, or nothing built
        return values.count("passed"), failed, values.count("skipped")

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config):
        # After pytest's own summary, so this is the last line.
        passed, failed, skipped = self.counts()
        if not self.outcome and not self.collect_errors:
            print("no test ran (nothing selected or nothing built: "
                  "make test builds the unit tests and targets)")
        if skipped:
            print("%d skipped" % skipped)
        print("%d passed, %d failed" % (passed, failed))
        sys.stdout.flush()


def pytest_configure(config):
    if not config.option.collectonly:
        config.pluginmanager.register(Tally(), "leaktrace-tally")
