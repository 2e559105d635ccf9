# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Bad inputs: exactly one "leaktrace:" line on stderr, a non-zero exit
status, and nothing of leaktrace left attached afterwards."""

import os
import shutil
import subprocess
import tempfile
import threading

from ltharness import LTTestCase, LEAKTRACE, ROOT, bpf_state, \
    assert_nothing_attached

RUN_TIMEOUT = 20


class ErrorsTest(LTTestCase):

    def setUp(self):
        super().setUp()
        self.before = bpf_state()

    def live_pid(self):
        """A live process to point -p at (a target waiting for go)."""
        return self.start_target("leak_basic").ready_pid

    def run_bad(self, args, prefix=(), messages=None, race_ok=False):
        argv = list(prefix) + [LEAKTRACE] + [str(a) for a in args]
        try:
            r = subprocess.run(argv, cwd=ROOT, capture_output=True,
                               text=True, timeout=RUN_TIMEOUT,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            self.fail("%s still running after %d s (accepted a bad input?)"
                      "\nstderr: %s" % (" ".join(argv), RUN_TIMEOUT,
                                        e.stderr))
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        problems = []
        if race_ok and r.returncode == 0 and self.traced_then_gone(r):
            # It won the race: attached, then the process exited; a final
            # report and status 0 are right too, with nothing left behind.
            assert_nothing_attached(self, self.before)
            return None
        if r.returncode == 0:
            problems.append("exit status 0 for a bad input")
        if len(lines) != 1:
            problems.append("%d lines on stderr, want exactly one"
                            % len(lines))
        elif not lines[0].startswith("leaktrace:"):
            problems.append("stderr line without the leaktrace: prefix")
        elif messages and not any(m in lines[0] for m in messages):
            problems.append("stderr line says none of %s" % (messages,))
        try:
            assert_nothing_attached(self, self.before)
        except AssertionError as e:
            problems.append(str(e))
        if problems:
            self.fail("%s\n  status %d\n  stderr: %r\n  stdout: %r\n  - %s"
                      % (" ".join(argv), r.returncode, r.stderr,
                         r.stdout[-500:], "\n  - ".join(problems)))
        return lines[0]

    @staticmethod
    def traced_then_gone(r):
        return ("traced process exited" in r.stderr and
                "final report" in r.stdout)

    def test_unknown_pid(self):
        """-p PID of a process that was started and reaped"""
        p = subprocess.Popen(["true"])
        p.wait()
        self.assertFalse(os.path.exists("/proc/%d" % p.pid))
        self.run_bad(["-p", p.pid, "1"])

    def test_not_root(self):
        """setpriv --reuid=65534 ... ./leaktrace -p PID"""
        pid = self.live_pid()
        self.run_bad(["-p", pid, "1"],
                     prefix=["setpriv", "--reuid=65534", "--regid=65534",
                             "--clear-groups"])

    def test_bad_interval_abc(self):
        self.run_bad(["-p", self.live_pid(), "abc"])

    def test_bad_interval_zero(self):
        self.run_bad(["-p", self.live_pid(), "0"])

    def test_bad_interval_negative(self):
        self.run_bad(["-p", self.live_pid(), "-5"])

    def test_bad_count_abc(self):
        self.run_bad(["-p", self.live_pid(), "1", "abc"])

    def test_bad_count_zero(self):
        self.run_bad(["-p", self.live_pid(), "1", "0"])

    def test_bad_count_negative(self):
        self.run_bad(["-p", self.live_pid(), "1", "-3"])

    def test_bad_max_stacks(self):
        """--max-stacks below 16, above 4194304, or not a number"""
        for bad in ("15", "4194305", "many"):
            self.run_bad(["--max-stacks", bad, "-p", self.live_pid(), "1"],
                         messages=["--max-stacks"])

    def test_lib_in_missing_directory(self):
        """--lib /nonexistent-directory/libc.so.6"""
        d = tempfile.mkdtemp(prefix="lt-lib-")
        shutil.rmtree(d)
        self.run_bad(["--lib", os.path.join(d, "libc.so.6"), "-p",
                      self.live_pid(), "1", "1"])

    def test_lib_is_directory(self):
        """--lib DIRECTORY"""
        d = tempfile.mkdtemp(prefix="lt-lib-")
        self.addCleanup(shutil.rmtree, d, True)
        self.run_bad(["--lib", d, "-p", self.live_pid(), "1", "1"])

    def test_pid_gone_during_attach(self):
        """-p PID of a process exiting while leaktrace starts (raced)"""
        for delay in ("0", "0.05", "0.1"):
            p = subprocess.Popen(["sleep", delay])
            reaper = threading.Thread(target=p.wait, daemon=True)
            reaper.start()
            try:
                self.run_bad(["-p", p.pid, "1", "1"], messages=(
                    "no process", "exited while leaktrace was attaching"),
                    race_ok=True)
            finally:
                reaper.join(5)

    def test_pid_exits_mid_attach(self):
        """-p PID of exit_on_probe: it exits when the first uprobe lands"""
        t = self.start_target("exit_on_probe", now=True)
        reaper = threading.Thread(target=t.popen.wait, daemon=True)
        reaper.start()
        self.run_bad(["-p", t.pid, "1", "1"], messages=(
            "no process", "exited while leaktrace was attaching"),
            race_ok=True)
        reaper.join(5)
        self.assertEqual(t.popen.returncode, 0, "exit_on_probe did not see "
                         "a probe (status %s); stderr: %s"
                         % (t.popen.returncode, t.text("stderr")))
