# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""--svg, --svg-growth, --pprof, and --json against docs/report.schema.json.

Each export is compared with leaktrace's own JSON report of the same trace:
the flame graph must hold every stack with its bytes as widths, the growth
graph must paint the leak red and a stable cache neutral, `go tool pprof`
must find the same stacks and totals, and every report must validate.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET

from ltharness import LTTestCase, ROOT, compare_expect, find_process

SCHEMA = os.path.join(ROOT, "docs", "report.schema.json")
SVG = "{http://www.w3.org/2000/svg}"
WIDTH, PAD = 1200, 10
SPAN = WIDTH - 2 * PAD
GO_TIMEOUT = 120     # go tool pprof, first run included


def scratch_dir(tc, prefix="lt-export-"):
    d = tempfile.mkdtemp(prefix=prefix)
    tc.addCleanup(shutil.rmtree, d, True)
    return d


# ---- SVG --------------------------------------------------------------

def svg_frames(path):
    """The document's root and its frames (raises on invalid XML)."""
    root = ET.parse(path).getroot()
    frames = []
    for g in root.iter(SVG + "g"):
        classes = g.get("class", "").split()
        if "f" not in classes:
            continue
        rect = g.find(SVG + "rect")
        frames.append({
            "name": g.get("data-n"), "o": int(g.get("data-o")),
            "v": int(g.get("data-v")), "d": int(g.get("data-d")),
            "c": int(g.get("data-c")), "b": int(g.get("data-b", "-1")),
            "classes": classes, "x": float(rect.get("x")),
            "width": float(rect.get("width")), "fill": rect.get("fill"),
            "title": g.find(SVG + "title").text or ""})
    return root, frames


def svg_paths(frames):
    """Frames by path of names below the root, root side first: the parent
    of a frame is the frame one level down whose byte range holds it."""
    by_depth = {}
    for f in frames:
        by_depth.setdefault(f["d"], []).append(f)
    out = {}
    for f in sorted(frames, key=lambda f: f["d"]):
        if f["d"] == 0:
            f["path"] = ()
        else:
            parents = [p for p in by_depth.get(f["d"] - 1, [])
                       if p["o"] <= f["o"] and
                       f["o"] + f["v"] <= p["o"] + p["v"]]
            if len(parents) != 1:
                raise AssertionError("frame %r at depth %d has %d parents"
                                     % (f["name"], f["d"], len(parents)))
            f["path"] = parents[0]["path"] + (f["name"],)
        if f["path"] in out:
            raise AssertionError("two frames for %r" % (f["path"],))
        out[f["path"]] = f
    return out


def frame_label(frame):
    return frame.get("symbol") or frame.get("text") or "?"


def expected_prefixes(proc):
    """Bytes per path prefix (root first) of the report's stacks."""
    want = {}
    for st in proc.get("top_outstanding", []):
        if st["bytes"] <= 0:
            continue
        names = tuple(frame_label(f) for f in reversed(st["frames"]))
        for i in range(1, len(names) + 1):
            want[names[:i]] = want.get(names[:i], 0) + st["bytes"]
    return want


