# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Flask under gunicorn (Debian packages) with 2 workers: leaktrace -p on
the master follows the workers it already has, and the /leak view is
reported with its line in each worker that served it; /balanced is not."""

import os
import socket
import threading
import time
import urllib.request

from ltharness import LTTestCase, ROOT, Proc, find_process

APP_DIR = os.path.join(ROOT, "demo")
APP = os.path.join(APP_DIR, "app.py")
BLOCK = (1 << 20) + 1  # bytearray(1 MiB) asks malloc for one byte more
REQUESTS = 12


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def leak_line():
    with open(APP) as f:
        for number, text in enumerate(f, 1):
            if text.rstrip().endswith("# the leak"):
                return number
    raise LookupError("leak marker")


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()


def python_frames(stack):
    return [(f["symbol"], f.get("line")) for f in stack["frames"]
            if f.get("kind") == "python"]


class GunicornTest(LTTestCase):

    def start_gunicorn(self, port):
        g = Proc(["/usr/bin/python3", "-m", "gunicorn", "--workers", "2",
                  "--bind", "127.0.0.1:%d" % port, "--chdir", APP_DIR,
                  "app:app"], name="gunicorn")
        self.addCleanup(g.kill)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                get("http://127.0.0.1:%d/balanced" % port)
                return g
            except OSError:
                time.sleep(0.2)
        self.fail("gunicorn did not start\n" + g.describe())

    def load(self, port, view, n):
        """n requests from two clients at once; the pids that served."""
        served = []

        def client(count):
            for _ in range(count):
                served.append(int(get("http://127.0.0.1:%d/%s" %
                                      (port, view)).split()[1]))
        threads = [threading.Thread(target=client, args=(n // 2,))
                   for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        return served

    def test_flask_gunicorn_two_workers(self):
        """gunicorn master -p: each worker's /leak line, /balanced absent"""
        port = free_port()
        g = self.start_gunicorn(port)
        lt = self.start_tracer(["--json", "-T", "1000", "-p", g.pid,
                                "1000"])
        leaks = self.load(port, "leak", REQUESTS)
        self.load(port, "balanced", REQUESTS)
        self.assertEqual(lt.stop(), 0, lt.describe())
        final = lt.final_report()
        line = leak_line()
        for pid in sorted(set(leaks)):
            proc = find_process(final, pid)
            self.assertIsNotNone(proc, "worker %d not reported\n%s" %
                                 (pid, lt.describe()))
            stacks = proc["top_outstanding"]
            leaked = sum(st["heap_bytes"] for st in stacks
                         if python_frames(st)[:1] == [("app.leak", line)])
            self.assertGreaterEqual(leaked, leaks.count(pid) * BLOCK,
                                    "worker %d: /leak bytes" % pid)
            self.assertLess(leaked, leaks.count(pid) * BLOCK + (64 << 10))
            balanced = sum(st["heap_bytes"] for st in stacks
                           if python_frames(st)[:1] and
                           python_frames(st)[0][0] == "app.balanced")
            self.assertLess(balanced, BLOCK, "worker %d: /balanced holds "
                            "memory" % pid)
