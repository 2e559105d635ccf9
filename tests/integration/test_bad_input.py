# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Output paths and hostile option values (issue 11 items 3 and 5).

Each bad case: exactly one "leaktrace:" line on stderr, the documented exit
status (2: invalid options or arguments), refused before anything is
attached. Output paths that are devices or FIFOs are written into and stay
what they were; -o keeps the reports apart from a -c command's stdout.
"""

import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import threading
import time

from ltharness import LTTestCase, LEAKTRACE, ROOT, bpf_state, \
    assert_nothing_attached, compare_expect, find_process, is_expect_line

RUN_TIMEOUT = 20
EXIT_USAGE = 2
OUTPUT_OPTIONS = ("--folded", "--svg", "--svg-growth", "--pprof", "-o")
EM_AARCH64 = 183


class BadInputTest(LTTestCase):

    def setUp(self):
        super().setUp()
        self.before = bpf_state()
        self.dir = tempfile.mkdtemp(prefix="lt-bad-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def live_pid(self):
        return self.start_target("leak_basic").ready_pid

    def run_lt(self, args, prefix=()):
        argv = list(prefix) + [LEAKTRACE] + [str(a) for a in args]
        try:
            return subprocess.run(argv, cwd=ROOT, capture_output=True,
                                  text=True, timeout=RUN_TIMEOUT,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            self.fail("%s still running after %d s\nstderr: %s"
                      % (" ".join(argv), RUN_TIMEOUT, e.stderr))

    def refused(self, args, message, status=EXIT_USAGE, prefix=()):
        """One stderr line containing message, exit status, nothing
        attached, no report printed. Returns the line."""
        r = self.run_lt(args, prefix)
        lines = r.stderr.splitlines()
        problems = []
        if r.returncode != status:
            problems.append("exit status %d, want %d" % (r.returncode,
                                                          status))
        if len(lines) != 1:
            problems.append("%d lines on stderr, want one" % len(lines))
        elif not lines[0].startswith("leaktrace: error: "):
            problems.append("not a leaktrace: error: line")
        elif message not in lines[0]:
            problems.append("the line does not say %r" % message)
        if "report" in r.stdout:
            problems.append("a report was printed: it started tracing")
        try:
            assert_nothing_attached(self, self.before)
        except AssertionError as e:
            problems.append(str(e))
        if problems:
            self.fail("leaktrace %s\n  status %d\n  stderr: %r\n  - %s" % (
                " ".join(map(str, args)), r.returncode, r.stderr,
                "\n  - ".join(problems)))
        return lines[0]

    def refused_output(self, path, message, prefix=()):
        pid = self.live_pid()
        for opt in OUTPUT_OPTIONS:
            with self.subTest(option=opt):
                self.refused([opt, path, "-p", pid, "1", "1"], message,
                             prefix=prefix)

    # ---- item 3: output paths ------------------------------------------

    def test_output_in_missing_directory(self):
        self.refused_output(self.path("missing/out"),
                            "No such file or directory")

    def test_output_is_directory(self):
        self.refused_output(self.dir, "is a directory")

    def test_output_on_read_only_filesystem(self):
        ro = self.path("ro")
        os.mkdir(ro)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m",
                        "lt-ro", ro], check=True)
        self.addCleanup(subprocess.run, ["umount", "-l", ro])
        self.refused_output(os.path.join(ro, "out"),
                            "Read-only file system")

    def test_output_without_permission(self):
        """As nobody, into a directory only root may write."""
        locked = self.path("locked")
        os.mkdir(locked, 0o755)
        os.chmod(self.dir, 0o755)
        self.refused_output(os.path.join(locked, "out"),
                            "Permission denied",
                            prefix=["setpriv", "--reuid=65534",
                                    "--regid=65534", "--clear-groups"])

    def test_output_block_device_refused(self):
        node = self.path("blk")
        os.mknod(node, 0o600 | stat.S_IFBLK, os.makedev(7, 200))
        self.refused_output(node, "not a regular file")
        self.assertTrue(stat.S_ISBLK(os.lstat(node).st_mode))

    def trace_with_outputs(self, opts):
        """leak_basic traced to its expect line with opts, then stopped."""
        t = self.start_target("leak_basic")
        lt = self.start_tracer(["-T", "1000"] + opts +
                               ["-p", t.ready_pid, "300ms"])
        t.go()
        t.wait_expect()
        rc = lt.stop()
        self.assertEqual(rc, 0, lt.describe())
        self.assertNotIn("warning", lt.text("stderr"), lt.describe())
        return lt

    def test_outputs_into_character_device(self):
        """--folded/--svg/--pprof onto a null device keep it a device."""
        null = self.path("null")
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        self.trace_with_outputs(["--folded", null, "--svg", null,
                                 "--svg-growth", null, "--pprof", null,
                                 "-o", null])
        st = os.lstat(null)
        self.assertTrue(stat.S_ISCHR(st.st_mode), "no longer a device")
        self.assertEqual(st.st_rdev, os.makedev(1, 3))
        self.assertEqual(os.listdir(self.dir), ["null"],
                         "temporary files left beside the device")

    def test_fifo_without_reader(self):
        """An output FIFO nobody reads is refused before attaching (each
        report would fail to open it)."""
        fifo = self.path("fifo")
        os.mkfifo(fifo)
        self.refused_output(fifo, "a FIFO with no reader")

    def test_folded_into_fifo(self):
        """--folded FIFO: written into (a reader gets the lines)."""
        fifo = self.path("fifo")
        os.mkfifo(fifo)
        got = []
        # O_RDWR keeps the FIFO open between reports, like a logger would.
        fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
        self.addCleanup(os.close, fd)

        def drain():
            import select
            while not stop.is_set():
                if select.select([fd], [], [], 0.2)[0]:
                    try:
                        got.append(os.read(fd, 65536))
                    except BlockingIOError:
                        pass
        stop = threading.Event()
        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        self.trace_with_outputs(["--folded", fifo])
        stop.set()
        reader.join(5)
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))
        text = b"".join(got).decode()
        self.assertRegex(text, r"leak_here[^\n]* \d+\n",
                         "no folded stack reached the reader")

    def test_output_replaces_regular_file_atomically(self):
        """A regular file is replaced whole: mode kept, no temp left."""
        out = self.path("out.folded")
        with open(out, "w") as f:
            f.write("old\n")
        os.chmod(out, 0o640)
        link = self.path("link.folded")
        os.symlink(out, link)
        self.trace_with_outputs(["--folded", link])
        self.assertTrue(os.path.islink(link), "the link was replaced")
        st = os.stat(out)
        self.assertEqual(st.st_mode & 0o777, 0o640)
        with open(out) as f:
            text = f.read()
        self.assertNotIn("old", text)
        self.assertRegex(text, r"leak_here[^\n]* \d+\n")
        self.assertEqual(sorted(os.listdir(self.dir)),
                         ["link.folded", "out.folded"])

    # ---- item 5: bad input ---------------------------------------------

    def test_lib_fifo(self):
        """--lib FIFO is refused at once, not opened and waited on."""
        fifo = self.path("lib.so")
        os.mkfifo(fifo)
        self.refused(["--lib", fifo, "-p", self.live_pid(), "1", "1"],
                     "not a regular file")

    def test_lib_other_architecture(self):
        """--lib with an aarch64 ELF header (libc's, e_machine patched)."""
        libc = "/lib/x86_64-linux-gnu/libc.so.6"
        with open(libc, "rb") as f:
            data = bytearray(f.read())
        data[18:20] = EM_AARCH64.to_bytes(2, "little")
        lib = self.path("libc-aarch64.so.6")
        with open(lib, "wb") as f:
            f.write(data)
        self.refused(["--lib", lib, "-p", self.live_pid(), "1", "1"],
                     "another architecture")

    def test_lib_not_elf(self):
        lib = self.path("lib.so")
        with open(lib, "w") as f:
            f.write("not an ELF file at all\n" * 10)
        self.refused(["--lib", lib, "-p", self.live_pid(), "1", "1"],
                     "not an ELF file")

    def test_pyroscope_url_with_crlf(self):
        """A CR/LF in the URL: refused, and printed escaped on one line."""
        line = self.refused(["--pyroscope", "http://127.0.0.1:4040/\r\nX: y",
                             "-p", self.live_pid(), "1", "1"],
                            "control characters")
        self.assertIn("\\x0d\\x0a", line)

    def test_label_with_newline(self):
        self.refused(["--pyroscope", "http://127.0.0.1:4040", "--label",
                      "env=a\nb", "-p", self.live_pid(), "1", "1"],
                     "--label")

    def test_command_empty(self):
        self.refused(["-c", "", "1", "1"], "give a command")

    def test_command_blank(self):
        self.refused(["-c", "   ", "1", "1"], "give a command")

    def test_command_unbalanced_quote(self):
        self.refused(["-c", "echo \"unclosed", "1", "1"], "unbalanced")

    def test_command_with_escape_sequence(self):
        """A hostile -c string is shown escaped: no raw ESC on stderr."""
        line = self.refused(["-c", "\x1b[2Jnope", "1", "1"],
                            "command not found")
        self.assertNotIn("\x1b", line)
        self.assertIn("\\x1b", line)

    def test_command_not_found(self):
        """A command the PATH search cannot find is an invalid argument,
        refused before anything is forked or attached."""
        self.refused(["-c", "lt-no-such-command-zz --flag", "1", "1"],
                     "lt-no-such-command-zz: command not found")

    def test_command_missing_path(self):
        self.refused(["-c", "/nonexistent/lt/prog", "1", "1"],
                     "No such file or directory")

    def test_command_is_directory(self):
        self.refused(["-c", "/tmp", "1", "1"], "Is a directory")

    def test_command_not_executable(self):
        data = self.path("data.txt")
        with open(data, "w") as f:
            f.write("not a program\n")
        os.chmod(data, 0o644)
        self.refused(["-c", data, "1", "1"], "Permission denied")

    def test_pid_with_blank_or_sign(self):
        """Only digits make a PID: strtol alone would take " 12" and "+12"."""
        pid = self.live_pid()
        for arg in (" %d" % pid, "+%d" % pid, "%d " % pid):
            with self.subTest(arg=arg):
                self.refused(["-p", arg, "1", "1"], "invalid PID")

    def test_two_outputs_on_one_file(self):
        """-o X --folded X would overwrite each other: refused."""
        out = self.path("out")
        self.refused(["-o", out, "--folded", out, "-p", self.live_pid(),
                      "1", "1"], "--folded and -o name the same file")
        self.assertFalse(os.path.exists(out))

    def test_huge_command_word(self):
        """A 100 KB -c word: one line, its middle cut, the reason kept."""
        word = "lt-no-such-" + "a" * 100000
        line = self.refused(["-c", word, "1", "1"], "command not found")
        self.assertLess(len(line), 6000)
        self.assertIn("bytes)...", line)

    def test_reports_unwritable_at_run_time(self):
        """A report stream that fails (disk full) is said once, counted and
        makes the exit status 1; /dev/full stands for the full disk."""
        pid = self.live_pid()
        for args, where in ((["-o", "/dev/full"], "/dev/full"),
                            (["--json"], "standard output")):
            with self.subTest(where=where):
                with open("/dev/full", "w") as full:
                    r = subprocess.run(
                        [LEAKTRACE] + args + ["-p", str(pid), "300ms", "3"],
                        cwd=ROOT, stdout=full, stderr=subprocess.PIPE,
                        text=True, timeout=RUN_TIMEOUT,
                        stdin=subprocess.DEVNULL)
                warns = [l for l in r.stderr.splitlines()
                         if "cannot write the report" in l]
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertEqual(len(warns), 1, r.stderr)
                self.assertIn("to %s: No space left on device" % where,
                              warns[0])
                self.assertIn("3 of 3 reports could not be written",
                              r.stderr)
        assert_nothing_attached(self, self.before)

    def test_kernel_thread(self):
        """A kernel thread has no user memory: refused, not traced."""
        kthread = None
        for name in sorted(os.listdir("/proc"), key=lambda n: (len(n), n)):
            try:
                with open("/proc/%s/stat" % name) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[6]) & 0x00200000:         # PF_KTHREAD
                kthread = int(name)
                break
        self.assertIsNotNone(kthread, "no kernel thread in /proc")
        self.refused(["-p", kthread, "1", "1"], "is a kernel thread",
                     status=1)

    def test_zombie(self):
        """A process that exited but was not reaped is said to be one."""
        z = subprocess.Popen(["/bin/true"])
        self.addCleanup(z.wait)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with open("/proc/%d/stat" % z.pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
            time.sleep(0.01)
        self.refused(["-p", z.pid, "1", "1"], "has exited (a zombie",
                     status=1)

    def test_duplicate_pid(self):
        """-p PID -p PID traces one process and says so."""
        t = self.start_target("leak_basic")
        lt = self.start_tracer(["--json", "-p", t.ready_pid, "-p",
                                t.ready_pid, "300ms"])
        m = re.search(r"leaktrace: tracing (.*?):", lt.text("stderr"))
        self.assertEqual(m.group(1) if m else None,
                         "PID %d (leak_basic)" % t.ready_pid, lt.describe())
        t.go()
        t.wait_expect()
        self.assertEqual(lt.stop(), 0, lt.describe())
        pids = [p["pid"] for p in lt.final_report()["processes"]]
        self.assertEqual(pids, [t.ready_pid])

    def test_output_keeps_command_stdout_apart(self):
        """-o FILE --json -c CMD: the command's output stays on stdout,
        every line of FILE is a report."""
        out = self.path("reports.json")
        lt = self.start_tracer(
            ["--json", "-T", "1000", "-o", out, "-c",
             "tests/targets/bin/leak_basic --now --exit --linger 7 1000",
             "200ms"], wait=False)
        rc = lt.wait(30, "exit after the command")
        self.assertEqual(rc, 0, lt.describe())
        stdout = lt.lines("stdout")
        expects = [json.loads(l) for l in stdout if is_expect_line(l)]
        self.assertEqual(len(expects), 1, lt.describe())
        self.assertFalse([l for l in stdout if '"processes"' in l],
                         "a report reached stdout")
        with open(out) as f:
            reports = [json.loads(l) for l in f if l.strip()]
        self.assertTrue(reports and reports[-1].get("final"),
                        "no final report in %s" % out)
        m = re.search(r"\(pid (\d+)\)", lt.text("stderr"))
        proc = find_process(reports[-1], int(m.group(1)))
        self.assertFalse(compare_expect(expects[0], proc,
                                        absent=("balanced",)))
