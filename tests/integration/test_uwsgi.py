# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""uwsgi (Debian's uwsgi-core with its python3 plugin) serving
tests/targets/py/uwsgi_app.py: an executable whose name says nothing of
Python gets its interpreter from a plugin that links libpython. leaktrace
-p on the worker, and on the master following the worker it has, reports
the /leak blocks exactly under the app's Python frames at their file and
line, as the app's own /truth answer says; /balanced leaves nothing."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

from ltharness import LTTestCase, ROOT, Proc, find_process
from test_python import describe, python_frames, starts_with

UWSGI = "/usr/bin/uwsgi-core"
APP = os.path.join(ROOT, "tests", "targets", "py", "uwsgi_app.py")
REQUESTS = 12


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(port, path):
    url = "http://127.0.0.1:%d%s" % (port, path)
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read().decode())


def stop_uwsgi(u):
    """SIGINT: the master kills its workers and exits; then reap."""
    u.signal(signal.SIGINT)
    try:
        u.popen.wait(15)
    except subprocess.TimeoutExpired:
        pass  # kill() below
    u.kill()


class UwsgiTest(LTTestCase):

    def start_uwsgi(self, port):
        """One master, one worker; the worker's pid."""
        if not os.access(UWSGI, os.X_OK):
            self.fail("no %s: make deps (uwsgi-core, "
                      "uwsgi-plugin-python3)" % UWSGI)
        u = Proc([UWSGI, "--plugin", "python3", "--need-app",
                  "--http-socket", "127.0.0.1:%d" % port,
                  "--wsgi-file", APP, "--master", "--processes", "1",
                  "--die-on-term", "--disable-logging"], name="uwsgi")
        self.addCleanup(stop_uwsgi, u)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                return u, get_json(port, "/")["pid"]
            except OSError:
                if not u.alive():
                    break
                time.sleep(0.2)
        self.fail("uwsgi did not start\n" + u.describe())

    def serve(self, port, path, worker):
        for _ in range(REQUESTS):
            self.assertEqual(get_json(port, path)["pid"], worker)

    def check_app(self, port, worker, traced_pid):
        lt = self.start_tracer(["--json", "-T", "1000", "-p", traced_pid,
                                "1000"])
        self.serve(port, "/leak", worker)
        self.serve(port, "/balanced", worker)
        truth = get_json(port, "/truth")
        self.assertEqual(lt.stop(), 0, lt.describe())
        proc = find_process(lt.final_report(), worker)
        self.assertIsNotNone(proc, "worker %d not reported\n%s" %
                             (worker, lt.describe()))
        self.assertEqual((proc.get("python") or {}).get("version"),
                         truth["version"].rsplit(".", 1)[0], lt.describe())
        e = truth["expect"][0]
        self.assertEqual(e["count"], REQUESTS, truth)
        hits = [st for st in proc["top_outstanding"]
                if starts_with(python_frames(st), e["python_stack"])]
        got = (sum(st["heap_bytes"] for st in hits),
               sum(st["heap_count"] for st in hits))
        self.assertEqual(got, (e["bytes"], e["count"]),
                         "heap under %s\nstacks:\n%s\n%s" % (
                             e["python_stack"], describe(proc),
                             lt.describe()))
        for st in hits:
            leaf = [f for f in st["frames"] if f.get("kind") == "python"][0]
            self.assertEqual(os.path.realpath(leaf.get("file", "")),
                             os.path.realpath(APP), leaf)
        balanced = [st for st in proc["top_outstanding"]
                    if starts_with(python_frames(st), truth["absent"])]
        self.assertEqual(sum(st["heap_bytes"] for st in balanced), 0,
                         describe(proc))

    def test_uwsgi_worker_pid(self):
        """-p on a uwsgi worker: /leak exact under the app's frames"""
        port = free_port()
        _, worker = self.start_uwsgi(port)
        self.check_app(port, worker, worker)

    def test_uwsgi_master_pid(self):
        """-p on the uwsgi master follows its worker: /leak exact"""
        port = free_port()
        u, worker = self.start_uwsgi(port)
        self.assertNotEqual(worker, u.pid)
        self.check_app(port, worker, u.pid)