def external_refs(path):
    """Anything that would make the file need the network or other files."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return re.findall(r"(?:href|src)\s*=|@import|url\(", text)


# ---- JSON schema: the subset docs/report.schema.json uses -------------

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: (isinstance(v, (int, float)) and
                         not isinstance(v, bool)),
    "null": lambda v: v is None,
}
KNOWN = {"$schema", "$comment", "$defs", "$ref", "title", "description",
         "type", "const", "enum", "pattern", "minimum", "required",
         "properties", "additionalProperties", "items", "if", "then",
         "else", "not"}


def resolve(root, ref):
    if not ref.startswith("#/"):
        raise ValueError("only local $ref are supported: %s" % ref)
    node = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def validate(inst, schema, root=None, where="$"):
    """Errors of inst against schema, as 'path: message' strings."""
    root = root if root is not None else schema
    unknown = set(schema) - KNOWN
    if unknown:
        raise ValueError("schema keywords not supported here: %s" % unknown)
    errs = []
    if "$ref" in schema:
        errs += validate(inst, resolve(root, schema["$ref"]), root, where)
    types = schema.get("type", [])
    types = types if isinstance(types, list) else [types]
    if types and not any(TYPES[t](inst) for t in types):
        return errs + ["%s: %r is not of type %s" % (where, inst,
                                                      schema["type"])]
    if "const" in schema and inst != schema["const"]:
        errs.append("%s: %r is not %r" % (where, inst, schema["const"]))
    if "enum" in schema and inst not in schema["enum"]:
        errs.append("%s: %r not in %r" % (where, inst, schema["enum"]))
    if "pattern" in schema and isinstance(inst, str) and \
            not re.search(schema["pattern"], inst):
        errs.append("%s: %r does not match %s" % (where, inst,
                                                   schema["pattern"]))
    if "minimum" in schema and TYPES["number"](inst) and \
            inst < schema["minimum"]:
        errs.append("%s: %r < %r" % (where, inst, schema["minimum"]))
    if isinstance(inst, dict):
        errs += validate_object(inst, schema, root, where)
    if isinstance(inst, list) and "items" in schema:
        for i, item in enumerate(inst):
            errs += validate(item, schema["items"], root,
                             "%s[%d]" % (where, i))
    if "not" in schema and not validate(inst, schema["not"], root, where):
        errs.append("%s: must not match %s" % (where, schema["not"]))
    if "if" in schema:
        branch = "then" if not validate(inst, schema["if"], root,
                                        where) else "else"
        if branch in schema:
            errs += validate(inst, schema[branch], root, where)
    return errs


def validate_object(inst, schema, root, where):
    errs = ["%s: missing %r" % (where, k)
            for k in schema.get("required", []) if k not in inst]
    props = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for k, v in inst.items():
        if k in props:
            errs += validate(v, props[k], root, "%s.%s" % (where, k))
        elif extra is False:
            errs.append("%s: unexpected key %r" % (where, k))
        elif isinstance(extra, dict):
            errs += validate(v, extra, root, "%s.%s" % (where, k))
    return errs


def load_schema():
    with open(SCHEMA) as f:
        return json.load(f)


def man_json_process_keys():
    """The keys of a process in the man page's JSON example."""
    with open(os.path.join(ROOT, "man", "leaktrace.8")) as f:
        text = f.read()
    m = re.search(r"^\.SH JSON\n.*?^\.nf\n(.*?)^\.fi", text, re.M | re.S)
    if not m:
        return set()
    example = m.group(1).replace("\\(dq", '"')
    process = example[example.find('"processes":[{') + len('"processes":[{'):]
    nested = None
    while nested != process:     # leave out the keys of nested objects
        nested, process = process, re.sub(r"\{[^{}]*\}", "", process)
    return set(re.findall(r'"(\w+)":', process))


def jsonschema_errors(inst, schema):
    """The same check by Debian's python3-jsonschema (in DEPS)."""
    import jsonschema
    v = jsonschema.Draft202012Validator(schema)
    return ["%s: %s" % ("/".join(map(str, e.absolute_path)), e.message)
            for e in v.iter_errors(inst)]


# ---- go tool pprof ----------------------------------------------------

def go_pprof(tc, *args):
    if not shutil.which("go"):
        tc.fail("go not found: install golang-go (make deps)")
    env = dict(os.environ, HOME=scratch_dir(tc, "lt-gohome-"),
               GOFLAGS="-mod=mod", GOTOOLCHAIN="local",
               PPROF_TMPDIR=scratch_dir(tc, "lt-pprof-"))
    r = subprocess.run(["go", "tool", "pprof", "-symbolize=none"] +
                       list(args), capture_output=True, text=True,
                       timeout=GO_TIMEOUT, env=env)
    tc.assertEqual(r.returncode, 0, "go tool pprof %s failed:\n%s"
                   % (" ".join(args), r.stderr))
    return r.stdout


def pprof_traces(text):
    """(frames leaf first, bytes) of each sample of `-traces -unit=B`."""
    out = []
    for block in re.split(r"^-+\+-+$", text, flags=re.M)[1:]:
        frames, value = [], None
        for line in block.splitlines():
            m = re.match(r"^\s*(\d+)B\s+(\S.*)$", line)
            if m and value is None:
                value = int(m.group(1))
                frames.append(m.group(2).strip())
            elif value is not None and line.strip():
                frames.append(line.strip())
        if value is not None:
            out.append((tuple(f.replace(" (inline)", "") for f in frames),
                        value))
    return out


