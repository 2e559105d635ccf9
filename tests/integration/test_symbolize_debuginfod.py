# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Debug info from a debuginfod server (DEBUGINFOD_URLS): a local
debuginfod (Debian package debuginfod) serving the debug file of a target
whose debug sections were stripped (its .symtab kept). With the server up
the frames get file:line; with it stopped, or answering nothing at all,
the report still comes promptly, with names only.

debuginfod 0.188 cannot be told which address to listen on: it listens on
all addresses of a free port, and the client is pointed at 127.0.0.1.
Each run gets its own client cache (DEBUGINFOD_CACHE_PATH), so nothing
is served from an earlier run's download.
"""

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

from ltharness import target_path, tail
from test_symbolize import SymTestCase, build_id

SERVER_START_TIMEOUT = 30
# From SIGINT to leaktrace's exit, the final report included: attach and
# detach take a few seconds; a dead server may add its 3 s cut-off.
PROMPT_STOP = 12


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DebuginfodServer:
    """debuginfod -F over a directory, on a free port."""

    def __init__(self, tc, directory):
        exe = shutil.which("debuginfod")
        if not exe:
            tc.fail("debuginfod not installed: apt-get install debuginfod "
                    "(make deps)")
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        work = tc.tmpdir("lt-dfd-db-")
        self.log = open(os.path.join(work, "log"), "w+")
        self.popen = subprocess.Popen(
            [exe, "-F", "-p", str(self.port), "-d",
             os.path.join(work, "db.sqlite"), "-t", "0", "-g", "0",
             directory], stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT)
        tc.addCleanup(self.stop)

    def log_text(self):
        self.log.flush()
        self.log.seek(0)
        return tail(self.log.read())

    def serves(self, bid, timeout=SERVER_START_TIMEOUT):
        """Wait until the server has indexed and serves bid."""
        url = "%s/buildid/%s/debuginfo" % (self.url, bid)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                break
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise AssertionError("debuginfod does not serve %s:\n%s"
                             % (url, self.log_text()))

    def stop(self):
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        self.log.close() if not self.log.closed else None


class DebuginfodTest(SymTestCase):

    binary = "sym/sym_dbgd"

    def client_env(self, url):
        env = dict(os.environ)
        env.pop("DEBUGINFOD_TIMEOUT", None)
        env["DEBUGINFOD_URLS"] = url
        env["DEBUGINFOD_CACHE_PATH"] = self.tmpdir("lt-dfd-cache-")
        return env

    def start_server(self):
        served = self.tmpdir("lt-dfd-srv-")
        shutil.copyfile(target_path(self.binary) + ".debug",
                        os.path.join(served, "sym_dbgd.debug"))
        server = DebuginfodServer(self, served)
        server.serves(build_id(target_path(self.binary)))
        return server

    def timed_trace(self, env):
        """The flow of SymTestCase.trace, timing the stop (the final
        report is the only one, so it symbolizes then)."""
        t = self.start_target(self.binary, 4, 333)
        lt = self.start_tracer(["--json", "-T", "1000", "-p", t.ready_pid,
                                "1000"], env=env)
        t.go()
        expect = t.wait_expect()
        start = time.monotonic()
        self.assertEqual(lt.stop(), 0, lt.describe())
        took = time.monotonic() - start
        final = lt.final_report()
        proc = next(p for p in final["processes"]
                    if p["pid"] == t.ready_pid)
        self.assert_expect(expect, proc, final, lt)
        return lt, proc, took

    def test_server_gives_file_and_line(self):
        """server up: the stripped target's frames get file:line"""
        server = self.start_server()
        lt, proc, took = self.timed_trace(self.client_env(server.url))
        self.assert_leak_frames(proc, "sym_dbgd", lt)

    def test_server_stopped(self):
        """server stopped: names only, and the report comes promptly"""
        server = self.start_server()
        server.stop()
        lt, proc, took = self.timed_trace(self.client_env(server.url))
        self.assert_names_only(proc, "sym_dbgd", lt)
        self.assertLess(took, PROMPT_STOP, "final report took %.1f s with "
                        "the debuginfod server stopped" % took)

    def test_server_not_answering(self):
        """a server that accepts and never answers: cut off in seconds"""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(16)    # connections complete, nobody answers
            url = "http://127.0.0.1:%d" % s.getsockname()[1]
            lt, proc, took = self.timed_trace(self.client_env(url))
        self.assert_names_only(proc, "sym_dbgd", lt)
        self.assertLess(took, PROMPT_STOP, "final report took %.1f s with "
                        "a debuginfod server that does not answer" % took)
