# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Names a target controls (its comm, Python function and file names) with
quotes, backslashes, control characters, an escape sequence, '<&>' and a
lone surrogate (invalid UTF-8): every --json line is valid UTF-8 and valid
JSON with the names repaired (U+FFFD) and escaped, the SVG is well-formed
XML, and every pprof string is valid UTF-8."""

import base64
import gzip
import json
import os
import shutil
import tempfile
import xml.etree.ElementTree as ET

from ltharness import LTTestCase, ROOT, find_process
from test_export import jsonschema_errors, load_schema

SCRIPT = os.path.join(ROOT, "tests", "targets", "py", "pyhostile.py")
PYTHON = "/usr/bin/python3"


def varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7f) << shift
        shift += 7
        if b < 0x80:
            return value, i


def pprof_strings(data):
    """The string table (field 6) of a pprof Profile message, as bytes."""
    out, i = [], 0
    while i < len(data):
        key, i = varint(data, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, i = varint(data, i)
        elif wire == 2:
            n, i = varint(data, i)
            if field == 6:
                out.append(data[i:i + n])
            i += n
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            raise AssertionError("bad wire type %d at %d" % (wire, i))
    return out


class HostileNamesTest(LTTestCase):

    def test_hostile_names(self):
        """pyhostile.py: --json (-o), --svg, --pprof stay valid"""
        if not os.access(PYTHON, os.X_OK):
            self.fail("%s not found" % PYTHON)
        d = tempfile.mkdtemp(prefix="lt-hostile-")
        self.addCleanup(shutil.rmtree, d, True)
        out, svg, pprof = (os.path.join(d, n) for n in
                           ("report.json", "out.svg", "out.pb.gz"))
        t = self.start_target("pyhostile", argv=[PYTHON, SCRIPT])
        lt = self.start_tracer(["--json", "-o", out, "--svg", svg,
                                "--pprof", pprof, "-T", "1000", "-p",
                                t.ready_pid, "1000"])
        t.go()
        expect = t.wait_expect()
        self.assertEqual(lt.stop(), 0, lt.describe())

        name = base64.b64decode(expect["name"]).decode("utf-8", "replace")
        file = base64.b64decode(expect["file"]).decode("utf-8", "replace")
        comm = base64.b64decode(expect["comm"]).decode("utf-8", "replace")
        with open(out, "rb") as f:
            lines = f.read().splitlines()
        self.assertTrue(lines, "no report in " + out)
        schema = load_schema()
        reports = []
        for raw in lines:
            text = raw.decode("utf-8")      # strict: raises on bad bytes
            report = json.loads(text)
            self.assertEqual(jsonschema_errors(report, schema), [], text)
            reports.append(report)
        proc = find_process(reports[-1], t.ready_pid)
        self.assertIsNotNone(proc, lines[-1])
        self.assertEqual(proc["comm"], comm)
        frames = [f for st in proc["top_outstanding"] for f in st["frames"]
                  if f["kind"] == "python" and f["symbol"].endswith(name)]
        self.assertTrue(frames, "no frame named %r:\n%s" % (name, lines[-1]))
        self.assertEqual(frames[0]["file"], file)
        leaked = sum(st["heap_bytes"] for st in proc["top_outstanding"]
                     if any(f in frames for f in st["frames"]))
        self.assertEqual(leaked, expect["expect"][0]["bytes"])

        names = [g.get("data-n") for g in ET.parse(svg).getroot().iter()
                 if g.get("data-n")]
        self.assertTrue(any('ev"il\\' in n and "<&>" in n for n in names),
                        names)
        with gzip.open(pprof) as f:
            strings = pprof_strings(f.read())
        for s in strings:
            s.decode("utf-8")               # strict
        self.assertIn(name.encode(), [s[-len(name.encode()):]
                                      for s in strings])