class ExportTest(LTTestCase):

    def svg_check_report(self, path, proc):
        root, frames = svg_frames(path)
        self.assertEqual(root.tag, SVG + "svg")
        self.assertEqual(external_refs(path), [],
                         "%s must open without network access" % path)
        total = proc["heap_bytes"] + proc["mapped_bytes"]
        self.assertEqual(int(root.get("data-total")), total,
                         "flame graph total vs heap_bytes + mapped_bytes")
        paths = svg_paths(frames)
        self.assertEqual(paths[()]["v"], total)
        want = expected_prefixes(proc)
        self.assertTrue(want, "no stacks in the final report")
        for prefix, nbytes in sorted(want.items()):
            f = paths.get(prefix)
            self.assertIsNotNone(f, "stack %s of the report is not in the "
                                 "flame graph; it has %s" % (
                                     ";".join(prefix), sorted(paths)))
            self.assertEqual(f["v"], nbytes, ";".join(prefix))
            self.assertAlmostEqual(f["width"], nbytes * SPAN / total,
                                   delta=0.02, msg=";".join(prefix))
        return root, paths

    def test_svg_holds_every_stack(self):
        """--svg: valid XML, every stack of the report, widths = bytes"""
        path = os.path.join(scratch_dir(self), "leak.svg")
        t, lt, expect, final, proc = self.trace_target(
            "leak_basic", 11, 5000, lt_args=["--svg", path])
        self.assertIsNotNone(proc, lt.describe())
        self.assert_expect(expect, proc, final, lt)
        root, paths = self.svg_check_report(path, proc)
        leaf = [f for p, f in paths.items() if p and p[-1] == "leak_here"]
        self.assertEqual(len(leaf), 1, sorted(paths))
        self.assertEqual(leaf[0]["v"], 11 * 5000)
        self.assertIn("k-native", leaf[0]["classes"])
        # Units people read, in the subtitle and the tooltips.
        self.assertIn("53.7 KiB", ET.tostring(root, encoding="unicode"))
        self.assertIn("53.7 KiB (100.00%)", leaf[0]["title"])

    def test_svg_every_report(self):
        """--svg is rewritten at every periodic report, not only at exit"""
        path = os.path.join(scratch_dir(self), "leak.svg")
        t = self.start_target("leak_basic", 7, 3000)
        lt = self.start_tracer(["--json", "-T", "1000", "--svg", path,
                                "-p", t.ready_pid, "1"])
        t.go()
        t.wait_expect()
        deadline = time.monotonic() + 20
        while True:
            reps = lt.reports()
            proc = reps and find_process(reps[-1], t.ready_pid)
            if proc and proc["heap_bytes"] >= 21000:
                break
            self.assertLess(time.monotonic(), deadline, lt.describe())
            time.sleep(0.2)
        # The report after that one has been written out too.
        n = len(lt.reports())
        while len(lt.reports()) < n + 1:
            self.assertLess(time.monotonic(), deadline, lt.describe())
            time.sleep(0.1)
        self.assertTrue(lt.alive())
        root, frames = svg_frames(path)
        self.assertIn(21000, [f["v"] for f in frames
                              if f["name"] == "leak_here"])
        self.assertIn("periodic report",
                      ET.tostring(root, encoding="unicode"))
        self.assertEqual(lt.stop(), 0, lt.describe())

    def test_growth_graph(self):
        """--svg-growth: the leak is red, the larger stable cache neutral"""
        d = scratch_dir(self)
        growth, plain = (os.path.join(d, "growth.svg"),
                         os.path.join(d, "plain.svg"))
        t = self.start_target("growth", 128, 32768, 20, 4096, 50)
        lt = self.start_tracer(["--json", "-T", "1000", "--svg", plain,
                                "--svg-growth", growth, "--baseline", "2",
                                "-p", t.ready_pid, "1"])
        t.go()
        t.wait_line(lambda l: l == "cache filled", timeout=10,
                    what='"cache filled"')
        early = lt.reports()
        self.assertFalse(
            [r for r in early if r["elapsed_s"] >= 2],
            "the baseline report came before the cache was filled")
        # The baseline (first report >= 2 s after attach), then the leak.
        lt.wait_line(lambda l: l.startswith("{") and
                     json.loads(l).get("elapsed_s", 0) >= 2,
                     timeout=20, what="the baseline report")
        t.go()
        expect = t.wait_expect()
        n = len(lt.reports())
        lt.wait_line(lambda l: l.startswith("{"), timeout=10,
                     start=len(lt.lines()), what="a report after the leak")
        self.assertGreater(len(lt.reports()), n)
        self.assertEqual(lt.stop(), 0, lt.describe())
        final = lt.final_report()
        proc = find_process(final, t.ready_pid)
        self.assertFalse(compare_expect(expect, proc), compare_expect(
            expect, proc))

        root, frames = svg_frames(growth)
        self.assertEqual(root.get("data-mode"), "growth")
        named = {f["name"]: f for f in frames}
        cache, leak = named.get("fill_cache"), named.get("leak_slowly")
        self.assertIsNotNone(cache, sorted(named))
        self.assertIsNotNone(leak, sorted(named))
        # Widths are outstanding bytes now: the cache is far wider.
        self.assertEqual(cache["v"], 128 * 32768)
        self.assertEqual(leak["v"], 20 * 4096)
        self.assertGreater(cache["width"], 20 * leak["width"])
        self.assertIn("gr-u", cache["classes"], cache)
        self.assertEqual(cache["b"], cache["v"])
        self.assertIn("gr-g", leak["classes"], leak)
        self.assertLess(leak["b"], leak["v"])
        self.assertTrue(leak["fill"].startswith("hsl(0,"), leak["fill"])
        self.assertIn("since the baseline", leak["title"])
        self.svg_check_report(plain, proc)

    def test_pprof_matches_report(self):
        """--pprof: go tool pprof finds the report's stacks and totals"""
        path = os.path.join(scratch_dir(self), "leak.pb.gz")
        t, lt, expect, final, proc = self.trace_target(
            "leak_basic", 9, 6000, lt_args=["--pprof", path])
        self.assertIsNotNone(proc, lt.describe())
        self.assert_expect(expect, proc, final, lt)
        with open(path, "rb") as f:
            self.assertEqual(f.read(2), b"\x1f\x8b", "not gzip")
        total = proc["heap_bytes"] + proc["mapped_bytes"]
        top = go_pprof(self, "-top", "-unit=B", path)
        self.assertRegex(top, r"Type: inuse_space")
        self.assertIn("of %dB total" % total, top)
        first = re.search(r"^\s*(\d+)B\s+\S+%\s+\S+%\s+\S+\s+\S+%\s+(\S+)",
                          top, re.M)
        self.assertIsNotNone(first, top)
        self.assertEqual((first.group(2), int(first.group(1))),
                         ("leak_here", 9 * 6000), top)
        objects = go_pprof(self, "-top", "-sample_index=inuse_objects",
                           path)
        self.assertRegex(objects, r"of %d total" % (
            proc["heap_count"] + proc["mapped_count"]))
        traces = pprof_traces(go_pprof(self, "-traces", "-unit=B", path))
        want = sorted(
            (tuple(frame_label(f) for f in st["frames"]), st["bytes"])
            for st in proc["top_outstanding"] if st["bytes"] > 0)
        self.assertEqual(sorted(traces), want)
        raw = go_pprof(self, "-raw", path)
        self.assertRegex(raw, r"leak_basic [0-9a-f]{40} \[FN\]\[FL\]\[LN\]")
        self.assertRegex(raw, r"leak_here \S*leak_basic\.c:\d+")

    def test_json_validates(self):
        """--json: every report validates against docs/report.schema.json"""
        schema = load_schema()
        t = self.start_target("leak_basic", 5, 2000)
        lt = self.start_tracer(["--json", "-T", "1000", "-p", t.ready_pid,
                                "1"])
        t.go()
        t.wait_expect()
        lt.wait_line(lambda l: l.startswith("{"), timeout=10,
                     start=len(lt.lines()), what="a periodic report")
        self.assertEqual(lt.stop(), 0, lt.describe())
        reports = lt.reports()
        final = lt.final_report()
        proc = find_process(final, t.ready_pid)
        self.assertTrue(any(not r["final"] for r in reports),
                        "no periodic report:\n" + lt.describe())
        self.assertTrue(proc and proc.get("top_outstanding"), lt.describe())
        for r in reports:
            self.assertEqual(validate(r, schema), [], json.dumps(r))
            self.assertEqual(jsonschema_errors(r, schema), [],
                             json.dumps(r))
        # The schema's loss counters are exactly the report's.
        self.assertEqual(
            sorted(schema["properties"]["losses"]["required"]),
            sorted(final["losses"]))
        # leak_basic runs no CPython: its key is there all the same.
        self.assertIn("python", proc, json.dumps(proc))
        self.assertIsNone(proc["python"], json.dumps(proc))

    def test_schema_requires_documented_keys(self):
        """every key of a process the man page shows, and the schema
        documents, is required: only the ones said to come and go are not"""
        schema = load_schema()
        process = schema["$defs"]["process"]
        # Final report only; --objects only (the man page says so).
        sometimes = {"top_outstanding", "python_census", "python_objects"}
        self.assertEqual(set(process["properties"]) - set(process["required"]),
                         sometimes)
        self.assertEqual(set(schema["properties"]), set(schema["required"]))
        for name in ("stack", "frame"):
            d = schema["$defs"][name]
            self.assertEqual(set(d["properties"]), set(d["required"]), name)
        shown = man_json_process_keys()
        self.assertTrue(shown, "no process keys in the man page's JSON")
        self.assertEqual(shown - set(process["required"]),
                         {"top_outstanding"},
                         "keys the man page shows that a report may omit")
        self.assertEqual(set(process["required"]) - shown, set(),
                         "required keys the man page does not show")

    def test_schema_rejects(self):
        """the validator and the schema catch missing, extra, wrong keys"""
        schema = load_schema()
        good = {"type": "report", "time": "2026-11-25T22:00:00Z",
                "final": False, "elapsed_s": 1.0, "interval_s": 1.0,
                "mode": "exact", "sample_bytes": 0, "unwind": "dwarf",
                "min_age_s": 0, "mapping_resyncs": 0,
                "losses": {k: 0 for k in
                           schema["properties"]["losses"]["required"]},
                "processes": []}
        self.assertEqual(validate(good, schema), [])
        bad = [dict(good, extra=1), dict(good, time="yesterday"),
               dict(good, final="no"),
               dict(good, losses=dict(good["losses"], free_unknown=-1)),
               {k: v for k, v in good.items() if k != "losses"},
               dict(good, final=True, processes=[{"pid": 1}])]
        for b in bad:
            self.assertTrue(validate(b, schema), b)
            self.assertTrue(jsonschema_errors(b, schema), b)

    def test_bad_options(self):
        """bad export options: one error line, exit status 2, nothing run"""
        cases = [
            ["--pyroscope", "https://127.0.0.1:4040"],
            ["--pyroscope", "127.0.0.1:4040"],
            ["--pyroscope", "http://127.0.0.1:99999"],
            ["--pyroscope", "http://h", "--label", "novalue"],
            ["--pyroscope", "http://h", "--label", "bad-key=1"],
            ["--pyroscope", "http://h", "--app-name", "a b"],
            ["--label", "env=prod"],
            ["--baseline", "10"],
            ["--svg-growth", "g.svg", "--baseline", "soon"],
        ]
        for args in cases:
            r = subprocess.run([os.path.join(ROOT, "leaktrace")] + args +
                               ["-p", str(os.getpid()), "1", "1"],
                               capture_output=True, text=True, timeout=20)
            self.assertEqual(r.returncode, 2, "%s: %s" % (args, r.stderr))
            lines = r.stderr.splitlines()
            self.assertEqual(len(lines), 1, "%s: %s" % (args, r.stderr))
            self.assertTrue(lines[0].startswith("leaktrace: error: "),
                            lines[0])
            self.assertEqual(r.stdout, "")

    def test_unwritable_path(self):
        """an export that becomes unwritable while tracing (its directory
        removed after the start-up check) is warned about; the rest goes
        on (one unwritable at start is refused: test_bad_input)"""
        d = scratch_dir(self)
        good = os.path.join(d, "ok.svg")
        sub = os.path.join(d, "goes-away")
        os.mkdir(sub)
        bad = os.path.join(sub, "out.pb.gz")
        t = self.start_target("leak_basic", 3, 1000)
        lt = self.start_tracer(["--json", "-T", "1000", "--svg", good,
                                "--pprof", bad, "-p", t.ready_pid, "1000"])
        os.rmdir(sub)
        t.go()
        expect = t.wait_expect()
        self.assertEqual(lt.stop(), 0, lt.describe())
        final = lt.final_report()
        proc = find_process(final, t.ready_pid)
        self.assert_expect(expect, proc, final, lt)
        self.svg_check_report(good, proc)
        self.assertFalse(os.path.exists(bad))
        warned = [l for l in lt.lines("stderr") if bad in l]
        self.assertTrue(warned and all("cannot write" in l for l in warned),
                        lt.describe())
