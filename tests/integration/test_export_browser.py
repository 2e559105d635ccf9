# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""--svg in a real browser: headless Chromium, loopback only, no network.

The flame graph of a real trace is rendered to a screenshot (whose pixels
are decoded here and looked at), its search runs on load from ?s=, and
through chromedriver (W3C WebDriver, spoken with urllib) a search term is
typed into the search box, a frame is clicked to zoom, another hovered.
"""

import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import time
import urllib.request
import zlib

from ltharness import LTTestCase
from test_export import scratch_dir, svg_frames

CHROMIUM = "chromium"
CHROMEDRIVER = "chromedriver"
BROWSER_TIMEOUT = 90
MATCH_RGB = (0xe0, 0x32, 0x9b)      # search highlight, see flamegraph.c
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
# Everything that would reach out of the machine is off.
CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking",
               "--disable-component-update", "--disable-sync",
               "--no-first-run", "--disable-extensions",
               "--disable-default-apps", "--hide-scrollbars"]


# ---- PNG --------------------------------------------------------------

def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def png_pixels(data):
    """(width, height, rows of RGB tuples) of an 8-bit RGB(A) PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, head = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = head
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("unsupported PNG %r" % (head,))
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(b"".join(idat)), w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            c = prev[i - bpp] if i >= bpp else 0
            pred = (0, a, prev[i], (a + prev[i]) // 2,
                    _paeth(a, prev[i], c))[f]
            line[i] = (line[i] + pred) & 0xff
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, bpp)])
        prev = line
    return w, h, rows


def count_colour(rows, rgb, tol=10):
    return sum(1 for row in rows for px in row
               if all(abs(px[i] - rgb[i]) <= tol for i in range(3)))


def count_greens(rows):
    """Native frames are green: G well above R and B."""
    return sum(1 for row in rows for r, g, b in row
               if g > r + 30 and g > b + 30)


# ---- browsers ---------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Group:
    """A process in its own group, killed with its children at cleanup."""

    def __init__(self, argv, **kw):
        self.popen = subprocess.Popen(argv, start_new_session=True,
                                      stdin=subprocess.DEVNULL, **kw)

    def kill(self):
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            pass


