# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""WSGI ground-truth target for leaktrace under uwsgi's python3 plugin.

GET /leak keeps one bytearray(SIZE) from a known line (malloc serves it
directly: pymalloc only takes requests up to 512 bytes); GET /balanced
allocates as much and lets it go; GET /truth answers with one expect line
(the same shape as pyleak.py's) computed from this file's own code objects,
markers and what this worker really kept. Every answer names the worker.
"""
import json
import os
import sys

SIZE = 100003  # bytearray(SIZE) asks malloc for SIZE + 1 bytes
KEPT = []


def marker_line(tag):
    """Line number of the source line carrying '# @tag'."""
    with open(__file__) as f:
        for number, text in enumerate(f, 1):
            if text.rstrip().endswith("# @" + tag):
                return number
    raise LookupError(tag)


def frame_name(func):
    code = func.__code__
    qualname = getattr(code, "co_qualname", code.co_name)
    return "%s.%s" % (os.path.splitext(os.path.basename(code.co_filename))[0],
                      qualname)


def leak_block():
    block = bytearray(SIZE)  # @leak
    KEPT.append(block)
    return len(KEPT)


def balanced_block():
    block = bytearray(SIZE)  # @balanced
    return len(block)


def truth():
    stack = [[frame_name(leak_block), marker_line("leak")],
             [frame_name(application), marker_line("call_leak")]]
    return {"target": "uwsgi_app", "version": sys.version.split()[0],
            "pid": os.getpid(),
            "absent": [[frame_name(balanced_block),
                        marker_line("balanced")]],
            "expect": [{"func": stack[0][0], "line": stack[0][1],
                        "kind": "heap", "bytes": len(KEPT) * (SIZE + 1),
                        "count": len(KEPT), "python_stack": stack}]}


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/leak":
        body = {"pid": os.getpid(), "kept": leak_block()}  # @call_leak
    elif path == "/balanced":
        body = {"pid": os.getpid(), "built": balanced_block()}
    elif path == "/truth":
        body = truth()
    else:
        body = {"pid": os.getpid()}
    data = (json.dumps(body) + "\n").encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(data)))])
    return [data]
