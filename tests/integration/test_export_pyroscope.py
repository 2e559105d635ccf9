# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""--pyroscope URL: pushes to a loopback receiver, and what happens without.

A small HTTP server on 127.0.0.1 stands in for Pyroscope and records each
request: path, parameters, body. With no server at all, or one that takes
connections and never answers, tracing and reports must go on, the error
must be said once, and no report may be held up longer than the budget.
"""

import http.server
import re
import socket
import threading
import time
import urllib.parse

from ltharness import LTTestCase, find_process

BUDGET_S = 2.0      # PYRO_BUDGET_MS
NAME = re.compile(r"^(?P<app>[^{]+)\.inuse_space\{(?P<labels>[^}]*)\}$")


class Receiver(http.server.ThreadingHTTPServer):
    """Answers 200 to everything and keeps the POSTs."""

    daemon_threads = True

    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), Handler)

    def posts(self):
        with self.lock:
            return list(self.requests)


class Handler(http.server.BaseHTTPRequestHandler):

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        url = urllib.parse.urlsplit(self.path)
        with self.server.lock:
            self.server.requests.append({
                "path": url.path,
                "query": urllib.parse.parse_qs(url.query,
                                               keep_blank_values=True),
                "headers": dict(self.headers), "body": body,
                "time": time.time()})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def folded_lines(body):
    out = []
    for line in body.decode("utf-8").splitlines():
        stack, _, nbytes = line.rpartition(" ")
        out.append((stack.split(";"), int(nbytes)))
    return out


def labels(name):
    m = NAME.match(name)
    if not m:
        raise AssertionError("name %r is not APP.inuse_space{LABELS}" % name)
    return m.group("app"), dict(kv.split("=", 1)
                                for kv in m.group("labels").split(","))


class PyroscopeTest(LTTestCase):

    def receiver(self):
        srv = Receiver()
        t = threading.Thread(target=srv.serve_forever, daemon=True)
        t.start()
        self.addCleanup(t.join, 5)
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        return srv

    def wait_reports(self, lt, n, timeout=30):
        deadline = time.monotonic() + timeout
        while len(lt.reports()) < n:
            self.assertTrue(lt.alive(), lt.describe())
            self.assertLess(time.monotonic(), deadline,
                            "fewer than %d reports\n%s" % (n, lt.describe()))
            time.sleep(0.1)

    def pyroscope_lines(self, lt):
        return [l for l in lt.lines("stderr") if "pyroscope" in l]

    def test_pushes(self):
        """each report is pushed: /ingest, parameters, labels, folded body"""
        srv = self.receiver()
        url = "http://127.0.0.1:%d" % srv.server_address[1]
        t = self.start_target("leak_basic", 6, 7000)
        lt = self.start_tracer(["--json", "-T", "1000", "--pyroscope", url,
                                "--app-name", "demo", "--label", "env=test",
                                "--label", "team=mem", "-p", t.ready_pid,
                                "1"])
        t.go()
        expect = t.wait_expect()
        self.wait_reports(lt, len(lt.reports()) + 2)
        self.assertEqual(lt.stop(), 0, lt.describe())
        final = lt.final_report()
        proc = find_process(final, t.ready_pid)
        self.assertIsNotNone(proc, lt.describe())
        posts = srv.posts()
        self.assertGreaterEqual(len(posts), 2, lt.describe())
        self.assertEqual(self.pyroscope_lines(lt), [])
        for p in posts:
            self.assertEqual(p["path"], "/ingest")
            q = {k: v[0] for k, v in p["query"].items()}
            self.assertEqual(q["format"], "folded")
            self.assertEqual(q["units"], "bytes")
            self.assertEqual(q["aggregationType"], "average")
            self.assertEqual(q["spyName"], "leaktrace")
            frm, until = int(q["from"]), int(q["until"])
            self.assertLessEqual(frm, until)
            self.assertLess(abs(until - p["time"]), 5)
            app, lab = labels(q["name"])
            self.assertEqual(app, "demo")
            self.assertEqual(lab["pid"], str(t.ready_pid))
            self.assertEqual(lab["command"], "leak_basic")
            self.assertEqual(lab["env"], "test")
            self.assertEqual(lab["team"], "mem")
            self.assertEqual(lab["host"], re.sub(
                r"[^A-Za-z0-9_.:/@+-]", "_", socket.gethostname()))
            self.assertEqual(int(p["headers"]["Content-Length"]),
                             len(p["body"]))
        # The last push is the final report's outstanding memory.
        lines = folded_lines(posts[-1]["body"])
        self.assertEqual(sum(b for _, b in lines),
                         proc["heap_bytes"] + proc["mapped_bytes"])
        self.assertEqual(sum(b for s, b in lines if s[-1] == "leak_here"),
                         sum(e["bytes"] for e in expect["expect"]
                             if e["func"] == "leak_here"))

    def test_receiver_down(self):
        """nothing listening: one warning, reports and tracing go on"""
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        t = self.start_target("leak_basic", 4, 3000)
        lt = self.start_tracer(["--json", "-T", "1000", "--pyroscope",
                                "http://127.0.0.1:%d/" % port, "-p",
                                t.ready_pid, "500ms"])
        t.go()
        expect = t.wait_expect()
        self.wait_reports(lt, len(lt.reports()) + 4)
        self.assertEqual(lt.stop(), 0, lt.describe())
        proc = find_process(lt.final_report(), t.ready_pid)
        self.assert_expect(expect, proc, lt.final_report(), lt)
        warned = self.pyroscope_lines(lt)
        self.assertEqual(len(warned), 1, lt.describe())
        self.assertIn("cannot push to http://127.0.0.1:%d" % port, warned[0])
        self.assertIn("refused", warned[0])

    def test_receiver_hangs(self):
        """a server that never answers holds no report longer than 2 s"""
        hole = socket.socket()
        hole.bind(("127.0.0.1", 0))
        hole.listen(64)   # connections queue up, nobody reads them
        self.addCleanup(hole.close)
        url = "http://127.0.0.1:%d" % hole.getsockname()[1]
        t = self.start_target("leak_basic", 4, 3000)
        lt = self.start_tracer(["--json", "-T", "1000", "--pyroscope", url,
                                "-p", t.ready_pid, "1"])
        t.go()
        expect = t.wait_expect()
        self.wait_reports(lt, len(lt.reports()) + 3, timeout=40)
        stopped = time.monotonic()
        self.assertEqual(lt.stop(), 0, lt.describe())
        self.assertLess(time.monotonic() - stopped, BUDGET_S + 3,
                        "exit held up by the push")
        reports = lt.reports()
        gaps = [b["elapsed_s"] - a["elapsed_s"]
                for a, b in zip(reports, reports[1:])]
        self.assertTrue(gaps and max(gaps) < 1 + BUDGET_S + 0.7,
                        "report intervals %s" % gaps)
        proc = find_process(lt.final_report(), t.ready_pid)
        self.assert_expect(expect, proc, lt.final_report(), lt)
        warned = self.pyroscope_lines(lt)
        self.assertEqual(len(warned), 1, lt.describe())
        self.assertIn("timed out", warned[0])