class WebDriver:
    """Just enough of the W3C WebDriver protocol, over loopback."""

    def __init__(self, tc, profile):
        if not shutil.which(CHROMEDRIVER) or not shutil.which(CHROMIUM):
            tc.fail("chromium and chromedriver are needed: make deps "
                    "(Debian chromium, chromium-driver)")
        self.port = free_port()
        self.proc = Group([shutil.which(CHROMEDRIVER),
                           "--port=%d" % self.port],
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
        tc.addCleanup(self.proc.kill)
        self.base = "http://127.0.0.1:%d" % self.port
        deadline = time.monotonic() + 30
        while True:
            try:
                self.call("GET", "/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    tc.fail("chromedriver did not start")
                time.sleep(0.1)
        caps = {"browserName": "chrome", "goog:chromeOptions": {
            "binary": shutil.which(CHROMIUM),
            "args": CHROME_ARGS + ["--user-data-dir=" + profile,
                                   "--window-size=1200,500"]}}
        value = self.call("POST", "/session",
                          {"capabilities": {"alwaysMatch": caps}})
        self.session = "/session/" + value["sessionId"]
        tc.addCleanup(self.quit)

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base + path, data=data, method=method,
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=BROWSER_TIMEOUT) as r:
            return json.loads(r.read())["value"]

    def s(self, method, path, body=None):
        return self.call(method, self.session + path, body)

    def quit(self):
        try:
            self.call("DELETE", self.session)
        except OSError:
            pass

    def find(self, css):
        return self.s("POST", "/element",
                      {"using": "css selector", "value": css})[ELEMENT]

    def js(self, script):
        return self.s("POST", "/execute/sync",
                      {"script": script, "args": []})

    def click(self, css):
        self.s("POST", "/element/%s/click" % self.find(css), {})

    def type(self, text):
        keys = []
        for ch in text:
            keys += [{"type": "keyDown", "value": ch},
                     {"type": "keyUp", "value": ch}]
        self.s("POST", "/actions",
               {"actions": [{"type": "key", "id": "kbd", "actions": keys}]})

    def hover(self, css):
        move = {"type": "pointerMove", "origin": {ELEMENT: self.find(css)},
                "x": 0, "y": 0}
        self.s("POST", "/actions", {"actions": [{
            "type": "pointer", "id": "mouse",
            "parameters": {"pointerType": "mouse"}, "actions": [move]}]})

    def screenshot(self):
        return base64.b64decode(self.s("GET", "/screenshot"))


FRAME_STATE = """
return Array.from(document.querySelectorAll('#frames > g')).map(g => [
  g.getAttribute('data-n'), g.classList.contains('m'),
  g.style.display !== 'none', +g.querySelector('rect').getAttribute('width')]);
"""


class BrowserTest(LTTestCase):

    def graph(self):
        """--svg of the growth target: main -> fill_cache and leak_slowly."""
        d = scratch_dir(self)
        path = os.path.join(d, "leak.svg")
        t = self.start_target("growth", 64, 32768, 16, 8192, 0)
        lt = self.start_tracer(["--json", "--svg", path, "-p", t.ready_pid,
                                "1000"])
        t.go()
        t.wait_line(lambda l: l == "cache filled", timeout=10,
                    what='"cache filled"')
        t.go()
        t.wait_expect()
        self.assertEqual(lt.stop(), 0, lt.describe())
        root, frames = svg_frames(path)
        names = {f["name"] for f in frames}
        self.assertTrue({"fill_cache", "leak_slowly"} <= names, names)
        return d, path

    def chromium(self, d, *args):
        if not shutil.which(CHROMIUM):
            self.fail("chromium not found: make deps (Debian chromium)")
        profile = os.path.join(d, "profile-%d" % time.monotonic_ns())
        g = Group([shutil.which(CHROMIUM)] + CHROME_ARGS +
                  ["--user-data-dir=" + profile] + list(args),
                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.addCleanup(g.kill)
        try:
            out, _ = g.popen.communicate(timeout=BROWSER_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.fail("chromium %s did not finish" % " ".join(args))
        return out.decode("utf-8", "replace")

    def test_screenshot_and_search_on_load(self):
        """headless screenshot: frames drawn, ?s= search highlights"""
        d, path = self.graph()
        shot = os.path.join(d, "shot.png")
        url = "file://%s?s=leak_slowly" % path
        self.chromium(d, "--window-size=1200,400", "--screenshot=" + shot,
                      url)
        with open(shot, "rb") as f:
            w, h, rows = png_pixels(f.read())
        self.assertEqual((w, h), (1200, 400))
        self.assertGreater(count_greens(rows), 5000,
                           "no native (green) frames drawn in %s" % shot)
        self.assertGreater(count_colour(rows, MATCH_RGB), 200,
                           "the searched frame is not highlighted in %s"
                           % shot)
        dom = self.chromium(d, "--dump-dom", url)
        self.assertRegex(dom, r'class="f k-native m"[^>]*data-n="leak_slowly"')
        self.assertNotRegex(dom, r'class="f k-native m"[^>]*'
                            r'data-n="fill_cache"')
        self.assertRegex(dom, r"Matched 1 frame: 128\.0 KiB \(5\.88% of all\)")

    def test_type_search_zoom_hover(self):
        """chromedriver: typing searches, a click zooms, hover details"""
        d, path = self.graph()
        wd = WebDriver(self, os.path.join(d, "wd-profile"))
        wd.s("POST", "/url", {"url": "file://" + path})
        wd.click("#search")
        wd.type("fill_c")
        state = {n: (m, shown, w) for n, m, shown, w in wd.js(FRAME_STATE)}
        self.assertTrue(state["fill_cache"][0], state)
        self.assertFalse(state["leak_slowly"][0], state)
        self.assertEqual(wd.js("return document.getElementById('matched')"
                               ".textContent"),
                         "Matched 1 frame: 2.0 MiB (94.12% of all)")
        with open(os.path.join(d, "search.png"), "wb") as f:
            f.write(wd.screenshot())
        with open(os.path.join(d, "search.png"), "rb") as f:
            _, _, rows = png_pixels(f.read())
        self.assertGreater(count_colour(rows, MATCH_RGB), 1000)

        # Click the narrow leak: it fills the width, the cache goes away.
        wd.click("#frames > g[data-n='leak_slowly']")
        state = {n: (m, shown, w) for n, m, shown, w in wd.js(FRAME_STATE)}
        self.assertAlmostEqual(state["leak_slowly"][2], 1180, delta=0.1)
        self.assertFalse(state["fill_cache"][1], state)
        self.assertEqual(wd.js("return document.getElementById('reset')"
                               ".style.visibility"), "visible")
        wd.click("#reset")
        state = {n: (m, shown, w) for n, m, shown, w in wd.js(FRAME_STATE)}
        self.assertTrue(state["fill_cache"][1], state)
        self.assertAlmostEqual(state["leak_slowly"][2], 1180 * 16 * 8192 /
                               (64 * 32768 + 16 * 8192), delta=0.1)

        wd.hover("#frames > g[data-n='leak_slowly'] > rect")
        details = wd.js("return document.getElementById('details')"
                        ".textContent")
        self.assertIn("leak_slowly: 128.0 KiB (5.88%), 16 blocks", details)
        self.assertIn("growth.c:", details)
