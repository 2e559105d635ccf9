# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""README's Layout section names every source file (no root needed).

Under user/ and bpf/ each file is named in its folder's row (or by its
path; a header x.h by its x.c); under tests/ and bench/ a file is named, or
a folder holding it is.
"""

import os
import re
import subprocess
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NAMED = ("user/", "bpf/")          # every file by name
DESCRIBED = ("tests/", "bench/")   # a file, or a folder above it


def layout_section():
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    m = re.search(r"^### Layout\n(.*?)(?=^##)", text, re.M | re.S)
    return m.group(1) if m else ""


def tracked_files():
    r = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True,
                       text=True, timeout=30)
    if r.returncode:        # not a git checkout: every file on disk
        out = []
        for top in NAMED + DESCRIBED:
            for d, _, files in os.walk(os.path.join(ROOT, top)):
                out += [os.path.relpath(os.path.join(d, f), ROOT)
                        for f in files]
        return out
    return r.stdout.split()


def row_of(section, folder):
    """The table row whose first cell names folder (`user/lib/`)."""
    for line in section.splitlines():
        cells = line.split("|")
        if len(cells) > 2 and "`%s`" % folder in cells[1]:
            return line
    return ""


def missing(section, files):
    out = []
    for path in files:
        folder = os.path.dirname(path) + "/"
        if path.startswith(NAMED):
            name = os.path.basename(path)
            names = [name]
            if name.endswith(".h"):         # x.h goes with x.c
                names.append(name[:-2] + ".c")
            row = row_of(section, folder)
            if not any("`%s`" % n in row for n in names) and \
                    "`%s`" % path not in section:
                out.append(path)
        elif path.startswith(DESCRIBED):
            parts = path.split("/")
            prefixes = ["/".join(parts[:i]) + "/" for i in
                        range(1, len(parts))]
            if "`%s`" % path not in section and not any(
                    "`%s`" % p in section for p in prefixes):
                out.append(path)
    return out


class ReadmeLayoutTest(unittest.TestCase):

    def test_every_file_is_in_layout(self):
        section = layout_section()
        self.assertTrue(section, "README.md has no '### Layout' section")
        gone = missing(section, tracked_files())
        self.assertEqual(gone, [], "files README's Layout does not name "
                         "(add them to the row of their folder)")

    def test_data_flow_is_shown(self):
        self.assertRegex(layout_section(), r"(?s)probes.*-> kernel maps.*"
                         r"-> snapshot.*-> report model.*-> formats")


if __name__ == "__main__":
    unittest.main()
