# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""-c "CMD ARGS": leaktrace runs the command traced from its first
instruction and exits by itself (status 0) when it exits. The command
lingers 300 ms after its workload: one that lives only milliseconds can be
gone before leaktrace reads its memory map (a documented limit: the bytes
stay right, the names are lost)."""

import json
import os
import re
import signal

from ltharness import (BENIGN_LOSSES, LTTestCase, find_process,
                       is_expect_line)

EXIT_TIMEOUT = 30


class CommandTest(LTTestCase):

    def run_command(self, command, env=None, allowed=BENIGN_LOSSES):
        lt = self.start_tracer(["--json", "-T", "1000", "-c", command,
                                "1000"], env=env, wait=False)
        rc = lt.wait(EXIT_TIMEOUT, "exit by itself when the command exited")
        self.assertEqual(rc, 0, "leaktrace exit status\n" + lt.describe())
        m = None
        for line in lt.lines("stderr"):
            m = re.match(r"leaktrace: tracing command .*\(pid (\d+)\)", line)
            if m:
                break
        self.assertTrue(m, 'no "leaktrace: tracing command ... (pid N)" '
                        "line\n" + lt.describe())
        pid = int(m.group(1))
        expects = [json.loads(l) for l in lt.lines("stdout")
                   if is_expect_line(l)]
        self.assertEqual(len(expects), 1, "the command's expect line (on "
                         "leaktrace's stdout)\n" + lt.describe())
        final = lt.final_report()
        proc = find_process(final, pid)
        self.assert_expect(expects[0], proc, final, lt, absent=("balanced",))
        self.assert_no_bad_losses(final, allowed)
        return expects[0], proc

    def test_command_with_arguments(self):
        """-c "tests/targets/bin/leak_basic --now --exit 7 1000" """
        expect, proc = self.run_command(
            "tests/targets/bin/leak_basic --now --exit --linger 7 1000")
        # The arguments reached the command: 7 blocks of 1000 bytes (the
        # traced values were compared with this line above).
        self.assertEqual(expect["expect"][0],
                         {"func": "leak_here", "kind": "heap",
                          "bytes": 7000, "count": 7})

    def test_command_found_in_path(self):
        """PATH=tests/targets/bin:$PATH -c "leak_basic --now --exit 3 100" """
        env = dict(os.environ)
        env["PATH"] = "tests/targets/bin:" + env.get("PATH", "/usr/bin:/bin")
        expect, proc = self.run_command(
            "leak_basic --now --exit --linger 3 100", env=env)
        self.assertEqual(expect["expect"][0],
                         {"func": "leak_here", "kind": "heap",
                          "bytes": 300, "count": 3})

    def test_stop_signal_leaves_command_running(self):
        """SIGTERM to leaktrace alone (a service manager's stop): the final
        report, then leaktrace exits without waiting for its command, which
        keeps running untraced and is said to."""
        lt = self.start_tracer(["--json", "-c", "sleep 300", "1000"])
        m = re.search(r"leaktrace: tracing command .*\(pid (\d+)\)",
                      lt.text("stderr"))
        self.assertTrue(m, lt.describe())
        pid = int(m.group(1))
        self.addCleanup(lambda: os.path.exists("/proc/%d" % pid) and
                        os.kill(pid, signal.SIGKILL))
        rc = lt.stop(signal.SIGTERM)
        self.assertEqual(rc, 0, lt.describe())
        self.assertTrue(lt.final_report()["final"])
        self.assertIn("command sleep 300 (pid %d) is still running, no "
                      "longer traced" % pid, lt.text("stderr"))
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        self.assertNotIn(state, ("Z", "X"), "the command was stopped")
