# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The demo's Flask service: /leak keeps a Session of about 1 MiB per
request in a module-level cache that is never trimmed (--objects shows the
Session objects growing); /balanced allocates as much and
lets it go. Every response names the worker that served it."""
import os

from flask import Flask

app = Flask(__name__)
SESSIONS = []
BLOCK = 1 << 20


class Session:
    def __init__(self, data):
        self.data = data


@app.route("/leak")
def leak():
    SESSIONS.append(Session(bytearray(BLOCK)))  # the leak
    return "pid %d kept %d\n" % (os.getpid(), len(SESSIONS))


@app.route("/balanced")
def balanced():
    report = bytearray(BLOCK)
    return "pid %d built %d\n" % (os.getpid(), len(report))


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "8321")))
