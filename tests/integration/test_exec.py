# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""exec: a traced process that execs drops its blocks from before (they
went with the old image, they are not leaks), its allocator is found again
in the new image and its probes replaced. -c through a wrapper (env, sh -c,
nice) traces the final program with only its blocks; -p on a shell that
execs a jemalloc program is exact; a static binary under -c is named."""

import os
import tempfile

from ltharness import LATE_TABLE_LOSSES, LTTestCase, Target, target_path
import test_command

BLOCKS, SIZE = 1017, 3796


def heap_total(expect):
    return sum(e["bytes"] for e in expect["expect"] if e["kind"] == "heap")


class ExecTest(LTTestCase):

    run_command = test_command.CommandTest.run_command

    def only_program_blocks(self, command):
        # The wrapper's files have tables before it runs, the program it
        # execs gets its own at its first mmaps: its first stacks may be
        # walked without one (stack_no_table).
        expect, proc = self.run_command(command, allowed=LATE_TABLE_LOSSES)
        self.assertEqual(proc["heap_bytes"], heap_total(expect),
                         "blocks from before exec were counted")

    def test_env_wrapper(self):
        """-c "env PROG": only PROG's blocks"""
        self.only_program_blocks("env LT_X=1 %s --now --exit --linger %d %d"
                                 % (target_path("leak_basic"), BLOCKS, SIZE))

    def test_sh_wrapper(self):
        """-c "sh -c 'exec PROG'": only PROG's blocks"""
        self.only_program_blocks("sh -c 'exec %s --now --exit --linger %d %d'"
                                 % (target_path("leak_basic"), BLOCKS, SIZE))

    def test_nice_wrapper(self):
        """-c "nice PROG": only PROG's blocks"""
        self.only_program_blocks("nice %s --now --exit --linger %d %d"
                                 % (target_path("leak_basic"), BLOCKS, SIZE))

    def test_command_static_musl(self):
        """-c a static musl binary: exact, and named"""
        self.run_command("%s --now --exit --linger %d %d" % (
            target_path("leak_basic_musl"), BLOCKS, SIZE))

    def test_pid_execs_other_allocator(self):
        """-p a shell that execs a -ljemalloc program: probes replaced, exact"""
        gate = tempfile.mktemp(prefix="lt-exec-gate-")
        self.addCleanup(lambda: os.path.exists(gate) and os.unlink(gate))
        t = Target(["sh", "-c", "while [ ! -e %s ]; do sleep 0.05; done; "
                    "exec %s %d %d" % (gate, target_path("leak_basic_je"),
                                       BLOCKS, SIZE)], name="sh-exec")
        self.addCleanup(t.kill)
        t.ready_pid = t.pid
        lt = self.start_tracer(["--json", "-T", "1000", "-v", "-p", t.pid,
                                "1000"])
        open(gate, "w").close()         # exec now, traced
        t.wait_ready(timeout=20)
        self.assertEqual(t.ready_pid, t.pid)
        # The target cannot know when the new probes are live: -v says.
        lt.wait_line(lambda l: l.startswith("leaktrace: probe free at")
                     and "libjemalloc" in l, key="stderr", timeout=20,
                     what="jemalloc's probes")
        t.go()
        expect = t.wait_expect()
        self.assertEqual(lt.stop(), 0, lt.describe())
        final = lt.final_report()
        proc = [p for p in final["processes"] if p["pid"] == t.pid][0]
        self.assert_expect(expect, proc, final, lt, absent=("balanced",))
        self.assertEqual(proc["heap_bytes"], heap_total(expect))
        # The shell's own sleep children exec too: only the shell counts.
        dropped = [l for l in lt.lines("stderr")
                   if ("pid %d exec'd:" % t.pid) in l and
                   "blocks of the old image dropped" in l]
        self.assertEqual(len(dropped), 1, lt.describe())
